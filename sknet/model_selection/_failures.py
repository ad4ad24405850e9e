"""What the failed fits of a search leave behind, and how it is told.

scikit-learn's ``_fit_and_score`` returns the traceback of a fit that
raised; :func:`_failure_reason` turns it into ``cv_results_["failure_reason"]``.
When every fit of one ``evaluate_candidates`` call fails, scikit-learn raises
before recording anything: :func:`_outputs_of_all_failed` takes the outputs
back from that error, :class:`_SearchRun` keeps them and merges them into the
results, and :func:`_all_failed_message` words the error of a search in which
nothing fitted.
"""

from collections import Counter


class _SearchRun:
    """What one fit of the search keeps beside scikit-learn's own lists.

    Attributes
    ----------
    failed : dict
        Stage -> (candidates, outputs of ``_fit_and_score``, the stage's
        ``more_results``) of each stage in which every fit failed.
    formatted : tuple or None
        The arguments of the last ``_format_results`` call (scikit-learn's
        lists of accepted candidates and outputs).
    """

    def __init__(self):
        self.failed = {}
        self.formatted = None

    def merged(self, candidate_params, n_splits, out, more_results):
        """The accepted candidates and the failed stages' ones, in stage order."""
        keys = list(more_results)
        rows = [
            (
                more_results["stage"][c],
                candidate_params[c],
                out[c * n_splits : (c + 1) * n_splits],
                [more_results[k][c] for k in keys],
            )
            for c in range(len(candidate_params))
        ]
        for stage, (candidates, stage_out, more) in self.failed.items():
            rows += [
                (
                    stage,
                    candidates[c],
                    stage_out[c * n_splits : (c + 1) * n_splits],
                    [more[k][c] for k in keys],
                )
                for c in range(len(candidates))
            ]
        rows.sort(key=lambda row: row[0])  # stable: each stage keeps its order
        return (
            [row[1] for row in rows],
            [o for row in rows for o in row[2]],
            {k: [row[3][i] for row in rows] for i, k in enumerate(keys)},
        )


def _outputs_of_all_failed(exc):
    """The per-fit outputs of an ``evaluate_candidates`` call whose every fit failed.

    scikit-learn's ``_warn_or_raise_about_fit_failures`` raises a ValueError
    before the call records anything, and the error carries only a summary.
    The list it judged is its ``results`` argument, still in the frame of the
    traceback. None when ``exc`` is anything else (or that frame is not
    found), so that the error propagates as before. Whether there is one
    output per fit is for the caller to judge.
    """
    if not isinstance(exc, ValueError):
        return None
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None or tb.tb_frame.f_code.co_name != "_warn_or_raise_about_fit_failures":
        return None
    out = tb.tb_frame.f_locals.get("results")
    if not (
        isinstance(out, list)
        and out
        and all(isinstance(o, dict) and o.get("fit_error") is not None for o in out)
    ):
        return None
    return out


def _most_common_reason(reasons):
    """``(count, text)``: the most common kind of failure among ``reasons``.

    A kind is ``'diverged'`` or the exception class. Messages of one kind
    usually differ by a number (the loss, the epoch): the text is then
    ``'<kind>, e.g. <first message>'``, else the reason itself; on one line.
    """
    kinds = [reason.partition(":")[0] for reason in reasons]
    kind, count = Counter(kinds).most_common(1)[0]
    texts = [reason for reason, k in zip(reasons, kinds) if k == kind]
    text = texts[0]
    if len(set(texts)) > 1:
        text = f"{kind}, e.g. {text.partition(':')[2].strip()}"
    text = " ".join(text.split()).rstrip(".")  # one line, ready for a period
    return count, text if len(text) <= 300 else text[:297] + "..."


def _all_failed_message(failed):
    out = [o for _, stage_out, _ in failed.values() for o in stage_out]
    count, reason = _most_common_reason([_failure_reason(o["fit_error"]) for o in out])
    n_stages = len(failed)
    return (
        f"All {len(out)} fits of the search ({n_stages} stage"
        f"{'s' if n_stages > 1 else ''}) failed; most common reason ({count} of "
        f"{len(out)} fits): {reason}. Check the estimator and the ranges of "
        "param_distributions; error_score='raise' shows the first failure's traceback."
    )


def _failure_reason(traceback_text):
    """``'ExcClass: message'`` from a formatted traceback; 'diverged: ...' for divergence."""
    lines = traceback_text.rstrip().splitlines()
    # The exception line follows the last (indented) frame line; the message
    # may span several lines.
    indented = [i for i, line in enumerate(lines) if line[:1].isspace()]
    start = indented[-1] + 1 if indented else 0
    head, _, message = "\n".join(lines[start:]).partition(":")
    exc_class = head.strip().rsplit(".", 1)[-1]
    message = message.strip()
    if exc_class == "TrainingDivergedError":
        return f"diverged: {message}"
    return f"{exc_class}: {message}" if message else exc_class
