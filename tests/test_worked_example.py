"""The worked example of the docs: every number of one pass, from the oracle."""

from __future__ import annotations

import numpy as np
import pytest

import backprop
from spec.costs import costs_for_output
from spec.worked_example import worked_example

# The costs a sigmoid output takes (the log-likelihood needs softmax:
# tests/test_spec_activations*.py).
SIGMOID_COSTS = costs_for_output("sigmoid")

# The example's numbers are evaluated at 50 digits and rounded to float64; a float64
# recomputation from them takes a few roundings, each within 1.1e-16 relative.
EXACT_RTOL = 1e-14
# The bound the docs build holds backprop.gradients to (specdocs' EXAMPLE_RTOL);
# float64 backprop is measured ~1e-15 relative from the oracle. atol: entries near 0.
BACKPROP_RTOL, BACKPROP_ATOL = 1e-10, 1e-12


@pytest.mark.parametrize("cost", SIGMOID_COSTS)
def test_worked_example_is_consistent(cost):
    example = worked_example(cost=cost)
    assert (example.sizes, example.m, example.seed) == ((2, 3, 2), 1, 0)
    assert [z.shape for z in example.zs] == [(1, 3), (1, 2)]
    assert [a.shape for a in example.activations] == [(1, 2), (1, 3), (1, 2)]
    for layer in range(2):
        w, b = example.weights[layer], example.biases[layer]
        z = example.activations[layer] @ w.T + b
        np.testing.assert_allclose(example.zs[layer], z, rtol=EXACT_RTOL)
        np.testing.assert_allclose(
            example.activations[layer + 1], 1 / (1 + np.exp(-z)), rtol=EXACT_RTOL
        )
        # BP3 and BP4 with m = 1: the oracle's gradients are δ and δ aᵀ.
        delta = example.deltas[layer][0]
        np.testing.assert_allclose(example.grad_b[layer], delta, rtol=EXACT_RTOL)
        np.testing.assert_allclose(
            example.grad_w[layer],
            np.outer(delta, example.activations[layer][0]),
            rtol=EXACT_RTOL,
        )
    if cost == "cross_entropy":
        np.testing.assert_allclose(
            example.deltas[-1], example.activations[-1] - example.y, rtol=EXACT_RTOL
        )
    assert set(example.symbolic) == {
        r"\delta^{2}_{0}",
        r"\frac{\partial C}{\partial b^{2}_{0}}",
        r"\frac{\partial C}{\partial w^{2}_{0,0}}",
        r"\frac{\partial C}{\partial w^{1}_{0,0}}",
    }
    assert all(r"\sigma\left(" in text for text in example.symbolic.values())


def test_gradcheck_worked_example_matches_backprop():
    example = worked_example((3, 2, 2), m=2, cost="quadratic", seed=3)
    grad_w, grad_b = backprop.gradients(
        example.weights, example.biases, example.x, example.y, cost="quadratic"
    )
    for a, r in zip(grad_w + grad_b, example.grad_w + example.grad_b, strict=True):
        np.testing.assert_allclose(a, r, rtol=BACKPROP_RTOL, atol=BACKPROP_ATOL)


def test_worked_example_latex_tables():
    example = worked_example()
    tables = example.latex(digits=3)
    assert list(tables)[:2] == ["x", "y"]
    assert {"W^{1}", "b^{2}", "z^{2}", "a^{1}", r"\delta^{2}"} <= set(tables)
    assert r"\frac{\partial C}{\partial W^{1}}" in tables
    assert tables["W^{1}"].count(r"\\") == 2  # three rows
    assert tables["z^{1}"].startswith(r"\left[\begin{matrix}")
    first = example.weights[0][0, 0]
    assert f"{first:.3g}" in tables["W^{1}"]


def test_worked_example_validates_its_arguments():
    with pytest.raises(ValueError, match="cost must be one of"):
        worked_example(cost="hinge")
    with pytest.raises(ValueError, match="digits must be"):
        worked_example().latex(digits=0)
