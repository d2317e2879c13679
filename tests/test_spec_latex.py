"""The LaTeX export for the docs: the printer, the statements, the displays."""

from __future__ import annotations

import pytest
import sympy

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
        r"C = \sum_{j=1}^{n_{L}} \frac{\left(a^{L}_{j} - y_{j}\right)^{2}}{2}"
    )
    assert quadratic["dC/da"] == (
        r"\frac{\partial C}{\partial a^{L}_{j}} = a^{L}_{j} - y_{j}"
    )
    assert r"\ln{\left(1 - a^{L}_{j} \right)}" in cross_entropy["C"]
    assert cross_entropy["dC/da"] == (
        r"\frac{\partial C}{\partial a^{L}_{j}} = - \frac{y_{j}}{a^{L}_{j}} + "
        r"\frac{1 - y_{j}}{1 - a^{L}_{j}}"
    )


def test_identities():
    assert latex.sigma_prime_identity() == (
        r"\frac{d}{d z} \sigma\left(z\right) = \frac{d}{d z} \frac{1}{1 + e^{- z}} = "
        r"\frac{e^{- z}}{\left(1 + e^{- z}\right)^{2}} = "
        r"\left(1 - \sigma\left(z\right)\right) \sigma\left(z\right)"
    )
    shortcut = latex.cross_entropy_shortcut()
    assert shortcut.startswith(r"\delta^{L}_{j} = ")
    assert shortcut.endswith(r"= - y_{j} + \sigma\left(z^{L}_{j}\right)")
    residual = latex.quadratic_shortcut_residual()
    assert residual.startswith(r"\delta^{L}_{j} - \left(a^{L}_{j} - y_{j}\right) = ")
    assert r"\sigma^{2}\left(z^{L}_{j}\right) - \sigma\left(z^{L}_{j}\right) + 1" in (
        residual
    )


def test_aligned_rows_and_tags():
    assert latex.aligned("a = b") == "a &= b"
    assert latex.aligned("a = b", "BP1") == r"a &= b && \text{(BP1)}"
    with pytest.raises(ValueError, match="equation must read 'lhs = rhs'"):
        latex.aligned("a + b")


def test_display_bp_aligns_and_tags_the_four_equations():
    every = latex.display_bp()
    assert every.source == "spec.latex.bp_equations()"
    assert [row.rsplit(r"\text", 1)[1] for row in every.rows] == [
        "{(BP1)}",
        "{(BP2)}",
        "{(BP3)}",
        "{(BP4)}",
    ]
    one = latex.display_bp("BP3")
    assert one.rows == (latex.bp_equations()["BP3"],)
    with pytest.raises(ValueError, match="which must be one of 'all', 'BP1'"):
        latex.display_bp("BP5")


def test_displays_of_general_statements():
    forward = latex.display_forward()
    assert forward.rows == (
        r"z^{l} = W^{l} a^{l-1} + b^{l}, \qquad a^{l} = \sigma\left(z^{l}\right)",
    )
    batch = latex.display_batch()
    assert batch.rows[0] == r"C &= \frac{1}{m} \sum_{k=1}^{m} C_{k}"
    assert batch.rows[2].endswith(r"&& \text{(BP4, batch)}")
    cost = latex.display_cost("quadratic")
    assert cost.rows[1] == r"\frac{\partial C}{\partial a^{L}_{j}} &= a^{L}_{j} - y_{j}"
    with pytest.raises(ValueError, match="cost must be one of"):
        latex.display_cost("hinge")


def test_displays_of_identities_carry_their_proofs():
    sigma_prime = latex.display_sigma_prime()
    assert sigma_prime.ok
    assert sigma_prime.note.startswith("proven by")
    assert len(sigma_prime.rows) == 3
    assert sigma_prime.rows[1].startswith("&= ")
    shortcut = latex.display_cross_entropy_shortcut()
    assert shortcut.ok
    assert shortcut.rows[-1] == r"&= - y_{j} + \sigma\left(z^{L}_{j}\right)"
    # The quadratic shortcut must fail: ok means "failed, as it must".
    residual = latex.display_quadratic_residual()
    assert residual.ok
    assert "the shortcut fails" in residual.note
    assert "y = " in residual.note
    assert "t_{" not in residual.rows[0]


