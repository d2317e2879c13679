"""The oracle against backprop, and the oracle's own contract."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ORACLE_RTOL
from hypothesis import given
from hypothesis import strategies as st

import backprop
import spec
import spec.caching
import spec.oracle
from spec.costs import costs_for_output

# The costs a sigmoid output takes (the log-likelihood needs softmax:
# tests/test_spec_activations*.py).
SIGMOID_COSTS = costs_for_output("sigmoid")

SHAPES = [(2, 2, 2), (3, 2, 2), (2, 3, 2), (2, 2, 3), (2, 3, 3, 2), (3, 4, 3, 2)]


def problem(sizes, m, seed=0, scale=1.0):
    """Parameters from backprop, inputs in [0, 1), targets in [0, 1]."""
    weights, biases = backprop.init_params(list(sizes), rng=seed)
    weights = [scale * w for w in weights]
    rng = np.random.default_rng(seed + 1)
    return weights, biases, rng.random((m, sizes[0])), rng.random((m, sizes[-1]))


def assert_matches_oracle(actual, reference):
    # ORACLE_RTOL (1e-10, tests/conftest.py): vectorised float64 backprop was
    # measured ~1e-15 relative to a 50-digit reference (DESIGN, "The oracle"), so
    # any disagreement beyond rounding is a wrong formula. Rounding errors scale with
    # the largest terms summed, hence the atol relative to the largest entry.
    scale = max(np.max(np.abs(r)) for r in reference)
    for a, r in zip(actual, reference, strict=True):
        assert a.shape == r.shape
        assert a.dtype == r.dtype == np.float64
        np.testing.assert_allclose(a, r, rtol=ORACLE_RTOL, atol=ORACLE_RTOL * scale)


@pytest.mark.parametrize("m", [1, 3])
@pytest.mark.parametrize("sizes", SHAPES)
@pytest.mark.parametrize("cost", SIGMOID_COSTS)
def test_gradcheck_oracle_matches_backprop(sizes, m, cost):
    weights, biases, x, y = problem(sizes, m)
    grad_w, grad_b = backprop.gradients(weights, biases, x, y, cost=cost)
    oracle_w, oracle_b = spec.oracle_gradients(weights, biases, x, y, cost=cost)
    assert_matches_oracle(grad_w, oracle_w)
    assert_matches_oracle(grad_b, oracle_b)


@given(
    seed=st.integers(0, 2**32 - 1),
    scale=st.floats(0.1, 10.0),
    cost=st.sampled_from(SIGMOID_COSTS),
)
def test_gradcheck_oracle_matches_backprop_at_random_points(seed, scale, cost):
    weights, biases, x, y = problem((3, 4, 3, 2), 2, seed=seed, scale=scale)
    grads = backprop.gradients(weights, biases, x, y, cost=cost)
    reference = spec.oracle_gradients(weights, biases, x, y, cost=cost)
    assert_matches_oracle(grads[0] + grads[1], reference[0] + reference[1])


def test_oracle_agrees_with_an_independent_central_difference():
    # Cross-check of the oracle itself, without backprop: central differences of the
    # mean cross-entropy, error ~1e-10 at h = 1e-5 on these O(1) values.
    weights, biases, x, y = problem((2, 3, 2), 3)

    def cost(w0):
        a = x
        for w, b in zip([w0, weights[1]], biases, strict=True):
            a = 1 / (1 + np.exp(-(a @ w.T + b)))
        return -np.mean(np.sum(y * np.log(a) + (1 - y) * np.log(1 - a), axis=1))

    h, numeric = 1e-5, np.zeros_like(weights[0])
    for index in np.ndindex(weights[0].shape):
        step = np.zeros_like(weights[0])
        step[index] = h
        numeric[index] = (cost(weights[0] + step) - cost(weights[0] - step)) / (2 * h)
    grad_w, _ = spec.oracle_gradients(weights, biases, x, y)
    np.testing.assert_allclose(grad_w[0], numeric, rtol=1e-7, atol=1e-9)


def test_oracle_is_exact_where_sigma_saturates():
    # One neuron, z = 150, target 1, quadratic cost: ∂C/∂w = (σ - 1) σ (1 - σ) x
    # = -e^{-300} / (1 + e^{-150})^3. At 50 digits 1 - σ(150) ≈ 7e-66 cancels to 0;
    # the oracle raises the precision from its bound on |z|.
    weights, biases, x, y = [np.array([[150.0]])], [np.zeros(1)], [[1.0]], [[1.0]]
    (grad_w,), (grad_b,) = spec.oracle_gradients(weights, biases, x, y, "quadratic")
    tail = np.exp(-150.0)
    expected = -(tail**2) / (1 + tail) ** 3
    assert expected < 0
    np.testing.assert_allclose(grad_w, [[expected]], rtol=1e-15)
    np.testing.assert_allclose(grad_b, [expected], rtol=1e-15)


def test_oracle_derivation_is_cached():
    weights, biases, x, y = problem((2, 3, 2), 2)
    spec.oracle_gradients(weights, biases, x, y)
    before = spec.oracle._compiled.cache_info()
    again = spec.oracle_gradients([2 * w for w in weights], biases, x, y)
    after = spec.oracle._compiled.cache_info()
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)
    assert all(g.dtype == np.float64 for g in again[0])


def test_oracle_accepts_float32_and_integer_arrays_exactly():
    weights, biases, x, y = problem((2, 3, 2), 2)
    weights32 = [w.astype(np.float32) for w in weights]
    as_float64 = spec.oracle_gradients(
        [w.astype(np.float64) for w in weights32], biases, x.round(), y
    )
    mixed = spec.oracle_gradients(weights32, biases, x.round().astype(int), y)
    for a, b in zip(mixed[0] + mixed[1], as_float64[0] + as_float64[1], strict=True):
        assert a.dtype == np.float64
        np.testing.assert_array_equal(a, b)


def test_oracle_refuses_networks_too_large_to_derive():
    weights, biases, x, y = problem((60, 60, 10), 4)
    with pytest.raises(ValueError, match=r"P\*m\*L = 4270\*4\*2 = 34160 exceeds"):
        spec.oracle_gradients(weights, biases, x, y)


def _replace(index, value):
    weights, biases, x, y = problem((2, 3, 2), 2)
    arguments = [weights, biases, x, y]
    arguments[index] = value
    return arguments


@pytest.mark.parametrize(
    ("arguments", "kwargs", "error", "match"),
    [
        (_replace(0, np.ones((3, 2))), {}, TypeError, "weights must be a list"),
        (_replace(0, []), {}, ValueError, "0 weights and 2 biases"),
        (_replace(0, [np.ones(3), np.ones((2, 3))]), {}, ValueError, r"weights\[0\]"),
        (
            _replace(0, [np.ones((3, 2)), np.ones((2, 4))]),
            {},
            ValueError,
            r"weights\[1\] has shape \(2, 4\)",
        ),
        (_replace(1, [np.ones(3), np.ones(3)]), {}, ValueError, r"biases\[1\]"),
        (_replace(2, np.ones((2, 3))), {}, ValueError, r"x must have shape \(m, 2\)"),
        (_replace(2, np.ones(2)), {}, ValueError, "x must be 2-D"),
        (_replace(3, np.ones((3, 2))), {}, ValueError, r"y must have shape \(2, 2\)"),
        (_replace(2, np.full((2, 2), np.nan)), {}, ValueError, "x must be finite"),
        (_replace(2, np.ones((2, 2), complex)), {}, TypeError, "x must be a real"),
        (_replace(3, [["a", "b"]] * 2), {}, TypeError, "y must be a real"),
        (_replace(3, np.ones((2, 2))), {"cost": "hinge"}, ValueError, "cost must be"),
        (_replace(3, np.ones((2, 2))), {"dps": 15}, ValueError, "dps must be"),
    ],
)
def test_oracle_validates_its_arguments(arguments, kwargs, error, match):
    with pytest.raises(error, match=match):
        spec.oracle_gradients(*arguments, **kwargs)


def test_clear_caches_empties_the_compiled_oracle():
    weights, biases, x, y = problem((2, 3, 2), 2)
    spec.oracle_gradients(weights, biases, x, y)
    sizes = spec.caching.cache_sizes()
    assert sizes["spec.oracle._compiled"] > 0
    assert sizes["spec.derive._direct_gradients"] > 0
    spec.clear_caches()
    assert set(spec.caching.cache_sizes().values()) == {0}
