r"""Backpropagation through time as the textbook writes it: the recursion of each
recurrent layer's VJP (:func:`recursion_vjp`), on arrays of SymPy expressions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy

from spec.blocks.recurrent.definitions import (
    CS231N_GATE_ORDER,
    INPUTS,
    KINDS,
    Expr,
    definition,
    exp_elementwise,
    lstm_step,
    rnn,
    rnn_step,
    split_gates,
    tanh_elementwise,
    validate_gate_order,
)

__all__ = [
    "forward_expression",
    "lstm_step_vjp",
    "lstm_vjp",
    "recursion_vjp",
    "rnn_step_vjp",
    "rnn_vjp",
    "symbol_array",
]


def rnn_step_vjp(
    dnext_h: Expr, x: Expr, prev_h: Expr, Wx: Expr, Wh: Expr, next_h: Expr
) -> dict[str, Expr]:
    r"""The step's VJP: :math:`\delta = \bar h_t \odot (1 - h_t^2)`, then the products."""
    delta = dnext_h * (1 - next_h**2)
    return {
        "dx": delta @ Wx.T,
        "dprev_h": delta @ Wh.T,
        "dWx": x.T @ delta,
        "dWh": prev_h.T @ delta,
        "db": delta.sum(axis=0),
    }


def rnn_vjp(
    dh: Expr, x: Expr, h0: Expr, Wx: Expr, Wh: Expr, b: Expr, *, carry: bool = True
) -> dict[str, Expr]:
    r"""BPTT: :math:`\bar h_t \mathrel{+}= \bar h_{t+1}`'s contribution, parameters summed.

    ``carry=False`` drops the gradient arriving from step :math:`t + 1` (a known
    mistake, kept so that the proofs can show it refuted).
    """
    h = rnn(x, h0, Wx, Wh, b)
    steps = x.shape[1]
    dx = np.empty(x.shape, dtype=object)
    grads = {"dWx": 0 * Wx, "dWh": 0 * Wh, "db": 0 * b}
    dprev = 0 * h0
    for t in reversed(range(steps)):
        prev_h = h[:, t - 1] if t else h0
        upstream = dh[:, t] + dprev if carry else dh[:, t]
        step = rnn_step_vjp(upstream, x[:, t], prev_h, Wx, Wh, h[:, t])
        dx[:, t], dprev = step["dx"], step["dprev_h"]
        for name in grads:
            grads[name] = grads[name] + step[name]
    return {"dx": dx, "dh0": dprev, **grads}


def lstm_step_vjp(
    dnext_h: Expr,
    dnext_c: Expr,
    x: Expr,
    prev_h: Expr,
    prev_c: Expr,
    Wx: Expr,
    Wh: Expr,
    b: Expr,
    gate_order: Sequence[str] = CS231N_GATE_ORDER,
    backward_order: Sequence[str] | None = None,
) -> dict[str, Expr]:
    r"""The LSTM step's VJP (``backward_order`` other than the forward's: a known mistake).

    .. math::

        \bar c = \bar c_t + \bar h_t \odot o \odot (1 - \tanh^2 c_t),\quad
        \bar a_i = \bar c\, g\, i(1 - i),\ \bar a_f = \bar c\, c_{t-1} f(1 - f),\
        \bar a_o = \bar h_t \tanh(c_t)\, o(1 - o),\ \bar a_g = \bar c\, i (1 - g^2)
    """
    order = validate_gate_order(gate_order)
    gate = split_gates(x @ Wx + prev_h @ Wh + b, order)
    i, f, o, g = gate["i"], gate["f"], gate["o"], gate["g"]
    tanh_c = tanh_elementwise(f * prev_c + i * g)
    dc = dnext_c + dnext_h * o * (1 - tanh_c**2)
    da = {
        "i": dc * g * i * (1 - i),
        "f": dc * prev_c * f * (1 - f),
        "o": dnext_h * tanh_c * o * (1 - o),
        "g": dc * i * (1 - g**2),
    }
    back = order if backward_order is None else validate_gate_order(backward_order)
    a_bar = np.concatenate([da[name] for name in back], axis=1)
    return {
        "dx": a_bar @ Wx.T,
        "dprev_h": a_bar @ Wh.T,
        "dprev_c": dc * f,
        "dWx": x.T @ a_bar,
        "dWh": prev_h.T @ a_bar,
        "db": a_bar.sum(axis=0),
    }


