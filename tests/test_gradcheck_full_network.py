"""Fast mode on the tutorial's 784-200-10 network (159 010 parameters).

The data are MNIST-like, not MNIST: pixels uniform in [0, 1) with about 80 % set to
zero, one-hot targets, a minibatch of m = 10. Timing is in benchmarks/.
"""

from __future__ import annotations

import numpy as np
import pytest
from seeded_bugs import BUGS

import backprop
import spec
from spec import GradcheckError

SIZES = [784, 200, 10]

pytestmark = pytest.mark.usefixtures("single_threaded_blas")


@pytest.fixture(scope="module", params=["normal", "scaled"])
def full_network(request):
    rng = np.random.default_rng(7)
    weights, biases = backprop.init_params(SIZES, rng=rng, init=request.param)
    x = rng.random((10, 784)) * (rng.random((10, 784)) > 0.8)
    y = np.eye(10)[rng.integers(0, 10, 10)]
    return weights, biases, x, y


@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy"])
def test_gradcheck_fast_full_network_passes(full_network, cost):
    report = spec.check_network(*full_network, cost=cost, fast=True)
    assert report.passed
    assert [b.name for b in report.blocks] == ["W^1", "b^1", "W^2", "b^2"]


def test_gradcheck_fast_full_network_float32(full_network):
    weights, biases, x, y = full_network
    w32 = [w.astype(np.float32) for w in weights]
    b32 = [b.astype(np.float32) for b in biases]
    assert spec.check_network(w32, b32, x, y, fast=True).passed


@pytest.mark.parametrize(
    ("bug", "cost"),
    [
        pytest.param(bug, cost, id=f"{bug.name}-{cost}")
        for bug in BUGS
        if bug.kind == "gradient"
        for cost in bug.costs
    ],
)
def test_gradcheck_fast_full_network_rejects_gradient_bug(
    full_network, bug, cost, monkeypatch
):
    bug.apply(monkeypatch)
    # Bugs that need square layers raise on 784-200-10 before any comparison.
    expected = GradcheckError if bug.any_shape else (GradcheckError, ValueError)
    with pytest.raises(expected):
        spec.check_network(
            *full_network,
            cost=cost,
            activations=bug.activations,
            l2=bug.l2,
            fast=True,
        )
