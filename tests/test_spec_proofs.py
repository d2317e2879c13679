"""The specification proves BP1-BP4, and its proofs can fail."""

from __future__ import annotations

import inspect
import itertools
import random
import re

import pytest
import sympy

import spec
import spec.modular
import spec.prove
import spec.recursion
from spec.costs import costs_for_output
from spec.modular import MODULUS, evaluate_mod_p
from spec.recursion import VARIANTS

# The costs a sigmoid output takes (the log-likelihood needs softmax:
# tests/test_spec_activations*.py).
SIGMOID_COSTS = costs_for_output("sigmoid")

# Non-square layers, where a transpose cannot cancel out by accident, and depth 3.
SHAPES = [(2, 2, 2), (3, 2, 2), (2, 3, 2), (2, 2, 3), (2, 3, 3, 2), (3, 4, 3, 2)]
WRONG_VARIANTS = [v for v in VARIANTS if v != "correct"]
ENTRY = re.compile(r"∂C/∂[wb]\^\{\d+\}_\{\d+(,\d+)?\}")


@pytest.mark.parametrize("m", [1, 2, 3])
@pytest.mark.parametrize("sizes", SHAPES)
@pytest.mark.parametrize("cost", SIGMOID_COSTS)
def test_backprop_is_proven(sizes, m, cost):
    result = spec.prove_backprop(sizes, m=m, cost=cost, seed=0)
    assert result.proven, str(result)
    assert result.mismatches == ()
    assert result.first_mismatch is None
    assert result.counterexample is None
    assert result.entries == spec.parameter_count(sizes)
    assert (result.sizes, result.m, result.cost) == (sizes, m, cost)
    assert result.evaluations == 3
    assert result.modulus == MODULUS == 2**61 - 1
    assert result.seconds >= result.check_seconds >= 0
    assert str(result).startswith("proven:")


@pytest.mark.parametrize(
    ("variant", "sizes"),
    [
        # no_transpose exists only where W^{l+1} is square, as in NumPy.
        ("no_transpose", (3, 2, 2)),
        ("no_transpose", (2, 3, 3, 3)),
        ("sigma_prime_wrong_layer", (2, 3, 2)),
        ("sigma_prime_wrong_layer", (3, 4, 3, 2)),
        ("sum_not_mean", (2, 3, 2)),
        ("sum_not_mean", (2, 2, 3)),
    ],
)
@pytest.mark.parametrize("cost", SIGMOID_COSTS)
def test_wrong_recursion_is_rejected(variant, sizes, cost):
    result = spec.prove_backprop(sizes, m=2, cost=cost, variant=variant, seed=0)
    assert not result.proven
    assert ENTRY.fullmatch(result.first_mismatch)
    assert result.first_mismatch in str(result)
    assert str(result).startswith("NOT proven:")
    values = result.counterexample
    assert values["direct"] != pytest.approx(values["recursion"], rel=1e-6)


def test_wrong_bp2_spares_the_output_layer():
    # BP1, BP3, BP4 of the last layer do not involve BP2: only layer 1 differs.
    result = spec.prove_backprop((3, 2, 2), m=2, variant="no_transpose", seed=0)
    assert result.first_mismatch == "∂C/∂w^{1}_{0,0}"
    assert all("^{1}" in label for label in result.mismatches)
    assert len(result.mismatches) == 3 * 2 + 2


def test_sum_not_mean_hides_at_batch_size_one():
    assert spec.prove_backprop((2, 3, 2), m=1, variant="sum_not_mean").proven
    caught = spec.prove_backprop((2, 3, 2), m=2, variant="sum_not_mean", seed=0)
    assert len(caught.mismatches) == caught.entries
    assert caught.counterexample["recursion"] == pytest.approx(
        2 * caught.counterexample["direct"], rel=1e-12
    )


def test_no_transpose_is_undefined_on_non_square_layers():
    with pytest.raises(ValueError, match=r"no_transpose.*\[2, 3, 2\]"):
        spec.prove_backprop((2, 3, 2), variant="no_transpose")


