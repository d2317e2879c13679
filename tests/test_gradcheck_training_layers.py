"""The descent and epoch checks on networks beyond the sigmoid, and with L2."""

from __future__ import annotations

import numpy as np
import pytest

import backprop
import spec

NETWORKS = [
    # (sizes, activations, cost, l2)
    ([3, 5, 4], ("tanh", "softmax"), "log_likelihood", 0.0),
    ([3, 5, 4], ("relu", "softmax"), "log_likelihood", 0.05),
    ([3, 4, 4, 2], ("tanh", "sigmoid"), "cross_entropy", 0.1),
    ([3, 4, 2], ("sigmoid", "identity"), "quadratic", 0.0),
]


def data(sizes, seed=0, m=6):
    rng = np.random.default_rng(seed)
    weights, biases = backprop.init_params(sizes, rng=rng, init="scaled")
    x = rng.standard_normal((m, sizes[0]))
    y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], m)]
    return weights, biases, x, y


@pytest.mark.parametrize(("sizes", "activations", "cost", "l2"), NETWORKS)
def test_gradcheck_descent_of_layered_networks(sizes, activations, cost, l2):
    weights, biases, x, y = data(sizes)
    report = spec.check_descent(
        weights, biases, x, y, cost=cost, activations=activations, l2=l2
    )
    assert report.passed, str(report)


@pytest.mark.parametrize(("sizes", "activations", "cost", "l2"), NETWORKS)
def test_gradcheck_sgd_epoch_of_layered_networks(sizes, activations, cost, l2):
    weights, biases, x, y = data(sizes, m=7)
    report = spec.check_sgd_epoch(
        weights,
        biases,
        x,
        y,
        batch_size=3,
        cost=cost,
        activations=activations,
        l2=l2,
    )
    assert report.passed, str(report)


def test_gradcheck_descent_catches_an_update_without_weight_decay():
    # The step descends the cost without its L2 term: the decrease it achieves
    # is not lr * |grad C|^2 of the regularised cost.
    weights, biases, x, y = data([3, 5, 4])

    def step_forgets_l2(weights, biases, x, y, *, lr, cost, **network):
        network.pop("l2", None)
        new_w, new_b, _ = backprop.sgd(
            weights, biases, x, y, batch_size=len(x), lr=lr, cost=cost, **network
        )
        return new_w, new_b

    with pytest.raises(spec.GradcheckError, match="descent check failed"):
        spec.check_descent(
            weights,
            biases,
            x,
            y,
            cost="log_likelihood",
            activations=("tanh", "softmax"),
            l2=0.5,
            step=step_forgets_l2,
        )


def test_gradcheck_training_checks_pass_no_keywords_for_sigmoid_networks():
    # A function written for sigmoid networks without L2 takes no such keywords.
    weights, biases, x, y = data([3, 4, 2])

    def gradients(weights, biases, x, y, *, cost):
        return backprop.gradients(weights, biases, x, y, cost=cost)

    assert spec.check_descent(weights, biases, x, y, gradients=gradients).passed
