r"""Learners' recurrent layers checked, and their mistakes named.

:class:`RecurrentDerivation` re-derives the VJP of every recurrent layer in
float64 NumPy, one method per line of the textbook backward (CS231n's layout:
``Wx`` ``(D, H)`` or ``(D, 4H)``, sequences ``(N, T, D)``):

.. math::

    \delta_t &= \bar h_t \odot (1 - h_t^2),\quad
        \bar h_t = \bar\ell_t + \delta_{t+1} W_h^T && \text{(RNN, BPTT)} \\
    \bar W_h &= \textstyle\sum_t h_{t-1}^T \delta_t,\quad
        \bar W_x = \sum_t x_t^T \delta_t,\quad \bar b = \sum_{t,n} \delta_t \\
    \bar c &= \bar c_t + \bar h_t \odot o \odot (1 - \tanh^2 c_t),\quad
        \bar c_{t-1} = \bar c \odot f && \text{(LSTM)} \\
    \bar a &= [\bar c\, g\, i(1-i);\ \bar c\, c_{t-1} f(1-f);\
        \bar h_t \tanh(c_t)\, o(1-o);\ \bar c\, i(1-g^2)] && \text{(in the forward's gate order)} \\
    \bar W_v &= \textstyle\sum_{x_{n,t} = v} \bar{\text{out}}_{n,t} && \text{(embedding)} \\
    \bar x_{n,t} &= \tfrac{m_{n,t}}{N} (p_{n,t} - e_{y_{n,t}}) && \text{(temporal softmax loss)}

Each known mistake (:data:`RECURRENT_MISTAKES`) is a subclass overriding the one
method whose line it gets wrong, and carries its own ``name``, ``title``,
``equation`` and ``breaks`` (the line as it should read).
:func:`check_recurrent_layer` runs a learner's forward and backward (CS231n's
signatures, unmodified) on cases chosen to reveal the mistakes — T = 1 and
T > 1, N = 1 and N > 1, H ≠ D, repeated word indices, masks with zeros, large
upstream gradients, float32 and float64 — compares with the derivation, and
names the mistake whose derivation the wrong gradients equal on every case.

This module does not use :mod:`backprop`: the derivation is the spec's own (its
agreement with the proven recursion of :mod:`spec.blocks.recurrent` evaluated in
``mpmath`` is a test).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "CS231N_NAMES",
    "GATE_ORDERS",
    "KINDS",
    "RECURRENT_MISTAKES",
    "CaseVerdict",
    "RecurrentDerivation",
    "RecurrentLayerReport",
    "check_recurrent_layer",
    "check_recurrent_module",
    "recurrent_cases",
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


# --- the mistakes: one method each, named ----------------------------------------------------


class _Mistake(RecurrentDerivation):
    name: ClassVar[str]
    title: ClassVar[str]
    equation: ClassVar[str]
    breaks: ClassVar[str]
    kinds: ClassVar[tuple[str, ...]]


_BPTT = "dh_t = dl_t + (gradient from step t+1)"
_DWH = "dWh = sum_t h_{t-1}^T delta_t"
_DC = "dc = dc_t + dh_t * o * (1 - tanh^2(c_t))"
_GATES = "abar assembled in the forward's gate order"
_LOSS = "L = -(1/N) sum_{n,t} m_{n,t} log p_{n,t,y}"


class ForgetNext(_Mistake):
    name = "bptt_no_gradient_from_next_step"
    title = "the gradient arriving from step t+1 is not added to the upstream gradient of h_t"
    equation = "BPTT"
    breaks = _BPTT
    kinds = ("rnn", "lstm")

    def upstream_h(self, dh_t: NDArray, from_next: NDArray) -> NDArray:
        return dh_t


class UpstreamOverwritten(_Mistake):
    name = "bptt_upstream_gradient_dropped"
    title = "the upstream gradient of h_t is dropped: only the gradient from step t+1 is used"
    equation = "BPTT"
    breaks = _BPTT
    kinds = ("rnn", "lstm")

    def upstream_h(self, dh_t: NDArray, from_next: NDArray) -> NDArray:
        # The last step still receives dh_T, as a loop that starts from dh[:, -1] does.
        return from_next if np.any(from_next) else dh_t


class TanhPrimeMissing(_Mistake):
    name = "rnn_tanh_prime_missing"
    title = "tanh'(a_t) = 1 - h_t^2 left out of the RNN step's backward"
    equation = "RNN step"
    breaks = "delta = dh_t * (1 - h_t^2)"
    kinds = ("rnn_step", "rnn")

    def rnn_delta(self, dnext_h: NDArray, next_h: NDArray) -> NDArray:
        return dnext_h


class TanhPrimeOfPreactivationAsH(_Mistake):
    name = "rnn_tanh_prime_as_1_minus_h"
    title = "tanh' written 1 - h_t instead of 1 - h_t^2"
    equation = "RNN step"
    breaks = "delta = dh_t * (1 - h_t^2)"
    kinds = ("rnn_step", "rnn")

    def rnn_delta(self, dnext_h: NDArray, next_h: NDArray) -> NDArray:
        return dnext_h * (1 - next_h)


class DWhWithCurrentH(_Mistake):
    name = "dWh_with_h_t"
    title = "dWh accumulated with h_t instead of h_{t-1}"
    equation = "dWh"
    breaks = _DWH
    kinds = ("rnn_step", "rnn", "lstm_step", "lstm")

    def dWh(self, prev_h: NDArray, next_h: NDArray, delta: NDArray) -> NDArray:
        return next_h.T @ delta


class ParametersAssigned(_Mistake):
    name = "parameter_gradients_assigned_not_summed"
    title = "the shared parameters' gradients assigned at each step (=) instead of summed (+=)"
    equation = "weight sharing"
    breaks = "dtheta = sum_t dtheta_t"
    kinds = ("rnn", "lstm")

    def accumulate(self, total: NDArray, step: NDArray) -> NDArray:
        return step


def _gate_mistake(convention: str) -> type[_Mistake]:
    order = GATE_ORDERS[convention]

    class BackwardGateOrder(_Mistake):
        name = f"lstm_backward_gates_in_{convention}_order"
        title = (
            f"the backward assembles the gate gradients in {convention}'s order "
            f"({', '.join(order)}), not the forward's"
        )
        equation = "LSTM gates"
        breaks = _GATES
        kinds = ("lstm_step", "lstm")

        def gate_order_backward(self, forward: Sequence[str]) -> Sequence[str]:
            return order

    BackwardGateOrder.__name__ = f"BackwardGateOrder_{convention}"
    return BackwardGateOrder


class CellTanhPrimeMissing(_Mistake):
    name = "lstm_cell_tanh_prime_missing"
    title = "tanh'(c_t) = 1 - tanh^2(c_t) missing from the cell state's gradient"
    equation = "LSTM cell"
    breaks = _DC
    kinds = ("lstm_step", "lstm")

    def lstm_dc(
        self, dnext_c: NDArray, dnext_h: NDArray, gates: Mapping[str, NDArray]
    ) -> NDArray:
        return dnext_c + dnext_h * gates["o"]


class CellFromNextMissing(_Mistake):
    name = "lstm_cell_gradient_from_next_step_missing"
    title = "the cell state's gradient from step t+1 (dnext_c) not added"
    equation = "LSTM cell"
    breaks = _DC
    kinds = ("lstm_step", "lstm")

    def lstm_dc(
        self, dnext_c: NDArray, dnext_h: NDArray, gates: Mapping[str, NDArray]
    ) -> NDArray:
        tanh_c = gates["tanh_c"]
        return dnext_h * gates["o"] * (1 - tanh_c**2)


class DprevCNoForget(_Mistake):
    name = "lstm_dprev_c_missing_forget_gate"
    title = "dprev_c = dc, missing the forget gate f"
    equation = "LSTM cell"
    breaks = "dc_{t-1} = dc * f"
    kinds = ("lstm_step", "lstm")

    def dprev_c(self, dc: NDArray, gates: Mapping[str, NDArray]) -> NDArray:
        return dc


class EmbeddingAssigned(_Mistake):
    name = "embedding_gradient_assigned"
    title = "dW[x] = dout assigned, so a repeated word keeps one gradient instead of the sum"
    equation = "embedding"
    breaks = "dW_v = sum_{x_{n,t} = v} dout_{n,t} (np.add.at)"
    kinds = ("word_embedding",)

    def embedding_dW(self, x: NDArray, dout: NDArray, vocab: int) -> NDArray:
        dW = np.zeros((vocab, dout.shape[-1]))
        dW[x] = dout
        return dW


class LossNotDividedByN(_Mistake):
    name = "temporal_loss_not_divided_by_N"
    title = "the temporal loss summed over the batch, not divided by N"
    equation = "temporal loss"
    breaks = _LOSS
    kinds = ("temporal_softmax_loss",)

    def loss_weight(self, mask: NDArray, n: int) -> NDArray:
        return mask


class LossMaskIgnored(_Mistake):
    name = "temporal_loss_mask_ignored"
    title = "the mask ignored in the temporal loss's gradient"
    equation = "temporal loss"
    breaks = _LOSS
    kinds = ("temporal_softmax_loss",)

    def loss_weight(self, mask: NDArray, n: int) -> NDArray:
        return np.ones_like(mask) / n


class LossMeanOverTime(_Mistake):
    name = "temporal_loss_averaged_over_time"
    title = "the temporal loss divided by N T (a mean over time too) instead of N"
    equation = "temporal loss"
    breaks = _LOSS
    kinds = ("temporal_softmax_loss",)

    def loss_weight(self, mask: NDArray, n: int) -> NDArray:
        return mask / (n * mask.shape[1])


class ClippedGradients(_Mistake):
    name = "gradients_clipped_before_return"
    title = "gradients clipped to [-5, 5] inside the backward (clipping belongs to training)"
    equation = "return"
    breaks = "return the exact gradient; clip afterwards, in the training loop"
    kinds = KINDS

    def returned(self, grads: dict[str, NDArray]) -> dict[str, NDArray]:
        return {name: np.clip(g, -5.0, 5.0) for name, g in grads.items()}


#: The known recurrent mistakes, in the order the diagnosis tries them.
RECURRENT_MISTAKES: tuple[_Mistake, ...] = (
    ForgetNext(),
    UpstreamOverwritten(),
    TanhPrimeMissing(),
    TanhPrimeOfPreactivationAsH(),
    DWhWithCurrentH(),
    ParametersAssigned(),
    *(_gate_mistake(convention)() for convention in GATE_ORDERS),
    CellTanhPrimeMissing(),
    CellFromNextMissing(),
    DprevCNoForget(),
    EmbeddingAssigned(),
    LossNotDividedByN(),
    LossMaskIgnored(),
    LossMeanOverTime(),
    ClippedGradients(),
)


# --- cases ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One case: sizes, dtype, the upstream gradient's scale, and why it exists."""

    N: int
    T: int
    D: int
    H: int
    V: int
    dtype: str
    scale: float
    why: str


