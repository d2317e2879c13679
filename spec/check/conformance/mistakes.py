r"""The catalogue of known backpropagation mistakes, each an alternative derivation.

Each mistake is a :class:`~spec.check.conformance.derivation.Derivation` with the
one method overridden whose line it gets wrong, and carries its own description:
``name`` (an identifier such as ``"bp2_no_transpose"``), ``equation`` (the one it
breaks: ``"BP1"`` … ``"BP4"``, or ``"return"``), ``title`` (what is wrong, in words)
and ``breaks`` (the line of the derivation it gets wrong, as it should read).
:data:`MISTAKES` lists them in the order the diagnosis
(:mod:`spec.check.conformance.diagnosis`) tries them: it evaluates every entry on
every case of the battery and names the one the failing gradient equals everywhere.

``phi`` is the activation of the layer at hand (:math:`\phi_l`, the sigmoid in the
tutorial's network), so a mistake made in a sigmoid network reads the same in a
tanh or ReLU one; in the titles, :math:`\sigma` and :math:`\sigma'` stand for the
layer's own activation and its derivative.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from spec.check.conformance.derivation import Derivation, Gradient, sigmoid_prime

__all__ = [
    "MISTAKES",
    "BiasScalar",
    "Bp1CrossEntropyStraySigmaPrime",
    "Bp1QuadraticNoSigmaPrime",
    "Bp1SigmaForSigmaPrime",
    "Bp2SigmaForSigmaPrime",
    "Bp2SigmaPrimeBeforeTranspose",
    "Bp2SigmaPrimeOfA",
    "Bp2ZOfNextLayer",
    "Bp4ActivationOfSameLayer",
    "Bp4Transposed",
    "L2OnBiases",
    "L2WithoutLambda",
    "LoopStopsEarly",
    "NoTranspose",
    "OtherCost",
    "ReturnsBiasesFirst",
    "SignFlip",
    "SoftmaxDiagonalOnly",
    "SoftmaxNoOuterProduct",
    "SumNotMean",
    "TanhPrimeOneMinusTanh",
]


#: The lines of the derivation the mistakes break, as they should read.
_BP1 = r"δ^L = ∇_a C ⊙ σ'(z^L)"
_BP1_Q = r"δ^L = (a^L - y) ⊙ σ'(z^L) (quadratic)"
_BP1_CE = r"δ^L = a^L - y (cross-entropy: σ'(z^L) cancels)"
_BP2 = r"δ^l = ((W^{l+1})^T δ^{l+1}) ⊙ σ'(z^l)"
_BP3 = r"∂C/∂b^l = (1/m) Σ_x δ^{x,l}"
_BP4 = r"∂C/∂W^l = (1/m) Σ_x δ^{x,l} (a^{x,l-1})^T"
_SOFTMAX = r"δ^L = (diag(a^L) - a^L (a^L)^T) ∇_a C (softmax output)"
_TANH = r"tanh'(z) = 1 - tanh²(z)"
_L2 = r"∂C/∂W^l = (1/m) Σ_x δ^{x,l} (a^{x,l-1})^T + λ W^l; ∂C/∂b^l has no L2 term"


class NoTranspose(Derivation):
    name = "bp2_no_transpose"
    equation = "BP2"
    title = "the transpose of W^{l+1} is missing"
    breaks = _BP2

    def bp2(
        self,
        w_next: NDArray,
        delta_next: NDArray,
        z: NDArray,
        a: NDArray,
        z_next: NDArray,
        phi: str = "sigmoid",
    ) -> NDArray:
        return (delta_next @ w_next.T) * self.prime(phi, z)


class Bp2SigmaForSigmaPrime(Derivation):
    name = "bp2_sigma_for_sigma_prime"
    equation = "BP2"
    title = "σ(z^l) where σ'(z^l) belongs"
    breaks = _BP2

    def bp2(
        self,
        w_next: NDArray,
        delta_next: NDArray,
        z: NDArray,
        a: NDArray,
        z_next: NDArray,
        phi: str = "sigmoid",
    ) -> NDArray:
        return (delta_next @ w_next) * self.value(phi, z)


class Bp2SigmaPrimeOfA(Derivation):
    name = "bp2_sigma_prime_of_a"
    equation = "BP2"
    title = "σ' evaluated at a^l instead of z^l"
    breaks = _BP2

    def bp2(
        self,
        w_next: NDArray,
        delta_next: NDArray,
        z: NDArray,
        a: NDArray,
        z_next: NDArray,
        phi: str = "sigmoid",
    ) -> NDArray:
        return (delta_next @ w_next) * self.prime(phi, a)


class Bp2ZOfNextLayer(Derivation):
    name = "bp2_z_of_next_layer"
    equation = "BP2"
    title = "σ'(z^{l+1}) where σ'(z^l) belongs (z taken one layer off)"
    breaks = _BP2

    def bp2(
        self,
        w_next: NDArray,
        delta_next: NDArray,
        z: NDArray,
        a: NDArray,
        z_next: NDArray,
        phi: str = "sigmoid",
    ) -> NDArray:
        return (delta_next @ w_next) * self.prime(phi, z_next)


class Bp2SigmaPrimeBeforeTranspose(Derivation):
    name = "bp2_sigma_prime_before_transpose"
    equation = "BP2"
    title = (
        "σ'(z^{l+1}) applied to δ^{l+1} before the transpose, instead of σ'(z^l) "
        "after it"
    )
    breaks = _BP2

    def bp2(
        self,
        w_next: NDArray,
        delta_next: NDArray,
        z: NDArray,
        a: NDArray,
        z_next: NDArray,
        phi: str = "sigmoid",
    ) -> NDArray:
        return (delta_next * self.prime(phi, z_next)) @ w_next


class Bp1SigmaForSigmaPrime(Derivation):
    name = "bp1_sigma_for_sigma_prime"
    equation = "BP1"
    title = "σ(z^L) where σ'(z^L) belongs (quadratic cost)"
    breaks = _BP1_Q

    def bp1_quadratic(
        self, a_L: NDArray, y: NDArray, z_L: NDArray, phi: str = "sigmoid"
    ) -> NDArray:
        if phi == "softmax":  # no phi' to confuse with phi: the Jacobian entries
            return super().bp1_quadratic(a_L, y, z_L, phi)
        return (a_L - y) * self.value(phi, z_L)


class Bp1QuadraticNoSigmaPrime(Derivation):
    name = "bp1_quadratic_no_sigma_prime"
    equation = "BP1"
    title = (
        "the quadratic cost's δ^L without σ'(z^L) (the a^L - y of cross-entropy or "
        "the log-likelihood used for the quadratic cost, as when cost= is ignored)"
    )
    breaks = _BP1_Q

    def bp1_quadratic(
        self, a_L: NDArray, y: NDArray, z_L: NDArray, phi: str = "sigmoid"
    ) -> NDArray:
        return a_L - y


class Bp1CrossEntropyStraySigmaPrime(Derivation):
    name = "bp1_cross_entropy_stray_sigma_prime"
    equation = "BP1"
    title = (
        "the cross-entropy δ^L with a stray σ'(z^L) (the quadratic δ^L used for "
        "cross-entropy, as when cost= is ignored)"
    )
    breaks = _BP1_CE

    def bp1_cross_entropy(self, a_L: NDArray, y: NDArray, z_L: NDArray) -> NDArray:
        return (a_L - y) * sigmoid_prime(z_L)


class OtherCost(Derivation):
    name = "other_cost"
    equation = "BP1"
    title = (
        "each cost's δ^L swapped for the other cost's (cost= read the wrong way; "
        "for a softmax output, quadratic and log-likelihood swapped)"
    )
    breaks = _BP1

    """Quadratic for the shortcut costs, the output's shortcut for quadratic."""

    def bp1(
        self, a_L: NDArray, y: NDArray, z_L: NDArray, cost: str, phi: str = "sigmoid"
    ) -> NDArray:
        if cost != "quadratic":
            other = "quadratic"
        else:
            other = "log_likelihood" if phi == "softmax" else "cross_entropy"
        return super().bp1(a_L, y, z_L, other, phi)


