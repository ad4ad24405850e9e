"""Progress lines inside a search's stages, as a scikit-learn callback.

:class:`SearchProgress` counts the fits of each stage of a
:class:`~sknet.model_selection.CoarseToFineSearchCV` (or the one stage of
scikit-learn's ``GridSearchCV`` / ``RandomizedSearchCV``) as they end, in this
process or in joblib's worker processes, and prints a line now and then with
the time left; :class:`StageProgress` is one of its records.
"""

import functools
import numbers
import sys
import threading
import time
import warnings
from typing import NamedTuple

# scikit-learn's own way to bring callback messages home from worker
# processes (its ProgressBar uses it): a socket the workers connect to.
from sklearn.callback._transport import close_listener, open_listener, send

__all__ = ["SearchProgress", "StageProgress"]

#: The leaf task of scikit-learn's searches: one candidate on one fold.
_FIT_TASK = "candidate-split-evaluation"
#: Tasks whose children are those leaves: CoarseToFineSearchCV's stages, and
#: the search task of scikit-learn's own searches (their only stage).
_STAGE_TASKS = ("stage", "search")


def _guarded(hook):
    """Run ``hook`` so that no error of the callback reaches the search."""

    @functools.wraps(hook)
    def guarded(self, *args, **kwargs):
        try:
            return hook(self, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 (a progress line is not worth a search)
            self._fail(exc)

    return guarded


class StageProgress(NamedTuple):
    """How far one stage of a search had got, as :class:`SearchProgress` saw it.

    Attributes
    ----------
    stage : int
        The stage, from 0 (as in ``cv_results_["stage"]``).
    n_stages : int
        Stages of the search.
    done : int
        Fits (candidate x fold) of the stage finished so far, failed ones included.
    total : int
        Fits of the stage.
    elapsed : float
        Seconds since the stage began.
    seconds_left : float or None
        Estimated seconds until the stage ends (0.0 once it has ended); None
        before its first fit ends.
    final : bool
        Whether this is the record of the stage's end.
    """

    stage: int
    n_stages: int
    done: int
    total: int
    elapsed: float
    seconds_left: float | None
    final: bool


class SearchProgress:
    """Print how many fits of each search stage are done, and the time left.

    A :mod:`sklearn.callback` callback for
    :class:`~sknet.model_selection.CoarseToFineSearchCV` (scikit-learn's
    ``GridSearchCV`` and ``RandomizedSearchCV`` count as one stage). Register
    it with ``search.set_callbacks(SearchProgress())``. A line such as::

        stage 2/3: 18/30 fits done, 41 s elapsed, about 27 s left

    is printed when a fit ends and at least ``every_seconds`` have passed
    since the stage began or since its last line, and at the end of each
    stage. A fit is one candidate on one fold; one that failed counts as
    done. The time left is this stage's only: its unfinished fits at the
    pace of the finished ones (wall clock since the stage began over fits
    done, so parallel jobs are accounted for). Later stages are not guessed:
    ``stage_params`` may give them other budgets.

    Fits that run in joblib's worker processes (``n_jobs`` > 1, loky) report
    over scikit-learn's callback transport, a local socket, before their
    result is handed back, so the counts are exact. Fits on dask workers of
    other machines cannot reach it: their stage's lines then come only at its
    end. Nothing this callback does raises into the search: after an error
    of its own it warns once and stays silent. It describes one search at a
    time; each fit of the search starts its records afresh.

    Parameters
    ----------
    stream : file-like, default=None
        Where to print; ``sys.stdout`` (looked up at each line) when None. Not
        pickled: a copy prints to ``sys.stdout``.
    every_seconds : float, default=5.0
        Shortest time between two lines of a stage before its end; 0 prints a
        line for every fit.
    prefix : str, default="      "
        Put before each line (the default indents it under a recipe step).

    Attributes
    ----------
    history_ : list of StageProgress
        One record per finished fit and one per stage end, in order.
    n_done_ : list of int
        Fits finished per stage (equal to ``n_total_`` once a stage ended).
    n_total_ : list of int
        Fits per stage that has begun.

    Examples
    --------
    >>> import io
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sknet.model_selection import (
    ...     CoarseToFineSearchCV, SearchProgress, log_uniform)
    >>> X, y = load_iris(return_X_y=True)
    >>> out = io.StringIO()
    >>> progress = SearchProgress(stream=out, prefix="")
    >>> search = CoarseToFineSearchCV(
    ...     LogisticRegression(max_iter=200), {"C": log_uniform(1e-2, 1e2)},
    ...     n_stages=2, n_iter=[3, 2], cv=2, random_state=0,
    ... ).set_callbacks(progress).fit(X, y)
    >>> progress.n_done_, progress.n_total_
    ([6, 4], [6, 4])
    >>> print(out.getvalue())  # doctest: +ELLIPSIS
    stage 1/2: 6/6 fits done, ... s elapsed
    stage 2/2: 4/4 fits done, ... s elapsed
    <BLANKLINE>
    """

    def __init__(self, stream=None, every_seconds=5.0, prefix="      "):
        if not isinstance(every_seconds, numbers.Real) or not every_seconds >= 0:
            raise ValueError(f"every_seconds must be a number >= 0; got {every_seconds!r}.")
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be a str; got {prefix!r}.")
        self.stream = stream
        self.every_seconds = every_seconds
        self.prefix = prefix
        self._listeners = {}  # root task's uuid -> handle of this fit's listener
        self._reset()

    def _reset(self):
        self.history_ = []
        self.n_done_ = []
        self.n_total_ = []
        self._stages = {}  # task path of a stage-like task -> _Stage
        self._lock = threading.Lock()
        self._silent = False  # after an error of its own
        self._unreachable = False  # in a worker that cannot reach the listener

    # -- pickling: workers get what they need to report, nothing else -------

    def __getstate__(self):
        return {
            "every_seconds": self.every_seconds,
            "prefix": self.prefix,
            "_listeners": dict(self._listeners),
        }

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.stream = None
        self._reset()

    # -- scikit-learn's callback hooks ----------------------------------------

    @_guarded
    def setup(self, estimator, context):
        """Start the records and the listener of a fit (a :mod:`sklearn.callback` hook).

        Parameters
        ----------
        estimator : estimator
        context : sklearn.callback.CallbackContext
        """
        self._reset()
        self._listeners[context.root_uuid] = open_listener(self._receive)

    @_guarded
    def on_fit_task_begin(self, estimator, context):
        """Start a stage's clock (a :mod:`sklearn.callback` hook).

        Parameters
        ----------
        estimator : estimator
        context : sklearn.callback.CallbackContext
        """
        if context.task_name not in _STAGE_TASKS or not context.max_subtasks:
            return
        if context.task_name == "stage" and context.parent is not None:
            stage = _Stage(context.task_id, context.parent.max_subtasks, context.max_subtasks)
        else:
            # scikit-learn's "search" task is a stage once a fit reports to
            # it; CoarseToFineSearchCV's has the stages as its children
            stage = _Stage(0, 1, context.max_subtasks, counted=False)
        with self._lock:
            self._stages[_path(context)] = stage
            if stage.counted:
                self._count(stage)

    @_guarded
    def on_fit_task_end(self, estimator, context):
        """Count a fit, or close a stage (a :mod:`sklearn.callback` hook).

        Parameters
        ----------
        estimator : estimator
        context : sklearn.callback.CallbackContext
        """
        if context.task_name == _FIT_TASK:
            # possibly in a worker process: hand the count to the main one
            handle = self._listeners.get(context.root_uuid)
            if handle is None or self._unreachable or context.parent is None:
                return
            try:
                send(handle, _path(context.parent))
            except Exception:  # noqa: BLE001 (e.g. a dask worker on another machine)
                self._unreachable = True  # its stage's end still counts its fits
        elif context.task_name in _STAGE_TASKS:
            self._end_stage(_path(context))

    @_guarded
    def teardown(self, estimator, context):
        """Close the fit's listener (a :mod:`sklearn.callback` hook).

        Parameters
        ----------
        estimator : estimator
        context : sklearn.callback.CallbackContext
        """
        handle = self._listeners.pop(context.root_uuid, None)
        if handle is not None:
            close_listener(handle)

    # -- bookkeeping ----------------------------------------------------------

    @_guarded
    def _receive(self, path):
        """A fit of the stage at ``path`` ended (called from any thread)."""
        with self._lock:
            stage = self._stages.get(tuple(path))
            if stage is None or stage.ended:
                return
            if not stage.counted:
                self._count(stage)
            stage.done = min(stage.done + 1, stage.total)
            now = time.monotonic()
            record = stage.record(now, final=False)
            self._keep(record)
            # the stage's last fit: its end prints the line
            if stage.done < stage.total and now - stage.last_line >= self.every_seconds:
                stage.last_line = now
                self._write(record)

    def _end_stage(self, path):
        with self._lock:
            stage = self._stages.get(path)
            if stage is None or stage.ended or not stage.counted:
                return
            # scikit-learn has handed back every result: all fits are done,
            # whether or not each one could report
            stage.ended = True
            stage.done = stage.total
            record = stage.record(time.monotonic(), final=True)
            self._keep(record)
            self._write(record)

    def _count(self, stage):
        """Make room for ``stage`` in ``n_done_`` and ``n_total_``."""
        stage.counted = True
        missing = stage.stage + 1 - len(self.n_total_)
        self.n_total_ += [0] * missing
        self.n_done_ += [0] * missing
        self.n_total_[stage.stage] = stage.total
        self.n_done_[stage.stage] = 0

    def _keep(self, record):
        self.history_.append(record)
        self.n_done_[record.stage] = record.done

    def _write(self, record):
        if self._silent:
            return
        line = (
            f"{self.prefix}stage {record.stage + 1}/{record.n_stages}: "
            f"{record.done}/{record.total} fits done, {_seconds(record.elapsed)} elapsed"
        )
        if not record.final and record.seconds_left is not None:
            line += f", about {_seconds(record.seconds_left)} left"
        stream = self.stream if self.stream is not None else sys.stdout
        print(line, file=stream, flush=True)

    def _fail(self, exc):
        if not self._silent:
            self._silent = True
            warnings.warn(
                f"SearchProgress stopped printing after an error of its own "
                f"({type(exc).__name__}: {exc}); the search goes on.",
                RuntimeWarning,
                stacklevel=2,
            )


class _Stage:
    """The clock and the count of one stage."""

    def __init__(self, stage, n_stages, total, *, counted=True):
        self.stage = stage
        self.n_stages = n_stages
        self.total = total
        self.done = 0
        self.start = self.last_line = time.monotonic()
        self.ended = False
        self.counted = counted  # known to be a stage (fits report to it)

    def record(self, now, *, final):
        elapsed = now - self.start
        if final:
            left = 0.0
        elif self.done:
            left = elapsed / self.done * (self.total - self.done)
        else:
            left = None
        return StageProgress(
            self.stage, self.n_stages, self.done, self.total, elapsed, left, final
        )


def _path(context):
    """Task ids from the root task down to ``context``: a key the same in every process."""
    ids = []
    while context is not None:
        ids.append(context.task_id)
        context = context.parent
    return tuple(reversed(ids))


def _seconds(seconds):
    """'41 s', '12 min 5 s', '2 h 03 min'."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
