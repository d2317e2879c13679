"""Bad input at the public edge raises a clear error naming what was wrong."""

from __future__ import annotations

import re

import numpy as np
import pytest

import backprop


@pytest.fixture
def net():
    weights, biases = backprop.init_params([3, 4, 2], rng=0)
    x = np.random.default_rng(0).random((5, 3))
    y = np.eye(2)[[0, 1, 0, 1, 1]]
    return weights, biases, x, y


@pytest.mark.parametrize(
    ("x", "error", "message"),
    [
        (
            np.zeros((5, 4)),
            ValueError,
            r"x must have shape \(m, 3\).*got shape \(5, 4\)",
        ),
        (np.zeros(3), ValueError, r"got shape \(3,\).*x.reshape\(1, -1\)"),
        (np.zeros((0, 3)), ValueError, r"x is an empty batch"),
        (np.array([["a", "b", "c"]]), TypeError, r"x must hold numbers, got dtype <U1"),
        (
            np.array([[0.0, np.nan, 1.0]]),
            ValueError,
            r"x must be finite, got nan at index \(0, 1\)",
        ),
        (np.array([[0.0, np.inf, 1.0]]), ValueError, r"x must be finite, got inf"),
        (
            np.ones((1, 3), complex),
            TypeError,
            r"x is complex \(complex128\) but the parameters are float64",
        ),
    ],
)
def test_bad_x(net, x, error, message):
    weights, biases, _, _ = net
    y = np.zeros((max(len(x), 1) if x.ndim == 2 else 1, 2))
    with pytest.raises(error, match=message):
        backprop.gradients(weights, biases, x, y)


@pytest.mark.parametrize(
    ("y", "error", "message"),
    [
        (
            np.zeros((5, 3)),
            ValueError,
            r"y must have shape \(5, 2\).*got shape \(5, 3\)",
        ),
        (np.zeros((4, 2)), ValueError, r"y must have shape \(5, 2\)"),
        (
            np.array([0, 1, 2, 0, 1]),
            ValueError,
            r"y contains 2; expected integers in \[0, 1\]",
        ),
        (np.array([0, 1, -1, 0, 1]), ValueError, r"y contains -1"),
        (np.array([0, 1, 0]), ValueError, r"y must have shape \(5,\)"),
        (np.full((5, 2), np.nan), ValueError, r"y must be finite"),
        (
            np.full((5, 2), 2.0),
            ValueError,
            r"y must lie in \[0, 1\] for the cross-entropy cost",
        ),
    ],
)
def test_bad_y(net, y, error, message):
    weights, biases, x, _ = net
    with pytest.raises(error, match=message):
        backprop.gradients(weights, biases, x, y)


def test_quadratic_cost_accepts_any_real_target(net):
    weights, biases, x, _ = net
    backprop.gradients(weights, biases, x, np.full((5, 2), 2.0), cost="quadratic")


def test_unknown_cost(net):
    with pytest.raises(
        ValueError,
        match=r"cost must be one of \['cross_entropy', 'log_likelihood', 'quadratic'\], got 'mse'",
    ):
        backprop.gradients(*net, cost="mse")


def test_bad_params(net):
    weights, biases, x, y = net
    with pytest.raises(
        ValueError, match=r"one array per layer each, got 2 weight and 1 bias"
    ):
        backprop.gradients(weights, biases[:1], x, y)
    with pytest.raises(ValueError, match=r"at least one layer"):
        backprop.gradients([], [], x, y)
    with pytest.raises(
        TypeError, match=r"weights must be a list with one array per layer"
    ):
        backprop.gradients(weights[0], biases, x, y)
    bad = [weights[0], weights[1][:, :3]]
    with pytest.raises(
        ValueError,
        match=re.escape(
            "weights[1] (W^2) has 3 columns but layer 1 has 4 neurons; expected shape (2, 4)"
        ),
    ):
        backprop.gradients(bad, biases, x, y)
    with pytest.raises(
        ValueError, match=re.escape("biases[0] (b^1) must have shape (4,)")
    ):
        backprop.gradients(weights, [biases[0][:3], biases[1]], x, y)
    with pytest.raises(ValueError, match=re.escape("weights[0] (W^1) must be 2-D")):
        backprop.gradients([weights[0].ravel(), weights[1]], biases, x, y)
    mixed = [weights[0], weights[1].astype(np.float32)]
    with pytest.raises(
        TypeError, match=r"weights\[1\] has dtype float32 but weights\[0\] has float64"
    ):
        backprop.gradients(mixed, biases, x, y)
    ints = [w.astype(int) for w in weights]
    with pytest.raises(
        TypeError, match=r"weights\[0\] has dtype int64; expected one of float32"
    ):
        backprop.gradients(ints, biases, x, y)
    nan_b = [biases[0], np.array([np.nan, 0.0])]
    with pytest.raises(ValueError, match=r"biases\[1\] must be finite"):
        backprop.gradients(weights, nan_b, x, y)


