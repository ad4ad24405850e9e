"""Tests for sknet.model_selection: spaces, narrowing, coarse-to-fine search."""

import io
import math
import pickle
import re
import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.base import BaseEstimator
from sklearn.datasets import load_iris
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RandomizedSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import check_param_validation

from sknet.exceptions import TrainingDivergedError
from sknet.model_selection import (
    CoarseToFineSearchCV,
    HiddenLayerSizes,
    LogUniformInt,
    SearchProgress,
    SearchRange,
    StageProgress,
    hidden_layers,
    log_uniform,
    log_uniform_int,
    mlp_search_space,
    narrow_distribution,
    search_range,
)

# Failed fits make scikit-learn warn about NaN means; the tests check those NaNs.
pytestmark = pytest.mark.filterwarnings(
    "ignore:One or more of the test scores are non-finite:UserWarning"
)

X_TOY = np.zeros((12, 2))
Y_TOY = np.arange(12) % 2


# ---------------------------------------------------------------------------
# toy estimators: scores are known functions of the parameters
# ---------------------------------------------------------------------------


class Quadratic(BaseEstimator):
    """Score = -(log10(lr) + 3)^2 (+10 if act == 'good'); alpha does not matter."""

    def __init__(self, lr=1.0, alpha=1.0, act="good", width=1, max_iter=100):
        self.lr = lr
        self.alpha = alpha
        self.act = act
        self.width = width
        self.max_iter = max_iter

    def fit(self, X, y=None):
        self.fitted_ = True
        return self

    def score(self, X, y=None):
        return -((math.log10(self.lr) + 3) ** 2) + (10.0 if self.act == "good" else 0.0)


EPOCH_LOG = []  # (lr, epochs run) of every ToyTrainer.fit, in this process


class ToyTrainer(BaseEstimator):
    """Loss after epoch t is exp(t * (lr - 1)): lr > 1 explodes, lr < 1 decays.

    With ``divergence_threshold`` it stops like sknet's MLPs: raise
    TrainingDivergedError once the loss exceeds threshold x the initial loss.
    """

    def __init__(self, lr=0.1, max_iter=30, divergence_threshold=None):
        self.lr = lr
        self.max_iter = max_iter
        self.divergence_threshold = divergence_threshold

    def fit(self, X, y=None):
        initial = loss = 1.0
        for epoch in range(1, self.max_iter + 1):
            loss = math.exp(epoch * (self.lr - 1.0))
            if self.divergence_threshold is not None and (
                not np.isfinite(loss) or loss > self.divergence_threshold * initial
            ):
                EPOCH_LOG.append((self.lr, epoch))
                raise TrainingDivergedError(
                    f"loss {loss:.3g} > {self.divergence_threshold} x {initial:.3g} "
                    f"in epoch {epoch}",
                    n_iter=epoch - 1,
                    n_batches=epoch,
                    loss=loss,
                    initial_loss=initial,
                )
        EPOCH_LOG.append((self.lr, self.max_iter))
        self.loss_ = loss
        return self

    def score(self, X, y=None):
        return -self.loss_


class Failing(BaseEstimator):
    def __init__(self, x=0):
        self.x = x

    def fit(self, X, y=None):
        if self.x == 1:
            raise RuntimeError("x must not be 1\nsecond line")
        return self

    def score(self, X, y=None):
        return float(self.x)


def _decades(dist):
    r = search_range(dist)
    return math.log10(r.high) - math.log10(r.low)


# ---------------------------------------------------------------------------
# spaces
# ---------------------------------------------------------------------------


def test_log_uniform_is_scipy_loguniform():
    d = log_uniform(1e-5, 1e-1)
    assert d.dist.name in ("loguniform", "reciprocal")
    assert search_range(d) == SearchRange(1e-5, 1e-1, log=True, integer=False)
    x = d.rvs(size=4000, random_state=0)
    # uniform in log10: each of the 4 decades holds a quarter
    counts = np.histogram(np.log10(x), bins=[-5, -4, -3, -2, -1])[0] / len(x)
    np.testing.assert_allclose(counts, 0.25, atol=0.03)
    with pytest.raises(ValueError):
        log_uniform(0, 1)
    with pytest.raises(ValueError):
        log_uniform(1, 1)


def test_log_uniform_int_in_range_and_log_distributed():
    d = log_uniform_int(1, 99)
    x = d.rvs(size=20000, random_state=0)
    assert x.dtype.kind == "i" and x.min() >= 1 and x.max() <= 99
    # P(1..9) = log(10) / log(100) = 1/2; uniform ints would give 9/99
    assert abs(np.mean(x <= 9) - 0.5) < 0.02
    # P(k) = log((k+1)/k) / log(100)
    for k in (1, 2, 50):
        expected = math.log((k + 1) / k) / math.log(100)
        assert abs(np.mean(x == k) - expected) < 0.01
    assert isinstance(d.rvs(random_state=0), int)
    assert d.rvs(size=(2, 3), random_state=0).shape == (2, 3)
    assert LogUniformInt(7, 7).rvs(size=5, random_state=0).tolist() == [7] * 5
    assert search_range(d) == SearchRange(1, 99, log=True, integer=True)
    for bad in [(0, 5), (5, 4), (1.5, 3)]:
        with pytest.raises(ValueError):
            LogUniformInt(*bad)


def test_log_uniform_int_reproducible():
    d = log_uniform_int(16, 512)
    np.testing.assert_array_equal(
        d.rvs(size=10, random_state=3), d.rvs(size=10, random_state=3)
    )


def test_search_range_reads_scipy_distributions():
    assert search_range(stats.uniform(0.1, 0.4)) == SearchRange(0.1, 0.5, False, False)
    # randint's high is exclusive, the range's is inclusive
    assert search_range(stats.randint(2, 6)) == SearchRange(2, 5, False, True)
    assert search_range(stats.loguniform(1e-3, 1)) == SearchRange(1e-3, 1.0, True, False)
    assert search_range(stats.loguniform(1e-3, 1, loc=1)) is None  # not log-uniform
    assert search_range(stats.norm(0, 1)) is None
    assert search_range([1, 2]) is None


def test_distributions_work_in_randomized_search_cv():
    search = RandomizedSearchCV(
        Quadratic(),
        {"lr": log_uniform(1e-5, 1e-1), "width": log_uniform_int(2, 64)},
        n_iter=5,
        cv=2,
        random_state=0,
    ).fit(X_TOY, Y_TOY)
    widths = search.cv_results_["param_width"]
    assert all(2 <= w <= 64 for w in widths)


def test_hidden_layer_sizes_samples_tuples():
    space = hidden_layers(log_uniform_int(16, 256), [1, 2, 3])
    tuples = space.rvs(size=200, random_state=0)
    assert {len(t) for t in tuples} == {1, 2, 3}
    assert all(len(set(t)) == 1 and 16 <= t[0] <= 256 for t in tuples)
    assert all(isinstance(w, int) for w in tuples[0])
    assert HiddenLayerSizes(32, 2).rvs(random_state=0) == (32, 32)


# ---------------------------------------------------------------------------
# narrowing rule
# ---------------------------------------------------------------------------


