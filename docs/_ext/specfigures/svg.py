"""A small SVG writer for the diagrams: shapes, arrows and text that stays text.

The diagrams are written by Python, element by element, so every label is an SVG
``<text>`` (selectable, searchable, crisp at any zoom) and nothing is fetched to
draw them. Colours: the foreground is ``currentColor``, so a diagram placed in the
page takes the theme's text colour, light or dark; the two accents are mid-tone
hues that read on either background. Identifiers carry a per-figure prefix, so
several diagrams can sit inline on one page.

Labels take a little markup: ``$...$`` encloses mathematics, in which letters are
set in italics and ``^{...}``/``_{...}`` (or ``^x``/``_x``) raise and lower.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

FG = "currentColor"
#: The forward pass (values) and the backward pass (errors), as in the plots.
FORWARD = "#3d7fd9"
BACKWARD = "#e07b24"
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"

_SCRIPT = re.compile(r"([\^_])(\{[^}]*\}|.)")


def _segments(label: str) -> list[tuple[str, str, bool]]:
    """``(text, "" | "sup" | "sub", is_math)`` runs of a label's markup."""
    runs: list[tuple[str, str, bool]] = []
    for index, part in enumerate(label.split("$")):
        math = index % 2 == 1
        if not math:
            if part:
                runs.append((part, "", False))
            continue
        pos = 0
        for m in _SCRIPT.finditer(part):
            if m.start() > pos:
                runs.append((part[pos : m.start()], "", True))
            body = m.group(2)
            body = body[1:-1] if body.startswith("{") else body
            runs.append((body, "sup" if m.group(1) == "^" else "sub", True))
            pos = m.end()
        if pos < len(part):
            runs.append((part[pos:], "", True))
    return runs


def plain(label: str) -> str:
    """The label as plain text: what a reader selects or a test reads back."""
    return "".join(text for text, _, _ in _segments(label))


def _math_tspans(text: str) -> str:
    """Letters of mathematics in italics, the rest upright."""
    out = []
    for run in re.findall(r"[A-Za-z]+|[^A-Za-z]+", text):
        if run.isalpha() and run not in ("T", "ln"):
            out.append(f'<tspan font-style="italic">{escape(run)}</tspan>')
        else:
            out.append(escape(run))
    return "".join(out)


def rich_text(label: str) -> str:
    """The inner SVG of a ``<text>`` element for a label with markup.

    Scripts follow one another (:math:`w^l_{ij}` is set as w, then l raised, then
    ij lowered): stacking them would need the width of each glyph, which depends
    on the font the reader's browser picks.
    """
    out = []
    shift = 0.0  # current baseline offset, in em of the main size
    for text, kind, math in _segments(label):
        body = _math_tspans(text) if math else escape(text)
        target = {"": 0.0, "sup": -0.42, "sub": 0.28}[kind]
        attrs = ""
        if target != shift:
            size = 0.72 if kind else 1.0  # dy is in the tspan's own em
            attrs += f' dy="{(target - shift) / size:.3g}em"'
        if kind:
            attrs += ' font-size="72%"'
        out.append(f"<tspan{attrs}>{body}</tspan>" if attrs else body)
        shift = target
    return "".join(out)


@dataclass
class Drawing:
    """An SVG document built element by element.

    Parameters
    ----------
    width, height : float
        The viewBox, in px at 100 % zoom.
    prefix : str
        Prefix of every identifier in the document.
    title, description : str
        The accessible name and description (``<title>``, ``<desc>``): the alt text.
    """

    width: float
    height: float
    prefix: str
    title: str
    description: str = ""
    body: list[str] = field(default_factory=list)
    markers: dict[str, str] = field(default_factory=dict)

    def _marker(self, color: str) -> str:
        if color not in self.markers:
            self.markers[color] = f"{self.prefix}-arrow-{len(self.markers)}"
        return self.markers[color]

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        *,
        color: str = FG,
        width: float = 1.0,
        opacity: float = 1.0,
        arrow: bool = False,
        dash: str = "",
    ) -> None:
        """A straight line, with an arrowhead at its end when ``arrow``."""
        attrs = f'stroke="{color}" stroke-width="{width:g}"'
        if opacity != 1:
            attrs += f' stroke-opacity="{opacity:g}"'
        if dash:
            attrs += f' stroke-dasharray="{dash}"'
        if arrow:
            attrs += f' marker-end="url(#{self._marker(color)})"'
        self.body.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" {attrs}/>'
        )

    def circle(
        self, cx: float, cy: float, r: float, *, color: str = FG, fill: str = "none"
    ) -> None:
        """A neuron."""
        fill_attrs = f'fill="{fill}"' + (' fill-opacity="0.08"' if fill == FG else "")
        self.body.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:g}" stroke="{color}" '
            f'stroke-width="1.4" {fill_attrs}/>'
        )

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        color: str = FG,
        opacity: float = 0.5,
        fill_opacity: float = 0.0,
    ) -> None:
        """A rounded frame (a panel, a table of numbers)."""
        fill = (
            f'fill="{color}" fill-opacity="{fill_opacity:g}"'
            if fill_opacity
            else ('fill="none"')
        )
        self.body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="6" '
            f'stroke="{color}" stroke-opacity="{opacity:g}" {fill}/>'
        )

    def text(
        self,
        x: float,
        y: float,
        label: str,
        *,
        size: float = 14,
        anchor: str = "start",
        color: str = FG,
        bold: bool = False,
        data: dict[str, str] | None = None,
    ) -> None:
        """A label; ``data`` adds ``data-*`` attributes (what a number stands for)."""
        attrs = f'x="{x:.1f}" y="{y:.1f}" font-size="{size:g}"'
        if anchor != "start":
            attrs += f' text-anchor="{anchor}"'
        if color != FG:
            attrs += f' fill="{color}"'
        if bold:
            attrs += ' font-weight="bold"'
        for key, value in (data or {}).items():
            attrs += f" data-{key}={quoteattr(value)}"
        self.body.append(f"<text {attrs}>{rich_text(label)}</text>")

    def svg(self) -> str:
        """The document, ready to be written to a file or placed in a page."""
        defs = "".join(
            f'<marker id="{ident}" viewBox="0 0 10 10" refX="9" refY="5" '
            f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{color}"/></marker>'
            for color, ident in self.markers.items()
        )
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width:g} '
            f'{self.height:g}" width="{self.width:g}" height="{self.height:g}" '
            f'role="img" aria-labelledby="{self.prefix}-title {self.prefix}-desc" '
            f'font-family="{FONT}" fill="{FG}" class="spec-figure-svg">'
            f'<title id="{self.prefix}-title">{escape(self.title)}</title>'
            f'<desc id="{self.prefix}-desc">{escape(self.description)}</desc>'
        )
        return "\n".join(
            [head, f"<defs>{defs}</defs>" if defs else "", *self.body, "</svg>\n"]
        )
