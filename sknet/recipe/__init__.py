"""The CS231n training recipe as a Python API (work in progress)."""

from .errors import InputError

__all__ = ["InputError"]
