"""sknet.recipe as a Python API: run_recipe, its stages and their rules."""

import types

import numpy as np
import pandas as pd
import pytest

from sknet.recipe import InputError, RecipeConfig, RecipeResult, run_recipe
from sknet.recipe.evaluation import one_class_warning
from sknet.recipe.search import (
    FALLBACK_LR_RANGE,
    LR_RETRY_FACTORS,
    fit_final,
    learning_rate_range,
    stage_plan,
)
from sknet.recipe.stages import STAGES

FAST = dict(budget_fits=6, cv=2, max_width=16, max_depth=1, max_iter=20, n_jobs=1,
            baselines=False)


def _blobs(n=80, seed=0):
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 2
    X = rng.randn(n, 3) + 2.0 * y[:, None]
    return X, y


def test_run_recipe_on_arrays_returns_a_fitted_pipeline_and_the_report(capsys):
    X, y = _blobs()
    result = run_recipe(X, y, RecipeConfig(**FAST, verbose=True))
    assert isinstance(result, RecipeResult)
    out = capsys.readouterr().out
    for i in range(1, len(STAGES) + 1):
        assert f"[{i}/{len(STAGES)}]" in out
    report = result.report
    assert report.data.task == "classification" and report.data.n_samples == 80
    assert report.split.n_train + report.split.n_test == 80
    assert report.test.scoring == "accuracy"
    assert report.test.score == pytest.approx(
        np.mean(result.model.predict(result.X_test) == result.y_test))
    assert report.test.score > 0.8  # separable blobs
    assert set(report.timings_seconds) == {key for key, _, _ in STAGES}
    d = report.to_dict()
    assert d["search"]["n_fits"] == 6 and d["final"]["n_iter"] >= 1


def test_run_recipe_on_a_dataframe_keeps_column_names():
    X, y = _blobs()
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(label=np.where(y, "yes", "no"))
    result = run_recipe(frame, config=RecipeConfig(**FAST, target="label"))
    assert result.report.data.target == "label"
    assert set(result.report.data.classes) == {"no", "yes"}
    # the saved pipeline was fitted on named columns: it picks them by name,
    # and a frame without one of them is refused
    rows = frame.drop(columns="label").head(5)
    assert list(result.model.predict(rows[["c", "b", "a"]])) == list(result.model.predict(rows))
    with pytest.raises(ValueError, match="'b'|columns are missing"):
        result.model.predict(rows[["a", "c"]])


def test_a_target_column_named_twice_is_refused():
    frame = pd.DataFrame(np.zeros((20, 3)), columns=["a", "y", "y"])
    with pytest.raises(InputError, match="several columns named 'y'"):
        run_recipe(frame, config=RecipeConfig(**FAST))


def test_count_targets_are_regression_with_the_reason():
    rng = np.random.RandomState(0)
    X = rng.randn(300, 2)
    counts = rng.poisson(np.exp(1.5 + X[:, 0]))  # doctor-visit-like counts, many values
    result = run_recipe(X, counts, RecipeConfig(**FAST))
    assert result.report.data.task == "regression"
    assert "distinct whole numbers" in result.report.data.task_reason
    assert "--task classification" in result.report.data.task_reason


def test_forced_classification_of_counts_hints_at_regression_without_numpy_reprs():
    rng = np.random.RandomState(0)
    X = rng.randn(200, 2)
    y = np.arange(200) % 5
    y[0] = 39  # a class with a single sample
    with pytest.raises(InputError) as info:
        run_recipe(X, y, RecipeConfig(**FAST, task="classification"))
    message = str(info.value)
    assert "class '39'" in message and "--task regression" in message
    assert "np." not in message and "\n" not in message


@pytest.mark.parametrize("test_size", [0.99, 0.999])
def test_a_test_size_leaving_too_few_rows_is_an_input_error(test_size):
    X, y = _blobs(200)
    with pytest.raises(InputError, match="too few|leave"):
        run_recipe(X, y, RecipeConfig(**FAST, test_size=test_size))