def test_proof_is_reproducible_from_its_seed():
    first = spec.prove_backprop((2, 3, 2), m=2, variant="sum_not_mean")
    again = spec.prove_backprop((2, 3, 2), m=2, variant="sum_not_mean", seed=first.seed)
    assert again.mismatches == first.mismatches
    assert again.counterexample == first.counterexample


def test_point_on_a_pole_is_redrawn(monkeypatch):
    # A point where some denominator vanishes proves nothing; the next one counts.
    calls = itertools.count()

    class PoleFirst(spec.modular.ModularProgram):
        def __call__(self, values, salt):
            if next(calls) == 0:
                raise ZeroDivisionError("denominator is 0 modulo p")
            return super().__call__(values, salt)

    monkeypatch.setattr(spec.prove, "ModularProgram", PoleFirst)
    result = spec.prove_backprop((2, 2, 2), evaluations=2, seed=0)
    assert result.proven
    assert next(calls) == 1 + 2 * 2


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"sizes": [2]}, ValueError, "at least an input and an output"),
        ({"sizes": "232"}, TypeError, "sizes must be a sequence"),
        ({"sizes": [2, 0]}, ValueError, r"sizes\[1\] must be an integer >= 1"),
        ({"sizes": [2, 2.5]}, TypeError, r"sizes\[1\] must be an integer"),
        ({"sizes": [2, 2], "m": 0}, ValueError, "m must be an integer >= 1"),
        ({"sizes": [2, 2], "cost": "hinge"}, ValueError, "cost must be one of"),
        ({"sizes": [2, 2], "variant": "nope"}, ValueError, "variant must be one of"),
        ({"sizes": [2, 2], "evaluations": 0}, ValueError, "evaluations"),
        ({"sizes": [2, 2], "seed": True}, TypeError, "seed must be an integer"),
        ({"sizes": [100, 100, 10], "m": 2}, ValueError, r"too large.*20000"),
    ],
)
def test_prove_backprop_validates_its_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        spec.prove_backprop(**kwargs)


def test_sigma_prime_identity_is_proven():
    result = spec.prove_sigma_prime()
    assert result.proven
    assert result.residuals == (0,)
    z = next(iter(result.lhs[0].free_symbols))
    assert result.lhs[0] == sympy.exp(-z) / (1 + sympy.exp(-z)) ** 2


@pytest.mark.parametrize("n_L", [1, 3])
def test_cross_entropy_shortcut_is_proven(n_L):
    result = spec.prove_output_shortcut("cross_entropy", n_L=n_L)
    assert result.proven
    assert result.residuals == (0,) * n_L
    assert result.counterexample is None


def test_quadratic_shortcut_is_false():
    result = spec.prove_output_shortcut("quadratic")
    assert not result.proven
    s = spec.sigma(spec.symbol("z", "L", 0))
    y = spec.symbol("y", None, 0)
    assert sympy.expand(result.residuals[0] - (y - s) * (s**2 - s + 1)) == 0
    # At z = 0, y = 0: delta = (1/2)(1/4) from BP1, but a - y = 1/2.
    assert result.counterexample == {"z": 0.0, "y": 0.0, "lhs": 0.125, "rhs": 0.5}
    assert str(result).startswith("FALSE:")


@pytest.mark.parametrize(("sizes", "m"), [((2, 3, 2), 2), ((3, 2, 2), 1)])
@pytest.mark.parametrize("cost", SIGMOID_COSTS)
def test_direct_derivation_is_sympy_diff(sizes, m, cost):
    # The fast differentiation gives sympy.diff's derivative as a function (its sums
    # and products are not re-sorted): equal exactly at random points of Z_p, with
    # the same interpretation of sigma and ln.
    network = spec.symbolic_network(sizes, m)
    c = spec.mean_cost(network, cost)
    direct = spec.direct_gradients(sizes, m, cost)
    rng = random.Random(0)
    symbols = (*network.parameters, *network.data)
    for parameter, (label, expr) in zip(
        network.parameters, direct.entries(), strict=True
    ):
        assert label == f"∂C/∂{parameter}"
        point = {s: rng.randrange(MODULUS) for s in symbols}
        ours, sympys = evaluate_mod_p([expr, sympy.diff(c, parameter)], point, b"k")
        assert ours == sympys


