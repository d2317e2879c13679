r"""Identities about single expressions, proven by simplification.

:func:`prove_sigma_prime`: the declared :math:`\sigma' = \sigma(1 - \sigma)`
against the explicit sigmoid, and :func:`prove_derivative` each other
activation's declared derivative; :func:`prove_l2_term` the L2 term's gradient. :func:`prove_output_shortcut`: whether BP1
reduces to :math:`\delta^L = a^L - y` for a cost and output activation (true for
the cross-entropy on sigmoids and for the log-likelihood on softmax, false for the
quadratic cost on either, with its residual and a counterexample). All are small
enough for ``sympy.cancel`` and ``sympy.simplify``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import sympy

from spec.activations import ACTIVATIONS, phi, phi_prime, relu, tanh
from spec.costs import COSTS, L2_SYMBOL, l2_penalty, output_gradient
from spec.layers import COST_OUTPUT, validate_activation, validate_combination
from spec.network import symbolic_network
from spec.recursion import bp1
from spec.symbols import sigma, symbol
from spec.validation import validate_choice, validate_int

__all__ = [
    "IdentityResult",
    "prove_derivative",
    "prove_l2_term",
    "prove_output_shortcut",
    "prove_sigma_prime",
]


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


def _result(
    claim: str,
    method: str,
    lhs: Sequence[sympy.Expr],
    rhs: Sequence[sympy.Expr],
    residuals: Sequence[sympy.Expr],
    start: float,
) -> IdentityResult:
    return IdentityResult(
        claim=claim,
        proven=all(r == 0 for r in residuals),
        method=method,
        lhs=tuple(lhs),
        rhs=tuple(rhs),
        residuals=tuple(residuals),
        counterexample=None,
        seconds=time.perf_counter() - start,
    )


def _tanh(z: sympy.Symbol, start: float) -> IdentityResult:
    derivative = sympy.diff(tanh(z).rewrite(sympy.exp), z)
    declared = tanh(z).diff(z).rewrite(sympy.exp)
    return _result(
        "d/dz (e^z - e^-z)/(e^z + e^-z) = 1 - tanh(z)^2",
        "sympy.diff of the explicit form, then sympy.simplify of the difference",
        [derivative],
        [declared],
        [sympy.simplify(derivative - declared)],
        start,
    )


def _relu(z: sympy.Symbol, start: float) -> IdentityResult:
    derivative = sympy.diff(relu(z).rewrite(sympy.Max), z)
    declared = relu(z).diff(z)
    sides: list[tuple[sympy.Expr, sympy.Expr]] = []
    for case in (
        sympy.Symbol("z", positive=True),
        sympy.Symbol("z", negative=True),
    ):
        at = {z: case}
        left = derivative.xreplace(at).rewrite(sympy.Piecewise).doit()
        sides.append((sympy.simplify(left), declared.xreplace(at)))
    return _result(
        "d/dz max(z, 0) = H(z) for z != 0 (z > 0: both 1; z < 0: both 0)",
        "sympy.diff of max(z, 0), evaluated for a positive and a negative z",
        [left for left, _ in sides],
        [right for _, right in sides],
        [sympy.simplify(left - right) for left, right in sides],
        start,
    )


def _softmax(n_L: int, start: float) -> IdentityResult:
    z = [sympy.Symbol(f"z_{i}", real=True) for i in range(n_L)]
    a = phi("softmax", z)
    lhs, rhs = [], []
    for a_k in a:
        explicit = a_k.rewrite(sympy.exp)
        for z_i in z:
            lhs.append(sympy.diff(explicit, z_i))
            rhs.append(a_k.diff(z_i).rewrite(sympy.exp))
    return _result(
        f"d softmax_k / d z_i = a_k (delta_ki - a_i) for every k, i < {n_L}, i.e. "
        "the Jacobian diag(a) - a a^T",
        "sympy.diff of exp(z_k) / sum_j exp(z_j), then sympy.cancel of the "
        "difference (a rational function of the exp(z_j))",
        lhs,
        rhs,
        [sympy.cancel(left - right) for left, right in zip(lhs, rhs, strict=True)],
        start,
    )


def prove_derivative(activation: str, n_L: int = 3) -> IdentityResult:
    r"""Prove ``activation``'s declared derivative from its explicit formula.

    Parameters
    ----------
    activation : {"sigmoid", "tanh", "relu", "identity", "softmax"}
    n_L : int, default 3
        Width of the softmax layer whose Jacobian is proven entry by entry
        (ignored by the elementwise activations).

    Returns
    -------
    IdentityResult
        ``lhs`` the derivative of the explicit form, ``rhs`` the declared one
        (for ReLU one pair per case, :math:`z > 0` and :math:`z < 0`; for
        softmax one per Jacobian entry, row by row).

    Examples
    --------
    >>> prove_derivative("tanh").proven
    True
    >>> prove_derivative("relu").claim
    'd/dz max(z, 0) = H(z) for z != 0 (z > 0: both 1; z < 0: both 0)'
    """
    validate_choice("activation", activation, ACTIVATIONS)
    n_L = validate_int("n_L", n_L, 1)
    start = time.perf_counter()
    z = sympy.Symbol("z", real=True)
    if activation == "sigmoid":
        return prove_sigma_prime()
    if activation == "tanh":
        return _tanh(z, start)
    if activation == "relu":
        return _relu(z, start)
    if activation == "softmax":
        return _softmax(n_L, start)
    declared = phi_prime("identity", z)
    return _result(
        "d/dz z = 1",
        "sympy.diff",
        [sympy.diff(z, z)],
        [declared],
        [sympy.diff(z, z) - declared],
        start,
    )


def prove_l2_term(sizes: Sequence[int] = (2, 3, 2)) -> IdentityResult:
    r"""Prove that the L2 term adds :math:`\lambda w^l_{ij}` to each weight's gradient.

    Differentiates :math:`\tfrac{\lambda}{2} \sum_l \sum_{ij} (w^l_{ij})^2`
    (:func:`spec.costs.l2_penalty`) by every parameter of a network of ``sizes``
    and compares with :math:`\lambda w^l_{ij}` (weights) and 0 (biases: not
    decayed). Differentiation is linear, so the gradient of the regularised cost
    is BP4's plus this; ``spec.prove_backprop(..., l2=True)`` checks the sum.

    Parameters
    ----------
    sizes : sequence of int, default (2, 3, 2)

    Returns
    -------
    IdentityResult
        One pair per parameter, in :attr:`spec.SymbolicNetwork.parameters` order.
    """
    start = time.perf_counter()
    network = symbolic_network(sizes)
    penalty = l2_penalty(network.weights)
    decayed = {w_ij for w in network.weights for w_ij in w}
    lhs = [sympy.diff(penalty, p) for p in network.parameters]
    rhs = [L2_SYMBOL * p if p in decayed else sympy.S.Zero for p in network.parameters]
    return _result(
        f"d/dtheta (lambda/2) sum_l ||W^l||^2 = lambda w^l_ij for each weight and 0 "
        f"for each bias, sizes {list(network.sizes)}",
        "sympy.diff of the L2 term by every parameter, then sympy.expand",
        lhs,
        rhs,
        [sympy.expand(left - right) for left, right in zip(lhs, rhs, strict=True)],
        start,
    )