def test_huge_finite_features_are_an_input_error_naming_the_column():
    X, y = _blobs()
    X[4, 1] = 1e300
    with pytest.raises(InputError) as info:
        run_recipe(X, y, RecipeConfig(**FAST))
    assert "'x1'" in str(info.value) and "1e+300" in str(info.value)
    assert "NaN" not in str(info.value)


def test_missing_values_in_arrays_are_imputed():
    X, y = _blobs()
    X[::7, 0] = np.nan
    result = run_recipe(X, y, RecipeConfig(**FAST))
    assert result.report.test.score > 0.7
    assert np.isfinite(result.model.predict_proba(np.full((1, 3), np.nan))).all()


def test_imbalanced_classes_are_scored_by_balanced_accuracy_and_try_class_weights():
    rng = np.random.RandomState(0)
    n = 600
    y = (rng.rand(n) < 0.05).astype(int)
    X = rng.randn(n, 4) + 1.5 * y[:, None]
    result = run_recipe(X, y, RecipeConfig(**{**FAST, "budget_fits": 12}))
    report = result.report
    assert report.data.imbalanced
    assert report.search.scoring == report.test.scoring == "balanced_accuracy"
    assert "imbalanced" in report.search.scoring_reason
    tried = {c.get("class_weight") for c in report.search.candidates}
    assert tried == {None, "balanced"}
    assert report.test.score == pytest.approx(report.test.metrics["balanced_accuracy"])
    assert "TEST BALANCED ACCURACY" in result.summary()


def test_one_class_warning():
    y = np.array([0] * 95 + [1] * 5)
    assert "never predicts '1'" in one_class_warning(np.zeros(100, dtype=int), y)
    pred = y.copy()
    assert one_class_warning(pred, y) is None


def test_the_default_network_is_kept_when_the_search_does_worse():
    """A search restricted to one-unit networks cannot fit rings; the default
    network (100 units) can: the recipe hands back the default."""
    rng = np.random.RandomState(0)
    X = rng.randn(400, 2)
    y = (np.hypot(X[:, 0], X[:, 1]) > 1.1).astype(int)
    config = RecipeConfig(**{**FAST, "max_width": 1, "max_iter": 200})
    result = run_recipe(X, y, config)
    s, final = result.report.search, result.report.final
    assert s.default_cv_score > s.best_cv_score
    assert final.chosen == "default" and "default network" in final.reason
    assert final.params["hidden_layer_sizes"] == [100]
    assert result.report.test.score > 0.85


class _FakeFinder(types.SimpleNamespace):
    pass


def _finder(i_min, n=100, suggested=None):
    rates = 1e-6 * (1e6) ** (np.arange(n) / (n - 1))
    losses = np.concatenate([np.linspace(2.0, 1.0, i_min + 1), np.full(n - i_min - 1, 1.5)])
    return _FakeFinder(learning_rates=rates, smoothed_losses=losses,
                       lr_min_loss=rates[i_min],
                       suggested_lr=rates[i_min] / 10 if suggested is None else suggested)


def test_learning_rate_range_around_a_clear_minimum():
    finder = _finder(60)
    (low, high), reason = learning_rate_range(finder)
    assert low == pytest.approx(finder.suggested_lr / 30)
    assert high == pytest.approx(finder.suggested_lr * 3)
    assert "suggestion" in reason


def test_learning_rate_range_falls_back_when_the_minimum_is_at_the_start():
    """The `fair` regression case: the finder suggested 1.3e-7 and the range
    came out as 1e-06 .. 4e-07, which the search refused."""
    finder = _finder(1)
    (low, high), reason = learning_rate_range(finder)
    assert (low, high) == FALLBACK_LR_RANGE and low < high
    assert "first steps" in reason


@pytest.mark.parametrize("suggested", [np.nan, 0.0, -1.0, 1e-9, 5.0])
def test_learning_rate_range_is_always_valid(suggested):
    (low, high), _ = learning_rate_range(_finder(60, suggested=suggested))
    assert 0 < low < high <= 1.0


