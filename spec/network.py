r"""A network of given layer sizes built from SymPy symbols.

Layers :math:`l = 1, \dots, L`; :math:`W^l` has shape :math:`(n_l, n_{l-1})` and
:math:`b^l` has :math:`n_l` entries. For each example :math:`k` (row ``k`` of the
batch) the forward pass is

.. math::

    z^l = W^l a^{l-1} + b^l, \qquad a^l = \varphi_l(z^l), \qquad a^0 = x,

with :math:`\varphi_l` the activation of layer :math:`l` (:mod:`spec.activations`;
the sigmoid :math:`\sigma` by default, ``activations=`` as in :mod:`spec.layers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sympy

from spec.activations import phi
from spec.caching import cached
from spec.layers import resolve_activations
from spec.symbols import symbol
from spec.validation import validate_int, validate_sizes

__all__ = ["SymbolicNetwork", "feedforward", "symbolic_network"]


@dataclass(frozen=True)
class SymbolicNetwork:
    """Symbols and forward pass of a network on a batch of ``m`` examples.

    Attributes
    ----------
    sizes : tuple of int
        ``(n_0, ..., n_L)``.
    m : int
        Number of examples (rows of ``x`` and ``y``).
    weights : tuple of sympy.ImmutableMatrix
        ``weights[l - 1]`` is :math:`W^l`, shape ``(n_l, n_{l-1})``.
    biases : tuple of sympy.ImmutableMatrix
        ``biases[l - 1]`` is :math:`b^l`, shape ``(n_l, 1)``.
    x : sympy.ImmutableMatrix
        Inputs, shape ``(m, n_0)``.
    y : sympy.ImmutableMatrix
        Targets, shape ``(m, n_L)``.
    zs : tuple of sympy.ImmutableMatrix
        ``zs[l - 1]`` is :math:`z^l`, shape ``(m, n_l)``; row ``k`` is example ``k``.
    activations : tuple of sympy.ImmutableMatrix
        ``activations[l]`` is :math:`a^l`, shape ``(m, n_l)``; ``activations[0]``
        is ``x``.
    activation_names : tuple of str
        ``activation_names[l - 1]`` names :math:`\\varphi_l` (``"sigmoid"``,
        ``"tanh"``, ``"relu"``, ``"identity"`` or ``"softmax"``).
    """

    sizes: tuple[int, ...]
    m: int
    weights: tuple[sympy.ImmutableMatrix, ...]
    biases: tuple[sympy.ImmutableMatrix, ...]
    x: sympy.ImmutableMatrix
    y: sympy.ImmutableMatrix
    zs: tuple[sympy.ImmutableMatrix, ...]
    activations: tuple[sympy.ImmutableMatrix, ...]
    activation_names: tuple[str, ...] = ()

    @property
    def L(self) -> int:
        """Number of layers :math:`L` (weight matrices)."""
        return len(self.sizes) - 1

    @property
    def parameters(self) -> tuple[sympy.Symbol, ...]:
        r"""All weights and biases, layer by layer: :math:`W^l` row by row, then
        :math:`b^l`. This is the order gradient entries are listed in."""
        order: list[sympy.Symbol] = []
        for w, b in zip(self.weights, self.biases, strict=True):
            order.extend(w)
            order.extend(b)
        return tuple(order)

    @property
    def data(self) -> tuple[sympy.Symbol, ...]:
        """Inputs then targets, each row by row."""
        return (*self.x, *self.y)


def feedforward(
    weights: Sequence[sympy.Matrix],
    biases: Sequence[sympy.Matrix],
    x: sympy.Matrix,
    activations: Sequence[str] | None = None,
) -> tuple[list[sympy.ImmutableMatrix], list[sympy.ImmutableMatrix]]:
    r"""Symbolic forward pass, one example per row of ``x``.

    .. math:: z^l = W^l a^{l-1} + b^l, \qquad a^l = \varphi_l(z^l)

    Parameters
    ----------
    weights : sequence of sympy.Matrix
        :math:`W^l`, shape ``(n_l, n_{l-1})``.
    biases : sequence of sympy.Matrix
        :math:`b^l`, shape ``(n_l, 1)``.
    x : sympy.Matrix
        Inputs, shape ``(m, n_0)``.
    activations : sequence of str, optional
        One name per layer (:data:`spec.activations.ACTIVATIONS`); sigmoids by
        default.

    Returns
    -------
    zs : list of sympy.ImmutableMatrix
        :math:`z^1, \dots, z^L`, each shape ``(m, n_l)``.
    activations : list of sympy.ImmutableMatrix
        :math:`a^0 = x, a^1, \dots, a^L`, each shape ``(m, n_l)``.
    """
    names = ["sigmoid"] * len(weights) if activations is None else list(activations)
    zs: list[sympy.ImmutableMatrix] = []
    outputs = [sympy.ImmutableMatrix(x)]
    for w, b, name in zip(weights, biases, names, strict=True):
        a = outputs[-1]
        # Explicit sums keep z^l_i = Σ_j w^l_ij a^{l-1}_j + b^l_i unexpanded.
        z = sympy.ImmutableMatrix(
            [
                [
                    sympy.Add(*(w[i, j] * a[k, j] for j in range(w.cols)), b[i])
                    for i in range(w.rows)
                ]
                for k in range(a.rows)
            ]
        )
        zs.append(z)
        outputs.append(
            sympy.ImmutableMatrix([phi(name, list(z.row(k))) for k in range(z.rows)])
        )
    return zs, outputs


@cached(maxsize=64)
def _symbolic_network(
    sizes: tuple[int, ...], m: int, names: tuple[str, ...]
) -> SymbolicNetwork:
    layers = range(1, len(sizes))
    weights = tuple(
        sympy.ImmutableMatrix(
            sizes[layer],
            sizes[layer - 1],
            lambda i, j, layer=layer: symbol("w", layer, i, j),
        )
        for layer in layers
    )
    biases = tuple(
        sympy.ImmutableMatrix(
            sizes[layer], 1, lambda i, _, layer=layer: symbol("b", layer, i)
        )
        for layer in layers
    )
    x = sympy.ImmutableMatrix(m, sizes[0], lambda k, j: symbol("x", None, k, j))
    y = sympy.ImmutableMatrix(m, sizes[-1], lambda k, i: symbol("y", None, k, i))
    zs, activations = feedforward(weights, biases, x, names)
    return SymbolicNetwork(
        sizes, m, weights, biases, x, y, tuple(zs), tuple(activations), names
    )


def symbolic_network(
    sizes: Sequence[int], m: int = 1, activations: Any = None
) -> SymbolicNetwork:
    """Build (once; the result is cached) the symbolic network of given sizes.

    Parameters
    ----------
    sizes : sequence of int
        Layer sizes ``[n_0, ..., n_L]``, at least two.
    m : int, default 1
        Batch size: number of rows of ``x`` and ``y``.
    activations : None, str or sequence of str, optional
        The activation of each layer, in the forms of :mod:`spec.layers` (one name
        for all, a pair (hidden, output), or one per layer); sigmoids by default.

    Returns
    -------
    SymbolicNetwork

    Examples
    --------
    >>> net = symbolic_network([2, 3, 2], m=1)
    >>> net.zs[0][0, 1]
    b^{1}_{1} + w^{1}_{1,0}*x_{0,0} + w^{1}_{1,1}*x_{0,1}
    >>> symbolic_network([2, 3, 2], activations=("tanh", "softmax")).activation_names
    ('tanh', 'softmax')
    """
    checked = validate_sizes(sizes)
    names = resolve_activations(activations, len(checked) - 1)
    return _symbolic_network(checked, validate_int("m", m, 1), names)
