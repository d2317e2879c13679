r"""A small network worked through with concrete numbers, for the documentation.

:func:`worked_example` evaluates the symbolic forward pass and the BP1–BP2
recursion of :mod:`spec` to 50 significant digits and takes the gradients from
:func:`spec.oracle_gradients`; :meth:`WorkedExample.latex` prints every array as a
LaTeX matrix, one column per example.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import mpmath
import numpy as np
import numpy.typing as npt
import sympy

from spec.costs import COSTS
from spec.derive import direct_gradients
from spec.evaluate import mpmath_function
from spec.latex import latex
from spec.layers import validate_combination
from spec.network import symbolic_network
from spec.oracle import oracle_gradients
from spec.recursion import backpropagate
from spec.validation import validate_choice, validate_int, validate_sizes

__all__ = ["WorkedExample", "worked_example"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class WorkedExample:
    r"""Every number of one forward and backward pass, from the oracle.

    Lists are indexed by layer as in :class:`spec.SymbolicNetwork`: ``zs[l - 1]``
    is :math:`z^l`, ``activations[l]`` is :math:`a^l` (``activations[0]`` is
    ``x``), ``deltas[l - 1]`` is :math:`\delta^l`. Per-example quantities have one
    row per example, shape ``(m, n_l)``.

    Attributes
    ----------
    sizes : tuple of int
    m : int
    cost : str
    seed : int
    weights, biases, x, y : ndarray or list of ndarray
        The inputs: weights and biases from N(0, 1), ``x`` uniform in [0, 1),
        ``y`` one-hot.
    zs, activations, deltas : list of ndarray
        :math:`z^l`, :math:`a^l`, :math:`\delta^l`, evaluated at 50 digits.
    grad_w, grad_b : list of ndarray
        :func:`spec.oracle_gradients`.
    symbolic : dict of str to str
        LaTeX of a few entries as derived, keyed by the LaTeX of the quantity:
        :math:`\delta^L_0` from BP1 and the direct derivatives of
        :math:`\partial C/\partial b^L_0`, :math:`\partial C/\partial w^L_{00}` and
        :math:`\partial C/\partial w^1_{00}`, for example 0 when ``m = 1``.
    """

    sizes: tuple[int, ...]
    m: int
    cost: str
    seed: int
    weights: list[FloatArray]
    biases: list[FloatArray]
    x: FloatArray
    y: FloatArray
    zs: list[FloatArray]
    activations: list[FloatArray]
    deltas: list[FloatArray]
    grad_w: list[FloatArray]
    grad_b: list[FloatArray]
    symbolic: dict[str, str]

    def latex(self, digits: int = 4) -> dict[str, str]:
        r"""Every array as a LaTeX matrix, rounded to ``digits`` significant digits.

        Vectors are columns, one column per example: :math:`x`, :math:`y`,
        :math:`z^l`, :math:`a^l`, :math:`\delta^l` have shape ``(n_l, m)``.

        Parameters
        ----------
        digits : int, default 4

        Returns
        -------
        dict of str to str
            Keyed by the LaTeX of the quantity: ``"W^{1}"``, ``"b^{1}"``, ``"x"``,
            ``"y"``, ``"z^{1}"``, ``"a^{1}"``, ``"\delta^{1}"``,
            ``"\frac{\partial C}{\partial W^{1}}"``,
            ``"\frac{\partial C}{\partial b^{1}}"``, ... for every layer.
        """
        digits = validate_int("digits", digits, 1)

        def matrix(array: FloatArray) -> str:
            table = np.atleast_2d(array)
            return latex(
                sympy.Matrix(
                    *table.shape,
                    [sympy.Float(float(v), digits) for v in table.ravel()],
                )
            )

        arrays = {"x": self.x.T, "y": self.y.T}
        for layer in range(1, len(self.sizes)):
            arrays |= {
                f"W^{{{layer}}}": self.weights[layer - 1],
                f"b^{{{layer}}}": self.biases[layer - 1][:, None],
                f"z^{{{layer}}}": self.zs[layer - 1].T,
                f"a^{{{layer}}}": self.activations[layer].T,
                rf"\delta^{{{layer}}}": self.deltas[layer - 1].T,
                rf"\frac{{\partial C}}{{\partial W^{{{layer}}}}}": self.grad_w[
                    layer - 1
                ],
                rf"\frac{{\partial C}}{{\partial b^{{{layer}}}}}": self.grad_b[
                    layer - 1
                ][:, None],
            }
        return {name: matrix(array) for name, array in arrays.items()}


def worked_example(
    sizes: Sequence[int] = (2, 3, 2),
    m: int = 1,
    cost: str = "cross_entropy",
    seed: int = 0,
) -> WorkedExample:
    r"""A small network worked through: forward values, errors and gradients.

    Parameters
    ----------
    sizes : sequence of int, default (2, 3, 2)
        Non-square by default, so that a missing transpose would show.
    m : int, default 1
    cost : {"cross_entropy", "quadratic"}, default "cross_entropy"
    seed : int, default 0
        Seed of ``numpy.random.default_rng`` for the parameters and data.

    Returns
    -------
    WorkedExample
        With ``m = 1``, ``deltas[l - 1][0]`` equals ``grad_b[l - 1]`` (BP3) and
        ``grad_w[l - 1]`` is ``outer(deltas[l - 1][0], activations[l - 1][0])``
        (BP4).
    """
    sizes = validate_sizes(sizes)
    m = validate_int("m", m, 1)
    validate_choice("cost", cost, COSTS)
    validate_combination(cost, "sigmoid")  # the tutorial's network is sigmoid
    seed = validate_int("seed", seed, 0)
    rng = np.random.default_rng(seed)
    weights = [
        rng.standard_normal((n, n_prev)) for n_prev, n in itertools.pairwise(sizes)
    ]
    biases = [rng.standard_normal(n) for n in sizes[1:]]
    x = rng.random((m, sizes[0]))
    y = np.eye(sizes[-1])[rng.integers(sizes[-1], size=m)]
    grad_w, grad_b = oracle_gradients(weights, biases, x, y, cost)

    network = symbolic_network(sizes, m)
    deltas, _, _ = backpropagate(network, cost)
    layered = [*network.zs, *network.activations[1:], *deltas]
    function = mpmath_function(
        (*network.parameters, *network.data), [e for matrix in layered for e in matrix]
    )
    flat = [
        *(v for w, b in zip(weights, biases, strict=True) for v in (*w.ravel(), *b)),
        *x.ravel(),
        *y.ravel(),
    ]
    with mpmath.workdps(50):
        exact = function(*(mpmath.mpf(float(v)) for v in flat))
    values = iter(float(v) for v in exact)
    arrays = [
        np.array([next(values) for _ in range(len(matrix))]).reshape(matrix.shape)
        for matrix in layered
    ]
    L = len(sizes) - 1
    direct = direct_gradients(sizes, m, cost)
    symbolic = {
        rf"\delta^{{{L}}}_{{0}}": latex(deltas[-1][0, 0]),
        rf"\frac{{\partial C}}{{\partial b^{{{L}}}_{{0}}}}": latex(
            direct.biases[-1][0]
        ),
        rf"\frac{{\partial C}}{{\partial w^{{{L}}}_{{0,0}}}}": latex(
            direct.weights[-1][0, 0]
        ),
        r"\frac{\partial C}{\partial w^{1}_{0,0}}": latex(direct.weights[0][0, 0]),
    }
    return WorkedExample(
        sizes=sizes,
        m=m,
        cost=cost,
        seed=seed,
        weights=weights,
        biases=biases,
        x=x,
        y=y,
        zs=arrays[:L],
        activations=[x, *arrays[L : 2 * L]],
        deltas=arrays[2 * L :],
        grad_w=grad_w,
        grad_b=grad_b,
        symbolic=symbolic,
    )
