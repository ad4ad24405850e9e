"""Random vs grid search, and coarse-to-fine vs one random search.

Two claims of the CS231n lecture, measured with scikit-learn's searches and
sknet's :class:`~sknet.model_selection.CoarseToFineSearchCV`:

1. With the same number of fits, random search finds better values than grid
   search, because when only one parameter matters a grid tries only a few
   distinct values of it.
2. Coarse-to-fine random search beats a single random search of the same
   total number of fits.

Each is measured on a synthetic objective (a known function of
``log10(learning_rate)`` and ``log10(alpha)``, so the regret is exact) and on
a real task (scikit-learn's MLPClassifier, SGD with momentum, few epochs, on
the digits data; CV accuracy on a training split and accuracy of the refit
model on a held-out split). Medians over seeds are printed as Markdown
tables; the recorded run is in ``docs/hyperparameter_search.md``.

Run::

    PYTHONPATH=. python benchmarks/search_experiment.py        # a few minutes, 2 cores
    PYTHONPATH=. python benchmarks/search_experiment.py --seeds 1 --synthetic-seeds 10
"""

import argparse
import datetime
import math
import platform
import time
import warnings

import numpy as np
import sklearn
from sklearn.base import BaseEstimator
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import (
    GridSearchCV,
    RandomizedSearchCV,
    StratifiedKFold,
    train_test_split,
)
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknet.model_selection import CoarseToFineSearchCV, log_uniform

LR_RANGE = (1e-6, 1.0)  # 6 decades
ALPHA_RANGE = (1e-7, 1e-1)  # 6 decades


class SyntheticObjective(BaseEstimator):
    """Score = exp(-d^2 / (2 * width^2)), d the distance to the optimum in decades.

    With ``alpha_matters=False`` only ``log10(lr)`` counts (the lecture's
    "important vs unimportant parameter" picture); otherwise the distance is
    measured in the (log10 lr, log10 alpha) plane.
    """

    def __init__(
        self, lr=1e-3, alpha=1e-3, lr_opt=1e-3, alpha_opt=1e-3, width=0.3, alpha_matters=False
    ):
        self.lr = lr
        self.alpha = alpha
        self.lr_opt = lr_opt
        self.alpha_opt = alpha_opt
        self.width = width
        self.alpha_matters = alpha_matters

    def fit(self, X, y=None):
        return self

    def distance(self):
        d2 = (math.log10(self.lr) - math.log10(self.lr_opt)) ** 2
        if self.alpha_matters:
            d2 += (math.log10(self.alpha) - math.log10(self.alpha_opt)) ** 2
        return math.sqrt(d2)

    def score(self, X, y=None):
        return math.exp(-self.distance() ** 2 / (2 * self.width**2))


def log_grid(low, high, n):
    """``n`` log-spaced values at the centres of ``n`` equal cells (fair to the grid)."""
    edges = np.linspace(math.log10(low), math.log10(high), n + 1)
    return list(10 ** ((edges[:-1] + edges[1:]) / 2))


def space():
    return {"lr": log_uniform(*LR_RANGE), "alpha": log_uniform(*ALPHA_RANGE)}


def synthetic(n_seeds, budget_side, c2f_stages=3):
    """Median regret (decades from the optimum of the best point found)."""
    X = np.zeros((4, 1))
    rows = {"grid": [], "random": [], "c2f_random": [], "c2f": []}
    rows2 = {"random": [], "c2f": []}
    budget = budget_side**2
    grid = {"lr": log_grid(*LR_RANGE, budget_side), "alpha": log_grid(*ALPHA_RANGE, budget_side)}
    for seed in range(n_seeds):
        rng = np.random.RandomState(seed)
        lr_opt = 10 ** rng.uniform(*np.log10(LR_RANGE))
        alpha_opt = 10 ** rng.uniform(*np.log10(ALPHA_RANGE))
        for alpha_matters, table in [(False, rows), (True, rows2)]:
            est = SyntheticObjective(lr_opt=lr_opt, alpha_opt=alpha_opt, alpha_matters=alpha_matters)
            common = dict(cv=2, refit=True)
            searches = {
                "random": RandomizedSearchCV(
                    est, space(), n_iter=budget, random_state=seed, **common
                ),
                # coarse-to-fine with the same number of fits: stages of budget / stages
                "c2f": CoarseToFineSearchCV(
                    est,
                    space(),
                    n_stages=c2f_stages,
                    n_iter=_split_budget(budget, c2f_stages),
                    top_k=3,
                    random_state=seed,
                    **common,
                ),
            }
            if not alpha_matters:
                searches["grid"] = GridSearchCV(est, grid, **common)
            for name, search in searches.items():
                search.fit(X)
                table[name].append(search.best_estimator_.distance())
    return rows, rows2, budget


