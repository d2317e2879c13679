"""Seeded mistakes in learners' recurrent layers: each a wrong variant of the look-alike.

:data:`SEEDED` lists ``(label, kind, forward, backward, expected)``: the layer
pair with one mistake planted, and the catalogue name the check should give
(``None`` for a mistake the catalogue does not hold: it must be flagged, not
named).
"""

from __future__ import annotations

import cs231n_rnn_layers as ok
import numpy as np

# --- RNN -----------------------------------------------------------------------------


def rnn_backward_forget_next(dh, cache):
    N, T, _H = dh.shape
    grads = None
    dx = np.zeros((N, T, cache[0][0].shape[1]))
    for t in reversed(range(T)):
        dx_t, dprev_h, dWx_t, dWh_t, db_t = ok.rnn_step_backward(dh[:, t, :], cache[t])
        dx[:, t, :] = dx_t
        grads = (
            (dWx_t, dWh_t, db_t)
            if grads is None
            else tuple(a + b for a, b in zip(grads, (dWx_t, dWh_t, db_t), strict=False))
        )
    return (dx, dprev_h, *grads)


def rnn_backward_upstream_dropped(dh, cache):
    N, T, _H = dh.shape
    dx = np.zeros((N, T, cache[0][0].shape[1]))
    dnext = dh[:, -1, :]
    grads = None
    for t in reversed(range(T)):
        dx_t, dnext, dWx_t, dWh_t, db_t = ok.rnn_step_backward(dnext, cache[t])
        dx[:, t, :] = dx_t
        grads = (
            (dWx_t, dWh_t, db_t)
            if grads is None
            else tuple(a + b for a, b in zip(grads, (dWx_t, dWh_t, db_t), strict=False))
        )
    return (dx, dnext, *grads)


def rnn_step_backward_no_tanh_prime(dnext_h, cache):
    x, prev_h, Wx, Wh, _next_h = cache
    return (
        dnext_h.dot(Wx.T),
        dnext_h.dot(Wh.T),
        x.T.dot(dnext_h),
        prev_h.T.dot(dnext_h),
        dnext_h.sum(axis=0),
    )


def rnn_step_backward_one_minus_h(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    d = dnext_h * (1 - next_h)
    return d.dot(Wx.T), d.dot(Wh.T), x.T.dot(d), prev_h.T.dot(d), d.sum(axis=0)


def rnn_step_backward_dWh_next(dnext_h, cache):
    x, _prev_h, Wx, Wh, next_h = cache
    d = dnext_h * (1 - next_h**2)
    return d.dot(Wx.T), d.dot(Wh.T), x.T.dot(d), next_h.T.dot(d), d.sum(axis=0)


def rnn_backward_dWh_next(dh, cache):
    N, T, H = dh.shape
    dx = np.zeros((N, T, cache[0][0].shape[1]))
    dprev = np.zeros((N, H))
    dWx = dWh = db = 0
    for t in reversed(range(T)):
        dx_t, dprev, a, b, c = rnn_step_backward_dWh_next(dh[:, t, :] + dprev, cache[t])
        dx[:, t, :] = dx_t
        dWx, dWh, db = dWx + a, dWh + b, db + c
    return dx, dprev, dWx, dWh, db


def rnn_backward_assigned(dh, cache):
    N, T, H = dh.shape
    dx = np.zeros((N, T, cache[0][0].shape[1]))
    dprev = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t, :], dprev, dWx, dWh, db = ok.rnn_step_backward(
            dh[:, t, :] + dprev, cache[t]
        )
    return dx, dprev, dWx, dWh, db


def rnn_backward_clipped(dh, cache):
    grads = ok.rnn_backward(dh, cache)
    return tuple(np.clip(g, -5, 5) for g in grads)


# --- LSTM -----------------------------------------------------------------------------------------


