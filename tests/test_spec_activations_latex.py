"""The activation and cost pages: their equations from spec.latex.layers and the
reST that specdocs.layers writes for each page."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import spec.latex as sl
from spec.activations import ACTIVATIONS
from spec.costs import COSTS, costs_for_output

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "_ext"))
from specdocs.layers import activation_page, cost_page


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activation_displays_are_proven(activation):
    for display in (
        sl.display_activation(activation),
        sl.display_activation_derivative(activation),
        sl.display_activation_bp1(activation),
    ):
        assert display.ok, display.note
        assert all("&=" in row for row in display.rows)
    assert sl.display_activation_derivative(activation).note.startswith("proven:")


def test_softmax_derivative_shows_the_jacobian():
    rows = sl.display_activation_derivative("softmax").rows
    assert r"a_{k} \left(\delta_{ki} - a_{i}\right)" in rows[0]
    assert r"\begin{matrix}a_{0} \left(1 - a_{0}\right) & - a_{0} a_{1}" in rows[1]


@pytest.mark.parametrize(
    ("cost", "activation", "verdict"),
    [
        ("cross_entropy", "sigmoid", "proven"),
        ("log_likelihood", "softmax", "proven"),
        ("quadratic", "identity", "proven"),
        ("quadratic", "sigmoid", "FALSE"),
        ("quadratic", "softmax", "FALSE"),
        ("quadratic", "tanh", "FALSE"),
    ],
)
def test_shortcut_display_states_the_verdict(cost, activation, verdict):
    display = sl.display_shortcut(cost, activation)
    assert display.note.startswith(f"{verdict}:")
    assert display.rows[1].endswith("&= 0") == (verdict == "proven")
    if verdict == "FALSE":
        assert "BP1 gives δ" in display.note


def test_l2_display_is_proven():
    display = sl.display_l2()
    assert display.ok
    assert display.rows[1].endswith(r"&= \lambda w^{l}_{ij}")
    assert display.rows[2].endswith("&= 0")


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activation_page_has_every_part(activation):
    text = "\n".join(activation_page(activation))
    for title in ("Definition", "Its derivative, proven", "The form BP1 takes"):
        assert f"\n{title}\n{'-' * len(title)}\n" in text
    assert f":activation: {activation}" in text
    for cost in costs_for_output(activation):
        assert f":cost: {cost}" in text
    assert text.count("   sizes=3,4,3,2 m=") >= 3


@pytest.mark.parametrize("cost", [*COSTS, "l2"])
def test_cost_page_has_proofs(cost):
    text = "\n".join(cost_page(cost))
    assert ".. spec-proofs::" in text
    assert ("l2=true" in text) == (cost == "l2")


def test_pages_refuse_unknown_names():
    with pytest.raises(ValueError, match="activation must be one of"):
        activation_page("leaky_relu")
    with pytest.raises(ValueError, match="cost must be one of"):
        cost_page("hinge")
