"""Helpers shared by the directives: arguments, literal blocks, math, tables."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.environment import BuildEnvironment
from sphinx.util.docutils import SphinxDirective

ROOT = Path(__file__).resolve().parents[3]
#: The packages whose source a generated page depends on.
SOURCE_PACKAGES = ("backprop", "spec")
#: How the pages name the costs.
COST_NAMES = {
    "cross_entropy": "cross-entropy",
    "quadratic": "quadratic",
    "log_likelihood": "log-likelihood",
}


def note_source_dependencies(env: BuildEnvironment) -> None:
    """Rebuild the current page whenever a source file of either package changes."""
    for package in SOURCE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            env.note_dependency(str(path))


def parse_arguments(text: str) -> dict[str, str]:
    """``"sizes=2,3,2 m=2 cost=quadratic"`` as ``{"sizes": "2,3,2", ...}``."""
    out: dict[str, str] = {}
    for item in text.split():
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise ValueError(f"expected key=value arguments, got {item!r} in {text!r}")
        out[key] = value
    return out


def literal(text: str, language: str = "text") -> nodes.literal_block:
    """A literal block of ``text``, highlighted as ``language``."""
    node = nodes.literal_block(text, text)
    node["language"] = language
    return node


def fmt(value: float, digits: int = 6) -> str:
    """``value`` to ``digits`` significant digits, as LaTeX."""
    value = float(value)
    if value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value)))
    if -3 <= exponent < 4:
        return f"{value:.{max(0, digits - 1 - exponent)}f}"
    mantissa, power = f"{value:.{digits - 1}e}".split("e")
    return rf"{mantissa} \times 10^{{{int(power)}}}"


def math_block(rows: Sequence[str], docname: str) -> nodes.math_block:
    """One displayed equation, unnumbered; its rows are aligned at ``&``."""
    latex = (
        rows[0]
        if len(rows) == 1 and "&" not in rows[0]
        else (r"\begin{aligned} " + r" \\ ".join(rows) + r" \end{aligned}")
    )
    node = nodes.math_block(latex, latex, nowrap=False, number=None)
    node["docname"] = docname
    return node


def paragraph(directive: SphinxDirective, text: str) -> list[nodes.Node]:
    """One paragraph of inline reStructuredText (roles such as ``:math:`` work)."""
    text_nodes, messages = directive.state.inline_text(text, directive.lineno)
    return [nodes.paragraph("", "", *text_nodes), *messages]


def table(
    directive: SphinxDirective,
    header: Sequence[str] | None,
    rows: Sequence[Sequence[str]],
    widths: Sequence[int],
    classes: Sequence[str] = (),
) -> nodes.table:
    """A table whose cells are inline reStructuredText; ``header=None`` for none."""
    node = nodes.table(classes=list(classes))
    group = nodes.tgroup(cols=len(widths))
    node += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    body = nodes.tbody()
    if header is not None:
        head = nodes.thead()
        group += head
        head += make_row(directive, header)
    group += body
    for cells in rows:
        body += make_row(directive, cells)
    return node


def make_row(directive: SphinxDirective, cells: Sequence[str]) -> nodes.row:
    """A table row of inline reStructuredText cells."""
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        entry += paragraph(directive, cell)
        row += entry
    return row


def section(title: str, ident: str) -> nodes.section:
    """A section with a title, its id ``ident``."""
    sec = nodes.section(ids=[ident], names=[title.lower()])
    sec += nodes.title(title, title)
    return sec


def lookup(dotted: str) -> Any:
    """The object a dotted name refers to, or ``None``."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module = sys.modules.get(".".join(parts[:cut]))
        if module is None:
            continue
        obj: Any = module
        for attr in parts[cut:]:
            obj = getattr(obj, attr, None)
        return obj
    return None
