"""The layers' oracle against finite differences of its own forward, in mpmath.

Each gradient entry of :func:`spec.blocks.layer_vjp` is compared with the central
difference of :math:`\\langle g, \\mathrm{out}(u \\pm h e_j) \\rangle` computed by
:func:`spec.blocks.layer_forward_exact` at 60 digits with :math:`h = 10^{-20}`:
truncation :math:`O(h^2) \\approx 10^{-40}`, rounding :math:`10^{-60}/h = 10^{-40}`,
so the difference is exact far beyond float64, and the only error left is the
oracle's single rounding to float64 (~1e-16 relative). Points are kept away from
every kink (ties, zeros of ReLU, zero hinge margins), where no derivative exists.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from spec.blocks import KINDS, layer_forward, layer_forward_exact, layer_vjp
from spec.blocks.normalisation import running_statistics

#: The oracle's float64 rounding (~1e-16) leaves a factor of a million below this.
RTOL = 1e-10
STEP = mpmath.mpf("1e-20")
DIGITS = 60


def _mp(array):
    flat = np.empty(np.size(array), dtype=object)
    flat[:] = [mpmath.mpf(float(v)) for v in np.ravel(array)]
    return flat.reshape(np.shape(array))


def numeric_gradient(kind, inputs, dout, name, hyper):
    """Central differences of <dout, out> by every entry of inputs[name]."""
    base = {key: (_mp(v) if key != "y" else v) for key, v in inputs.items()}
    upstream = _mp(dout) if np.ndim(dout) else None
    gradient = np.zeros(np.shape(inputs[name]))
    with mpmath.workdps(DIGITS):
        for position in np.ndindex(gradient.shape):
            values = []
            for sign in (1, -1):
                moved = dict(base)
                moved[name] = base[name].copy()
                moved[name][position] += sign * STEP
                out = layer_forward_exact(kind, moved, dps=DIGITS, **hyper)
                if upstream is None:
                    values.append(mpmath.mpf(float(dout)) * out[()])
                else:
                    values.append(
                        mpmath.fsum(
                            u * o for u, o in zip(upstream.flat, out.flat, strict=True)
                        )
                    )
            gradient[position] = float((values[0] - values[1]) / (2 * STEP))
    return gradient


def assert_matches_differences(kind, inputs, dout, hyper, names):
    grads = layer_vjp(kind, inputs, dout, **hyper)
    for name in names:
        want = numeric_gradient(kind, inputs, dout, name, hyper)
        got = grads[f"d{name}"]
        assert got.shape == np.shape(inputs[name])
        # Batch norm of one example has dx = 0 exactly (the output is beta).
        scale = max(np.abs(want).max(), np.abs(got).max())
        np.testing.assert_allclose(got, want, rtol=0, atol=RTOL * scale, err_msg=name)


rng = np.random.default_rng(20261203)


@pytest.mark.parametrize(
    ("stride", "padding"),
    [(1, 0), (2, 1), (1, 2), ((2, 1), (0, 2)), ((1, 2), 1)],
)
def test_convolution_vjp_matches_differences(stride, padding):
    # Non-square image and kernel, C = 3 != F = 2, N = 2.
    inputs = {
        "x": rng.standard_normal((2, 3, 5, 4)),
        "w": rng.standard_normal((2, 3, 3, 2)),
        "b": rng.standard_normal(2),
    }
    out = layer_forward("convolution", inputs, stride=stride, padding=padding)
    dout = rng.standard_normal(out.shape)
    hyper = {"stride": stride, "padding": padding}
    assert_matches_differences("convolution", inputs, dout, hyper, ("x", "w", "b"))


def test_convolution_forward_matches_a_direct_loop():
    x, w, b = (
        rng.standard_normal((1, 2, 5, 6)),
        rng.standard_normal((3, 2, 2, 3)),
        rng.standard_normal(3),
    )
    out = layer_forward(
        "convolution", {"x": x, "w": w, "b": b}, stride=(2, 1), padding=(1, 0)
    )
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (0, 0)))
    assert out.shape == (1, 3, 3, 4)
    for i in range(3):
        for k in range(4):
            window = padded[0, :, 2 * i : 2 * i + 2, k : k + 3]
            want = np.einsum("cab,fcab->f", window, w) + b
            np.testing.assert_allclose(out[0, :, i, k], want, rtol=1e-13)


def test_affine_vjp_on_nd_input_matches_differences():
    inputs = {
        "x": rng.standard_normal((2, 3, 2)),
        "w": rng.standard_normal((6, 4)),
        "b": rng.standard_normal(4),
    }
    dout = rng.standard_normal((2, 4))
    assert_matches_differences("affine", inputs, dout, {}, ("x", "w", "b"))


def test_relu_vjp_matches_differences_away_from_zero():
    x = rng.standard_normal((3, 4))
    x[np.abs(x) < 0.1] = 0.5  # no entry near the kink
    assert_matches_differences(
        "relu", {"x": x}, rng.standard_normal((3, 4)), {}, ("x",)
    )


@pytest.mark.parametrize("kind", ["max_pool", "average_pool"])
@pytest.mark.parametrize(
    ("size", "stride"),
    [((3, 3), 2), ((2, 3), (1, 2)), ((2, 2), 2), ((3, 2), 1)],
)
def test_pooling_vjp_matches_differences(kind, size, stride):
    # Distinct entries (a permutation): no window has a tie.
    x = rng.permutation(2 * 5 * 6).reshape(1, 2, 5, 6) / 7.0
    out = layer_forward(kind, {"x": x}, size=size, stride=stride)
    dout = rng.standard_normal(out.shape)
    hyper = {"size": size, "stride": stride}
    assert_matches_differences(kind, {"x": x}, dout, hyper, ("x",))


def test_max_pool_overlapping_windows_add_their_gradients():
    # One maximum shared by four overlapping 2x2 windows (stride 1).
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 1.0
    dout = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    dx = layer_vjp("max_pool", {"x": x}, dout, size=(2, 2), stride=1)["dx"]
    assert dx[0, 0, 1, 1] == 10.0
    assert np.count_nonzero(dx) == 1


def test_max_pool_tie_goes_to_the_first_maximum():
    x = np.array([[[[1.0, 3.0], [3.0, 0.0]]]])
    dx = layer_vjp("max_pool", {"x": x}, np.array([[[[5.0]]]]), size=2, stride=2)["dx"]
    np.testing.assert_array_equal(dx, [[[[0.0, 5.0], [0.0, 0.0]]]])


@pytest.mark.parametrize(
    ("kind", "shape", "parameter_shape", "hyper"),
    [
        ("batchnorm", (4, 3), (3,), {"eps": 1e-5}),
        ("batchnorm", (1, 2), (2,), {"eps": 1e-3}),
        ("layernorm", (3, 5), (5,), {"eps": 1e-5}),
        ("spatial_batchnorm", (2, 3, 2, 3), (3,), {}),
        ("groupnorm", (2, 4, 2, 2), (1, 4, 1, 1), {"groups": 2}),
        ("groupnorm", (1, 6, 1, 2), (1, 6, 1, 1), {"groups": 3, "eps": 1e-2}),
    ],
)
def test_normalisation_vjp_matches_differences(kind, shape, parameter_shape, hyper):
    inputs = {
        "x": rng.standard_normal(shape) * 2 + 1,
        "gamma": rng.standard_normal(parameter_shape),
        "beta": rng.standard_normal(parameter_shape),
    }
    dout = rng.standard_normal(shape)
    assert_matches_differences(kind, inputs, dout, hyper, ("x", "gamma", "beta"))


def test_batchnorm_test_mode_matches_differences():
    inputs = {
        "x": rng.standard_normal((3, 2)),
        "gamma": rng.standard_normal(2),
        "beta": rng.standard_normal(2),
    }
    hyper = {
        "mode": "test",
        "running_mean": rng.standard_normal(2),
        "running_var": rng.random(2) + 0.5,
    }
    assert_matches_differences(
        "batchnorm", inputs, rng.standard_normal((3, 2)), hyper, ("x", "gamma", "beta")
    )


def test_batchnorm_forward_normalises_each_column():
    x = rng.standard_normal((6, 3)) * 3 + 2
    out = layer_forward(
        "batchnorm", {"x": x, "gamma": np.ones(3), "beta": np.zeros(3)}, eps=1e-12
    )
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-14)
    np.testing.assert_allclose(out.var(axis=0), 1, rtol=1e-10)


@pytest.mark.parametrize("train", [True, False])
def test_dropout_vjp_matches_differences(train):
    x = rng.standard_normal((3, 4))
    hyper = {"train": train}
    if train:
        hyper.update(mask=rng.random((3, 4)) < 0.6, keep=0.6)
    assert_matches_differences(
        "dropout", {"x": x}, rng.standard_normal((3, 4)), hyper, ("x",)
    )


@pytest.mark.parametrize("dout", [1.0, -2.5])
def test_softmax_loss_vjp_matches_differences(dout):
    inputs = {"scores": rng.standard_normal((3, 4)) * 3, "y": np.array([0, 3, 3])}
    assert_matches_differences("softmax_loss", inputs, dout, {}, ("scores",))


def test_softmax_loss_of_huge_scores_is_finite():
    scores = np.array([[1000.0, 0.0, -1000.0]])
    loss = layer_forward("softmax_loss", {"scores": scores, "y": np.array([1])})
    assert loss.shape == ()
    np.testing.assert_allclose(loss, 1000.0, rtol=1e-15)


@pytest.mark.parametrize("margin", [1.0, 0.3])
def test_hinge_loss_vjp_matches_differences_away_from_zero_margins(margin):
    scores = np.array(
        [[0.2, 1.5, -0.7, 0.9], [2.0, 0.4, 0.1, -1.1], [0.0, 0.5, 1.7, 0.8]]
    )
    inputs = {"scores": scores, "y": np.array([1, 0, 2])}
    assert_matches_differences(
        "hinge_loss", inputs, 1.0, {"margin": margin}, ("scores",)
    )


def test_every_kind_has_a_test_here():
    tested = {
        "affine",
        "relu",
        "convolution",
        "max_pool",
        "average_pool",
        "batchnorm",
        "layernorm",
        "spatial_batchnorm",
        "groupnorm",
        "dropout",
        "softmax_loss",
        "hinge_loss",
    }
    assert set(KINDS) == tested


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: layer_vjp("conv", {}, None), ValueError, "kind"),
        (
            lambda: layer_vjp("affine", {"x": np.ones((2, 3))}, np.ones((2, 2))),
            ValueError,
            "'w'",
        ),
        (
            lambda: layer_forward(
                "convolution",
                {
                    "x": np.ones((1, 1, 3, 3)),
                    "w": np.ones((1, 1, 2, 2)),
                    "b": np.ones(1),
                },
                stride=0,
            ),
            ValueError,
            "stride",
        ),
        (
            lambda: layer_forward("max_pool", {"x": np.ones((1, 1, 3, 3))}, window=2),
            ValueError,
            "window",
        ),
        (
            lambda: layer_forward("relu", {"x": np.array([np.nan])}),
            ValueError,
            "finite",
        ),
        (
            lambda: layer_forward(
                "groupnorm",
                {
                    "x": np.ones((1, 4, 1, 1)),
                    "gamma": np.ones((1, 4, 1, 1)),
                    "beta": np.ones((1, 4, 1, 1)),
                },
                groups=3,
            ),
            ValueError,
            "divisor",
        ),
        (
            lambda: layer_forward(
                "softmax_loss", {"scores": np.ones((2, 3)), "y": np.array([0, 3])}
            ),
            ValueError,
            "[0, 2]",
        ),
        (
            lambda: layer_forward("dropout", {"x": np.ones(3)}, keep=0.5),
            ValueError,
            "mask",
        ),
        (lambda: layer_forward("relu", {"x": np.array(["a"])}), TypeError, "dtype"),
    ],
)
def test_bad_input_is_named(call, error, words):
    with pytest.raises(error, match=None) as info:
        call()
    assert words in str(info.value)


# -- the forward against plain loops, at random shapes -----------------------------


def _loop_convolution(x, w, b, stride, padding):
    (sh, sw), (ph, pw) = stride, padding
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    hk, wk = w.shape[2:]
    oh = 1 + (padded.shape[2] - hk) // sh
    ow = 1 + (padded.shape[3] - wk) // sw
    out = np.empty((x.shape[0], w.shape[0], oh, ow))
    for i in range(oh):
        for k in range(ow):
            window = padded[:, :, sh * i : sh * i + hk, sw * k : sw * k + wk]
            out[:, :, i, k] = np.einsum("ncab,fcab->nf", window, w) + b
    return out


@settings(max_examples=15, deadline=None)
@given(
    shape=st.tuples(*(st.integers(1, n) for n in (2, 3, 6, 6, 3, 3, 3))),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    seed=st.integers(0, 2**32 - 1),
)
def test_convolution_forward_matches_loops_at_random_shapes(
    shape, stride, padding, seed
):
    n, c, h, w_, f, hk, wk = shape
    assume(hk <= h + 2 * padding[0] and wk <= w_ + 2 * padding[1])
    generator = np.random.default_rng(seed)
    x = generator.standard_normal((n, c, h, w_))
    w = generator.standard_normal((f, c, hk, wk))
    b = generator.standard_normal(f)
    out = layer_forward(
        "convolution", {"x": x, "w": w, "b": b}, stride=stride, padding=padding
    )
    # The loop sums at most 27 products in float64: ~1e-15 relative.
    np.testing.assert_allclose(
        out, _loop_convolution(x, w, b, stride, padding), rtol=1e-12, atol=1e-12
    )


@settings(max_examples=15, deadline=None)
@given(
    shape=st.tuples(*(st.integers(1, n) for n in (2, 2, 6, 6, 3, 3))),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    seed=st.integers(0, 2**32 - 1),
)
def test_pooling_forward_matches_loops_at_random_shapes(shape, stride, seed):
    n, c, h, w_, hp, wp = shape
    assume(hp <= h and wp <= w_)
    x = np.random.default_rng(seed).standard_normal((n, c, h, w_))
    oh, ow = 1 + (h - hp) // stride[0], 1 + (w_ - wp) // stride[1]
    windows = np.array(
        [
            [
                x[
                    :,
                    :,
                    stride[0] * i : stride[0] * i + hp,
                    stride[1] * k : stride[1] * k + wp,
                ]
                for k in range(ow)
            ]
            for i in range(oh)
        ]
    )  # (oh, ow, n, c, hp, wp)
    hyper = {"size": (hp, wp), "stride": stride}
    largest = layer_forward("max_pool", {"x": x}, **hyper)
    np.testing.assert_array_equal(
        largest, windows.max(axis=(4, 5)).transpose(2, 3, 0, 1)
    )
    mean = layer_forward("average_pool", {"x": x}, **hyper)
    np.testing.assert_allclose(
        mean, windows.mean(axis=(4, 5)).transpose(2, 3, 0, 1), rtol=1e-13, atol=1e-15
    )


def test_running_statistics_weigh_the_old_value_by_momentum():
    x = np.array([[1.0, 2.0], [3.0, 6.0]])
    mean, var = running_statistics(x, np.zeros(2), np.ones(2), momentum=0.9)
    # Batch mean (2, 4), biased variance (1, 4).
    np.testing.assert_allclose(mean, [0.2, 0.4], rtol=1e-15)
    np.testing.assert_allclose(var, [0.9 + 0.1 * 1.0, 0.9 + 0.1 * 4.0], rtol=1e-15)
    images = np.arange(16.0).reshape(2, 2, 2, 2)
    mean, _ = running_statistics(images, np.zeros(2), np.zeros(2), axes=(0, 2, 3))
    np.testing.assert_allclose(
        mean, 0.1 * images.transpose(1, 0, 2, 3).reshape(2, -1).mean(axis=1)
    )
