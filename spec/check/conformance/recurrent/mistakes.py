"""The named recurrent mistakes, each a one-method override of
:class:`~spec.check.conformance.recurrent.derivation.RecurrentDerivation` carrying its
own name, title, equation and the line it breaks: :data:`RECURRENT_MISTAKES`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from spec.check.conformance.recurrent.derivation import (
    GATE_ORDERS,
    KINDS,
    RecurrentDerivation,
)

__all__ = [
    "RECURRENT_MISTAKES",
    "CellFromNextMissing",
    "CellTanhPrimeMissing",
    "ClippedGradients",
    "DWhWithCurrentH",
    "DprevCNoForget",
    "EmbeddingAssigned",
    "ForgetNext",
    "LossMaskIgnored",
    "LossMeanOverTime",
    "LossNotDividedByN",
    "ParametersAssigned",
    "TanhPrimeMissing",
    "TanhPrimeOfPreactivationAsH",
    "UpstreamOverwritten",
]


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
