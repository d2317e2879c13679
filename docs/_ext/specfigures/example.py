"""The worked example's numbers drawn on its network.

Every number comes from :func:`spec.worked_example.worked_example` (the oracle's values, to
50 digits) and is printed as the table on the same page prints it: SymPy's
``Float`` to six significant digits, through :func:`spec.latex.latex`. Each number
is an SVG ``<text>`` carrying ``data-quantity`` (``x``, ``y``, ``W^1``, ``z^1``,
``delta^1``, ``dC/dW^1``, ...) and ``data-index`` (``"k,i"`` for a value of example
``k``, ``"i,j"`` for a weight, ``"i"`` for a bias), so a test can read every
number back from the file and compare it with the oracle.

Layers run top to bottom; each neuron is a card with its values for the examples
of the batch side by side, and the weight matrices with their gradients are
tables below the network.
"""

from __future__ import annotations

import re
from typing import Any

import sympy

from specfigures.svg import BACKWARD, FG, FORWARD, Drawing

DIGITS = 6
SIZE = 13.0
ROW = 18.0
NUMBER_W = 88.0
INDEX_W = 44.0
HEAD = 40.0  # a card's title and column headers
LABEL_W = 52.0


def number(value: float, digits: int = DIGITS) -> str:
    """``value`` as the page's tables print it, in the markup of :mod:`specfigures.svg`."""
    from spec.latex import latex

    text = latex(sympy.Float(float(value), digits))
    text = re.sub(r"\s*\\cdot\s*10\^\{(-?\d+)\}", r"·10$^{\1}$", text)
    return text.replace("-", "−")


def read_number(text: str) -> float:
    """The float a drawn number stands for (the inverse of :func:`number`)."""
    return float(text.replace("−", "-").replace("·10", "e"))


def _card(
    d: Drawing,
    x: float,
    y: float,
    rows: list[tuple[str, str, list[tuple[float, str]]]],
    title: str,
    color: str,
) -> None:
    """A neuron's card: rows of ``(label, quantity, [(value, index), ...])``.

    Rows with one value per example sit under the columns ``k = 0, 1, ...``; a
    row with a single value (a bias, its gradient) follows a rule, after its label.
    """
    columns = max(len(values) for _, _, values in rows)
    width = card_width(columns)
    d.rect(
        x, y, width, card_height(len(rows)), color=color, opacity=0.9, fill_opacity=0.06
    )
    d.text(x + 8, y + 17, title, size=SIZE - 1, bold=True)
    for k in range(columns):
        x_k = x + LABEL_W + (k + 1) * NUMBER_W
        d.text(x_k, y + 33, f"$k$ = {k}", size=SIZE - 2, anchor="end")
    ruled = False
    for n, (label, quantity, values) in enumerate(rows):
        base = y + HEAD + ROW * n + 12
        single = len(values) == 1 and columns > 1
        if single and not ruled:
            d.line(x + 6, base - 13, x + width - 6, base - 13, opacity=0.3)
            ruled = True
        d.text(x + 8, base, label, size=SIZE)
        for c, (value, index) in enumerate(values):
            d.text(
                x + LABEL_W + 8 if single else x + LABEL_W + (c + 1) * NUMBER_W,
                base,
                number(value),
                size=SIZE,
                anchor="start" if single else "end",
                data={"quantity": quantity, "index": index},
            )


def card_height(rows: int) -> float:
    """Height of a card with ``rows`` rows of numbers."""
    return HEAD + ROW * rows


def card_width(columns: int) -> float:
    """Width of a card with ``columns`` numbers in a row."""
    return LABEL_W + columns * NUMBER_W + 10


def _matrix(
    d: Drawing, x: float, y: float, title: str, quantity: str, array: Any
) -> None:
    """A table of a weight matrix or its gradient, rows i and columns j labelled."""
    rows, cols = array.shape
    width = INDEX_W + cols * NUMBER_W + 10
    d.rect(x, y, width, 44 + ROW * rows, opacity=0.5)
    d.text(x + 8, y + 18, title, size=SIZE, bold=True)
    for j in range(cols):
        d.text(
            x + INDEX_W + (j + 1) * NUMBER_W,
            y + 36,
            f"$j$ = {j}",
            size=SIZE - 2,
            anchor="end",
        )
    for i in range(rows):
        base = y + 44 + ROW * i + 10
        d.text(x + 8, base, f"$i$ = {i}", size=SIZE - 2)
        for j in range(cols):
            d.text(
                x + INDEX_W + (j + 1) * NUMBER_W,
                base,
                number(array[i, j]),
                size=SIZE,
                anchor="end",
                data={"quantity": quantity, "index": f"{i},{j}"},
            )


