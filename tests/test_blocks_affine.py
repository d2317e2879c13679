"""backprop.blocks.affine: the affine layer on N-d input and the ReLU."""

from __future__ import annotations

import numpy as np
import pytest

import spec
from backprop.blocks import affine_backward, affine_forward, relu_backward, relu_forward

pytestmark = pytest.mark.usefixtures("single_threaded_blas")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("x_shape", [(1, 5), (3, 2, 4), (2, 3, 2, 2)])
def test_gradcheck_affine(x_shape, dtype):
    rng = np.random.default_rng(0)
    d = int(np.prod(x_shape[1:]))
    t = {
        "x": rng.standard_normal(x_shape).astype(dtype),
        "w": rng.standard_normal((d, 3)).astype(dtype),
        "b": rng.standard_normal(3).astype(dtype),
    }

    def vjp(t, v):
        dx, dw, db = affine_backward(v, affine_forward(t["x"], t["w"], t["b"])[1])
        assert dx.shape == t["x"].shape
        assert dx.dtype == np.dtype(dtype)
        return {"x": dx, "w": dw, "b": db}

    # Linear in each input: Richardson's differences are exact up to rounding.
    method = "richardson" if dtype == "float64" else "central"
    report = spec.check_vjp(
        lambda t: affine_forward(t["x"], t["w"], t["b"])[0],
        vjp,
        t,
        method=method,
        rng=1,
    )
    assert report.passed


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gradcheck_relu(dtype):
    # Seeded normal entries: none within the central step (~6e-6) of the kink.
    x = np.random.default_rng(2).standard_normal((3, 2, 4)).astype(dtype)
    report = spec.check_vjp(
        lambda x: relu_forward(x)[0],
        lambda x, v: relu_backward(v, relu_forward(x)[1]),
        x,
        method="central",
        rng=3,
    )
    assert report.passed


def test_relu_at_the_kink_passes_nothing():
    out, cache = relu_forward(np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(out, [0.0, 0.0, 2.0])
    np.testing.assert_array_equal(
        relu_backward(np.array([5.0, 6.0, 7.0]), cache), [0, 0, 7]
    )


def test_affine_forward_is_x_w_plus_b():
    rng = np.random.default_rng(4)
    x, w, b = (
        rng.standard_normal((2, 3, 2)),
        rng.standard_normal((6, 4)),
        rng.standard_normal(4),
    )
    out, _ = affine_forward(x, w, b)
    np.testing.assert_allclose(out, x.reshape(2, 6) @ w + b, rtol=1e-14)


def test_bad_input_names_the_argument():
    x, w, b = np.zeros((2, 3)), np.zeros((3, 4)), np.zeros(4)
    with pytest.raises(ValueError, match=r"w must have shape \(3, M\)"):
        affine_forward(x, np.zeros((2, 4)), b)
    with pytest.raises(ValueError, match=r"b must have shape \(4,\)"):
        affine_forward(x, w, np.zeros(3))
    with pytest.raises(TypeError, match=r"x must be a numpy\.ndarray"):
        affine_forward([[0.0, 0.0, 0.0]], w, b)
    out, cache = affine_forward(x, w, b)
    with pytest.raises(ValueError, match="dout must have the shape of out"):
        affine_backward(out[:, :2], cache)