def test_narrow_log_range_exact_rule():
    # 6 decades, margin 0.1 -> 0.6 decade on each side of the winners' span
    d = log_uniform(1e-6, 1.0)
    new = narrow_distribution(d, [1e-4, 1e-3], margin=0.1)
    lo, hi = new.support()
    assert math.isclose(math.log10(lo), -4.6) and math.isclose(math.log10(hi), -2.4)
    # second narrowing: margin measured on the current range (2.2 decades)
    newer = narrow_distribution(new, [1e-3], original=d, margin=0.1)
    lo, hi = newer.support()
    assert math.isclose(math.log10(lo), -3.22) and math.isclose(math.log10(hi), -2.78)


def test_narrow_clips_to_original_and_keeps_kind():
    d = stats.uniform(0.0, 0.5)  # linear, [0, 0.5]
    new = narrow_distribution(d, [0.0, 0.1], margin=0.2)  # pad 0.1
    assert search_range(new) == SearchRange(0.0, pytest.approx(0.2), False, False)
    # a wide current range is still clipped to the original one
    widened = narrow_distribution(stats.uniform(0.0, 10.0), [0.45], original=d, margin=1.0)
    assert search_range(widened).low == 0.0 and search_range(widened).high == 0.5


def test_narrow_integer_ranges_round_outwards():
    new = narrow_distribution(log_uniform_int(1, 1000), [30, 40], margin=0.05)
    # 3 decades * 0.05 = 0.15 decade: [30 / 10**0.15, 40 * 10**0.15] = [21.2, 56.5]
    assert isinstance(new, LogUniformInt) and new.support() == (21, 57)
    lin = narrow_distribution(stats.randint(0, 101), [50], margin=0.1)  # [0, 100]
    assert search_range(lin) == SearchRange(40, 60, log=False, integer=True)
    assert narrow_distribution(stats.randint(0, 11), [5], margin=0.0) == [5]


def test_narrow_categorical_and_layers():
    assert narrow_distribution(["a", "b", "c"], ["c", "a", "c"]) == ["a", "c"]
    assert narrow_distribution(["a", "b"], []) == ["a", "b"]
    space = HiddenLayerSizes(log_uniform_int(10, 1000), [1, 2, 3])
    new = narrow_distribution(space, [(100, 100), (200, 200)], margin=0.0)
    assert new.width.support() == (100, 200) and new.depth == [2]
    # opaque distributions are kept
    norm = stats.norm(0, 1)
    assert narrow_distribution(norm, [0.1, 0.2]) is norm


def test_narrow_categorical_keeps_the_choices_never_tried():
    acts = ["relu", "tanh", "elu", "gelu"]
    # tanh was tried and lost; relu and gelu were never tried
    assert narrow_distribution(acts, ["elu"], tried=["elu", "tanh"]) == ["relu", "elu", "gelu"]
    assert narrow_distribution(acts, ["elu"], tried=acts) == ["elu"]
    assert narrow_distribution(acts, ["elu"]) == ["elu"]  # None: all tried
    space = HiddenLayerSizes(log_uniform_int(10, 1000), [1, 2, 3])
    new = narrow_distribution(space, [(100, 100)], margin=0.0, tried=[(100, 100), (50,)])
    assert new.depth == [2, 3]  # depth 1 lost, depth 3 never tried


def test_a_small_stage_keeps_the_choices_it_never_tried():
    search = _quadratic_search(n_iter=[2, 6, 6], top_k=1).fit(X_TOY, Y_TOY)
    res = search.cv_results_
    tried = set(res["param_act"][res["stage"] == 0])
    stage0 = np.where(res["stage"] == 0, res["mean_test_score"], -np.inf)
    winner = res["params"][int(np.argmax(stage0))]["act"]
    # 2 candidates cannot try all 3 choices: the untried stay beside the winner's
    expected = [a for a in ["bad", "good", "worse"] if a == winner or a not in tried]
    assert len(expected) > 1
    assert search.stage_distributions_[1]["act"] == expected


# ---------------------------------------------------------------------------
# coarse-to-fine search
# ---------------------------------------------------------------------------


def _quadratic_search(**kwargs):
    params = dict(
        n_stages=3, n_iter=20, top_k=4, margin=0.1, cv=2, random_state=0, refit=False
    )
    params.update(kwargs)
    space = {
        "lr": log_uniform(1e-6, 1.0),
        "alpha": stats.uniform(0.0, 1.0),
        "act": ["bad", "good", "worse"],
    }
    return CoarseToFineSearchCV(Quadratic(), space, **params)


def test_ranges_narrow_around_the_optimum():
    search = _quadratic_search().fit(X_TOY, Y_TOY)
    res = search.cv_results_
    assert res["stage"].dtype.kind == "i"
    np.testing.assert_array_equal(res["stage"], np.repeat([0, 1, 2], 20))
    decades = [_decades(d["lr"]) for d in search.stage_distributions_]
    assert decades[0] == 6 and decades[0] > decades[1] > decades[2]
    for dists in search.stage_distributions_:
        lo, hi = dists["lr"].support()
        assert lo <= 1e-3 <= hi  # the optimum is never cut off
    # the categorical choice narrows to the winner
    assert search.stage_distributions_[1]["act"] == ["good"]
    assert set(res["param_act"][res["stage"] == 2]) == {"good"}
    # later stages are better on average, and the best is close to 1e-3
    means = [np.mean(res["mean_test_score"][res["stage"] == s]) for s in range(3)]
    assert means[0] < means[1] < means[2]
    assert abs(math.log10(search.best_params_["lr"]) + 3) < 0.1


def test_reproducible_with_random_state():
    a = _quadratic_search(random_state=7).fit(X_TOY, Y_TOY)
    b = _quadratic_search(random_state=7).fit(X_TOY, Y_TOY)
    c = _quadratic_search(random_state=8).fit(X_TOY, Y_TOY)
    assert a.cv_results_["params"] == b.cv_results_["params"]
    assert a.best_params_ == b.best_params_
    assert a.cv_results_["params"] != c.cv_results_["params"]
    # a RandomState instance is consumed, not reset
    rng = np.random.RandomState(0)
    d = _quadratic_search(random_state=rng).fit(X_TOY, Y_TOY)
    e = _quadratic_search(random_state=rng).fit(X_TOY, Y_TOY)
    assert d.cv_results_["params"] != e.cv_results_["params"]


def test_works_on_a_pipeline():
    pipe = Pipeline([("scale", StandardScaler()), ("clf", Quadratic())])
    search = CoarseToFineSearchCV(
        pipe,
        {"clf__lr": log_uniform(1e-6, 1.0), "clf__act": ["good", "bad"]},
        n_stages=2,
        n_iter=10,
        top_k=3,
        cv=2,
        random_state=0,
    ).fit(X_TOY, Y_TOY)
    assert set(search.best_params_) == {"clf__lr", "clf__act"}
    assert search.best_estimator_.named_steps["clf"].act == "good"
    assert _decades(search.stage_distributions_[1]["clf__lr"]) < 6


def test_stage_params_budget_and_refit():
    search = _quadratic_search(
        stage_params=[{"max_iter": 1}, {"max_iter": 5}, {}], refit=True
    ).fit(X_TOY, Y_TOY)
    res = search.cv_results_
    iters = res["param_max_iter"]
    assert list(iters[res["stage"] == 0]) == [1] * 20
    assert list(iters[res["stage"] == 1]) == [5] * 20
    assert iters.mask[res["stage"] == 2].all()  # the final stage uses the default
    # the best is taken from the final budget: the refit trains with it
    assert res["stage"][search.best_index_] == 2
    assert "max_iter" not in search.best_params_
    assert search.best_estimator_.max_iter == 100


