"""CoarseToFineSearchCV: random search in stages narrowed around the winners.

A ``BaseSearchCV`` that samples each stage's candidates from the spaces of
:mod:`sknet.model_selection._spaces`, narrows them around the previous
stage's best candidates, records why a candidate failed
(``cv_results_["failure_reason"]``), keeps going when every fit of a stage
fails, and reruns a stage whose dask worker died.
"""

import numbers
import time
import warnings

import numpy as np
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection._search import BaseSearchCV
from sklearn.model_selection._validation import _insert_error_scores
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from ..exceptions import SearchFailedError, WorkerLostWarning
from ..training import propagate_interrupts
from ._failures import (
    _all_failed_message,
    _failure_reason,
    _most_common_reason,
    _outputs_of_all_failed,
    _SearchRun,
)
from ._spaces import (
    _is_categorical,
    _is_int,
    _sample,
    _value_equal,
    narrow_distribution,
)
from ._threads import worker_blas_threads
from ._workers import _check_fit_count, _Reruns, _StaleOutputsError, _undo_stale_call

__all__ = ["CoarseToFineSearchCV"]


class CoarseToFineSearchCV(BaseSearchCV):
    """Random search in stages, each narrowed around the previous winners.

    Stage 0 samples ``n_iter`` candidates from ``param_distributions``. Every
    next stage takes the ``top_k`` best candidates of the stage before
    (candidates whose fit failed or scored NaN never count, whatever
    ``error_score`` is), narrows every space around
    their values with :func:`narrow_distribution` (numeric ranges shrink to
    the winners' span plus ``margin``, clipped to the original range;
    categorical choices shrink to those the winners used, keeping those the
    stage never tried) and samples its new candidates from the narrowed
    spaces (``n_iter`` of them, less those promoted). This is the lecture's
    coarse-to-fine random search over log-scale ranges.

    ``stage_params`` gives each stage fixed parameters merged into its
    candidates, typically a smaller epoch budget for the coarse stages. With
    ``promote``, each next stage also runs the previous stage's best
    candidates again under its own ``stage_params``, as successive halving
    (Jamieson & Talwalkar, 2016) promotes its best candidates to a larger
    budget: the longer fits then include the best values the shorter ones
    found, instead of only new draws near them.
    Scores obtained under different budgets are not comparable, so
    ``best_index_`` (hence ``best_params_`` and the refit) is chosen only among
    the candidates of the stages whose ``stage_params`` equal the last
    stage's, failed candidates excluded; the refit thus uses the final stage's
    budget, or the estimator's own when the final entry is ``{}``.
    ``rank_test_score`` still ranks all candidates, as scikit-learn does.

    When a fit raises (e.g. :class:`~sknet.exceptions.TrainingDivergedError`
    from an estimator with ``divergence_threshold`` set, which stops at the
    first exploding mini-batch), the candidate scores ``error_score`` and
    ``cv_results_["failure_reason"]`` says why. A stage in which every fit
    fails does not stop the search (scikit-learn's own searches raise
    there): its candidates are recorded the same way, a
    :class:`~sklearn.exceptions.FitFailedWarning` names the most common
    reason, and the next stage samples the same spaces again. Only when every
    fit of every stage failed does :meth:`fit` raise, a short ``SearchFailedError``
    naming the most common reason. Ctrl-C stops the whole search:
    its fits run inside :func:`sknet.training.propagate_interrupts`, so an
    interrupted sknet estimator raises ``KeyboardInterrupt`` instead of
    handing a half-trained model to be scored.

    Parameters
    ----------
    estimator : estimator object
        Any scikit-learn estimator (or Pipeline).
    param_distributions : dict
        Parameter names to spaces: lists (categorical), ``scipy.stats``
        frozen ``loguniform`` / ``uniform`` / ``randint``, :func:`log_uniform`,
        :func:`log_uniform_int`, :class:`HiddenLayerSizes`. Other objects with
        ``rvs`` are sampled but never narrowed.
    n_stages : int, default=3
        Number of stages.
    n_iter : int, list of int or callable, default=20
        Candidates per stage: one int for every stage, one per stage, or
        ``n_iter(stage, history)`` called before each stage, where
        ``history`` lists ``(n_candidates, seconds)`` of the stages run so
        far (their wall time), so that a time budget can size the later
        stages from the measured cost of the earlier ones. It must return a
        positive int.
    top_k : int, default=5
        Number of best candidates of a stage that define the next stage's
        spaces (fewer when fewer fits succeeded; with none, the spaces are
        kept).
    margin : float, default=0.1
        Widening of a narrowed range on each side, as a fraction of the
        current range's width (in decades for log ranges).
    scoring : str, callable, list, tuple or dict, default=None
        As in :class:`~sklearn.model_selection.RandomizedSearchCV`. With
        several metrics, ``refit`` names the one that ranks the stages.
    n_jobs : int, default=None
        Jobs to run in parallel (through joblib; use a dask backend to
        run on a cluster). With joblib's thread backend, BLAS gets
        ``cpu_count() // n_jobs`` threads per fit during the search, as
        joblib's process backend gives its workers, so parallel fits do not
        oversubscribe the cores (the refit has them all).
    refit : bool, str or callable, default=True
        Refit the best candidate on the whole data.
    cv : int, cross-validation generator or iterable, default=None
        As in scikit-learn. Use a splitter that yields the same folds on
        every call (the default, or ``random_state`` set) so that stages are
        scored on the same folds.
    verbose : int, default=0
        Verbosity; ``> 0`` prints a line per stage.
    pre_dispatch : int or str, default="2*n_jobs"
        Number of jobs dispatched during parallel execution.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling of all stages.
    error_score : 'raise' or float, default=np.nan
        Score of a failed fit.
    return_train_score : bool, default=False
        Also record training scores.
    stage_params : list of dict or None, default=None
        One dict per stage of fixed parameters merged into that stage's
        candidates, e.g. ``[{"max_iter": 20}, {"max_iter": 50}, {}]``. Its
        keys must not be in ``param_distributions``.
    promote : int, default=0
        Number of the previous stage's best candidates (the winners that
        narrow the spaces, best first) that each stage runs again with its
        own ``stage_params`` (their searched values unchanged), before its
        new draws; they count among the stage's ``n_iter`` candidates. At
        most the stage's ``n_iter`` and ``top_k`` are promoted; none into a
        stage whose ``stage_params`` equal the previous stage's (the fit
        would be repeated unchanged), and none after a stage whose every fit
        failed. Only the previous stage is looked at.

    Attributes
    ----------
    cv_results_ : dict of numpy arrays
        As in scikit-learn, plus ``stage`` (int array: the stage of each
        candidate, from 0), ``promoted`` (bool array: True for a candidate
        run again from the previous stage, see ``promote``) and
        ``failure_reason`` (str array: ``''`` when all
        folds fitted, ``'diverged: <message>'`` when a fold raised
        ``TrainingDivergedError``, else ``'<ExceptionClass>: <message>'`` of
        the first failing fold).
    stage_distributions_ : list of dict
        The spaces sampled at each stage.
    stage_seconds_ : list of float
        Wall time of each stage's fits and scoring.
    best_estimator_, best_score_, best_params_, best_index_, scorer_, \
n_splits_, refit_time_, multimetric_
        As in :class:`~sklearn.model_selection.RandomizedSearchCV`.

    See Also
    --------
    sklearn.model_selection.RandomizedSearchCV : One stage of this search.
    SearchProgress : Prints how far each stage has got.

    Notes
    -----
    To run on a dask cluster, create a client and use joblib's dask backend::

        import joblib
        from dask.distributed import Client
        client = Client("tcp://scheduler:8786")   # or Client(LocalCluster())
        with joblib.parallel_backend("dask"):
            search.fit(X, y)

    Sampling happens on the client, so results do not depend on the backend.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sknet.model_selection import (
    ...     CoarseToFineSearchCV, log_uniform, search_range)
    >>> X, y = load_iris(return_X_y=True)
    >>> search = CoarseToFineSearchCV(
    ...     LogisticRegression(max_iter=200), {"C": log_uniform(1e-4, 1e4)},
    ...     n_stages=2, n_iter=4, top_k=2, cv=3, random_state=0,
    ... ).fit(X, y)
    >>> search.cv_results_["stage"]
    array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> r0, r1 = (search_range(d["C"]) for d in search.stage_distributions_)
    >>> bool(r1.high / r1.low < r0.high / r0.low)    # stage 1 is narrower
    True
    >>> bool(search.best_score_ > 0.9)
    True
    """

    _parameter_constraints: dict = {
        **BaseSearchCV._parameter_constraints,
        "param_distributions": [dict],
        "n_stages": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_iter": [Interval(numbers.Integral, 1, None, closed="left"), list, callable],
        "top_k": [Interval(numbers.Integral, 1, None, closed="left")],
        "margin": [Interval(numbers.Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "stage_params": [list, None],
        "promote": [Interval(numbers.Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_stages=3,
        n_iter=20,
        top_k=5,
        margin=0.1,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        random_state=None,
        error_score=np.nan,
        return_train_score=False,
        stage_params=None,
        promote=0,
    ):
        self.param_distributions = param_distributions
        self.n_stages = n_stages
        self.n_iter = n_iter
        self.top_k = top_k
        self.margin = margin
        self.random_state = random_state
        self.stage_params = stage_params
        self.promote = promote
        super().__init__(
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )

    def fit(self, X, y=None, **params):
        """Run the search: every stage's candidates on every fold, then the refit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            Targets.
        **params : dict
            Passed to the estimator's ``fit`` (routed as in scikit-learn).

        Returns
        -------
        self : CoarseToFineSearchCV

        Raises
        ------
        SearchFailedError
            (a ``ValueError``) when every fit of every stage failed; the
            message names the most common reason. With ``error_score='raise'``, the first failure
            itself.
        KeyboardInterrupt
            On Ctrl-C, at once: no interrupted fit is scored.
        """
        self._run = _SearchRun()
        try:
            with propagate_interrupts():
                super().fit(X, y, **params)
            failed = self._run.failed
            if failed and max(failed) > max(self.cv_results_["stage"]):
                # Stages after the last one that had a success never reached
                # scikit-learn's results; they come last, so appending them
                # moves no index (best_index_ stays right).
                self.cv_results_ = self._format_results(*self._run.formatted)
        finally:
            del self._run
        return self

    def __getstate__(self):
        # scikit-learn sends the search itself along with every fit to its
        # workers: the run's bookkeeping (all outputs so far) stays home.
        state = dict(super().__getstate__())
        state.pop("_run", None)
        return state

    # -- configuration helpers ---------------------------------------------

    def _stage_n_iter(self, stage, history):
        """Candidates of ``stage``; ``history`` as for a callable ``n_iter``."""
        if not callable(self.n_iter):
            return self._per_stage_n_iter()[stage]
        n = self.n_iter(stage, list(history))
        if not (_is_int(n) and n >= 1):
            raise ValueError(
                f"n_iter({stage}, history) must return a positive int; got {n!r}."
            )
        return int(n)

    def _per_stage_n_iter(self):
        if isinstance(self.n_iter, numbers.Integral):
            return [int(self.n_iter)] * self.n_stages
        if len(self.n_iter) != self.n_stages or not all(
            _is_int(n) and n >= 1 for n in self.n_iter
        ):
            raise ValueError(
                f"n_iter must be a positive int or a list of {self.n_stages} "
                f"positive ints (one per stage); got {self.n_iter!r}."
            )
        return [int(n) for n in self.n_iter]

    def _per_stage_params(self):
        if self.stage_params is None:
            return [{} for _ in range(self.n_stages)]
        if len(self.stage_params) != self.n_stages or not all(
            isinstance(p, dict) for p in self.stage_params
        ):
            raise ValueError(
                f"stage_params must be a list of {self.n_stages} dicts (one per "
                f"stage); got {self.stage_params!r}."
            )
        clash = set().union(*self.stage_params) & set(self.param_distributions)
        if clash:
            raise ValueError(
                f"Parameters {sorted(clash)} are both searched (param_distributions) "
                "and fixed (stage_params)."
            )
        return [dict(p) for p in self.stage_params]

    def _check_spaces(self):
        for name, space in self.param_distributions.items():
            if not (_is_categorical(space) or hasattr(space, "rvs")):
                raise TypeError(
                    f"param_distributions[{name!r}] must be a list of choices or an "
                    f"object with an rvs method; got {space!r}."
                )
            if _is_categorical(space) and len(space) == 0:
                raise ValueError(f"param_distributions[{name!r}] is empty.")

    def _ranking_key(self, results):
        if "mean_test_score" in results:
            return "mean_test_score"
        if isinstance(self.refit, str) and f"mean_test_{self.refit}" in results:
            return f"mean_test_{self.refit}"
        raise ValueError(
            "With several scoring metrics, set refit to the name of the metric "
            "that ranks the candidates of each stage."
        )

    # -- the search ----------------------------------------------------------

    def _run_search(self, evaluate_candidates, *, callback_ctx=None):
        self._check_spaces()
        if not callable(self.n_iter):
            self._per_stage_n_iter()  # a bad list is refused before any fit
        fixed = self._per_stage_params()
        rng = check_random_state(self.random_state)
        original = self.param_distributions
        spaces = dict(original)
        self.stage_distributions_ = []
        # scikit-learn's callbacks: the search is a task of one subtask per
        # stage, each with one per candidate and fold (as in its searches).
        search_ctx = None
        if callback_ctx is not None:
            search_ctx = callback_ctx.subcontext(
                task_name="search", max_subtasks=self.n_stages
            ).call_on_fit_task_begin(estimator=self)
        results, candidates = None, []  # the previous stage's, when narrowing
        self.stage_seconds_ = []
        history = []
        for stage in range(self.n_stages):
            # results is None after a stage whose every fit failed: no winners
            winners = []
            if stage > 0 and results is not None:
                winners = self._winners(results, stage - 1)
                if winners:
                    spaces = {
                        name: narrow_distribution(
                            space,
                            [p[name] for p in winners],
                            original=original[name],
                            margin=self.margin,
                            # the previous stage's candidates, winners or not
                            tried=[p[name] for p in candidates],
                        )
                        for name, space in spaces.items()
                    }
            self.stage_distributions_.append(dict(spaces))
            n_candidates = self._stage_n_iter(stage, history)
            promoted = self._promoted(winners, fixed, stage, n_candidates)
            candidates = promoted + [
                {**_sample_params(spaces, rng), **fixed[stage]}
                for _ in range(n_candidates - len(promoted))
            ]
            if self.verbose > 0:
                print(f"Stage {stage}: {len(candidates)} candidates")
            stage_ctx = None
            if search_ctx is not None:
                stage_ctx = search_ctx.subcontext(
                    task_name="stage",
                    max_subtasks=len(candidates) * self.n_splits_,
                    sequential_subtasks=False,
                ).call_on_fit_task_begin(estimator=self)
            started = time.perf_counter()
            # Parallel fits share the cores; the refit after the search has them all.
            with worker_blas_threads(self.n_jobs):
                results = self._evaluate_stage(
                    evaluate_candidates, candidates, stage, stage_ctx, len(promoted)
                )
            self.stage_seconds_.append(time.perf_counter() - started)
            history.append((len(candidates), self.stage_seconds_[-1]))
            if stage_ctx is not None:
                stage_ctx.call_on_fit_task_end(estimator=self)
        if search_ctx is not None:
            search_ctx.call_on_fit_task_end(estimator=self)
        if len(self._run.failed) == self.n_stages:
            raise SearchFailedError(_all_failed_message(self._run.failed))

    def _promoted(self, winners, fixed, stage, n_candidates):
        """The previous stage's best candidates under ``stage``'s fixed parameters.

        ``winners`` come best first, each with the previous stage's fixed
        parameters merged in: those are replaced by this stage's.
        """
        if self.promote == 0 or stage == 0 or _same_params(fixed[stage], fixed[stage - 1]):
            return []
        count = min(self.promote, n_candidates, len(winners))
        return [
            {**{k: v for k, v in params.items() if k not in fixed[stage - 1]}, **fixed[stage]}
            for params in winners[:count]
        ]

    def _evaluate_stage(self, evaluate_candidates, candidates, stage, stage_ctx, n_promoted=0):
        """Fit and score one stage's candidates, rerunning it if a dask worker dies.

        joblib's dask backend scatters the data to one worker; when that
        worker dies the data is gone and every fit of the call is cancelled.
        scikit-learn records a call's results only once all of them are in,
        so the stage is rerun whole (its data scattered afresh) and nothing
        is counted twice; earlier stages are kept. So is a later stage whose
        call returned fits left over from the cancelled one. Callbacks see
        the first attempt's fits only.

        When every fit of the stage failed, scikit-learn raises before it
        records anything: the stage's outputs are taken from that error and
        kept aside (see :meth:`_format_results`), and None is returned.
        """
        more = {
            "stage": [stage] * len(candidates),
            "promoted": [i < n_promoted for i in range(len(candidates))],
        }
        reruns = _Reruns()
        while True:
            try:
                # scikit-learn's callback contexts take each fit once: a
                # rerun's fits are not reported again
                return evaluate_candidates(
                    candidates,
                    more_results=more,
                    callback_ctx=stage_ctx if reruns.count == 0 else None,
                )
            except Exception as exc:
                error = exc
                out = _outputs_of_all_failed(exc)
                if out is not None:
                    try:  # every fit failed, leftovers of a cancelled call among them?
                        _check_fit_count(len(out), len(candidates) * self.n_splits_)
                    except _StaleOutputsError as stale:
                        error = stale
                    else:
                        self._record_failed_stage(stage, candidates, out, more)
                        return None
                why = reruns.spend(error)
                if why is None:
                    if error is exc:
                        raise
                    raise error from exc
                warnings.warn(
                    f"Stage {stage}: {why}; rerunning the stage's {len(candidates)} "
                    "candidates.",
                    WorkerLostWarning,
                    stacklevel=2,
                )

    def _record_failed_stage(self, stage, candidates, out, more):
        self._run.failed[stage] = (list(candidates), list(out), more)
        count, reason = _most_common_reason(
            [_failure_reason(o["fit_error"]) for o in out]
        )
        then = (
            "the next stage samples the same spaces again"
            if stage < self.n_stages - 1
            else "the earlier stages' results are kept"
        )
        warnings.warn(
            f"Stage {stage}: all {len(out)} fits failed; most common reason "
            f"({count} of {len(out)} fits): {reason}. Its candidates score "
            f"error_score={self.error_score} and {then}.",
            FitFailedWarning,
            stacklevel=3,
        )

    def _winners(self, results, stage):
        """Params of the ``top_k`` best successful candidates of ``stage``."""
        scores = np.asarray(results[self._ranking_key(results)], dtype=float)
        ok = _succeeded(results, scores)
        idx = np.flatnonzero((np.asarray(results["stage"]) == stage) & ok)
        best = idx[np.argsort(-scores[idx], kind="stable")][: self.top_k]
        return [results["params"][i] for i in best]

    def _select_best_index(self, refit, refit_metric, results):
        """Best candidate among the stages run with the final stage's budget."""
        if callable(refit):
            return super()._select_best_index(refit, refit_metric, results)
        fixed = self._per_stage_params()
        comparable = [s for s in range(self.n_stages) if _same_params(fixed[s], fixed[-1])]
        scores = np.asarray(results[f"mean_test_{refit_metric}"], dtype=float)
        in_budget = np.isin(results["stage"], comparable)
        ok = _succeeded(results, scores)
        idx = np.flatnonzero(in_budget & ok)
        if len(idx) == 0 and ok.any():
            # every candidate run with the final budget failed: the best of
            # the others, whose params carry their own (smaller) budget
            idx = np.flatnonzero(ok)
            best = int(idx[np.argmax(scores[idx])])
            warnings.warn(
                "No candidate run with the last stage's stage_params succeeded; "
                f"best_params_ is the best candidate of stage {results['stage'][best]} "
                "and the refit uses that stage's parameters.",
                UserWarning,
                stacklevel=2,
            )
            return best
        if len(idx) == 0:  # no candidate fitted every fold: as scikit-learn, the first
            return int(np.flatnonzero(in_budget)[0]) if in_budget.any() else 0
        return int(idx[np.argmax(scores[idx])])

    def _format_results(self, candidate_params, n_splits, out, more_results=None):
        """scikit-learn's results, with the stages in which every fit failed.

        scikit-learn's lists hold only the stages it accepted; those it
        refused are merged back in stage order. A call that returned
        outputs left over from a cancelled one is taken back out of the
        lists, and its stage rerun (see :mod:`._workers`).
        """
        run = getattr(self, "_run", None)
        if run is not None:
            _undo_stale_call(candidate_params, n_splits, out, more_results)
            run.formatted = (candidate_params, n_splits, out, more_results)
            if run.failed:
                candidate_params, out, more_results = run.merged(
                    candidate_params, n_splits, out, more_results
                )
                if callable(self.scoring):  # as scikit-learn does for each call
                    _insert_error_scores(out, self.error_score)
        results = super()._format_results(candidate_params, n_splits, out, more_results)
        reasons = []
        for c in range(len(candidate_params)):
            errors = [
                o["fit_error"]
                for o in out[c * n_splits : (c + 1) * n_splits]
                if o["fit_error"] is not None
            ]
            reasons.append(_failure_reason(errors[0]) if errors else "")
        results["failure_reason"] = np.asarray(reasons, dtype=object)
        return results


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _succeeded(results, scores):
    """Candidates whose every fold fitted and scored a finite value.

    A failed fit scores ``error_score``, which may be a finite number: the
    failure column, not the score, tells failures apart.
    """
    return np.isfinite(scores) & (np.asarray(results["failure_reason"]) == "")


def _same_params(a, b):
    """Whether two dicts of fixed parameters are equal (arrays compare by identity)."""
    return a.keys() == b.keys() and all(_value_equal(a[k], b[k]) for k in a)


def _sample_params(spaces, rng):
    # sorted keys: the draw order, hence the result, does not depend on dict order
    return {name: _to_python(_sample(spaces[name], rng)) for name in sorted(spaces)}


def _to_python(value):
    """numpy scalars -> Python scalars, so params print and compare plainly."""
    return value.item() if isinstance(value, np.generic) else value
