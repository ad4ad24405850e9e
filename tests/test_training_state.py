"""docs/design.md's state table, cell by cell.

The table is read from the documentation itself: each row is a piece of
training state, each column an event, each cell a word that says what the
event does to the piece. For every cell this test runs the event on a small
network that has every piece (batch norm, dropout, a leaky slope, a decaying
schedule; early stopping for its own row), observes the piece before and
after, and checks the word.
"""

import copy
import pickle
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import sknet.optimizers
from sknet import MLPClassifier
from sknet.layers import Dropout
from sknet.training import DivergenceGuard

DESIGN = Path(__file__).resolve().parents[1] / "docs" / "design.md"
EVENTS = ["new fit", "warm fit", "partial_fit", "pickling", "interrupt", "error"]
EPOCHS, BATCHES, ROWS = 4, 3, 150  # per fit: 4 epochs of 3 batches over 150 rows
INTERRUPT_AT = 2 * BATCHES + 2  # an update of the third epoch
CHANGES = {"leaky_relu_slope": 0.2, "batch_norm_momentum": 0.5, "batch_norm_epsilon": 1e-4,
           "dropout": 0.2, "label_smoothing": 0.1}


def read_table():
    """``{row: {event: word}}`` from the state table of docs/design.md."""
    lines = DESIGN.read_text().splitlines()
    start = lines.index("| state | " + " | ".join(EVENTS) + " |")
    table = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        table[cells[0]] = dict(zip(EVENTS, cells[1:]))
    return table


TABLE = read_table()


# ----------------------------------------------------------------------
# observing each piece of state
# ----------------------------------------------------------------------
def _layer(est, kind):
    return next(layer for _, layer in est.network_.layers if isinstance(layer, kind))


def _optimizer(est):
    opt = est._training.optimizer
    if opt is None:
        return None
    return {"type": type(opt), "t": opt.t, "arrays": [a.copy() for a in opt.state_arrays()]}


OBSERVE = {
    "weights": lambda est: est.network_.flat_params.copy(),
    "running statistics": lambda est: {k: v.copy() for k, v in est.network_.named_state().items()},
    "layer settings": lambda est: est.network_.settings(),
    "update rule": _optimizer,
    "schedule position": lambda est: est._training.epoch,
    "`t_`": lambda est: est.t_,
    "`n_iter_`": lambda est: est.n_iter_,
    "`loss_curve_`, `history_`": lambda est: (
        list(est.loss_curve_),
        {k: list(v) for k, v in est.history_.items() if k != "seconds"},
    ),
    "`best_loss_`, no-improvement count": lambda est: (
        est.best_loss_,
        est._training.no_improvement,
    ),
    "early stopping's scores and best weights": lambda est: (
        None if est.validation_scores_ is None else list(est.validation_scores_),
        est.best_validation_score_,
        None if est._training.best_params is None else est._training.best_params.copy(),
    ),
    "divergence reference": lambda est: None,  # per call: watched through a spy
    "dropout generator": lambda est: _layer(est, Dropout).random_state.get_state(),
    "`stop_reason_`": lambda est: est.stop_reason_,
}


def same(a, b):
    """Deep equality for nested lists, tuples, dicts and arrays (NaN equals NaN)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return a == b


def observe(est):
    return {row: OBSERVE[row](est) for row in TABLE}


# ----------------------------------------------------------------------
# the events
# ----------------------------------------------------------------------
def make(early_stopping=False, **params):
    return MLPClassifier(
        (8,), activation="leaky_relu", batch_norm=True, dropout=0.1, batch_size=50,
        learning_rate="step", lr_step_size=2, learning_rate_init=0.01, max_iter=EPOCHS,
        n_iter_no_change=100, early_stopping=early_stopping, validation_fraction=0.2,
        random_state=0, **params,
    )


def fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


class Spy:
    """Records each divergence guard's reference and the first loss it saw."""

    def __init__(self, monkeypatch):
        self.guards = {}
        real = DivergenceGuard.check_batch

        def check_batch(guard, loss, **kw):
            self.guards.setdefault(id(guard), [guard, loss])
            return real(guard, loss, **kw)

        monkeypatch.setattr(DivergenceGuard, "check_batch", check_batch)

    def calls(self):
        return [(guard.reference, first) for guard, first in self.guards.values()]


