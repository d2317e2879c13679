r"""The two costs, per example and as the mean over a batch.

Per example, with output activations :math:`a = a^L` and targets :math:`y`:

.. math::

    C_{\mathrm{quadratic}} = \tfrac12 \sum_i (a_i - y_i)^2, \qquad
    C_{\mathrm{cross\ entropy}} = -\sum_i \left[y_i \ln a_i + (1 - y_i) \ln(1 - a_i)\right].

The batch cost is the mean of the per-example costs over the :math:`m` rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sympy

from spec.network import SymbolicNetwork

__all__ = [
    "COSTS",
    "cost_term",
    "example_cost",
    "mean_cost",
    "output_gradient",
]

COSTS = ("quadratic", "cross_entropy")


def _quadratic_term(a: sympy.Expr, y: sympy.Expr) -> sympy.Expr:
    return (a - y) ** 2 / 2


def _cross_entropy_term(a: sympy.Expr, y: sympy.Expr) -> sympy.Expr:
    return -(y * sympy.log(a) + (1 - y) * sympy.log(1 - a))


_TERMS: dict[str, Callable[[sympy.Expr, sympy.Expr], sympy.Expr]] = {
    "quadratic": _quadratic_term,
    "cross_entropy": _cross_entropy_term,
}


def cost_term(cost: str, a: sympy.Expr, y: sympy.Expr) -> sympy.Expr:
    r"""The contribution of one output neuron to the per-example cost.

    Parameters
    ----------
    cost : {"quadratic", "cross_entropy"}
    a, y : sympy.Expr
        Output activation :math:`a^L_i` and target :math:`y_i`.

    Returns
    -------
    sympy.Expr
        :math:`\tfrac12 (a - y)^2` or :math:`-[y \ln a + (1 - y) \ln(1 - a)]`.
    """
    return _TERMS[cost](a, y)


def example_cost(
    cost: str, a: Sequence[sympy.Expr], y: Sequence[sympy.Expr]
) -> sympy.Expr:
    """Per-example cost :math:`C = \\sum_i` :func:`cost_term` ``(a_i, y_i)``.

    Parameters
    ----------
    cost : {"quadratic", "cross_entropy"}
    a, y : sequence of sympy.Expr, length n_L
        Output activations and targets of one example.

    Returns
    -------
    sympy.Expr
    """
    return sympy.Add(
        *(cost_term(cost, a_i, y_i) for a_i, y_i in zip(a, y, strict=True))
    )


def mean_cost(network: SymbolicNetwork, cost: str) -> sympy.Expr:
    r"""The batch cost :math:`C = \frac1m \sum_k C_k`, composed through every layer.

    Parameters
    ----------
    network : SymbolicNetwork
    cost : {"quadratic", "cross_entropy"}

    Returns
    -------
    sympy.Expr
        A function of all weights, biases, inputs and targets.
    """
    a_L, y = network.activations[-1], network.y
    per_example = (
        example_cost(cost, list(a_L.row(k)), list(y.row(k))) for k in range(network.m)
    )
    return sympy.Add(*per_example) / network.m


def output_gradient(
    cost: str, a: Sequence[sympy.Expr], y: Sequence[sympy.Expr]
) -> list[sympy.Expr]:
    r""":math:`\nabla_a C`: the per-example cost differentiated by each :math:`a^L_i`.

    The cost is differentiated with respect to free output symbols, which are then
    replaced by ``a``; this is the :math:`\partial C / \partial a^L_i` of BP1.

    Parameters
    ----------
    cost : {"quadratic", "cross_entropy"}
    a, y : sequence of sympy.Expr, length n_L
        Output activations :math:`a^L` (e.g. :math:`\sigma(z^L_i)`) and targets :math:`y`.

    Returns
    -------
    list of sympy.Expr, length n_L
    """
    free = [sympy.Dummy(f"a_{i}", real=True) for i in range(len(a))]
    c = example_cost(cost, free, y)
    at_a = dict(zip(free, a, strict=True))
    return [c.diff(a_i).xreplace(at_a) for a_i in free]
