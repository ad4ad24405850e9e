"""Hyperparameter search at equal wall time: coarse-to-fine against its peers.

Four searches tune the same sknet ``MLPClassifier`` (in a Pipeline with a
StandardScaler, or with a ColumnTransformer for the mixed table) over the same
space: learning rate and ``alpha`` log-uniform, width log-uniform on 32..512,
depth 1..3, activation, batch norm, dropout 0..0.5.

- ``coarse_to_fine``: :class:`~sknet.model_selection.CoarseToFineSearchCV`
  as the recipe runs it: three stages sized by
  :class:`sknet.recipe.budget.TimeBudget` (stage 0 from one timed probe fit,
  each stage with a ``Deadline``), epochs per stage from
  :func:`sknet.recipe.search.stage_plan`, each stage's ``top_k`` winners
  promoted into the next (``--promote`` changes how many), and early
  abandoning: its network
  has ``divergence_threshold=10`` (``--abandon-all`` gives it to every method).
- ``random``: ``RandomizedSearchCV`` in batches of ``--batch`` candidates.
- ``halving``: ``HalvingRandomSearchCV`` on epochs (``max_iter`` from 1/9 to
  all, factor 3), brackets of ``--halving-candidates`` one after the other.
- ``optuna``: ``TPESampler(seed)``, a ``cross_val_score`` per trial (folds in
  parallel), ``study.optimize(timeout=...)``.

Equal wall time: each method gets ``--budget`` seconds of its own, counted
from its start (worker processes already warm); its fits carry a ``Deadline``
so that none runs long past it. Every fold's score is logged with its wall
time by the scorer, in the worker that fitted it, so a candidate's time is
exact (when its last fold was scored) whatever the method's batching, and
what completes after the budget is dropped. The **incumbent** at time t is
the complete candidate with the best mean CV score so far (any stage or
rung: its ``max_iter`` is one of its parameters). Each incumbent is refitted
on the whole training split and scored on the held-out split *after* the
search: refits count in no method's time. Reported: the incumbent's held-out
score at the budget and the time until it first reaches ``--target`` (medians
over seeds, never = infinite), and its curve against wall time (``--plot``).

Data sets (fixed train / test split; the seed moves the folds, the sampling
and the networks' initialization): ``digits`` (scikit-learn, 1/3 held out),
``mnist1d`` (made locally by ``mnist1d.data.make_dataset`` with its default
arguments, 4,000 train / 1,000 test rows of 40 features; nothing is
downloaded) and ``mixed`` (a synthetic table made here: 5,000 rows, 5
numeric and 3 categorical columns with missing values, 3 balanced classes
from a noisy function of both, 1/4 held out; no installed package ships a
mixed table of useful size: the penguins have 344 rows, solved by a linear
model). Targets (``--target``): digits 0.979 (at most 12 of its 599 test
digits wrong), mnist1d 0.70, mixed 0.80: in trial runs on 2 cores, most
first incumbents fell short of them and the best searches got past them.

Needs the benchmark extra: ``pip install ".[bench]"`` (optuna, mnist1d).

Run (the recorded run, 35 minutes on 2 cores; its traces are
``benchmarks/search_benchmark_30s.json``)::

    python benchmarks/bench_search.py --budget 30 --seeds 5 \\
        --json search_benchmark_30s.json --plot docs/_static/search_benchmark.png
    python benchmarks/bench_search.py --budget 10 --seeds 1          # smoke test
"""

import argparse
import datetime
import itertools
import json
import os
import platform
import tempfile
import time
import warnings

import numpy as np
import pandas as pd
import sklearn
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_digits
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.impute import SimpleImputer
from sklearn.model_selection import (
    HalvingRandomSearchCV,
    RandomizedSearchCV,
    StratifiedKFold,
    cross_val_score,
    train_test_split,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

import sknet
from sknet import MLPClassifier
from sknet.model_selection import CoarseToFineSearchCV, mlp_search_space
from sknet.recipe.budget import CROWDING, DEADLINE_SLACK, Deadline, TimeBudget
from sknet.recipe.search import stage_plan, stage_top_k

METHODS = ("coarse_to_fine", "random", "halving", "optuna")
DATASETS = ("digits", "mnist1d", "mixed")
#: Held-out accuracy to reach (see the module docstring).
TARGETS = {"digits": 0.979, "mnist1d": 0.70, "mixed": 0.80}
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "elu")
WIDTH, LR, ALPHA, DROPOUT = (32, 512), (1e-5, 1e-1), (1e-7, 1e-1), (0.0, 0.5)
SEARCHED = ("learning_rate_init", "alpha", "hidden_layer_sizes", "activation",
            "batch_norm", "dropout", "max_iter")


