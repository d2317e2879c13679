"""backprop.blocks.pooling: max and average pooling, overlapping windows and ties.

Max pooling is piecewise linear: central differences (step ~6e-6) are exact on
each piece, and the seeded standard-normal inputs have no two entries of a
window that close, so the default tolerances hold with no kink in reach.
Average pooling is linear; Richardson's differences are exact up to rounding.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import spec
from backprop.blocks import (
    average_pool_backward,
    average_pool_forward,
    max_pool_backward,
    max_pool_forward,
)

pytestmark = pytest.mark.usefixtures("single_threaded_blas")

# (N, C, H, W), size, stride: non-overlapping, overlapping (stride < size, on one
# axis or both), non-square windows and images, N = 1 and N > 1.
CASES = {
    "2x2-s2": ((2, 3, 6, 8), (2, 2), 2),
    "3x2-s21-overlap": ((1, 2, 7, 6), (3, 2), (2, 1)),
    "3x3-s1-overlap": ((2, 1, 5, 6), (3, 3), 1),
    "2x3-s2-ragged": ((3, 2, 7, 9), (2, 3), 2),
    "3x3-s2-overlap": ((2, 2, 7, 7), 3, 2),
}
POOLS = {
    "max": (max_pool_forward, max_pool_backward, np.max),
    "average": (average_pool_forward, average_pool_backward, np.mean),
}


def reference_pool(x, size, stride, reduce):
    kh, kw = (size, size) if isinstance(size, int) else size
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    n, c, h, w = x.shape
    ho, wo = 1 + (h - kh) // sh, 1 + (w - kw) // sw
    out = np.empty((n, c, ho, wo))
    for i, j in itertools.product(range(ho), range(wo)):
        window = x[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw]
        out[:, :, i, j] = reduce(window, axis=(2, 3))
    return out


@pytest.mark.parametrize("kind", POOLS)
@pytest.mark.parametrize("case", CASES)
def test_forward_matches_the_definition(case, kind):
    shape, size, stride = CASES[case]
    forward, _, reduce = POOLS[kind]
    x = np.random.default_rng(0).standard_normal(shape)
    out, _ = forward(x, size=size, stride=stride)
    # The same few entries summed in another order (average), or exactly (max).
    np.testing.assert_allclose(out, reference_pool(x, size, stride, reduce), rtol=1e-14)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", POOLS)
@pytest.mark.parametrize("case", CASES)
def test_gradcheck_pooling(case, kind, dtype):
    shape, size, stride = CASES[case]
    forward, backward, _ = POOLS[kind]
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)

    def vjp(x, v):
        dx = backward(v, forward(x, size=size, stride=stride)[1])
        assert dx.dtype == np.dtype(dtype)
        return dx

    method = "richardson" if kind == "average" and dtype == "float64" else "central"
    report = spec.check_vjp(
        lambda x: forward(x, size=size, stride=stride)[0], vjp, x, method=method, rng=2
    )
    assert report.passed


def first_maximum_reference(x, dout, size, stride):
    """Every window's gradient to its first maximal entry (row-major), added up."""
    kh, kw = size
    sh, sw = stride
    dx = np.zeros_like(x)
    n, c, ho, wo = dout.shape
    for a, b, i, j in itertools.product(range(n), range(c), range(ho), range(wo)):
        window = x[a, b, i * sh : i * sh + kh, j * sw : j * sw + kw]
        k, m = np.unravel_index(np.argmax(window), window.shape)  # first maximum
        dx[a, b, i * sh + k, j * sw + m] += dout[a, b, i, j]
    return dx


@pytest.mark.parametrize(("size", "stride"), [((2, 2), (2, 2)), ((3, 2), (1, 1))])
def test_max_pool_tie_gives_a_valid_subgradient(size, stride):
    # Small integers: many windows hold tied maxima, overlapping windows share them.
    rng = np.random.default_rng(4)
    x = rng.integers(0, 3, (2, 2, 6, 5)).astype(np.float64)
    out, cache = max_pool_forward(x, size=size, stride=stride)
    dout = rng.standard_normal(out.shape)
    dx = max_pool_backward(dout, cache)
    # Overlapping windows add up to six shares, in another order: a few ulps.
    np.testing.assert_allclose(
        dx, first_maximum_reference(x, dout, size, stride), rtol=0, atol=1e-14
    )
    # A valid subgradient: it is the gradient at points arbitrarily close to x,
    # where a ramp decreasing in row-major order breaks every tie in favour of
    # the first maximal entry (the ramp, < 1e-3, reorders no distinct integers).
    ramp = -1e-3 * np.arange(30.0).reshape(6, 5) / 30
    nearby = x + ramp
    _out_nearby, cache_nearby = max_pool_forward(nearby, size=size, stride=stride)
    np.testing.assert_array_equal(max_pool_backward(dout, cache_nearby), dx)

    def vjp(x, v):
        return max_pool_backward(v, max_pool_forward(x, size=size, stride=stride)[1])

    spec.check_vjp(
        lambda x: max_pool_forward(x, size=size, stride=stride)[0],
        vjp,
        nearby,
        v=dout,
        method="central",
    )


def test_overlapping_windows_accumulate():
    # One large entry at the centre is the maximum of all four 2x2 windows of
    # stride 1 around it: its gradient is the sum of theirs.
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 5.0
    _out, cache = max_pool_forward(x, size=2, stride=1)
    dout = np.array([[[[1.0, 2.0], [3.0, 4.5]]]])
    dx = max_pool_backward(dout, cache)
    assert dx[0, 0, 1, 1] == 10.5
    assert np.count_nonzero(dx) == 1
    dx_avg = average_pool_backward(dout, average_pool_forward(x, size=2, stride=1)[1])
    assert dx_avg[0, 0, 1, 1] == pytest.approx(10.5 / 4)


def test_transposed_input_gives_the_same_result():
    x = np.random.default_rng(5).standard_normal((3, 2, 6, 6))
    view = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    dout = np.random.default_rng(6).standard_normal((3, 2, 3, 3))
    for forward, backward, _ in POOLS.values():
        a, cache_a = forward(x)
        b, cache_b = forward(view)
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(backward(dout, cache_a), backward(dout, cache_b))


def test_bad_input_names_the_argument():
    x = np.zeros((1, 1, 4, 4))
    with pytest.raises(ValueError, match=r"size .* must fit"):
        max_pool_forward(x, size=5)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        average_pool_forward(x, stride=0)
    with pytest.raises(ValueError, match="x must have 4 axes"):
        max_pool_forward(x[0])
    out, cache = max_pool_forward(x)
    with pytest.raises(ValueError, match="dout must have the shape of out"):
        max_pool_backward(out[:, :, :1], cache)
