"""The worked-example figure of the docs: every number drawn is the oracle's.

The numbers are read back from the SVG the docs extension writes (each ``<text>``
names the quantity and index it shows) and compared with values computed here
independently: the gradients by :func:`spec.oracle_gradients`, the forward values
by :func:`backprop.feedforward`, the errors by BP1 and BP2 in NumPy. They are also
compared, character for character, with the tables the same page prints.
"""

from __future__ import annotations

import math
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import backprop
import spec
from spec.worked_example import worked_example

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "_ext"))
from specfigures import example
from specfigures.svg import plain

#: The worked example of docs/derivation/worked-example.rst.
PAGE_EXAMPLE = ((2, 3, 2), 2, "cross_entropy", 3)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def ex():
    sizes, m, cost, seed = PAGE_EXAMPLE
    return worked_example(sizes, m=m, cost=cost, seed=seed)


@pytest.fixture(scope="module")
def drawn(ex):
    """``{(quantity, index): text}`` of every number on the figure, read from its SVG."""
    tree = ET.fromstring(example.example_diagram(ex, "test").svg())
    numbers: dict[tuple[str, str], str] = {}
    for element in tree.iter(f"{SVG}text"):
        if "data-quantity" in element.attrib:
            key = (element.attrib["data-quantity"], element.attrib["data-index"])
            assert key not in numbers, f"{key} drawn twice"
            numbers[key] = "".join(element.itertext())
    return numbers


def expected_values(ex):
    """Every quantity the figure should show, computed here, keyed as it is drawn."""
    L = len(ex.sizes) - 1
    zs, activations = backprop.feedforward(ex.weights, ex.biases, ex.x)
    grad_w, grad_b = spec.oracle_gradients(ex.weights, ex.biases, ex.x, ex.y, ex.cost)
    deltas = [None] * L
    deltas[-1] = activations[-1] - ex.y  # BP1 for the cross-entropy
    for l in range(L - 2, -1, -1):  # BP2, examples as rows
        deltas[l] = backprop.bp2(ex.weights[l + 1], deltas[l + 1], zs[l])
    values = {}
    for k, i in np.ndindex(ex.x.shape):
        values["x", f"{k},{i}"] = ex.x[k, i]
    for k, i in np.ndindex(ex.y.shape):
        values["y", f"{k},{i}"] = ex.y[k, i]
    for l in range(1, L + 1):
        for k, i in np.ndindex(zs[l - 1].shape):
            values[f"z^{l}", f"{k},{i}"] = zs[l - 1][k, i]
            values[f"a^{l}", f"{k},{i}"] = activations[l][k, i]
            values[f"delta^{l}", f"{k},{i}"] = deltas[l - 1][k, i]
        for i, j in np.ndindex(ex.weights[l - 1].shape):
            values[f"W^{l}", f"{i},{j}"] = ex.weights[l - 1][i, j]
            values[f"dC/dW^{l}", f"{i},{j}"] = grad_w[l - 1][i, j]
        for i in range(ex.sizes[l]):
            values[f"b^{l}", str(i)] = ex.biases[l - 1][i]
            values[f"dC/db^{l}", str(i)] = grad_b[l - 1][i]
    return values


def test_every_quantity_is_drawn_once(ex, drawn):
    assert set(drawn) == set(expected_values(ex))


def test_the_numbers_drawn_are_the_oracles(ex, drawn):
    for key, value in expected_values(ex).items():
        shown = example.read_number(plain(drawn[key]))
        # Six significant digits: off by at most half a unit in the sixth; the
        # float64 values computed here differ from the oracle's 50-digit ones by
        # ~1e-15 relative, far below that unless a value sits on a rounding tie.
        half_unit = (
            0.5 * 10.0 ** (math.floor(math.log10(abs(value))) - 5) if value else 0
        )
        assert abs(shown - value) <= half_unit * (1 + 1e-9), (key, shown, value)


def test_the_numbers_drawn_are_the_tables(ex, drawn):
    """The figure prints each number as the page's LaTeX tables print it."""
    tables = ex.latex(example.DIGITS)
    L = len(ex.sizes) - 1

    def entries(name):
        body = re.search(r"\\begin\{matrix\}(.*)\\end\{matrix\}", tables[name]).group(1)
        return [row.split(" & ") for row in body.split(r"\\")]

    def as_drawn(tex):
        return tex.replace(" \\cdot 10^{", "·10").replace("}", "").replace("-", "−")

    checks = [("x", "x", True), ("y", "y", True)]
    for l in range(1, L + 1):
        checks += [
            (f"W^{{{l}}}", f"W^{l}", False),
            (f"z^{{{l}}}", f"z^{l}", True),
            (f"a^{{{l}}}", f"a^{l}", True),
            (rf"\delta^{{{l}}}", f"delta^{l}", True),
            (rf"\frac{{\partial C}}{{\partial W^{{{l}}}}}", f"dC/dW^{l}", False),
        ]
    for table, quantity, by_example in checks:
        for r, row in enumerate(entries(table)):
            for c, tex in enumerate(row):
                # Tables of examples hold one example per column: (i, k).
                index = f"{c},{r}" if by_example else f"{r},{c}"
                assert plain(drawn[quantity, index]) == as_drawn(tex.strip())


def test_the_figure_has_alt_text_naming_what_it_shows(ex):
    tree = ET.fromstring(example.example_diagram(ex, "test").svg())
    assert tree.get("role") == "img"
    title = tree.find(f"{SVG}title").text
    desc = tree.find(f"{SVG}desc").text
    assert "[2, 3, 2]" in title
    for word in ("weighted input z", "activation a", "error δ", "∂C/∂W^l", "oracle"):
        assert word in desc


def test_number_prints_as_sympy_float():
    assert example.number(-1.234567891) == "−1.23457"
    assert example.number(1.0) == "1.0"
    assert example.number(0.000012345678) == "1.23457·10$^{−5}$"
    assert example.read_number(plain(example.number(-0.000012345678))) == -1.23457e-5
