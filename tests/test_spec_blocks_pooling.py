"""Max pooling at ties: exact membership in the subdifferential."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spec.blocks import in_max_pool_subdifferential, layer_vjp

#: float32 accumulation of at most 9 window terms errs by about 9 eps32 * s_q
#: (s_q the magnitude of the terms added); 1e-5 ~ 84 eps32 covers it.
FLOAT32_RTOL = 1e-5


def image(rows):
    return np.array(rows, dtype=np.float64)[None, None]


def test_no_tie_accepts_exactly_the_derivative():
    rng = np.random.default_rng(1)
    x = rng.permutation(30).reshape(1, 1, 5, 6).astype(float)
    dout = rng.standard_normal((1, 1, 2, 2))
    hyper = {"size": (3, 3), "stride": 2}  # overlapping windows
    dx = layer_vjp("max_pool", {"x": x}, dout, **hyper)["dx"]
    assert in_max_pool_subdifferential(x, dout, dx, **hyper)
    moved = dx.copy()
    moved[dx != 0] *= 1 + 1e-6
    assert not in_max_pool_subdifferential(x, dout, moved, **hyper)
    assert in_max_pool_subdifferential(x, dout, moved, rtol=1e-5, **hyper)


def test_a_three_way_tie_accepts_every_split_and_nothing_else():
    x = image([[1.0, 1.0], [0.0, 1.0]])
    dout = image([[6.0]])
    for split in ([6, 0, 0, 0], [0, 6, 0, 0], [0, 0, 0, 6], [2, 3, 0, 1], [3, 3, 0, 0]):
        dx = np.array(split, dtype=float).reshape(1, 1, 2, 2)
        assert in_max_pool_subdifferential(x, dout, dx, size=2, stride=2), split
    for split in (
        [6, 6, 0, 6],  # every tied position given the whole gradient
        [7, -1, 0, 0],  # a negative weight
        [0, 0, 6, 0],  # the position that is not maximal
        [2, 2, 0, 1],  # weights not summing to 1
    ):
        dx = np.array(split, dtype=float).reshape(1, 1, 2, 2)
        assert not in_max_pool_subdifferential(x, dout, dx, size=2, stride=2), split


def test_overlapping_windows_sharing_tied_positions():
    # All equal: four 2x2 windows (stride 1) of a 3x3 image, each a 4-way tie.
    x = np.zeros((1, 1, 3, 3))
    dout = image([[1.0, -1.0], [2.0, -1.0]])
    centre = np.zeros((1, 1, 3, 3))
    centre[0, 0, 1, 1] = dout.sum()
    assert in_max_pool_subdifferential(x, dout, centre, size=2, stride=1)
    first = layer_vjp("max_pool", {"x": x}, dout, size=2, stride=1)["dx"]
    assert in_max_pool_subdifferential(x, dout, first, size=2, stride=1)
    corners = image([[1.0, 0.0, -1.0], [0.0, 0.0, 0.0], [2.0, 0.0, -1.0]])
    assert in_max_pool_subdifferential(x, dout, corners, size=2, stride=1)
    # The corner of the first window reached by no other: only 1 can go there.
    too_much = image([[3.0, 0.0, -1.0], [0.0, -2.0, 0.0], [2.0, 0.0, -1.0]])
    assert not in_max_pool_subdifferential(x, dout, too_much, size=2, stride=1)
    assert not in_max_pool_subdifferential(x, dout, 2 * first, size=2, stride=1)


def test_relu_zeros_before_pooling_float32_accumulation():
    rng = np.random.default_rng(7)
    x = np.maximum(rng.standard_normal((2, 3, 6, 6)), 0.0)  # many tied zeros
    dout = rng.standard_normal((2, 3, 4, 3))
    hyper = {"size": (3, 2), "stride": (1, 2)}
    dx = layer_vjp("max_pool", {"x": x}, dout, **hyper)["dx"]
    assert in_max_pool_subdifferential(x, dout, dx, **hyper)
    # The same choice accumulated in float32.
    dx32 = np.zeros(x.shape, dtype=np.float32)
    for i in range(4):
        for k in range(3):
            window = x[:, :, i : i + 3, 2 * k : 2 * k + 2].reshape(2, 3, -1)
            a, e = np.unravel_index(window.argmax(axis=2), (3, 2))
            n, c = np.indices((2, 3))
            np.add.at(
                dx32, (n, c, i + a, 2 * k + e), dout[:, :, i, k].astype(np.float32)
            )
    assert in_max_pool_subdifferential(x, dout, dx32, rtol=FLOAT32_RTOL, **hyper)
    assert not in_max_pool_subdifferential(
        x, dout, dx32 * 1.01, rtol=FLOAT32_RTOL, **hyper
    )


@pytest.mark.parametrize(
    ("arguments", "error", "words"),
    [
        ({"dx": np.zeros((1, 1, 3, 3))}, ValueError, "dx must have"),
        ({"dout": np.zeros((1, 1, 1, 1))}, ValueError, "dout must have"),
        ({"rtol": -1.0}, ValueError, "rtol"),
        ({"size": 4}, ValueError, "size"),
        ({"stride": "2"}, TypeError, "stride"),
    ],
)
def test_bad_arguments_are_named(arguments, error, words):
    call = {
        "x": np.zeros((1, 1, 2, 2)),
        "dout": np.zeros((1, 1, 1, 1)) + 1,
        "dx": np.zeros((1, 1, 2, 2)),
        "size": 2,
        "stride": 2,
    }
    call.update(arguments)
    if "dout" in arguments:
        call["dout"] = np.zeros((1, 1, 2, 2))
    with pytest.raises(error) as info:
        in_max_pool_subdifferential(**call)
    assert words in str(info.value)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    stride=st.tuples(st.integers(1, 2), st.integers(1, 2)),
)
def test_every_random_split_over_ties_is_accepted(seed, size, stride):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, (1, 2, 5, 4)).astype(float)  # ties everywhere
    oh, ow = 1 + (5 - size[0]) // stride[0], 1 + (4 - size[1]) // stride[1]
    dout = rng.standard_normal((1, 2, oh, ow))
    dx = np.zeros_like(x)
    shares = {}  # (c, i, k) -> that window's contribution to dx, its rows, cols
    maximal = set()  # positions that are maximal in some window
    for c in range(2):
        for i in range(oh):
            for k in range(ow):
                rows = slice(stride[0] * i, stride[0] * i + size[0])
                cols = slice(stride[1] * k, stride[1] * k + size[1])
                window = x[0, c, rows, cols]
                tied = np.argwhere(window == window.max())
                weights = rng.dirichlet(np.ones(len(tied)))
                share = np.zeros_like(x)
                for (a, e), weight in zip(tied, weights, strict=True):
                    q = (rows.start + a, cols.start + e)
                    share[0, c, q[0], q[1]] += weight * dout[0, c, i, k]
                    maximal.add((c, *q))
                shares[c, i, k] = (share, rows, cols)
                dx += share
    hyper = {"size": size, "stride": stride}
    # float64 sums of a few products: rounding ~1e-16 relative; 1e-12 is ample.
    assert in_max_pool_subdifferential(x, dout, dx, rtol=1e-12, **hyper)
    moved = dx.copy()
    moved[0, 0, 0, 0] += 1.0  # the total no longer equals the sum of dout
    assert not in_max_pool_subdifferential(x, dout, moved, rtol=1e-12, **hyper)
    # A window's whole gradient moved to a position that no window has as a
    # maximum: nothing may reach that position.
    for (c, i, k), (share, rows, cols) in shares.items():
        free = [
            (r, t)
            for r in range(rows.start, rows.stop)
            for t in range(cols.start, cols.stop)
            if (c, r, t) not in maximal
        ]
        if free:
            wrong = dx - share
            wrong[0, c, free[0][0], free[0][1]] += dout[0, c, i, k]
            assert not in_max_pool_subdifferential(x, dout, wrong, rtol=1e-12, **hyper)
            break
