"""Sphinx configuration of the backprop-spec documentation.

The derivation pages are generated from :mod:`spec` at build time by the local
extension ``_ext/specdocs.py``; MathJax 3 is served from the build itself (npm
package ``mathjax``, installed into ``docs/node_modules`` by ``npm ci``), so the
pages typeset their mathematics with no network.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# The repository itself comes first, so a checkout documents its own code even when
# another copy of the packages is installed.
sys.path[:0] = [str(ROOT), str(DOCS / "_ext")]

project = "backprop-spec"
author = "backprop-spec developers"
copyright = "backprop-spec developers"
release = version = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "specdocs",
    "generalproof",
]

exclude_patterns = ["_build", "_include", "node_modules", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []
nitpicky = True
# Outside objects that a docstring names for the reader but that these pages do not
# document (there is no intersphinx: the build runs without a network).
nitpick_ignore_regex = [
    (
        r"py:.*",
        r"(numpy|scipy|sympy|mpmath|sklearn|matplotlib|collections|typing)(\..*)?",
    ),
]

# --- API reference (numpydoc) -------------------------------------------------------
autodoc_typehints = "none"  # the numpydoc sections carry the types, with shapes
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# --- Math: MathJax 3 from the build's own _static ------------------------------------
mathjax_path = "mathjax/tex-chtml.js"
mathjax3_config = {
    # Typeset exactly the nodes Sphinx marks as math, nothing else on the page.
    "options": {
        "processHtmlClass": "math",
        "ignoreHtmlClass": "tex2jax_ignore|mathjax_ignore|document",
    },
    # Without these two, an undefined macro or a TeX error is drawn in red text
    # instead of an error node, and the browser check could not see it.
    "tex": {"packages": {"[-]": ["noundefined", "noerrors"]}},
}
# Where ``npm ci`` puts MathJax; specdocs copies the parts a page can load.
specdocs_mathjax_dir = str(DOCS / "node_modules" / "mathjax" / "es5")
# Every name in these packages' ``__all__`` must be documented somewhere.
specdocs_api_packages = ["backprop", "spec"]

# --- HTML -----------------------------------------------------------------------------
html_theme = "alabaster"
html_theme_options = {
    "page_width": "1120px",
    "sidebar_width": "240px",
    "description": "Backpropagation, specified and proved",
    "fixed_sidebar": False,
    "show_relbars": True,
}
html_static_path = ["_static"]
html_css_files = ["specdocs.css"]
html_title = "backprop-spec"
html_show_sourcelink = True
