r"""Recurrent layers specified: the definitions, BPTT derived and proven, the oracle.

Three parts, in the CS231n layout of :mod:`backprop.blocks.recurrent` (sequences
``(N, T, D)``, hidden states ``(N, H)``, ``Wx`` ``(D, H)`` or ``(D, 4H)``):

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
\odot \tanh' c_t) \odot f`.

**Proofs.** :func:`prove_recurrent` shows the recursion equal to direct
differentiation (``sympy.diff``) of the unrolled graph at fixed sizes, by exact
evaluation modulo :math:`p = 2^{61} - 1` with :math:`\sigma`, :math:`\tanh`,
:math:`\exp` and :math:`\ln` uninterpreted (:mod:`spec.modular`): an identity
that holds for every interpretation of the functions holds for the real ones.
:func:`prove_bptt` proves the step of the recursion for **symbolic** widths
:math:`D, H, V` (``sympy.Sum`` over symbolic bounds, as :func:`spec.prove_general`
does for depth) and argues the induction on :math:`t` that makes it hold for
every :math:`T`.

**The oracle** (:func:`recurrent_vjp`, :func:`recurrent_forward`) evaluates the
proven recursion, with the local derivatives as derived here, in ``mpmath`` at
``dps`` significant digits and rounds once to float64.

This module imports nothing of :mod:`backprop` or :mod:`spec.check`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy
from numpy.typing import NDArray

from spec.activations import tanh
from spec.caching import cached
from spec.evaluate import mpmath_function
from spec.general_lemmas import INDEX, SLACK, Lemma, base, decide
from spec.graph import topological_order
from spec.modular import MODULUS, ModularProgram
from spec.symbols import sigma
from spec.validation import validate_choice, validate_int

__all__ = [
    "CS231N_GATE_ORDER",
    "INPUTS",
    "KINDS",
    "PYTORCH_GATE_ORDER",
    "BpttProof",
    "FixedSizeProof",
    "definition",
    "graph_gradient",
    "prove_bptt",
    "prove_recurrent",
    "recurrent_forward",
    "recurrent_vjp",
    "recursion_vjp",
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
_tanh = np.frompyfunc(tanh, 1, 1)
_sigma = np.frompyfunc(sigma, 1, 1)
_exp = np.frompyfunc(sympy.exp, 1, 1)


def _gate_order(gate_order: Sequence[str]) -> tuple[str, ...]:
    order = tuple(gate_order)
    if sorted(order) != sorted(CS231N_GATE_ORDER):
        raise ValueError(
            "gate_order must be a permutation of ('i', 'f', 'o', 'g'), e.g. "
            f"{CS231N_GATE_ORDER} (CS231n) or {PYTORCH_GATE_ORDER} (PyTorch), got "
            f"{gate_order!r}"
        )
    return order


# --- definitions ------------------------------------------------------------------------


def rnn_step(x: Expr, prev_h: Expr, Wx: Expr, Wh: Expr, b: Expr) -> Expr:
    r""":math:`h_t = \tanh(x_t W_x + h_{t-1} W_h + b)`, shapes (N, D), (N, H) -> (N, H)."""
    return _tanh(x @ Wx + prev_h @ Wh + b)


def rnn(x: Expr, h0: Expr, Wx: Expr, Wh: Expr, b: Expr) -> Expr:
    """The RNN unrolled over the T steps of ``x`` (N, T, D): ``h`` (N, T, H)."""
    hs, prev_h = [], h0
    for t in range(x.shape[1]):
        prev_h = rnn_step(x[:, t], prev_h, Wx, Wh, b)
        hs.append(prev_h)
    return np.stack(hs, axis=1)


def _gates(a: Expr, order: tuple[str, ...]) -> dict[str, Expr]:
    blocks = dict(zip(order, np.split(a, 4, axis=1), strict=True))
    return {
        "i": _sigma(blocks["i"]),
        "f": _sigma(blocks["f"]),
        "o": _sigma(blocks["o"]),
        "g": _tanh(blocks["g"]),
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
    gate = _gates(x @ Wx + prev_h @ Wh + b, _gate_order(gate_order))
    next_c = gate["f"] * prev_c + gate["i"] * gate["g"]
    return gate["o"] * _tanh(next_c), next_c


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
                log_z = sympy.log(sympy.Add(*_exp(x[e, t])))
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


# --- the recursion (the textbook backward) -----------------------------------------------


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
    order = _gate_order(gate_order)
    gate = _gates(x @ Wx + prev_h @ Wh + b, order)
    i, f, o, g = gate["i"], gate["f"], gate["o"], gate["g"]
    tanh_c = _tanh(f * prev_c + i * g)
    dc = dnext_c + dnext_h * o * (1 - tanh_c**2)
    da = {
        "i": dc * g * i * (1 - i),
        "f": dc * prev_c * f * (1 - f),
        "o": dnext_h * tanh_c * o * (1 - o),
        "g": dc * i * (1 - g**2),
    }
    back = order if backward_order is None else _gate_order(backward_order)
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
        One of :data:`KINDS`.
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
            e_x = _exp(x[e, t])
            p = e_x / sympy.Add(*e_x)
            p[target] -= 1
            dx[e, t] = p * sympy.Integer(int(mask[e, t])) / x.shape[0] * dout
        return {"dx": dx}
    raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


# --- symbols, shapes ----------------------------------------------------------------------


def _symbols(name: str, shape: tuple[int, ...]) -> Expr:
    array = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        array[index] = sympy.Symbol(
            f"{name}_{{{','.join(map(str, index))}}}", real=True
        )
    return array


def _shapes(
    kind: str, n: int, t: int, d: int, h: int, v: int
) -> dict[str, tuple[int, ...]]:
    """Shapes of the differentiable inputs and of ``dout`` at these sizes."""
    gates = 4 if kind.startswith("lstm") else 1
    if kind in ("rnn_step", "lstm_step"):
        shapes: dict[str, tuple[int, ...]] = {"x": (n, d), "prev_h": (n, h)}
        if kind == "lstm_step":
            shapes["prev_c"] = (n, h)
        shapes |= {"Wx": (d, gates * h), "Wh": (h, gates * h), "b": (gates * h,)}
        return {**shapes, "dout": (n, h)}
    if kind in ("rnn", "lstm"):
        return {
            "x": (n, t, d),
            "h0": (n, h),
            "Wx": (d, gates * h),
            "Wh": (h, gates * h),
            "b": (gates * h,),
            "dout": (n, t, h),
        }
    if kind == "word_embedding":
        return {"W": (v, d), "dout": (n, t, d)}
    if kind == "temporal_affine":
        return {"x": (n, t, d), "w": (d, h), "b": (h,), "dout": (n, t, h)}
    return {"x": (n, t, v), "dout": ()}


def _output(kind: str, values: Mapping[str, Any], gate_order: Sequence[str]) -> Any:
    define = definition(kind)
    names = INPUTS[kind][0] + INPUTS[kind][1]
    args = [values[name] for name in names]
    if kind.startswith("lstm"):
        return define(*args, gate_order)
    return define(*args)


def _inner(out: Any, dout: Any) -> sympy.Expr:
    """:math:`\\langle \\bar{\\text{out}}, \\text{out} \\rangle`, whose gradient is the VJP."""
    if isinstance(out, tuple):
        return sympy.Add(*(_inner(o, g) for o, g in zip(out, dout, strict=True)))
    if isinstance(out, np.ndarray):
        return sympy.Add(*(out * dout).ravel())
    return out * dout


def _result_names(kind: str) -> dict[str, str]:
    """Input name to gradient name (``prev_h`` -> ``dprev_h``, ...)."""
    return {name: f"d{name}" for name in INPUTS[kind][0]}


def graph_gradient(
    scalar: sympy.Expr, variables: Sequence[sympy.Symbol]
) -> list[sympy.Expr]:
    r"""Direct derivatives of ``scalar`` by the chain rule on its expression graph.

    Forward mode over the graph (each distinct node once per variable): the sum,
    product and integer-power rules, and each function's declared derivative
    (``fdiff``: :math:`\sigma' = \sigma(1 - \sigma)`, :math:`\tanh' = 1 -
    \tanh^2`, :math:`\exp' = \exp`, :math:`\ln' u = 1/u`). It knows nothing of
    time steps or of BPTT: it differentiates the unrolled graph as it stands, as
    ``sympy.diff`` does, but without walking a shared subexpression once per
    path through it (which makes ``sympy.diff`` of an unrolled LSTM exponential
    in T; the two agree where ``sympy.diff`` finishes, see the tests).
    """
    order = topological_order([scalar])
    zero = sympy.S.Zero
    result = []
    for variable in variables:
        memo: dict[int, sympy.Expr] = {}
        for node in order:
            if node.is_Symbol:
                d = sympy.S.One if node == variable else zero
            elif node.is_Number or not node.args:
                d = zero
            elif node.is_Add:
                d = sympy.Add(*(memo[id(a)] for a in node.args))
            elif node.is_Mul:
                terms = []
                for position, arg in enumerate(node.args):
                    if memo[id(arg)] != 0:
                        others = node.args[:position] + node.args[position + 1 :]
                        terms.append(sympy.Mul(*others, memo[id(arg)]))
                d = sympy.Add(*terms)
            elif node.is_Pow and node.exp.is_Integer:
                d_base = memo[id(node.base)]
                d = (
                    zero
                    if d_base == 0
                    else node.exp * node.base ** (node.exp - 1) * d_base
                )
            elif node.is_Function and len(node.args) == 1:
                d_arg = memo[id(node.args[0])]
                d = zero if d_arg == 0 else node.fdiff(1) * d_arg
            else:
                raise TypeError(f"cannot differentiate {type(node).__name__} nodes")
            memo[id(node)] = d
        result.append(memo[id(scalar)])
    return result


# --- the fixed-size proof --------------------------------------------------------------------


@dataclass(frozen=True)
class FixedSizeProof:
    """Outcome of :func:`prove_recurrent`.

    Attributes
    ----------
    kind : str
    sizes : dict of str to int
        ``N``, ``T``, ``D``, ``H``, ``V`` as used.
    gate_order : tuple of str
    variant : str
        ``"correct"`` or the wrong recursion checked.
    proven : bool
        Every entry of the recursion equals the direct derivative at every point.
    entries : int
        Gradient entries compared.
    points : int
        Random points (each with its own interpretation of the functions).
    mismatches : tuple of str
        Entries that differ (empty when proven).
    seconds : float
    """

    kind: str
    sizes: dict[str, int]
    gate_order: tuple[str, ...]
    variant: str
    proven: bool
    entries: int
    points: int
    mismatches: tuple[str, ...]
    seconds: float


#: Wrong recursions the fixed-size proof refutes (kind: variants).
VARIANTS = {
    "rnn": ("correct", "forget_next"),
    "lstm": ("correct", "forget_next", "backward_gate_order"),
}


def prove_recurrent(
    kind: str,
    *,
    N: int = 2,
    T: int = 3,
    D: int = 2,
    H: int = 3,
    V: int = 4,
    gate_order: Sequence[str] = CS231N_GATE_ORDER,
    variant: str = "correct",
    points: int = 2,
    seed: int = 0,
) -> FixedSizeProof:
    r"""Prove the recursion of ``kind`` equal to direct differentiation at fixed sizes.

    The direct side is ``sympy.diff`` of :math:`\langle \bar{\text{out}},
    \text{out}\rangle` (the loss itself for ``"temporal_softmax_loss"``) with
    respect to every input entry, through the whole unrolled graph; the other
    side is :func:`recursion_vjp`. Both are evaluated exactly modulo
    :math:`2^{61} - 1` at ``points`` random points, the functions uninterpreted
    (a fresh interpretation per point); equal residues everywhere prove the
    identity except with probability about :math:`10^{-15}` (Schwartz–Zippel).

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    N, T, D, H, V : int
        Batch, steps, input width, hidden width (the temporal affine layer's
        output width M), vocabulary (the embedding's rows, the loss's classes).
    gate_order : sequence of str
        The LSTM's split of the pre-activation.
    variant : str, default "correct"
        A wrong recursion to refute (:data:`VARIANTS`): ``"forget_next"`` drops
        the gradient from step t + 1, ``"backward_gate_order"`` splits the
        backward in PyTorch's order when the forward used ``gate_order``
        (CS231n's by default).
    points : int, default 2
    seed : int, default 0
        Seeds the points, the indices, targets and mask.

    Returns
    -------
    FixedSizeProof
    """
    validate_choice("kind", kind, KINDS)
    sizes = {
        name: validate_int(name, value, 1)
        for name, value in (("N", N), ("T", T), ("D", D), ("H", H), ("V", V))
    }
    order = _gate_order(gate_order)
    validate_choice("variant", variant, VARIANTS.get(kind, ("correct",)))
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    shapes = _shapes(kind, N, T, D, H, V)
    values: dict[str, Any] = {
        name: _symbols(name, shape) for name, shape in shapes.items() if name != "dout"
    }
    if kind == "word_embedding":
        values["x"] = rng.integers(0, V, size=(N, T))
        values["x"].flat[-1] = values["x"].flat[0]  # a repeated word
    if kind == "temporal_softmax_loss":
        values["y"] = rng.integers(0, V, size=(N, T))
        values["mask"] = (rng.random((N, T)) < 0.7).astype(int)
        values["mask"].flat[0], values["mask"].flat[-1] = 1, 0
        dout: Any = sympy.Integer(1)
    elif kind == "lstm_step":
        dout = (_symbols("dnext_h", (N, H)), _symbols("dnext_c", (N, H)))
    else:
        dout = _symbols("dout", shapes["dout"])
    out = _output(kind, values, order)
    if kind == "lstm_step":
        out = tuple(out)
    scalar = out if kind == "temporal_softmax_loss" else _inner(out, dout)
    if kind in VARIANTS and variant != "correct":
        x, h0, Wx, Wh, b = (values[name] for name in INPUTS[kind][0])
        if kind == "rnn":
            recursion = rnn_vjp(dout, x, h0, Wx, Wh, b, carry=False)
        else:
            recursion = lstm_vjp(
                dout,
                x,
                h0,
                Wx,
                Wh,
                b,
                order,
                carry=variant != "forget_next",
                backward_order=PYTORCH_GATE_ORDER
                if variant == "backward_gate_order"
                else None,
            )
    else:
        recursion = recursion_vjp(kind, values, dout, gate_order=order)
    labels, variables, recursive = [], [], []
    for name, grad in _result_names(kind).items():
        for index in np.ndindex(*values[name].shape):
            labels.append(f"{grad}{list(index)}")
            variables.append(values[name][index])
            recursive.append(sympy.sympify(recursion[grad][index]))
    direct = graph_gradient(scalar, variables)
    program = ModularProgram([*direct, *recursive])
    # The free symbols, listed from the arrays that made them (walking the trees
    # for free_symbols would visit a shared subexpression once per path).
    upstream = dout if isinstance(dout, tuple) else (dout,)
    symbols = [
        s
        for array in (*values.values(), *upstream)
        if isinstance(array, np.ndarray) and array.dtype == object
        for s in array.ravel()
    ]
    draw = random.Random(seed)
    mismatches: set[str] = set()
    for _ in range(points):
        point = {s: draw.randrange(MODULUS) for s in symbols}
        residues = program(point, draw.randbytes(16))
        half = len(labels)
        mismatches |= {
            labels[k] for k in range(half) if residues[k] != residues[half + k]
        }
    return FixedSizeProof(
        kind=kind,
        sizes=sizes,
        gate_order=order,
        variant=variant,
        proven=not mismatches,
        entries=len(labels),
        points=points,
        mismatches=tuple(sorted(mismatches)),
        seconds=time.perf_counter() - start,
    )


# --- the every-size rows: the step of BPTT for symbolic widths ------------------------------------

i, j, k, p, q = (INDEX[name] for name in "ijkpq")
_H, _D = (sympy.Symbol(name, integer=True, positive=True) for name in ("H", "D"))
#: A second slack, for a parameter's row index in the range of another width.
_SLACK2 = sympy.Symbol("s'", integer=True, nonnegative=True)
_B = {
    name: base(name)
    for name in (
        "x",
        "h_{t-1}",
        "c_{t-1}",
        "W_x",
        "W_h",
        "b",
        r"\bar h_t",
        r"\bar c_t",
        r"\bar\ell_{t-1}",
        "u",
        "s",
    )
}
x_, hp, cp, Wx_, Wh_, b_ = (
    _B[n] for n in ("x", "h_{t-1}", "c_{t-1}", "W_x", "W_h", "b")
)
dh_, dc_, g_ = _B[r"\bar h_t"], _B[r"\bar c_t"], _B[r"\bar\ell_{t-1}"]
#: The LSTM's gate blocks: W_x^G, W_h^G, b^G for G in i, f, o, g.
_GATE_BASES = {
    gate: (base(f"W_x^{gate}"), base(f"W_h^{gate}"), base(f"b^{gate}"))
    for gate in "ifog"
}


def _pre(
    index: sympy.Expr, w_x: Any, w_h: Any, bias: Any, *, h_top: Any, x_top: Any
) -> Any:
    """:math:`a_{index} = \\sum_k x_k W_x[k, index] + \\sum_m h_m W_h[m, index] + b_{index}`."""
    m = sympy.Symbol("m", integer=True, nonnegative=True)
    return (
        sympy.Sum(x_[k] * w_x[k, index], (k, 0, x_top))
        + sympy.Sum(hp[m] * w_h[m, index], (m, 0, h_top))
        + bias[index]
    )


def _rnn_rows() -> list[Lemma]:
    def h(index: Any, *, h_top: Any = _H - 1, x_top: Any = _D - 1) -> Any:
        return tanh(_pre(index, Wx_, Wh_, b_, h_top=h_top, x_top=x_top))

    dtanh = lambda index, **kw: 1 - h(index, **kw) ** 2  # noqa: E731
    rows = [
        decide(
            "RNN base",
            "t = T: C depends on h_T only through its own term, so dC/dh_T = dh_T",
            r"\frac{\partial}{\partial h_{T,j}} \sum_i \bar h_{T,i} h_{T,i}",
            lambda: sympy.diff(
                sympy.Sum(dh_[i] * hp[i], (i, 0, j + SLACK)), hp[j]
            ).doit(),
            dh_[j],
            small={SLACK: 1},
            method="sympy.diff of the symbolic sum, doit",
            uses=("chain rule",),
        ),
        decide(
            "RNN step",
            "dC/dh_{t-1,j} = dl_{t-1,j} + sum_i dC/dh_{t,i} dh_{t,i}/dh_{t-1,j} "
            "= dl_{t-1,j} + sum_i W_h[j,i] (1 - h_{t,i}^2) dC/dh_{t,i}",
            r"\bar\ell_{t-1,j} + \sum_i \bar h_{t,i} "
            r"\frac{\partial h_{t,i}}{\partial h_{t-1,j}}",
            lambda: (
                g_[j]
                + sympy.Sum(
                    dh_[i] * sympy.diff(h(i, h_top=j + SLACK), hp[j]).doit(),
                    (i, 0, _H - 1),
                )
            ),
            g_[j]
            + sympy.Sum(Wh_[j, i] * dtanh(i, h_top=j + SLACK) * dh_[i], (i, 0, _H - 1)),
            small={_H: 2, SLACK: 1, j: 0},
            method="chain rule on the step's derivative (sympy.diff, doit)",
            uses=("chain rule",),
        ),
    ]
    shares: tuple[tuple[str, Any, dict[str, Any], Any], ...] = (
        ("RNN dWh", Wh_[p, q], {"h_top": p + _SLACK2}, hp[p]),
        ("RNN dWx", Wx_[p, q], {"x_top": p + _SLACK2}, x_[p]),
        ("RNN db", b_[q], {}, sympy.S.One),
    )
    for name, var, tops, factor in shares:

        def share(var: Any = var, tops: dict[str, Any] = tops) -> Any:
            return sympy.Sum(
                dh_[i] * sympy.diff(h(i, **tops), var).doit(), (i, 0, q + SLACK)
            ).doit()

        rows.append(
            decide(
                name,
                f"the step's share of dC/d{var}: sum_i dC/dh_(t,i) dh_(t,i)/d{var} "
                f"= (1 - h_(t,q)^2) dC/dh_(t,q) {factor}",
                rf"\sum_i \bar h_{{t,i}} \frac{{\partial h_{{t,i}}}}"
                rf"{{\partial {sympy.latex(var)}}}",
                share,
                dtanh(q, **tops) * dh_[q] * factor,
                small={SLACK: 1, _SLACK2: 1, _H: 2, _D: 2},
                method="chain rule on the step's derivative (sympy.diff, doit)",
                uses=("chain rule",),
            )
        )
    rows.append(
        decide(
            "RNN dx",
            "dC/dx_{t,j} = sum_i W_x[j,i] (1 - h_{t,i}^2) dC/dh_{t,i}",
            r"\sum_i \bar h_{t,i} \frac{\partial h_{t,i}}{\partial x_{t,j}}",
            lambda: sympy.Sum(
                dh_[i] * sympy.diff(h(i, x_top=j + SLACK), x_[j]).doit(), (i, 0, _H - 1)
            ),
            sympy.Sum(Wx_[j, i] * dtanh(i, x_top=j + SLACK) * dh_[i], (i, 0, _H - 1)),
            small={_H: 2, SLACK: 1, j: 0},
            method="chain rule on the step's derivative (sympy.diff, doit)",
            uses=("chain rule",),
        )
    )
    return rows


def _lstm_rows() -> list[Lemma]:
    u = _B["u"]  # the part of a pre-activation that does not depend on h_{t-1}

    def a(gate: str, index: Any, h_top: Any) -> Any:
        _, w_h, _bias = _GATE_BASES[gate]
        m = sympy.Symbol("m", integer=True, nonnegative=True)
        return (
            sympy.Sum(hp[m] * w_h[m, index], (m, 0, h_top))
            + u[index, "ifog".index(gate)]
        )

    def cell(index: Any, h_top: Any) -> tuple[Any, Any, Any, Any, Any, Any]:
        i_, f_, o_ = (sigma(a(gate, index, h_top)) for gate in "ifo")
        g = tanh(a("g", index, h_top))
        c = f_ * cp[index] + i_ * g
        return i_, f_, o_, g, c, o_ * tanh(c)

    def bars(index: Any, h_top: Any) -> dict[str, Any]:
        i_, f_, o_, g, c, _ = cell(index, h_top)
        dc = dc_[index] + dh_[index] * o_ * (1 - tanh(c) ** 2)
        return {
            "i": dc * g * i_ * (1 - i_),
            "f": dc * cp[index] * f_ * (1 - f_),
            "o": dh_[index] * tanh(c) * o_ * (1 - o_),
            "g": dc * i_ * (1 - g**2),
            "c": dc * f_,
        }

    top = _H - 1
    return [
        decide(
            "LSTM cell step",
            "dC/dc_{t-1,j} = sum_i (dC/dh_{t,i} dh_{t,i}/dc_{t-1,j} + dC/dc_{t,i} "
            "dc_{t,i}/dc_{t-1,j}) = (dc_t + dh_t o tanh'(c_t))_j f_j",
            r"\sum_i \bar h_{t,i} \frac{\partial h_{t,i}}{\partial c_{t-1,j}} + "
            r"\bar c_{t,i} \frac{\partial c_{t,i}}{\partial c_{t-1,j}}",
            lambda: sympy.Sum(
                dh_[i] * sympy.diff(cell(i, top)[5], cp[j])
                + dc_[i] * sympy.diff(cell(i, top)[4], cp[j]),
                (i, 0, j + SLACK),
            ).doit(),
            bars(j, top)["c"],
            small={SLACK: 1, _H: 2},
            method="chain rule on the step's derivative (sympy.diff, doit)",
            uses=("chain rule",),
        ),
        decide(
            "LSTM hidden step",
            "dC/dh_{t-1,j} = dl_{t-1,j} + sum_i sum_G W_h^G[j,i] abar^G_i, the gate "
            "gradients abar^G of the textbook backward",
            r"\bar\ell_{t-1,j} + \sum_i \bar h_{t,i} \frac{\partial h_{t,i}}"
            r"{\partial h_{t-1,j}} + \bar c_{t,i} \frac{\partial c_{t,i}}{\partial h_{t-1,j}}",
            lambda: (
                g_[j]
                + sympy.Sum(
                    dh_[i] * sympy.diff(cell(i, j + SLACK)[5], hp[j]).doit()
                    + dc_[i] * sympy.diff(cell(i, j + SLACK)[4], hp[j]).doit(),
                    (i, 0, top),
                )
            ),
            g_[j]
            + sympy.Sum(
                sum(
                    _GATE_BASES[gate][1][j, i] * bars(i, j + SLACK)[gate]
                    for gate in "ifog"
                ),
                (i, 0, top),
            ),
            small={_H: 2, SLACK: 1, j: 0},
            method="chain rule on the step's derivative (sympy.diff, doit)",
            uses=("chain rule",),
        ),
        decide(
            "LSTM gates dWh",
            "the step's share of dC/dW_h^G[p,q] = h_{t-1,p} abar^G_q for each gate G",
            r"\sum_i \bar h_{t,i} \frac{\partial h_{t,i}}{\partial W^G_{h,pq}} + "
            r"\bar c_{t,i} \frac{\partial c_{t,i}}{\partial W^G_{h,pq}}",
            lambda: sympy.ImmutableMatrix(
                [
                    sympy.Sum(
                        dh_[i]
                        * sympy.diff(
                            cell(i, p + _SLACK2)[5], _GATE_BASES[gate][1][p, q]
                        )
                        + dc_[i]
                        * sympy.diff(
                            cell(i, p + _SLACK2)[4], _GATE_BASES[gate][1][p, q]
                        ),
                        (i, 0, q + SLACK),
                    ).doit()
                    for gate in "ifog"
                ]
            ),
            sympy.ImmutableMatrix(
                [hp[p] * bars(q, p + _SLACK2)[gate] for gate in "ifog"]
            ),
            small={SLACK: 1, _SLACK2: 1},
            method="chain rule on the step's derivative (sympy.diff, doit)",
            uses=("chain rule",),
        ),
    ]


def _layer_rows() -> list[Lemma]:
    """The embedding, the temporal affine layer and the loss, for symbolic N, T, V."""
    n, t = (sympy.Symbol(name, integer=True, nonnegative=True) for name in "nt")
    big_n, big_t = (sympy.Symbol(name, integer=True, positive=True) for name in "NT")
    v, y = (sympy.Symbol(name, integer=True, nonnegative=True) for name in "vy")
    W, words, g = base("W"), base("x"), base(r"\bar{out}")
    x3, w, scores = base("x"), base("w"), base("s")
    mask, loss = base("m"), base(r"\ell")
    d = sympy.Symbol("d", integer=True, nonnegative=True)
    over_batch = ((n, 0, big_n - 1), (t, 0, big_t - 1))
    method = "sympy.diff of the symbolic sums, doit"
    log_z = sympy.log(sympy.Sum(sympy.exp(scores[k]), (k, 0, j + SLACK)))
    examples = p + SLACK + 1  # N, with the example p in range
    return [
        decide(
            "embedding dW",
            "dW_v = sum_{n,t} [x_{n,t} = v] dout_{n,t}: a repeated word's gradients add up",
            r"\frac{\partial}{\partial W_{v}} \sum_{n,t} \bar{out}_{n,t} W_{x_{n,t}}",
            lambda: sympy.diff(
                sympy.Sum(g[n, t] * W[words[n, t]], *over_batch), W[v]
            ).doit(),
            sympy.Sum(g[n, t] * sympy.KroneckerDelta(words[n, t], v), *over_batch),
            small={big_n: 2, big_t: 2},
            method=method,
            uses=("chain rule",),
        ),
        decide(
            "temporal affine dw",
            "each step's share of dw_pq is x_{n,t,p} dout_{n,t,q} (summed over n, t "
            "by weight sharing)",
            r"\frac{\partial}{\partial w_{pq}} \sum_{i} \bar{out}_{i} "
            r"\sum_d x_{d} w_{d i}",
            lambda: sympy.diff(
                sympy.Sum(
                    g[i] * sympy.Sum(x3[d] * w[d, i], (d, 0, p + SLACK)),
                    (i, 0, q + _SLACK2),
                ),
                w[p, q],
            ).doit(),
            x3[p] * g[q],
            small={SLACK: 1, _SLACK2: 1},
            method=method,
            uses=("chain rule",),
        ),
        decide(
            "loss dx",
            "d/ds_j (ln sum_k e^(s_k) - s_y) = softmax(s)_j - [j = y], for every V",
            r"\frac{\partial}{\partial s_{j}} \Bigl(\ln \sum_k e^{s_k} - s_y\Bigr)",
            lambda: sympy.diff(log_z - scores[y], scores[j]).doit(),
            sympy.exp(scores[j]) / log_z.args[0] - sympy.KroneckerDelta(j, y),
            small={SLACK: 1},
            method=method,
            uses=("chain rule",),
        ),
        decide(
            "loss weight",
            "L = (1/N) sum_{n,t} m_{n,t} l_{n,t}: dL/dl_{n,t} = m_{n,t}/N "
            "(summed over time, divided by N)",
            r"\frac{\partial}{\partial \ell_{pq}} \frac1N \sum_{n,t} m_{n,t} \ell_{n,t}",
            lambda: sympy.diff(
                sympy.Sum(
                    mask[n, t] * loss[n, t], (n, 0, p + SLACK), (t, 0, q + _SLACK2)
                )
                / examples,
                loss[p, q],
            ).doit(),
            mask[p, q] / examples,
            small={SLACK: 1, _SLACK2: 1},
            method=method,
            uses=("chain rule",),
        ),
    ]


def _argued(
    name: str,
    claim: str,
    statement: str,
    method: str,
    uses: tuple[str, ...],
    proven: bool,
) -> Lemma:
    return Lemma(
        name=name,
        claim=claim,
        statement=statement,
        kind="induction",
        proven=proven,
        method=method,
        uses=uses,
    )


@dataclass(frozen=True)
class BpttProof:
    """Outcome of :func:`prove_bptt`: the lemma table for every T and width.

    Attributes
    ----------
    lemmas : tuple of Lemma
    seconds : float
    """

    lemmas: tuple[Lemma, ...]
    seconds: float

    @property
    def proven(self) -> bool:
        """Whether every row holds (the chain rule taken as given)."""
        return all(lemma.proven for lemma in self.lemmas)

    def lemma(self, name: str) -> Lemma:
        """The row called ``name``."""
        for lemma in self.lemmas:
            if lemma.name == name:
                return lemma
        raise KeyError(f"no lemma {name!r}; rows: {[x.name for x in self.lemmas]}")

    def table(self) -> str:
        """The rows as text: name, status (assumed, proven, argued, FAILS), how."""
        width = max(len(lemma.name) for lemma in self.lemmas)
        lines = ["BPTT for every T and every width", f"{'row':{width}}  status   how"]
        for lemma in self.lemmas:
            status = {"assumption": "assumed", "induction": "argued"}.get(
                lemma.kind, "proven"
            )
            if not lemma.proven:
                status = "FAILS"
            lines.append(f"{lemma.name:{width}}  {status:7}  {lemma.method}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def prove_bptt(*, lstm: bool = True) -> BpttProof:
    r"""Prove the step of BPTT for symbolic widths and argue the induction on t.

    Rows (``decide`` of :mod:`spec.general_lemmas`: SymPy differentiates the step
    written with ``Sum`` over symbolic :math:`D, H`, and the difference with the
    recursion's formula simplifies to 0):

    - *RNN base*: :math:`\partial C / \partial h_T = \bar h_T`;
    - *RNN step*: :math:`\partial C/\partial h_{t-1} = \bar\ell_{t-1} +
      ((\partial C/\partial h_t) \odot (1 - h_t^2)) W_h^T`;
    - *RNN dWh, dWx, db, dx*: each step's share of the parameter gradients;
    - *LSTM cell step*, *LSTM hidden step*, *LSTM gates dWh*: the same for the
      LSTM, each gate's weights a separate block (the layout of the blocks in
      the 4H-wide arrays, i.e. the gate order, is proven at fixed sizes by
      :func:`prove_recurrent`);
    - *embedding dW*, *temporal affine dw*, *loss dx*, *loss weight*: the other
      layers for symbolic :math:`N, T, V` (repeated words add up; the loss is
      summed over time and divided by :math:`N`);
    - *weight sharing* (argued): a parameter used at every step gets the sum of
      the steps' shares (the chain rule through the copies :math:`\theta_t =
      \theta`);
    - *induction* (argued, not machine-checked): for every :math:`T` and
      :math:`t = T, \dots, 1`, the recursion's :math:`\bar h_t` is
      :math:`\partial C / \partial h_t` — base *RNN base*, step *RNN step*
      (:math:`C` depends on :math:`h_{t-1}` through its own term and otherwise
      only through :math:`h_t`, and for the LSTM through :math:`(h_t, c_t)`).

    Parameters
    ----------
    lstm : bool, default True
        Include the LSTM rows (slower: about a minute).

    Returns
    -------
    BpttProof
    """
    start = time.perf_counter()
    chain = Lemma(
        name="chain rule",
        claim="dC/du_j = sum_i dC/dv_i dv_i/du_j if C depends on u only through v",
        statement=r"\frac{\partial C}{\partial u_j} = \sum_i \frac{\partial C}"
        r"{\partial v_i} \frac{\partial v_i}{\partial u_j}",
        kind="assumption",
        proven=True,
        method="assumed, not proven here",
    )
    rows = [chain, *_rnn_rows()]
    if lstm:
        rows += _lstm_rows()
    rows += _layer_rows()
    proven = {lemma.name: lemma.proven for lemma in rows}
    step_rows = ("RNN base", "RNN step") + (
        ("LSTM cell step", "LSTM hidden step") if lstm else ()
    )
    share_rows = tuple(
        name for name in proven if name.startswith(("RNN d", "LSTM gates"))
    )
    rows.append(
        _argued(
            "weight sharing",
            "dC/dtheta = sum_t (step t's share), theta used by every step",
            r"\frac{\partial C}{\partial \theta} = \sum_t \frac{\partial C}"
            r"{\partial \theta_t}\Big|_{\theta_t = \theta}",
            "argued from the chain rule through the copies theta_t = theta",
            ("chain rule",),
            True,
        )
    )
    rows.append(
        _argued(
            "induction",
            "for every T and t = T, ..., 1 the recursion's dh_t (and dc_t) equal "
            "dC/dh_t (dC/dc_t); with weight sharing, the parameter gradients too",
            r"\forall T\ \forall t \le T:\ \bar h_t = \frac{\partial C}{\partial h_t}",
            "induction on T - t, argued from the rows (not machine-checked)",
            (*step_rows, *share_rows, "weight sharing"),
            all(proven[name] for name in (*step_rows, *share_rows)),
        )
    )
    return BpttProof(tuple(rows), time.perf_counter() - start)


# --- the oracle -----------------------------------------------------------------------------------


@cached(maxsize=64)
def _compiled(
    kind: str,
    shapes: tuple[tuple[str, tuple[int, ...]], ...],
    structure: tuple[tuple[str, bytes, tuple[int, ...]], ...],
    gate_order: tuple[str, ...],
) -> tuple[
    Callable[..., list[Any]],
    tuple[tuple[str, tuple[int, ...]], ...],
    tuple[tuple[str, tuple[int, ...]], ...],
]:
    symbols = {name: _symbols(name, shape) for name, shape in shapes}
    args = [s for name, _ in shapes for s in symbols[name].ravel()]
    values: dict[str, Any] = dict(symbols)
    for name, raw, shape in structure:
        values[name] = np.frombuffer(raw, dtype=np.int64).reshape(shape)
    if kind == "lstm_step":
        dout: Any = (values.pop("dnext_h"), values.pop("dnext_c"))
    elif kind == "temporal_softmax_loss":
        dout = values.pop("dout")[()]
    else:
        dout = values.pop("dout")
    grads = recursion_vjp(kind, values, dout, gate_order=gate_order)
    outputs = tuple((name, np.shape(grads[name])) for name in sorted(grads))
    exprs = [sympy.sympify(e) for name, _ in outputs for e in np.ravel(grads[name])]
    return mpmath_function(args, exprs), shapes, outputs


@cached(maxsize=32)
def _forward_compiled(
    kind: str,
    shapes: tuple[tuple[str, tuple[int, ...]], ...],
    structure: tuple[tuple[str, bytes, tuple[int, ...]], ...],
    gate_order: tuple[str, ...],
) -> tuple[Callable[..., list[Any]], list[tuple[int, ...]]]:
    values: dict[str, Any] = {name: _symbols(name, shape) for name, shape in shapes}
    for name, raw, shape in structure:
        values[name] = np.frombuffer(raw, dtype=np.int64).reshape(shape)
    out = _output(kind, values, gate_order)
    parts = out if isinstance(out, tuple) else (out,)
    args = [s for name, shape in shapes for s in values[name].ravel()]
    exprs = [sympy.sympify(e) for part in parts for e in np.ravel(part)]
    return mpmath_function(args, exprs), [np.shape(part) for part in parts]


def _prepare(
    kind: str, inputs: Mapping[str, Any], dout: Any, with_dout: bool
) -> tuple[list[tuple[str, NDArray]], list[tuple[str, NDArray]]]:
    validate_choice("kind", kind, KINDS)
    if not isinstance(inputs, Mapping):
        raise TypeError(
            f"inputs must be a dict by CS231n's names, got {type(inputs).__name__}"
        )
    differentiable, structural = INPUTS[kind]
    missing = [name for name in (*differentiable, *structural) if name not in inputs]
    if missing:
        raise ValueError(
            f"inputs of kind {kind!r} must hold {differentiable + structural}, missing {missing}"
        )
    real = []
    for name in differentiable:
        array = np.asarray(inputs[name])
        if array.dtype.kind not in "iuf":
            raise TypeError(
                f"inputs[{name!r}] must be a real array, got dtype {array.dtype}"
            )
        real.append((name, array.astype(np.float64)))
    ints = []
    for name in structural:
        array = np.asarray(inputs[name])
        if array.dtype.kind not in "biu":
            raise TypeError(
                f"inputs[{name!r}] must be an integer (or boolean) array, got dtype "
                f"{array.dtype}"
            )
        ints.append((name, array.astype(np.int64)))
    if with_dout:
        if kind == "lstm_step":
            dnext_h, dnext_c = dout
            real += [
                ("dnext_h", np.asarray(dnext_h, np.float64)),
                ("dnext_c", np.asarray(dnext_c, np.float64)),
            ]
        else:
            real.append(("dout", np.asarray(dout, np.float64)))
    return real, ints


def recurrent_vjp(
    kind: str, inputs: Mapping[str, Any], dout: Any, *, dps: int = 50, **hyper: Any
) -> dict[str, NDArray[np.float64]]:
    """The VJP of a recurrent layer from its proven recursion, in ``mpmath``.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    inputs : dict
        By CS231n's names: ``x, prev_h, Wx, Wh, b`` (``"rnn_step"``), ``x, h0,
        Wx, Wh, b`` (``"rnn"``, ``"lstm"``), ``x, prev_h, prev_c, Wx, Wh, b``
        (``"lstm_step"``), ``x`` (indices), ``W`` (``"word_embedding"``), ``x,
        w, b`` (``"temporal_affine"``), ``x, y, mask``
        (``"temporal_softmax_loss"``).
    dout
        The upstream gradient: ``(N, H)``; ``(dnext_h, dnext_c)`` for
        ``"lstm_step"``; ``(N, T, H)``, ``(N, T, D)`` or ``(N, T, M)`` for the
        sequence layers; the scalar upstream gradient (1.0) of the loss.
    dps : int, default 50
        Significant digits of the evaluation.
    **hyper
        ``gate_order`` for the LSTM kinds (CS231n's ``("i", "f", "o", "g")`` by
        default).

    Returns
    -------
    dict of str to ndarray of float64
        ``dx``, ``dprev_h``/``dh0``, ``dprev_c``, ``dWx``, ``dWh``, ``db``,
        ``dW``, ``dw`` as the kind has them.

    Examples
    --------
    >>> import numpy as np
    >>> grads = recurrent_vjp("temporal_softmax_loss",
    ...     {"x": np.zeros((1, 1, 2)), "y": np.array([[0]]), "mask": np.array([[1]])},
    ...     1.0)
    >>> grads["dx"].tolist()
    [[[-0.5, 0.5]]]
    """
    gate_order = _gate_order(hyper.pop("gate_order", CS231N_GATE_ORDER))
    if hyper:
        raise TypeError(f"unknown hyper-parameters for {kind!r}: {sorted(hyper)}")
    dps = validate_int("dps", dps, 16)
    real, ints = _prepare(kind, inputs, dout, with_dout=True)
    shapes = tuple((name, array.shape) for name, array in real)
    structure = tuple((name, array.tobytes(), array.shape) for name, array in ints)
    function, _, outputs = _compiled(kind, shapes, structure, gate_order)
    with mpmath.workdps(dps):
        args = [mpmath.mpf(float(v)) for _, array in real for v in array.ravel()]
        values = function(*args)
    result, position = {}, 0
    for name, shape in outputs:
        size = int(np.prod(shape))
        result[name] = np.array(
            [float(v) for v in values[position : position + size]], dtype=np.float64
        ).reshape(shape)
        position += size
    return result


def recurrent_forward(
    kind: str, inputs: Mapping[str, Any], *, dps: int = 50, **hyper: Any
) -> Any:
    """The forward value of a recurrent layer from its definition, in ``mpmath``.

    Returns the output array (float64), ``(next_h, next_c)`` for
    ``"lstm_step"``, the scalar loss for ``"temporal_softmax_loss"``.
    """
    gate_order = _gate_order(hyper.pop("gate_order", CS231N_GATE_ORDER))
    if hyper:
        raise TypeError(f"unknown hyper-parameters for {kind!r}: {sorted(hyper)}")
    real, ints = _prepare(kind, inputs, None, with_dout=False)
    shapes = tuple((name, array.shape) for name, array in real)
    structure = tuple((name, array.tobytes(), array.shape) for name, array in ints)
    function, parts = _forward_compiled(kind, shapes, structure, gate_order)
    with mpmath.workdps(validate_int("dps", dps, 16)):
        values = function(*(mpmath.mpf(float(v)) for _, a in real for v in a.ravel()))
    out, position = [], 0
    for shape in parts:
        size = int(np.prod(shape))
        out.append(
            np.array([float(v) for v in values[position : position + size]]).reshape(
                shape
            )
        )
        position += size
    if kind == "temporal_softmax_loss":
        return float(out[0])
    return tuple(out) if len(out) > 1 else out[0]