def stop_at_update(monkeypatch, n, error):
    """The n-th update raises ``error``; returns the state seen at that moment."""
    real, count, seen = sknet.optimizers.Adam.step, [0], {}

    def step(self, *args, **kwargs):
        count[0] += 1
        if count[0] == n:
            seen["est"] = copy.deepcopy(holder["est"])
            raise error
        return real(self, *args, **kwargs)

    holder = {}
    monkeypatch.setattr(sknet.optimizers.Adam, "step", step)
    return holder, seen


def run_event(event, early_stopping, monkeypatch):
    """Run ``event`` on a fitted estimator; return what the words are checked against."""
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    rows = ROWS - (round(0.2 * ROWS) if early_stopping else 0)
    est = fit(make(early_stopping, warm_start=event in ("warm fit", "interrupt", "error")), X, y)
    ctx = {"before": observe(est), "epochs": EPOCHS, "rows": rows, "est": est}
    if event in ("warm fit", "partial_fit"):
        est.set_params(**CHANGES)
    start = copy.deepcopy(est)
    spy = Spy(monkeypatch)
    if event == "new fit":
        fit(est, X, y)
        ctx["fresh"] = observe(fit(clone(est), X, y))
        ctx["reason"] = "max_iter"
    elif event == "warm fit":
        fit(est, X, y)
        ctx["reason"] = "max_iter"
    elif event == "partial_fit":
        ctx["epochs"], ctx["reason"] = 1, "partial_fit"
        try:
            est.partial_fit(X, y)
        except ValueError as exc:
            ctx["raised"] = exc
    elif event == "pickling":
        est = pickle.loads(pickle.dumps(est))
    elif event == "interrupt":
        holder, seen = stop_at_update(monkeypatch, INTERRUPT_AT, KeyboardInterrupt)
        holder["est"] = est
        with pytest.warns(UserWarning, match="Training interrupted by user"):
            fit(est, X, y)
        ctx["moment"] = observe(seen["est"])
        monkeypatch.undo()
        reference = fit(start.set_params(max_iter=2), X, y)  # the two completed epochs
        ctx["completed"] = observe(reference)
    elif event == "error":
        holder, _ = stop_at_update(monkeypatch, INTERRUPT_AT, RuntimeError("boom"))
        holder["est"] = est
        with pytest.raises(RuntimeError, match="boom"):
            fit(est, X, y)
    ctx["after"], ctx["est"], ctx["guards"] = observe(est), est, spy.calls()
    ctx["steps"] = ctx["epochs"] * BATCHES
    return ctx


