r"""The recurrent layers defined on arrays of SymPy expressions: the vanilla RNN
and LSTM steps and sequences (the LSTM's gate order a parameter), word embeddings,
the temporal affine layer and the temporal softmax loss (:func:`definition`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sympy
from numpy.typing import NDArray

from spec.activations import tanh
from spec.symbols import sigma
from spec.validation import validate_choice

__all__ = [
    "CS231N_GATE_ORDER",
    "INPUTS",
    "KINDS",
    "PYTORCH_GATE_ORDER",
    "Expr",
    "definition",
    "exp_elementwise",
    "lstm",
    "lstm_step",
    "rnn",
    "rnn_step",
    "split_gates",
    "tanh_elementwise",
    "temporal_affine",
    "temporal_softmax_loss",
    "validate_gate_order",
    "word_embedding",
]


#: The recurrent layer kinds, as ``layer_vjp`` names them.
KINDS = (
    "rnn_step",
    "rnn",
    "lstm_step",
    "lstm",
    "word_embedding",
    "temporal_affine",
    "temporal_softmax_loss",
)


#: CS231n's split of the LSTM pre-activation (the default).
CS231N_GATE_ORDER = ("i", "f", "o", "g")


#: PyTorch's ``nn.LSTM`` split.
PYTORCH_GATE_ORDER = ("i", "f", "g", "o")


#: Each kind's inputs by CS231n's names; the differentiable ones first, then
#: the integer or structural ones (indices, targets, mask).
INPUTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "rnn_step": (("x", "prev_h", "Wx", "Wh", "b"), ()),
    "rnn": (("x", "h0", "Wx", "Wh", "b"), ()),
    "lstm_step": (("x", "prev_h", "prev_c", "Wx", "Wh", "b"), ()),
    "lstm": (("x", "h0", "Wx", "Wh", "b"), ()),
    "word_embedding": (("W",), ("x",)),
    "temporal_affine": (("x", "w", "b"), ()),
    "temporal_softmax_loss": (("x",), ("y", "mask")),
}


Expr = NDArray[np.object_]


tanh_elementwise = np.frompyfunc(tanh, 1, 1)


_sigma = np.frompyfunc(sigma, 1, 1)


exp_elementwise = np.frompyfunc(sympy.exp, 1, 1)


def validate_gate_order(gate_order: Sequence[str]) -> tuple[str, ...]:
    """``gate_order`` as a tuple if it is a permutation of i, f, o, g; else ValueError."""
    order = tuple(gate_order)
    if sorted(order) != sorted(CS231N_GATE_ORDER):
        raise ValueError(
            "gate_order must be a permutation of ('i', 'f', 'o', 'g'), e.g. "
            f"{CS231N_GATE_ORDER} (CS231n) or {PYTORCH_GATE_ORDER} (PyTorch), got "
            f"{gate_order!r}"
        )
    return order


def rnn_step(x: Expr, prev_h: Expr, Wx: Expr, Wh: Expr, b: Expr) -> Expr:
    r""":math:`h_t = \tanh(x_t W_x + h_{t-1} W_h + b)`, shapes (N, D), (N, H) -> (N, H)."""
    return tanh_elementwise(x @ Wx + prev_h @ Wh + b)


def rnn(x: Expr, h0: Expr, Wx: Expr, Wh: Expr, b: Expr) -> Expr:
    """The RNN unrolled over the T steps of ``x`` (N, T, D): ``h`` (N, T, H)."""
    hs, prev_h = [], h0
    for t in range(x.shape[1]):
        prev_h = rnn_step(x[:, t], prev_h, Wx, Wh, b)
        hs.append(prev_h)
    return np.stack(hs, axis=1)


def split_gates(a: Expr, order: tuple[str, ...]) -> dict[str, Expr]:
    blocks = dict(zip(order, np.split(a, 4, axis=1), strict=True))
    return {
        "i": _sigma(blocks["i"]),
        "f": _sigma(blocks["f"]),
        "o": _sigma(blocks["o"]),
        "g": tanh_elementwise(blocks["g"]),
    }


def lstm_step(
    x: Expr,
    prev_h: Expr,
    prev_c: Expr,
    Wx: Expr,
    Wh: Expr,
    b: Expr,
    gate_order: Sequence[str] = CS231N_GATE_ORDER,
) -> tuple[Expr, Expr]:
    r"""One LSTM step: ``(next_h, next_c)``, :math:`c_t = f c_{t-1} + i g`, :math:`h_t = o \tanh c_t`."""
    gate = split_gates(x @ Wx + prev_h @ Wh + b, validate_gate_order(gate_order))
    next_c = gate["f"] * prev_c + gate["i"] * gate["g"]
    return gate["o"] * tanh_elementwise(next_c), next_c


def lstm(
    x: Expr,
    h0: Expr,
    Wx: Expr,
    Wh: Expr,
    b: Expr,
    gate_order: Sequence[str] = CS231N_GATE_ORDER,
) -> Expr:
    """The LSTM unrolled over T steps from ``h0`` and :math:`c_0 = 0`: ``h`` (N, T, H)."""
    hs, prev_h = [], h0
    prev_c = np.full(h0.shape, sympy.S.Zero, dtype=object)
    for t in range(x.shape[1]):
        prev_h, prev_c = lstm_step(x[:, t], prev_h, prev_c, Wx, Wh, b, gate_order)
        hs.append(prev_h)
    return np.stack(hs, axis=1)


def word_embedding(x: NDArray[np.integer], W: Expr) -> Expr:
    r""":math:`\text{out}_{n,t} = W_{x_{n,t}}`: (N, T) indices, (V, D) -> (N, T, D)."""
    return W[x]


def temporal_affine(x: Expr, w: Expr, b: Expr) -> Expr:
    r""":math:`\text{out}_{n,t} = x_{n,t} w + b`: (N, T, D) -> (N, T, M)."""
    return x @ w + b


def temporal_softmax_loss(x: Expr, y: NDArray[np.integer], mask: NDArray) -> sympy.Expr:
    r""":math:`L = -\frac1N \sum_{n,t} m_{n,t} (x_{n,t,y_{n,t}} - \ln \sum_v e^{x_{n,t,v}})`."""
    n, steps, _ = x.shape
    total = sympy.S.Zero
    for e in range(n):
        for t in range(steps):
            if mask[e, t]:
                log_z = sympy.log(sympy.Add(*exp_elementwise(x[e, t])))
                total += sympy.Integer(int(mask[e, t])) * (x[e, t, y[e, t]] - log_z)
    return -total / n


def definition(kind: str) -> Callable[..., Any]:
    """The forward definition of ``kind`` (a function of the inputs of :data:`INPUTS`)."""
    definitions: dict[str, Callable[..., Any]] = {
        "rnn_step": rnn_step,
        "rnn": rnn,
        "lstm_step": lstm_step,
        "lstm": lstm,
        "word_embedding": lambda W, x: word_embedding(x, W),
        "temporal_affine": temporal_affine,
        "temporal_softmax_loss": lambda x, y, mask: temporal_softmax_loss(x, y, mask),
    }
    return definitions[validate_choice("kind", kind, KINDS)]