def load_data(name):
    """``(X_train, X_test, y_train, y_test, preprocessor)`` of a data set."""
    if name == "digits":
        X, y = load_digits(return_X_y=True)
        split = train_test_split(X, y, test_size=1 / 3, random_state=0, stratify=y)
        return (*split, StandardScaler())
    if name == "mnist1d":
        from mnist1d.data import get_dataset_args, make_dataset

        state = np.random.get_state()  # make_dataset seeds numpy's global generator
        d = make_dataset(get_dataset_args())
        np.random.set_state(state)
        return d["x"], d["x_test"], d["y"], d["y_test"], StandardScaler()
    if name == "mixed":
        X, y = mixed_table()
        split = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
        num = X.select_dtypes("number").columns.tolist()
        cat = [c for c in X.columns if c not in num]
        return (*split, ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True),
                                  StandardScaler()), num),
            ("cat", make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                                  OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
             cat)]))
    raise ValueError(f"unknown data set {name!r}")


def mixed_table(n=5000, seed=0):
    """A table of numeric and categorical columns with missing values.

    The label (3 classes, equal thirds) cuts a latent score mixing both kinds
    of column, with interactions (a category changes a numeric column's slope),
    plus noise that caps the reachable accuracy near 0.85.
    """
    rng = np.random.RandomState(seed)
    X = pd.DataFrame({
        "age": rng.uniform(18, 80, n), "income": rng.lognormal(10.5, 0.6, n),
        "tenure": rng.exponential(4.0, n), "x1": rng.normal(size=n), "x2": rng.normal(size=n),
        "region": rng.choice(list("ABCDEFGH"), n),
        "plan": rng.choice(["basic", "plus", "pro", "team"], n, p=[0.4, 0.3, 0.2, 0.1]),
        "channel": rng.choice(["web", "store", "phone"], n)})
    region = dict(zip("ABCDEFGH", rng.normal(0, 1, 8)))
    slope = {"basic": -1.0, "plus": 0.0, "pro": 1.0, "team": 2.0}
    z = (np.sin(2 * X.x1) + X.x1 * X.x2 + X.region.map(region)
         + X.plan.map(slope) * np.tanh((X.age - 45) / 15)
         + 0.8 * np.log(X.income / 36000) - 0.3 * X.tenure * (X.channel == "phone")
         + rng.normal(0, 0.5, n))
    y = np.digitize(z, np.quantile(z, [1 / 3, 2 / 3]))
    for col, frac in [("income", 0.10), ("tenure", 0.08), ("channel", 0.05)]:
        X.loc[rng.rand(n) < frac, col] = np.nan
    return X, y


def make_model(prep, seed, max_iter, abandon):
    """The Pipeline every search tunes; ``abandon`` sets ``divergence_threshold``."""
    mlp = MLPClassifier(max_iter=max_iter, random_state=seed,
                        divergence_threshold=10.0 if abandon else None)
    return Pipeline([("prep", clone(prep)), ("clf", mlp)])


def search_space():
    """The space of the scikit-learn and sknet searches (``clf__`` prefixed)."""
    return mlp_search_space(prefix="clf__", learning_rate_init=LR, alpha=ALPHA, width=WIDTH,
                            depth=(1, 2, 3), activation=ACTIVATIONS, init=None,
                            batch_norm=(False, True), dropout=DROPOUT)


def optuna_params(trial):
    """The same space for Optuna (depth 1..3 as an int, like the list [1, 2, 3])."""
    width = trial.suggest_int("width", *WIDTH, log=True)
    depth = trial.suggest_int("depth", 1, 3)
    return {
        "clf__learning_rate_init": trial.suggest_float("learning_rate_init", *LR, log=True),
        "clf__alpha": trial.suggest_float("alpha", *ALPHA, log=True),
        "clf__hidden_layer_sizes": (width,) * depth,
        "clf__activation": trial.suggest_categorical("activation", ACTIVATIONS),
        "clf__batch_norm": trial.suggest_categorical("batch_norm", [False, True]),
        "clf__dropout": trial.suggest_float("dropout", *DROPOUT),
    }


