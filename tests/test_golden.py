"""Recorded fits stay bitwise equal (see tests/golden/cases.py)."""

import numpy as np
import pytest

from golden.cases import CASES, FIXTURE, record


@pytest.fixture(scope="module")
def golden():
    with np.load(FIXTURE) as data:
        return {key: data[key] for key in data.files}


@pytest.mark.parametrize("name", sorted(CASES))
def test_recorded_fit_is_bitwise_equal(golden, name):
    expected = {k.split("/", 1)[1]: v for k, v in golden.items() if k.startswith(name + "/")}
    assert expected, f"no recorded arrays for {name}"
    got = {k: np.asarray(v) for k, v in record(CASES[name]()).items()}
    assert sorted(got) == sorted(expected)
    for key, value in expected.items():
        assert got[key].dtype == value.dtype, key
        np.testing.assert_array_equal(got[key], value, err_msg=f"{name}: {key}")
