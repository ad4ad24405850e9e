"""``run_recipe``: the stages in order, and what they leave behind."""

import os
import platform
import time
from dataclasses import dataclass

import numpy as np

from .config import RecipeConfig
from .progress import Progress
from .report import Report, format_text
from .stages import STAGES, RecipeContext

__all__ = ["run_recipe", "RecipeResult"]


@dataclass
class RecipeResult:
    """What :func:`run_recipe` returns.

    Attributes
    ----------
    model : Pipeline or TransformedTargetRegressor
        The fitted model; it predicts on raw rows with the input's columns.
    report : Report
        Every section the stages measured; ``report.to_dict()`` is
        report.json.
    finder : LearningRateFinderResult
    search : CoarseToFineSearchCV
        The fitted search (``cv_results_``).
    X_test, y_test
        The held-out part, never seen by any fit.
    config : RecipeConfig
    """

    model: object
    report: Report
    finder: object
    search: object
    X_test: object
    y_test: object
    config: RecipeConfig

    def summary(self):
        """The text report the command prints."""
        return format_text(self.report)

    def save(self, path, *, overwrite=False, figures=True):
        """Write the report folder (see :func:`sknet.recipe.writers.save_report`).

        Parameters
        ----------
        path : str or path-like
            The folder; replaced whole if sknet made it.
        overwrite : bool, default=False
            Also replace a non-empty folder that sknet did not make.
        figures : bool, default=True
            Draw the figures (they need matplotlib).

        Returns
        -------
        str
            The folder's absolute path.

        Raises
        ------
        InputError
            When the folder cannot be used or written; nothing is left half
            written.
        """
        from .writers import save_report

        return save_report(self, path, overwrite=overwrite, figures=figures)


def run_recipe(X="digits", y=None, config=None, *, command=None, stream=None):
    """Run the CS231n training recipe end to end.

    Stage by stage: load and check the data (each table column gets a
    treatment: scaled, one-hot, imputed, calendar parts or dropped); split
    off a test set (stratified for classification); preprocess; check the
    initial loss and that a tiny subset can be overfit; run the
    learning-rate finder; cross-validate the default network and run a
    coarse-to-fine random search around the finder's suggestion; refit the
    better of the two on the whole training part (a diverging refit is
    retried at a smaller rate, then with the next candidate); score it on
    the test part next to scikit-learn's MLP and a gradient boosting model.
    The recipe is the one of CS231n's lecture "Training Neural Networks I".

    Parameters
    ----------
    X : str, path-like, pandas DataFrame or array-like, default='digits'
        A built-in data set (``'digits'``, ``'iris'``, ``'wine'``,
        ``'breast_cancer'``, ``'diabetes'``), a table file (.csv, .tsv, .txt,
        .data, optionally compressed, or .parquet), an .npz file with arrays
        ``X`` and ``y``, or the features.
    y : array-like of shape (n_samples,), default=None
        The target for in-memory features; None to take it from the table
        (``config.target``, else a column named 'target' or 'y').
    config : RecipeConfig, default=None
        The options (``RecipeConfig()`` when None).
    command : str, default=None
        The command line, for the report.
    stream : file-like, default=None
        Where progress lines go when ``config.verbose`` (stdout if None).

    Returns
    -------
    RecipeResult

    Raises
    ------
    InputError
        For bad data or options, before anything is fitted (and for a final
        fit that diverges at every rate and candidate).
    KeyboardInterrupt
        On Ctrl-C, at once: no interrupted fit is used.

    Examples
    --------
    >>> from sknet.recipe import RecipeConfig, run_recipe
    >>> config = RecipeConfig(budget_fits=6, cv=2, max_width=16, max_depth=1,
    ...                       max_iter=60, n_jobs=1, baselines=False)
    >>> result = run_recipe("iris", config=config)
    >>> result.report.test.scoring
    'accuracy'
    >>> bool(result.report.test.score > 0.9)
    True
    """
    from .. import __version__
    from ..training import propagate_interrupts

    config = (config if config is not None else RecipeConfig()).validate()
    progress = Progress(len(STAGES), verbose=config.verbose, stream=stream)
    report = Report(
        sknet_version=__version__,
        command=command or "run_recipe",
        options=config.to_dict(),
        environment=environment(),
    )
    ctx = RecipeContext(X=X, y=y, config=config, report=report, progress=progress)
    # Ctrl-C stops the whole recipe: an interrupted fit re-raises rather
    # than hand a half-trained model to the next stage.
    with propagate_interrupts():
        for key, title, stage in STAGES:
            progress.begin(key, title)
            progress.end(stage(ctx))
    report.timings_seconds = dict(progress.timings)
    report.total_seconds = round(time.perf_counter() - ctx.t_start, 3)
    return RecipeResult(
        model=ctx.model, report=report, finder=ctx.finder, search=ctx.search,
        X_test=ctx.X_test, y_test=ctx.y_test, config=config,
    )


def environment():
    """Versions and machine, for the report."""
    import scipy
    import sklearn

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
    }