def example_diagram(ex: Any, prefix: str) -> Drawing:
    """The network of ``ex`` (a :class:`spec.worked_example.WorkedExample`) with its numbers."""
    sizes, m, L = list(ex.sizes), ex.m, len(ex.sizes) - 1
    card_w, gap_x, gap_y = card_width(m), 16.0, 70.0
    heights = [card_height(1 if l == 0 else 5 + (l == L)) for l in range(L + 1)]
    widest = max(w.shape[1] for w in ex.weights)
    width = 40 + max(
        max(sizes) * (card_w + gap_x), 80 + 2 * (INDEX_W + widest * NUMBER_W + 10) + 30
    )
    y = 52.0
    tops = []
    for h in heights:
        tops.append(y)
        y += h + gap_y
    net_bottom = y - gap_y
    matrices_h = [44 + ROW * w.shape[0] + 16 for w in ex.weights]
    height = net_bottom + 30 + sum(matrices_h)
    d = Drawing(
        width,
        height,
        prefix,
        title=(
            f"The worked example's numbers on its network {sizes}: forward values, "
            "errors and gradients"
        ),
        description=(
            f"For each neuron, a card with its values for the {m} examples of the "
            "batch side by side (k = 0, 1, ...): the inputs x of layer 0; for layers 1 "
            f"to {L} the weighted input z, the activation a and the error δ, the bias "
            "b and the gradient ∂C/∂b; the targets y at the output. Below, each weight "
            "matrix W^l beside its gradient ∂C/∂W^l, row i for neuron i of layer l and "
            "column j for neuron j of layer l − 1. Every number is the oracle's "
            "(spec.worked_example.worked_example), printed to six significant digits as in "
            "the tables of the page."
        ),
    )
    d.text(
        width / 2,
        24,
        "Layers run downwards; in a card, one column per example $k$ of the batch",
        size=SIZE,
        anchor="middle",
    )
    centres: list[list[float]] = []
    for l, n in enumerate(sizes):
        row_w = n * card_w + (n - 1) * gap_x
        xs = [(width - row_w) / 2 + i * (card_w + gap_x) for i in range(n)]
        centres.append([x + card_w / 2 for x in xs])
        for i, x in enumerate(xs):
            ks = range(m)
            if l == 0:
                rows = [(f"$x_{{k,{i}}}$", "x", [(ex.x[k, i], f"{k},{i}") for k in ks])]
                title, color = f"input {i}", FG
            else:
                z, a = ex.zs[l - 1], ex.activations[l]
                delta = ex.deltas[l - 1]
                rows = [
                    ("$z$", f"z^{l}", [(z[k, i], f"{k},{i}") for k in ks]),
                    ("$a$", f"a^{l}", [(a[k, i], f"{k},{i}") for k in ks]),
                    ("$δ$", f"delta^{l}", [(delta[k, i], f"{k},{i}") for k in ks]),
                    ("$b$", f"b^{l}", [(ex.biases[l - 1][i], str(i))]),
                    ("$∂C/∂b$", f"dC/db^{l}", [(ex.grad_b[l - 1][i], str(i))]),
                ]
                if l == L:
                    rows.insert(0, ("$y$", "y", [(ex.y[k, i], f"{k},{i}") for k in ks]))
                title = f"neuron {i} of layer {l}"
                color = BACKWARD if l == L else FORWARD
            _card(d, x, tops[l], rows, title, color)
    for l in range(1, L + 1):
        for x2 in centres[l]:
            for x1 in centres[l - 1]:
                d.line(x1, tops[l - 1] + heights[l - 1], x2, tops[l], opacity=0.35)
    y = net_bottom + 30
    for l in range(1, L + 1):
        d.text(20, y + 10, f"layer {l}:", size=SIZE, bold=True)
        cols = ex.weights[l - 1].shape[1]
        mat_w = INDEX_W + cols * NUMBER_W + 10
        _matrix(d, 100, y, f"$W^{{{l}}}$", f"W^{l}", ex.weights[l - 1])
        _matrix(
            d, 100 + mat_w + 30, y, f"$∂C/∂W^{{{l}}}$", f"dC/dW^{l}", ex.grad_w[l - 1]
        )
        y += matrices_h[l - 1]
    return d
