r"""Recurrent layers specified: the definitions, the BPTT recursion, the oracle.

In the CS231n layout of :mod:`backprop.blocks.recurrent` (sequences ``(N, T,
D)``, hidden states ``(N, H)``, ``Wx`` ``(D, H)`` or ``(D, 4H)``):

**Definitions** (the forward passes, on NumPy arrays of SymPy expressions):

.. math::

    h_t &= \tanh(x_t W_x + h_{t-1} W_h + b) && \text{(vanilla RNN step)} \\
    a &= x_t W_x + h_{t-1} W_h + b,\ i, f, o = \sigma(a_i, a_f, a_o),\ g = \tanh a_g
        && \text{(LSTM, blocks in } \texttt{gate\_order}) \\
    c_t &= f \odot c_{t-1} + i \odot g,\quad h_t = o \odot \tanh c_t \\
    \text{out}_{n,t} &= W_{x_{n,t}},\quad \text{out}_{n,t} = x_{n,t} w + b
        && \text{(embedding, temporal affine)} \\
    L &= -\frac1N \sum_{n,t} m_{n,t} \Bigl(x_{n,t,y_{n,t}}
        - \ln \sum_v e^{x_{n,t,v}}\Bigr) && \text{(temporal softmax loss)}

**The recursion** (the textbook backward, :func:`recursion_vjp`): BPTT, where
the gradient of :math:`h_{t-1}` is its own upstream gradient plus what step
:math:`t` sends back, the shared parameters sum every step's contribution, and
the LSTM's cell state carries :math:`\bar c_{t-1} = (\bar c_t + \bar h_t \odot o
\odot \tanh' c_t) \odot f`. It is proven equal to direct differentiation of the
unrolled graph in :mod:`spec.blocks.recurrent.bptt`.

**The oracle** (:func:`recurrent_vjp`, :func:`recurrent_forward`) evaluates the
recursion, with the local derivatives as derived here, in ``mpmath`` at ``dps``
significant digits and rounds once to float64.

This module imports nothing of :mod:`backprop` or :mod:`spec.check`.
"""

from __future__ import annotations

from spec.blocks.recurrent.bptt import (
    BPTT_VARIANTS,
    VARIANTS,
    FixedSizeProof,
    graph_gradient,
    prove_recurrent,
)
from spec.blocks.recurrent.definitions import (
    CS231N_GATE_ORDER,
    INPUTS,
    KINDS,
    PYTORCH_GATE_ORDER,
    Expr,
    definition,
    exp_elementwise,
    lstm,
    lstm_step,
    rnn,
    rnn_step,
    split_gates,
    tanh_elementwise,
    temporal_affine,
    temporal_softmax_loss,
    validate_gate_order,
    word_embedding,
)
from spec.blocks.recurrent.induction import (
    BpttProof,
    prove_bptt,
)
from spec.blocks.recurrent.oracle import (
    recurrent_forward,
    recurrent_vjp,
)
from spec.blocks.recurrent.recursion import (
    forward_expression,
    lstm_step_vjp,
    lstm_vjp,
    recursion_vjp,
    rnn_step_vjp,
    rnn_vjp,
    symbol_array,
)

__all__ = [
    "BPTT_VARIANTS",
    "CS231N_GATE_ORDER",
    "INPUTS",
    "KINDS",
    "PYTORCH_GATE_ORDER",
    "VARIANTS",
    "BpttProof",
    "Expr",
    "FixedSizeProof",
    "definition",
    "exp_elementwise",
    "forward_expression",
    "graph_gradient",
    "lstm",
    "lstm_step",
    "lstm_step_vjp",
    "lstm_vjp",
    "prove_bptt",
    "prove_recurrent",
    "recurrent_forward",
    "recurrent_vjp",
    "recursion_vjp",
    "rnn",
    "rnn_step",
    "rnn_step_vjp",
    "rnn_vjp",
    "split_gates",
    "symbol_array",
    "tanh_elementwise",
    "temporal_affine",
    "temporal_softmax_loss",
    "validate_gate_order",
    "word_embedding",
]