class LoggingScorer:
    """Accuracy that appends ``(wall time, candidate, score)`` to a file.

    Called in the worker that fitted the fold, right after the fit, so the
    time is when the fold's result exists. Lines are short single writes in
    append mode, so two workers do not interleave them.
    """

    def __init__(self, path):
        self.path = path

    def __call__(self, estimator, X, y):
        score = float(estimator.score(X, y))
        params = estimator[-1].get_params()
        key = json.dumps({k: _plain(params[k]) for k in SEARCHED}, sort_keys=True)
        with open(self.path, "a") as f:
            f.write(json.dumps([time.time(), key, score]) + "\n")
        return score


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def completed(path, n_splits, t0):
    """Candidates whose every fold was scored: ``(seconds since t0, key, mean score)``."""
    folds, done = {}, []
    with open(path) as f:
        rows = sorted(json.loads(line) for line in f)
    for t, key, score in rows:
        folds.setdefault(key, []).append(score)
        if len(folds[key]) == n_splits:
            done.append((t - t0, key, float(np.mean(folds.pop(key)))))
    return done


class Run:
    """What one search of one method on one data set and seed needs."""

    def __init__(self, args, data, seed, log_path):
        self.args, self.seed, self.budget, self.n_jobs = args, seed, args.budget, args.n_jobs
        self.X, _, self.y, _, self.prep = data
        self.cv = StratifiedKFold(args.cv, shuffle=True, random_state=seed)
        self.scorer = LoggingScorer(log_path)

    def model(self, abandon=False, deadline=None):
        model = make_model(self.prep, self.seed, self.args.max_iter,
                           abandon or self.args.abandon_all)
        if deadline is not None:
            model[-1].set_callbacks(deadline)
        return model

    def start(self):
        """Warm the worker processes (imports, numba's cache), then start the clock."""
        n = min(len(self.y), 300)
        tiny = self.model().set_params(clf__max_iter=2)
        cross_val_score(tiny, _rows(self.X, range(n)), self.y[:n], cv=2, n_jobs=self.n_jobs)
        tiny.fit(_rows(self.X, range(n)), self.y[:n])  # and this process
        self.t0 = time.time()
        return Deadline(self.t0 + self.budget)

    def left(self):
        return self.t0 + self.budget - time.time()

    def common(self, random_state):
        """Arguments every scikit-learn search of the run shares."""
        return {"scoring": self.scorer, "n_jobs": self.n_jobs, "refit": False, "cv": self.cv,
                "random_state": random_state}


def run_coarse_to_fine(run):
    """Three-stage searches sized by ``TimeBudget``, restarted while time is left."""
    run.start()
    n_fold = len(run.y) * (run.cv.n_splits - 1) / run.cv.n_splits
    _, epochs = stage_plan(10, run.args.max_iter, n_fold)
    per_candidate = probe(run, epochs[0])
    info = {"n_evaluations": 0, "n_failed": 0, "n_abandoned": 0, "stage_epochs": epochs,
            "stage_sizes": [], "stage_seconds": [], "probe_seconds": round(per_candidate, 3)}
    # A search that ends early is followed by another on the time left, as the
    # peers go on until the budget. The budget's deadlines have a slack of
    # DEADLINE_SLACK: planning for budget / slack puts the last one at the budget.
    while run.left() > 0.1 * run.budget:
        clock = Deadline(None)
        budget = TimeBudget(run.left() / DEADLINE_SLACK, 0, epochs, stop_early=1.0, clock=clock)
        budget.first = max(3, int(budget._share(0) * budget.seconds / per_candidate))
        top_k = stage_top_k(budget.first)
        promote = top_k if run.args.promote is None else run.args.promote
        search = CoarseToFineSearchCV(
            run.model(abandon=True, deadline=clock), search_space(), n_stages=3,
            n_iter=budget, top_k=top_k,
            stage_params=[{"clf__max_iter": e} for e in epochs], promote=promote,
            **run.common(run.seed * 1000 + len(info["stage_sizes"])))
        try:
            reasons = search.fit(run.X, run.y).cv_results_["failure_reason"]
        except ValueError:  # SearchFailedError: every fit failed
            reasons = np.array(["failed"] * sum(budget.sizes))
        info["n_evaluations"] += len(reasons)
        info["n_failed"] += int(np.sum(reasons != ""))
        info["n_abandoned"] += int(sum(r.startswith("diverged") for r in reasons))
        info["stage_sizes"].append(budget.sizes)
        info["stage_seconds"].append([round(t, 2) for t in getattr(search, "stage_seconds_", [])])
    return info


