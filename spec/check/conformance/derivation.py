r"""BP1–BP4 re-derived in float64 NumPy, with hooks where a known mistake replaces a line.

:class:`Derivation` computes the gradient of the mean cost of a network in the
project's convention (one example per row, batch mean) from the four equations,
one method per equation, for each layer's own activation :math:`\phi_l`:

.. math::

    \delta^L &= \left(\frac{\partial a^L}{\partial z^L}\right)^T \nabla_a C
        && \text{(BP1)} \\
    \delta^l &= \left((W^{l+1})^T \delta^{l+1}\right) \odot \phi_l'(z^l)
        && \text{(BP2)} \\
    \frac{\partial C}{\partial b^l} &= \frac1m \sum_x \delta^{x,l} && \text{(BP3)} \\
    \frac{\partial C}{\partial W^l} &= \frac1m \sum_x \delta^{x,l} (a^{x,l-1})^T
        + \lambda W^l && \text{(BP4, with L2)}

The derivatives are derived here, not borrowed: :math:`\sigma' = \sigma(1 -
\sigma)`, :math:`\tanh' = 1 - \tanh^2`, ReLU's the Heaviside step (0 at the kink,
as :mod:`backprop` takes it), the identity's 1, and softmax's Jacobian
:math:`\operatorname{diag}(a) - a a^T` applied as the product
:math:`a \odot (g - (g \cdot a))`. The quadratic cost's :math:`\nabla_a C = a -
y` goes through the output's Jacobian; cross-entropy (sigmoid output) and the
log-likelihood :math:`-\sum_i y_i \ln a_i` (softmax output, targets summing to 1)
give :math:`\delta^L = a^L - y`.

A known mistake (:mod:`spec.check.conformance.mistakes`) is a subclass overriding the one
method whose line it gets wrong; it is evaluated by the spec, independently of
the code under test, so that a wrong gradient can be recognised as *this*
derivation. Where a mistake is undefined on some shapes (a missing transpose on
a non-square layer), NumPy raises, and :meth:`Derivation.gradients` returns
``None``, as the code under test would crash there too.

This module does not use :mod:`backprop`: the derivation is the spec's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Derivation",
    "sigmoid",
    "sigmoid_prime",
    "softmax",
    "tanh_prime",
]

#: ``(grad_w, grad_b)``: lists of arrays, one per layer (in a mistake's shapes).
Gradient = tuple[list[NDArray], list[NDArray]]


def sigmoid(z: NDArray) -> NDArray:
    r""":math:`\sigma(z) = e^{-\ln(1 + e^{-z})}`, accurate in relative terms at both tails."""
    return np.exp(-np.logaddexp(0.0, -z))


def sigmoid_prime(z: NDArray) -> NDArray:
    r""":math:`\sigma'(z) = \sigma(z)\,\sigma(-z)`, with no cancellation in :math:`1 - \sigma`."""
    return sigmoid(z) * sigmoid(-z)


def tanh_prime(z: NDArray) -> NDArray:
    r""":math:`\tanh'(z) = 1 - \tanh^2 z = 4\,\sigma'(2z)`, from :math:`\tanh z =
    2\sigma(2z) - 1`: no cancellation at the tails, where :math:`\tanh^2 z \to 1`."""
    return 4 * sigmoid_prime(2 * z)


def softmax(z: NDArray) -> NDArray:
    r"""Softmax of each row, :math:`e^{z_i - \max z} / \sum_j e^{z_j - \max z}`."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _value(name: str, z: NDArray) -> NDArray:
    """The forward pass, :math:`a = \\phi(z)`, which no mistake changes."""
    if name == "sigmoid":
        return sigmoid(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "identity":
        return z
    if name == "softmax":
        return softmax(z)
    raise NotImplementedError(f"the derivation has no activation {name!r}")


class Derivation:
    """The correct derivation; a known mistake overrides one of its methods.

    Arrays are float64 with one example per row: ``z`` and ``a`` of layer
    :math:`l` have shape ``(m, n_l)``, ``W^l`` has shape ``(n_l, n_{l-1})``.
    ``phi`` names a layer's activation (``"sigmoid"``, ``"tanh"``, ``"relu"``,
    ``"identity"``, ``"softmax"``).

    A mistake describes itself with the class attributes below; the correct
    derivation leaves them empty.

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
    """

    name: ClassVar[str] = ""
    equation: ClassVar[str] = ""
    title: ClassVar[str] = ""
    breaks: ClassVar[str] = ""

    def value(self, phi: str, z: NDArray) -> NDArray:
        r""":math:`\phi(z)`, for the mistakes that use it where :math:`\phi'` belongs."""
        return _value(phi, z)

    def prime(self, phi: str, z: NDArray) -> NDArray:
        r""":math:`\phi'(z)` of an elementwise activation."""
        if phi == "sigmoid":
            return sigmoid_prime(z)
        if phi == "tanh":
            return tanh_prime(z)
        if phi == "relu":
            return np.heaviside(z, 0.0)
        if phi == "identity":
            return np.ones_like(z)
        raise NotImplementedError(f"the derivation has no elementwise {phi!r}")

    def softmax_backward(self, a: NDArray, g: NDArray) -> NDArray:
        r""":math:`(\operatorname{diag}(a) - a a^T) g = a \odot (g - g \cdot a)`, per row."""
        return a * (g - (g * a).sum(axis=1, keepdims=True))

    def output_backward(self, phi: str, z: NDArray, a: NDArray, g: NDArray) -> NDArray:
        r""":math:`(\partial a^L / \partial z^L)^T g`: the softmax product, or
        :math:`g \odot \phi'(z^L)`."""
        if phi == "softmax":
            return self.softmax_backward(a, g)
        return g * self.prime(phi, z)

    def gradient_of_cost(self, a_L: NDArray, y: NDArray, z_L: NDArray) -> NDArray:
        r""":math:`\nabla_a C = a^L - y` (quadratic), and the :math:`a^L - y` of the
        shortcuts."""
        return a_L - y

    def bp1(
        self, a_L: NDArray, y: NDArray, z_L: NDArray, cost: str, phi: str = "sigmoid"
    ) -> NDArray:
        r"""BP1: :math:`\delta^L = (\partial a^L / \partial z^L)^T (a^L - y)` for the
        quadratic cost, :math:`a^L - y` for cross-entropy and the log-likelihood."""
        if cost == "cross_entropy":
            return self.bp1_cross_entropy(a_L, y, z_L)
        if cost == "log_likelihood":
            return self.bp1_log_likelihood(a_L, y, z_L)
        if cost == "quadratic":
            return self.bp1_quadratic(a_L, y, z_L, phi)
        # Not a ValueError, which would read as "undefined on these shapes".
        raise NotImplementedError(f"the derivation has no BP1 for cost {cost!r}")

    def bp1_quadratic(
        self, a_L: NDArray, y: NDArray, z_L: NDArray, phi: str = "sigmoid"
    ) -> NDArray:
        r""":math:`\delta^L = (\partial a^L / \partial z^L)^T (a^L - y)`;
        :math:`(a^L - y) \odot \sigma'(z^L)` for a sigmoid output."""
        return self.output_backward(phi, z_L, a_L, self.gradient_of_cost(a_L, y, z_L))

    def bp1_cross_entropy(self, a_L: NDArray, y: NDArray, z_L: NDArray) -> NDArray:
        r""":math:`\delta^L = a^L - y`."""
        return self.gradient_of_cost(a_L, y, z_L)

    def bp1_log_likelihood(self, a_L: NDArray, y: NDArray, z_L: NDArray) -> NDArray:
        r""":math:`\delta^L = a \odot (-y/a - (-y/a) \cdot a) = a^L - y`, since
        :math:`\sum_i y_i = 1`."""
        return self.gradient_of_cost(a_L, y, z_L)

    def bp2(
        self,
        w_next: NDArray,
        delta_next: NDArray,
        z: NDArray,
        a: NDArray,
        z_next: NDArray,
        phi: str = "sigmoid",
    ) -> NDArray:
        r"""BP2: :math:`\delta^l = ((W^{l+1})^T \delta^{l+1}) \odot \phi_l'(z^l)`
        (``a`` is :math:`a^l`, ``z_next`` is :math:`z^{l+1}`, for the mistakes)."""
        return (delta_next @ w_next) * self.prime(phi, z)

    def bp3(self, delta: NDArray) -> NDArray:
        r"""BP3: :math:`\partial C / \partial b^l = \frac1m \sum_x \delta^{x,l}`."""
        return delta.mean(axis=0)

    def bp4(self, delta: NDArray, a_prev: NDArray, a: NDArray) -> NDArray:
        r"""BP4: :math:`\partial C / \partial W^l = \frac1m \sum_x \delta^{x,l}
        (a^{x,l-1})^T` (``a`` is :math:`a^l`, for the mistakes)."""
        return delta.T @ a_prev / len(delta)

    def regularise(
        self, grad_w: NDArray, grad_b: NDArray, w: NDArray, b: NDArray, l2: float
    ) -> tuple[NDArray, NDArray]:
        r"""L2: :math:`\partial / \partial W^l \; \tfrac{\lambda}{2} \lVert W^l
        \rVert^2 = \lambda W^l` added to BP4; biases are not decayed."""
        return grad_w + l2 * w, grad_b

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
        activations: Sequence[str] = (),
        l2: float = 0.0,
    ) -> Gradient | None:
        """The gradient of the mean cost by this derivation, or ``None`` where the
        derivation is undefined (its shapes do not fit).

        ``activations`` names each layer's activation (empty: sigmoids); ``l2`` is
        :math:`\\lambda`.
        """
        ws = [np.asarray(w, dtype=np.float64) for w in weights]
        bs = [np.asarray(b, dtype=np.float64) for b in biases]
        n = len(ws)
        phis = tuple(activations) or ("sigmoid",) * n
        zs: list[NDArray] = []
        a = [np.asarray(x, dtype=np.float64)]
        for w, b, phi in zip(ws, bs, phis, strict=True):
            zs.append(a[-1] @ w.T + b)
            a.append(_value(phi, zs[-1]))
        grad_w: list[NDArray] = [np.zeros_like(w) for w in ws]
        grad_b: list[NDArray] = [np.zeros_like(b) for b in bs]
        try:
            with np.errstate(all="ignore"):
                y64 = np.asarray(y, float)
                delta = self.bp1(a[-1], y64, zs[-1], cost, phis[-1])
                for l in range(n, self.first_layer(n) - 1, -1):  # layers from 1
                    if l < n:
                        delta = self.bp2(
                            ws[l], delta, zs[l - 1], a[l], zs[l], phis[l - 1]
                        )
                    grad_b[l - 1] = self.bp3(delta)
                    grad_w[l - 1] = self.bp4(delta, a[l - 1], a[l])
                if l2:  # after the loop, to every layer, as a training loop adds it
                    for l in range(1, n + 1):
                        grad_w[l - 1], grad_b[l - 1] = self.regularise(
                            grad_w[l - 1], grad_b[l - 1], ws[l - 1], bs[l - 1], l2
                        )
        except ValueError:  # shapes that do not fit: undefined here
            return None
        return self.returned(grad_w, grad_b)