def test_differentiate_delegates_other_nodes_to_sympy():
    x = sympy.Symbol("x", real=True)
    expr = sympy.Piecewise((x**2, x > 0), (x, True)) * sympy.log(x)
    assert sympy.simplify(spec.differentiate(expr, x) - sympy.diff(expr, x)) == 0


def test_differentiate_applies_the_rules_of_calculus():
    x, y = sympy.symbols("x y", real=True)
    expr = spec.sigma(x * y) ** 3 + sympy.log(x) * x**2 - 5 * y
    for wrt in (x, y):
        assert sympy.expand(spec.differentiate(expr, wrt) - expr.diff(wrt)) == 0
    assert spec.differentiate(expr, sympy.Symbol("other")) == 0


def test_symbolic_network_follows_the_notation():
    network = spec.symbolic_network([3, 4, 2], m=2)
    assert network.L == 2
    assert network.weights[0].shape == (4, 3)
    assert network.biases[1].shape == (2, 1)
    assert network.x.shape == (2, 3)
    assert network.y.shape == (2, 2)
    assert [z.shape for z in network.zs] == [(2, 4), (2, 2)]
    assert [a.shape for a in network.activations] == [(2, 3), (2, 4), (2, 2)]
    w = network.weights[1][1, 3]
    assert (str(w), w.is_real) == ("w^{2}_{1,3}", True)
    assert sympy.latex(spec.sigma(w)) == r"\sigma\left(w^{2}_{1,3}\right)"
    z = network.zs[1][1, 0]
    assert z == sum(
        network.weights[1][0, j] * network.activations[1][1, j] for j in range(4)
    ) + spec.symbol("b", 2, 0)
    assert network.activations[2][1, 0] == spec.sigma(z)
    assert len(network.parameters) == spec.parameter_count([3, 4, 2]) == 26


def test_sigma_derivative_is_declared_once():
    z = sympy.Symbol("z", real=True)
    assert spec.sigma(z).diff(z) == spec.sigma_prime(z)
    assert spec.sigma(z).rewrite(sympy.exp) == 1 / (1 + sympy.exp(-z))


def test_modular_evaluation_is_exact_arithmetic():
    x, y = sympy.symbols("x y")
    values = {x: 3, y: MODULUS - 1}  # y = -1
    half_x_over_y = sympy.Rational(1, 2) * x / y
    [value] = evaluate_mod_p([half_x_over_y], values, b"salt")
    assert 2 * value * (MODULUS - 1) % MODULUS == 3
    # Equal arguments give equal values of an uninterpreted function.
    f_sum, f_other = evaluate_mod_p(
        [spec.sigma(x + y), spec.sigma(2 + sympy.Integer(0))], values, b"salt"
    )
    assert f_sum == f_other
    with pytest.raises(ZeroDivisionError):
        evaluate_mod_p([1 / (x - 3)], values, b"salt")
    with pytest.raises(TypeError, match="cannot evaluate"):
        evaluate_mod_p([sympy.Float(0.5) * x], values, b"salt")


@pytest.mark.parametrize("name", ["bp1", "bp2", "bp3", "bp4"])
def test_recursion_reads_like_backprop_equations(name):
    # One vocabulary: the same parameter names, in the same order, as backprop's
    # (backprop's bp4 adds an output buffer and its bp1 the known a = phi(z), both
    # numeric savings; spec's batch forms keyword-only extras). BP1 and BP2 take
    # the layer's activation third, as backprop's do once they take one.
    import backprop.equations

    def positional(function):
        return [
            p.name
            for p in inspect.signature(function).parameters.values()
            if p.kind is p.POSITIONAL_OR_KEYWORD and p.name not in ("out", "a")
        ]

    ours = positional(getattr(spec.recursion, name))
    theirs = positional(getattr(backprop.equations, name))
    assert ours in (theirs, [*theirs, "activation"])
