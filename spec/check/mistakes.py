r"""The catalogue of known backpropagation mistakes, each an alternative derivation.

Each entry of :data:`MISTAKES` is a :class:`Mistake`: a name, the equation it
breaks, the line of the derivation it gets wrong, and a
:class:`~spec.check.derivation.Derivation` with that one line replaced. The
diagnosis (:mod:`spec.check.diagnosis`) evaluates every entry on every case of the
battery and names the one that the failing gradient equals everywhere.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import NDArray

from spec.check.derivation import Derivation, Gradient, sigmoid, sigmoid_prime

__all__ = ["MISTAKES", "Mistake"]


@dataclasses.dataclass(frozen=True)
class Mistake:
    """A known mistake: where it is, what it gets wrong, and its derivation.

    Attributes
    ----------
    name : str
        Identifier, e.g. ``"bp2_no_transpose"``.
    equation : str
        The equation it breaks: ``"BP1"`` … ``"BP4"``, or ``"return"``.
    title : str
        What is wrong, in words.
    breaks : str
        The line of the derivation it gets wrong, as it should read.
    derivation : Derivation
        The derivation with the mistake applied.
    """

    name: str
    equation: str
    title: str
    breaks: str
    derivation: Derivation


class _NoTranspose(Derivation):
    def bp2(
        self,
        w_next: NDArray,
        delta_next: NDArray,
        z: NDArray,
        a: NDArray,
        z_next: NDArray,
    ) -> NDArray:
        return (delta_next @ w_next.T) * sigmoid_prime(z)


class _Bp2SigmaForSigmaPrime(Derivation):
    def bp2(
        self,
        w_next: NDArray,
        delta_next: NDArray,
        z: NDArray,
        a: NDArray,
        z_next: NDArray,
    ) -> NDArray:
        return (delta_next @ w_next) * sigmoid(z)


class _Bp2SigmaPrimeOfA(Derivation):
    def bp2(
        self,
        w_next: NDArray,
        delta_next: NDArray,
        z: NDArray,
        a: NDArray,
        z_next: NDArray,
    ) -> NDArray:
        return (delta_next @ w_next) * sigmoid_prime(a)


class _Bp2ZOfNextLayer(Derivation):
    def bp2(
        self,
        w_next: NDArray,
        delta_next: NDArray,
        z: NDArray,
        a: NDArray,
        z_next: NDArray,
    ) -> NDArray:
        return (delta_next @ w_next) * sigmoid_prime(z_next)


class _Bp2SigmaPrimeBeforeTranspose(Derivation):
    def bp2(
        self,
        w_next: NDArray,
        delta_next: NDArray,
        z: NDArray,
        a: NDArray,
        z_next: NDArray,
    ) -> NDArray:
        return (delta_next * sigmoid_prime(z_next)) @ w_next


class _Bp1SigmaForSigmaPrime(Derivation):
    def bp1_quadratic(self, a_L: NDArray, y: NDArray, z_L: NDArray) -> NDArray:
        return (a_L - y) * sigmoid(z_L)


class _Bp1QuadraticNoSigmaPrime(Derivation):
    def bp1_quadratic(self, a_L: NDArray, y: NDArray, z_L: NDArray) -> NDArray:
        return a_L - y


class _Bp1CrossEntropyStraySigmaPrime(Derivation):
    def bp1_cross_entropy(self, a_L: NDArray, y: NDArray, z_L: NDArray) -> NDArray:
        return (a_L - y) * sigmoid_prime(z_L)


class _OtherCost(Derivation):
    def bp1(self, a_L: NDArray, y: NDArray, z_L: NDArray, cost: str) -> NDArray:
        other = "quadratic" if cost == "cross_entropy" else "cross_entropy"
        return super().bp1(a_L, y, z_L, other)


class _SignFlip(Derivation):
    def gradient_of_cost(self, a_L: NDArray, y: NDArray, z_L: NDArray) -> NDArray:
        return y - a_L


class _Bp4ActivationOfSameLayer(Derivation):
    def bp4(self, delta: NDArray, a_prev: NDArray, a: NDArray) -> NDArray:
        return delta.T @ a / len(delta)


class _Bp4Transposed(Derivation):
    def bp4(self, delta: NDArray, a_prev: NDArray, a: NDArray) -> NDArray:
        return a_prev.T @ delta / len(delta)


class _LoopStopsEarly(Derivation):
    def first_layer(self, n_layers: int) -> int:
        return 2


class _SumNotMean(Derivation):
    def bp3(self, delta: NDArray) -> NDArray:
        return delta.sum(axis=0)

    def bp4(self, delta: NDArray, a_prev: NDArray, a: NDArray) -> NDArray:
        return delta.T @ a_prev


class _BiasScalar(Derivation):
    def bp3(self, delta: NDArray) -> NDArray:
        return np.full(delta.shape[1], delta.sum(axis=1).mean())


class _ReturnsBiasesFirst(Derivation):
    def returned(self, grad_w: list[NDArray], grad_b: list[NDArray]) -> Gradient:
        return grad_b, grad_w


_BP1 = r"δ^L = ∇_a C ⊙ σ'(z^L)"
_BP1_Q = r"δ^L = (a^L - y) ⊙ σ'(z^L) (quadratic)"
_BP1_CE = r"δ^L = a^L - y (cross-entropy: σ'(z^L) cancels)"
_BP2 = r"δ^l = ((W^{l+1})^T δ^{l+1}) ⊙ σ'(z^l)"
_BP3 = r"∂C/∂b^l = (1/m) Σ_x δ^{x,l}"
_BP4 = r"∂C/∂W^l = (1/m) Σ_x δ^{x,l} (a^{x,l-1})^T"

#: The known mistakes, in the order the diagnosis tries them.
MISTAKES: tuple[Mistake, ...] = (
    Mistake(
        "bp2_no_transpose",
        "BP2",
        "the transpose of W^{l+1} is missing",
        _BP2,
        _NoTranspose(),
    ),
    Mistake(
        "bp2_sigma_for_sigma_prime",
        "BP2",
        "σ(z^l) where σ'(z^l) belongs",
        _BP2,
        _Bp2SigmaForSigmaPrime(),
    ),
    Mistake(
        "bp2_sigma_prime_of_a",
        "BP2",
        "σ' evaluated at a^l instead of z^l",
        _BP2,
        _Bp2SigmaPrimeOfA(),
    ),
    Mistake(
        "bp2_z_of_next_layer",
        "BP2",
        "σ'(z^{l+1}) where σ'(z^l) belongs (z taken one layer off)",
        _BP2,
        _Bp2ZOfNextLayer(),
    ),
    Mistake(
        "bp2_sigma_prime_before_transpose",
        "BP2",
        "σ'(z^{l+1}) applied to δ^{l+1} before the transpose, instead of σ'(z^l) "
        "after it",
        _BP2,
        _Bp2SigmaPrimeBeforeTranspose(),
    ),
    Mistake(
        "bp1_sigma_for_sigma_prime",
        "BP1",
        "σ(z^L) where σ'(z^L) belongs (quadratic cost)",
        _BP1_Q,
        _Bp1SigmaForSigmaPrime(),
    ),
    Mistake(
        "bp1_quadratic_no_sigma_prime",
        "BP1",
        "the quadratic cost's δ^L without σ'(z^L) (the cross-entropy δ^L used for "
        "the quadratic cost, as when cost= is ignored)",
        _BP1_Q,
        _Bp1QuadraticNoSigmaPrime(),
    ),
    Mistake(
        "bp1_cross_entropy_stray_sigma_prime",
        "BP1",
        "the cross-entropy δ^L with a stray σ'(z^L) (the quadratic δ^L used for "
        "cross-entropy, as when cost= is ignored)",
        _BP1_CE,
        _Bp1CrossEntropyStraySigmaPrime(),
    ),
    Mistake(
        "other_cost",
        "BP1",
        "each cost's δ^L swapped for the other cost's (cost= read the wrong way)",
        _BP1,
        _OtherCost(),
    ),
    Mistake(
        "sign_flip",
        "BP1",
        "the sign of ∇_a C flipped (y - a^L for a^L - y): every entry negated",
        _BP1,
        _SignFlip(),
    ),
    Mistake(
        "bp4_activation_of_same_layer",
        "BP4",
        "a^l where a^{l-1} belongs (activations[-l] for activations[-l-1])",
        _BP4,
        _Bp4ActivationOfSameLayer(),
    ),
    Mistake(
        "bp4_transposed",
        "BP4",
        "the weight gradient transposed: a^{l-1} (δ^l)^T for δ^l (a^{l-1})^T",
        _BP4,
        _Bp4Transposed(),
    ),
    Mistake(
        "loop_stops_early",
        "BP2",
        "the backward loop stops one layer early: ∂C/∂W^1 and ∂C/∂b^1 stay zero",
        _BP2 + ", for l = L-1 down to 1",
        _LoopStopsEarly(),
    ),
    Mistake(
        "sum_not_mean",
        "BP3",
        "the gradients summed over the batch instead of averaged (m times too "
        "large); declare reduction='sum' if that is your convention",
        _BP3 + "; " + _BP4,
        _SumNotMean(),
    ),
    Mistake(
        "bias_broadcast_scalar",
        "BP3",
        "the bias gradient reduced to one number (summed over the units as well "
        "as the examples) and broadcast to every unit",
        _BP3,
        _BiasScalar(),
    ),
    Mistake(
        "returns_biases_first",
        "return",
        "(grad_b, grad_w) returned where (grad_w, grad_b) belongs; declare "
        "returns=('b', 'w') if that is your order",
        "gradients(...) returns (∂C/∂W, ∂C/∂b)",
        _ReturnsBiasesFirst(),
    ),
)