#: The cases of every kind (steps use only N, D, H).
CASES = (
    Case(2, 3, 4, 5, 6, "float64", 1.0, "N > 1, T > 1, H != D"),
    Case(
        1,
        1,
        3,
        2,
        4,
        "float64",
        1.0,
        "N = 1, T = 1: no step receives a gradient from the next",
    ),
    Case(3, 4, 2, 3, 5, "float64", 1.0, "longer sequences, D < H"),
    Case(2, 3, 3, 4, 5, "float64", 40.0, "large upstream gradients: clipping shows"),
    Case(2, 3, 4, 5, 6, "float32", 1.0, "float32 kept: no false alarm from rounding"),
)

#: Largest relative error (to the largest reference entry) accepted: float64
#: layers differ from the derivation by rounding only (~1e-15 times a few
#: hundred operations); float32 ones by ~1e-7 times the same, grown through T
#: steps of saturating gates.
TOLERANCE = {"float64": 1e-8, "float32": 2e-3}


def recurrent_cases(
    kind: str, rng: int | np.random.Generator = 0
) -> list[tuple[Case, dict[str, NDArray], Any]]:
    """``(case, inputs, dout)`` for every case of ``kind``: inputs by CS231n's names."""
    gen = np.random.default_rng(rng)
    out = []
    for case in CASES:
        dtype = np.dtype(case.dtype)
        n, t, d, h, v = case.N, case.T, case.D, case.H, case.V

        def normal(*shape: int, s: float = 1.0, dtype: np.dtype = dtype) -> NDArray:
            return (s * gen.standard_normal(shape)).astype(dtype)

        gates = 4 if kind.startswith("lstm") else 1
        inputs: dict[str, NDArray]
        if kind in ("rnn_step", "lstm_step"):
            inputs = {"x": normal(n, d), "prev_h": normal(n, h)}
            if kind == "lstm_step":
                inputs["prev_c"] = normal(n, h)
            inputs |= {
                "Wx": normal(d, gates * h, s=0.5),
                "Wh": normal(h, gates * h, s=0.5),
                "b": normal(gates * h, s=0.5),
            }
            dout: Any = normal(n, h, s=case.scale)
            if kind == "lstm_step":
                dout = (dout, normal(n, h, s=case.scale))
        elif kind in ("rnn", "lstm"):
            inputs = {
                "x": normal(n, t, d),
                "h0": normal(n, h),
                "Wx": normal(d, gates * h, s=0.5),
                "Wh": normal(h, gates * h, s=0.5),
                "b": normal(gates * h, s=0.5),
            }
            dout = normal(n, t, h, s=case.scale)
        elif kind == "word_embedding":
            x = gen.integers(0, v, size=(n, t))
            x.flat[-1] = x.flat[0]  # a repeated word
            inputs = {"x": x, "W": normal(v, d)}
            dout = normal(n, t, d, s=case.scale)
        elif kind == "temporal_affine":
            inputs = {"x": normal(n, t, d), "w": normal(d, h), "b": normal(h)}
            dout = normal(n, t, h, s=case.scale)
        else:
            mask = gen.random((n, t)) < 0.7
            mask.flat[0] = True
            if mask.size > 1:
                mask.flat[-1] = False  # a masked step
            scores = normal(n, t, v, s=case.scale)
            inputs = {"x": scores, "y": gen.integers(0, v, size=(n, t)), "mask": mask}
            dout = None
        out.append((case, inputs, dout))
    return out