def test_stage_epochs_shrink_on_large_tables_only():
    assert stage_plan(40, 200, 958)[1] == [40, 100, 200]  # digits' folds: unchanged
    n_iter, epochs = stage_plan(10, 200, 28_700)  # diamonds' folds: 144 batches an epoch
    assert epochs == [21, 56, 200][:2] + [min(200, -(-30000 // 144))]
    assert epochs[0] < 40 and epochs[1] < 100
    assert sum(n_iter) == 10 and all(n >= 1 for n in n_iter)


class _Model:
    """Diverges when its rate is above `limit`."""

    def __init__(self, params, limit, log):
        self.params, self.limit, self.log = params, limit, log

    def fit(self, X, y):
        from sknet.exceptions import TrainingDivergedError

        self.log.append(self.params)
        if self.params.get("lr", 0) > self.limit:
            raise TrainingDivergedError("loss 14.15 against 1.104", n_iter=1, n_batches=3,
                                        loss=14.15, initial_loss=1.104)
        return self


def test_fit_final_retries_a_diverging_choice_at_smaller_rates():
    log = []
    model, label, params, attempts = fit_final(
        lambda p: _Model(p, 0.02, log), [("best", {"lr": 0.1}), ("next", {"lr": 0.001})],
        None, None, lr_key="lr")
    assert label == "best" and params["lr"] == pytest.approx(0.1 * LR_RETRY_FACTORS[2])
    assert [a["outcome"].split(":")[0] for a in attempts] == ["diverged", "diverged", "fitted"]


def test_fit_final_moves_to_the_next_choice_then_gives_a_clear_error():
    log = []
    _, label, params, attempts = fit_final(
        lambda p: _Model(p, 0.002, log), [("best", {"lr": 1.0}), ("next", {"lr": 0.001})],
        None, None, lr_key="lr")
    assert label == "next" and params == {"lr": 0.001} and len(attempts) == 4
    with pytest.raises(InputError, match="every final fit diverged"):
        fit_final(lambda p: _Model(p, 0.0, log), [("a", {"lr": 1.0})], None, None,
                  lr_key="lr")


def test_config_is_validated_with_one_line_messages():
    for bad in (dict(test_size=1.5), dict(cv=1), dict(scoring="f1"),
                dict(budget_fits=5, cv=2), dict(budget_minutes=-1.0),
                dict(task="regression", scoring="accuracy")):
        with pytest.raises(InputError) as info:
            RecipeConfig(**bad).validate()
        assert "\n" not in str(info.value)


def test_a_mixed_table_gets_one_treatment_per_column_and_predicts_raw_rows():
    rng = np.random.RandomState(0)
    n = 300
    size = rng.randn(n)
    colour = rng.choice(["red", "green", "blue"], n)
    y = np.where(size + (colour == "red") * 2.0 > 0.5, "big", "small")
    frame = pd.DataFrame({
        "customer_id": [f"C{i:05d}" for i in range(n)],
        "signup": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "size": np.where(rng.rand(n) < 0.05, np.nan, size),
        "colour": colour,
        "city": [f"town{k}" for k in rng.randint(0, 150, n)],
        "constant": 7,
        "label": y,
    })
    result = run_recipe(frame, config=RecipeConfig(**FAST, target="label"))
    kinds = {c["name"]: (c["kind"], c["kept"]) for c in result.report.data.columns}
    assert kinds["customer_id"] == ("identifier", False)
    assert kinds["constant"] == ("constant", False)
    assert kinds["signup"] == ("date", True)
    assert kinds["size"] == ("numeric", True)
    assert kinds["colour"] == ("categorical", True)
    assert kinds["city"][1] is True  # high cardinality: rare levels grouped
    assert result.report.test.score > 0.8
    # raw rows, with an unseen colour and a missing size, predict
    rows = frame.drop(columns="label").head(3).copy()
    rows.loc[0, "colour"] = "purple"
    rows.loc[1, "size"] = np.nan
    assert set(result.model.predict(rows)) <= {"big", "small"}


def test_time_budget_sizes_later_stages_from_measured_times():
    from sknet.recipe.budget import TimeBudget

    budget = TimeBudget(100.0, first=10, epochs=[40, 100, 200], stop_early=0.5)
    assert budget(0, []) == 10
    # stage 0 took 20 s for 10 candidates: 2 s each at 40 epochs -> 5 s at 100;
    # 80 s are left, of which stage 1's share is 30*100 / (30*100 + 20*200*0.5)
    n1 = budget(1, [(10, 20.0)])
    assert n1 == int(0.6 * 80 / 5.0)
    # stage 1 took 45 s for its candidates: 5 s at 200 epochs x 0.5 ... the rest
    n2 = budget(2, [(10, 20.0), (n1, 45.0)])
    per = 45.0 / n1 * (200 * 0.5) / 100
    assert n2 == int(35.0 / per)
    assert budget.sizes == [10, n1, n2]
    capped = TimeBudget(1000.0, first=50, epochs=[40, 100, 200], stop_early=1.0,
                        caps=[5, 3, 2])
    assert [capped(0, []), capped(1, [(5, 1.0)]), capped(2, [(5, 1.0), (3, 1.0)])] == [5, 3, 2]
    starved = TimeBudget(1.0, first=0, epochs=[40, 100, 200], stop_early=1.0)
    assert [starved(0, []), starved(1, [(1, 5.0)]), starved(2, [(1, 5.0), (1, 5.0)])] == [1, 1, 1]


def test_budget_minutes_runs_a_search_sized_by_time():
    X, y = _blobs(200)
    config = RecipeConfig(**{**FAST, "budget_fits": None, "budget_minutes": 0.2})
    result = run_recipe(X, y, config)
    s = result.report.search
    assert s.calibration["seconds_for_search"] > 0
    assert len(s.calibration["epochs"]) == len(s.calibration["fit_seconds"]) == 2
    assert sum(s.n_candidates_per_stage) == len(s.candidates) >= 3
    assert s.budget_minutes == 0.2


def test_the_progress_line_names_the_stages_that_promote():
    from sknet.recipe.stages import _promotion_words

    assert _promotion_words([20, 50, 100], 2) == (
        ", up to 2 of the previous stage's best run again in stage 2 and 3")
    assert _promotion_words([5, 5, 15], 3) == (
        ", up to 3 of the previous stage's best run again in stage 3")
    assert _promotion_words([5, 5, 5], 3) == ""


def test_the_search_runs_each_stage_winners_again_with_more_epochs():
    X, y = _blobs(200)
    config = RecipeConfig(**{**FAST, "budget_fits": 24})
    rows = run_recipe(X, y, config).report.search.candidates
    searched = ("learning_rate_init", "alpha", "hidden_layer_sizes", "activation")
    for stage in (1, 2):
        before = [c for c in rows if c["stage"] == stage - 1 and not c["failure_reason"]]
        best = max(before, key=lambda c: c["mean_cv_score"])
        first = next(c for c in rows if c["stage"] == stage)
        assert first["promoted"]
        assert {k: first[k] for k in searched} == {k: best[k] for k in searched}
    assert not any(c["promoted"] for c in rows if c["stage"] == 0)


def test_a_deadline_callback_stops_training_after_the_current_epoch():
    import time

    from sknet import MLPClassifier
    from sknet.recipe.budget import Deadline

    X, y = _blobs(200)
    late = MLPClassifier(max_iter=50, tol=0.0, n_iter_no_change=100, random_state=0)
    late.set_callbacks(Deadline(time.time() - 1.0))
    assert late.fit(X, y).n_iter_ == 1
    unset = MLPClassifier(max_iter=7, tol=0.0, n_iter_no_change=100, random_state=0)
    unset.set_callbacks(Deadline(None))
    with pytest.warns(Warning):  # ConvergenceWarning at max_iter
        assert unset.fit(X, y).n_iter_ == 7


def test_time_budget_sets_each_stage_deadline_to_its_share():
    import time

    from sknet.recipe.budget import DEADLINE_SLACK, Deadline, TimeBudget

    clock = Deadline(None)
    budget = TimeBudget(100.0, first=10, epochs=[40, 100, 200], stop_early=0.5, clock=clock)
    before = time.time()
    budget(0, [])
    share0 = 20 / (20 + 30 + 20)  # 0.5*40, 0.3*100, 0.2*200*0.5
    assert clock.deadline == pytest.approx(before + 100 * share0 * DEADLINE_SLACK, abs=0.5)
    budget(1, [(10, 30.0)])
    assert clock.deadline == pytest.approx(time.time() + 70 * 30 / 50 * DEADLINE_SLACK,
                                           abs=0.5)
    budget(2, [(10, 30.0), (5, 40.0)])
    assert clock.deadline == pytest.approx(time.time() + 30 * DEADLINE_SLACK, abs=0.5)


def test_a_feature_equal_to_the_target_is_refused_whatever_its_name():
    X, y = _blobs()
    labels = np.where(y == 1, "yes", "no")
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(label=labels, Label=labels)
    with pytest.raises(InputError, match="column 'Label' equals the target 'label'"):
        run_recipe(frame, config=RecipeConfig(**FAST, target="label"))
    numeric = pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=y, y_copy=y.astype(float))
    with pytest.raises(InputError, match="'y_copy' equals the target"):
        run_recipe(numeric, config=RecipeConfig(**FAST))


def test_baselines_scoring_above_the_model_are_reported():
    """A one-unit search and a 5-epoch default network on rings: scikit-learn's
    MLP in the same pipeline does better, and the report says so."""
    rng = np.random.RandomState(0)
    X = rng.randn(400, 2)
    y = (np.hypot(X[:, 0], X[:, 1]) > 1.1).astype(int)
    config = RecipeConfig(**{**FAST, "max_width": 1, "max_iter": 5, "baselines": True})
    result = run_recipe(X, y, config)
    t = result.report.test
    better = [b for b in t.baselines if b["score"] > t.score]
    assert better
    assert any(w.startswith("on the test set, ") and better[0]["name"] in w
               for w in t.warnings)
    assert "WARNING: on the test set" in result.summary()


def test_fit_final_retries_a_fit_whose_loss_jumped_at_the_end():
    log = []

    def unstable(model):
        return "loss jumped" if model.params["lr"] > 0.05 else None

    model, label, params, attempts = fit_final(
        lambda p: _Model(p, 10.0, log), [("best", {"lr": 0.1})], None, None, lr_key="lr",
        unstable=unstable)
    assert params["lr"] == pytest.approx(0.1 / 3)
    assert [a["outcome"] for a in attempts] == ["unstable: loss jumped", "fitted"]
    # every try unstable: the first is kept, not an error
    model, _, params, attempts = fit_final(
        lambda p: _Model(p, 10.0, log), [("best", {"lr": 1.0})], None, None, lr_key="lr",
        unstable=unstable)
    assert params == {"lr": 1.0} and len(attempts) == 3


def test_the_final_fits_loss_jump_is_detected():
    from sknet.recipe.stages import _unstable

    fitted = types.SimpleNamespace(named_steps={
        "mlp": types.SimpleNamespace(loss_curve_=[0.6, 0.3, 0.27, 0.30, 0.693])})
    assert "2.6 times its best 0.27" in _unstable(fitted)
    fitted.named_steps["mlp"].loss_curve_ = [0.6, 0.3, 0.27, 0.28]
    assert _unstable(fitted) is None
    # twice a loss near zero is noise, not a jump: 0.0018 of a 1.0 drop
    fitted.named_steps["mlp"].loss_curve_ = [1.0, 0.1, 0.0017, 0.0035]
    assert _unstable(fitted) is None


def test_a_target_series_keeps_its_name():
    X, y = _blobs()
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    result = run_recipe(frame, pd.Series(y, name="outcome"), RecipeConfig(**FAST))
    assert result.report.data.target == "outcome"
    with pytest.raises(InputError, match="X has 80 rows but y has 79"):
        run_recipe(frame, y[:-1], RecipeConfig(**FAST))