def test_display_forward_network_writes_out_every_weighted_input():
    shown = latex.display_forward_network([2, 3, 2])
    assert len(shown.rows) == 4  # z^1_0, z^1_1, z^1_2 and a^2_0
    assert shown.rows[0] == (
        r"z^{1}_{0} &= b^{1}_{0} + w^{1}_{0,0} x_{0,0} + w^{1}_{0,1} x_{0,1}"
    )
    assert shown.rows[-1].startswith(r"a^{2}_{0} &= \sigma\left(")
    assert r"z^{1}_{0}" in shown.rows[-1]  # layer 1 abbreviated
    assert shown.source == "spec.symbolic_network([2, 3, 2], m=1)"


def test_display_bp1_network_uses_y_for_targets():
    shown = latex.display_bp1_network("quadratic")
    assert shown.rows == tuple(
        rf"\delta^{{L}}_{{{i}}} &= \left(1 - \sigma\left(z^{{L}}_{{{i}}}\right)\right) "
        rf"\left(- y_{{{i}}} + \sigma\left(z^{{L}}_{{{i}}}\right)\right) "
        rf"\sigma\left(z^{{L}}_{{{i}}}\right)"
        for i in range(2)
    )


def test_display_bp2_network_transposes():
    shown = latex.display_bp2_network([2, 3, 2])
    # δ^1 has the 3 entries of layer 1, each a sum over the 2 of δ^2.
    assert len(shown.rows) == 3
    assert shown.rows[0].startswith(r"\delta^{1}_{0} &= ")
    # Column 0 of W^2, (W^2)^T row 0: w^2_{0,0} and w^2_{1,0}.
    assert r"\delta^{2}_{0} w^{2}_{0,0} + \delta^{2}_{1} w^{2}_{1,0}" in shown.rows[0]
    with pytest.raises(ValueError, match="hidden layer"):
        latex.display_bp2_network([2, 2])


def test_display_bp3_bp4_network_average_over_the_batch():
    bp3 = latex.display_bp3_network([3, 2], m=2)
    assert bp3.rows[0] == (
        r"\frac{\partial C}{\partial b^{l}_{0}} &= "
        r"\frac{1}{2} \left(\delta^{l}_{0,0} + \delta^{l}_{1,0}\right)"
    )
    assert len(bp3.rows) == 2
    (bp4,) = latex.display_bp4_network([3, 2], m=1).rows
    # ∂C/∂W^l has the shape (n_l, n_{l-1}) = (2, 3) of W^l: 2 rows of 3 entries.
    matrix = bp4.split("&= ", 1)[1]
    rows = matrix.removeprefix(r"\left[\begin{matrix}").split(r"\\")
    assert len(rows) == 2
    assert all(row.count("&") == 2 for row in rows)
    assert r"\delta^{l}_{1} a^{l-1}_{2}" in rows[1]
    with pytest.raises(ValueError, match="one layer's"):
        latex.display_bp4_network([3, 2, 2], m=1)
    with pytest.raises(ValueError, match="m must be"):
        latex.display_bp3_network([3, 2], m=0)


def test_display_direct_lists_the_cost_and_every_entry():
    shown = latex.display_direct([1, 1], "quadratic")
    assert shown.rows[0].startswith("C &= ")
    assert [row.split(" &= ")[0] for row in shown.rows[1:]] == [
        r"\frac{\partial C}{\partial w^{1}_{0,0}}",
        r"\frac{\partial C}{\partial b^{1}_{0}}",
    ]
    assert shown.source == "spec.direct_gradients([1, 1], m=1, cost='quadratic')"


def test_abbreviate_z_replaces_weighted_inputs_layer_by_layer():
    net = spec.symbolic_network([1, 1, 1], 1)
    (out,) = latex.abbreviate_z(net, [net.activations[-1][0, 0]])
    assert out == spec.sigma(spec.symbol("z", 2, 0))
    (partly,) = latex.abbreviate_z(net, [net.zs[1][0, 0]], layers=1)
    assert partly.has(spec.sigma(spec.symbol("z", 1, 0)))
    assert isinstance(partly, sympy.Add)


def test_latex_printer_notation():
    c, w = sympy.symbols("C w")
    assert latex.latex(sympy.Derivative(c, w)) == r"\frac{\partial C}{\partial w}"
    assert latex.latex(sympy.log(w)) == r"\ln{\left(w \right)}"
