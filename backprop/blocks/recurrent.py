r"""Recurrent layers in NumPy: the vanilla RNN, the LSTM, embeddings, the temporal loss.

Every forward returns ``(out, cache)`` and every backward takes ``(dout, cache)``
and returns the vector–Jacobian product, in the calling shape of CS231n's
``rnn_layers.py``. Sequences are ``(N, T, D)`` (example, time, feature), hidden
states ``(N, H)``; the input-to-hidden weights ``Wx`` are ``(D, H)`` (``(D, 4H)``
for the LSTM), so a step reads

.. math::

    h_t = \tanh(x_t W_x + h_{t-1} W_h + b).

The backward through time (BPTT) accumulates, at every step, the upstream
gradient of :math:`h_t` and the gradient arriving from step :math:`t + 1`:

.. math::

    \frac{\partial L}{\partial h_{t-1}} = \frac{\partial \ell}{\partial h_{t-1}}
      + \Bigl(\frac{\partial L}{\partial h_t} \odot (1 - h_t^2)\Bigr) W_h^T,

and the shared parameters sum the contributions of every step. The loops run over
time only; each step is vectorised over the batch. Arrays keep their dtype
(float32 in, float32 out).

The LSTM's pre-activation :math:`a = x_t W_x + h_{t-1} W_h + b` of width
:math:`4H` is split into four blocks in the order ``gate_order`` (CS231n's
``("i", "f", "o", "g")`` by default; PyTorch's ``nn.LSTM`` uses ``("i", "f",
"g", "o")``): input gate :math:`i = \sigma(a_i)`, forget gate :math:`f =
\sigma(a_f)`, output gate :math:`o = \sigma(a_o)`, candidate :math:`g =
\tanh(a_g)`; then :math:`c_t = f \odot c_{t-1} + i \odot g` and :math:`h_t = o
\odot \tanh(c_t)`.

Gradient clipping is a separate, explicit step (:func:`clip_gradients`), applied
by the training loop after the gradient is computed and checked, never inside a
backward.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "CS231N_GATE_ORDER",
    "GATES",
    "lstm_backward",
    "lstm_forward",
    "lstm_step_backward",
    "lstm_step_forward",
    "rnn_backward",
    "rnn_forward",
    "rnn_step_backward",
    "rnn_step_forward",
    "sigmoid",
    "validate_gate_order",
]


#: The four LSTM gates: input, forget, output, candidate.
GATES = ("i", "f", "o", "g")


#: CS231n's split of the LSTM pre-activation, the default here.
CS231N_GATE_ORDER = ("i", "f", "o", "g")


def describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"[:200]


def float_array(name: str, value: Any, ndim: int, meaning: str) -> NDArray:
    if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
        raise TypeError(
            f"{name} must be a floating-point ndarray ({meaning}), got "
            f"{describe(value)}"
        )
    if value.ndim != ndim:
        raise ValueError(
            f"{name} must be {ndim}-D ({meaning}), got shape {value.shape}"
        )
    return value


def expect_shape(
    name: str, value: NDArray, shape: tuple[int, ...], meaning: str
) -> None:
    if value.shape != shape:
        raise ValueError(
            f"{name} must have shape {shape} ({meaning}), got {value.shape}"
        )


def validate_gate_order(gate_order: Any) -> tuple[str, str, str, str]:
    """Validate an LSTM gate order: a permutation of ``("i", "f", "o", "g")``.

    Parameters
    ----------
    gate_order : sequence of str
        The gate of each block of the pre-activation, first block first.

    Returns
    -------
    tuple of str
    """
    if isinstance(gate_order, str):
        gate_order = tuple(gate_order)
    if not isinstance(gate_order, Sequence) or sorted(map(str, gate_order)) != sorted(
        GATES
    ):
        raise ValueError(
            "gate_order must be a permutation of ('i', 'f', 'o', 'g') such as "
            f"('i', 'f', 'o', 'g') (CS231n) or ('i', 'f', 'g', 'o') (PyTorch), got "
            f"{gate_order!r}"
        )
    i, f, o, g = (str(gate) for gate in gate_order)
    return (i, f, o, g)


def _step_arrays(
    x: Any, prev_h: Any, Wx: Any, Wh: Any, b: Any, *, gates: int
) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray]:
    x = float_array("x", x, 2, "one input per row, (N, D)")
    prev_h = float_array("prev_h", prev_h, 2, "one hidden state per row, (N, H)")
    n, d = x.shape
    h = prev_h.shape[1]
    expect_shape("prev_h", prev_h, (n, h), "one hidden state per row of x")
    width = f"{gates}H" if gates > 1 else "H"
    Wx = float_array("Wx", Wx, 2, f"input-to-hidden weights, (D, {width})")
    expect_shape("Wx", Wx, (d, gates * h), f"(D, {width}) with D = {d}, H = {h}")
    Wh = float_array("Wh", Wh, 2, f"hidden-to-hidden weights, (H, {width})")
    expect_shape("Wh", Wh, (h, gates * h), f"(H, {width}) with H = {h}")
    b = float_array("b", b, 1, f"bias, ({width},)")
    expect_shape("b", b, (gates * h,), f"({width},) with H = {h}")
    return x, prev_h, Wx, Wh, b


def _sequence_arrays(
    x: Any, h0: Any, Wx: Any, Wh: Any, b: Any, *, gates: int
) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray]:
    x = float_array("x", x, 3, "one sequence per row, (N, T, D)")
    h0 = float_array("h0", h0, 2, "initial hidden state, (N, H)")
    if h0.shape[0] != x.shape[0]:
        raise ValueError(
            f"h0 must have one row per sequence of x, (N, H) with N = {x.shape[0]}, "
            f"got {h0.shape}"
        )
    _step_arrays(x[:, 0], h0, Wx, Wh, b, gates=gates)
    return x, h0, Wx, Wh, b


def upstream(name: str, value: Any, shape: tuple[int, ...]) -> NDArray:
    value = float_array(name, value, len(shape), "upstream gradient")
    expect_shape(name, value, shape, "the shape of the forward's output")
    return value


def sigmoid(z: NDArray) -> NDArray:
    r""":math:`\sigma(z) = e^{-\ln(1 + e^{-z})}`: accurate at both tails, dtype kept."""
    return np.exp(-np.logaddexp(z.dtype.type(0), -z))


def rnn_step_forward(
    x: NDArray, prev_h: NDArray, Wx: NDArray, Wh: NDArray, b: NDArray
) -> tuple[NDArray, tuple[NDArray, ...]]:
    r"""One step of the vanilla RNN, :math:`h_t = \tanh(x_t W_x + h_{t-1} W_h + b)`.

    Parameters
    ----------
    x : ndarray, shape (N, D)
    prev_h : ndarray, shape (N, H)
    Wx : ndarray, shape (D, H)
    Wh : ndarray, shape (H, H)
    b : ndarray, shape (H,)

    Returns
    -------
    next_h : ndarray, shape (N, H)
    cache : tuple
        What :func:`rnn_step_backward` needs.
    """
    x, prev_h, Wx, Wh, b = _step_arrays(x, prev_h, Wx, Wh, b, gates=1)
    return _rnn_step(x, prev_h, Wx, Wh, b)


def _rnn_step(
    x: NDArray, prev_h: NDArray, Wx: NDArray, Wh: NDArray, b: NDArray
) -> tuple[NDArray, tuple[NDArray, ...]]:
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(
    dnext_h: NDArray, cache: tuple[NDArray, ...]
) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray]:
    r"""VJP of :func:`rnn_step_forward`.

    .. math::

        \delta = \bar h_t \odot (1 - h_t^2),\quad \bar x_t = \delta W_x^T,\quad
        \bar h_{t-1} = \delta W_h^T,\quad \bar W_x = x_t^T \delta,\quad
        \bar W_h = h_{t-1}^T \delta,\quad \bar b = \textstyle\sum_n \delta_n

    Parameters
    ----------
    dnext_h : ndarray, shape (N, H)
    cache : tuple
        From :func:`rnn_step_forward`.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dprev_h : ndarray, shape (N, H)
    dWx : ndarray, shape (D, H)
    dWh : ndarray, shape (H, H)
    db : ndarray, shape (H,)
    """
    dnext_h = upstream("dnext_h", dnext_h, cache[-1].shape)
    return _rnn_step_backward(dnext_h, cache)


def _rnn_step_backward(
    dnext_h: NDArray, cache: tuple[NDArray, ...]
) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray]:
    x, prev_h, Wx, Wh, next_h = cache
    delta = dnext_h * (1 - next_h * next_h)
    return delta @ Wx.T, delta @ Wh.T, x.T @ delta, prev_h.T @ delta, delta.sum(axis=0)


def rnn_forward(
    x: NDArray, h0: NDArray, Wx: NDArray, Wh: NDArray, b: NDArray
) -> tuple[NDArray, dict[str, Any]]:
    r"""The vanilla RNN unrolled over the T steps of a sequence.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
    h0 : ndarray, shape (N, H)
    Wx : ndarray, shape (D, H)
    Wh : ndarray, shape (H, H)
    b : ndarray, shape (H,)

    Returns
    -------
    h : ndarray, shape (N, T, H)
        The hidden state after every step.
    cache : dict
        What :func:`rnn_backward` needs.
    """
    x, h0, Wx, Wh, b = _sequence_arrays(x, h0, Wx, Wh, b, gates=1)
    n, t_steps, _ = x.shape
    h = np.empty((n, t_steps, h0.shape[1]), dtype=np.result_type(x, h0, Wx, Wh, b))
    steps = []
    prev_h = h0
    for t in range(t_steps):
        prev_h, step = _rnn_step(x[:, t], prev_h, Wx, Wh, b)
        h[:, t] = prev_h
        steps.append(step)
    return h, {"steps": steps, "shape": h.shape, "x_shape": x.shape}


def rnn_backward(
    dh: NDArray, cache: dict[str, Any]
) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray]:
    r"""BPTT through :func:`rnn_forward`.

    At step :math:`t` the gradient of :math:`h_t` is the upstream ``dh[:, t]``
    plus what step :math:`t + 1` sends back; the parameter gradients are summed
    over the steps.

    Parameters
    ----------
    dh : ndarray, shape (N, T, H)
        Upstream gradient of every hidden state.
    cache : dict
        From :func:`rnn_forward`.

    Returns
    -------
    dx : ndarray, shape (N, T, D)
    dh0 : ndarray, shape (N, H)
    dWx : ndarray, shape (D, H)
    dWh : ndarray, shape (H, H)
    db : ndarray, shape (H,)
    """
    dh = upstream("dh", dh, cache["shape"])
    steps = cache["steps"]
    _x0, _, Wx, Wh, _ = steps[0]
    dtype = np.result_type(dh, Wx)
    dx = np.empty(cache["x_shape"], dtype=dtype)
    dWx = np.zeros(Wx.shape, dtype=dtype)
    dWh = np.zeros(Wh.shape, dtype=dtype)
    db = np.zeros(Wh.shape[1], dtype=dtype)
    dprev_h = np.zeros(dh.shape[::2], dtype=dtype)
    for t in reversed(range(dh.shape[1])):
        dx[:, t], dprev_h, dWx_t, dWh_t, db_t = _rnn_step_backward(
            dh[:, t] + dprev_h, steps[t]
        )
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db


def lstm_step_forward(
    x: NDArray,
    prev_h: NDArray,
    prev_c: NDArray,
    Wx: NDArray,
    Wh: NDArray,
    b: NDArray,
    *,
    gate_order: Sequence[str] = CS231N_GATE_ORDER,
) -> tuple[NDArray, NDArray, dict[str, Any]]:
    r"""One LSTM step.

    .. math::

        a &= x_t W_x + h_{t-1} W_h + b \quad\text{(blocks in ``gate_order``)} \\
        i, f, o &= \sigma(a_i), \sigma(a_f), \sigma(a_o),\quad g = \tanh(a_g) \\
        c_t &= f \odot c_{t-1} + i \odot g,\quad h_t = o \odot \tanh(c_t)

    Parameters
    ----------
    x : ndarray, shape (N, D)
    prev_h, prev_c : ndarray, shape (N, H)
    Wx : ndarray, shape (D, 4H)
    Wh : ndarray, shape (H, 4H)
    b : ndarray, shape (4H,)
    gate_order : sequence of str, default ("i", "f", "o", "g")
        The gate of each H-wide block of the pre-activation (CS231n's order by
        default; PyTorch's ``nn.LSTM`` is ``("i", "f", "g", "o")``).

    Returns
    -------
    next_h, next_c : ndarray, shape (N, H)
    cache : dict
        What :func:`lstm_step_backward` needs.
    """
    order = validate_gate_order(gate_order)
    x, prev_h, Wx, Wh, b = _step_arrays(x, prev_h, Wx, Wh, b, gates=4)
    prev_c = float_array("prev_c", prev_c, 2, "previous cell state, (N, H)")
    expect_shape("prev_c", prev_c, prev_h.shape, "the shape of prev_h")
    return _lstm_step(x, prev_h, prev_c, Wx, Wh, b, order)


def _lstm_step(
    x: NDArray,
    prev_h: NDArray,
    prev_c: NDArray,
    Wx: NDArray,
    Wh: NDArray,
    b: NDArray,
    order: tuple[str, ...],
) -> tuple[NDArray, NDArray, dict[str, Any]]:
    a = x @ Wx + prev_h @ Wh + b
    blocks = dict(zip(order, np.split(a, 4, axis=1), strict=True))
    i, f, o = sigmoid(blocks["i"]), sigmoid(blocks["f"]), sigmoid(blocks["o"])
    g = np.tanh(blocks["g"])
    next_c = f * prev_c + i * g
    tanh_c = np.tanh(next_c)
    next_h = o * tanh_c
    cache = {
        "x": x,
        "prev_h": prev_h,
        "prev_c": prev_c,
        "Wx": Wx,
        "Wh": Wh,
        "gates": {"i": i, "f": f, "o": o, "g": g},
        "tanh_c": tanh_c,
        "order": order,
    }
    return next_h, next_c, cache


def lstm_step_backward(
    dnext_h: NDArray, dnext_c: NDArray, cache: dict[str, Any]
) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray, NDArray]:
    r"""VJP of :func:`lstm_step_forward`.

    .. math::

        \bar c &= \bar c_t + \bar h_t \odot o \odot (1 - \tanh^2 c_t),\quad
        \bar c_{t-1} = \bar c \odot f \\
        \bar a_i &= \bar c \odot g \odot i(1 - i),\quad
        \bar a_f = \bar c \odot c_{t-1} \odot f(1 - f) \\
        \bar a_o &= \bar h_t \odot \tanh(c_t) \odot o(1 - o),\quad
        \bar a_g = \bar c \odot i \odot (1 - g^2)

    then, with :math:`\bar a` assembled in the forward's gate order, the products
    of :func:`rnn_step_backward`.

    Parameters
    ----------
    dnext_h, dnext_c : ndarray, shape (N, H)
    cache : dict
        From :func:`lstm_step_forward`.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dprev_h, dprev_c : ndarray, shape (N, H)
    dWx : ndarray, shape (D, 4H)
    dWh : ndarray, shape (H, 4H)
    db : ndarray, shape (4H,)
    """
    shape = cache["prev_h"].shape
    dnext_h = upstream("dnext_h", dnext_h, shape)
    dnext_c = upstream("dnext_c", dnext_c, shape)
    return _lstm_step_backward(dnext_h, dnext_c, cache)


def _lstm_step_backward(
    dnext_h: NDArray, dnext_c: NDArray, cache: dict[str, Any]
) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray, NDArray]:
    i, f, o, g = (cache["gates"][gate] for gate in GATES)
    tanh_c = cache["tanh_c"]
    dc = dnext_c + dnext_h * o * (1 - tanh_c * tanh_c)
    dgate = {
        "i": dc * g * i * (1 - i),
        "f": dc * cache["prev_c"] * f * (1 - f),
        "o": dnext_h * tanh_c * o * (1 - o),
        "g": dc * i * (1 - g * g),
    }
    da = np.concatenate([dgate[gate] for gate in cache["order"]], axis=1)
    dx = da @ cache["Wx"].T
    dprev_h = da @ cache["Wh"].T
    return (
        dx,
        dprev_h,
        dc * f,
        cache["x"].T @ da,
        cache["prev_h"].T @ da,
        da.sum(axis=0),
    )


def lstm_forward(
    x: NDArray,
    h0: NDArray,
    Wx: NDArray,
    Wh: NDArray,
    b: NDArray,
    *,
    gate_order: Sequence[str] = CS231N_GATE_ORDER,
) -> tuple[NDArray, dict[str, Any]]:
    r"""The LSTM unrolled over T steps, from :math:`h_0` and :math:`c_0 = 0`.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
    h0 : ndarray, shape (N, H)
    Wx : ndarray, shape (D, 4H)
    Wh : ndarray, shape (H, 4H)
    b : ndarray, shape (4H,)
    gate_order : sequence of str, default ("i", "f", "o", "g")
        As in :func:`lstm_step_forward`.

    Returns
    -------
    h : ndarray, shape (N, T, H)
    cache : dict
        What :func:`lstm_backward` needs.
    """
    order = validate_gate_order(gate_order)
    x, h0, Wx, Wh, b = _sequence_arrays(x, h0, Wx, Wh, b, gates=4)
    n, t_steps, _ = x.shape
    dtype = np.result_type(x, h0, Wx, Wh, b)
    h = np.empty((n, t_steps, h0.shape[1]), dtype=dtype)
    prev_h, prev_c = h0, np.zeros(h0.shape, dtype=dtype)
    steps = []
    for t in range(t_steps):
        prev_h, prev_c, step = _lstm_step(x[:, t], prev_h, prev_c, Wx, Wh, b, order)
        h[:, t] = prev_h
        steps.append(step)
    return h, {"steps": steps, "shape": h.shape, "x_shape": x.shape}


def lstm_backward(
    dh: NDArray, cache: dict[str, Any]
) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray]:
    r"""BPTT through :func:`lstm_forward`.

    The hidden state's gradient at step :math:`t` is ``dh[:, t]`` plus what step
    :math:`t + 1` sends back; the cell state's gradient comes from step
    :math:`t + 1` only (:math:`\bar c_T = 0`).

    Parameters
    ----------
    dh : ndarray, shape (N, T, H)
    cache : dict
        From :func:`lstm_forward`.

    Returns
    -------
    dx : ndarray, shape (N, T, D)
    dh0 : ndarray, shape (N, H)
    dWx : ndarray, shape (D, 4H)
    dWh : ndarray, shape (H, 4H)
    db : ndarray, shape (4H,)
    """
    dh = upstream("dh", dh, cache["shape"])
    steps = cache["steps"]
    Wx, Wh = steps[0]["Wx"], steps[0]["Wh"]
    dtype = np.result_type(dh, Wx)
    dx = np.empty(cache["x_shape"], dtype=dtype)
    dWx = np.zeros(Wx.shape, dtype=dtype)
    dWh = np.zeros(Wh.shape, dtype=dtype)
    db = np.zeros(Wh.shape[1], dtype=dtype)
    dprev_h = np.zeros(dh.shape[::2], dtype=dtype)
    dprev_c = np.zeros(dh.shape[::2], dtype=dtype)
    for t in reversed(range(dh.shape[1])):
        dx[:, t], dprev_h, dprev_c, dWx_t, dWh_t, db_t = _lstm_step_backward(
            dh[:, t] + dprev_h, dprev_c, steps[t]
        )
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db
