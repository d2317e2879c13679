"""backprop.blocks.recurrent against the mpmath oracle of spec.blocks.recurrent."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ORACLE_RTOL

import backprop.blocks.recurrent as rec
import backprop.blocks.temporal as tem
from spec.blocks.recurrent import CS231N_GATE_ORDER, PYTORCH_GATE_ORDER, recurrent_vjp

#: (N, T, D, H): N = 1 and N > 1, T = 1 and T > 1, H != D (transposes cannot cancel).
SIZES = [(1, 1, 3, 2), (2, 3, 4, 5), (3, 4, 2, 3)]

#: float32 layers against the float64 oracle: rounding of ~1e-7 relative grown
#: through at most a few dozen operations per entry and T = 4 steps.
FLOAT32_RTOL = 1e-4


def relative(actual, reference):
    """max |a - r| over max |r|: the error relative to the array's scale."""
    reference = np.asarray(reference, dtype=np.float64)
    return float(np.max(np.abs(np.asarray(actual, np.float64) - reference))) / max(
        float(np.max(np.abs(reference))), 1e-300
    )


def params(rng, n, t, d, h, gates, dtype=np.float64):
    return {
        "x": rng.standard_normal((n, t, d)).astype(dtype),
        "h0": rng.standard_normal((n, h)).astype(dtype),
        "Wx": (0.6 * rng.standard_normal((d, gates * h))).astype(dtype),
        "Wh": (0.6 * rng.standard_normal((h, gates * h))).astype(dtype),
        "b": (0.5 * rng.standard_normal(gates * h)).astype(dtype),
    }


def assert_close(ours, oracle, names, rtol=ORACLE_RTOL):
    for name, value in zip(names, ours, strict=True):
        assert relative(value, oracle[name]) <= rtol, name


@pytest.mark.parametrize("sizes", SIZES)
def test_gradcheck_rnn_against_oracle(sizes):
    rng = np.random.default_rng(1)
    v = params(rng, *sizes, gates=1)
    h, cache = rec.rnn_forward(v["x"], v["h0"], v["Wx"], v["Wh"], v["b"])
    dh = rng.standard_normal(h.shape)
    oracle = recurrent_vjp("rnn", v, dh)
    assert_close(rec.rnn_backward(dh, cache), oracle, ("dx", "dh0", "dWx", "dWh", "db"))


@pytest.mark.parametrize("sizes", SIZES[:2])
def test_gradcheck_rnn_step_against_oracle(sizes):
    rng = np.random.default_rng(2)
    n, _, d, h = sizes
    v = params(rng, n, 1, d, h, gates=1)
    step = {
        "x": v["x"][:, 0],
        "prev_h": v["h0"],
        "Wx": v["Wx"],
        "Wh": v["Wh"],
        "b": v["b"],
    }
    next_h, cache = rec.rnn_step_forward(**step)
    dnext = rng.standard_normal(next_h.shape)
    assert_close(
        rec.rnn_step_backward(dnext, cache),
        recurrent_vjp("rnn_step", step, dnext),
        ("dx", "dprev_h", "dWx", "dWh", "db"),
    )


@pytest.mark.parametrize("gate_order", [CS231N_GATE_ORDER, PYTORCH_GATE_ORDER])
@pytest.mark.parametrize("sizes", SIZES[:2])
def test_gradcheck_lstm_against_oracle(sizes, gate_order):
    rng = np.random.default_rng(3)
    v = params(rng, *sizes, gates=4)
    h, cache = rec.lstm_forward(
        v["x"], v["h0"], v["Wx"], v["Wh"], v["b"], gate_order=gate_order
    )
    dh = rng.standard_normal(h.shape)
    oracle = recurrent_vjp("lstm", v, dh, gate_order=gate_order)
    assert_close(
        rec.lstm_backward(dh, cache), oracle, ("dx", "dh0", "dWx", "dWh", "db")
    )


def test_gradcheck_lstm_step_against_oracle():
    rng = np.random.default_rng(4)
    v = params(rng, 2, 1, 3, 4, gates=4)
    step = {
        "x": v["x"][:, 0],
        "prev_h": v["h0"],
        "prev_c": rng.standard_normal((2, 4)),
        "Wx": v["Wx"],
        "Wh": v["Wh"],
        "b": v["b"],
    }
    next_h, next_c, cache = rec.lstm_step_forward(**step)
    dnext_h, dnext_c = (
        rng.standard_normal(next_h.shape),
        rng.standard_normal(next_c.shape),
    )
    assert_close(
        rec.lstm_step_backward(dnext_h, dnext_c, cache),
        recurrent_vjp("lstm_step", step, (dnext_h, dnext_c)),
        ("dx", "dprev_h", "dprev_c", "dWx", "dWh", "db"),
    )