def test_stage_params_equal_budgets_are_comparable():
    # stages 1 and 2 share the final budget, so the best may come from either
    search = _quadratic_search(stage_params=[{"max_iter": 1}, {}, {}]).fit(X_TOY, Y_TOY)
    res = search.cv_results_
    later = np.flatnonzero(res["stage"] > 0)
    assert search.best_index_ == later[np.argmax(res["mean_test_score"][later])]


def _stage_rows(res, stage):
    return [res["params"][i] for i in np.flatnonzero(res["stage"] == stage)]


def test_promote_runs_the_winners_again_under_the_next_budget():
    budgets = [{"max_iter": 1}, {"max_iter": 5}, {}]
    search = _quadratic_search(stage_params=budgets, promote=2, n_iter=[20, 6, 4]).fit(
        X_TOY, Y_TOY
    )
    res = search.cv_results_
    scores = res["mean_test_score"]
    np.testing.assert_array_equal(
        res["promoted"], [False] * 20 + [True, True] + [False] * 4 + [True, True, False, False]
    )
    for stage in (1, 2):
        before = np.flatnonzero(res["stage"] == stage - 1)
        best_two = before[np.argsort(-scores[before], kind="stable")[:2]]
        searched = [{k: res["params"][i][k] for k in ("lr", "alpha", "act")} for i in best_two]
        expected = [{**p, **budgets[stage]} for p in searched]
        # the winners, best first, with this stage's budget (none: the default)
        assert _stage_rows(res, stage)[:2] == expected
    # the final budget saw stage 1's best, so nothing better is lost
    stage1 = scores[res["stage"] == 1]
    assert search.best_score_ >= stage1.max()
    assert res["stage"][search.best_index_] == 2


def test_promote_zero_draws_as_before_and_equal_budgets_promote_nothing():
    plain = _quadratic_search(stage_params=[{"max_iter": 1}, {}, {}]).fit(X_TOY, Y_TOY)
    zero = _quadratic_search(stage_params=[{"max_iter": 1}, {}, {}], promote=0).fit(
        X_TOY, Y_TOY
    )
    assert zero.cv_results_["params"] == plain.cv_results_["params"]
    assert not plain.cv_results_["promoted"].any()
    # stages 1 and 2 share a budget: stage 2 would repeat stage 1's fits unchanged
    some = _quadratic_search(stage_params=[{"max_iter": 1}, {}, {}], promote=3).fit(
        X_TOY, Y_TOY
    )
    res = some.cv_results_
    assert res["promoted"][res["stage"] == 1].sum() == 3
    assert not res["promoted"][res["stage"] == 2].any()
    # no budgets at all: nothing is promoted
    none = _quadratic_search(promote=3).fit(X_TOY, Y_TOY)
    assert not none.cv_results_["promoted"].any()


def test_promote_is_capped_by_top_k_and_n_iter():
    budgets = [{"max_iter": 1}, {"max_iter": 5}, {"max_iter": 9}]
    res = _quadratic_search(
        stage_params=budgets, promote=10, top_k=3, n_iter=[12, 2, 5]
    ).fit(X_TOY, Y_TOY).cv_results_
    # stage 1 has room for 2; stage 2 takes stage 1's 2 (fewer than top_k) and draws 3
    assert list(res["promoted"][res["stage"] == 1]) == [True, True]
    assert list(res["promoted"][res["stage"] == 2]) == [True, True, False, False, False]


class ArrayBudget(BaseEstimator):
    """Takes an array parameter (fixed per stage); best at lr = 1e-2."""

    def __init__(self, lr=0.1, w=None):
        self.lr = lr
        self.w = w

    def fit(self, X, y=None):
        return self

    def score(self, X, y=None):
        return -abs(math.log10(self.lr) + 2)


@pytest.mark.parametrize("promote", [0, 2])
@pytest.mark.parametrize("refit", [True, lambda results: 0])
def test_array_valued_stage_params(promote, refit):
    budgets = [{"w": np.array([1.0, 2.0])}, {"w": np.array([1.0, 3.0])}]
    search = CoarseToFineSearchCV(
        ArrayBudget(), {"lr": log_uniform(1e-4, 1.0)}, n_stages=2, n_iter=3, cv=2,
        random_state=0, refit=refit, stage_params=budgets, promote=promote,
    ).fit(X_TOY, Y_TOY)
    res = search.cv_results_
    np.testing.assert_array_equal(res["stage"], [0, 0, 0, 1, 1, 1])
    assert list(res["promoted"]) == [False] * 3 + [True] * promote + [False] * (3 - promote)
    # arrays compare by identity: the last stage's own dict is the final budget
    assert res["stage"][search.best_index_] == (0 if callable(refit) else 1)


def test_promote_skips_failed_winners_and_a_failed_stage_keeps_the_column():
    search = _flaky_search([OK, RUNTIME, OK], promote=2)
    with pytest.warns(FitFailedWarning, match="Stage 1: all 6 fits failed"):
        search.fit(X_TOY, Y_TOY)
    res = search.cv_results_
    # stage 1 ran stage 0's two best again (and failed); stage 2 has no
    # winners to promote, so it only draws
    np.testing.assert_array_equal(res["promoted"], [False] * 4 + [True, True, False] + [False] * 2)
    assert [p["fail"] for p in res["params"][4:6]] == ["runtime", "runtime"]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_iter": [5, 5]}, "n_iter"),
        ({"stage_params": [{}, {}]}, "stage_params"),
        ({"stage_params": [{"lr": 1}, {}, {}]}, "both searched"),
    ],
)
def test_bad_configuration_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _quadratic_search(**kwargs).fit(X_TOY, Y_TOY)


def test_check_param_validation():
    search = CoarseToFineSearchCV(
        LogisticRegression(), {"C": log_uniform(1e-2, 1e2)}, n_stages=2, n_iter=2, cv=2
    )
    check_param_validation("CoarseToFineSearchCV", search)


def test_parameter_validation():
    with pytest.raises(InvalidParameterError):
        _quadratic_search(n_stages=0).fit(X_TOY, Y_TOY)
    with pytest.raises(InvalidParameterError):
        _quadratic_search(margin=-1).fit(X_TOY, Y_TOY)
    with pytest.raises(TypeError, match="rvs"):
        CoarseToFineSearchCV(Quadratic(), {"lr": 0.1}).fit(X_TOY, Y_TOY)


def test_n_iter_per_stage_and_scipy_user_distributions():
    search = CoarseToFineSearchCV(
        Quadratic(),
        {"lr": stats.loguniform(1e-6, 1.0), "width": stats.randint(1, 100)},
        n_stages=3,
        n_iter=[12, 6, 3],
        top_k=2,
        cv=2,
        random_state=0,
    ).fit(X_TOY, Y_TOY)
    assert np.bincount(search.cv_results_["stage"]).tolist() == [12, 6, 3]
    width_range = search_range(search.stage_distributions_[1]["width"])
    assert width_range.integer and not width_range.log


def test_failure_reason_column():
    search = CoarseToFineSearchCV(
        Failing(), {"x": [0, 1, 2]}, n_stages=1, n_iter=6, cv=2, random_state=0
    )
    with pytest.warns(FitFailedWarning):
        search.fit(X_TOY, Y_TOY)
    res = search.cv_results_
    for x, reason, score in zip(res["param_x"], res["failure_reason"], res["mean_test_score"]):
        if x == 1:
            assert reason == "RuntimeError: x must not be 1\nsecond line"
            assert np.isnan(score)
        else:
            assert reason == "" and not np.isnan(score)


