r"""Identities about single expressions, proven by simplification.

:func:`prove_sigma_prime`: the declared :math:`\sigma' = \sigma(1 - \sigma)`
against the explicit sigmoid. :func:`prove_output_shortcut`: whether BP1 reduces to
:math:`\delta^L = a^L - y` for a cost (true for the cross-entropy, false for the
quadratic cost, with its residual). Both are small enough for ``sympy.cancel`` and
``sympy.simplify``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sympy

from spec.costs import COSTS, output_gradient
from spec.recursion import bp1
from spec.symbols import sigma, symbol
from spec.validation import validate_choice, validate_int

__all__ = ["IdentityResult", "prove_output_shortcut", "prove_sigma_prime"]


@dataclass(frozen=True)
class IdentityResult:
    """Outcome of :func:`prove_sigma_prime` and :func:`prove_output_shortcut`.

    Attributes
    ----------
    claim : str
    proven : bool
        Whether every residual simplified to 0.
    method : str
    lhs, rhs : tuple of sympy.Expr
        The two sides of the identity, one pair per component.
    residuals : tuple of sympy.Expr
        ``lhs - rhs`` simplified and factored: 0 where the identity holds.
    counterexample : dict of str to float or None
        When not proven: a point and the values of both sides there.
    seconds : float
    """

    claim: str
    proven: bool
    method: str
    lhs: tuple[sympy.Expr, ...]
    rhs: tuple[sympy.Expr, ...]
    residuals: tuple[sympy.Expr, ...]
    counterexample: dict[str, float] | None
    seconds: float

    def __str__(self) -> str:
        verdict = "proven" if self.proven else "FALSE"
        return f"{verdict}: {self.claim} (residual {self.residuals[0]})"


def prove_sigma_prime() -> IdentityResult:
    r"""Prove :math:`\sigma'(z) = \sigma(z)(1 - \sigma(z))` from the explicit form.

    Differentiates :math:`\sigma(z) = 1/(1 + e^{-z})` with ``sympy.diff`` and
    simplifies the difference to the declared derivative (``sigma.fdiff``, which
    both derivations of the gradients use) with both sides written in
    exponentials.

    Returns
    -------
    IdentityResult
        ``lhs`` is :math:`e^{-z}/(1 + e^{-z})^2`, ``rhs`` the declared
        :math:`\sigma(1 - \sigma)` in exponentials.
    """
    start = time.perf_counter()
    z = sympy.Symbol("z", real=True)
    derivative = sympy.diff(sigma(z).rewrite(sympy.exp), z)
    declared = sigma(z).diff(z).rewrite(sympy.exp)
    residual = sympy.simplify(derivative - declared)
    return IdentityResult(
        claim="d/dz 1/(1 + exp(-z)) = sigma(z) (1 - sigma(z))",
        proven=residual == 0,
        method="sympy.diff of the explicit form, then sympy.simplify of the difference",
        lhs=(derivative,),
        rhs=(declared,),
        residuals=(residual,),
        counterexample=None,
        seconds=time.perf_counter() - start,
    )


def _numeric_counterexample(
    z: sympy.Symbol, y: sympy.Symbol, lhs: sympy.Expr, rhs: sympy.Expr
) -> dict[str, float]:
    for z_value, y_value in ((0, 0), (1, 0), (-1, 1), (2, 1)):
        at = {z: z_value, y: y_value}
        left = float(lhs.xreplace(at).rewrite(sympy.exp))
        right = float(rhs.xreplace(at).rewrite(sympy.exp))
        if left != right:
            break
    return {"z": float(z_value), "y": float(y_value), "lhs": left, "rhs": right}


def prove_output_shortcut(cost: str = "cross_entropy", n_L: int = 2) -> IdentityResult:
    r"""Decide whether BP1 reduces to :math:`\delta^L = a^L - y` for ``cost``.

    Builds BP1, :math:`\delta^L_i = \partial C/\partial a^L_i\, \sigma'(z^L_i)` with
    :math:`a^L_i = \sigma(z^L_i)`, exactly as the recursion does, and simplifies
    :math:`\delta^L_i - (a^L_i - y_i)` as a rational function of
    :math:`\sigma(z^L_i)` and :math:`y_i` (``sympy.cancel``, then ``factor``).

    For the cross-entropy the residual is 0: the shortcut is proven. For the
    quadratic cost it is :math:`(y_i - \sigma)(\sigma^2 - \sigma + 1)`; since
    :math:`\sigma^2 - \sigma + 1 > 0`, the shortcut fails wherever
    :math:`a^L_i \ne y_i`, and ``counterexample`` gives a point.

    Parameters
    ----------
    cost : {"cross_entropy", "quadratic"}, default "cross_entropy"
    n_L : int, default 2
        Output neurons; each component is decided separately.

    Returns
    -------
    IdentityResult
        ``lhs`` holds :math:`\delta^L_i` from BP1, ``rhs`` :math:`a^L_i - y_i`.
    """
    validate_choice("cost", cost, COSTS)
    n_L = validate_int("n_L", n_L, 1)
    start = time.perf_counter()
    z = [symbol("z", "L", i) for i in range(n_L)]
    y = [symbol("y", None, i) for i in range(n_L)]
    a = [sigma(z_i) for z_i in z]
    delta = bp1(output_gradient(cost, a, y), z)
    shortcut = [a_i - y_i for a_i, y_i in zip(a, y, strict=True)]
    residuals = [
        sympy.factor(sympy.cancel(d - s)) for d, s in zip(delta, shortcut, strict=True)
    ]
    proven = all(r == 0 for r in residuals)
    return IdentityResult(
        claim=f"BP1 for the {cost} cost gives delta^L = a^L - y",
        proven=proven,
        method="sympy.cancel of delta^L_i - (a^L_i - y_i) in sigma(z^L_i) and y_i",
        lhs=tuple(delta),
        rhs=tuple(shortcut),
        residuals=tuple(residuals),
        counterexample=(
            None
            if proven
            else _numeric_counterexample(z[0], y[0], delta[0], shortcut[0])
        ),
        seconds=time.perf_counter() - start,
    )
