r"""BP1–BP4 re-derived in float64 NumPy, with hooks where a known mistake replaces a line.

:class:`Derivation` computes the gradient of the mean cost of a sigmoid network
in the project's convention (one example per row, batch mean) from the four
equations, one method per equation:

.. math::

    \delta^L &= \nabla_a C \odot \sigma'(z^L) && \text{(BP1)} \\
    \delta^l &= \left((W^{l+1})^T \delta^{l+1}\right) \odot \sigma'(z^l)
        && \text{(BP2)} \\
    \frac{\partial C}{\partial b^l} &= \frac1m \sum_x \delta^{x,l} && \text{(BP3)} \\
    \frac{\partial C}{\partial W^l} &= \frac1m \sum_x \delta^{x,l} (a^{x,l-1})^T
        && \text{(BP4)}

A known mistake (:mod:`spec.check.mistakes`) is a subclass overriding the one
method whose line it gets wrong; it is evaluated by the spec, independently of
the code under test, so that a wrong gradient can be recognised as *this*
derivation. Where a mistake is undefined on some shapes (a missing transpose on
a non-square layer), NumPy raises, and :meth:`Derivation.gradients` returns
``None``, as the code under test would crash there too.

This module does not use :mod:`backprop`: the derivation is the spec's own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["Derivation", "sigmoid", "sigmoid_prime"]

#: ``(grad_w, grad_b)``: lists of arrays, one per layer (in a mistake's shapes).
Gradient = tuple[list[NDArray], list[NDArray]]


def sigmoid(z: NDArray) -> NDArray:
    r""":math:`\sigma(z) = e^{-\ln(1 + e^{-z})}`, accurate in relative terms at both tails."""
    return np.exp(-np.logaddexp(0.0, -z))


def sigmoid_prime(z: NDArray) -> NDArray:
    r""":math:`\sigma'(z) = \sigma(z)\,\sigma(-z)`, with no cancellation in :math:`1 - \sigma`."""
    return sigmoid(z) * sigmoid(-z)


class Derivation:
    """The correct derivation; a known mistake overrides one of its methods.

    Arrays are float64 with one example per row: ``z`` and ``a`` of layer
    :math:`l` have shape ``(m, n_l)``, ``W^l`` has shape ``(n_l, n_{l-1})``.
    """

    def gradient_of_cost(self, a_L: NDArray, y: NDArray, z_L: NDArray) -> NDArray:
        r"""The part of BP1 before :math:`\sigma'`: :math:`\nabla_a C = a^L - y` (quadratic)."""
        return a_L - y

    def bp1(self, a_L: NDArray, y: NDArray, z_L: NDArray, cost: str) -> NDArray:
        r"""BP1: :math:`\delta^L = (a^L - y) \odot \sigma'(z^L)` for the quadratic cost,
        :math:`a^L - y` for cross-entropy (its :math:`\sigma'` cancels)."""
        if cost == "cross_entropy":
            return self.bp1_cross_entropy(a_L, y, z_L)
        if cost == "quadratic":
            return self.bp1_quadratic(a_L, y, z_L)
        # Not a ValueError, which would read as "undefined on these shapes".
        raise NotImplementedError(f"the derivation has no BP1 for cost {cost!r}")

    def bp1_quadratic(self, a_L: NDArray, y: NDArray, z_L: NDArray) -> NDArray:
        r""":math:`\delta^L = (a^L - y) \odot \sigma'(z^L)`."""
        return self.gradient_of_cost(a_L, y, z_L) * sigmoid_prime(z_L)

    def bp1_cross_entropy(self, a_L: NDArray, y: NDArray, z_L: NDArray) -> NDArray:
        r""":math:`\delta^L = a^L - y`."""
        return self.gradient_of_cost(a_L, y, z_L)

    def bp2(
        self,
        w_next: NDArray,
        delta_next: NDArray,
        z: NDArray,
        a: NDArray,
        z_next: NDArray,
    ) -> NDArray:
        r"""BP2: :math:`\delta^l = ((W^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)`
        (``a`` is :math:`a^l`, ``z_next`` is :math:`z^{l+1}`, for the mistakes)."""
        return (delta_next @ w_next) * sigmoid_prime(z)

    def bp3(self, delta: NDArray) -> NDArray:
        r"""BP3: :math:`\partial C / \partial b^l = \frac1m \sum_x \delta^{x,l}`."""
        return delta.mean(axis=0)

    def bp4(self, delta: NDArray, a_prev: NDArray, a: NDArray) -> NDArray:
        r"""BP4: :math:`\partial C / \partial W^l = \frac1m \sum_x \delta^{x,l}
        (a^{x,l-1})^T` (``a`` is :math:`a^l`, for the mistakes)."""
        return delta.T @ a_prev / len(delta)

    def first_layer(self, n_layers: int) -> int:
        """The last layer (counting from 1) the backward loop reaches; layers below
        it keep a zero gradient."""
        return 1

    def returned(self, grad_w: list[NDArray], grad_b: list[NDArray]) -> Gradient:
        """What the gradient function returns: ``(grad_w, grad_b)``."""
        return grad_w, grad_b

    def gradients(
        self,
        weights: Sequence[NDArray],
        biases: Sequence[NDArray],
        x: NDArray,
        y: NDArray,
        cost: str,
    ) -> Gradient | None:
        """The gradient of the mean cost by this derivation, or ``None`` where the
        derivation is undefined (its shapes do not fit)."""
        ws = [np.asarray(w, dtype=np.float64) for w in weights]
        bs = [np.asarray(b, dtype=np.float64) for b in biases]
        zs: list[NDArray] = []
        activations = [np.asarray(x, dtype=np.float64)]
        for w, b in zip(ws, bs, strict=True):
            zs.append(activations[-1] @ w.T + b)
            activations.append(sigmoid(zs[-1]))
        n = len(ws)
        grad_w: list[NDArray] = [np.zeros_like(w) for w in ws]
        grad_b: list[NDArray] = [np.zeros_like(b) for b in bs]
        try:
            with np.errstate(all="ignore"):
                delta = self.bp1(activations[-1], np.asarray(y, float), zs[-1], cost)
                for l in range(n, self.first_layer(n) - 1, -1):  # layers from 1
                    if l < n:
                        delta = self.bp2(ws[l], delta, zs[l - 1], activations[l], zs[l])
                    grad_b[l - 1] = self.bp3(delta)
                    grad_w[l - 1] = self.bp4(delta, activations[l - 1], activations[l])
        except ValueError:  # shapes that do not fit: undefined here
            return None
        return self.returned(grad_w, grad_b)
