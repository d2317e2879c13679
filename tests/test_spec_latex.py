"""The LaTeX export for the docs: the equations and a worked example."""

from __future__ import annotations

import numpy as np
import pytest

import backprop
import spec
from spec import latex


def test_forward_equations():
    assert latex.forward_equations() == {
        "z": "z^{l} = W^{l} a^{l-1} + b^{l}",
        "a": r"a^{l} = \sigma\left(z^{l}\right)",
    }


def test_bp_equations():
    equations = latex.bp_equations()
    assert equations["BP1"] == (
        r"\delta^{L} = \nabla_{a} C \odot \sigma'\left(z^{L}\right)"
    )
    assert equations["BP2"] == (
        r"\delta^{l} = \left(\left(W^{l+1}\right)^{T} \delta^{l+1}\right) \odot "
        r"\sigma'\left(z^{l}\right)"
    )
    assert equations["BP3"] == r"\frac{\partial C}{\partial b^{l}_{i}} = \delta^{l}_{i}"
    assert equations["BP4"] == (
        r"\frac{\partial C}{\partial w^{l}_{ij}} = \delta^{l}_{i} a^{l-1}_{j}"
    )


def test_batch_equations_average_over_the_batch():
    equations = latex.batch_equations()
    assert equations["C"] == r"C = \frac{1}{m} \sum_{k=1}^{m} C_{k}"
    assert equations["BP3"].endswith(r"= \frac{1}{m} \sum_{k=1}^{m} \delta^{l}_{k,i}")
    assert equations["BP4"].endswith(r"\delta^{l}_{k,i} a^{l-1}_{k,j}")


def test_cost_equations_come_from_the_costs_the_spec_uses():
    equations = latex.cost_equations()
    assert set(equations) == set(spec.COSTS)
    quadratic, cross_entropy = equations["quadratic"], equations["cross_entropy"]
    assert quadratic["C"] == (
        r"C = \sum_{j=1}^{n_{L}} \frac{\left(a^{L}_{j} - t_{j}\right)^{2}}{2}"
    )
    assert quadratic["dC/da"] == (
        r"\frac{\partial C}{\partial a^{L}_{j}} = a^{L}_{j} - t_{j}"
    )
    assert r"\ln{\left(1 - a^{L}_{j} \right)}" in cross_entropy["C"]
    assert cross_entropy["dC/da"] == (
        r"\frac{\partial C}{\partial a^{L}_{j}} = - \frac{t_{j}}{a^{L}_{j}} + "
        r"\frac{1 - t_{j}}{1 - a^{L}_{j}}"
    )


def test_identities():
    assert latex.sigma_prime_identity() == (
        r"\frac{d}{d z} \sigma\left(z\right) = \frac{d}{d z} \frac{1}{1 + e^{- z}} = "
        r"\frac{e^{- z}}{\left(1 + e^{- z}\right)^{2}} = "
        r"\left(1 - \sigma\left(z\right)\right) \sigma\left(z\right)"
    )
    shortcut = latex.cross_entropy_shortcut()
    assert shortcut.startswith(r"\delta^{L}_{j} = ")
    assert shortcut.endswith(r"= - t_{j} + \sigma\left(z^{L}_{j}\right)")
    residual = latex.quadratic_shortcut_residual()
    assert residual.startswith(r"\delta^{L}_{j} - \left(a^{L}_{j} - t_{j}\right) = ")
    assert r"\sigma^{2}\left(z^{L}_{j}\right) - \sigma\left(z^{L}_{j}\right) + 1" in (
        residual
    )


@pytest.mark.parametrize("cost", spec.COSTS)
def test_worked_example_is_consistent(cost):
    example = latex.worked_example(cost=cost)
    assert (example.sizes, example.m, example.seed) == ((2, 3, 2), 1, 0)
    assert [z.shape for z in example.zs] == [(1, 3), (1, 2)]
    assert [a.shape for a in example.activations] == [(1, 2), (1, 3), (1, 2)]
    for layer in range(2):
        w, b = example.weights[layer], example.biases[layer]
        z = example.activations[layer] @ w.T + b
        np.testing.assert_allclose(example.zs[layer], z, rtol=1e-14)
        np.testing.assert_allclose(
            example.activations[layer + 1], 1 / (1 + np.exp(-z)), rtol=1e-14
        )
        # BP3 and BP4 with m = 1: the oracle's gradients are δ and δ aᵀ.
        delta = example.deltas[layer][0]
        np.testing.assert_allclose(example.grad_b[layer], delta, rtol=1e-14)
        np.testing.assert_allclose(
            example.grad_w[layer],
            np.outer(delta, example.activations[layer][0]),
            rtol=1e-14,
        )
    if cost == "cross_entropy":
        np.testing.assert_allclose(
            example.deltas[-1], example.activations[-1] - example.y, rtol=1e-14
        )
    assert set(example.symbolic) == {
        r"\delta^{2}_{0}",
        r"\frac{\partial C}{\partial b^{2}_{0}}",
        r"\frac{\partial C}{\partial w^{2}_{0,0}}",
        r"\frac{\partial C}{\partial w^{1}_{0,0}}",
    }
    assert all(r"\sigma\left(" in text for text in example.symbolic.values())


def test_gradcheck_worked_example_matches_backprop():
    example = latex.worked_example((3, 2, 2), m=2, cost="quadratic", seed=3)
    grad_w, grad_b = backprop.gradients(
        example.weights, example.biases, example.x, example.y, cost="quadratic"
    )
    for a, r in zip(grad_w + grad_b, example.grad_w + example.grad_b, strict=True):
        np.testing.assert_allclose(a, r, rtol=1e-10, atol=1e-12)


def test_worked_example_latex_tables():
    example = latex.worked_example()
    tables = example.latex(digits=3)
    assert list(tables)[:2] == ["x", "t"]
    assert {"W^{1}", "b^{2}", "z^{2}", "a^{1}", r"\delta^{2}"} <= set(tables)
    assert r"\frac{\partial C}{\partial W^{1}}" in tables
    assert tables["W^{1}"].count(r"\\") == 2  # three rows
    assert tables["z^{1}"].startswith(r"\left[\begin{matrix}")
    first = example.weights[0][0, 0]
    assert f"{first:.3g}" in tables["W^{1}"]


def test_worked_example_validates_its_arguments():
    with pytest.raises(ValueError, match="cost must be one of"):
        latex.worked_example(cost="hinge")
    with pytest.raises(ValueError, match="digits must be"):
        latex.worked_example().latex(digits=0)
