"""Each activation's declared derivative proven from its explicit formula, the two
output shortcuts proven and their quadratic counterparts refuted, the L2 term."""

from __future__ import annotations

import pytest
import sympy

import spec
from spec.activations import ACTIVATIONS


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_declared_derivative_is_proven(activation):
    result = spec.prove_derivative(activation)
    assert result.proven, str(result)
    assert all(r == 0 for r in result.residuals)
    assert str(result).startswith("proven:")


def test_tanh_derivative_is_one_minus_tanh_squared():
    z = sympy.Symbol("z", real=True)
    assert spec.tanh(z).diff(z) == 1 - spec.tanh(z) ** 2
    # The explicit form agrees with SymPy's own tanh.
    assert (
        sympy.simplify(
            spec.tanh(z).rewrite(sympy.exp) - sympy.tanh(z).rewrite(sympy.exp)
        )
        == 0
    )


def test_relu_derivative_is_the_step_on_both_sides_of_the_kink():
    result = spec.prove_derivative("relu")
    assert "z != 0" in result.claim
    assert result.lhs == (1, 0)  # z > 0, z < 0
    z = sympy.Symbol("z", real=True)
    assert spec.relu(z).diff(z) == spec.step(z)
    assert spec.step(sympy.Integer(2)) == 1
    assert spec.step(sympy.Integer(-2)) == 0


@pytest.mark.parametrize("n_L", [2, 3, 4])
def test_softmax_jacobian_is_diag_a_minus_a_at(n_L):
    result = spec.prove_derivative("softmax", n_L=n_L)
    assert result.proven
    assert len(result.lhs) == n_L * n_L


@pytest.mark.parametrize("n_L", [1, 2, 3])
def test_softmax_log_likelihood_shortcut_is_proven(n_L):
    result = spec.prove_output_shortcut("log_likelihood", n_L=n_L)
    assert result.proven, str(result)
    assert "softmax" in result.claim
    assert "sum to 1" in result.claim
    assert result.counterexample is None


def test_softmax_log_likelihood_shortcut_needs_targets_summing_to_one():
    # Without the condition the residual of BP1 is a_i (sum_k y_k - 1).
    z = [spec.symbol("z", "L", i) for i in range(3)]
    y = [spec.symbol("y", None, i) for i in range(3)]
    a = [spec.softmax(i, *z) for i in range(3)]
    nabla = spec.costs.output_gradient("log_likelihood", a, y)
    delta = spec.recursion.bp1(nabla, z, "softmax")
    for i in range(3):
        residual = delta[i] - (a[i] - y[i]) - a[i] * (sympy.Add(*y) - 1)
        assert sympy.cancel(residual) == 0


@pytest.mark.parametrize("n_L", [2, 3])
def test_softmax_quadratic_shortcut_is_false(n_L):
    result = spec.prove_output_shortcut("quadratic", n_L=n_L, activation="softmax")
    assert not result.proven
    assert str(result).startswith("FALSE:")
    # At z = 0, y = e_0: a = 1/n, so BP1 gives -(n-1)/n^2 but a_0 - y_0 = -(n-1)/n.
    assert result.counterexample["lhs"] == pytest.approx(-(n_L - 1) / n_L**2)
    assert result.counterexample["rhs"] == pytest.approx(-(n_L - 1) / n_L)
    assert result.counterexample["y_{0}"] == 1.0


def test_sigmoid_shortcuts_unchanged():
    assert spec.prove_output_shortcut("cross_entropy").proven
    assert not spec.prove_output_shortcut("quadratic").proven
    assert spec.prove_output_shortcut().claim == (
        "BP1 for the cross_entropy cost on sigmoid outputs gives delta^L = a^L - y"
    )


@pytest.mark.parametrize("activation", ["tanh", "relu", "identity"])
def test_quadratic_shortcut_holds_only_for_the_identity(activation):
    # delta = (a - y) phi'(z): the shortcut a - y exactly when phi' = 1.
    result = spec.prove_output_shortcut("quadratic", activation=activation)
    assert result.proven == (activation == "identity")


@pytest.mark.parametrize(
    ("cost", "activation", "match"),
    [
        ("log_likelihood", "sigmoid", "needs a softmax output layer"),
        ("cross_entropy", "softmax", "needs a sigmoid output layer"),
        ("cross_entropy", "tanh", "needs a sigmoid output layer"),
        ("quadratic", "leaky_relu", "activation must be one of"),
    ],
)
def test_shortcut_refuses_nonsense_combinations(cost, activation, match):
    with pytest.raises(ValueError, match=match):
        spec.prove_output_shortcut(cost, activation=activation)


@pytest.mark.parametrize("sizes", [(2, 3, 2), (3, 2, 2, 1)])
def test_l2_term_adds_lambda_w_to_the_weights_only(sizes):
    result = spec.prove_l2_term(sizes)
    assert result.proven
    network = spec.symbolic_network(sizes)
    assert len(result.lhs) == len(network.parameters)
    first_bias = network.biases[0][0]
    assert result.lhs[network.parameters.index(first_bias)] == 0
    w = network.weights[0][0, 0]
    assert result.lhs[0] == spec.L2_SYMBOL * w
