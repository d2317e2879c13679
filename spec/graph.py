"""The nodes of SymPy expressions as one graph, each node once, arguments first."""

from __future__ import annotations

from collections.abc import Sequence

import sympy

__all__ = ["topological_order"]


def topological_order(exprs: Sequence[sympy.Basic]) -> list[sympy.Basic]:
    """Every distinct node of ``exprs``, each after all of its arguments.

    Nodes are told apart by identity (``id``), not by SymPy's structural hash,
    which costs far more on large trees; a derivation reuses one object for each
    shared subexpression, so each is listed once. Iterative: no recursion limit.

    Parameters
    ----------
    exprs : sequence of sympy.Basic

    Returns
    -------
    list of sympy.Basic
        Post-order over the expressions, leaves included.
    """
    order: list[sympy.Basic] = []
    done: set[int] = set()
    for root in exprs:
        stack: list[tuple[sympy.Basic, bool]] = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if id(node) in done:
                continue
            if expanded or not node.args:
                done.add(id(node))
                order.append(node)
                continue
            stack.append((node, True))
            stack.extend((arg, False) for arg in node.args if id(arg) not in done)
    return order
