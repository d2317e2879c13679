r"""Both derivations of every :math:`\partial C/\partial w^l_{ij}` and
:math:`\partial C/\partial b^l_i`.

(a) :func:`direct_gradients`: the composed mean cost (:func:`spec.costs.mean_cost`)
differentiated by each parameter with the rules of calculus (:func:`spec.calculus.gradient`),
knowing nothing of layers or :math:`\delta`.

(b) :func:`recursion_gradients`: the BP1–BP4 recursion (:mod:`spec.recursion`).

Both are cached per ``(sizes, m, cost, activations, l2)`` (and ``variant``), so the
proof, the oracle and the docs share one derivation.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sympy

from spec.caching import cached, clear_caches
from spec.calculus import differentiate, gradient
from spec.costs import COSTS, mean_cost
from spec.layers import validate_layers
from spec.network import symbolic_network
from spec.recursion import backpropagate, validate_variant
from spec.symbols import symbol_name
from spec.validation import validate_choice, validate_int, validate_sizes

__all__ = [
    "DERIVATION_LIMIT",
    "Gradients",
    "clear_caches",  # re-exported from spec.caching
    "differentiate",  # re-exported from spec.calculus
    "direct_gradients",
    "parameter_count",
    "recursion_gradients",
    "validate_derivable",
    "validate_network",
]

#: Largest P·m·L (parameters × batch size × layers) the derivations accept. The
#: derivative of a first-layer parameter runs through all L layers for each of the m
#: examples, so time and memory grow with this product, faster than linearly.
#: Times at the limit are measured in ``benchmarks/bench_proofs.py`` (results in
#: ``benchmarks/results/bench_proofs.txt``). Finite differences
#: (``spec.gradcheck``) scale to any size.
DERIVATION_LIMIT = 20_000


@dataclass(frozen=True)
class Gradients:
    r"""Every :math:`\partial C/\partial w^l_{ij}` and :math:`\partial C/\partial b^l_i`.

    Attributes
    ----------
    weights : tuple of sympy.ImmutableMatrix
        ``weights[l - 1][i, j]`` is :math:`\partial C/\partial w^l_{ij}`, shape
        ``(n_l, n_{l-1})``.
    biases : tuple of sympy.ImmutableMatrix
        ``biases[l - 1][i]`` is :math:`\partial C/\partial b^l_i`, shape
        ``(n_l, 1)``.
    """

    weights: tuple[sympy.ImmutableMatrix, ...]
    biases: tuple[sympy.ImmutableMatrix, ...]

    def entries(self) -> Iterator[tuple[str, sympy.Expr]]:
        """Yield ``(label, expression)`` in :attr:`spec.SymbolicNetwork.parameters` order.

        Labels read like ``"∂C/∂w^{2}_{1,0}"``.
        """
        for layer, (w, b) in enumerate(
            zip(self.weights, self.biases, strict=True), start=1
        ):
            for i in range(w.rows):
                for j in range(w.cols):
                    yield f"∂C/∂{symbol_name('w', layer, (i, j))}", w[i, j]
            for i in range(b.rows):
                yield f"∂C/∂{symbol_name('b', layer, (i,))}", b[i]


def parameter_count(sizes: Sequence[int]) -> int:
    """Number of weights and biases, :math:`P = \\sum_l n_l (n_{l-1} + 1)`."""
    return sum(n * (n_prev + 1) for n_prev, n in itertools.pairwise(sizes))


def _within_limit(sizes: tuple[int, ...], m: int) -> None:
    work = parameter_count(sizes) * m * (len(sizes) - 1)
    if work > DERIVATION_LIMIT:
        raise ValueError(
            f"sizes {list(sizes)} with m={m} are too large to derive symbolically: "
            f"P*m*L = {parameter_count(sizes)}*{m}*{len(sizes) - 1} = {work} exceeds "
            f"the limit {DERIVATION_LIMIT} (spec.DERIVATION_LIMIT), beyond which "
            "derivation time and memory grow faster than linearly. Use a smaller "
            "network or batch, or finite differences (spec.gradcheck)."
        )


def validate_derivable(
    sizes: Sequence[int], m: int, cost: str
) -> tuple[tuple[int, ...], int]:
    r"""Validate the arguments of a derivation; return ``sizes`` and ``m`` validated.

    Raises
    ------
    TypeError, ValueError
        Naming the argument, for invalid ``sizes``, ``m`` or ``cost``, or when
        :math:`P \cdot m \cdot L` exceeds :data:`DERIVATION_LIMIT`.
    """
    checked_sizes, checked_m = validate_sizes(sizes), validate_int("m", m, 1)
    validate_choice("cost", cost, COSTS)
    _within_limit(checked_sizes, checked_m)
    return checked_sizes, checked_m


def validate_network(
    sizes: Sequence[int], m: int, cost: str, activations: Any, l2: Any
) -> tuple[tuple[int, ...], int, tuple[str, ...], bool]:
    """:func:`validate_derivable`, the activations against the cost, and ``l2``.

    Returns
    -------
    sizes, m, names, l2
        Validated: one activation name per layer (:mod:`spec.layers`), ``l2`` a bool.
    """
    checked_sizes, checked_m = validate_derivable(sizes, m, cost)
    names = validate_layers(activations, len(checked_sizes) - 1, cost)
    if not isinstance(l2, bool):
        raise TypeError(
            "l2 must be a bool (True: add the L2 term (lambda/2) sum ||W^l||^2 with "
            f"lambda symbolic), got {l2!r} of type {type(l2).__name__}"
        )
    return checked_sizes, checked_m, names, l2


@cached(maxsize=64)
def _direct_gradients(
    sizes: tuple[int, ...], m: int, cost: str, names: tuple[str, ...], l2: bool
) -> Gradients:
    network = symbolic_network(sizes, m, names)
    c = mean_cost(network, cost, l2=l2)
    parameters = network.parameters
    derivatives = dict(zip(parameters, gradient(c, parameters), strict=True))
    return Gradients(
        tuple(w.applyfunc(derivatives.__getitem__) for w in network.weights),
        tuple(b.applyfunc(derivatives.__getitem__) for b in network.biases),
    )


@cached(maxsize=64)
def _recursion_gradients(
    sizes: tuple[int, ...],
    m: int,
    cost: str,
    variant: str,
    names: tuple[str, ...],
    l2: bool,
) -> Gradients:
    network = symbolic_network(sizes, m, names)
    _, grad_w, grad_b = backpropagate(network, cost, variant, l2=l2)
    return Gradients(grad_w, grad_b)


def direct_gradients(
    sizes: Sequence[int],
    m: int = 1,
    cost: str = "cross_entropy",
    *,
    activations: Any = None,
    l2: bool = False,
) -> Gradients:
    """Derivation (a): differentiate the composed mean cost by every parameter.

    Parameters
    ----------
    sizes : sequence of int
        Layer sizes ``[n_0, ..., n_L]``.
    m : int, default 1
        Batch size; the cost is the mean over the ``m`` examples.
    cost : {"cross_entropy", "quadratic", "log_likelihood"}
    activations : None, str or sequence of str, optional
        The activation of each layer (:mod:`spec.layers`); sigmoids by default.
    l2 : bool, default False
        Add the L2 term :math:`\\tfrac{\\lambda}{2} \\sum_l \\lVert W^l \\rVert^2`,
        :math:`\\lambda` symbolic (:data:`spec.costs.L2_SYMBOL`).

    Returns
    -------
    Gradients
        Cached per ``(sizes, m, cost, activations, l2)``.

    Raises
    ------
    ValueError
        For invalid arguments, a combination of cost and activations that makes
        no sense (:mod:`spec.layers`), or when parameters × ``m`` × layers exceeds
        :data:`DERIVATION_LIMIT`.
    """
    sizes_, m_, names, l2 = validate_network(sizes, m, cost, activations, l2)
    return _direct_gradients(sizes_, m_, cost, names, l2)


def recursion_gradients(
    sizes: Sequence[int],
    m: int = 1,
    cost: str = "cross_entropy",
    variant: str = "correct",
    *,
    activations: Any = None,
    l2: bool = False,
) -> Gradients:
    """Derivation (b): the BP1–BP4 recursion, or one of its wrong ``variant``\\ s.

    Parameters
    ----------
    sizes : sequence of int
    m : int, default 1
    cost : {"cross_entropy", "quadratic", "log_likelihood"}
    variant : str, default "correct"
        A key of :data:`spec.recursion.VARIANTS`.
    activations : None, str or sequence of str, optional
        As for :func:`direct_gradients`.
    l2 : bool, default False
        BP4 with :math:`\\lambda W^l` added.

    Returns
    -------
    Gradients
        Cached per ``(sizes, m, cost, variant, activations, l2)``.
    """
    sizes_, m_, names, l2 = validate_network(sizes, m, cost, activations, l2)
    validate_variant(variant, sizes_)
    return _recursion_gradients(sizes_, m_, cost, variant, names, l2)
