"""numpydoc's validation of the public API's docstrings.

Every public class, function and method (of the modules the API reference
lists) must have a docstring (GL08, unless it overrides a documented method
of a base class), document its parameters in order (PR01, PR02, PR03), start
with a one-line summary (SS01, SS03) and document what a generator yields
(YD01). Result dataclasses and named tuples document their fields as
attributes, which numpydoc reads as undocumented parameters: PR01 is not
asked of them.
"""

import dataclasses
import importlib
import inspect

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

MODULES = [
    "sknet", "sknet.preprocessing", "sknet.model_selection", "sknet.diagnostics",
    "sknet.plotting", "sknet.training", "sknet.exceptions", "sknet.layers", "sknet.network",
    "sknet.network_builder",
    "sknet.losses", "sknet.optimizers", "sknet.schedules", "sknet.initializers", "sknet.ops",
    "sknet.recipe", "sknet.recipe.tables", "sknet.recipe.columns", "sknet.recipe.output",
    "sknet.recipe.search", "sknet.recipe.budget", "sknet.recipe.evaluation",
]
CHECKED = {"GL08", "PR01", "PR02", "PR03", "SS01", "SS03", "YD01"}


def _inherits_doc(cls, name):
    return any(
        getattr(getattr(base, name, None), "__doc__", None) for base in cls.__mro__[1:]
    )


def public_objects():
    found = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            qualname = f"{obj.__module__}.{obj.__qualname__}"
            found[qualname] = (obj, None)
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_") and attr != "__call__":
                        continue
                    if not (inspect.isfunction(member)
                            or isinstance(member, (classmethod, staticmethod))):
                        continue
                    own = inspect.getdoc(getattr(obj, attr)) if member.__doc__ else None
                    if own is None and _inherits_doc(obj, attr):
                        continue  # documented where it is declared
                    found[f"{qualname}.{attr}"] = (member, obj)
    return found


OBJECTS = public_objects()


@pytest.mark.parametrize("qualname", sorted(OBJECTS))
def test_docstring(qualname):
    obj, _ = OBJECTS[qualname]
    errors = [
        f"{code}: {message}"
        for code, message in numpydoc_validate.validate(qualname)["errors"]
        if code in CHECKED
        and not (code == "PR01" and (dataclasses.is_dataclass(obj) or hasattr(obj, "_fields")))
    ]
    assert not errors, "\n".join(errors)
