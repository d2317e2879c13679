r"""The 2-d convolution (NCHW, stride and zero padding per axis), proven for every size.

Forward, with :math:`x` of shape :math:`(N, C, H, W)`, :math:`w` of shape
:math:`(F, C, H_K, W_K)`, stride :math:`(s_h, s_w)` and padding
:math:`(p_h, p_w)`:

.. math::

    \mathrm{out}_{n f i k} = \sum_{c, a, b} w_{f c a b}\,
    \tilde x_{n c,\, s_h i + a,\, s_w k + b} + b_f, \qquad
    \tilde x_{n c r t} = \sum_{h, v} x_{n c h v}\,
    \delta_{r,\, h + p_h}\, \delta_{t,\, v + p_w}

(the zero-padded input as a sum, so that padding is part of the definition),
:math:`0 \le i < H'`, :math:`0 \le k < W'`,
:math:`H' = 1 + \lfloor (H + 2 p_h - H_K) / s_h \rfloor`.

Backward, each proven equal to the derivative for symbolic sizes, strides and
paddings (:func:`prove_convolution`):

- :math:`dx_{n c q u} = \sum_{f, i, k} g_{n f i k}\, w_{f c,\, q + p_h - s_h i,\,
  u + p_w - s_w k}\, [0 \le q + p_h - s_h i < H_K]\, [0 \le u + p_w - s_w k < W_K]`;
- the same, as a learner writes it: the upstream gradient with :math:`s - 1`
  zeros inserted between entries (:math:`\hat g_{n f r t} = \sum_{i,k} g_{n f i
  k} \delta_{r, s_h i} \delta_{t, s_w k}`), padded by :math:`H_K - 1 - p_h`,
  correlated with the kernel flipped on both spatial axes;
- :math:`dw_{f c a b} = \sum_{n, i, k} g_{n f i k}\, \tilde x_{n c,\, s_h i + a,\,
  s_w k + b}` (the padded input correlated with the upstream gradient);
- :math:`db_f = \sum_{n, i, k} g_{n f i k}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy

from spec.blocks.evaluate import Block, Formula, Prepared
from spec.blocks.proofs import (
    BlockProof,
    array,
    as_single_sum,
    index,
    prove_symbolic,
    size,
    sum_over,
    unslack,
    vjp_of,
)
from spec.blocks.validation import validate_array, validate_pair
from spec.caching import cached

__all__ = [
    "SYMBOLS",
    "block",
    "forward",
    "prepare",
    "prove_convolution",
    "textbook",
]

N, C, H, W, F = (size(s) for s in ("N", "C", "H", "W", "F"))
HK, WK, OH, OW = (size(s) for s in ("H_K", "W_K", "H'", "W'"))
S_H, S_W = size("s_h"), size("s_w")
P_H, P_W = index("p_h"), index("p_w")
x, w, b, g = array("x"), array("w"), array("b"), array("g")
n, c, f, i, k, a, e, h, v = (
    index(s) for s in ("n", "c", "f", "i", "k", "a", "e", "h", "v")
)
# Free indices of the gradients (an entry of x, w or b).
n1, c1, q1, u1, f1, a1, b1 = (
    index(s) for s in ("n'", "c'", "q", "u", "f'", "a'", "e'")
)

#: Every symbol of the formulas, by name.
SYMBOLS = {str(s): s for s in (N, C, H, W, F, HK, WK, OH, OW, S_H, S_W, P_H, P_W)}
_SCALARS = (N, C, H, W, F, HK, WK, OH, OW, S_H, S_W, P_H, P_W)


def padded(nn: Any, cc: Any, r: Any, t: Any) -> sympy.Expr:
    r"""The zero-padded input :math:`\tilde x_{n c r t}`, as a sum (the definition)."""
    return sympy.Sum(
        x[nn, cc, h, v]
        * sympy.KroneckerDelta(r, h + P_H)
        * sympy.KroneckerDelta(t, v + P_W),
        (h, 0, H - 1),
        (v, 0, W - 1),
    )


def _reduce_padding(expr: sympy.Expr) -> sympy.Expr:
    # The padding sums done (their deltas have coefficient 1 in h and v).
    def reduce(node: sympy.Sum) -> sympy.Expr:
        inner = node.function
        for variable, lo, hi in node.limits:
            inner = sum_over(inner, variable, lo, hi)
        return inner

    return expr.replace(
        lambda node: (
            isinstance(node, sympy.Sum) and {lim[0] for lim in node.limits} == {h, v}
        ),
        reduce,
    )


def forward() -> Formula:
    """The definition of ``out`` (padding as a sum)."""
    expr = (
        sympy.Sum(
            w[f, c, a, e] * padded(n, c, S_H * i + a, S_W * k + e),
            (c, 0, C - 1),
            (a, 0, HK - 1),
            (e, 0, WK - 1),
        )
        + b[f]
    )
    return Formula("out", (n, f, i, k), (N, F, OH, OW), expr)


def textbook() -> dict[str, Formula]:
    """The backward formulas a learner writes (see the module docstring)."""
    reduced = sympy.Sum(
        g[n1, f, i, k]
        * sympy.Piecewise(
            (
                w[f, c1, q1 + P_H - S_H * i, u1 + P_W - S_W * k],
                sympy.And(
                    q1 + P_H - S_H * i >= 0,
                    q1 + P_H - S_H * i <= HK - 1,
                    u1 + P_W - S_W * k >= 0,
                    u1 + P_W - S_W * k <= WK - 1,
                ),
            ),
            (0, True),
        ),
        (f, 0, F - 1),
        (i, 0, OH - 1),
        (k, 0, OW - 1),
    )
    # Zero insertion then full correlation with the flipped kernel: the summand
    # is w[f, c, H_K-1-a, W_K-1-e] * ghat[n, f, q + a - (H_K-1-p_h), ...].
    zero_inserted = sympy.Sum(
        w[f, c1, HK - 1 - a, WK - 1 - e]
        * g[n1, f, i, k]
        * sympy.KroneckerDelta(q1 + a - (HK - 1 - P_H), S_H * i)
        * sympy.KroneckerDelta(u1 + e - (WK - 1 - P_W), S_W * k),
        (i, 0, OH - 1),
        (k, 0, OW - 1),
        (a, 0, HK - 1),
        (e, 0, WK - 1),
        (f, 0, F - 1),
    )
    padded_x = sympy.Piecewise(
        (
            x[n, c1, S_H * i + a1 - P_H, S_W * k + b1 - P_W],
            sympy.And(
                S_H * i + a1 - P_H >= 0,
                S_H * i + a1 - P_H <= H - 1,
                S_W * k + b1 - P_W >= 0,
                S_W * k + b1 - P_W <= W - 1,
            ),
        ),
        (0, True),
    )
    dw = sympy.Sum(
        g[n, f1, i, k] * padded_x, (n, 0, N - 1), (i, 0, OH - 1), (k, 0, OW - 1)
    )
    db = sympy.Sum(g[n, f1, i, k], (n, 0, N - 1), (i, 0, OH - 1), (k, 0, OW - 1))
    return {
        "dx": Formula("dx", (n1, c1, q1, u1), (N, C, H, W), reduced),
        "dx (zero-inserted, flipped)": Formula(
            "dx", (n1, c1, q1, u1), (N, C, H, W), zero_inserted
        ),
        "dw": Formula("dw", (f1, c1, a1, b1), (F, C, HK, WK), dw),
        "db": Formula("db", (f1,), (F,), db),
    }


_WRT = {"dx": x, "dw": w, "db": b}


def _derived(name: str, formula: Formula) -> tuple[sympy.Expr, dict[Any, Any]]:
    """The VJP derived from the definition, sizes in the slack form of the indices."""
    return vjp_of(forward(), g, _WRT[name], formula, _reduce_padding)


def _zero_inserted(formula: Formula) -> sympy.Expr:
    """The zero-inserted form with the kernel sums done first (coefficient 1)."""
    whole = as_single_sum(formula.expr)
    summand = whole.function
    # Exchange: sum over the kernel offsets a and e (coefficient 1 in the
    # deltas) first; the deltas' strided sides, s_h i and s_w k, are never
    # summed over (finite sums over a box commute).
    for variable, lo, hi in whole.limits:
        if variable in (a, e):
            summand = sum_over(summand, variable, lo, hi)
    kept = [limit for limit in whole.limits if limit[0] not in (a, e)]
    return sympy.Sum(summand, *kept) if kept else summand


@cached(maxsize=8)
def block() -> Block:
    """The oracle's formulas: ``out`` and the derived ``dx``, ``dw``, ``db``."""
    out = forward()
    backward = []
    for name, formula in textbook().items():
        if name not in _WRT:
            continue
        derived, sizes = _derived(name, formula)
        backward.append(
            Formula(name, formula.indices, formula.shape, unslack(derived, sizes))
        )
    return Block(
        kind="convolution",
        arrays={"x": x, "w": w, "b": b, "dout": g},
        scalars=_SCALARS,
        forward=Formula(out.name, out.indices, out.shape, _reduce_padding(out.expr)),
        backward=tuple(backward),
    )


