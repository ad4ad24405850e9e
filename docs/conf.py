"""Sphinx configuration of sknet's documentation.

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
Markdown pages go through myst-parser, the API reference is generated from the
numpydoc docstrings (autodoc + autosummary).
"""

import os
import re
import sys

sys.path.insert(0, os.path.abspath(".."))

import sknet  # noqa: E402

project = "sknet"
author = "the sknet developers"
copyright = "the sknet developers"
release = sknet.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "scripts", "Thumbs.db", ".DS_Store"]

# API reference: one page per public object, generated from the docstrings.
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
# sknet.onnx needs the `onnx` extra; its docstrings do not.
autodoc_mock_imports = ["skl2onnx", "onnxruntime"]
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
templates_path = ["_templates"]

# Markdown: "(label)=" targets, $math$, ::: fences; headings get anchors.
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3

# Links into the docs of the libraries sknet builds on. No network access is
# needed to build: without the inventories, the links are plain text.
intersphinx_mapping = {}
nitpicky = False

html_theme = "alabaster"
html_static_path = ["_static"]
html_title = f"sknet {release}"


# docs/performance.md includes benchmarks/RESULTS.md, written by the benchmark
# scripts. A checkout without it still builds (with a note instead of a
# warning-as-error about a missing include).
_RESULTS = os.path.join(os.path.dirname(__file__), "..", "benchmarks", "RESULTS.md")


def _performance_page(app, docname, source):
    if docname == "performance" and not os.path.exists(_RESULTS):
        source[0] = source[0].split("```{include}")[0] + (
            "*`benchmarks/RESULTS.md` is not in this checkout: run the scripts in "
            "`benchmarks/` to produce it.*\n"
        )


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Document only what sknet defines, not scikit-learn's inherited methods.

    (Their docstrings point into scikit-learn's own documentation, e.g. the
    generated ``set_fit_request`` methods of metadata routing.)
    """
    target = obj.fget if isinstance(obj, property) else obj
    module = getattr(target, "__module__", None) or ""
    if what == "class" and callable(target) and not module.startswith("sknet"):
        return True
    return skip


_SHAPE_NAME = re.compile(r"(?<=\w)_(?=[,)])")


def _escape_shapes(app, what, name, obj, options, lines):
    """``of shape (n_features_in_,)`` in a type is text, not a reST link target.

    scikit-learn's docstring convention names fitted attributes inside shapes;
    the trailing underscore is escaped so docutils does not read a reference.
    """
    for i, line in enumerate(lines):
        if "shape (" in line and "``" not in line:
            lines[i] = _SHAPE_NAME.sub(r"\\_", line)


def setup(app):
    app.connect("autodoc-process-docstring", _escape_shapes, priority=100)
    app.connect("source-read", _performance_page)
    app.connect("autodoc-skip-member", _skip_foreign_members)