@pytest.mark.parametrize(
    ("sizes", "error", "message"),
    [
        (
            [784],
            ValueError,
            r"sizes must list at least 2 layers \(input and output\), got \[784\]",
        ),
        ([784, 0, 10], ValueError, r"sizes\[1\] must be a width >= 1, got 0"),
        ([784, 2.5, 10], TypeError, r"sizes\[1\] must be an integer width, got 2.5"),
        ("784", TypeError, r"sizes must be a sequence of layer widths"),
        (784, TypeError, r"sizes must be a sequence of layer widths"),
    ],
)
def test_bad_sizes(sizes, error, message):
    with pytest.raises(error, match=message):
        backprop.init_params(sizes)
    with pytest.raises(error, match=message):
        backprop.Network(sizes)


def test_bad_init_options():
    with pytest.raises(
        ValueError,
        match=r"init must be one of \['normal', 'scaled', 'he'\], got 'xavier'",
    ):
        backprop.init_params([2, 2], init="xavier")
    with pytest.raises(TypeError, match=r"dtype must be float32 or float64, got int32"):
        backprop.init_params([2, 2], dtype="int32")
    with pytest.raises(
        TypeError,
        match=r"rng must be an integer seed or a numpy.random.Generator, got float 0.5",
    ):
        backprop.init_params([2, 2], rng=0.5)
    with pytest.raises(ValueError, match=r"rng must be a seed >= 0, got -1"):
        backprop.init_params([2, 2], rng=-1)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"lr": 0.0}, ValueError, r"lr must be a finite number > 0, got 0.0"),
        ({"lr": -1}, ValueError, r"lr must be a finite number > 0, got -1"),
        ({"lr": float("nan")}, ValueError, r"lr must be a finite number > 0, got nan"),
        ({"lr": "3"}, TypeError, r"lr must be a real number > 0, got str '3'"),
        ({"epochs": 0}, ValueError, r"epochs must be >= 1, got 0"),
        ({"epochs": 1.5}, TypeError, r"epochs must be an integer >= 1, got float 1.5"),
        ({"batch_size": 0}, ValueError, r"batch_size must be >= 1, got 0"),
        ({"batch_size": True}, TypeError, r"batch_size must be an integer >= 1"),
        ({"cost": "hinge"}, ValueError, r"cost must be one of"),
    ],
)
def test_bad_sgd_options(net, kwargs, error, message):
    with pytest.raises(error, match=message):
        backprop.sgd(*net, **kwargs)
    network = backprop.Network([3, 4, 2])
    if "cost" in kwargs:
        with pytest.raises(error, match=message):
            backprop.Network([3, 4, 2], **kwargs)
    else:
        with pytest.raises(error, match=message):
            network.fit(net[2], net[3], **kwargs)


def test_bad_labels_for_evaluate(net):
    weights, biases, x, _ = net
    with pytest.raises(
        ValueError, match=r"labels contains 7; expected integers in \[0, 1\]"
    ):
        backprop.evaluate(weights, biases, x, np.array([0, 1, 7, 0, 1]))
    with pytest.raises(
        TypeError, match=r"labels must be integer class labels, got <U1"
    ):
        backprop.evaluate(weights, biases, x, np.array(list("abcde")))
    with pytest.raises(ValueError, match=r"labels must have shape \(5,\), got \(4,\)"):
        backprop.evaluate(weights, biases, x, np.array([0, 1, 1, 0]))


def test_bad_pack_unpack(net):
    with pytest.raises(
        ValueError,
        match=r"theta must have shape \(26,\) for sizes \[3, 4, 2\], got \(25,\)",
    ):
        backprop.unpack(np.zeros(25), [3, 4, 2])


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (0, ValueError, r"blas_threads must be >= 1, got 0"),
        (1.5, TypeError, r"blas_threads must be an integer >= 1, got float 1.5"),
    ],
)
def test_bad_blas_threads(net, value, error, message):
    with pytest.raises(error, match=message):
        backprop.sgd(*net, blas_threads=value)


def test_non_finite_complex_input_is_found_in_either_part():
    from backprop.validation import validate_x

    for bad in (complex(np.nan, 0), complex(0, np.inf)):
        x = np.zeros((2, 2), complex)
        x[0, 1] = bad
        with pytest.raises(
            ValueError, match=r"x must be finite, got .* at index \(0, 1\)"
        ):
            validate_x(x, 2, np.dtype(np.complex128))
