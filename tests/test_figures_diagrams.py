"""The docs' diagrams and the nudged-weight plot: well-formed, self-contained SVG with
alt text, labelled in the notation of the pages, drawn from the code."""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from spec.worked_example import worked_example

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "_ext"))
import itertools

from specfigures import diagrams, plots
from specfigures.svg import plain, rich_text

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"


@pytest.fixture(scope="module")
def ex():
    return worked_example((2, 3, 2), m=2, cost="cross_entropy", seed=3)


def texts(tree):
    return [plain_text(e) for e in tree.iter(f"{SVG}text")]


def plain_text(element):
    return "".join(element.itertext())


def check_self_contained(svg: str, prefix: str) -> ET.Element:
    """Parse, and check alt text, identifiers and references."""
    tree = ET.fromstring(svg)
    assert tree.tag == f"{SVG}svg"
    assert tree.get("role") == "img"
    assert tree.get("aria-labelledby") == f"{prefix}-title {prefix}-desc"
    assert tree.find(f"{SVG}title").text.strip()
    assert len(tree.find(f"{SVG}desc").text) > 100  # says what the figure shows
    for element in tree.iter():
        if "id" in element.attrib:
            assert element.get("id").startswith(prefix), element.get("id")
        for name in ("href", f"{XLINK}href"):
            assert element.get(name, "#").startswith("#"), element.get(name)
    assert not re.search(r"""(href|src)=["'](?!#)|url\((?!#)""", svg)
    return tree


@pytest.mark.parametrize("sizes", [(2, 3, 2), (3, 4, 4, 2)])
def test_network_diagram_labels_neurons_and_weights(sizes):
    tree = check_self_contained(diagrams.network_diagram(sizes, "n").svg(), "n")
    labels = texts(tree)
    L = len(sizes) - 1
    assert len(tree.findall(f"{SVG}circle")) == sum(sizes)
    assert len(tree.findall(f"{SVG}line")) == sum(
        a * b for a, b in itertools.pairwise(sizes)
    )
    for l in range(1, L + 1):
        for i in range(sizes[l]):
            assert f"z{l}{i}, a{l}{i}" in labels  # z^l_i, a^l_i, as plain text
        assert f"W{l}: {sizes[l]} × {sizes[l - 1]}" in labels
    assert "w10,0" in labels  # w^1_{0,0}: into neuron 0 of layer 1 from input 0
    assert f"w{L}{sizes[L] - 1},{sizes[L - 1] - 1}" in labels


def test_passes_diagram_annotates_every_step_with_its_equation():
    tree = check_self_contained(diagrams.passes_diagram((2, 3, 2), "p").svg(), "p")
    labels = texts(tree)
    for label in (
        "z1 = W1a0 + b1",
        "a2 = σ(z2)",
        "BP1",
        "δ2 = ∇aC ⊙ σ′(z2)",
        "BP2",
        "δ1 = ((W2)Tδ2)",
        "BP3",
        "∂C/∂bli = δli",
        "∂C/∂wlij = al−1jδli",
    ):
        assert label in labels, label


def test_markup_raises_and_lowers_and_sets_letters_in_italics():
    inner = rich_text("$w^{2}_{10}$ and x")
    assert plain("$w^{2}_{10}$ and x") == "w210 and x"
    assert '<tspan font-style="italic">w</tspan>' in inner
    assert '<tspan dy="-0.583em" font-size="72%">2</tspan>' in inner
    assert inner.endswith(" and x</tspan>")  # back on the baseline, upright


def test_nudged_weight_slope_is_backprops_and_the_secant_converges(ex):
    n, cost = plots.nudge(ex)
    assert (n.layer, n.i, n.j) == (1, 0, 0)
    # backprop against the 50-digit oracle: ~1e-15 relative is measured.
    assert n.slope == pytest.approx(n.oracle_slope, rel=1e-12)
    assert cost(n.w0) == pytest.approx(n.cost0, rel=0)
    hs, secants = np.array(n.steps[1:]), np.array(n.secants[1:])
    error = np.abs(secants - n.slope)
    # Truncation error ∝ h²: a tenth of the step, a hundredth of the error (±20 %).
    big, tenth = np.argmin(np.abs(hs - 0.1)), np.argmin(np.abs(hs - 0.01))
    assert 80 < error[big] / error[tenth] < 120
    # At h = 1e-5 truncation (~1e-11) and rounding (~1e-16 / 1e-5) are both small.
    near = np.argmin(np.abs(hs - plots.CHECK_H))
    assert error[near] < 1e-9 * abs(n.slope)


def test_nudge_plot_is_themed_svg_with_text_kept_as_text(ex):
    svg, _ = plots.nudge_figure(ex, "nu")
    tree = check_self_contained(svg, "nu")
    assert plots.STAND_IN not in svg
    assert "currentColor" in svg
    assert "<image" not in svg  # nothing rasterised
    labels = " ".join(texts(tree))
    assert "batch cost" in labels
    assert "backprop" in labels
