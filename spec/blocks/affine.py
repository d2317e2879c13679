r"""The affine layer on N-d input and the ReLU, proven for every size.

Affine, with :math:`x` of shape :math:`(N, d_1, \dots, d_k)` read as
:math:`(N, D)`, :math:`D = d_1 \cdots d_k` (row-major, as ``x.reshape(N, -1)``:
a relabelling of the entries, so :math:`dx` is reshaped back to ``x.shape``),
:math:`w` of shape :math:`(D, M)`, :math:`b` of shape :math:`(M,)`:

.. math::

    \mathrm{out}_{n m} = \sum_{d} x_{n d} w_{d m} + b_m, \qquad
    dx_{n d} = \sum_{m} g_{n m} w_{d m}, \quad
    dw_{d m} = \sum_{n} x_{n d} g_{n m}, \quad
    db_m = \sum_{n} g_{n m}.

ReLU, entry by entry on any shape (read as a flat array of :math:`T` entries):
:math:`\mathrm{out}_t = \operatorname{relu}(x_t)`, :math:`dx_t = g_t H(x_t)`,
true wherever :math:`x_t \ne 0` (at :math:`x_t = 0` the oracle takes
:math:`H(0) = 0`, the subgradient CS231n's ``relu_backward`` gives).
"""

from __future__ import annotations

from typing import Any

import sympy

from spec.activations import relu, step
from spec.blocks.evaluate import Block, Formula, Prepared
from spec.blocks.proofs import (
    BlockProof,
    array,
    index,
    prove_symbolic,
    size,
    unslack,
    vjp_of,
)
from spec.blocks.validation import validate_array
from spec.caching import cached

__all__ = [
    "block",
    "forward",
    "prepare",
    "prove_affine",
    "prove_relu",
    "relu_block",
    "relu_forward",
    "relu_prepare",
    "relu_textbook",
    "textbook",
]

N, D, M, T = size("N"), size("D"), size("M"), size("T")
x, w, b, g = array("x"), array("w"), array("b"), array("g")
n, d, m, t = (index(s) for s in ("n", "d", "m", "t"))
n1, d1, m1, t1 = (index(s) for s in ("n'", "d'", "m'", "t'"))

_METHOD = (
    "sympy.diff of the definition, output sums done by doit, difference simplified to 0"
)


def forward() -> Formula:
    """The definition of the affine ``out``."""
    return Formula(
        "out", (n, m), (N, M), sympy.Sum(x[n, d] * w[d, m], (d, 0, D - 1)) + b[m]
    )


def textbook() -> dict[str, Formula]:
    """:math:`dx = g w^T`, :math:`dw = x^T g`, :math:`db = \\sum_n g`."""
    return {
        "dx": Formula(
            "dx", (n1, d1), (N, D), sympy.Sum(g[n1, m] * w[d1, m], (m, 0, M - 1))
        ),
        "dw": Formula(
            "dw", (d1, m1), (D, M), sympy.Sum(x[n, d1] * g[n, m1], (n, 0, N - 1))
        ),
        "db": Formula("db", (m1,), (M,), sympy.Sum(g[n, m1], (n, 0, N - 1))),
    }


_WRT = {"dx": x, "dw": w, "db": b}
_CLAIMS = {
    "dx": "dx = g w^T (then reshaped as x)",
    "dw": "dw = x^T g (x read as (N, D))",
    "db": "db = sum of g over the batch",
}


def prove_affine() -> tuple[BlockProof, ...]:
    """``dx``, ``dw``, ``db`` of the affine layer, for symbolic N, D, M."""
    rows = []
    for name, formula in textbook().items():

        def run(name: str = name, formula: Formula = formula) -> tuple[Any, Any]:
            derived, sizes = vjp_of(forward(), g, _WRT[name], formula)
            return derived, formula.expr.subs(sizes)

        rows.append(prove_symbolic("affine", name, _CLAIMS[name], run, _METHOD))
    return tuple(rows)


