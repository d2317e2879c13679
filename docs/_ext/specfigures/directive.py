"""The ``spec-figure`` directive: a figure drawn from the code while the page is built.

::

    .. spec-figure:: network
       :example: sizes=2,3,2 m=2 cost=cross_entropy seed=3

       Caption, with *inline* markup.

Kinds: ``network``, ``passes`` and ``worked-example`` (diagrams of the worked
example's network, written by :mod:`specfigures.svg`), ``nudge`` (one weight of it
nudged, a matplotlib plot), ``learning-curve`` (option ``:preset:``, trained on
MNIST while the page is built), ``optimizer-paths`` and ``kernel-window``
(matplotlib plots computed by :mod:`backprop`) and ``bptt-unrolled`` (the RNN
unrolled through time, a diagram checked against :mod:`backprop.blocks`). The
example is :func:`spec.worked_example.worked_example` with the arguments of
``:example:``, the same string the page's ``worked-example`` directive takes, so
the figure and the tables show one network.

The SVG is placed inline in the page, so that its ``currentColor`` follows the
theme, and written to ``_images/specfigures/<page>-<kind>.svg`` in the build; the
caption links to that file. Where MNIST cannot be had, the learning curve is
replaced by a visible note and the build goes on.
"""

from __future__ import annotations

import functools
import re
import traceback
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from backprop.mnist.data import MNISTError
from specfigures import diagrams, example, plots

logger = logging.getLogger(__name__)

KINDS = (
    "network",
    "passes",
    "worked-example",
    "nudge",
    "learning-curve",
    "optimizer-paths",
    "kernel-window",
    "bptt-unrolled",
)
#: Largest relative difference allowed between backprop's slope and the oracle's.
SLOPE_RTOL = 1e-10
IMAGES = Path("_images") / "specfigures"


@functools.cache
def make_example(sizes: tuple[int, ...], m: int, cost: str, seed: int) -> Any:
    """:func:`spec.worked_example.worked_example`, once per build."""
    from spec.worked_example import worked_example

    return worked_example(sizes, m, cost, seed)


def parse_example(text: str) -> Any:
    """The worked example named by ``sizes=2,3,2 m=2 cost=cross_entropy seed=3``."""
    args = dict(item.split("=", 1) for item in text.split())
    missing = {"sizes", "m", "cost", "seed"} - set(args)
    if missing:
        raise ValueError(f"example {text!r} lacks {', '.join(sorted(missing))}")
    sizes = tuple(int(n) for n in args["sizes"].split(","))
    return make_example(sizes, int(args["m"]), args["cost"], int(args["seed"]))


def draw(kind: str, options: dict[str, Any], ident: str) -> str:
    """The SVG of one figure."""
    if kind == "learning-curve":
        curve = plots.train_preset(
            options.get("preset", "fast"), options.get("seed", 0)
        )
        return plots.curve_figure(curve, ident)
    if kind == "kernel-window":
        from specfigures.kernel_window import kernel_window_figure

        return kernel_window_figure(ident)
    if kind == "bptt-unrolled":
        from specfigures.bptt_unrolled import bptt_unrolled_figure

        return bptt_unrolled_figure(ident)
    if kind == "optimizer-paths":
        from specfigures.optimizer_paths import optimizer_paths_figure

        return optimizer_paths_figure(ident)
    if "example" not in options:
        raise ValueError(f"spec-figure {kind} needs the option :example:")
    ex = parse_example(options["example"])
    if kind == "network":
        return diagrams.network_diagram(ex.sizes, ident).svg()
    if kind == "passes":
        return diagrams.passes_diagram(ex.sizes, ident).svg()
    if kind == "worked-example":
        return example.example_diagram(ex, ident).svg()
    svg, nudged = plots.nudge_figure(ex, ident)
    if abs(nudged.slope - nudged.oracle_slope) > SLOPE_RTOL * abs(nudged.oracle_slope):
        raise ValueError(
            f"backprop's slope {nudged.slope!r} differs from the oracle's "
            f"{nudged.oracle_slope!r} by more than {SLOPE_RTOL:g} relative"
        )
    return svg


class SpecFigure(SphinxDirective):
    """A figure drawn from :mod:`spec` and :mod:`backprop` at build time."""

    required_arguments = 1
    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {
        "example": directives.unchanged_required,
        "preset": directives.unchanged_required,
        "seed": directives.nonnegative_int,
    }

    def run(self) -> list[nodes.Node]:
        kind = self.arguments[0]
        if kind not in KINDS:
            raise self.error(f"spec-figure: unknown kind {kind!r}; one of {KINDS}")
        self.env.note_dependency(__file__)
        ident = re.sub(r"[^a-z0-9]+", "-", f"{self.env.docname}-{kind}".lower())
        try:
            svg = draw(kind, self.options, ident)
        except MNISTError as exc:
            return [self.missing(exc)]
        except Exception:
            raise self.error(f"spec-figure {kind}:\n{traceback.format_exc()}") from None
        out = Path(self.env.app.outdir) / IMAGES / f"{ident}.svg"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text('<?xml version="1.0" encoding="utf-8"?>\n' + svg, "utf-8")
        figure = nodes.figure(classes=["spec-figure", f"spec-figure-{kind}"])
        figure["ids"].append(ident)
        art = f'<div class="spec-figure-art">{svg}</div>'
        figure += nodes.raw("", art, format="html")
        caption = nodes.caption()
        if self.content:
            text, _ = self.state.inline_text(" ".join(self.content), self.lineno)
            caption += text
            caption += nodes.Text(" ")
        depth = self.env.docname.count("/")
        href = "../" * depth + (IMAGES / out.name).as_posix()
        caption += nodes.reference("", "(SVG file)", refuri=href)
        figure += caption
        return [figure]

    def missing(self, exc: Exception) -> nodes.Node:
        """The visible note that stands in for a figure whose data could not be had."""
        logger.info("spec-figure: no learning curve, MNIST is missing: %s", exc)
        note = nodes.admonition(classes=["note", "spec-figure-missing"])
        note += nodes.title("", "Learning curve not drawn")
        first = str(exc).strip().splitlines()[0].rstrip(":")
        note += nodes.paragraph(
            "",
            "",
            nodes.Text(
                "The learning curve is drawn while these pages are built, from a "
                "training run on MNIST; this build could not load MNIST: "
            ),
            nodes.literal("", first),
            nodes.Text(". "),
            nodes.literal("", "nox -s docs"),
            nodes.Text(" fetches the data set first, into the cache that "),
            nodes.literal("", "nox -s mnist"),
            nodes.Text(" uses, and draws the curve."),
        )
        return note