def test_gradcheck_word_embedding_repeated_indices():
    rng = np.random.default_rng(5)
    x = np.array([[0, 3, 3, 1], [3, 0, 2, 2]])  # words 0, 2 and 3 repeated, 4 unused
    W = rng.standard_normal((5, 3))
    out, cache = tem.word_embedding_forward(x, W)
    np.testing.assert_array_equal(out, W[x])
    dout = rng.standard_normal(out.shape)
    oracle = recurrent_vjp("word_embedding", {"x": x, "W": W}, dout)
    assert (
        relative(tem.word_embedding_backward(dout, cache), oracle["dW"]) <= ORACLE_RTOL
    )


def test_gradcheck_temporal_affine():
    rng = np.random.default_rng(6)
    v = {
        "x": rng.standard_normal((2, 3, 4)),
        "w": rng.standard_normal((4, 5)),
        "b": rng.standard_normal(5),
    }
    out, cache = tem.temporal_affine_forward(**v)
    dout = rng.standard_normal(out.shape)
    assert_close(
        tem.temporal_affine_backward(dout, cache),
        recurrent_vjp("temporal_affine", v, dout),
        ("dx", "dw", "db"),
    )


@pytest.mark.parametrize("n", [1, 3])
def test_gradcheck_temporal_softmax_loss_with_masked_steps(n):
    rng = np.random.default_rng(7)
    x = 3 * rng.standard_normal((n, 4, 6))
    y = rng.integers(0, 6, size=(n, 4))
    mask = np.ones((n, 4), dtype=bool)
    mask[:, -1] = False  # padding at the end of every sequence
    mask[0, 1] = False
    _loss, dx = tem.temporal_softmax_loss(x, y, mask)
    oracle = recurrent_vjp("temporal_softmax_loss", {"x": x, "y": y, "mask": mask}, 1.0)
    assert relative(dx, oracle["dx"]) <= ORACLE_RTOL
    assert np.all(dx[~mask] == 0)


def test_gradcheck_float32_kept_and_close():
    rng = np.random.default_rng(8)
    v64 = params(rng, 2, 4, 3, 5, gates=4)
    v32 = {k: a.astype(np.float32) for k, a in v64.items()}
    h, cache = rec.lstm_forward(v32["x"], v32["h0"], v32["Wx"], v32["Wh"], v32["b"])
    dh = rng.standard_normal(h.shape).astype(np.float32)
    grads = rec.lstm_backward(dh, cache)
    assert h.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads)
    oracle = recurrent_vjp(
        "lstm", {k: a.astype(np.float64) for k, a in v32.items()}, dh.astype(np.float64)
    )
    assert_close(grads, oracle, ("dx", "dh0", "dWx", "dWh", "db"), rtol=FLOAT32_RTOL)
    loss, dx = tem.temporal_softmax_loss(
        h, np.zeros((2, 4), dtype=int), np.ones((2, 4))
    )
    assert dx.dtype == np.float32
    assert np.asarray(loss).dtype == np.float32


def test_clip_gradients_is_a_separate_scaling_step():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]], dtype=np.float32)}
    clipped, norm = tem.clip_gradients(grads, 1.0)
    assert norm == pytest.approx(5.0)
    np.testing.assert_allclose(clipped["a"], [0.6, 0.0])
    assert clipped["b"].dtype == np.float32
    assert clipped["b"][0, 0] == pytest.approx(0.8)
    assert grads["a"][0] == 3.0  # inputs untouched
    same, _ = tem.clip_gradients(grads, 10.0)
    np.testing.assert_array_equal(same["a"], grads["a"])
    with pytest.raises(ValueError, match="max_norm"):
        tem.clip_gradients(grads, 0.0)


def test_bad_input_names_the_argument():
    x, h0 = np.zeros((2, 3, 4)), np.zeros((2, 5))
    with pytest.raises(ValueError, match="Wh"):
        rec.rnn_forward(x, h0, np.zeros((4, 5)), np.zeros((4, 5)), np.zeros(5))
    with pytest.raises(TypeError, match="x must be a floating-point"):
        rec.rnn_forward(
            x.astype(int), h0, np.zeros((4, 5)), np.zeros((5, 5)), np.zeros(5)
        )
    with pytest.raises(ValueError, match="gate_order"):
        rec.lstm_forward(
            x, h0, np.zeros((4, 20)), np.zeros((5, 20)), np.zeros(20), gate_order="ifoo"
        )
    with pytest.raises(ValueError, match="word indices"):
        tem.word_embedding_forward(np.array([[0, 7]]), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="mask"):
        tem.temporal_softmax_loss(
            np.zeros((2, 3, 4)), np.zeros((2, 3), int), np.ones((3, 2))
        )
