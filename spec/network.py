r"""A network of given layer sizes built from SymPy symbols.

Layers :math:`l = 1, \dots, L`; :math:`W^l` has shape :math:`(n_l, n_{l-1})` and
:math:`b^l` has :math:`n_l` entries. For each example :math:`k` (row ``k`` of the
batch) the forward pass is

.. math::

    z^l = W^l a^{l-1} + b^l, \qquad a^l = \sigma(z^l), \qquad a^0 = x.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy

from spec.caching import cached
from spec.symbols import sigma, symbol
from spec.validation import validate_int, validate_sizes

__all__ = ["SymbolicNetwork", "feedforward", "symbolic_network"]


@dataclass(frozen=True)
class SymbolicNetwork:
    """Symbols and forward pass of a sigmoid network on a batch of ``m`` examples.

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
    """

    sizes: tuple[int, ...]
    m: int
    weights: tuple[sympy.ImmutableMatrix, ...]
    biases: tuple[sympy.ImmutableMatrix, ...]
    x: sympy.ImmutableMatrix
    y: sympy.ImmutableMatrix
    zs: tuple[sympy.ImmutableMatrix, ...]
    activations: tuple[sympy.ImmutableMatrix, ...]

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
    weights: Sequence[sympy.Matrix], biases: Sequence[sympy.Matrix], x: sympy.Matrix
) -> tuple[list[sympy.ImmutableMatrix], list[sympy.ImmutableMatrix]]:
    r"""Symbolic forward pass, one example per row of ``x``.

    .. math:: z^l = W^l a^{l-1} + b^l, \qquad a^l = \sigma(z^l)

    Parameters
    ----------
    weights : sequence of sympy.Matrix
        :math:`W^l`, shape ``(n_l, n_{l-1})``.
    biases : sequence of sympy.Matrix
        :math:`b^l`, shape ``(n_l, 1)``.
    x : sympy.Matrix
        Inputs, shape ``(m, n_0)``.

    Returns
    -------
    zs : list of sympy.ImmutableMatrix
        :math:`z^1, \dots, z^L`, each shape ``(m, n_l)``.
    activations : list of sympy.ImmutableMatrix
        :math:`a^0 = x, a^1, \dots, a^L`, each shape ``(m, n_l)``.
    """
    zs: list[sympy.ImmutableMatrix] = []
    activations = [sympy.ImmutableMatrix(x)]
    for w, b in zip(weights, biases, strict=True):
        a = activations[-1]
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
        activations.append(z.applyfunc(sigma))
    return zs, activations


@cached(maxsize=64)
def _symbolic_network(sizes: tuple[int, ...], m: int) -> SymbolicNetwork:
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
    zs, activations = feedforward(weights, biases, x)
    return SymbolicNetwork(
        sizes, m, weights, biases, x, y, tuple(zs), tuple(activations)
    )


def symbolic_network(sizes: Sequence[int], m: int = 1) -> SymbolicNetwork:
    """Build (once; the result is cached) the symbolic network of given sizes.

    Parameters
    ----------
    sizes : sequence of int
        Layer sizes ``[n_0, ..., n_L]``, at least two.
    m : int, default 1
        Batch size: number of rows of ``x`` and ``y``.

    Returns
    -------
    SymbolicNetwork

    Examples
    --------
    >>> net = symbolic_network([2, 3, 2], m=1)
    >>> net.zs[0][0, 1]
    b^{1}_{1} + w^{1}_{1,0}*x_{0,0} + w^{1}_{1,1}*x_{0,1}
    """
    return _symbolic_network(validate_sizes(sizes), validate_int("m", m, 1))
