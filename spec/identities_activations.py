r"""Each activation's declared derivative proven from its explicit formula, and the
gradient of the L2 term.

:func:`prove_derivative` checks the ``fdiff`` every derivation uses
(:mod:`spec.activations`) against ``sympy.diff`` of the explicit form:

- sigmoid: :math:`\sigma' = \sigma(1 - \sigma)` (:func:`spec.prove_sigma_prime`);
- tanh: :math:`\frac{d}{dz} \frac{e^z - e^{-z}}{e^z + e^{-z}} = 1 - \tanh^2 z`;
- ReLU: :math:`\frac{d}{dz} \max(z, 0) = H(z)` for :math:`z \ne 0`, by its two
  cases :math:`z > 0` and :math:`z < 0` (at 0 there is no derivative);
- identity: :math:`\frac{d}{dz} z = 1`;
- softmax: :math:`\frac{\partial}{\partial z_i} \frac{e^{z_k}}{\sum_j e^{z_j}} =
  a_k(\delta_{ki} - a_i)`, every entry of the Jacobian
  :math:`\operatorname{diag}(a) - a a^T`.

:func:`prove_l2_term`: the L2 term :math:`\tfrac{\lambda}{2} \sum_l \lVert W^l
\rVert^2` adds :math:`\lambda w^l_{ij}` to each weight's gradient and nothing to a
bias's (the fixed-size proofs with ``l2=True`` then check BP4 with it).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import sympy

from spec.activations import ACTIVATIONS, phi, phi_prime, relu, tanh
from spec.costs import L2_SYMBOL, l2_penalty
from spec.identities import IdentityResult, prove_sigma_prime
from spec.network import symbolic_network
from spec.validation import validate_choice, validate_int

__all__ = ["prove_derivative", "prove_l2_term"]


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
