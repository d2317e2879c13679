"""The spec beyond the sigmoid: every activation/cost combination proven at fixed
sizes, L2's lambda W term, the combinations that make no sense refused, and the
oracle against the complex step of a float64 forward pass written here."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy
from conftest import COMPLEX_RTOL

import spec
from spec.costs import combinations, costs_for_output

COMBINATIONS = combinations()


def test_there_are_28_combinations():
    # 4 elementwise hidden activations x (4 elementwise outputs with the quadratic
    # cost + sigmoid/cross-entropy + softmax/quadratic + softmax/log-likelihood).
    assert len(COMBINATIONS) == 28
    assert ("relu", "softmax", "log_likelihood") in COMBINATIONS
    assert ("tanh", "sigmoid", "cross_entropy") in COMBINATIONS
    assert all(c[1] == "softmax" for c in COMBINATIONS if c[2] == "log_likelihood")
    assert all(c[1] == "sigmoid" for c in COMBINATIONS if c[2] == "cross_entropy")


@pytest.mark.parametrize("m", [1, 2, 3])
@pytest.mark.parametrize(("hidden", "output", "cost"), COMBINATIONS)
def test_every_combination_is_proven(hidden, output, cost, m):
    # Non-square [2, 3, 2]: a transpose cannot cancel out by accident.
    result = spec.prove_backprop(
        (2, 3, 2), m=m, cost=cost, activations=(hidden, output), seed=0
    )
    assert result.proven, str(result)
    assert result.activations == (hidden, output)
    assert (result.cost, result.m, result.l2) == (cost, m, False)
    assert ("z = 0" in result.claim) == ("relu" in (hidden, output))


@pytest.mark.parametrize("m", [1, 2, 3])
@pytest.mark.parametrize(
    ("activations", "cost"),
    [
        (("tanh", "relu", "softmax"), "log_likelihood"),
        (("relu", "identity", "sigmoid"), "cross_entropy"),
        (("identity", "sigmoid", "tanh"), "quadratic"),
    ],
)
def test_one_activation_per_layer_is_proven_with_l2(activations, cost, m):
    result = spec.prove_backprop(
        (3, 4, 3, 2), m=m, cost=cost, activations=activations, l2=True, seed=0
    )
    assert result.proven, str(result)
    assert result.l2
    assert "(lambda/2) sum ||W^l||^2" in result.claim


@pytest.mark.parametrize(("hidden", "output", "cost"), COMBINATIONS[::3])
def test_l2_adds_lambda_w_to_bp4_only(hidden, output, cost):
    # The regularised recursion is proven (above); the difference it makes is
    # exactly lambda w^l_ij in each weight entry and nothing in the biases.
    sizes, layers = (2, 3, 2), {"activations": (hidden, output)}
    plain = spec.recursion_gradients(sizes, 2, cost, **layers)
    decayed = spec.recursion_gradients(sizes, 2, cost, l2=True, **layers)
    network = spec.symbolic_network(sizes, 2, (hidden, output))
    lam = spec.L2_SYMBOL
    for g, g_l2, w in zip(plain.weights, decayed.weights, network.weights, strict=True):
        assert (g_l2 - g - lam * w).expand() == sympy.zeros(*w.shape)
    assert plain.biases == decayed.biases


@pytest.mark.parametrize(
    ("variant", "sizes"),
    [("no_transpose", (3, 2, 2)), ("sigma_prime_wrong_layer", (2, 3, 2))],
)
@pytest.mark.parametrize("activations", [("tanh", "softmax"), ("relu", "softmax")])
def test_wrong_recursion_is_rejected_beyond_the_sigmoid(variant, sizes, activations):
    result = spec.prove_backprop(
        sizes,
        m=2,
        cost="log_likelihood",
        activations=activations,
        variant=variant,
        seed=0,
    )
    assert not result.proven
    assert result.counterexample is not None


def test_phi_prime_of_the_wrong_layer_hides_behind_an_identity_layer():
    # With phi_l = identity, phi_l' = 1 wherever it is applied: the variant is the
    # correct recursion there, and the proof says so. A mistake that changes
    # nothing is not a bug of the network (compare ReLU' computed from a).
    result = spec.prove_backprop(
        (2, 3, 2),
        m=2,
        cost="log_likelihood",
        activations=("identity", "softmax"),
        variant="sigma_prime_wrong_layer",
        seed=0,
    )
    assert result.proven


def test_sum_not_mean_is_caught_with_l2():
    result = spec.prove_backprop(
        (2, 3, 2),
        m=2,
        cost="log_likelihood",
        activations=("relu", "softmax"),
        l2=True,
        variant="sum_not_mean",
        seed=0,
    )
    assert not result.proven


@pytest.mark.parametrize(
    ("activations", "sizes", "names"),
    [
        (None, (2, 3, 3, 2), ("sigmoid",) * 3),
        ("tanh", (2, 3, 3, 2), ("tanh",) * 3),
        (("relu", "softmax"), (2, 3, 3, 2), ("relu", "relu", "softmax")),
        (["tanh", "relu", "identity"], (2, 3, 3, 2), ("tanh", "relu", "identity")),
        (("relu", "softmax"), (2, 3, 2), ("relu", "softmax")),
        (
            np.array(["tanh", "relu", "softmax"]),
            (2, 3, 3, 2),
            ("tanh", "relu", "softmax"),
        ),
        # L = 1: a pair's hidden activation has no layer, as in backprop.
        (("relu", "softmax"), (2, 3), ("softmax",)),
    ],
)
def test_activations_are_given_as_backprop_takes_them(activations, sizes, names):
    network = spec.symbolic_network(sizes, activations=activations)
    assert network.activation_names == names


def test_symbolic_network_applies_each_layers_activation():
    network = spec.symbolic_network((2, 3, 2), activations=("relu", "softmax"))
    z1, z2 = network.zs
    assert network.activations[1][0, 0] == spec.relu(z1[0, 0])
    assert network.activations[2][0, 1] == spec.softmax(1, z2[0, 0], z2[0, 1])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"cost": "quadratic", "activations": ("softmax", "sigmoid")},
            ValueError,
            (
                r"activations: softmax is for the output layer only, got it for "
                r"hidden layer 1 of 2"
            ),
        ),
        (
            {"cost": "log_likelihood", "activations": None},
            ValueError,
            (
                r"cost 'log_likelihood' needs a softmax output layer, got the "
                r"'sigmoid' activation for the output"
            ),
        ),
        (
            {"cost": "cross_entropy", "activations": ("relu", "softmax")},
            ValueError,
            r"cost 'cross_entropy' needs a sigmoid output layer, got the 'softmax'",
        ),
        (
            {"cost": "quadratic", "activations": ("tanh", "relu", "relu")},
            ValueError,
            r"one activation per layer \(2 names\) or a pair",
        ),
        (
            {"cost": "quadratic", "activations": ("tanh", "leaky_relu")},
            ValueError,
            (
                r"activation must be one of \['sigmoid', 'tanh', 'relu', "
                r"'identity', 'softmax'\], got 'leaky_relu'"
            ),
        ),
        ({"cost": "quadratic", "activations": 3}, TypeError, r"got int 3"),
        ({"cost": "quadratic", "l2": 0.5}, TypeError, r"l2 must be a bool"),
    ],
)
def test_nonsense_combinations_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        spec.prove_backprop((2, 3, 2), **kwargs)


def test_oracle_refuses_what_backprop_refuses():
    weights, biases, x, y = problem((2, 3, 2), 2, "log_likelihood")
    with pytest.raises(ValueError, match="needs a softmax output layer"):
        spec.oracle_gradients(weights, biases, x, y, cost="log_likelihood")
    with pytest.raises(ValueError, match="for the output layer only"):
        spec.oracle_gradients(weights, biases, x, y, activations=("softmax",) * 2)
    with pytest.raises(ValueError, match=r"l2 must be a finite number >= 0"):
        spec.oracle_gradients(weights, biases, x, y, l2=-1.0)
    with pytest.raises(TypeError, match="l2 must be a real number"):
        spec.oracle_gradients(weights, biases, x, y, l2="0.1")


# -- the oracle against the complex step ------------------------------------------


def problem(sizes, m, cost, seed=0):
    """Parameters from N(0, 1); targets one-hot for the log-likelihood."""
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal((n, k)) for k, n in itertools.pairwise(sizes)]
    biases = [rng.standard_normal(n) for n in sizes[1:]]
    x = rng.random((m, sizes[0]))
    if cost == "log_likelihood":
        y = np.eye(sizes[-1])[rng.integers(sizes[-1], size=m)]
    else:
        y = rng.random((m, sizes[-1]))
    return weights, biases, x, y


def phi(name, z):
    """The activations, analytic in z (ReLU: piecewise, see the test)."""
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.where(z.real > 0, z, 0)
    if name == "identity":
        return z
    shifted = np.exp(z - z.real.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def mean_cost(weights, biases, x, y, cost, names, l2):
    """The batch-mean cost plus (l2/2) sum ||W||^2, for real or complex weights."""
    a, smallest = x, np.inf
    for w, b, name in zip(weights, biases, names, strict=True):
        z = a @ w.T + b
        smallest = min(smallest, float(np.abs(z.real).min()))
        a = phi(name, z)
    if cost == "quadratic":
        per_example = ((a - y) ** 2).sum(axis=1) / 2
    elif cost == "cross_entropy":
        per_example = -(y * np.log(a) + (1 - y) * np.log(1 - a)).sum(axis=1)
    else:
        per_example = -(y * np.log(a)).sum(axis=1)
    penalty = l2 / 2 * sum((w * w).sum() for w in weights)
    return per_example.mean() + penalty, smallest


def complex_step(weights, biases, x, y, cost, names, l2):
    h = 1e-30
    parameters = [*weights, *biases]
    grads, smallest = [], np.inf
    for index, array in enumerate(parameters):
        grad = np.zeros_like(array)
        for entry in np.ndindex(array.shape):
            shifted = [p.astype(complex) for p in parameters]
            shifted[index][entry] += 1j * h
            value, near = mean_cost(
                shifted[: len(weights)], shifted[len(weights) :], x, y, cost, names, l2
            )
            grad[entry] = value.imag / h
            smallest = min(smallest, near)
        grads.append(grad)
    return grads[: len(weights)], grads[len(weights) :], smallest


@pytest.mark.parametrize("l2", [0.0, 0.3])
@pytest.mark.parametrize(("hidden", "output", "cost"), COMBINATIONS)
def test_gradcheck_oracle_matches_the_complex_step(hidden, output, cost, l2):
    # Non-square [3, 4, 2] and m = 3, where a sum-vs-mean slip cannot hide.
    sizes, names = (3, 4, 2), (hidden, output)
    weights, biases, x, y = problem(sizes, 3, cost)
    oracle_w, oracle_b = spec.oracle_gradients(
        weights, biases, x, y, cost=cost, activations=names, l2=l2
    )
    step_w, step_b, smallest = complex_step(weights, biases, x, y, cost, names, l2)
    # ReLU is analytic on each side of its kink: the complex step is exact here
    # because no unit lies within far more than h = 1e-30 of z = 0.
    assert smallest > 1e-6
    # COMPLEX_RTOL (1e-10, tests/conftest.py): the complex step has no
    # cancellation (measured ~2e-15 relative) and the oracle is exact to 50 digits
    # rounded once, so the two differ by float64 rounding in the forward pass only;
    # a wrong formula is off by O(1). Rounding scales with the largest entry,
    # hence the atol relative to it.
    reference = [*oracle_w, *oracle_b]
    scale = max(float(np.max(np.abs(r))) for r in reference)
    for ours, theirs in zip(reference, [*step_w, *step_b], strict=True):
        np.testing.assert_allclose(
            ours, theirs, rtol=COMPLEX_RTOL, atol=COMPLEX_RTOL * scale
        )


def test_oracle_takes_one_name_per_layer_and_a_pair_alike():
    weights, biases, x, y = problem((2, 3, 3, 2), 2, "log_likelihood")
    pair = spec.oracle_gradients(
        weights, biases, x, y, "log_likelihood", activations=("tanh", "softmax")
    )
    per_layer = spec.oracle_gradients(
        weights,
        biases,
        x,
        y,
        "log_likelihood",
        activations=["tanh", "tanh", "softmax"],
    )
    for a, b in zip(pair[0] + pair[1], per_layer[0] + per_layer[1], strict=True):
        np.testing.assert_array_equal(a, b)


def test_relu_derivative_is_zero_at_the_kink_as_backprop_takes_it():
    # A unit exactly at z = 0 (bias cancels the input): the oracle takes
    # relu'(0) = 0, the convention of backprop.relu_prime, so the weights into the
    # layer after it get nothing through that unit.
    weights = [np.array([[1.0], [1.0]]), np.array([[1.0, 1.0]])]
    biases = [np.array([-0.5, 0.25]), np.array([0.0])]
    x, y = np.array([[0.5]]), np.array([[2.0]])
    grad_w, grad_b = spec.oracle_gradients(
        weights, biases, x, y, "quadratic", activations=("relu", "identity")
    )
    assert grad_b[0][0] == 0.0
    assert grad_b[0][1] != 0.0
    assert grad_w[1][0, 0] == 0.0  # a^1_0 = relu(0) = 0


def test_sigmoid_defaults_unchanged():
    assert costs_for_output("sigmoid") == ("quadratic", "cross_entropy")
    weights, biases, x, y = problem((2, 3, 2), 2, "cross_entropy")
    default = spec.oracle_gradients(weights, biases, x, y)
    explicit = spec.oracle_gradients(
        weights, biases, x, y, "cross_entropy", activations="sigmoid", l2=0.0
    )
    for a, b in zip(default[0] + default[1], explicit[0] + explicit[1], strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("activations", "cost"),
    [(("tanh", "softmax"), "log_likelihood"), (("tanh", "tanh"), "quadratic")],
)
def test_oracle_keeps_its_digits_on_saturated_tanh_and_softmax(activations, cost):
    # Weights x20 put |z| near 50, where 1 - tanh^2 z ~ 4e-43 and the softmax
    # Jacobian's a(1 - a) cancel far more than 30 digits: the oracle adds the
    # digits they lose, so asking for 30 gives what 150 give, entry by entry,
    # the tiny entries too. 1e-14: a few float64 roundings of the final values.
    rng = np.random.default_rng(3)
    weights = [20 * rng.standard_normal((4, 3)), 20 * rng.standard_normal((3, 4))]
    biases = [rng.standard_normal(4), rng.standard_normal(3)]
    x, y = rng.random((2, 3)), np.eye(3)[[0, 2]]
    low = spec.oracle_gradients(
        weights, biases, x, y, cost, activations=activations, dps=30
    )
    high = spec.oracle_gradients(
        weights, biases, x, y, cost, activations=activations, dps=150
    )
    for a, b in zip(low[0] + low[1], high[0] + high[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=0)
