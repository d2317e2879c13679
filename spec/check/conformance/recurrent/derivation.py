"""The recurrent layers' backward passes re-derived in float64 NumPy, independent of
:mod:`backprop`: :class:`RecurrentDerivation`, one method per line of the textbook
backward (BPTT), for a mistake to override."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "GATE_ORDERS",
    "KINDS",
    "OUTPUTS",
    "RecurrentDerivation",
    "sigmoid",
]


#: The layer kinds checked.
KINDS = (
    "rnn_step",
    "rnn",
    "lstm_step",
    "lstm",
    "word_embedding",
    "temporal_affine",
    "temporal_softmax_loss",
)


#: Known splits of the LSTM pre-activation: CS231n, PyTorch ``nn.LSTM`` (and
#: Keras), TensorFlow 1's ``LSTMCell`` (i, j, f, o: its j is the candidate g).
GATE_ORDERS = {
    "cs231n": ("i", "f", "o", "g"),
    "pytorch": ("i", "f", "g", "o"),
    "tensorflow": ("i", "g", "f", "o"),
}


#: The gradients each kind's backward returns, in CS231n's order.
OUTPUTS = {
    "rnn_step": ("dx", "dprev_h", "dWx", "dWh", "db"),
    "rnn": ("dx", "dh0", "dWx", "dWh", "db"),
    "lstm_step": ("dx", "dprev_h", "dprev_c", "dWx", "dWh", "db"),
    "lstm": ("dx", "dh0", "dWx", "dWh", "db"),
    "word_embedding": ("dW",),
    "temporal_affine": ("dx", "dw", "db"),
    "temporal_softmax_loss": ("dx",),
}


def sigmoid(z: NDArray) -> NDArray:
    r""":math:`\sigma(z) = e^{-\ln(1 + e^{-z})}`."""
    return np.exp(-np.logaddexp(0.0, -z))


class RecurrentDerivation:
    """The correct VJPs, one method per line; a mistake overrides one method.

    Arrays are float64; ``order`` is the forward's gate order.
    """

    # --- forward passes (no mistake changes them) ---------------------------------

    def rnn_step_forward(
        self, x: NDArray, prev_h: NDArray, Wx: NDArray, Wh: NDArray, b: NDArray
    ) -> NDArray:
        r""":math:`h_t = \tanh(x_t W_x + h_{t-1} W_h + b)`."""
        return np.tanh(x @ Wx + prev_h @ Wh + b)

    def lstm_step_forward(
        self,
        x: NDArray,
        prev_h: NDArray,
        prev_c: NDArray,
        Wx: NDArray,
        Wh: NDArray,
        b: NDArray,
        order: Sequence[str],
    ) -> tuple[NDArray, NDArray, dict[str, NDArray]]:
        """``(next_h, next_c, gates)`` with ``gates`` i, f, o, g and ``tanh_c``."""
        blocks = dict(
            zip(order, np.split(x @ Wx + prev_h @ Wh + b, 4, axis=1), strict=True)
        )
        gates = {
            "i": sigmoid(blocks["i"]),
            "f": sigmoid(blocks["f"]),
            "o": sigmoid(blocks["o"]),
            "g": np.tanh(blocks["g"]),
        }
        next_c = gates["f"] * prev_c + gates["i"] * gates["g"]
        gates["tanh_c"] = np.tanh(next_c)
        return gates["o"] * gates["tanh_c"], next_c, gates

    # --- the lines of the backward ------------------------------------------------------

    def upstream_h(self, dh_t: NDArray, from_next: NDArray) -> NDArray:
        r"""BPTT: :math:`\bar h_t = \bar\ell_t + (\text{gradient from step } t + 1)`."""
        return dh_t + from_next

    def rnn_delta(self, dnext_h: NDArray, next_h: NDArray) -> NDArray:
        r""":math:`\delta = \bar h_t \odot (1 - h_t^2)`."""
        return dnext_h * (1 - next_h**2)

    def dWh(self, prev_h: NDArray, next_h: NDArray, delta: NDArray) -> NDArray:
        r""":math:`\bar W_h \mathrel{+}= h_{t-1}^T \delta_t`."""
        return prev_h.T @ delta

    def accumulate(self, total: NDArray, step: NDArray) -> NDArray:
        r"""Shared parameters: :math:`\bar\theta = \sum_t \bar\theta_t`."""
        return total + step

    def lstm_dc(
        self, dnext_c: NDArray, dnext_h: NDArray, gates: Mapping[str, NDArray]
    ) -> NDArray:
        r""":math:`\bar c = \bar c_t + \bar h_t \odot o \odot (1 - \tanh^2 c_t)`."""
        tanh_c = gates["tanh_c"]
        return dnext_c + dnext_h * gates["o"] * (1 - tanh_c**2)

    def dprev_c(self, dc: NDArray, gates: Mapping[str, NDArray]) -> NDArray:
        r""":math:`\bar c_{t-1} = \bar c \odot f`."""
        return dc * gates["f"]

    def gate_order_backward(self, order: Sequence[str]) -> Sequence[str]:
        """The order in which the gate gradients are assembled: the forward's."""
        return order

    def embedding_dW(self, x: NDArray, dout: NDArray, vocab: int) -> NDArray:
        r""":math:`\bar W_v = \sum_{x_{n,t} = v} \bar{\text{out}}_{n,t}` (repeated words add up)."""
        dW = np.zeros((vocab, dout.shape[-1]))
        np.add.at(dW, x, dout)
        return dW

    def loss_weight(self, mask: NDArray, n: int) -> NDArray:
        r"""The weight of each step in the loss, :math:`m_{n,t} / N`."""
        return mask / n

    def returned(self, grads: dict[str, NDArray]) -> dict[str, NDArray]:
        """The gradients as returned: unchanged (clipping is the training loop's step)."""
        return grads

    # --- whole VJPs ----------------------------------------------------------------------------

    def rnn_step_vjp(
        self,
        dnext_h: NDArray,
        x: NDArray,
        prev_h: NDArray,
        Wx: NDArray,
        Wh: NDArray,
        next_h: NDArray,
    ) -> dict[str, NDArray]:
        """The step's VJP."""
        delta = self.rnn_delta(dnext_h, next_h)
        return {
            "dx": delta @ Wx.T,
            "dprev_h": delta @ Wh.T,
            "dWx": x.T @ delta,
            "dWh": self.dWh(prev_h, next_h, delta),
            "db": delta.sum(axis=0),
        }

    def lstm_step_vjp(
        self,
        dnext_h: NDArray,
        dnext_c: NDArray,
        x: NDArray,
        prev_h: NDArray,
        prev_c: NDArray,
        Wx: NDArray,
        Wh: NDArray,
        b: NDArray,
        order: Sequence[str],
    ) -> dict[str, NDArray]:
        """The LSTM step's VJP."""
        next_h, _, gates = self.lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b, order)
        i, f, o, g = (gates[name] for name in "ifog")
        dc = self.lstm_dc(dnext_c, dnext_h, gates)
        bars = {
            "i": dc * g * i * (1 - i),
            "f": dc * prev_c * f * (1 - f),
            "o": dnext_h * gates["tanh_c"] * o * (1 - o),
            "g": dc * i * (1 - g**2),
        }
        a_bar = np.concatenate(
            [bars[name] for name in self.gate_order_backward(order)], axis=1
        )
        return {
            "dx": a_bar @ Wx.T,
            "dprev_h": a_bar @ Wh.T,
            "dprev_c": self.dprev_c(dc, gates),
            "dWx": x.T @ a_bar,
            "dWh": self.dWh(prev_h, next_h, a_bar),
            "db": a_bar.sum(axis=0),
        }

    def vjp(
        self,
        kind: str,
        inputs: Mapping[str, NDArray],
        dout: Any,
        order: Sequence[str] = GATE_ORDERS["cs231n"],
    ) -> dict[str, NDArray]:
        """The VJP of ``kind`` at float64 ``inputs`` (CS231n names), as returned."""
        v = inputs
        if kind == "rnn_step":
            next_h = self.rnn_step_forward(
                v["x"], v["prev_h"], v["Wx"], v["Wh"], v["b"]
            )
            grads = self.rnn_step_vjp(
                dout, v["x"], v["prev_h"], v["Wx"], v["Wh"], next_h
            )
        elif kind == "lstm_step":
            grads = self.lstm_step_vjp(
                dout[0],
                dout[1],
                v["x"],
                v["prev_h"],
                v["prev_c"],
                v["Wx"],
                v["Wh"],
                v["b"],
                order,
            )
        elif kind in ("rnn", "lstm"):
            grads = self._sequence_vjp(kind, v, dout, order)
        elif kind == "word_embedding":
            grads = {"dW": self.embedding_dW(v["x"], dout, v["W"].shape[0])}
        elif kind == "temporal_affine":
            x, w = v["x"], v["w"]
            grads = {
                "dx": dout @ w.T,
                "dw": x.reshape(-1, x.shape[2]).T @ dout.reshape(-1, w.shape[1]),
                "db": dout.sum(axis=(0, 1)),
            }
        elif kind == "temporal_softmax_loss":
            x = v["x"]
            p = np.exp(x - x.max(axis=2, keepdims=True))
            p /= p.sum(axis=2, keepdims=True)
            np.put_along_axis(
                p, v["y"][..., None], np.take_along_axis(p, v["y"][..., None], 2) - 1, 2
            )
            grads = {
                "dx": p
                * self.loss_weight(v["mask"].astype(float), x.shape[0])[..., None]
            }
        else:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        return self.returned(grads)

    def _sequence_vjp(
        self, kind: str, v: Mapping[str, NDArray], dh: NDArray, order: Sequence[str]
    ) -> dict[str, NDArray]:
        x, h0, Wx, Wh, b = (v[name] for name in ("x", "h0", "Wx", "Wh", "b"))
        steps = x.shape[1]
        hs, cs = [h0], [np.zeros_like(h0)]
        for t in range(steps):
            if kind == "rnn":
                hs.append(self.rnn_step_forward(x[:, t], hs[-1], Wx, Wh, b))
            else:
                h, c, _ = self.lstm_step_forward(
                    x[:, t], hs[-1], cs[-1], Wx, Wh, b, order
                )
                hs.append(h)
                cs.append(c)
        dx = np.zeros(x.shape)
        totals = {
            "dWx": np.zeros(Wx.shape),
            "dWh": np.zeros(Wh.shape),
            "db": np.zeros(b.shape),
        }
        dprev_h, dprev_c = np.zeros_like(h0), np.zeros_like(h0)
        for t in reversed(range(steps)):
            upstream = self.upstream_h(dh[:, t], dprev_h)
            if kind == "rnn":
                step = self.rnn_step_vjp(upstream, x[:, t], hs[t], Wx, Wh, hs[t + 1])
            else:
                step = self.lstm_step_vjp(
                    upstream, dprev_c, x[:, t], hs[t], cs[t], Wx, Wh, b, order
                )
                dprev_c = step["dprev_c"]
            dx[:, t], dprev_h = step["dx"], step["dprev_h"]
            for name in totals:
                totals[name] = self.accumulate(totals[name], step[name])
        return {"dx": dx, "dh0": dprev_h, **totals}