def _lstm_backward_with(step_backward):
    def lstm_backward(dh, cache):
        N, T, H = dh.shape
        dx = np.zeros((N, T, cache[0][0].shape[1]))
        dprev_h = np.zeros((N, H))
        dprev_c = np.zeros((N, H))
        dWx = dWh = db = 0
        for t in reversed(range(T)):
            dx[:, t, :], dprev_h, dprev_c, a, b, c = step_backward(
                dh[:, t, :] + dprev_h, dprev_c, cache[t]
            )
            dWx, dWh, db = dWx + a, dWh + b, db + c
        return dx, dprev_h, dWx, dWh, db

    return lstm_backward


def lstm_backward_forget_next(dh, cache):
    N, T, H = dh.shape
    dx = np.zeros((N, T, cache[0][0].shape[1]))
    dprev_c = np.zeros((N, H))
    dWx = dWh = db = 0
    for t in reversed(range(T)):
        dx[:, t, :], dprev_h, dprev_c, a, b, c = ok.lstm_step_backward(
            dh[:, t, :], dprev_c, cache[t]
        )
        dWx, dWh, db = dWx + a, dWh + b, db + c
    return dx, dprev_h, dWx, dWh, db


def _lstm_step_backward_variant(
    *, order="ifog", tanh_prime=True, forget=True, next_c=True, dWh_next=False
):
    def lstm_step_backward(dnext_h, dnext_c, cache):
        x, prev_h, prev_c, Wx, Wh, i, f, o, g, c = cache
        tc = np.tanh(c)
        local = (1 - tc**2) if tanh_prime else 1
        dc = (dnext_c if next_c else 0) + dnext_h * o * local
        parts = {
            "i": dc * g * i * (1 - i),
            "f": dc * prev_c * f * (1 - f),
            "o": dnext_h * tc * o * (1 - o),
            "g": dc * i * (1 - g**2),
        }
        da = np.hstack([parts[k] for k in order])
        h = o * tc
        return (
            da.dot(Wx.T),
            da.dot(Wh.T),
            dc * f if forget else dc,
            x.T.dot(da),
            (h if dWh_next else prev_h).T.dot(da),
            da.sum(axis=0),
        )

    return lstm_step_backward


def _pytorch_lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x.dot(Wx) + prev_h.dot(Wh) + b
    i, f = ok.sigmoid(a[:, :H]), ok.sigmoid(a[:, H : 2 * H])
    g, o = np.tanh(a[:, 2 * H : 3 * H]), ok.sigmoid(a[:, 3 * H :])
    c = f * prev_c + i * g
    return o * np.tanh(c), c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, c)


def _pytorch_lstm_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    prev_h, prev_c, cache = h0, np.zeros_like(h0), []
    for t in range(T):
        prev_h, prev_c, step = _pytorch_lstm_step_forward(
            x[:, t], prev_h, prev_c, Wx, Wh, b
        )
        h[:, t] = prev_h
        cache.append(step)
    return h, cache


# --- embeddings, affine, loss -------------------------------------------------------------------


def word_embedding_backward_assigned(dout, cache):
    x, shape = cache
    dW = np.zeros(shape)
    dW[x] = dout
    return dW


def temporal_affine_backward_db_mean(dout, cache):
    dx, dw, db = ok.temporal_affine_backward(dout, cache)
    return dx, dw, db / (dout.shape[0] * dout.shape[1])


def _loss_variant(divide_by_n=True, use_mask=True, over_time=False):
    def temporal_softmax_loss(x, y, mask, verbose=False):
        N, T, _V = x.shape
        p = np.exp(x - x.max(axis=2, keepdims=True))
        p /= p.sum(axis=2, keepdims=True)
        m = mask if use_mask else np.ones_like(mask)
        loss = -np.sum(m * np.log(np.take_along_axis(p, y[..., None], 2)[..., 0]))
        dx = p.copy()
        np.put_along_axis(
            dx, y[..., None], np.take_along_axis(dx, y[..., None], 2) - 1, 2
        )
        dx *= m[..., None]
        scale = (N * T if over_time else N) if divide_by_n else 1
        return loss / scale, dx / scale

    return temporal_softmax_loss


LSTM = (ok.lstm_forward, ok.lstm_step_forward)

