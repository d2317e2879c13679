"""spec.adapt: other conventions of a gradient function, converted both ways."""

from __future__ import annotations

import numpy as np
import pytest
import tutorial_net
from conftest import SIGMOID_OUTPUT_COSTS

import backprop
import spec

#: Float64 sums in another order than backprop's: a few ulps of the gradient.
RTOL = 1e-12
#: Entries that cancel to about 0 keep an absolute error of a few ulps of 1e-1.
ATOL = 1e-15


@pytest.fixture
def net():
    weights, biases = backprop.init_params([3, 4, 2], rng=0)
    rng = np.random.default_rng(1)
    return weights, biases, rng.random((5, 3)), rng.random((5, 2))


def _assert_same(pair, expected):
    for got, want in zip(
        [*pair[0], *pair[1]], [*expected[0], *expected[1]], strict=True
    ):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("cost", SIGMOID_OUTPUT_COSTS)
def test_adapt_tutorial_per_example_columns(net, cost):
    gradients = spec.adapt(
        tutorial_net.gradients, layout="columns", per_example=True, returns=("b", "w")
    )
    _assert_same(gradients(*net, cost=cost), backprop.gradients(*net, cost=cost))


def test_adapt_mini_batch_columns(net):
    gradients = spec.adapt(
        tutorial_net.mini_batch_gradients, layout="columns", returns=("b", "w")
    )
    _assert_same(
        gradients(*net, cost="quadratic"), backprop.gradients(*net, cost="quadratic")
    )


def test_adapt_rows_sum_reduction(net):
    m = len(net[2])

    def summed(weights, biases, x, y, cost):
        grad_w, grad_b = backprop.gradients(weights, biases, x, y, cost=cost)
        return [m * g for g in grad_w], [m * g for g in grad_b]

    _assert_same(spec.adapt(summed, reduction="sum")(*net), backprop.gradients(*net))


def test_adapt_rows_per_example_gets_vectors(net):
    seen = []

    def one(weights, biases, x, y):
        seen.append((x.shape, y.shape))
        grad_w, grad_b = backprop.gradients(weights, biases, x[None], y[None])
        return grad_w, grad_b

    gradients = spec.adapt(one, per_example=True, cost_keyword=False)
    _assert_same(gradients(*net), backprop.gradients(*net))
    assert seen == [((3,), (2,))] * 5


def test_adapt_copies_the_parameters(net):
    def vandal(weights, biases, x, y, cost):
        grad = backprop.gradients(weights, biases, x, y, cost=cost)
        weights[0][...] = 0
        return grad

    with pytest.raises(
        spec.ImplementationError, match="wrote into its argument weights"
    ):
        spec.adapt(vandal)(*net)
    assert np.any(net[0][0])  # the caller's arrays never reached it


@pytest.mark.parametrize("argument", ["x", "y"])
def test_adapt_reports_writing_into_the_data(net, argument):
    def vandal(weights, biases, x, y):
        grad = backprop.gradients(weights, biases, x, y)
        (x if argument == "x" else y)[...] = 0
        return grad

    kept = [np.array(a) for a in net[2:]]
    with pytest.raises(spec.ImplementationError, match=f"argument {argument}:"):
        spec.adapt(vandal)(*net)
    np.testing.assert_array_equal(net[2], kept[0])
    np.testing.assert_array_equal(net[3], kept[1])


def test_adapt_passes_cost_only_where_the_signature_takes_it(net):
    def one_cost(weights, biases, x, y):
        return backprop.gradients(weights, biases, x, y, cost="quadratic")

    grad = spec.adapt(one_cost)(*net, cost="cross_entropy")
    _assert_same(grad, backprop.gradients(*net, cost="quadratic"))


def test_adapt_crash_names_the_call(net):
    def broken(weights, biases, x, y):
        raise KeyError("oops")

    gradients = spec.adapt(
        broken, layout="columns", per_example=True, cost_keyword=False
    )
    with pytest.raises(spec.ImplementationError) as exc:
        gradients(*net)
    assert exc.value.error == "KeyError: 'oops'"
    assert exc.value.call == (
        "weights [(4, 3), (2, 4)], biases [(4, 1), (2, 1)], x (3, 1), y (2, 1)"
    )


def test_adapt_result_not_a_pair(net):
    gradients = spec.adapt(lambda w, b, x, y, cost: np.zeros(3))
    with pytest.raises(spec.ImplementationError, match="expected a pair"):
        gradients(*net)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"layout": "diagonal"}, ValueError, "layout must be one of"),
        ({"reduction": "max"}, ValueError, "reduction must be one of"),
        ({"returns": ("w", "w")}, ValueError, "returns must be one of"),
    ],
)
def test_adapt_validates_options(options, error, match):
    with pytest.raises(error, match=match):
        spec.adapt(tutorial_net.gradients, **options)


def test_adapt_rejects_non_callable():
    with pytest.raises(TypeError, match="fn must be callable"):
        spec.adapt(3)


def test_gradcheck_adapted_tutorial_with_check_network(net):
    gradients = spec.adapt(
        tutorial_net.gradients, layout="columns", per_example=True, returns=("b", "w")
    )
    assert spec.check_network(*net, gradients=gradients, method="oracle").passed