def probe(run, epochs):
    """Seconds per candidate of ``epochs``: a network of the space's mean cost
    (multiply-adds per row), fitted on one fold alone and scaled as the
    recipe's budget does (``CROWDING``, folds over jobs)."""
    hidden = search_space()["clf__hidden_layer_sizes"]
    n_in = clone(run.prep).fit_transform(_rows(run.X, range(50))).shape[1]
    n_out = len(np.unique(run.y))

    def flops(h):
        return float(sum(a * b for a, b in itertools.pairwise([n_in, *h, n_out])))

    mean = np.mean([flops(h) for h in hidden.rvs(size=256, random_state=0)])
    net = min(hidden.rvs(size=64, random_state=1), key=lambda h: abs(flops(h) - mean))
    train, _ = next(run.cv.split(run.X, run.y))
    started = time.perf_counter()
    run.model().set_params(clf__hidden_layer_sizes=net, clf__max_iter=epochs,
                           clf__tol=0.0).fit(_rows(run.X, train), run.y[train])
    seconds = time.perf_counter() - started
    return seconds * run.cv.n_splits * CROWDING / min(run.n_jobs, run.cv.n_splits)


def run_repeated(run, make_search):
    """``make_search(model, random_state)`` searches, one after the other, until the budget."""
    deadline = run.start()
    info = {"n_searches": 0, "n_evaluations": 0, "n_failed": 0}
    while run.left() > 0:
        search = make_search(run.model(deadline=deadline), run.seed * 1000 + info["n_searches"])
        search.fit(run.X, run.y)
        scores = search.cv_results_["mean_test_score"]
        info["n_searches"] += 1
        info["n_evaluations"] += len(scores)
        info["n_failed"] += int(np.sum(~np.isfinite(scores)))
    return info


def run_random(run):
    """Batches of ``--batch`` candidates: one long random search, cut at the budget."""
    return run_repeated(run, lambda model, seed: RandomizedSearchCV(
        model, search_space(), n_iter=run.args.batch, **run.common(seed)))