def _split_budget(budget, n_stages):
    base = [budget // n_stages] * n_stages
    for i in range(budget - sum(base)):
        base[i] += 1
    return base


def digits_task(n_seeds, n_jobs, max_iter):
    """Median CV accuracy and held-out accuracy of the refit best model."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.33, random_state=0, stratify=y
    )
    cv = StratifiedKFold(3, shuffle=True, random_state=0)  # same folds every stage
    results = {}
    e3 = max(1, max_iter // 3)
    for seed in range(n_seeds):
        est = make_pipeline(
            StandardScaler(),
            MLPClassifier(
                hidden_layer_sizes=(64,),
                solver="sgd",
                momentum=0.9,
                batch_size=64,
                max_iter=max_iter,
                random_state=seed,
            ),
        )
        dists = {
            "mlpclassifier__learning_rate_init": log_uniform(1e-5, 1.0),
            "mlpclassifier__alpha": log_uniform(*ALPHA_RANGE),
        }
        grid = {
            "mlpclassifier__learning_rate_init": log_grid(1e-5, 1.0, 3),
            "mlpclassifier__alpha": log_grid(*ALPHA_RANGE, 3),
        }
        common = dict(cv=cv, n_jobs=n_jobs, refit=True)
        searches = {
            "grid 3x3 (9)": GridSearchCV(est, grid, **common),
            "random (9)": RandomizedSearchCV(est, dists, n_iter=9, random_state=seed, **common),
            "random (18)": RandomizedSearchCV(est, dists, n_iter=18, random_state=seed, **common),
            "coarse-to-fine 3x6 (18)": CoarseToFineSearchCV(
                est, dists, n_stages=3, n_iter=6, top_k=3, random_state=seed, **common
            ),
            # same total epochs as random (18) x max_iter: short coarse stages
            f"coarse-to-fine, epochs {e3}/{2 * e3}/{max_iter} (18+9+6)": CoarseToFineSearchCV(
                est,
                dists,
                n_stages=3,
                n_iter=[18, 9, 6],
                top_k=3,
                random_state=seed,
                stage_params=[
                    {"mlpclassifier__max_iter": e3},
                    {"mlpclassifier__max_iter": 2 * e3},
                    {},
                ],
                **common,
            ),
        }
        for name, search in searches.items():
            search.fit(X_train, y_train)
            lr = search.best_params_["mlpclassifier__learning_rate_init"]
            results.setdefault(name, []).append(
                (search.best_score_, search.score(X_test, y_test), lr)
            )
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds of the digits task")
    parser.add_argument("--synthetic-seeds", type=int, default=100)
    parser.add_argument("--max-iter", type=int, default=15, help="MLP epochs")
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    warnings.filterwarnings("ignore", message="One or more of the test scores")

    start = time.perf_counter()
    print(f"date: {datetime.date.today()}, python {platform.python_version()}, "
          f"scikit-learn {sklearn.__version__}, numpy {np.__version__}\n")

    print(f"### Synthetic objective, {args.synthetic_seeds} seeds\n")
    print("Regret = distance in decades from the true optimum to the best point found "
          "(median, and 90th percentile). The optimum is drawn log-uniformly per seed; "
          "the score is a Gaussian bump of width 0.3 decade.\n")
    print("| objective | fits | search | median regret | p90 regret |")
    print("|---|---|---|---|---|")
    pretty = {"grid": "grid", "random": "random", "c2f": "coarse-to-fine, 3 stages"}
    for side in (4, 6):
        rows, rows2, budget = synthetic(args.synthetic_seeds, side)
        for label, table in [("only lr matters", rows), ("lr and alpha matter", rows2)]:
            for name in ["grid", "random", "c2f"]:
                if not table.get(name):
                    continue
                v = np.asarray(table[name])
                what = f"grid {side}x{side}" if name == "grid" else pretty[name]
                print(f"| {label} | {budget} | {what} | {np.median(v):.3f} | "
                      f"{np.percentile(v, 90):.3f} |")
    print()

    res = digits_task(args.seeds, args.n_jobs, args.max_iter)
    print(f"### Digits, MLPClassifier (64 hidden, SGD + momentum, {args.max_iter} epochs), "
          f"{args.seeds} seeds\n")
    print("| search (fits per fold) | median CV accuracy | median held-out accuracy | "
          "worst held-out accuracy | median best lr |")
    print("|---|---|---|---|---|")
    for name, vals in res.items():
        v = np.asarray(vals)
        print(f"| {name} | {np.median(v[:, 0]):.4f} | {np.median(v[:, 1]):.4f} | "
              f"{np.min(v[:, 1]):.4f} | {np.median(v[:, 2]):.2g} |")
    print(f"\ntotal time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