class SignFlip(Derivation):
    name = "sign_flip"
    equation = "BP1"
    title = "the sign of ∇_a C flipped (y - a^L for a^L - y): every entry negated"
    breaks = _BP1

    def gradient_of_cost(self, a_L: NDArray, y: NDArray, z_L: NDArray) -> NDArray:
        return y - a_L


class Bp4ActivationOfSameLayer(Derivation):
    name = "bp4_activation_of_same_layer"
    equation = "BP4"
    title = "a^l where a^{l-1} belongs (activations[-l] for activations[-l-1])"
    breaks = _BP4

    def bp4(self, delta: NDArray, a_prev: NDArray, a: NDArray) -> NDArray:
        return delta.T @ a / len(delta)


class Bp4Transposed(Derivation):
    name = "bp4_transposed"
    equation = "BP4"
    title = "the weight gradient transposed: a^{l-1} (δ^l)^T for δ^l (a^{l-1})^T"
    breaks = _BP4

    def bp4(self, delta: NDArray, a_prev: NDArray, a: NDArray) -> NDArray:
        return a_prev.T @ delta / len(delta)


class LoopStopsEarly(Derivation):
    name = "loop_stops_early"
    equation = "BP2"
    title = "the backward loop stops one layer early: ∂C/∂W^1 and ∂C/∂b^1 stay zero"
    breaks = _BP2 + ", for l = L-1 down to 1"

    def first_layer(self, n_layers: int) -> int:
        return 2


