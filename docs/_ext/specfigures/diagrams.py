"""The network diagram and the forward and backward passes, drawn for given sizes.

Both take the layer sizes of the worked example (``[2, 3, 2]`` on the pages) and
label everything in the notation of the derivation: superscripts count layers from
1 (layer 0 is the input), subscripts count neurons from 0 as the arrays do, and
:math:`w^l_{ij}` joins neuron :math:`j` of layer :math:`l - 1` to neuron :math:`i`
of layer :math:`l`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from specfigures.svg import BACKWARD, FG, FORWARD, Drawing

Point = tuple[float, float]


def neuron_positions(
    sizes: Sequence[int], x0: float, dx: float, y_mid: float, dy: float
) -> list[list[Point]]:
    """Centres of the neurons, one column per layer, each column centred on y_mid."""
    return [
        [(x0 + l * dx, y_mid + (i - (n - 1) / 2) * dy) for i in range(n)]
        for l, n in enumerate(sizes)
    ]


def _edge_end(a: Point, b: Point, r: float) -> tuple[Point, Point]:
    """The segment from circle ``a`` to circle ``b`` (radius ``r``), rims excluded."""
    (x1, y1), (x2, y2) = a, b
    length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    return (x1 + r * ux, y1 + r * uy), (x2 - r * ux, y2 - r * uy)


def _edges(
    d: Drawing,
    pos: list[list[Point]],
    r: float,
    highlight: dict[tuple[int, int, int], str],
) -> None:
    """Every weight as a line; those in ``highlight`` (l, i, j) -> colour, bolder."""
    for l in range(1, len(pos)):
        for i, target in enumerate(pos[l]):
            for j, source in enumerate(pos[l - 1]):
                (x1, y1), (x2, y2) = _edge_end(source, target, r)
                color = highlight.get((l, i, j))
                if color:
                    d.line(x1, y1, x2, y2, color=color, width=2.2)
                else:
                    d.line(x1, y1, x2, y2, opacity=0.35)


def _edge_label(
    d: Drawing, pos: list[list[Point]], l: int, i: int, j: int, label: str, **kw: Any
) -> None:
    """A label just above the middle of the edge of w^l_ij."""
    (x1, y1), (x2, y2) = pos[l - 1][j], pos[l][i]
    t = 0.55
    d.text(x1 + t * (x2 - x1), y1 + t * (y2 - y1) - 7, label, anchor="middle", **kw)


def network_diagram(sizes: Sequence[int], prefix: str) -> Drawing:
    """The network as neurons and weights, labelled in the notation of the pages."""
    sizes = list(sizes)
    L = len(sizes) - 1
    dx, dy, r = 230.0, 105.0, 22.0
    tallest = max(sizes)
    top = 70.0
    height = top + tallest * dy + 120
    width = 2 * 110 + L * dx
    pos = neuron_positions(sizes, 110, dx, top + tallest * dy / 2, dy)
    weights = ", ".join(f"W^{l} ({sizes[l]}×{sizes[l - 1]})" for l in range(1, L + 1))
    d = Drawing(
        width,
        height,
        prefix,
        title=f"The network {sizes}: neurons as circles, weights as lines",
        description=(
            f"Layer 0 holds the {sizes[0]} inputs x_j = a^0_j; layers 1 to {L} "
            f"have {', '.join(map(str, sizes[1:]))} neurons, each labelled with its "
            "weighted input z^l_i and activation a^l_i. Every neuron of a layer is "
            "joined to every neuron of the layer before; the weight w^l_ij joins "
            "neuron j of layer l − 1 to neuron i of layer l, and three are labelled. "
            f"The weight matrices are {weights}."
        ),
    )
    names = ["input"] + ["hidden"] * (L - 1) + ["output"]
    for l, column in enumerate(pos):
        x = column[0][0]
        head = f"layer {l}" + (" = $L$" if l == L and L > 1 else "")
        d.text(x, 28, head, anchor="middle", bold=True, size=15)
        d.text(x, 47, f"({names[l]})", anchor="middle", size=13)
    last = len(pos[-1]) - 1
    labelled = {(1, 0, 0): FORWARD, (L, last, len(pos[L - 1]) - 1): FORWARD}
    if L > 1:
        labelled[(1, len(pos[1]) - 1, len(pos[0]) - 1)] = FORWARD
    _edges(d, pos, r, labelled)
    for (l, i, j), color in labelled.items():
        _edge_label(d, pos, l, i, j, f"$w^{{{l}}}_{{{i},{j}}}$", size=15, color=color)
    for l, column in enumerate(pos):
        for i, (x, y) in enumerate(column):
            d.circle(x, y, r, fill=FG)
            d.text(x, y + 5, str(i), anchor="middle", size=13)
            if l == 0:
                d.text(x - r - 8, y + 5, f"$x_{{{i}}} = a^{{0}}_{{{i}}}$", anchor="end")
            else:
                d.text(
                    x,
                    y - r - 8,
                    f"$z^{{{l}}}_{{{i}}}$, $a^{{{l}}}_{{{i}}}$",
                    anchor="middle",
                )
    bottom = top + tallest * dy + 10
    for l in range(1, L + 1):
        x = (pos[l - 1][0][0] + pos[l][0][0]) / 2
        d.text(x, bottom, f"$W^{{{l}}}$: {sizes[l]} × {sizes[l - 1]}", anchor="middle")
        d.text(x, bottom + 19, f"$b^{{{l}}}$: {sizes[l]}", anchor="middle")
    d.text(
        width / 2,
        bottom + 58,
        "$w^{l}_{ij}$: to neuron $i$ of layer $l$ from neuron $j$ of layer $l$ − 1 "
        "(neurons counted from 0)",
        anchor="middle",
        size=13,
    )
    return d


def passes_diagram(sizes: Sequence[int], prefix: str) -> Drawing:
    """The forward pass and the backward pass side by side, each step's equation on it."""
    sizes = list(sizes)
    L = len(sizes) - 1
    dx, dy, r, margin, gap, size = 135.0, 70.0, 15.0, 40.0, 24.0, 15
    panel = 2 * margin + (L + 1) * dx
    tallest = max(sizes)
    top = 78.0
    net_bottom = top + tallest * dy
    height = net_bottom + 185
    d = Drawing(
        2 * panel + gap,
        height,
        prefix,
        title=f"The forward and the backward pass on the network {sizes}",
        description=(
            "Left, the forward pass: values flow right, layer by layer, each layer "
            "applying z^l = W^l a^(l−1) + b^l and a^l = σ(z^l), from the input a^0 = x "
            f"to the output a^{L} and the cost C(a^{L}, y). Right, the backward pass "
            "on the same network: errors flow left; BP1 gives the output error "
            f"δ^{L} = ∇_a C ⊙ σ′(z^{L}), BP2 carries it back one layer at a time, "
            "δ^l = ((W^(l+1))^T δ^(l+1)) ⊙ σ′(z^l), and BP3 and BP4 read the "
            "gradients off at every layer: ∂C/∂b^l_i = δ^l_i and ∂C/∂w^l_ij = "
            "a^(l−1)_j δ^l_i."
        ),
    )
    y_arrow = net_bottom + 10
    for side, (x_left, color, title) in enumerate(
        (
            (0.0, FORWARD, "Forward pass: values flow right"),
            (panel + gap, BACKWARD, "Backward pass: errors flow left"),
        )
    ):
        d.rect(x_left + 1, 1, panel - 2, height - 2, opacity=0.3)
        d.text(x_left + panel / 2, 32, title, anchor="middle", bold=True, size=16)
        pos = neuron_positions(
            sizes, x_left + margin + 10, dx, top + tallest * dy / 2, dy
        )
        last = (L, len(pos[L]) - 1, len(pos[L - 1]) - 1)
        _edges(d, pos, r, {last: color} if side else {})
        for l, column in enumerate(pos):
            for i, (x, y) in enumerate(column):
                d.circle(x, y, r, fill=FG)
                if side == 0:
                    label = f"$a^{{{l}}}_{{{i}}}$" if l else f"$x_{{{i}}}$"
                else:
                    label = f"$δ^{{{l}}}_{{{i}}}$" if l else ""
                d.text(x, y - r - 6, label, anchor="middle", size=size)
        x_cost, y_cost = pos[L][0][0] + dx, top + tallest * dy / 2
        d.rect(x_cost - 16, y_cost - 16, 32, 32, opacity=0.8)
        d.text(x_cost, y_cost + 6, "$C$", anchor="middle", size=size + 1)
        columns = [c[0][0] for c in pos] + [x_cost]
        for l in range(1, L + 2):
            x_a, x_b = columns[l - 1] + r + 4, columns[l] - r - 4
            mid = (x_a + x_b) / 2
            if side == 0:
                d.line(x_a, y_arrow, x_b, y_arrow, color=color, width=2.4, arrow=True)
                forward = f"$z^{{{l}}} = W^{{{l}}}a^{{{l - 1}}} + b^{{{l}}}$"
                squash = f"$a^{{{l}}} = σ(z^{{{l}}})$"
                rows = [forward, squash] if l <= L else [f"$C(a^{{{L}}}, y)$"]
            elif l == 1:
                continue  # no error is carried into the input
            else:
                d.line(x_b, y_arrow, x_a, y_arrow, color=color, width=2.4, arrow=True)
                bp = "BP1" if l == L + 1 else "BP2"
                k = l - 1  # the layer whose error this arrow delivers
                if bp == "BP1":
                    rows = [bp, f"$δ^{{{L}}} = ∇_{{a}}C ⊙ σ′(z^{{{L}}})$"]
                else:
                    back = f"$δ^{{{k}}} = ((W^{{{k + 1}}})^{{T}}δ^{{{k + 1}}})$"
                    rows = [bp, back, f"⊙ $σ′(z^{{{k}}})$"]
            for n, row in enumerate(rows):
                bold = row.startswith("BP")
                d.text(
                    mid,
                    y_arrow + 24 + 19 * n,
                    row,
                    anchor="middle",
                    size=size,
                    bold=bold,
                    color=color if bold else FG,
                )
        if side == 0:
            d.text(
                x_left + margin - 16,
                y_arrow + 112,
                "Every $z^{l}$ and $a^{l}$ is kept for the backward pass.",
                size=size,
            )
        else:
            _, i, j = last
            _edge_label(d, pos, L, i, j, "BP4", size=13, color=color, bold=True)
            x_text, y_text = x_left + margin - 16, y_arrow + 112
            d.text(x_text, y_text, "Read off at every layer:", size=size)
            d.text(x_text, y_text + 24, "BP3", size=size, bold=True, color=color)
            d.text(x_text + 44, y_text + 24, "$∂C/∂b^{l}_{i} = δ^{l}_{i}$", size=size)
            d.text(x_text, y_text + 48, "BP4", size=size, bold=True, color=color)
            d.text(
                x_text + 44,
                y_text + 48,
                "$∂C/∂w^{l}_{ij} = a^{l−1}_{j}δ^{l}_{i}$",
                size=size,
            )
    return d
