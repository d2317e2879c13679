"""Figures for the documentation, drawn from the code while the pages are built.

The diagrams of the derivation (the network, the forward and backward passes,
the worked example's numbers, the RNN unrolled through time) are SVG written by
:mod:`specfigures.svg`; the two
plots (one weight nudged, the learning curve of ``backprop train``) are drawn by
matplotlib, the learning curve by the same :mod:`backprop.plotting` code as
``backprop train --plot``. See :mod:`specfigures.directive` for the directive.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sphinx.application import Sphinx

STATIC = Path(__file__).resolve().parent / "static"


def add_static(app: Sphinx) -> None:
    """Serve the figures' stylesheet from the build's ``_static``."""
    app.config.html_static_path.append(str(STATIC))


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the ``spec-figure`` directive and the figures' stylesheet."""
    # Imported here: the drawing modules serve the tests too, which lack Sphinx.
    from specfigures.directive import SpecFigure

    app.add_directive("spec-figure", SpecFigure)
    app.connect("builder-inited", add_static)
    app.add_css_file("specfigures.css")
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