class SumNotMean(Derivation):
    name = "sum_not_mean"
    equation = "BP3"
    title = (
        "the gradients summed over the batch instead of averaged (m times too "
        "large); declare reduction='sum' if that is your convention"
    )
    breaks = _BP3 + "; " + _BP4

    def bp3(self, delta: NDArray) -> NDArray:
        return delta.sum(axis=0)

    def bp4(self, delta: NDArray, a_prev: NDArray, a: NDArray) -> NDArray:
        return delta.T @ a_prev


class BiasScalar(Derivation):
    name = "bias_broadcast_scalar"
    equation = "BP3"
    title = (
        "the bias gradient reduced to one number (summed over the units as well "
        "as the examples) and broadcast to every unit"
    )
    breaks = _BP3

    def bp3(self, delta: NDArray) -> NDArray:
        return np.full(delta.shape[1], delta.sum(axis=1).mean())


class ReturnsBiasesFirst(Derivation):
    name = "returns_biases_first"
    equation = "return"
    title = (
        "the pair returned in the other order than the one expected (the bias "
        "gradients where the weight gradients belong, and back): declare the order "
        "your function returns (returns=) if that is its convention"
    )
    breaks = "gradients(...) returns (∂C/∂W, ∂C/∂b)"

    def returned(self, grad_w: list[NDArray], grad_b: list[NDArray]) -> Gradient:
        return grad_b, grad_w


class SoftmaxNoOuterProduct(Derivation):
    name = "softmax_jacobian_no_outer_product"
    equation = "BP1"
    title = "the softmax Jacobian taken as diag(a^L): its - a^L (a^L)^T dropped"
    breaks = _SOFTMAX

    """The softmax Jacobian taken as diag(a): its - a a^T dropped."""

    def softmax_backward(self, a: NDArray, g: NDArray) -> NDArray:
        return a * g


class SoftmaxDiagonalOnly(Derivation):
    name = "softmax_jacobian_diagonal_only"
    equation = "BP1"
    title = (
        "softmax treated as elementwise with derivative a^L (1 - a^L): the diagonal "
        "of its Jacobian only"
    )
    breaks = _SOFTMAX

    """Softmax treated as elementwise with the sigmoid's a(1 - a): the diagonal of
    its Jacobian only."""

    def softmax_backward(self, a: NDArray, g: NDArray) -> NDArray:
        return a * (1 - a) * g


class TanhPrimeOneMinusTanh(Derivation):
    name = "tanh_prime_one_minus_tanh"
    equation = "BP2"
    title = "tanh'(z) taken as 1 - tanh(z) instead of 1 - tanh²(z)"
    breaks = _TANH

    def prime(self, phi: str, z: NDArray) -> NDArray:
        if phi == "tanh":
            return 1 - np.tanh(z)
        return super().prime(phi, z)


class L2OnBiases(Derivation):
    name = "l2_on_biases"
    equation = "BP3"
    title = "the L2 term λ b^l added to the bias gradients: biases are not decayed"
    breaks = _L2

    def regularise(
        self, grad_w: NDArray, grad_b: NDArray, w: NDArray, b: NDArray, l2: float
    ) -> tuple[NDArray, NDArray]:
        return grad_w + l2 * w, grad_b + l2 * b


class L2WithoutLambda(Derivation):
    name = "l2_without_lambda"
    equation = "BP4"
    title = "the L2 term added as W^l, without its factor λ"
    breaks = _L2

    def regularise(
        self, grad_w: NDArray, grad_b: NDArray, w: NDArray, b: NDArray, l2: float
    ) -> tuple[NDArray, NDArray]:
        return grad_w + w, grad_b


#: The known mistakes, in the order the diagnosis tries them.
MISTAKES: tuple[Derivation, ...] = (
    NoTranspose(),
    Bp2SigmaForSigmaPrime(),
    Bp2SigmaPrimeOfA(),
    Bp2ZOfNextLayer(),
    Bp2SigmaPrimeBeforeTranspose(),
    Bp1SigmaForSigmaPrime(),
    Bp1QuadraticNoSigmaPrime(),
    Bp1CrossEntropyStraySigmaPrime(),
    OtherCost(),
    SignFlip(),
    Bp4ActivationOfSameLayer(),
    Bp4Transposed(),
    LoopStopsEarly(),
    SumNotMean(),
    BiasScalar(),
    ReturnsBiasesFirst(),
    SoftmaxNoOuterProduct(),
    SoftmaxDiagonalOnly(),
    TanhPrimeOneMinusTanh(),
    L2OnBiases(),
    L2WithoutLambda(),
)
