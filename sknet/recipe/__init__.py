"""The CS231n training recipe as a Python API.

:func:`run_recipe` runs the lecture "Training Neural Networks I"'s recipe end
to end on a data set (a built-in one, a table file, or arrays / a DataFrame)
and returns a :class:`RecipeResult`: the fitted pipeline, the report, the
learning-rate finder, the search and the held-out split.
:class:`RecipeConfig` holds the options; its defaults are the ``sknet recipe``
command's. The stages live in :mod:`sknet.recipe.stages`, column handling for
real tables in :mod:`sknet.recipe.columns`, the report folder's writers in
:mod:`sknet.recipe.writers`.
"""

from .config import RecipeConfig
from .errors import InputError
from .run import RecipeResult, run_recipe

__all__ = ["InputError", "RecipeConfig", "RecipeResult", "run_recipe"]