# --- the check --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseVerdict:
    """The verdict on one case: ``"pass"``, ``"wrong"``, ``"wrong forward"`` or ``"error"``."""

    case: Case
    verdict: str
    errors: dict[str, float] = field(default_factory=dict)
    message: str = ""


@dataclass(frozen=True)
class RecurrentLayerReport:
    """Outcome of :func:`check_recurrent_layer`.

    Attributes
    ----------
    kind : str
    verdict : {"conformant", "wrong", "error"}
    cases : tuple of CaseVerdict
    gate_order : tuple of str or None
        The LSTM forward's gate order as recognised (None for other kinds).
    mistake : str or None
        The named mistake whose derivation the gradients equal on every case.
    title, equation, breaks : str or None
        The mistake's, when named.
    """

    kind: str
    verdict: str
    cases: tuple[CaseVerdict, ...]
    gate_order: tuple[str, ...] | None
    mistake: str | None
    title: str | None
    equation: str | None
    breaks: str | None

    @property
    def ok(self) -> bool:
        """Whether the layer is conformant."""
        return self.verdict == "conformant"

    def summary(self) -> str:
        """The report as text."""
        lines = [f"{self.kind}: {self.verdict}"]
        for c in self.cases:
            worst = max(c.errors.values(), default=0.0)
            line = f"  {c.verdict:13} {c.case.why} (worst relative error {worst:.1e})"
            lines.append(f"{line} {c.message}".rstrip())
        if self.mistake:
            lines.append(
                f"  mistake: {self.mistake} — {self.title} [{self.equation}: {self.breaks}]"
            )
        return "\n".join(lines)


