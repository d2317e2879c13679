r"""The known mistakes as derivations: each a :class:`~spec.check.derivation.Derivation`
with the one method overridden whose line it gets wrong.

:mod:`spec.check.mistakes` names them, with the equation each breaks. ``phi`` is
the activation of the layer at hand (:math:`\phi_l`, the sigmoid in the
tutorial's network), so a mistake made in a sigmoid network reads the same in a
tanh or ReLU one.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from spec.check.derivation import Derivation, Gradient, sigmoid_prime

__all__ = [
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


class NoTranspose(Derivation):
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
    def bp1_quadratic(
        self, a_L: NDArray, y: NDArray, z_L: NDArray, phi: str = "sigmoid"
    ) -> NDArray:
        if phi == "softmax":  # no phi' to confuse with phi: the Jacobian entries
            return super().bp1_quadratic(a_L, y, z_L, phi)
        return (a_L - y) * self.value(phi, z_L)


class Bp1QuadraticNoSigmaPrime(Derivation):
    def bp1_quadratic(
        self, a_L: NDArray, y: NDArray, z_L: NDArray, phi: str = "sigmoid"
    ) -> NDArray:
        return a_L - y


class Bp1CrossEntropyStraySigmaPrime(Derivation):
    def bp1_cross_entropy(self, a_L: NDArray, y: NDArray, z_L: NDArray) -> NDArray:
        return (a_L - y) * sigmoid_prime(z_L)


class OtherCost(Derivation):
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
    def gradient_of_cost(self, a_L: NDArray, y: NDArray, z_L: NDArray) -> NDArray:
        return y - a_L


class Bp4ActivationOfSameLayer(Derivation):
    def bp4(self, delta: NDArray, a_prev: NDArray, a: NDArray) -> NDArray:
        return delta.T @ a / len(delta)


class Bp4Transposed(Derivation):
    def bp4(self, delta: NDArray, a_prev: NDArray, a: NDArray) -> NDArray:
        return a_prev.T @ delta / len(delta)


class LoopStopsEarly(Derivation):
    def first_layer(self, n_layers: int) -> int:
        return 2


class SumNotMean(Derivation):
    def bp3(self, delta: NDArray) -> NDArray:
        return delta.sum(axis=0)

    def bp4(self, delta: NDArray, a_prev: NDArray, a: NDArray) -> NDArray:
        return delta.T @ a_prev


class BiasScalar(Derivation):
    def bp3(self, delta: NDArray) -> NDArray:
        return np.full(delta.shape[1], delta.sum(axis=1).mean())


class ReturnsBiasesFirst(Derivation):
    def returned(self, grad_w: list[NDArray], grad_b: list[NDArray]) -> Gradient:
        return grad_b, grad_w


class SoftmaxNoOuterProduct(Derivation):
    """The softmax Jacobian taken as diag(a): its - a a^T dropped."""

    def softmax_backward(self, a: NDArray, g: NDArray) -> NDArray:
        return a * g


class SoftmaxDiagonalOnly(Derivation):
    """Softmax treated as elementwise with the sigmoid's a(1 - a): the diagonal of
    its Jacobian only."""

    def softmax_backward(self, a: NDArray, g: NDArray) -> NDArray:
        return a * (1 - a) * g


class TanhPrimeOneMinusTanh(Derivation):
    def prime(self, phi: str, z: NDArray) -> NDArray:
        if phi == "tanh":
            return 1 - np.tanh(z)
        return super().prime(phi, z)


class L2OnBiases(Derivation):
    def regularise(
        self, grad_w: NDArray, grad_b: NDArray, w: NDArray, b: NDArray, l2: float
    ) -> tuple[NDArray, NDArray]:
        return grad_w + l2 * w, grad_b + l2 * b


class L2WithoutLambda(Derivation):
    def regularise(
        self, grad_w: NDArray, grad_b: NDArray, w: NDArray, b: NDArray, l2: float
    ) -> tuple[NDArray, NDArray]:
        return grad_w + w, grad_b
