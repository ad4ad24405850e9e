"""The recipe's errors: what is reported in one line, without a traceback."""

__all__ = ["InputError"]


class InputError(ValueError):
    """A problem with the data, the options or the report folder.

    The ``sknet`` command prints its message on one line and exits with
    status 2; :func:`sknet.recipe.run_recipe` raises it before any work that
    the problem would waste.
    """
