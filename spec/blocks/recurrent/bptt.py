r"""BPTT proven: the recursion of :mod:`spec.blocks.recurrent` against direct differentiation.

Two proofs, as for the fully connected network (:func:`spec.prove_backprop`,
:func:`spec.prove_general`):

- :func:`prove_recurrent`, at fixed sizes, every layer: the unrolled graph is
  differentiated directly (:func:`graph_gradient`, every entry of every input,
  knowing nothing of time steps), the recursion
  (:func:`spec.blocks.recurrent.recursion_vjp`) is built symbolically, and the
  two are compared by exact evaluation modulo :math:`p = 2^{61} - 1` with
  :math:`\sigma`, :math:`\tanh`, :math:`\exp` and :math:`\ln` uninterpreted
  (:mod:`spec.modular`): an identity that holds for every interpretation of the
  functions holds for the real ones.
- :func:`prove_bptt`, for every :math:`T` and every width: the step of the
  recursion for symbolic widths (``sympy.Sum`` over symbolic bounds, the lemma
  machinery of :mod:`spec.general.lemmas`), the other layers for symbolic
  :math:`N, T, V`, and the induction on :math:`t` argued from those rows.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from spec.blocks.recurrent.definitions import (
    CS231N_GATE_ORDER,
    INPUTS,
    KINDS,
    PYTORCH_GATE_ORDER,
    validate_gate_order,
)
from spec.blocks.recurrent.recursion import (
    forward_expression,
    lstm_vjp,
    recursion_vjp,
    rnn_vjp,
    symbol_array,
)
from spec.graph import topological_order
from spec.modular import MODULUS, ModularProgram
from spec.validation import validate_choice, validate_int

__all__ = [
    "BPTT_VARIANTS",
    "VARIANTS",
    "FixedSizeProof",
    "graph_gradient",
    "prove_recurrent",
]


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


#: Wrong recursions :func:`prove_bptt` refutes, each at the row it breaks.
BPTT_VARIANTS = ("correct", "forget_next", "forget_upstream", "dprev_c_without_f")
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

    The direct side differentiates :math:`\langle \bar{\text{out}},
    \text{out}\rangle` (the loss itself for ``"temporal_softmax_loss"``) with
    respect to every input entry, through the whole unrolled graph
    (:func:`graph_gradient`, checked against ``sympy.diff`` in the tests); the
    other side is :func:`spec.blocks.recurrent.recursion_vjp`. Both are
    evaluated exactly modulo
    :math:`2^{61} - 1` at ``points`` random points, the functions uninterpreted
    (a fresh interpretation per point); equal residues everywhere prove the
    identity except with probability about :math:`10^{-15}` (Schwartz–Zippel).

    Parameters
    ----------
    kind : str
        One of :data:`spec.blocks.recurrent.definitions.KINDS`.
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
    order = validate_gate_order(gate_order)
    validate_choice("variant", variant, VARIANTS.get(kind, ("correct",)))
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    shapes = _shapes(kind, N, T, D, H, V)
    values: dict[str, Any] = {
        name: symbol_array(name, shape)
        for name, shape in shapes.items()
        if name != "dout"
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
        dout = (symbol_array("dnext_h", (N, H)), symbol_array("dnext_c", (N, H)))
    else:
        dout = symbol_array("dout", shapes["dout"])
    out = forward_expression(kind, values, order)
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
