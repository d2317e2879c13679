"""backprop.blocks.convolution: forward against the definition, backward by check_vjp.

The gradient checks use spec.check_vjp with its default tolerances, a random
standard-normal upstream gradient (never all ones: under an all-ones gradient a
wrongly flipped kernel differs by 4e-16) and Richardson-extrapolated differences
in float64 (the convolution is linear in x and in w, so its error is rounding
only, far below rtol 1e-8).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import spec
from backprop.blocks import (
    convolution_backward,
    convolution_backward_weights,
    convolution_forward,
)

pytestmark = pytest.mark.usefixtures("single_threaded_blas")

# (N, C, H, W), (F, HH, WW), stride, padding: every stride in {1, 2}, every padding
# in {0, 1, 2}, per-axis pairs, non-square images and kernels, C != F, N = 1 and > 1.
CASES = {
    "s1-p0": ((2, 3, 6, 5), (4, 3, 2), 1, 0),
    "s1-p1": ((1, 2, 5, 7), (3, 3, 3), 1, 1),
    "s1-p2": ((3, 1, 4, 6), (2, 2, 3), 1, 2),
    "s2-p0": ((2, 3, 7, 6), (5, 3, 2), 2, 0),
    "s2-p1": ((1, 3, 7, 6), (4, 3, 2), 2, 1),
    "s2-p2": ((2, 2, 5, 4), (3, 3, 3), 2, 2),
    "s21-p01": ((3, 2, 8, 7), (5, 2, 3), (2, 1), (0, 1)),
    "s12-p20-1x1": ((2, 3, 4, 5), (2, 1, 1), (1, 2), (2, 0)),
}


def reference_forward(x, w, b, stride, padding):
    """The definition, one output entry at a time."""
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    n, _, hp, wp = xp.shape
    f, _, kh, kw = w.shape
    ho, wo = 1 + (hp - kh) // sh, 1 + (wp - kw) // sw
    out = np.empty((n, f, ho, wo))
    for i, j, k, m in itertools.product(range(n), range(f), range(ho), range(wo)):
        window = xp[i, :, k * sh : k * sh + kh, m * sw : m * sw + kw]
        out[i, j, k, m] = np.sum(window * w[j]) + b[j]
    return out


def make_inputs(case, dtype, seed=0):
    (n, c, h, w), (f, kh, kw), _, _ = CASES[case]
    rng = np.random.default_rng(seed)
    return {
        "x": rng.standard_normal((n, c, h, w)).astype(dtype),
        "w": rng.standard_normal((f, c, kh, kw)).astype(dtype),
        "b": rng.standard_normal(f).astype(dtype),
    }


@pytest.mark.parametrize("case", CASES)
def test_forward_matches_the_definition(case):
    t = make_inputs(case, "float64")
    _, _, stride, padding = CASES[case]
    out, _ = convolution_forward(t["x"], t["w"], t["b"], stride=stride, padding=padding)
    expected = reference_forward(t["x"], t["w"], t["b"], stride, padding)
    assert out.shape == expected.shape
    # Both sum the same C*HH*WW products in float64, in different orders.
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES)
def test_gradcheck_convolution(case, dtype):
    _, _, stride, padding = CASES[case]
    tree = make_inputs(case, dtype)

    def f(t):
        return convolution_forward(
            t["x"], t["w"], t["b"], stride=stride, padding=padding
        )[0]

    def vjp(t, v):
        _, cache = convolution_forward(
            t["x"], t["w"], t["b"], stride=stride, padding=padding
        )
        dx, dw, db = convolution_backward(v, cache)
        assert dx.dtype == dw.dtype == db.dtype == np.dtype(dtype)
        return {"x": dx, "w": dw, "b": db}

    method = "richardson" if dtype == "float64" else "central"
    assert spec.check_vjp(f, vjp, tree, method=method, rng=1).passed


def test_backward_weights_equals_the_full_backward():
    t = make_inputs("s2-p1", "float64")
    out, cache = convolution_forward(t["x"], t["w"], t["b"], stride=2, padding=1)
    dout = np.random.default_rng(3).standard_normal(out.shape)
    _, dw, db = convolution_backward(dout, cache)
    dw2, db2 = convolution_backward_weights(dout, cache)
    np.testing.assert_array_equal(dw, dw2)
    np.testing.assert_array_equal(db, db2)


def test_dtype_is_kept():
    t = make_inputs("s1-p1", "float32")
    out, cache = convolution_forward(t["x"], t["w"], t["b"], padding=1)
    assert out.dtype == np.float32
    dx, dw, db = convolution_backward(np.ones_like(out), cache)
    assert dx.dtype == dw.dtype == db.dtype == np.float32
    assert dx.shape == t["x"].shape


def test_bad_input_names_the_argument():
    t = make_inputs("s1-p0", "float64")
    with pytest.raises(ValueError, match=r"w must have shape \(F, 3, HH, WW\)"):
        convolution_forward(t["x"], t["w"][:, :2], t["b"])
    with pytest.raises(ValueError, match=r"b must have shape \(4,\)"):
        convolution_forward(t["x"], t["w"], t["b"][:3])
    with pytest.raises(TypeError, match="w must have the dtype of x"):
        convolution_forward(t["x"], t["w"].astype(np.float32), t["b"])
    with pytest.raises(TypeError, match="x must have a real floating dtype"):
        convolution_forward(t["x"].astype(int), t["w"], t["b"])
    with pytest.raises(ValueError, match="x must have 4 axes"):
        convolution_forward(t["x"][0], t["w"], t["b"])
    with pytest.raises(ValueError, match="stride must be >= 1"):
        convolution_forward(t["x"], t["w"], t["b"], stride=0)
    with pytest.raises(TypeError, match="padding must be an int or a pair"):
        convolution_forward(t["x"], t["w"], t["b"], padding=(1, 2, 3))
    with pytest.raises(ValueError, match=r"kernel .* must fit"):
        convolution_forward(t["x"][:, :, :1], t["w"], t["b"])
    out, cache = convolution_forward(t["x"], t["w"], t["b"])
    with pytest.raises(ValueError, match="dout must have the shape of out"):
        convolution_backward(out[:, :1], cache)