def test_failed_candidates_never_win_even_with_finite_error_score():
    # error_score=100 beats every real score (<= 2), yet failures are no winners
    search = CoarseToFineSearchCV(
        Failing(),
        {"x": [0, 1, 2]},
        n_stages=2,
        n_iter=9,
        top_k=1,
        cv=2,
        random_state=0,
        error_score=100.0,
    )
    with pytest.warns(FitFailedWarning):
        search.fit(X_TOY, Y_TOY)
    assert search.stage_distributions_[1]["x"] == [2]
    assert search.best_params_ == {"x": 2}


def test_diverging_candidate_is_abandoned_early():
    EPOCH_LOG.clear()
    max_iter = 30
    search = CoarseToFineSearchCV(
        ToyTrainer(max_iter=max_iter, divergence_threshold=3.0),
        {"lr": log_uniform(1e-2, 1e2)},
        n_stages=2,
        n_iter=10,
        top_k=3,
        cv=2,
        random_state=0,
    )
    with pytest.warns(FitFailedWarning):
        search.fit(X_TOY, Y_TOY)
    res = search.cv_results_
    diverged = np.array([r.startswith("diverged: ") for r in res["failure_reason"]])
    lrs = np.asarray(res["param_lr"], dtype=float)
    # lr > 1 + ln(3) / max_iter diverges; the others train fully
    np.testing.assert_array_equal(diverged, lrs > 1 + math.log(3) / max_iter)
    assert diverged.any() and not diverged.all()
    assert np.isnan(res["mean_test_score"][diverged]).all()
    assert (res["failure_reason"][~diverged] == "").all()
    # epochs actually run (the last fit is the refit)
    fold_logs = EPOCH_LOG[:-1]
    for lr, epochs in fold_logs:
        if lr > 3:  # loss > 3x after one epoch
            assert epochs == 1
        elif lr < 1:
            assert epochs == max_iter
    n_fast = sum(1 for lr, _ in fold_logs if lr > 3)
    assert n_fast > 0
    # diverged runs are no winners: the next stage's range stays below lr = 1
    assert search.stage_distributions_[1]["lr"].support()[1] < 1.5
    assert search.best_params_["lr"] < 1


# ---------------------------------------------------------------------------
# the ready MLP space
# ---------------------------------------------------------------------------


def test_mlp_search_space():
    space = mlp_search_space()
    assert search_range(space["learning_rate_init"]) == SearchRange(1e-5, 1e-1, True, False)
    assert search_range(space["alpha"]) == SearchRange(1e-7, 1e-1, True, False)
    assert search_range(space["dropout"]) == SearchRange(0.0, 0.5, False, False)
    assert space["hidden_layer_sizes"].width == LogUniformInt(16, 512)
    assert space["batch_norm"] == [False, True]
    assert space["init"] == ["auto", "he", "lecun_normal"]
    fixed = mlp_search_space(prefix="mlp__", activation=["relu"], dropout=None)
    assert fixed["mlp__activation"] == ["relu"] and "mlp__dropout" not in fixed
    # samples are valid sklearn MLP arguments where the names coincide
    rng = np.random.RandomState(0)
    sizes = space["hidden_layer_sizes"].rvs(random_state=rng)
    assert isinstance(sizes, tuple) and 1 <= len(sizes) <= 3