def _call(
    kind: str,
    forward: Callable[..., Any],
    backward: Callable[..., Any] | None,
    inputs: Mapping[str, NDArray],
    dout: Any,
) -> tuple[Any, dict[str, NDArray]]:
    v = inputs
    if kind == "temporal_softmax_loss":
        loss, dx = forward(v["x"], v["y"], v["mask"])
        return loss, {"dx": np.asarray(dx)}
    if kind == "rnn_step":
        out, cache = forward(v["x"], v["prev_h"], v["Wx"], v["Wh"], v["b"])
    elif kind in ("rnn", "lstm"):
        out, cache = forward(v["x"], v["h0"], v["Wx"], v["Wh"], v["b"])
    elif kind == "lstm_step":
        next_h, next_c, cache = forward(
            v["x"], v["prev_h"], v["prev_c"], v["Wx"], v["Wh"], v["b"]
        )
        out = (next_h, next_c)
    elif kind == "word_embedding":
        out, cache = forward(v["x"], v["W"])
    else:
        out, cache = forward(v["x"], v["w"], v["b"])
    if backward is None:
        raise TypeError(f"kind {kind!r} needs a backward function")
    result = backward(*dout, cache) if kind == "lstm_step" else backward(dout, cache)
    if kind == "word_embedding":
        result = (result,)
    return out, {
        name: np.asarray(g) for name, g in zip(OUTPUTS[kind], result, strict=True)
    }