def run_halving(run):
    """Brackets of successive halving on epochs (``max_iter / 9`` to ``max_iter``)."""
    return run_repeated(run, lambda model, seed: HalvingRandomSearchCV(
        model, search_space(), n_candidates=run.args.halving_candidates, factor=3,
        resource="clf__max_iter", max_resources=run.args.max_iter,
        min_resources=max(1, run.args.max_iter // 9), return_train_score=False,
        **run.common(seed)))


def run_optuna(run):
    """TPE, one trial at a time, each a cross-validation with its folds in parallel."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    model = run.model(deadline=run.start())

    def objective(trial):
        scores = cross_val_score(clone(model).set_params(**optuna_params(trial)), run.X, run.y,
                                 cv=run.cv, scoring=run.scorer, n_jobs=run.n_jobs)
        return float(np.mean(scores))  # NaN when a fold failed: a failed trial

    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=run.seed))
    study.optimize(objective, timeout=max(run.left(), 0.0))
    failed = sum(t.state != optuna.trial.TrialState.COMPLETE for t in study.trials)
    return {"n_evaluations": len(study.trials), "n_failed": failed}


RUNNERS = {"coarse_to_fine": run_coarse_to_fine, "random": run_random,
           "halving": run_halving, "optuna": run_optuna}


def _rows(X, idx):
    return X.iloc[idx] if hasattr(X, "iloc") else X[idx]


def incumbents(done, budget):
    """The improvements of the best CV score among candidates complete by ``budget``."""
    trace, best = [], -np.inf
    for t, key, cv in done:
        if t <= budget and cv > best:
            best = cv
            trace.append({"t": round(t, 3), "cv": cv, "params": json.loads(key)})
    return trace


def refit_score(data, seed, max_iter, params):
    """Held-out accuracy of ``params`` refitted on the whole training split."""
    X_train, X_test, y_train, y_test, prep = data
    model = make_model(prep, seed, max_iter, abandon=False)
    model.set_params(**{f"clf__{k}": tuple(v) if isinstance(v, list) else v
                        for k, v in params.items()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(model.fit(X_train, y_train).score(X_test, y_test))
        except (ValueError, ArithmeticError):  # a refit that diverged
            return float("nan")


def at(trace, t, key="test"):
    """The incumbent's held-out score (or ``key``) at time ``t`` (NaN before the first one)."""
    values = [p[key] for p in trace if p["t"] <= t]
    return values[-1] if values else float("nan")


def time_to(trace, target):
    """First time the incumbent's held-out score reaches ``target`` (inf if never)."""
    return next((p["t"] for p in trace if p["test"] >= target), float("inf"))


def report(runs, args, targets):
    """The Markdown tables: score at the budget, time to the target, counts."""
    methods = [m for m in METHODS if m in args.methods]

    def per(ds, m, fn):
        return [fn(r) for r in runs if r["dataset"] == ds and r["method"] == m]

    scores, cv_scores, times, counts = [], [], [], []
    for ds in args.datasets:
        cv = {m: per(ds, m, lambda r: at(r["trace"], args.budget, "cv")) for m in methods}
        cv_scores.append([ds, *(f"{np.median(cv[m]):.4f}" for m in methods)])
        score = {m: per(ds, m, lambda r: at(r["trace"], args.budget)) for m in methods}
        med = {m: float(np.median(v)) for m, v in score.items()}
        lead = ("yes" if all(med["coarse_to_fine"] >= v for v in med.values()) else "no") \
            if "coarse_to_fine" in med else "—"
        scores.append([ds, *(f"{med[m]:.4f} [{min(score[m]):.4f}, {max(score[m]):.4f}]"
                             for m in methods), lead])
        target = targets[ds]
        reach = {m: per(ds, m, lambda r, t=target: time_to(r["trace"], t)) for m in methods}
        random = float(np.median(reach["random"])) if "random" in reach else np.nan
        times.append([ds, f"{target:g}", *(
            f"{np.median(reach[m]):.1f} ({np.isfinite(reach[m]).sum()}/{len(reach[m])})"
            f"{_ratio(float(np.median(reach[m])), random, args.budget)}" for m in methods)])
        counts.append([ds, *(
            f"{np.median(per(ds, m, lambda r: r['n_within_budget'])):.0f} "
            f"({np.median(per(ds, m, lambda r: r.get('n_failed', 0))):.0f}), "
            f"{np.median(per(ds, m, lambda r: len(r['trace']))):.0f}" for m in methods)])
    _table(f"Held-out accuracy of the incumbent at {args.budget:g} s (median of "
           f"{args.seeds} seeds, [min, max])", ["data set", *methods, "coarse_to_fine leads"],
           scores)
    _table(f"The search's own objective: the incumbent's mean CV accuracy at {args.budget:g} s "
           f"(median of {args.seeds} seeds)", ["data set", *methods], cv_scores)
    _table("Seconds until the incumbent's held-out accuracy reaches the target (median, "
           "never = inf; seeds that reached it; x median of random)",
           ["data set", "target", *methods], times)
    _table("Candidates complete within the budget (failed or abandoned), and "
           "improvements of the incumbent (medians)", ["data set", *methods], counts)


def _ratio(t, random, budget):
    if not np.isfinite(t) or np.isnan(random):
        return ""
    return f", x{t / random:.2f}" if np.isfinite(random) else f", < x{t / budget:.2f}"


def _table(title, header, rows):
    print(f"### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


def plot(runs, args, targets, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = np.linspace(0, args.budget, 300)
    fig, axes = plt.subplots(1, len(args.datasets), figsize=(5 * len(args.datasets), 4),
                             squeeze=False)
    for ax, ds in zip(axes[0], args.datasets):
        top = bottom = targets[ds]
        for m in [m for m in METHODS if m in args.methods]:
            curves = np.array([[at(r["trace"], t) for t in grid] for r in runs
                               if r["dataset"] == ds and r["method"] == m])
            known = np.isfinite(curves).sum(axis=0) * 2 > len(curves)  # most seeds have one
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                med = np.where(known, np.nanmedian(curves, axis=0), np.nan)
            ax.step(grid, med, where="post", label=m, lw=2 if m == "coarse_to_fine" else 1.2)
            top = np.nanmax([top, *med])
            bottom = np.nanmin([bottom, med[-1]])  # every method's end is in view
        ax.axhline(targets[ds], color="grey", ls=":", lw=1, label="target")
        ax.set_ylim(bottom - 0.5 * (top - bottom) - 0.005, top + 0.005)
        ax.set(title=ds, xlabel="search wall time (s)", ylabel="held-out accuracy")
        ax.grid(alpha=0.3)
    axes[0][0].legend(loc="lower right")
    fig.suptitle(f"Incumbent's held-out accuracy, median of {args.seeds} seeds")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"\nplot written to {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per search")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--cv", type=int, default=4,
                        help="folds (4 keep both jobs busy in Optuna's sequential trials)")
    parser.add_argument("--max-iter", type=int, default=100, help="epochs of a full fit")
    parser.add_argument("--target", nargs="+", default=[], metavar="DATASET=SCORE",
                        help=f"held-out accuracy to reach (default {TARGETS})")
    parser.add_argument("--batch", type=int, default=4, help="random search's batch")
    parser.add_argument("--halving-candidates", type=int, default=27)
    parser.add_argument("--promote", type=int, default=None,
                        help="coarse-to-fine's promote (default: top_k, as the recipe)")
    parser.add_argument("--abandon-all", action="store_true",
                        help="divergence_threshold=10 for every method")
    parser.add_argument("--json", help="write the raw traces here")
    parser.add_argument("--plot", help="write the plot here (PNG)")
    parser.add_argument("--from-json", help="no search: report a run saved by --json")
    args = parser.parse_args()
    targets = {**TARGETS, **{k: float(v) for k, v in (t.split("=") for t in args.target)}}
    os.environ.setdefault("PYTHONWARNINGS", "ignore")  # the workers' convergence noise
    warnings.simplefilter("ignore")
    # One BLAS thread here as in joblib's workers (cores / n_jobs): the probe
    # fit is then timed as the workers run, and idle BLAS threads spinning
    # beside the workers cannot slow them down.
    threadpool_limits(1)

    start = time.perf_counter()
    if args.from_json:  # tables and plot of a saved run, e.g. with other targets
        with open(args.from_json) as f:
            saved = json.load(f)
        for key in ("budget", "seeds", "datasets", "methods"):
            setattr(args, key, saved["args"][key])
        env, runs = saved["environment"], saved["runs"]
        targets = {**saved["targets"], **{k: float(v) for k, v in
                                          (t.split("=") for t in args.target)}}
        print(env + "\n")
    else:
        import optuna

        env = (f"date: {datetime.date.today()}, python {platform.python_version()}, "
               f"sknet {sknet.__version__}, scikit-learn {sklearn.__version__}, "
               f"numpy {np.__version__}, optuna {optuna.__version__}, {os.cpu_count()} "
               f"cores, n_jobs {args.n_jobs}, cv {args.cv}, max_iter {args.max_iter}, "
               f"budget {args.budget:g} s per search")
        print(env + "\n")
        runs = run_all(args)
        print()
    report(runs, args, targets)
    if args.plot:
        plot(runs, args, targets, args.plot)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": env, "args": vars(args), "targets": targets,
                       "runs": runs}, f, indent=1)
    print(f"total time: {time.perf_counter() - start:.0f} s")