def test_sknet_mlp_diverges_and_is_abandoned():
    from sknet import MLPClassifier

    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    common = dict(
        hidden_layer_sizes=(32,),
        solver="sgd",
        momentum=0.0,
        max_iter=30,
        batch_size=16,
        divergence_threshold=3.0,
        random_state=0,
    )
    batches_per_epoch = math.ceil(len(X) / 16)
    # the huge learning rate explodes within the first of 30 epochs
    with pytest.raises(TrainingDivergedError) as info:
        MLPClassifier(learning_rate_init=1e3, **common).fit(X, y)
    assert info.value.n_iter == 0
    assert 1 <= info.value.n_batches < batches_per_epoch
    assert info.value.loss > 3.0 * info.value.initial_loss
    # a sane learning rate is not stopped
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MLPClassifier(learning_rate_init=1e-2, **common).fit(X, y)
    search = CoarseToFineSearchCV(
        MLPClassifier(**common),
        {"learning_rate_init": [1e3, 1e-2]},
        n_stages=1,
        n_iter=6,
        cv=2,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    res = search.cv_results_
    for lr, reason in zip(res["param_learning_rate_init"], res["failure_reason"]):
        assert reason.startswith("diverged: ") == (lr == 1e3), (lr, reason)
    assert search.best_params_ == {"learning_rate_init": 1e-2}


def test_mlp_search_space_drives_sknet_mlp_in_a_pipeline():
    from sknet import MLPClassifier

    X, y = load_iris(return_X_y=True)
    pipe = Pipeline(
        [("scale", StandardScaler()), ("clf", MLPClassifier(max_iter=3, random_state=0))]
    )
    space = mlp_search_space(prefix="clf__", width=(4, 16), depth=(1, 2))
    search = CoarseToFineSearchCV(
        pipe, space, n_stages=2, n_iter=3, top_k=2, cv=2, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    # every sampled value is a valid argument: no failures
    assert (search.cv_results_["failure_reason"] == "").all()
    assert set(search.best_params_) == set(space)


# ---------------------------------------------------------------------------
# distributed
# ---------------------------------------------------------------------------


@pytest.mark.dask
def test_dask_cluster_gives_the_local_result():
    distributed = pytest.importorskip("distributed")
    import joblib

    X, y = load_iris(return_X_y=True)

    def search():
        return CoarseToFineSearchCV(
            LogisticRegression(max_iter=300),
            {"C": log_uniform(1e-4, 1e4), "fit_intercept": [True, False]},
            n_stages=2,
            n_iter=6,
            top_k=2,
            cv=3,
            random_state=0,
        )

    local = search().fit(X, y)
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster, distributed.Client(cluster) as client:
        with joblib.parallel_backend("dask"):
            remote = search().fit(X, y)
        assert len(client.scheduler_info()["workers"]) == 2
    assert remote.best_params_ == local.best_params_
    assert remote.cv_results_["params"] == local.cv_results_["params"]
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )


@pytest.mark.dask
@pytest.mark.parametrize("everyone", [False, True], ids=["one worker", "every worker"])
def test_a_search_survives_killed_workers(tmp_path, everyone):
    """The first worker to score a candidate is killed (SIGKILL; its nanny
    restarts it), or every worker at once, which loses every copy of the data
    the client scattered. The search finishes with the undisturbed run's
    results: dask reschedules the fits, or, when the data is gone, the stage
    is rerun, counting nothing twice."""
    distributed = pytest.importorskip("distributed")
    import functools

    import joblib

    from helpers import score_or_kill_workers

    from sknet.exceptions import WorkerLostWarning

    X, y = load_iris(return_X_y=True)
    sentinel = tmp_path / "killed"

    def search():
        return CoarseToFineSearchCV(
            LogisticRegression(max_iter=300),
            {"C": log_uniform(1e-4, 1e4), "fit_intercept": [True, False]},
            n_stages=2, n_iter=6, top_k=2, cv=3, random_state=0,
            scoring=functools.partial(score_or_kill_workers, sentinel=str(sentinel),
                                      everyone=everyone),
        )

    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as cluster, distributed.Client(cluster):
        with warnings.catch_warnings(record=True) as caught, joblib.parallel_backend("dask"):
            warnings.simplefilter("always")
            disturbed = search().fit(X, y)
    assert sentinel.exists()  # workers did die
    reruns = [w for w in caught if issubclass(w.category, WorkerLostWarning)]
    if everyone:  # no copy of the scattered data survived: stage 0 was rerun
        assert reruns and "Stage 0" in str(reruns[0].message)
        # and at most once more, when a later call ran the cancelled call's leftovers
        assert len(reruns) <= 2
        assert all("leftovers of a call" in str(w.message) for w in reruns[1:])
    undisturbed = search().fit(X, y)  # outside dask, the scorer only scores
    assert disturbed.cv_results_["params"] == undisturbed.cv_results_["params"]
    assert len(disturbed.cv_results_["params"]) == 12
    for key in ("mean_test_score", "split0_test_score", "stage"):
        np.testing.assert_allclose(disturbed.cv_results_[key], undisturbed.cv_results_[key])
    assert disturbed.best_params_ == undisturbed.best_params_


def test_a_stage_whose_worker_died_is_rerun_once(monkeypatch):
    """The rerun logic without a cluster: a call cancelled by dask is
    repeated with the same candidates and a WorkerLostWarning; anything else,
    and a fourth loss in a row, propagates."""
    distributed = pytest.importorskip("distributed")
    from distributed.client import FutureCancelledError

    from sknet.exceptions import WorkerLostWarning

    search = CoarseToFineSearchCV(LogisticRegression(), {"C": log_uniform(1e-2, 1e2)})
    calls = []

    def flaky(failures):
        def evaluate(candidates, more_results, callback_ctx):
            calls.append(list(candidates))
            if failures:
                raise failures.pop(0)
            return {"params": candidates}
        return evaluate

    candidates = [{"C": 1.0}, {"C": 2.0}]
    lost = FutureCancelledError("batch-1", reason="already forgotten")
    with pytest.warns(WorkerLostWarning, match="Stage 1: a dask worker was lost"):
        out = search._evaluate_stage(flaky([lost]), candidates, 1, None)
    assert out == {"params": candidates} and calls == [candidates, candidates]
    with pytest.raises(FutureCancelledError), warnings.catch_warnings():
        warnings.simplefilter("ignore", WorkerLostWarning)
        search._evaluate_stage(flaky([lost] * 4), candidates, 0, None)
    with pytest.raises(distributed.KilledWorker):
        search._evaluate_stage(flaky([distributed.KilledWorker("t", None, 3)]), candidates, 0, None)
    with pytest.raises(ValueError):
        search._evaluate_stage(flaky([ValueError("bad")]), candidates, 0, None)


@pytest.mark.parametrize("surplus_call", [1, 2], ids=["stage 0", "stage 1"])
def test_a_call_with_outputs_left_over_from_a_cancelled_one_is_rerun(monkeypatch, surplus_call):
    """joblib keeps tasks it prefetched for a call that a lost worker
    cancelled, and runs them first in the next call on the same Parallel
    (scikit-learn's one per search): that call returns more outputs than it
    had fits. Here a Parallel hands back two outputs of its previous call (or,
    for the first call, repeated ones) in front of its own, once; the search
    takes that call back out of scikit-learn's lists and reruns the stage, and
    ends with the undisturbed run's results."""
    import sklearn.model_selection._search as sk_search

    from sknet.exceptions import WorkerLostWarning

    X, y = load_iris(return_X_y=True)

    def search():
        return CoarseToFineSearchCV(
            LogisticRegression(max_iter=300),
            {"C": log_uniform(1e-4, 1e4), "fit_intercept": [True, False]},
            n_stages=2, n_iter=6, top_k=2, cv=3, random_state=0,
        )

    undisturbed = search().fit(X, y)
    calls = []

    class LeftoverParallel(sk_search.Parallel):
        def __call__(self, iterable):
            out = super().__call__(iterable)
            calls.append(out)
            if len(calls) == surplus_call:
                stale = calls[-2][:2] if len(calls) > 1 else out[:2]
                return [dict(o) for o in stale] + out
            return out

    monkeypatch.setattr(sk_search, "Parallel", LeftoverParallel)
    with pytest.warns(WorkerLostWarning) as caught:
        disturbed = search().fit(X, y)
    assert len(calls) == 3  # the stage with the surplus ran twice
    assert len(caught) == 1
    message = str(caught[0].message)
    assert f"Stage {surplus_call - 1}" in message and "20 fit outputs came back for 18" in message
    assert disturbed.cv_results_["params"] == undisturbed.cv_results_["params"]
    for key in ("mean_test_score", "split0_test_score", "split2_test_score", "stage"):
        np.testing.assert_allclose(disturbed.cv_results_[key], undisturbed.cv_results_[key])
    assert disturbed.best_params_ == undisturbed.best_params_


def test_a_failed_stage_with_outputs_left_over_from_a_cancelled_call_is_rerun(monkeypatch):
    """The same leftovers in a stage whose every fit fails (its stage_params
    are invalid), the leftovers failed fits too: scikit-learn raises before
    recording the call, so the count is judged on the outputs its error
    carries. The stage is rerun, then kept aside as failed, as undisturbed."""
    import sklearn.model_selection._search as sk_search

    from sknet.exceptions import WorkerLostWarning

    X, y = load_iris(return_X_y=True)

    def search():
        return CoarseToFineSearchCV(
            LogisticRegression(max_iter=300),
            {"C": log_uniform(1e-4, 1e4)},
            n_stages=2, n_iter=6, top_k=2, cv=3, random_state=0,
            stage_params=[{"tol": 1e-4}, {"tol": -1.0}],  # stage 1 cannot fit
        )

    with pytest.warns(FitFailedWarning):
        undisturbed = search().fit(X, y)
    assert undisturbed.cv_results_["failure_reason"][6:].all()
    calls = []

    class LeftoverParallel(sk_search.Parallel):
        def __call__(self, iterable):
            out = super().__call__(iterable)
            calls.append(out)
            if len(calls) == 2:
                return [dict(o) for o in out[:2]] + out
            return out

    monkeypatch.setattr(sk_search, "Parallel", LeftoverParallel)
    with pytest.warns(WorkerLostWarning, match="Stage 1.*20 fit outputs came back for 18"):
        disturbed = search().fit(X, y)
    assert len(calls) == 3
    assert disturbed.cv_results_["params"] == undisturbed.cv_results_["params"]
    np.testing.assert_array_equal(
        disturbed.cv_results_["failure_reason"], undisturbed.cv_results_["failure_reason"]
    )
    np.testing.assert_allclose(
        disturbed.cv_results_["mean_test_score"], undisturbed.cv_results_["mean_test_score"]
    )
    assert disturbed.best_params_ == undisturbed.best_params_


def test_lost_workers_and_their_leftovers_have_a_rerun_budget_each():
    """Each lost worker costs two reruns (the cancelled call, then the call
    that returns its leftovers): three losses in one stage still finish,
    while a fourth loss, or a fourth call with leftovers, ends the search
    with that error, also when the leftovers came with an all-failed call."""
    distributed = pytest.importorskip("distributed")
    from distributed.client import FutureCancelledError
    from sklearn.model_selection._validation import _warn_or_raise_about_fit_failures

    from sknet.exceptions import WorkerLostWarning
    from sknet.model_selection._workers import _StaleOutputsError

    search = CoarseToFineSearchCV(LogisticRegression(), {"C": log_uniform(1e-2, 1e2)})
    search.n_splits_ = 2
    candidates = [{"C": 1.0}, {"C": 2.0}]

    def lost():
        return FutureCancelledError("batch-1", reason="already forgotten")

    def stale():
        return _StaleOutputsError("6 fit outputs came back for 4 fits")

    def all_failed_with_leftovers():
        try:  # scikit-learn's own error, its frame holding 6 failed outputs
            _warn_or_raise_about_fit_failures([{"fit_error": "Traceback\nValueError: x"}] * 6,
                                              np.nan)
        except ValueError as exc:
            return exc

    def run(failures):
        calls = []

        def evaluate(cands, more_results, callback_ctx):
            calls.append(callback_ctx)
            if failures:
                raise failures.pop(0)
            return {"params": cands}

        return search._evaluate_stage(evaluate, candidates, 1, "ctx"), calls

    with pytest.warns(WorkerLostWarning) as caught:
        out, calls = run([lost(), stale(), lost(), stale(), lost(), stale()])
    assert out == {"params": candidates} and len(calls) == 7
    assert calls == ["ctx"] + [None] * 6  # callbacks see the first attempt only
    assert [("was lost" in str(w.message), "leftovers" in str(w.message)) for w in caught] == [
        (True, False), (False, True)] * 3
    assert "rerun 3 of at most 3 for lost workers" in str(caught[4].message)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WorkerLostWarning)
        with pytest.raises(FutureCancelledError):
            run([lost()] * 4)
        with pytest.raises(_StaleOutputsError, match="6 fit outputs came back for 4"):
            run([stale()] * 4)
        with pytest.raises(_StaleOutputsError, match="6 fit outputs came back for 4") as info:
            run([stale()] * 3 + [all_failed_with_leftovers()])
    assert "All the 6 fits failed" in str(info.value.__cause__)