def _reference_forward(
    kind: str, v: Mapping[str, NDArray], order: Sequence[str]
) -> Any:
    d = RecurrentDerivation()
    if kind == "rnn_step":
        return d.rnn_step_forward(v["x"], v["prev_h"], v["Wx"], v["Wh"], v["b"])
    if kind == "lstm_step":
        h, c, _ = d.lstm_step_forward(
            v["x"], v["prev_h"], v["prev_c"], v["Wx"], v["Wh"], v["b"], order
        )
        return (h, c)
    if kind in ("rnn", "lstm"):
        hs, h, c = [], v["h0"], np.zeros_like(v["h0"])
        for t in range(v["x"].shape[1]):
            if kind == "rnn":
                h = d.rnn_step_forward(v["x"][:, t], h, v["Wx"], v["Wh"], v["b"])
            else:
                h, c, _ = d.lstm_step_forward(
                    v["x"][:, t], h, c, v["Wx"], v["Wh"], v["b"], order
                )
            hs.append(h)
        return np.stack(hs, axis=1)
    if kind == "word_embedding":
        return v["W"][v["x"]]
    if kind == "temporal_affine":
        return v["x"] @ v["w"] + v["b"]
    x, y, mask = v["x"], v["y"], v["mask"]
    log_p = x - x.max(axis=2, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=2, keepdims=True))
    return (
        -float((np.take_along_axis(log_p, y[..., None], 2)[..., 0] * mask).sum())
        / x.shape[0]
    )


def _relative(actual: Any, reference: Any) -> float:
    a = np.asarray(actual, dtype=np.float64)
    r = np.asarray(reference, dtype=np.float64)
    if a.shape != r.shape:
        return float("inf")
    if not np.all(np.isfinite(a)):
        return float("inf")
    scale = max(float(np.max(np.abs(r), initial=0.0)), 1e-300)
    return float(np.max(np.abs(a - r), initial=0.0)) / scale


def _forward_error(actual: Any, reference: Any) -> float:
    if isinstance(reference, tuple):
        if not isinstance(actual, tuple) or len(actual) != len(reference):
            return float("inf")
        return max(_relative(a, r) for a, r in zip(actual, reference, strict=True))
    return _relative(actual, reference)


def _agrees(actual: Any, reference: Any, tol: float) -> bool:
    return _forward_error(actual, reference) <= tol


