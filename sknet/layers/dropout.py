"""Inverted dropout (Srivastava et al., 2014)."""

from .base import Layer

__all__ = ["Dropout"]


class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability ``rate``
    and scale the survivors by ``1 / (1 - rate)``; identity at prediction.

    Parameters
    ----------
    rate : float
        Probability of dropping a unit, in [0, 1).
    random_state : numpy.random.RandomState
        Source of the masks (the estimator's generator).
    """

    settings = ("rate",)

    def __init__(self, rate, random_state):
        super().__init__()
        self.rate = rate
        self.random_state = random_state

    def forward(self, X, *, training=False, sample_weight=None):
        if not training or self.rate == 0:
            self._cache_mask = None
            return X
        keep = self.random_state.random_sample(X.shape) >= self.rate
        mask = keep.astype(X.dtype) / X.dtype.type(1.0 - self.rate)
        self._cache_mask = mask
        return X * mask

    def backward(self, dY):
        if self._cache_mask is None:
            return dY
        return dY * self._cache_mask

    def __repr__(self):
        return f"Dropout(rate={self.rate})"