def test_new_activations_run_through_a_search():
    """gelu and silu, added as one class and one table entry, work in the
    search space like the others."""
    from sklearn.datasets import load_iris

    from sknet import MLPClassifier
    from sknet.model_selection import CoarseToFineSearchCV, mlp_search_space

    X, y = load_iris(return_X_y=True)
    space = mlp_search_space(activation=("gelu", "silu"), width=(4, 8), depth=(1,),
                             batch_norm=None, dropout=None, init=None)
    search = CoarseToFineSearchCV(MLPClassifier(max_iter=30, random_state=0), space,
                                  n_stages=1, n_iter=4, cv=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    assert set(search.cv_results_["param_activation"]) <= {"gelu", "silu"}
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


class _Recorder:
    """An auto-propagated callback that records every task that ends."""

    max_propagation_depth = None

    def __init__(self):
        self.ended = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        self.ended.append((type(estimator).__name__, context.task_name))


def test_callbacks_see_every_candidate_fit_across_stages():
    """scikit-learn 1.9's callbacks reach every candidate and fold of every
    stage, and the epochs of the sknet estimators inside (sknet 0.1: only
    'fit' and 'refit', its _run_search took no callback_ctx)."""
    from sklearn.datasets import load_iris

    from sknet import MLPClassifier
    from sknet.model_selection import CoarseToFineSearchCV

    X, y = load_iris(return_X_y=True)
    recorder = _Recorder()
    search = CoarseToFineSearchCV(
        MLPClassifier((4,), max_iter=3, random_state=0), {"alpha": log_uniform(1e-5, 1e-1)},
        n_stages=2, n_iter=[3, 2], cv=2, random_state=0,
    ).set_callbacks(recorder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    ended = recorder.ended
    assert ended.count(("CoarseToFineSearchCV", "stage")) == 2
    assert ended.count(("CoarseToFineSearchCV", "search")) == 1
    # each candidate-and-fold task ends as the sub-estimator's fit (scikit-learn
    # merges the two contexts): every fold of both stages, and the refit
    assert ended.count(("MLPClassifier", "fit")) == (3 + 2) * 2 + 1
    assert ended.count(("MLPClassifier", "epoch")) == ((3 + 2) * 2 + 1) * 3


# ---------------------------------------------------------------------------
# a stage in which every fit fails
# ---------------------------------------------------------------------------


class Flaky(BaseEstimator):
    """Fails when ``fail`` is set (a stage_params budget); best at lr = 1e-2."""

    def __init__(self, lr=0.1, fail=None):
        self.lr = lr
        self.fail = fail

    def fit(self, X, y=None):
        if self.fail == "runtime":
            raise RuntimeError(f"no budget at lr {self.lr:.3g}")
        if self.fail == "value":
            raise ValueError("bad budget")
        return self

    def score(self, X, y=None):
        return -((math.log10(self.lr) + 2) ** 2)


def _flaky_search(stage_params, **kwargs):
    return CoarseToFineSearchCV(
        Flaky(), {"lr": log_uniform(1e-4, 1.0)}, n_stages=3, n_iter=[4, 3, 2], cv=2,
        random_state=0, stage_params=stage_params, **kwargs,
    )


OK, RUNTIME, VALUE = {"fail": None}, {"fail": "runtime"}, {"fail": "value"}


def test_a_stage_where_every_fit_fails_is_recorded_and_the_search_goes_on():
    """scikit-learn raises 'All the 8 fits failed' for stage 0; the search
    records its candidates (their real outputs: fit times, reasons), warns,
    samples the same spaces again and picks the best of the later stages."""
    search = _flaky_search([RUNTIME, OK, OK])
    with pytest.warns(FitFailedWarning) as caught:
        search.fit(X_TOY, Y_TOY)
    messages = [str(w.message) for w in caught if w.category is FitFailedWarning]
    assert messages == [(
        "Stage 0: all 8 fits failed; most common reason (8 of 8 fits): RuntimeError, "
        f"e.g. no budget at lr {search.cv_results_['param_lr'][0]:.3g}. Its candidates "
        "score error_score=nan and the next stage samples the same spaces again."
    )]
    res = search.cv_results_
    assert len(res["params"]) == 9
    for key, value in res.items():
        assert len(value) == 9, key
    np.testing.assert_array_equal(res["stage"], [0] * 4 + [1] * 3 + [2] * 2)
    for lr, reason in zip(res["param_lr"][:4], res["failure_reason"][:4]):
        assert reason == f"RuntimeError: no budget at lr {lr:.3g}"
    assert (res["failure_reason"][4:] == "").all()
    assert np.isnan(res["mean_test_score"][:4]).all()
    assert np.isfinite(res["mean_test_score"][4:]).all()
    assert np.isfinite(res["mean_fit_time"]).all()
    assert (res["rank_test_score"][:4] == 6).all()  # NaN ranks after the 5 others
    assert [p["fail"] for p in res["params"]] == ["runtime"] * 4 + [None] * 5
    # no winners in stage 0: stage 1 samples the original space
    assert search_range(search.stage_distributions_[1]["lr"]) == search_range(
        log_uniform(1e-4, 1.0)
    )
    assert search.best_index_ >= 4
    assert search.best_params_ == res["params"][search.best_index_]
    assert search.best_params_["fail"] is None
    assert search.best_score_ == np.max(res["mean_test_score"][4:])
    assert search.best_estimator_.lr == search.best_params_["lr"]


def test_a_failed_middle_stage_keeps_the_spaces():
    search = _flaky_search([OK, RUNTIME, OK])
    with pytest.warns(FitFailedWarning, match="Stage 1: all 6 fits failed"):
        search.fit(X_TOY, Y_TOY)
    res = search.cv_results_
    np.testing.assert_array_equal(res["stage"], [0] * 4 + [1] * 3 + [2] * 2)
    failed = np.array([r != "" for r in res["failure_reason"]])
    np.testing.assert_array_equal(failed, res["stage"] == 1)
    r1, r2 = (search_range(d["lr"]) for d in search.stage_distributions_[1:])
    assert r1 == r2 and r1 != search_range(log_uniform(1e-4, 1.0))
    assert res["stage"][search.best_index_] in (0, 2)


def test_a_failed_last_stage_is_recorded_and_an_earlier_budget_wins():
    """The last stage never reaches scikit-learn's results (no call follows
    it): it is appended after the search; the final budget's candidates all
    failed, so the best of the others is refitted with its own budget."""
    search = _flaky_search([OK, OK, RUNTIME])
    with pytest.warns(FitFailedWarning, match="Stage 2: all 4 fits failed.*earlier stages"), \
            pytest.warns(UserWarning, match="No candidate run with the last stage's"):
        search.fit(X_TOY, Y_TOY)
    res = search.cv_results_
    assert len(res["params"]) == 9
    np.testing.assert_array_equal(res["stage"], [0] * 4 + [1] * 3 + [2] * 2)
    assert (res["failure_reason"][7:] != "").all() and (res["failure_reason"][:7] == "").all()
    assert (res["rank_test_score"][7:] == 8).all()
    ok = res["mean_test_score"][:7]
    assert search.best_index_ == int(np.argmax(ok))
    assert search.best_params_["fail"] is None and search.best_score_ == ok.max()


def test_every_fit_of_every_stage_failing_raises_one_short_error():
    search = _flaky_search([RUNTIME, VALUE, VALUE])
    with pytest.raises(ValueError) as excinfo, warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        search.fit(X_TOY, Y_TOY)
    message = str(excinfo.value)
    assert message == (
        "All 18 fits of the search (3 stages) failed; most common reason (10 of 18 fits): "
        "ValueError: bad budget. Check the estimator and the ranges of param_distributions; "
        "error_score='raise' shows the first failure's traceback."
    )
    with pytest.raises(ValueError, match=r"^All 4 fits of the search \(1 stage\) failed; "
                       r"most common reason \(4 of 4 fits\): RuntimeError: x must not be 1 "
                       r"second line\. Check"), warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        CoarseToFineSearchCV(Failing(), {"x": [1]}, n_stages=1, n_iter=2, cv=2).fit(X_TOY, Y_TOY)


def test_error_score_raise_still_raises_the_first_failure():
    with pytest.raises(RuntimeError, match="no budget"):
        _flaky_search([RUNTIME, OK, OK], error_score="raise").fit(X_TOY, Y_TOY)


def test_a_failed_stage_with_a_callable_multimetric_scorer():
    """A callable scorer returning a dict: the failed stage's scalar error
    scores become dicts, as scikit-learn does within one call."""
    def scoring(est, X, y):
        return {"neg": est.score(X, y), "one": 1.0}

    search = _flaky_search([RUNTIME, OK, OK], scoring=scoring, refit="neg")
    with pytest.warns(FitFailedWarning, match="Stage 0: all 8 fits failed"):
        search.fit(X_TOY, Y_TOY)
    res = search.cv_results_
    assert np.isnan(res["mean_test_neg"][:4]).all() and np.isnan(res["mean_test_one"][:4]).all()
    assert (res["mean_test_one"][4:] == 1.0).all()
    assert search.best_index_ >= 4


def test_sknet_mlp_whose_first_stage_all_diverges():
    """The lecture's case: a first stage whose learning rate is far too high
    diverges on every fit; the search goes on to the sane one."""
    from sknet import MLPClassifier

    X, y = load_iris(return_X_y=True)
    search = CoarseToFineSearchCV(
        MLPClassifier((8,), max_iter=10, divergence_threshold=10, random_state=0),
        {"alpha": log_uniform(1e-5, 1e-1)}, n_stages=2, n_iter=[3, 2], cv=2, random_state=0,
        stage_params=[{"learning_rate_init": 1e4}, {"learning_rate_init": 1e-2}],
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(X, y)
    failed = [str(w.message) for w in caught if w.category is FitFailedWarning]
    assert len(failed) == 1
    assert failed[0].startswith(
        "Stage 0: all 6 fits failed; most common reason (6 of 6 fits): diverged, e.g. "
        "Training diverged: the mini-batch loss reached"
    )
    res = search.cv_results_
    assert all(r.startswith("diverged: Training diverged") for r in res["failure_reason"][:3])
    assert (res["failure_reason"][3:] == "").all()
    assert search.best_params_["learning_rate_init"] == 1e-2
    assert search.best_score_ > 0.5


def test_only_all_failed_errors_are_taken_back():
    """A ValueError that is not scikit-learn's 'all fits failed' propagates.
    The count of the outputs is judged apart: anything but one per fit is
    stale."""
    from sklearn.model_selection._validation import _warn_or_raise_about_fit_failures

    from sknet.model_selection._failures import _outputs_of_all_failed
    from sknet.model_selection._workers import _check_fit_count, _StaleOutputsError

    def all_failed(results):
        try:
            _warn_or_raise_about_fit_failures(results, np.nan)
        except ValueError as exc:
            return exc

    out = [{"fit_error": "Traceback\nRuntimeError: x"}] * 4
    assert _outputs_of_all_failed(all_failed(out)) is out
    assert _outputs_of_all_failed(ValueError("All the 4 fits failed")) is None
    assert _outputs_of_all_failed(RuntimeError("boom")) is None
    _check_fit_count(4, 4)
    with pytest.raises(_StaleOutputsError, match="6 fit outputs came back for 4 fits"):
        _check_fit_count(6, 4)


# ---------------------------------------------------------------------------
# progress inside a stage
# ---------------------------------------------------------------------------

LINE = re.compile(
    r"^  stage (\d)/3: (\d+)/(\d+) fits done, \d+ s elapsed(, about \d+ s left)?$"
)


def _progress_search(n_jobs=1):
    from sklearn.linear_model import RidgeClassifier  # fits in no time

    return CoarseToFineSearchCV(
        RidgeClassifier(), {"alpha": log_uniform(1e-2, 1e2)},
        n_stages=3, n_iter=[4, 3, 2], cv=2, random_state=0, n_jobs=n_jobs,
    )


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_search_progress_counts_every_fit(n_jobs):
    """n_jobs=2 runs the fits in loky processes: their counts come back over
    scikit-learn's callback transport before the stage ends."""
    X, y = load_iris(return_X_y=True)
    out = io.StringIO()
    progress = SearchProgress(stream=out, every_seconds=0, prefix="  ")
    _progress_search(n_jobs).set_callbacks(progress).fit(X, y)
    assert progress.n_done_ == [8, 6, 4] and progress.n_total_ == [8, 6, 4]
    for stage, total in enumerate([8, 6, 4]):
        records = [r for r in progress.history_ if r.stage == stage]
        assert [r.done for r in records] == list(range(1, total + 1)) + [total]
        assert [r.final for r in records] == [False] * total + [True]
        assert all(r.total == total and r.n_stages == 3 for r in records)
        assert records[-1].seconds_left == 0.0
        assert all(r.seconds_left is not None and r.seconds_left >= 0 for r in records)
        assert all(isinstance(r, StageProgress) for r in records)
    lines = out.getvalue().splitlines()
    # a line per fit but the last of each stage, whose end line follows
    assert len(lines) == 8 + 6 + 4
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    ends = [m for m in parsed if m.group(4) is None]
    assert [(m.group(1), m.group(2), m.group(3)) for m in ends] == [
        ("1", "8", "8"), ("2", "6", "6"), ("3", "4", "4")
    ]


def test_search_progress_prints_at_most_every_so_often():
    X, y = load_iris(return_X_y=True)
    out = io.StringIO()
    progress = SearchProgress(stream=out, every_seconds=3600, prefix="  ")
    _progress_search().set_callbacks(progress).fit(X, y)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and all(LINE.match(line) and "left" not in line for line in lines)
    assert len(progress.history_) == 8 + 6 + 4 + 3


def test_search_progress_counts_a_failed_stage_and_never_breaks_the_search(monkeypatch):
    """Failed fits count as done; fits that cannot report (a dask worker on
    another machine: simulated by a transport that raises) still count at
    their stage's end; a stream that raises silences the callback with one
    warning, and the search ends as usual."""
    from sknet.model_selection import _progress

    progress = SearchProgress(stream=io.StringIO(), every_seconds=0)
    with pytest.warns(FitFailedWarning, match="Stage 0: all 8 fits failed"):
        _flaky_search([RUNTIME, OK, OK]).set_callbacks(progress).fit(X_TOY, Y_TOY)
    assert progress.n_done_ == [8, 6, 4]
    assert [r.done for r in progress.history_ if r.stage == 0] == [*range(1, 9), 8]

    def unreachable(handle, message):
        raise OSError("no such socket")

    monkeypatch.setattr(_progress, "send", unreachable)
    progress = SearchProgress(stream=io.StringIO(), every_seconds=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        _progress_search().set_callbacks(progress).fit(*load_iris(return_X_y=True))
    assert progress.n_done_ == [8, 6, 4]
    assert [(r.done, r.final) for r in progress.history_] == [(8, True), (6, True), (4, True)]
    monkeypatch.undo()

    class Broken(io.StringIO):
        def write(self, text):
            raise OSError("disk full")

    progress = SearchProgress(stream=Broken(), every_seconds=0)
    with pytest.warns(RuntimeWarning, match="SearchProgress stopped printing .*disk full"):
        search = _progress_search().set_callbacks(progress).fit(*load_iris(return_X_y=True))
    assert progress.n_done_ == [8, 6, 4] and hasattr(search, "best_estimator_")


def test_search_progress_with_scikit_learns_searches_and_pickling():
    progress = SearchProgress(stream=io.StringIO(), every_seconds=0, prefix="")
    RandomizedSearchCV(
        Quadratic(), {"lr": log_uniform(1e-2, 1e2)}, n_iter=3, cv=2, random_state=0,
    ).set_callbacks(progress).fit(X_TOY, Y_TOY)
    assert progress.n_done_ == [6] and progress.n_total_ == [6]
    assert progress.stream.getvalue().splitlines()[-1].startswith("stage 1/1: 6/6 fits done")
    copy = pickle.loads(pickle.dumps(progress))
    assert (copy.every_seconds, copy.prefix, copy.stream, copy.history_) == (0, "", None, [])
    with pytest.raises(ValueError, match="every_seconds"):
        SearchProgress(every_seconds=-1)


def test_a_callable_n_iter_sizes_each_stage_from_the_stages_before():
    """The recipe's time budget: n_iter(stage, history) sees every earlier
    stage's size and wall time."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from sknet.model_selection import CoarseToFineSearchCV, log_uniform

    X, y = load_iris(return_X_y=True)
    calls = []

    def n_iter(stage, history):
        calls.append((stage, list(history)))
        return [4, 3, 2][stage]

    search = CoarseToFineSearchCV(
        LogisticRegression(max_iter=200), {"C": log_uniform(1e-3, 1e3)}, n_stages=3,
        n_iter=n_iter, top_k=2, cv=2, random_state=0,
    ).fit(X, y)
    assert [c[0] for c in calls] == [0, 1, 2]
    assert [len(c[1]) for c in calls] == [0, 1, 2]
    assert [n for n, _ in calls[2][1]] == [4, 3]
    assert all(sec > 0 for _, sec in calls[2][1])
    assert list(np.bincount(search.cv_results_["stage"])) == [4, 3, 2]
    assert len(search.stage_seconds_) == 3 and calls[2][1][1][1] == search.stage_seconds_[1]
    with pytest.raises(ValueError, match="must return a positive int"):
        CoarseToFineSearchCV(LogisticRegression(), {"C": log_uniform(1e-3, 1e3)},
                             n_stages=2, n_iter=lambda s, h: 0, cv=2).fit(X, y)


# -- BLAS threads of parallel fits (model_selection/_threads.py) -------------


class _BlasThreadsSeen(BaseEstimator):
    """Records the BLAS thread count each fit runs with."""

    seen = []

    def __init__(self, c=1.0):
        self.c = c

    def fit(self, X, y=None):
        from threadpoolctl import threadpool_info

        counts = {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
        type(self).seen.append(max(counts))
        return self

    def score(self, X, y=None):
        return -abs(self.c - 1.0)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_thread_backend_fits_get_their_share_of_the_blas_threads(n_jobs):
    import joblib
    from threadpoolctl import threadpool_info

    before = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    if not before:
        pytest.skip("no BLAS thread pool found by threadpoolctl")
    _BlasThreadsSeen.seen = []
    search = CoarseToFineSearchCV(
        _BlasThreadsSeen(), {"c": log_uniform(0.1, 10.0)}, n_iter=4, n_stages=2, cv=2,
        n_jobs=n_jobs, random_state=0,
    )
    X = np.zeros((10, 2))
    with joblib.parallel_config(backend="threading"):
        search.fit(X)
    expected = max(1, joblib.cpu_count() // 2) if n_jobs == 2 else max(before)
    # Every fit of the stages (2 x 4 candidates x 2 folds) under the limit;
    # the refit, alone, with every thread.
    assert len(_BlasThreadsSeen.seen) == 17
    assert set(_BlasThreadsSeen.seen[:16]) == {expected}
    assert _BlasThreadsSeen.seen[16] == max(before)
    # The limit is the search's only: restored after it.
    assert [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"] == before


def test_blas_limit_never_raises_a_lower_count_the_user_set(monkeypatch):
    import joblib
    from threadpoolctl import threadpool_info, threadpool_limits

    from sknet.model_selection import _threads

    if not [i for i in threadpool_info() if i["user_api"] == "blas"]:
        pytest.skip("no BLAS thread pool found by threadpoolctl")
    monkeypatch.setattr(_threads.joblib, "cpu_count", lambda: 8)  # a share of 4 per fit
    _BlasThreadsSeen.seen = []
    search = CoarseToFineSearchCV(
        _BlasThreadsSeen(), {"c": log_uniform(0.1, 10.0)}, n_iter=2, n_stages=1, cv=2,
        n_jobs=2, random_state=0,
    )
    with threadpool_limits(limits=1, user_api="blas"), joblib.parallel_config(backend="threading"):
        search.fit(np.zeros((10, 2)))
    assert set(_BlasThreadsSeen.seen) == {1}