def check_recurrent_layer(
    forward: Callable[..., Any],
    backward: Callable[..., Any] | None = None,
    *,
    kind: str,
    rng: int | np.random.Generator = 0,
    gate_order: Sequence[str] | None = None,
) -> RecurrentLayerReport:
    """Check a learner's recurrent layer (CS231n signatures) and name its mistake.

    Parameters
    ----------
    forward, backward : callable
        E.g. ``rnn_forward(x, h0, Wx, Wh, b) -> (h, cache)`` and
        ``rnn_backward(dh, cache) -> (dx, dh0, dWx, dWh, db)``;
        ``temporal_softmax_loss(x, y, mask) -> (loss, dx)`` has no backward.
    kind : str
        One of :data:`KINDS`.
    rng : int or numpy.random.Generator, default 0
        Seeds the cases' inputs and random upstream gradients.
    gate_order : sequence of str or None
        The LSTM forward's gate order; ``None``: recognised among
        :data:`GATE_ORDERS` from the forward's output.

    Returns
    -------
    RecurrentLayerReport
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    reference = RecurrentDerivation()
    verdicts: list[CaseVerdict] = []
    observed: list[tuple[Case, dict[str, NDArray], Any, dict[str, NDArray]]] = []
    orders = (
        [tuple(gate_order)] if gate_order is not None else list(GATE_ORDERS.values())
    )
    order: tuple[str, ...] = orders[0]
    for index, (case, inputs, dout) in enumerate(recurrent_cases(kind, rng)):
        tol = TOLERANCE[case.dtype]
        try:
            out, grads = _call(kind, forward, backward, inputs, dout)
        except Exception as error:
            verdicts.append(
                CaseVerdict(case, "error", message=f"{type(error).__name__}: {error}")
            )
            continue
        f64 = {
            k: (a.astype(np.float64) if a.dtype.kind == "f" else a)
            for k, a in inputs.items()
        }
        d64 = (
            tuple(np.asarray(g, np.float64) for g in dout)
            if isinstance(dout, tuple)
            else (None if dout is None else np.asarray(dout, np.float64))
        )
        if index == 0 and kind.startswith("lstm") and gate_order is None:
            order = next(
                (
                    o
                    for o in orders
                    if _agrees(out, _reference_forward(kind, f64, o), tol)
                ),
                orders[0],
            )
        forward_error = _forward_error(out, _reference_forward(kind, f64, order))
        if forward_error > tol and kind != "temporal_softmax_loss":
            verdicts.append(CaseVerdict(case, "wrong forward", {"out": forward_error}))
            continue
        expected = reference.vjp(kind, f64, d64, order)
        errors = {name: _relative(grads[name], expected[name]) for name in expected}
        if kind == "temporal_softmax_loss":
            # A wrong loss value comes with its gradient's mistake: both are reported,
            # and the diagnosis goes by the gradient.
            errors["loss"] = forward_error
        verdict = "pass" if max(errors.values()) <= tol else "wrong"
        verdicts.append(CaseVerdict(case, verdict, errors))
        if case.dtype == "float64":
            observed.append((case, f64, d64, grads))
    bad = [v.verdict for v in verdicts if v.verdict != "pass"]
    verdict = "conformant" if not bad else ("error" if "error" in bad else "wrong")
    named = None
    if verdict == "wrong" and "wrong forward" not in bad:
        for mistake in RECURRENT_MISTAKES:
            if kind not in mistake.kinds:
                continue
            if all(
                all(
                    _relative(grads[name], g) <= TOLERANCE["float64"]
                    for name, g in mistake.vjp(kind, f64, d64, order).items()
                )
                for _, f64, d64, grads in observed
            ):
                named = mistake
                break
    return RecurrentLayerReport(
        kind=kind,
        verdict=verdict,
        cases=tuple(verdicts),
        gate_order=order if kind.startswith("lstm") else None,
        mistake=None if named is None else named.name,
        title=None if named is None else named.title,
        equation=None if named is None else named.equation,
        breaks=None if named is None else named.breaks,
    )


#: CS231n's function names in ``rnn_layers.py``, by kind: (forward, backward).
CS231N_NAMES: dict[str, tuple[str, str | None]] = {
    "rnn_step": ("rnn_step_forward", "rnn_step_backward"),
    "rnn": ("rnn_forward", "rnn_backward"),
    "lstm_step": ("lstm_step_forward", "lstm_step_backward"),
    "lstm": ("lstm_forward", "lstm_backward"),
    "word_embedding": ("word_embedding_forward", "word_embedding_backward"),
    "temporal_affine": ("temporal_affine_forward", "temporal_affine_backward"),
    "temporal_softmax_loss": ("temporal_softmax_loss", None),
}


def check_recurrent_module(
    namespace: Any, *, rng: int | np.random.Generator = 0
) -> list[RecurrentLayerReport]:
    """Check every recurrent layer a module defines under CS231n's names.

    Parameters
    ----------
    namespace : module or mapping of str to callable
        E.g. a learner's imported ``rnn_layers``; a kind is checked when both its
        forward and its backward (:data:`CS231N_NAMES`) are present.
    rng : int or numpy.random.Generator, default 0

    Returns
    -------
    list of RecurrentLayerReport
        One per kind found, in the order of :data:`CS231N_NAMES`.
    """
    lookup = namespace if isinstance(namespace, Mapping) else vars(namespace)
    reports = []
    for kind, (forward, backward) in CS231N_NAMES.items():
        if forward in lookup and (backward is None or backward in lookup):
            reports.append(
                check_recurrent_layer(
                    lookup[forward],
                    None if backward is None else lookup[backward],
                    kind=kind,
                    rng=rng,
                )
            )
    return reports