def _backward(
    out: Formula, formulas: dict[str, Formula], wrt: dict[str, sympy.IndexedBase]
) -> tuple[Formula, ...]:
    backward = []
    for name, formula in formulas.items():
        derived, sizes = vjp_of(out, g, wrt[name], formula)
        backward.append(
            Formula(name, formula.indices, formula.shape, unslack(derived, sizes))
        )
    return tuple(backward)


@cached(maxsize=8)
def block() -> Block:
    """The oracle's affine formulas: ``out`` and the derived gradients."""
    return Block(
        kind="affine",
        arrays={"x": x, "w": w, "b": b, "dout": g},
        scalars=(N, D, M),
        forward=forward(),
        backward=_backward(forward(), textbook(), _WRT),
    )


def prepare(inputs: dict[str, Any], dout: Any, hyper: dict[str, Any]) -> Prepared:
    """Validate the affine inputs, read ``x`` as (N, D)."""
    xs = validate_array(inputs, "x", None, "shape (N, d1, ..., dk)")
    if xs.ndim < 2:
        raise ValueError(
            f"inputs['x'] must have shape (N, d1, ..., dk) with k >= 1, got {xs.shape}"
        )
    flat = xs.reshape(xs.shape[0], -1)
    ws = validate_array(inputs, "w", 2, "shape (D, M)")
    bs = validate_array(inputs, "b", 1, "shape (M,)")
    if ws.shape[0] != flat.shape[1] or bs.shape != (ws.shape[1],):
        raise ValueError(
            f"inputs['w'] must have shape ({flat.shape[1]}, M) (D = the product of "
            f"x's trailing axes {xs.shape[1:]}) and inputs['b'] (M,), got {ws.shape} "
            f"and {bs.shape}"
        )
    arrays = {"x": flat, "w": ws, "b": bs}
    out_shape = (xs.shape[0], ws.shape[1])
    if dout is not None:
        arrays["dout"] = _upstream(dout, out_shape)
    return Prepared(
        arrays=arrays,
        numbers={N: flat.shape[0], D: flat.shape[1], M: ws.shape[1]},
        shapes={"dx": xs.shape, "dw": ws.shape, "db": bs.shape, "out": out_shape},
    )


def _upstream(dout: Any, shape: tuple[int, ...]) -> Any:
    array_ = validate_array({"dout": dout}, "dout", len(shape), f"shape {shape}")
    if array_.shape != shape:
        raise ValueError(
            f"dout must have shape {shape} (the output's), got {array_.shape}"
        )
    return array_


# -- ReLU -------------------------------------------------------------------------


def relu_forward() -> Formula:
    r""":math:`\mathrm{out}_t = \operatorname{relu}(x_t)` on the flat array."""
    return Formula("out", (t,), (T,), relu(x[t]))


def relu_textbook() -> dict[str, Formula]:
    r""":math:`dx_t = g_t H(x_t)`."""
    return {"dx": Formula("dx", (t1,), (T,), g[t1] * step(x[t1]))}


def prove_relu() -> tuple[BlockProof, ...]:
    """``dx`` of the ReLU, for every size, wherever no entry is 0."""

    def run() -> tuple[Any, Any]:
        formula = relu_textbook()["dx"]
        derived, sizes = vjp_of(relu_forward(), g, x, formula)
        return derived, formula.expr.subs(sizes)

    claim = "dx = g H(x) wherever x != 0 (relu' = H declared)"
    return (prove_symbolic("relu", "dx", claim, run, _METHOD),)


@cached(maxsize=8)
def relu_block() -> Block:
    """The oracle's ReLU formulas."""
    return Block(
        kind="relu",
        arrays={"x": x, "dout": g},
        scalars=(T,),
        forward=relu_forward(),
        backward=_backward(relu_forward(), relu_textbook(), {"dx": x}),
    )


def relu_prepare(inputs: dict[str, Any], dout: Any, hyper: dict[str, Any]) -> Prepared:
    """Validate the ReLU input, read it flat."""
    xs = validate_array(inputs, "x", None, "any shape")
    arrays = {"x": xs.ravel()}
    if dout is not None:
        arrays["dout"] = _upstream(dout, xs.shape).ravel()
    return Prepared(
        arrays=arrays, numbers={T: xs.size}, shapes={"dx": xs.shape, "out": xs.shape}
    )
