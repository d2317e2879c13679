r"""Identities about single expressions, proven by simplification.

:func:`prove_sigma_prime`: the declared :math:`\sigma' = \sigma(1 - \sigma)`
against the explicit sigmoid (the other activations' declarations are in
:mod:`spec.identities_activations`). :func:`prove_output_shortcut`: whether BP1
reduces to :math:`\delta^L = a^L - y` for a cost and output activation (true for
the cross-entropy on sigmoids and for the log-likelihood on softmax, false for the
quadratic cost on either, with its residual and a counterexample). All are small
enough for ``sympy.cancel`` and ``sympy.simplify``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sympy

from spec.activations import phi
from spec.costs import COSTS, output_gradient
from spec.layers import COST_OUTPUT, validate_activation, validate_combination
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
        try:
            left = float(lhs.xreplace(at).rewrite(sympy.exp))
            right = float(rhs.xreplace(at).rewrite(sympy.exp))
        except TypeError:  # no value there: ReLU's derivative at its kink z = 0
            continue
        if left != right:
            break
    return {"z": float(z_value), "y": float(y_value), "lhs": left, "rhs": right}


def _softmax_counterexample(
    z: list[sympy.Symbol], y: list[sympy.Symbol], lhs: sympy.Expr, rhs: sympy.Expr
) -> dict[str, float]:
    """Both sides at z = 0 with y the first class: a = 1/n, so a - y is simple."""
    at = {**dict.fromkeys(z, 0), **{t: int(i == 0) for i, t in enumerate(y)}}
    left = float(lhs.rewrite(sympy.exp).xreplace(at))
    right = float(rhs.rewrite(sympy.exp).xreplace(at))
    point = {str(u): float(v) for u, v in at.items()}
    return {**point, "lhs": left, "rhs": right}


def prove_output_shortcut(
    cost: str = "cross_entropy", n_L: int = 2, activation: str | None = None
) -> IdentityResult:
    r"""Decide whether BP1 reduces to :math:`\delta^L = a^L - y` for ``cost``.

    Builds BP1, :math:`\delta^L = (\partial a^L/\partial z^L)^T \nabla_a C` with
    :math:`a^L = \varphi_L(z^L)`, exactly as the recursion does, and simplifies
    :math:`\delta^L_i - (a^L_i - y_i)` as a rational function of the
    :math:`\varphi_L(z^L)` and :math:`y_i` (``sympy.cancel``, then ``factor``).

    For the cross-entropy on sigmoids the residual is 0: the shortcut is proven.
    For the quadratic cost it is :math:`(y_i - \sigma)(\sigma^2 - \sigma + 1)`;
    since :math:`\sigma^2 - \sigma + 1 > 0`, the shortcut fails wherever
    :math:`a^L_i \ne y_i`, and ``counterexample`` gives a point.

    For softmax the Jacobian :math:`\operatorname{diag}(a) - a a^T` gives
    :math:`\delta^L_i = a_i (g_i - \sum_k a_k g_k)`. With the log-likelihood,
    :math:`g = -y/a`, that is :math:`a_i \sum_k y_k - y_i`: the residual is
    :math:`a_i (\sum_k y_k - 1)`, 0 for targets that sum to 1 (a one-hot
    :math:`y`), which the proof imposes as :math:`y_{n-1} = 1 - \sum_{k<n-1}
    y_k`. With the quadratic cost the residual stays non-zero: at
    :math:`z = 0`, :math:`y = e_0`, BP1 gives :math:`-(n - 1)/n^2` where
    :math:`a_0 - y_0 = -(n - 1)/n`.

    Parameters
    ----------
    cost : {"cross_entropy", "quadratic", "log_likelihood"}, default "cross_entropy"
    n_L : int, default 2
        Output neurons; each component is decided separately.
    activation : str, optional
        :math:`\varphi_L`; by default the one the cost needs (sigmoid for the
        cross-entropy, softmax for the log-likelihood), else the sigmoid.

    Returns
    -------
    IdentityResult
        ``lhs`` holds :math:`\delta^L_i` from BP1, ``rhs`` :math:`a^L_i - y_i`.

    Raises
    ------
    ValueError
        For a combination of cost and activation that makes no sense.
    """
    validate_choice("cost", cost, COSTS)
    n_L = validate_int("n_L", n_L, 1)
    output = validate_activation(
        COST_OUTPUT.get(cost, "sigmoid") if activation is None else activation
    )
    validate_combination(cost, output)
    start = time.perf_counter()
    z = [symbol("z", "L", i) for i in range(n_L)]
    y = [symbol("y", None, i) for i in range(n_L)]
    a = phi(output, z)
    delta = bp1(output_gradient(cost, a, y), z, output)
    shortcut = [a_i - y_i for a_i, y_i in zip(a, y, strict=True)]
    # A softmax output is a distribution: the claim is for targets that are one.
    one_hot = {y[-1]: 1 - sympy.Add(*y[:-1])} if output == "softmax" else {}
    residuals = [
        sympy.factor(sympy.cancel((d - s).xreplace(one_hot)))
        for d, s in zip(delta, shortcut, strict=True)
    ]
    proven = all(r == 0 for r in residuals)
    if proven:
        counterexample = None
    elif output == "softmax":
        counterexample = _softmax_counterexample(z, y, delta[0], shortcut[0])
    else:
        counterexample = _numeric_counterexample(z[0], y[0], delta[0], shortcut[0])
    condition = " for targets that sum to 1" if one_hot else ""
    return IdentityResult(
        claim=(
            f"BP1 for the {cost} cost on {output} outputs gives delta^L = a^L - y"
            f"{condition}"
        ),
        proven=proven,
        method=(
            f"sympy.cancel of delta^L_i - (a^L_i - y_i) in {output}(z^L) and y_i"
            + (", with y_{n-1} = 1 - sum_{k<n-1} y_k" if one_hot else "")
        ),
        lhs=tuple(delta),
        rhs=tuple(shortcut),
        residuals=tuple(residuals),
        counterexample=counterexample,
        seconds=time.perf_counter() - start,
    )
