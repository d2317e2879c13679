r"""Displayed instances of the derivation for networks of given sizes.

Built from the symbolic objects of :mod:`spec` (the network, the recursion, the
direct derivative) and printed by :func:`spec.latex.latex`; neurons are numbered
from 0, as the arrays of the code number them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy

from spec.costs import COSTS, mean_cost, output_gradient
from spec.derive import direct_gradients
from spec.latex.display import Display
from spec.latex.printer import latex
from spec.network import SymbolicNetwork, symbolic_network
from spec.recursion import bp1, bp2, bp3, bp4
from spec.symbols import sigma, symbol
from spec.validation import validate_choice, validate_int, validate_sizes

__all__ = [
    "abbreviate_z",
    "display_bp1_network",
    "display_bp2_network",
    "display_bp3_network",
    "display_bp4_network",
    "display_direct",
    "display_forward_network",
]


def abbreviate_z(
    net: SymbolicNetwork,
    exprs: Sequence[sympy.Expr],
    k: int = 0,
    layers: int | None = None,
) -> list[sympy.Expr]:
    r"""Replace the weighted inputs of example ``k`` by symbols :math:`z^l_i`.

    Layer by layer from the first (to ``layers``, by default all), so that
    :math:`\sigma(z^1_j)` inside :math:`z^2_i` is abbreviated before :math:`z^2_i`
    itself.

    Parameters
    ----------
    net : SymbolicNetwork
    exprs : sequence of sympy.Expr
    k : int, default 0
        The example (row of the batch).
    layers : int or None, default None
        How many layers to abbreviate, from the first.

    Returns
    -------
    list of sympy.Expr
    """
    done: dict[Any, Any] = {}
    out = list(exprs)
    for layer, z in enumerate(net.zs[:layers], start=1):
        step = {z[k, i].xreplace(done): symbol("z", layer, i) for i in range(z.cols)}
        out = [e.xreplace(step) for e in out]
        done.update(step)
    return out


def display_forward_network(sizes: Sequence[int]) -> Display:
    """Every weighted input of layer 1 and the first output, for one example.

    Parameters
    ----------
    sizes : sequence of int
        ``[n_0, ..., n_L]``.

    Returns
    -------
    Display
    """
    sizes = validate_sizes(sizes)
    net = symbolic_network(sizes, 1)
    rows = [
        rf"z^{{1}}_{{{i}}} &= {latex(net.zs[0][0, i])}" for i in range(net.zs[0].cols)
    ]
    L = len(sizes) - 1
    # Every layer but the last abbreviated, to show the last composition.
    (a_out,) = abbreviate_z(net, [net.activations[-1][0, 0]], layers=L - 1)
    rows.append(rf"a^{{{L}}}_{{0}} &= {latex(a_out)}")
    return Display(tuple(rows), f"spec.symbolic_network({list(sizes)}, m=1)")


def display_bp1_network(cost: str) -> Display:
    """BP1 for two output neurons and ``cost``, as the recursion builds it.

    Parameters
    ----------
    cost : {"quadratic", "cross_entropy"}

    Returns
    -------
    Display
    """
    validate_choice("cost", cost, COSTS)
    y = [symbol("y", None, i) for i in range(2)]
    z = [symbol("z", "L", i) for i in range(2)]
    delta = bp1(output_gradient(cost, [sigma(z_i) for z_i in z], y), z)
    rows = [rf"\delta^{{L}}_{{{i}}} &= {latex(d)}" for i, d in enumerate(delta)]
    return Display(
        tuple(rows), f"spec.recursion.bp1(output_gradient({cost!r}, σ(z^L), y), z^L)"
    )


def display_bp2_network(sizes: Sequence[int]) -> Display:
    """BP2 into the last hidden layer of a network of ``sizes``.

    Parameters
    ----------
    sizes : sequence of int
        ``[n_0, ..., n_L]`` with :math:`L \\ge 2`.

    Returns
    -------
    Display
    """
    sizes = validate_sizes(sizes)
    if len(sizes) < 3:
        raise ValueError(
            f"sizes must have a hidden layer for BP2 to act on, got {list(sizes)}"
        )
    net = symbolic_network(sizes, 1)
    L = len(sizes) - 1
    w_next = net.weights[L - 1]
    delta_next = [symbol(r"\delta", L, i) for i in range(w_next.rows)]
    z = [symbol("z", L - 1, j) for j in range(w_next.cols)]
    rows = [
        rf"\delta^{{{L - 1}}}_{{{j}}} &= {latex(d)}"
        for j, d in enumerate(bp2(w_next, delta_next, z))
    ]
    return Display(
        tuple(rows),
        f"spec.recursion.bp2(W^{L}, δ^{L}, z^{L - 1}) for sizes {list(sizes)}",
    )


def _layer_symbols(
    sizes: Sequence[int], m: int
) -> tuple[list[list[sympy.Symbol]], list[list[sympy.Symbol]]]:
    """:math:`a^{l-1}` and :math:`\\delta^l` of ``m`` examples, as rows of symbols."""
    n_in, n_out = sizes

    def index(k: int, i: int) -> tuple[int, ...]:
        return (k, i) if m > 1 else (i,)

    a_prev = [[symbol("a", "l-1", *index(k, j)) for j in range(n_in)] for k in range(m)]
    deltas = [
        [symbol(r"\delta", "l", *index(k, i)) for i in range(n_out)] for k in range(m)
    ]
    return a_prev, deltas


def _layer(sizes: Sequence[int], m: int) -> tuple[tuple[int, ...], int]:
    sizes = validate_sizes(sizes)
    if len(sizes) != 2:
        raise ValueError(
            f"sizes must be one layer's [n_{{l-1}}, n_l], got {list(sizes)}"
        )
    return sizes, validate_int("m", m, 1)


def display_bp3_network(sizes: Sequence[int], m: int) -> Display:
    """BP3 for one layer of ``sizes = [n_{l-1}, n_l]`` and ``m`` examples.

    Parameters
    ----------
    sizes : sequence of int, length 2
    m : int

    Returns
    -------
    Display
        One row per bias, the common factor :math:`1/m` in front.
    """
    sizes, m = _layer(sizes, m)
    _, deltas = _layer_symbols(sizes, m)
    grad = bp3(deltas).applyfunc(sympy.factor_terms)
    rows = [
        rf"\frac{{\partial C}}{{\partial b^{{l}}_{{{i}}}}} &= "
        rf"{latex(grad[i], long_frac_ratio=0)}"
        for i in range(grad.rows)
    ]
    return Display(tuple(rows), f"spec.recursion.bp3(δ^l) for {m} example(s)")


def display_bp4_network(sizes: Sequence[int], m: int) -> Display:
    """BP4 for one layer of ``sizes = [n_{l-1}, n_l]`` and ``m`` examples.

    Parameters
    ----------
    sizes : sequence of int, length 2
    m : int

    Returns
    -------
    Display
        :math:`\\partial C/\\partial W^l` as one matrix of shape ``(n_l, n_{l-1})``.
    """
    sizes, m = _layer(sizes, m)
    a_prev, deltas = _layer_symbols(sizes, m)
    grad = bp4(deltas, a_prev).applyfunc(sympy.factor_terms)
    row = (
        rf"\frac{{\partial C}}{{\partial W^{{l}}}} &= "
        rf"{latex(grad, long_frac_ratio=0)}"
    )
    return Display((row,), f"spec.recursion.bp4(δ^l, a^(l-1)) for {m} example(s)")


def _partial(label: str) -> str:
    """``"∂C/∂w^{2}_{1,0}"`` (spec's entry label) as a LaTeX fraction."""
    return rf"\frac{{\partial C}}{{\partial {label.replace('∂C/∂', '')}}}"


def display_direct(sizes: Sequence[int], cost: str) -> Display:
    """The cost of one example and every gradient entry, differentiated directly.

    Parameters
    ----------
    sizes : sequence of int
        ``[n_0, ..., n_L]``; kept small, every entry is one row.
    cost : {"quadratic", "cross_entropy"}

    Returns
    -------
    Display
        The weighted inputs abbreviated as :math:`z^l_i`.
    """
    sizes = validate_sizes(sizes)
    validate_choice("cost", cost, COSTS)
    net = symbolic_network(sizes, 1)
    labels, exprs = zip(*direct_gradients(sizes, 1, cost).entries(), strict=True)
    rows = [rf"C &= {latex(mean_cost(net, cost))}"]
    rows += [
        rf"{_partial(label)} &= {latex(e)}"
        for label, e in zip(labels, abbreviate_z(net, list(exprs)), strict=True)
    ]
    return Display(
        tuple(rows), f"spec.direct_gradients({list(sizes)}, m=1, cost={cost!r})"
    )
