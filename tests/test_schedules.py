"""Learning-rate schedules: values per epoch, and the sklearn-compatible ones against sklearn."""

import math
import pickle

import numpy as np
import pytest
from sklearn.neural_network._stochastic_optimizers import SGDOptimizer

from sknet.schedules import (
    SCHEDULES,
    Adaptive,
    Constant,
    Cosine,
    ExponentialDecay,
    InvScaling,
    Schedule,
    StepDecay,
    make_schedule,
)


def test_constant():
    s = Constant(0.3)
    assert [s(e, 10 * e) for e in range(4)] == [0.3] * 4
    assert s.on_plateau() is True


def test_step_decay():
    s = StepDecay(0.8, step_size=3, gamma=0.5)
    assert [s(e, 0) for e in range(8)] == [0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2]
    assert StepDecay(1.0)(9, 0) == 1.0 and StepDecay(1.0)(10, 0) == 0.5


def test_exponential_decay():
    s = ExponentialDecay(2.0, gamma=0.9)
    for e in (0, 1, 5, 20):
        assert s(e, 0) == pytest.approx(2.0 * 0.9**e, rel=1e-14)
    assert ExponentialDecay(1.0)(1, 0) == pytest.approx(0.95)


def test_cosine():
    s = Cosine(0.1, n_epochs=10, lr_min=0.01)
    assert s(0, 0) == pytest.approx(0.1)
    assert s(5, 0) == pytest.approx(0.055)
    for e in (1, 3, 7):
        expected = 0.01 + 0.5 * 0.09 * (1 + math.cos(math.pi * e / 10))
        assert s(e, 0) == pytest.approx(expected, rel=1e-14)
    values = [s(e, 0) for e in range(10)]
    assert all(a > b for a, b in zip(values, values[1:]))
    assert values[-1] > 0.01  # a fit of n_epochs ends one step short of lr_min


@pytest.mark.parametrize(
    "schedule",
    [
        Cosine(0.1, n_epochs=10),
        StepDecay(0.1, step_size=3, gamma=0.5, n_epochs=10),
        ExponentialDecay(0.1, gamma=0.7, n_epochs=10),
    ],
    ids=["cosine", "step", "exponential"],
)
def test_epoch_schedules_restart_their_cycle_past_n_epochs(schedule):
    """Past n_epochs (partial_fit called more than max_iter times) the rate
    starts a new cycle at lr_init instead of sitting at a spent rate (0 for
    'cosine' with its default lr_min)."""
    first = [schedule(e, 0) for e in range(10)]
    assert first[0] == 0.1 and min(first) > 0
    assert [schedule(e, 0) for e in range(10, 20)] == first
    assert schedule(1234, 0) == first[4]


def test_invscaling_equals_sklearn_sequence():
    n_samples, lr_init, power_t = 37, 0.05, 0.3
    sk = SGDOptimizer([np.zeros(1)], learning_rate_init=lr_init, lr_schedule="invscaling",
                      power_t=power_t)
    ours = InvScaling(lr_init, power_t=power_t)
    t = 0
    for epoch in range(12):
        # sklearn's rate for this epoch is what iteration_ends left behind
        assert ours(epoch, t) == sk.learning_rate
        t += n_samples
        sk.iteration_ends(t)
    assert InvScaling(1.0)(0, 0) == 1.0
    assert InvScaling(1.0)(3, 3) == 0.5


@pytest.mark.parametrize("lr_init", [0.1, 1e-3, 1e-5, 1e-6, 5e-6, 1e-7])
def test_adaptive_matches_sklearn_trigger_stopping(lr_init):
    sk = SGDOptimizer([np.zeros(1)], learning_rate_init=lr_init, lr_schedule="adaptive")
    ours = Adaptive(lr_init)
    for epoch in range(30):
        assert ours(epoch, 100 * epoch) == sk.learning_rate
        stop = ours.on_plateau()
        assert stop == sk.trigger_stopping("plateau", verbose=False)
        assert ours.learning_rate == sk.learning_rate
        if stop:
            break
    else:  # pragma: no cover
        pytest.fail("never stopped")


def test_adaptive_divides_by_factor_and_stops():
    s = Adaptive(1.0, factor=4.0, min_lr=0.01)
    assert s(0, 0) == 1.0
    assert s.on_plateau() is False and s(1, 0) == 0.25
    assert s.on_plateau() is False and s(2, 0) == 0.0625
    assert s.on_plateau() is False and s(3, 0) == 0.015625
    assert s.on_plateau() is False and s(4, 0) == 0.00390625
    assert s.on_plateau() is True and s(5, 0) == 0.00390625  # stop: no more division


def test_adaptive_pickle_and_reset():
    s = Adaptive(0.01)
    s.on_plateau()
    clone = pickle.loads(pickle.dumps(s))
    assert clone(3, 0) == s(3, 0) == 0.002
    assert s.reset() is s and s(0, 0) == 0.01
    assert clone.learning_rate == 0.002


@pytest.mark.parametrize("name", sorted(set(SCHEDULES) - {"adaptive"}))
def test_non_adaptive_schedules_stop_on_plateau(name):
    s = make_schedule(name, 0.1, n_epochs=10)
    before = [s(e, 10 * e) for e in range(5)]
    assert s.on_plateau() is True
    assert [s(e, 10 * e) for e in range(5)] == before
    assert isinstance(s(0, 0), float)
    assert s.reset() is s


def test_make_schedule_picks_relevant_kwargs():
    bag = dict(power_t=0.25, step_size=4, gamma=0.7, n_epochs=20, lr_min=1e-4)
    assert isinstance(make_schedule("constant", 0.1, **bag), Constant)
    inv = make_schedule("invscaling", 0.1, **bag)
    assert isinstance(inv, InvScaling) and inv.power_t == 0.25
    step = make_schedule("step", 0.1, **bag)
    assert (step.step_size, step.gamma) == (4, 0.7)
    assert make_schedule("exponential", 0.1, **bag).gamma == 0.7
    cos = make_schedule("cosine", 0.1, **bag)
    assert (cos.n_epochs, cos.lr_min) == (20, 1e-4)
    ada = make_schedule("adaptive", 0.1, **bag)
    assert isinstance(ada, Adaptive) and (ada.factor, ada.min_lr) == (5.0, 1e-6)
    assert make_schedule("step", 0.1).step_size == 10  # defaults when absent


def test_make_schedule_errors():
    with pytest.raises(ValueError, match="allowed.*adaptive.*constant"):
        make_schedule("linear", 0.1)
    with pytest.raises(ValueError, match="n_epochs"):
        make_schedule("cosine", 0.1, power_t=0.5)


def test_make_schedule_accepts_instance_and_table():
    s = Adaptive(0.1)
    s.on_plateau()
    assert make_schedule(s, 0.5) is s and s(0, 0) == 0.1  # reset, lr_init kept
    assert SCHEDULES == {
        "constant": Constant,
        "invscaling": InvScaling,
        "step": StepDecay,
        "exponential": ExponentialDecay,
        "cosine": Cosine,
        "adaptive": Adaptive,
    }
    assert all(issubclass(c, Schedule) for c in SCHEDULES.values())


def test_repr():
    assert repr(StepDecay(0.1)) == "StepDecay(lr_init=0.1, step_size=10, gamma=0.5, n_epochs=None)"
    assert repr(Adaptive(0.1)) == "Adaptive(lr_init=0.1, factor=5.0, min_lr=1e-06)"
