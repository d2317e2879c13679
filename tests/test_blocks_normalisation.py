"""backprop.blocks.normalisation: batch, layer, spatial batch and group norm.

Gradients by spec.check_vjp with a random upstream gradient: under an all-ones
one, batch norm's input gradient is zero whatever the code. Float64 checks use
Richardson's differences (the layers are smooth; rtol 1e-8).
"""

from __future__ import annotations

import numpy as np
import pytest

import spec
from backprop.blocks import (
    batchnorm_backward,
    batchnorm_forward,
    groupnorm_backward,
    groupnorm_forward,
    layernorm_backward,
    layernorm_forward,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
)

pytestmark = pytest.mark.usefixtures("single_threaded_blas")

DTYPES = ["float64", "float32"]


def method_for(dtype):
    return "richardson" if dtype == "float64" else "central"


def tree(x_shape, param_shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "x": (3 * rng.standard_normal(x_shape) + 1).astype(dtype),
        "gamma": rng.standard_normal(param_shape).astype(dtype),
        "beta": rng.standard_normal(param_shape).astype(dtype),
    }


def check(forward, backward, t, dtype, **hyper):
    def f(t):
        return forward(t["x"], t["gamma"], t["beta"], **hyper)[0]

    def vjp(t, v):
        dx, dgamma, dbeta = backward(
            v, forward(t["x"], t["gamma"], t["beta"], **hyper)[1]
        )
        assert dx.dtype == dgamma.dtype == dbeta.dtype == np.dtype(dtype)
        return {"x": dx, "gamma": dgamma, "beta": dbeta}

    return spec.check_vjp(f, vjp, t, method=method_for(dtype), rng=3).passed


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [2, 5])
def test_gradcheck_batchnorm_train(n, dtype):
    assert check(
        batchnorm_forward, batchnorm_backward, tree((n, 4), (4,), dtype), dtype
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_gradcheck_batchnorm_test_mode(dtype):
    rng = np.random.default_rng(1)
    stats = {
        "running_mean": rng.standard_normal(3).astype(dtype),
        "running_var": rng.random(3).astype(dtype) + 0.5,
    }
    t = tree((4, 3), (3,), dtype)
    assert check(batchnorm_forward, batchnorm_backward, t, dtype, mode="test", **stats)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 3])
def test_gradcheck_spatial_batchnorm(n, dtype):
    t = tree((n, 3, 4, 5), (3,), dtype)
    assert check(spatial_batchnorm_forward, spatial_batchnorm_backward, t, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 3])
def test_gradcheck_layernorm(n, dtype):
    assert check(
        layernorm_forward, layernorm_backward, tree((n, 5), (5,), dtype), dtype
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("groups", [1, 2, 6])
def test_gradcheck_groupnorm(groups, dtype):
    t = tree((2, 6, 3, 2), (1, 6, 1, 1), dtype)
    assert check(groupnorm_forward, groupnorm_backward, t, dtype, groups=groups)


def test_batchnorm_normalises_and_updates_running_statistics_cs231n_style():
    t = tree((50, 3), (3,), "float64")
    old_mean, old_var = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    out, cache = batchnorm_forward(
        t["x"],
        np.ones(3),
        np.zeros(3),
        momentum=0.9,
        running_mean=old_mean,
        running_var=old_var,
    )
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    # eps = 1e-5 against a batch variance of ~9 shifts the std by ~5e-7.
    np.testing.assert_allclose(out.std(axis=0), 1, rtol=1e-6)
    # momentum weighs the old value; the batch variance is the biased one.
    np.testing.assert_allclose(
        cache["running_mean"], 0.9 * old_mean + 0.1 * t["x"].mean(axis=0), rtol=1e-14
    )
    np.testing.assert_allclose(
        cache["running_var"], 0.9 * old_var + 0.1 * t["x"].var(axis=0), rtol=1e-14
    )
    np.testing.assert_array_equal(old_mean, [1.0, 2.0, 3.0])  # not modified


def test_spatial_batchnorm_is_batchnorm_of_the_channels():
    t = tree((2, 3, 4, 5), (3,), "float64")
    out, _ = spatial_batchnorm_forward(t["x"], t["gamma"], t["beta"])
    flat = t["x"].transpose(0, 2, 3, 1).reshape(-1, 3)
    expected, _ = batchnorm_forward(flat, t["gamma"], t["beta"])
    np.testing.assert_allclose(
        out, expected.reshape(2, 4, 5, 3).transpose(0, 3, 1, 2), rtol=1e-12, atol=1e-12
    )


def test_groupnorm_with_one_channel_per_group_normalises_each_channel():
    t = tree((2, 4, 3, 3), (1, 4, 1, 1), "float64")
    out, _ = groupnorm_forward(
        t["x"], np.ones((1, 4, 1, 1)), np.zeros((1, 4, 1, 1)), groups=4
    )
    np.testing.assert_allclose(out.mean(axis=(2, 3)), 0, atol=1e-12)


def test_bad_input_names_the_argument():
    t = tree((4, 3), (3,), "float64")
    with pytest.raises(ValueError, match=r"gamma must have shape \(3,\)"):
        batchnorm_forward(t["x"], np.ones(2), t["beta"])
    with pytest.raises(ValueError, match="mode must be one of"):
        batchnorm_forward(t["x"], t["gamma"], t["beta"], mode="eval")
    with pytest.raises(ValueError, match="running_mean is required in mode='test'"):
        batchnorm_forward(t["x"], t["gamma"], t["beta"], mode="test")
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\]"):
        batchnorm_forward(t["x"], t["gamma"], t["beta"], momentum=1.5)
    with pytest.raises(ValueError, match="eps must be > 0"):
        layernorm_forward(t["x"], t["gamma"], t["beta"], eps=0)
    g = tree((2, 6, 3, 2), (1, 6, 1, 1), "float64")
    with pytest.raises(ValueError, match="groups must be a divisor of C = 6"):
        groupnorm_forward(g["x"], g["gamma"], g["beta"], groups=4)