def run_all(args):
    """Every data set, seed and method; the methods' order rotates with the seed,
    so a machine that slows down during a run does not always hurt the same one."""
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for ds in args.datasets:
            data = load_data(ds)
            for seed in range(args.seeds):
                for i in range(len(args.methods)):
                    method = args.methods[(i + seed) % len(args.methods)]
                    runs.append(run_one(args, data, ds, method, seed, tmp))
                    print(f"  {ds} seed {seed} {method}: {runs[-1]['n_within_budget']} "
                          f"candidates in budget, ended at {runs[-1]['ended']:.1f} s, "
                          f"held-out {at(runs[-1]['trace'], args.budget):.4f}", flush=True)
    return runs


def run_one(args, data, ds, method, seed, tmp):
    """One search, its incumbents, and their held-out scores (refitted afterwards)."""
    log = os.path.join(tmp, f"{ds}-{method}-{seed}.log")
    open(log, "w").close()
    run = Run(args, data, seed, log)
    info = RUNNERS[method](run)
    ended = time.time() - run.t0
    done = completed(log, args.cv, run.t0)
    trace = incumbents(done, args.budget)
    tests = Parallel(n_jobs=args.n_jobs)(
        delayed(refit_score)(data, seed, args.max_iter, p["params"]) for p in trace)
    for p, score in zip(trace, tests):
        p["test"] = score
    return {"dataset": ds, "method": method, "seed": seed, "ended": round(ended, 2),
            "n_complete": len(done), "n_within_budget": sum(t <= args.budget for t, _, _ in done),
            **info, "trace": trace, "completed": [[round(t, 3), cv] for t, _, cv in done]}


if __name__ == "__main__":
    main()