#: (label, kind, forward, backward, expected mistake name or None)
SEEDED = (
    (
        "rnn: next step forgotten",
        "rnn",
        ok.rnn_forward,
        rnn_backward_forget_next,
        "bptt_no_gradient_from_next_step",
    ),
    (
        "rnn: upstream dropped",
        "rnn",
        ok.rnn_forward,
        rnn_backward_upstream_dropped,
        "bptt_upstream_gradient_dropped",
    ),
    (
        "rnn step: no tanh'",
        "rnn_step",
        ok.rnn_step_forward,
        rnn_step_backward_no_tanh_prime,
        "rnn_tanh_prime_missing",
    ),
    (
        "rnn step: 1 - h",
        "rnn_step",
        ok.rnn_step_forward,
        rnn_step_backward_one_minus_h,
        "rnn_tanh_prime_as_1_minus_h",
    ),
    ("rnn: dWh with h_t", "rnn", ok.rnn_forward, rnn_backward_dWh_next, "dWh_with_h_t"),
    (
        "rnn: parameters assigned",
        "rnn",
        ok.rnn_forward,
        rnn_backward_assigned,
        "parameter_gradients_assigned_not_summed",
    ),
    (
        "rnn: clipped",
        "rnn",
        ok.rnn_forward,
        rnn_backward_clipped,
        "gradients_clipped_before_return",
    ),
    (
        "lstm: next step forgotten",
        "lstm",
        ok.lstm_forward,
        lstm_backward_forget_next,
        "bptt_no_gradient_from_next_step",
    ),
    (
        "lstm step: PyTorch gate order in the backward",
        "lstm_step",
        ok.lstm_step_forward,
        _lstm_step_backward_variant(order="ifgo"),
        "lstm_backward_gates_in_pytorch_order",
    ),
    (
        "lstm: TensorFlow gate order in the backward",
        "lstm",
        ok.lstm_forward,
        _lstm_backward_with(_lstm_step_backward_variant(order="igfo")),
        "lstm_backward_gates_in_tensorflow_order",
    ),
    (
        "lstm: PyTorch forward, CS231n backward",
        "lstm",
        _pytorch_lstm_forward,
        _lstm_backward_with(_lstm_step_backward_variant(order="ifog")),
        "lstm_backward_gates_in_cs231n_order",
    ),
    (
        "lstm step: no tanh'(c)",
        "lstm_step",
        ok.lstm_step_forward,
        _lstm_step_backward_variant(tanh_prime=False),
        "lstm_cell_tanh_prime_missing",
    ),
    (
        "lstm step: dprev_c without f",
        "lstm_step",
        ok.lstm_step_forward,
        _lstm_step_backward_variant(forget=False),
        "lstm_dprev_c_missing_forget_gate",
    ),
    (
        "lstm: dnext_c not added",
        "lstm",
        ok.lstm_forward,
        _lstm_backward_with(_lstm_step_backward_variant(next_c=False)),
        "lstm_cell_gradient_from_next_step_missing",
    ),
    (
        "lstm: dWh with h_t",
        "lstm",
        ok.lstm_forward,
        _lstm_backward_with(_lstm_step_backward_variant(dWh_next=True)),
        "dWh_with_h_t",
    ),
    (
        "embedding: assigned",
        "word_embedding",
        ok.word_embedding_forward,
        word_embedding_backward_assigned,
        "embedding_gradient_assigned",
    ),
    (
        "loss: not divided by N",
        "temporal_softmax_loss",
        _loss_variant(divide_by_n=False),
        None,
        "temporal_loss_not_divided_by_N",
    ),
    (
        "loss: mask ignored",
        "temporal_softmax_loss",
        _loss_variant(use_mask=False),
        None,
        "temporal_loss_mask_ignored",
    ),
    (
        "loss: mean over time",
        "temporal_softmax_loss",
        _loss_variant(over_time=True),
        None,
        "temporal_loss_averaged_over_time",
    ),
    (
        "affine: db averaged (not in the catalogue)",
        "temporal_affine",
        ok.temporal_affine_forward,
        temporal_affine_backward_db_mean,
        None,
    ),
)