def lstm_vjp(
    dh: Expr,
    x: Expr,
    h0: Expr,
    Wx: Expr,
    Wh: Expr,
    b: Expr,
    gate_order: Sequence[str] = CS231N_GATE_ORDER,
    *,
    carry: bool = True,
    backward_order: Sequence[str] | None = None,
) -> dict[str, Expr]:
    r"""BPTT through the LSTM: :math:`\bar h` and :math:`\bar c` carried back, :math:`\bar c_T = 0`."""
    hs, cs = [h0], [np.full(h0.shape, sympy.S.Zero, dtype=object)]
    for t in range(x.shape[1]):
        next_h, next_c = lstm_step(x[:, t], hs[-1], cs[-1], Wx, Wh, b, gate_order)
        hs.append(next_h)
        cs.append(next_c)
    dx = np.empty(x.shape, dtype=object)
    grads = {"dWx": 0 * Wx, "dWh": 0 * Wh, "db": 0 * b}
    dprev_h, dprev_c = 0 * h0, 0 * h0
    for t in reversed(range(x.shape[1])):
        upstream = dh[:, t] + dprev_h if carry else dh[:, t]
        step = lstm_step_vjp(
            upstream,
            dprev_c,
            x[:, t],
            hs[t],
            cs[t],
            Wx,
            Wh,
            b,
            gate_order,
            backward_order,
        )
        dx[:, t], dprev_h, dprev_c = step["dx"], step["dprev_h"], step["dprev_c"]
        for name in grads:
            grads[name] = grads[name] + step[name]
    return {"dx": dx, "dh0": dprev_h, **grads}


def recursion_vjp(
    kind: str,
    inputs: Mapping[str, Any],
    dout: Any,
    *,
    gate_order: Sequence[str] = CS231N_GATE_ORDER,
) -> dict[str, Any]:
    """The textbook backward of ``kind`` on arrays of SymPy expressions (or numbers).

    Parameters
    ----------
    kind : str
        One of :data:`~spec.blocks.recurrent.definitions.KINDS`.
    inputs : mapping
        By CS231n's names (:data:`INPUTS`).
    dout
        The upstream gradient: ``dnext_h`` for ``"rnn_step"``, ``(dnext_h,
        dnext_c)`` for ``"lstm_step"``, ``dh`` for the sequences, ``dout`` for
        the embedding and the temporal affine layer, the scalar for the loss.

    Returns
    -------
    dict of str to ndarray of object
        ``dx``, ``dprev_h``, ``dWx``, ... as the kind has them.
    """
    v = inputs
    if kind == "rnn_step":
        next_h = rnn_step(v["x"], v["prev_h"], v["Wx"], v["Wh"], v["b"])
        return rnn_step_vjp(dout, v["x"], v["prev_h"], v["Wx"], v["Wh"], next_h)
    if kind == "rnn":
        return rnn_vjp(dout, v["x"], v["h0"], v["Wx"], v["Wh"], v["b"])
    if kind == "lstm_step":
        dnext_h, dnext_c = dout
        return lstm_step_vjp(
            dnext_h,
            dnext_c,
            v["x"],
            v["prev_h"],
            v["prev_c"],
            v["Wx"],
            v["Wh"],
            v["b"],
            gate_order,
        )
    if kind == "lstm":
        return lstm_vjp(dout, v["x"], v["h0"], v["Wx"], v["Wh"], v["b"], gate_order)
    if kind == "word_embedding":
        dW = 0 * v["W"]
        for (e, t), word in np.ndenumerate(v["x"]):
            dW[word] = dW[word] + dout[e, t]
        return {"dW": dW}
    if kind == "temporal_affine":
        x, w = v["x"], v["w"]
        flat = x.reshape(-1, x.shape[2])
        return {
            "dx": dout @ w.T,
            "dw": flat.T @ dout.reshape(-1, w.shape[1]),
            "db": dout.sum(axis=(0, 1)),
        }
    if kind == "temporal_softmax_loss":
        x, y, mask = v["x"], v["y"], v["mask"]
        dx = np.empty(x.shape, dtype=object)
        for (e, t), target in np.ndenumerate(y):
            e_x = exp_elementwise(x[e, t])
            p = e_x / sympy.Add(*e_x)
            p[target] -= 1
            dx[e, t] = p * sympy.Integer(int(mask[e, t])) / x.shape[0] * dout
        return {"dx": dx}
    raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


def symbol_array(name: str, shape: tuple[int, ...]) -> Expr:
    """An object array of real symbols named ``name_{i,j,...}``, of ``shape``."""
    array = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        array[index] = sympy.Symbol(
            f"{name}_{{{','.join(map(str, index))}}}", real=True
        )
    return array


def forward_expression(
    kind: str, values: Mapping[str, Any], gate_order: Sequence[str]
) -> Any:
    """The output of ``kind``'s definition at ``values`` (by the names of :data:`INPUTS`)."""
    define = definition(kind)
    names = INPUTS[kind][0] + INPUTS[kind][1]
    args = [values[name] for name in names]
    if kind.startswith("lstm"):
        return define(*args, gate_order)
    return define(*args)
