r"""The three costs, per example and as the mean over a batch, and the L2 term.

Per example, with output activations :math:`a = a^L` and targets :math:`y`:

.. math::

    C_{\mathrm{quadratic}} &= \tfrac12 \sum_i (a_i - y_i)^2, \\
    C_{\mathrm{cross\ entropy}} &= -\sum_i \left[y_i \ln a_i + (1 - y_i)
        \ln(1 - a_i)\right], \\
    C_{\mathrm{log\ likelihood}} &= -\sum_i y_i \ln a_i
        \quad (= -\ln a_y \text{ for a one-hot } y \text{ of class } y).

The batch cost is the mean of the per-example costs over the :math:`m` rows; L2
regularisation adds :math:`\tfrac{\lambda}{2} \sum_l \lVert W^l \rVert^2` to it
(biases not decayed), with :math:`\lambda` the symbol :data:`L2_SYMBOL`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sympy

from spec.activations import ACTIVATIONS, ELEMENTWISE
from spec.layers import COST_OUTPUT, validate_activation
from spec.network import SymbolicNetwork

__all__ = [
    "COSTS",
    "L2_SYMBOL",
    "combinations",
    "cost_term",
    "costs_for_output",
    "example_cost",
    "l2_penalty",
    "mean_cost",
    "output_gradient",
]

COSTS = ("quadratic", "cross_entropy", "log_likelihood")

#: :math:`\lambda`, the strength of the L2 term, kept symbolic in the derivations.
L2_SYMBOL = sympy.Symbol("lambda", real=True)


def _quadratic_term(a: sympy.Expr, y: sympy.Expr) -> sympy.Expr:
    return (a - y) ** 2 / 2


def _cross_entropy_term(a: sympy.Expr, y: sympy.Expr) -> sympy.Expr:
    return -(y * sympy.log(a) + (1 - y) * sympy.log(1 - a))


def _log_likelihood_term(a: sympy.Expr, y: sympy.Expr) -> sympy.Expr:
    return -y * sympy.log(a)


_TERMS: dict[str, Callable[[sympy.Expr, sympy.Expr], sympy.Expr]] = {
    "quadratic": _quadratic_term,
    "cross_entropy": _cross_entropy_term,
    "log_likelihood": _log_likelihood_term,
}


def cost_term(cost: str, a: sympy.Expr, y: sympy.Expr) -> sympy.Expr:
    r"""The contribution of one output neuron to the per-example cost.

    Parameters
    ----------
    cost : {"quadratic", "cross_entropy", "log_likelihood"}
    a, y : sympy.Expr
        Output activation :math:`a^L_i` and target :math:`y_i`.

    Returns
    -------
    sympy.Expr
        :math:`\tfrac12 (a - y)^2`, :math:`-[y \ln a + (1 - y) \ln(1 - a)]` or
        :math:`-y \ln a`.
    """
    return _TERMS[cost](a, y)


def example_cost(
    cost: str, a: Sequence[sympy.Expr], y: Sequence[sympy.Expr]
) -> sympy.Expr:
    """Per-example cost :math:`C = \\sum_i` :func:`cost_term` ``(a_i, y_i)``.

    Parameters
    ----------
    cost : {"quadratic", "cross_entropy", "log_likelihood"}
    a, y : sequence of sympy.Expr, length n_L
        Output activations and targets of one example.

    Returns
    -------
    sympy.Expr
    """
    return sympy.Add(
        *(cost_term(cost, a_i, y_i) for a_i, y_i in zip(a, y, strict=True))
    )


def l2_penalty(weights: Sequence[sympy.Matrix]) -> sympy.Expr:
    r"""The L2 term :math:`\tfrac{\lambda}{2} \sum_l \sum_{ij} (w^l_{ij})^2`.

    Parameters
    ----------
    weights : sequence of sympy.Matrix
        :math:`W^1, \dots, W^L`; biases are not decayed.

    Returns
    -------
    sympy.Expr
        In :data:`L2_SYMBOL` and the weights.
    """
    return L2_SYMBOL / 2 * sympy.Add(*(w_ij**2 for w in weights for w_ij in w))


def mean_cost(network: SymbolicNetwork, cost: str, *, l2: bool = False) -> sympy.Expr:
    r"""The batch cost :math:`C = \frac1m \sum_k C_k`, composed through every layer.

    Parameters
    ----------
    network : SymbolicNetwork
    cost : {"quadratic", "cross_entropy", "log_likelihood"}
    l2 : bool, default False
        Add the L2 term :func:`l2_penalty`, :math:`\lambda` symbolic.

    Returns
    -------
    sympy.Expr
        A function of all weights, biases, inputs and targets (and
        :math:`\lambda`).
    """
    a_L, y = network.activations[-1], network.y
    per_example = (
        example_cost(cost, list(a_L.row(k)), list(y.row(k))) for k in range(network.m)
    )
    mean = sympy.Add(*per_example) / network.m
    return mean + l2_penalty(network.weights) if l2 else mean


def output_gradient(
    cost: str, a: Sequence[sympy.Expr], y: Sequence[sympy.Expr]
) -> list[sympy.Expr]:
    r""":math:`\nabla_a C`: the per-example cost differentiated by each :math:`a^L_i`.

    The cost is differentiated with respect to free output symbols, which are then
    replaced by ``a``; this is the :math:`\partial C / \partial a^L_i` of BP1.

    Parameters
    ----------
    cost : {"quadratic", "cross_entropy", "log_likelihood"}
    a, y : sequence of sympy.Expr, length n_L
        Output activations :math:`a^L` (e.g. :math:`\sigma(z^L_i)`) and targets
        :math:`y`.

    Returns
    -------
    list of sympy.Expr, length n_L
    """
    free = [sympy.Dummy(f"a_{i}", real=True) for i in range(len(a))]
    c = example_cost(cost, free, y)
    at_a = dict(zip(free, a, strict=True))
    return [c.diff(a_i).xreplace(at_a) for a_i in free]


def costs_for_output(output: str) -> tuple[str, ...]:
    """The costs that make sense on an ``output`` activation, in :data:`COSTS` order.

    Examples
    --------
    >>> costs_for_output("sigmoid"), costs_for_output("softmax")
    (('quadratic', 'cross_entropy'), ('quadratic', 'log_likelihood'))
    """
    return tuple(
        cost
        for cost in COSTS
        if COST_OUTPUT.get(cost, output) == validate_activation(output)
    )


def combinations() -> tuple[tuple[str, str, str], ...]:
    """Every ``(hidden, output, cost)`` that makes sense, hidden elementwise.

    Returns
    -------
    tuple of (str, str, str)
        The hidden layers' activation, the output's, and the cost: 4 hidden
        activations × (4 elementwise outputs with the quadratic cost, the sigmoid
        with the cross-entropy, softmax with the quadratic and the log-likelihood).
    """
    return tuple(
        (hidden, output, cost)
        for hidden in ELEMENTWISE
        for output in ACTIVATIONS
        for cost in costs_for_output(output)
    )