# ----------------------------------------------------------------------
# what the words mean
# ----------------------------------------------------------------------
def check(row, word, ctx):
    before, after = ctx["before"][row], ctx["after"][row]
    if word in ("kept", "restored"):
        assert same(after, before)
    elif word == "new":
        assert same(after, ctx["fresh"][row])
    elif word == "trained":
        assert not same(after, before)
    elif word == "from parameters":
        est = ctx["est"]
        expected = {"slope": est.leaky_relu_slope, "momentum": est.batch_norm_momentum,
                    "epsilon": est.batch_norm_epsilon, "rate": est.dropout,
                    "label_smoothing": est.label_smoothing}
        assert after and all(
            value == expected[key] for values in after.values() for key, value in values.items()
        )
    elif word == "this call":
        expected = {"`t_`": ctx["rows"] * ctx["epochs"], "`n_iter_`": ctx["epochs"],
                    "`stop_reason_`": ctx.get("reason")}[row]
        assert after == expected
    elif word == "accumulated":
        assert after == before + ctx["rows"] * ctx["epochs"]
    elif word == "appended":
        curve, history = after
        assert curve[: len(before[0])] == before[0]
        assert len(curve) == len(before[0]) + ctx["epochs"]
        for key, values in before[1].items():
            assert same(history[key][: len(values)], values)
            assert len(history[key]) == len(values) + ctx["epochs"]
    elif word == "restarted" and row == "update rule":
        assert after["t"] == ctx["steps"] and after["type"] is before["type"]
    elif word == "restarted" and row == "schedule position":
        assert after == ctx["epochs"]
    elif word == "continued" and row == "update rule":
        assert after["t"] == before["t"] + ctx["steps"]
    elif word == "continued" and row == "schedule position":
        assert after == before + ctx["epochs"]
    elif word == "continued" and row.startswith("`best_loss_`"):
        # scikit-learn's rule, replayed over this call's epochs from the state before.
        best, count = before
        tol = ctx["est"].tol
        for loss in ctx["est"].loss_curve_[-ctx["epochs"]:]:
            count = count + 1 if loss > best - tol else 0
            best = min(best, loss)
        assert after == (best, count)
    elif word == "continued" and row.startswith("early stopping"):
        scores, best_score, _ = after
        assert scores[: len(before[0])] == before[0]
        assert len(scores) == len(before[0]) + ctx["epochs"]
        assert best_score == max(before[1], *scores[len(before[0]):])
    elif word == "continued" and row == "dropout generator":
        assert not same(after, before)
        assert not same(after, observe(fit(clone(ctx["est"]), *load_iris(return_X_y=True)))[row])
    elif word == "updates so far":
        assert same(after, ctx["moment"][row])
    elif word == "completed epochs":
        assert same(after, ctx["completed"][row])
    elif word == "dropped":
        assert after is None
    elif word == "best restored":
        assert np.array_equal(ctx["est"].network_.flat_params, after[2])
        assert len(after[0]) == len(before[0]) + 2  # the two completed epochs scored
    elif word == "refused":
        assert isinstance(ctx.get("raised"), ValueError)
        assert same(after, before)
    elif word == "per call":
        assert ctx["guards"] and all(ref == first for ref, first in ctx["guards"])
    elif word == "not stored":
        est = ctx["est"]
        held = [*vars(est).values(), *vars(est._training).values()]
        assert not any(isinstance(v, DivergenceGuard) for v in held)
    elif word == "interrupted":
        assert after == "interrupted"
    else:
        raise AssertionError(f"no meaning for {word!r} in row {row!r}")


CELLS = [
    (row, event, word)
    for row, words in TABLE.items()
    for event, word in words.items()
    if word != "—"
]


def test_the_table_covers_every_piece_of_state():
    assert len(TABLE) == len(OBSERVE) and set(TABLE) == set(OBSERVE)
    assert all(len(words) == len(EVENTS) for words in TABLE.values())


@pytest.mark.parametrize("row, event, word", CELLS, ids=[f"{r}|{e}" for r, e, _ in CELLS])
def test_state_table_cell(row, event, word, monkeypatch):
    early_stopping = row.startswith("early stopping")
    ctx = run_event(event, early_stopping, monkeypatch)
    check(row, word, ctx)


def test_table_words_are_not_trivially_true(monkeypatch):
    """The events change what the table says they change: a 'kept' check
    would fail on a piece that a warm fit trains, and so on."""
    ctx = run_event("warm fit", False, monkeypatch)
    with pytest.raises(AssertionError):
        check("weights", "kept", ctx)
    with pytest.raises(AssertionError):
        check("update rule", "continued", ctx)
    ctx = run_event("partial_fit", False, monkeypatch)
    with pytest.raises(AssertionError):
        check("schedule position", "restarted", ctx)
    assert re.search(r"\| interrupt \|", DESIGN.read_text())
