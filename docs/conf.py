"""Sphinx configuration of sknet's documentation.

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
Markdown pages go through myst-parser, the API reference is generated from the
numpydoc docstrings (autodoc + autosummary).
"""

import os
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
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

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
