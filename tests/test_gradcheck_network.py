"""backprop.gradients against numeric derivatives of its cost, and SGD against the gradient.

Shapes are non-square so that a missing transpose cannot cancel, and m >= 2 except
where m = 1 is the point, so that a sum-for-mean error cannot hide.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import (
    CENTRAL_RTOL,
    COMPLEX_RTOL,
    DESCENT_RTOL,
    EPOCH_TOL,
    FLOAT32_RTOL,
    ORACLE_RTOL,
)
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import backprop
import spec

COSTS = ["quadratic", "cross_entropy"]
NONSQUARE = [(3, 2, 2), (2, 3, 2), (2, 2, 3), (3, 4, 2, 3), (2, 5, 3, 4, 2)]
DEPTHS = [(4, 3), (4, 3, 2), (4, 3, 5, 2), (3, 5, 2, 4, 3)]  # depth 1..4

pytestmark = pytest.mark.usefixtures("single_threaded_blas")


def batch(sizes, m, cost, seed=0, dtype="float64"):
    """A network and a batch: inputs in [-2, 2], targets in [0, 1] (one-hot for m even)."""
    rng = np.random.default_rng(seed)
    weights, biases = backprop.init_params(list(sizes), rng=rng, dtype=dtype)
    x = rng.uniform(-2, 2, (m, sizes[0]))
    if m % 2 == 0:
        y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], m)]
    else:
        y = rng.random((m, sizes[-1]))
    return weights, biases, x, y


@pytest.mark.parametrize("cost", COSTS)
@pytest.mark.parametrize("sizes", NONSQUARE)
@pytest.mark.parametrize("m", [1, 2, 5])
def test_gradcheck_complex_step_nonsquare(sizes, m, cost):
    report = spec.check_network(*batch(sizes, m, cost), cost=cost, rtol=COMPLEX_RTOL)
    assert report.passed
    assert report.n_checked == sum(a * (b + 1) for b, a in itertools.pairwise(sizes))


@pytest.mark.parametrize("cost", COSTS)
@pytest.mark.parametrize("sizes", DEPTHS)
@pytest.mark.parametrize("m", [1, 2, 5])
def test_gradcheck_central_differences_depth_1_to_4(sizes, m, cost):
    data = batch(sizes, m, cost, seed=m)
    assert spec.check_network(
        *data, cost=cost, method="central", rtol=CENTRAL_RTOL
    ).passed


@pytest.mark.parametrize("cost", COSTS)
@pytest.mark.parametrize("sizes", [(3, 4, 2, 3), (2, 5, 3, 4, 2)])
def test_gradcheck_richardson_and_fast_modes(sizes, cost):
    data = batch(sizes, 5, cost, seed=1)
    assert spec.check_network(*data, cost=cost, method="richardson").passed
    for method in ("complex", "central", "richardson"):
        assert spec.check_network(*data, cost=cost, method=method, fast=True).passed


@pytest.mark.parametrize("cost", COSTS)
@pytest.mark.parametrize("sizes", [(3, 2, 2), (2, 3, 2), (3, 4, 2, 3)])
def test_gradcheck_float32_against_float64_reference(sizes, cost):
    data = batch(sizes, 4, cost, seed=2, dtype="float32")
    report = spec.check_network(*data, cost=cost, rtol=FLOAT32_RTOL)
    assert report.passed
    assert report.dtype == "float32"
    # A float64 tolerance is too tight for float32 arithmetic: the check is real.
    strict = spec.check_network(
        *data, cost=cost, rtol=1e-10, atol=0, raise_on_failure=False
    )
    assert not strict.passed


def test_gradcheck_integer_labels_are_one_hot_targets():
    weights, biases, x, _ = batch((4, 3, 3), 6, "cross_entropy")
    labels = np.array([0, 2, 1, 1, 0, 2])
    assert spec.check_network(weights, biases, x, labels).passed


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gradcheck_check_network_against_the_oracle(dtype):
    rtol = ORACLE_RTOL if dtype == "float64" else FLOAT32_RTOL
    for cost in COSTS:
        data = batch((2, 3, 2), 2, cost, seed=3, dtype=dtype)
        report = spec.check_network(*data, cost=cost, method="oracle", rtol=rtol)
        assert report.passed
        assert report.method == "reference"


# -- hypothesis: any architecture, any weights -------------------------------------


@st.composite
def networks(draw, magnitude=30.0):
    """Depth 1-4, widths 1-7, m 1-6; weights up to ``magnitude`` (σ saturates)."""
    sizes = draw(st.lists(st.integers(1, 7), min_size=2, max_size=5))
    m = draw(st.integers(1, 6))
    scale = draw(st.sampled_from([0.1, 1.0, magnitude]))
    entries = st.floats(-1, 1, allow_subnormal=False)
    weights = [
        draw(hnp.arrays(np.float64, (n_out, n_in), elements=entries)) * scale
        for n_in, n_out in itertools.pairwise(sizes)
    ]
    biases = [
        draw(hnp.arrays(np.float64, (n,), elements=entries)) * scale for n in sizes[1:]
    ]
    x = draw(hnp.arrays(np.float64, (m, sizes[0]), elements=st.floats(-5, 5)))
    y = draw(hnp.arrays(np.float64, (m, sizes[-1]), elements=st.floats(0, 1)))
    return weights, biases, x, y


@given(networks(), st.sampled_from(COSTS))
def test_gradcheck_hypothesis_complex_step(net, cost):
    spec.check_network(*net, cost=cost, rtol=COMPLEX_RTOL)


@given(networks(magnitude=3.0), st.sampled_from(COSTS))
def test_gradcheck_hypothesis_central_differences(net, cost):
    spec.check_network(*net, cost=cost, method="central", rtol=CENTRAL_RTOL)


@given(networks(), st.sampled_from(COSTS), st.integers(0, 2**32 - 1))
def test_gradcheck_hypothesis_fast_mode(net, cost, seed):
    spec.check_network(*net, cost=cost, fast=True, rng=seed)


# -- descent: the update follows the gradient -------------------------------------


@pytest.mark.parametrize("cost", COSTS)
@pytest.mark.parametrize("sizes", [(3, 2, 2), (3, 4, 2, 3)])
@pytest.mark.parametrize("m", [1, 5])
def test_gradcheck_descent_one_sgd_step(sizes, m, cost):
    report = spec.check_descent(*batch(sizes, m, cost), cost=cost, rtol=DESCENT_RTOL)
    assert report.passed
    assert report.actual == pytest.approx(report.predicted, rel=DESCENT_RTOL)


def test_gradcheck_descent_of_sgd_step_directly():
    sgd_step = backprop.sgd_step

    def step(weights, biases, x, y, *, lr, cost):
        ws, bs = [w.copy() for w in weights], [b.copy() for b in biases]
        sgd_step(ws, bs, x, y, lr, backprop.get_cost(cost))
        return ws, bs

    data = batch((3, 4, 2, 3), 4, "cross_entropy")
    assert spec.check_descent(*data, step=step, rtol=DESCENT_RTOL).passed


# -- one SGD epoch uses every example once ------------------------------------------


@pytest.mark.parametrize("cost", COSTS)
@pytest.mark.parametrize("batch_size", [1, 3, 4, 10, 16])
def test_gradcheck_sgd_epoch_uses_every_example_once(batch_size, cost):
    data = batch((3, 4, 2, 3), 10, cost, seed=4)
    report = spec.check_sgd_epoch(
        *data, batch_size=batch_size, cost=cost, tol=EPOCH_TOL
    )
    assert report.passed
    # The weights show the partition: 1/batch_size, and 1/remainder for the rest.
    full, rest = divmod(10, batch_size)
    assert sorted(np.round(np.array(report.recovered) * batch_size, 3)) == sorted(
        [1.0] * (full * batch_size) + [round(batch_size / max(rest, 1), 3)] * rest
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradcheck_sgd_epoch_does_not_depend_on_the_shuffle(seed):
    data = batch((3, 4, 2, 3), 7, "quadratic", seed=5)
    assert spec.check_sgd_epoch(*data, batch_size=3, cost="quadratic", rng=seed).passed


def test_gradcheck_sgd_epoch_needs_more_parameters_than_examples():
    with pytest.raises(ValueError, match="fewer examples than parameters"):
        spec.check_sgd_epoch(*batch((2, 1), 4, "quadratic"), batch_size=2)
