"""Fixtures shared by the test modules."""

import pytest
from sklearn.datasets import load_digits, load_iris
from sklearn.preprocessing import StandardScaler


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's digits, scaled to [0, 1]."""
    X, y = load_digits(return_X_y=True)
    return X / 16, y


@pytest.fixture(scope="session")
def iris():
    """Iris, standardized."""
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y
