"""Every bug of the catalogue (tests/seeded_bugs.py) is caught, by the check meant to.

Bugs are injected by monkeypatching; the real source is never edited.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import DESCENT_RTOL, EPOCH_TOL
from seeded_bugs import BUGS, BY_NAME, bugs

import backprop
import spec
from spec import GradcheckError

pytestmark = pytest.mark.usefixtures("single_threaded_blas")


def bug_batch(bug, cost, m=None, seed=0):
    rng = np.random.default_rng(seed)
    sizes = list(bug.sizes)
    weights, biases = backprop.init_params(sizes, rng=rng)
    m = bug.m if m is None else m
    x = rng.uniform(-2, 2, (m, sizes[0]))
    y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], m)]
    return weights, biases, x, y


def gradient_cases(methods=("complex", "central")):
    # The complex step is refused on networks with ReLU (not analytic): those
    # bugs are checked by central differences only.
    return [
        pytest.param(bug, cost, method, id=f"{bug.name}-{cost}-{method}")
        for bug in BUGS
        if bug.kind == "gradient"
        for cost in bug.costs
        for method in methods
        if bug.analytic or method != "complex"
    ]


def net_kwargs(bug, cost):
    return {"cost": cost, "activations": bug.activations, "l2": bug.l2}


def test_gradcheck_catalogue_is_large_and_covers_every_kind():
    assert len(BUGS) >= 12
    assert {b.kind for b in BUGS} == {"gradient", "update", "epoch", "oracle"}
    assert len(BY_NAME) == len(BUGS)


@pytest.mark.parametrize(("bug", "cost", "method"), gradient_cases())
def test_gradcheck_detects_gradient_bug(bug, cost, method, monkeypatch):
    data = bug_batch(bug, cost)
    kwargs = net_kwargs(bug, cost)
    assert spec.check_network(*data, **kwargs, method=method).passed  # before
    bug.apply(monkeypatch)
    with pytest.raises(GradcheckError) as info:
        spec.check_network(*data, **kwargs, method=method)
    report = info.value.report
    if report.problem:  # a gradient of the wrong shape: the message names it
        assert re.search(r"gradient of [Wb]\^\d", report.problem)
    else:
        assert re.search(bug.blames, report.worst[0].name), str(report)
        assert report.worst[0].name in str(info.value)


@pytest.mark.parametrize(("bug", "cost", "method"), gradient_cases((None,)))
def test_gradcheck_fast_mode_detects_gradient_bug(bug, cost, method, monkeypatch):
    data = bug_batch(bug, cost)
    bug.apply(monkeypatch)
    with pytest.raises(GradcheckError) as info:
        spec.check_network(*data, **net_kwargs(bug, cost), fast=True)
    report = info.value.report
    if not report.problem:
        wrong = [b.name for b in report.blocks if b.n_failed]
        assert any(re.search(bug.blames, name + "[") for name in wrong), str(report)


@pytest.mark.parametrize("name", ["bp3_sum_not_mean", "bp4_sum_not_mean"])
def test_gradcheck_sum_for_mean_hides_at_m_1(name, monkeypatch):
    bug = BY_NAME[name]
    bug.apply(monkeypatch)
    data = bug_batch(bug, "cross_entropy", m=1)
    assert spec.check_network(*data).passed  # why the suite uses m >= 2
    with pytest.raises(GradcheckError):
        spec.check_network(*bug_batch(bug, "cross_entropy", m=2))


def test_gradcheck_missing_transpose_cannot_hide_on_nonsquare_layers(monkeypatch):
    BY_NAME["bp2_no_transpose"].apply(monkeypatch)
    weights, biases = backprop.init_params([3, 4, 2, 3], rng=0)
    x, y = np.ones((2, 3)), np.eye(3)[[0, 1]]
    with pytest.raises(ValueError, match="matmul"):
        spec.check_network(weights, biases, x, y)


@pytest.mark.parametrize("bug", bugs("update"))
@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy"])
def test_gradcheck_descent_detects_update_bug(bug, cost, monkeypatch):
    data = bug_batch(bug, cost, m=4)
    assert spec.check_descent(*data, cost=cost, rtol=DESCENT_RTOL).passed  # before
    bug.apply(monkeypatch)
    # No gradient comparison can see it: the gradient itself is right.
    assert spec.check_network(*data, cost=cost).passed
    with pytest.raises(GradcheckError, match="descent check failed"):
        spec.check_descent(*data, cost=cost, rtol=DESCENT_RTOL)


@pytest.mark.parametrize("bug", bugs("epoch"))
@pytest.mark.parametrize("batch_size", [3, 4])
def test_gradcheck_epoch_check_detects_sgd_bug(bug, batch_size, monkeypatch):
    data = bug_batch(bug, "quadratic", m=10)
    kwargs = {"batch_size": batch_size, "cost": "quadratic", "tol": EPOCH_TOL}
    assert spec.check_sgd_epoch(*data, **kwargs).passed  # before
    bug.apply(monkeypatch)
    with pytest.raises(GradcheckError, match="SGD epoch check failed") as info:
        spec.check_sgd_epoch(*data, **kwargs)
    assert re.search("never used|used more than once", str(info.value))


@pytest.mark.parametrize("bug", bugs("oracle"))
def test_gradcheck_oracle_detects_consistently_wrong_cost(bug, monkeypatch):
    data = bug_batch(bug, "quadratic", m=2)
    bug.apply(monkeypatch)
    # backprop's gradient is the true derivative of backprop's (wrong) cost ...
    assert spec.check_network(*data, cost="quadratic").passed
    # ... but not of the cost the derivation starts from.
    with pytest.raises(GradcheckError, match="differ from the reference"):
        spec.check_network(*data, cost="quadratic", method="oracle")


@pytest.mark.parametrize("activations", [("relu", "softmax"), "relu"])
def test_gradcheck_relu_prime_of_a_is_not_a_bug(activations, monkeypatch):
    # relu'(relu(z)) = [max(z, 0) > 0] = [z > 0] = relu'(z): evaluating the
    # derivative at a^l instead of z^l, a bug for tanh and the sigmoid
    # (bp2_tanh_prime_of_a, bp2_sigma_prime_of_a), gives the same numbers for ReLU.
    # A leaky ReLU would not reveal it either (it keeps the sign of z, and its
    # derivative depends on that sign only), so the catalogue shows the bug on tanh.
    bug = BY_NAME["bp2_tanh_prime_of_a"]
    cost = "log_likelihood" if activations[-1] == "softmax" else "quadratic"
    weights, biases, x, y = bug_batch(bug, cost)
    kwargs = {"cost": cost, "activations": activations}
    before = backprop.gradients(weights, biases, x, y, **kwargs)
    bug.apply(monkeypatch)
    after = backprop.gradients(weights, biases, x, y, **kwargs)
    for g, h in zip([*before[0], *before[1]], [*after[0], *after[1]], strict=True):
        np.testing.assert_array_equal(g, h)
    assert spec.check_network(weights, biases, x, y, **kwargs).passed
