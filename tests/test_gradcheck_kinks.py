"""Kink-aware checking on ReLU networks with units placed exactly at z = 0.

A central difference across ReLU's kink gives the mean of its one-sided slopes;
the checks must report such entries as at a kink, pass a claimed derivative
within the one-sided derivatives, and still catch a wrong ReLU derivative.
The network is written here with NumPy (one hidden ReLU layer, quadratic cost).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spec
from spec.check.derivatives.trees import flatten

pytestmark = pytest.mark.usefixtures("single_threaded_blas")


def relu_net(seed: int, n_in: int = 3, n_hidden: int = 4, m: int = 5):
    """Parameters of a ReLU net, and its data, with some units at z = 0 exactly."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((m, n_in))
    y = rng.standard_normal((m, 2))
    w1 = rng.standard_normal((n_hidden, n_in))
    b1 = rng.standard_normal(n_hidden)
    # Unit j of example j at z = 0 (to rounding, far inside any step): one kink
    # per unit, as in a real network; several units of one parameter at z = 0 at
    # once would need one-sided derivatives per unit, which no line search gives.
    for j in range(min(m, n_hidden)):
        b1[j] = -(w1[j] @ x[j])
    params = {
        "W1": w1,
        "b1": b1,
        "W2": rng.standard_normal((2, n_hidden)),
        "b2": rng.standard_normal(2),
    }
    return params, x, y


def cost(params, x, y):
    z = x @ params["W1"].T + params["b1"]
    out = np.maximum(z, 0) @ params["W2"].T + params["b2"]
    return 0.5 * np.mean(np.sum((out - y) ** 2, axis=1))


def gradient(params, x, y, relu_prime=lambda z: (z > 0).astype(float)):
    z = x @ params["W1"].T + params["b1"]
    a = np.maximum(z, 0)
    delta2 = (a @ params["W2"].T + params["b2"] - y) / len(x)
    delta1 = (delta2 @ params["W2"]) * relu_prime(z)
    return {
        "W1": delta1.T @ x,
        "b1": delta1.sum(0),
        "W2": delta2.T @ a,
        "b2": delta2.sum(0),
    }


def check(params, x, y, relu_prime=None, **options):
    def grad(p):
        if relu_prime is None:
            return gradient(p, x, y)
        return gradient(p, x, y, relu_prime)

    return spec.gradcheck(lambda p: cost(p, x, y), grad, params, **options)


@pytest.mark.parametrize("fast", [False, True])
def test_gradcheck_relu_at_a_kink_passes_and_says_so(fast):
    params, x, y = relu_net(0)
    report = check(params, x, y, fast=fast, n_directions=3)
    assert report.passed
    assert report.kinks, "units at z = 0: some entries must be reported at a kink"
    assert all(k.passed for k in report.kinks)
    assert "at a kink: claimed value" in str(report)


def test_gradcheck_relu_kink_names_entries_by_path():
    params, x, y = relu_net(0)
    report = check(params, x, y)
    names = {k.name for k in report.kinks}
    assert names, "some entries sit at a kink"
    assert all(n.startswith(('theta["W1"]', 'theta["b1"]')) for n in names)


def test_gradcheck_relu_wrong_derivative_is_caught():
    params, x, y = relu_net(0)

    def half_slope(z):  # ReLU' taken as 0.5 where z < 0: a leaky slope by mistake
        return np.where(z > 0, 1.0, 0.5)

    report = check(params, x, y, relu_prime=half_slope, raise_on_failure=False)
    assert not report.passed


def test_gradcheck_kinks_only_for_difference_methods():
    params, x, y = relu_net(0)
    report = check(params, x, y, method="auto")
    assert report.method == "central"
    assert "not analytic" in report.notes[0]


@settings(max_examples=100, deadline=None)  # the 100 random nets
@given(
    seed=st.integers(0, 2**32 - 1),
    n_in=st.integers(1, 4),
    n_hidden=st.integers(1, 5),
    m=st.integers(1, 4),
)
def test_gradcheck_relu_no_false_failure_over_random_nets(seed, n_in, n_hidden, m):
    params, x, y = relu_net(seed, n_in, n_hidden, m)
    report = check(params, x, y, raise_on_failure=False)
    assert report.passed, str(report)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_gradcheck_relu_wrong_slope_caught_over_random_nets(seed):
    params, x, y = relu_net(seed, 3, 4, 5)

    def slope_of_a(z):  # ReLU' of the *activation* squared: right only where a = 1
        return np.maximum(z, 0) ** 2

    report = check(params, x, y, relu_prime=slope_of_a, raise_on_failure=False)
    right = check(params, x, y, raise_on_failure=False)
    # A wrong slope that agrees with the right one wherever it matters is no bug.
    differs = any(
        not np.allclose(a, b)
        for a, b in zip(
            gradient(params, x, y, slope_of_a).values(),
            gradient(params, x, y).values(),
            strict=True,
        )
    )
    assert right.passed
    assert report.passed is not differs, str(report)


def test_gradcheck_relu_fast_mode_on_a_flat_vector_over_seeds():
    params, x, y = relu_net(0)
    flat, treedef = flatten(params)

    def f(theta):
        return cost(treedef.unflatten_as_given(theta), x, y)

    def grad(theta):
        g = gradient(treedef.unflatten_as_given(theta), x, y)
        return np.concatenate([np.ravel(g[k]) for k in ("W1", "b1", "W2", "b2")])

    # Random directions cross all four units at z = 0 at once; no seed may fail.
    for seed in range(20):
        assert spec.gradcheck(f, grad, flat, fast=True, rng=seed).passed