def prove_convolution(
    formulas: Mapping[str, Formula] | None = None,
) -> tuple[BlockProof, ...]:
    """Every gradient of the convolution, for symbolic sizes, strides and paddings.

    Parameters
    ----------
    formulas : mapping of str to Formula, optional
        Backward formulas to prove, by the names of :func:`textbook` (whose
        formulas are the default); a wrong one (a kernel not flipped, a sum
        over the batch missing) is reported as not proven.

    Returns
    -------
    tuple of BlockProof
        One row per formula.
    """
    formulas = textbook() if formulas is None else dict(formulas)
    method = (
        "sympy.diff of the definition, output sums done by doit (deltas summed "
        "only over indices of coefficient 1), Piecewise conditions canonical, "
        "difference simplified to 0"
    )
    rows = []

    def derived_and(name: str, prepare: Any = None) -> Any:
        def run() -> tuple[sympy.Expr, sympy.Expr]:
            formula = formulas[name]
            derived, sizes = _derived(name.split(" ")[0], formula)
            textbook_side = formula.expr.subs(sizes)
            if prepare is not None:
                textbook_side = prepare(
                    Formula(name, formula.indices, formula.shape, textbook_side)
                )
            return derived, textbook_side

        return run

    claims = {
        "dx": "dx = sum_f,i,k g w[q + p_h - s_h i, u + p_w - s_w k] on the kernel's range",
        "dx (zero-inserted, flipped)": (
            "dx = the upstream gradient, s-1 zeros inserted and padded by K-1-p, "
            "correlated with the flipped kernel"
        ),
        "dw": "dw = the padded input correlated with the upstream gradient (stride s)",
        "db": "db = sum of the upstream gradient over n, i, k",
    }
    for name in formulas:
        prepare = _zero_inserted if name.startswith("dx (") else None
        rows.append(
            prove_symbolic(
                "convolution",
                name,
                claims.get(name, name),
                derived_and(name, prepare),
                method
                + (
                    "; zero-inserted sum exchanged to sum the kernel index first"
                    if prepare
                    else ""
                ),
            )
        )
    return tuple(rows)


