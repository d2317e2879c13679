r"""Inverted dropout with a given mask, proven for every size.

With a keep probability :math:`\kappa \in (0, 1]` and a mask :math:`\mu_t`,
usually in :math:`\{0, 1\}` (drawn elsewhere; here it is an input), on any shape
read flat:

.. math::

    \mathrm{out}_t = x_t \mu_t / \kappa, \qquad dx_t = g_t \mu_t / \kappa

in training; at test time :math:`\mathrm{out} = x` and :math:`dx = g` (the same
formulas with :math:`\mu = 1`, :math:`\kappa = 1`). ``keep`` is the probability
of *keeping* a unit, as CS231n's ``p`` (PyTorch's ``p`` is the probability of
dropping one).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

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
from spec.blocks.validation import validate_array, validate_number
from spec.caching import cached

__all__ = ["KEEP", "block", "forward", "prepare", "prove_dropout", "textbook"]

T = size("T")
#: The keep probability :math:`\kappa`.
KEEP = sympy.Symbol("kappa", positive=True)
x, mask, g = array("x"), array("mu"), array("g")
t, t1 = index("t"), index("t'")


def forward() -> Formula:
    r""":math:`\mathrm{out}_t = x_t \mu_t / \kappa`."""
    return Formula("out", (t,), (T,), x[t] * mask[t] / KEEP)


def textbook() -> dict[str, Formula]:
    r""":math:`dx_t = g_t \mu_t / \kappa`."""
    return {"dx": Formula("dx", (t1,), (T,), g[t1] * mask[t1] / KEEP)}


def prove_dropout() -> tuple[BlockProof, ...]:
    """``dx`` of inverted dropout, for every size, mask and keep probability."""

    def run() -> tuple[Any, Any]:
        formula = textbook()["dx"]
        derived, sizes = vjp_of(forward(), g, x, formula)
        return derived, formula.expr.subs(sizes)

    method = (
        "sympy.diff of the definition, sums done by doit, difference simplified to 0"
    )
    return (prove_symbolic("dropout", "dx", "dx = g mask / keep", run, method),)


@cached(maxsize=8)
def block() -> Block:
    """The oracle's dropout formulas."""
    formula = textbook()["dx"]
    derived, sizes = vjp_of(forward(), g, x, formula)
    return Block(
        kind="dropout",
        arrays={"x": x, "mask": mask, "dout": g},
        scalars=(T, KEEP),
        forward=forward(),
        backward=(
            Formula("dx", formula.indices, formula.shape, unslack(derived, sizes)),
        ),
    )


def prepare(inputs: dict[str, Any], dout: Any, hyper: dict[str, Any]) -> Prepared:
    """Validate ``x``, ``mask`` (shaped as x), ``keep`` in (0, 1], ``train``.

    The mask is usually 0/1; any real mask is accepted (the formulas and their
    proof hold for every mask), so a mask that already holds the 1/keep scaling
    is evaluated as given, with ``keep=1``.
    """
    xs = validate_array(inputs, "x", None, "any shape")
    train = hyper.get("train", True)
    if not isinstance(train, (bool, np.bool_)):
        raise TypeError(f"train must be a bool, got {train!r}")
    if train:
        if "mask" not in hyper or "keep" not in hyper:
            raise ValueError("dropout in training needs mask= and keep=")
        keep = validate_number("keep", hyper["keep"], low=0.0, high=1.0, open_low=True)
        mask_ = validate_array({"mask": hyper["mask"]}, "mask", None, "shaped as x")
        if mask_.shape != xs.shape:
            raise ValueError(
                f"mask must have x's shape {xs.shape}, got shape {mask_.shape}"
            )
    else:
        keep, mask_ = 1.0, np.ones(xs.shape)
    arrays = {"x": xs.ravel(), "mask": mask_.ravel()}
    if dout is not None:
        upstream = validate_array({"dout": dout}, "dout", xs.ndim, f"shape {xs.shape}")
        if upstream.shape != xs.shape:
            raise ValueError(f"dout must have shape {xs.shape}, got {upstream.shape}")
        arrays["dout"] = upstream.ravel()
    return Prepared(
        arrays=arrays,
        numbers={T: xs.size, KEEP: keep},
        shapes={"dx": xs.shape, "out": xs.shape},
    )