def prepare(inputs: dict[str, Any], dout: Any, hyper: dict[str, Any]) -> Prepared:
    """Validate the inputs and bind every size of the formulas."""
    xs = validate_array(inputs, "x", 4, "shape (N, C, H, W)")
    ws = validate_array(inputs, "w", 4, "shape (F, C, H_K, W_K)")
    bs = validate_array(inputs, "b", 1, "shape (F,)")
    stride = validate_pair("stride", hyper.get("stride", 1), 1)
    padding = validate_pair("padding", hyper.get("padding", 0), 0)
    n_, c_, h_, w_ = xs.shape
    f_, c2, hk, wk = ws.shape
    if c2 != c_ or bs.shape != (f_,):
        raise ValueError(
            f"inputs['w'] must have shape (F, {c_}, H_K, W_K) and inputs['b'] (F,), "
            f"got {ws.shape} and {bs.shape}"
        )
    oh = 1 + (h_ + 2 * padding[0] - hk) // stride[0]
    ow = 1 + (w_ + 2 * padding[1] - wk) // stride[1]
    if hk > h_ + 2 * padding[0] or wk > w_ + 2 * padding[1]:
        raise ValueError(
            f"the kernel {hk}x{wk} must fit the padded input "
            f"{h_ + 2 * padding[0]}x{w_ + 2 * padding[1]}"
        )
    arrays = {"x": xs, "w": ws, "b": bs}
    if dout is not None:
        arrays["dout"] = validate_array(
            {"dout": dout}, "dout", 4, f"shape ({n_}, {f_}, {oh}, {ow})"
        )
        if arrays["dout"].shape != (n_, f_, oh, ow):
            raise ValueError(
                f"dout must have shape {(n_, f_, oh, ow)} (the output's), got "
                f"{arrays['dout'].shape}"
            )
    values = (n_, c_, h_, w_, f_, hk, wk, oh, ow, *stride, *padding)
    return Prepared(
        arrays=arrays,
        numbers=dict(zip(_SCALARS, values, strict=True)),
        shapes={
            "dx": xs.shape,
            "dw": ws.shape,
            "db": bs.shape,
            "out": (n_, f_, oh, ow),
        },
    )
