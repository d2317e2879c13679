"""Compile derived expressions to high-precision functions with ``lambdify``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import mpmath
import sympy
from sympy.simplify.cse_main import tree_cse

__all__ = ["mpmath_function", "mpmath_sigma"]


def mpmath_sigma(z: Any) -> Any:
    r""":math:`\sigma(z) = 1/(1 + e^{-z})` in the current ``mpmath`` precision.

    Relative error of a few ulps at both tails: the denominator never cancels.
    """
    return 1 / (1 + mpmath.exp(-z))


def mpmath_function(
    args: Sequence[sympy.Symbol], exprs: Sequence[sympy.Expr]
) -> Callable[..., list[Any]]:
    """``lambdify(args, exprs, "mpmath")`` with shared subexpressions computed once.

    Derived gradients share most of their subexpressions (every :math:`\\sigma(z)`
    of the forward pass). SymPy's ``tree_cse`` names each repeated node once, in
    time linear in the distinct nodes; the optimising ``sympy.cse`` costs 5 times
    more. The arguments are renamed to plain identifiers first, because ``lambdify``
    rewrites the whole expression once per argument whose name (``w^{1}_{0,0}``)
    is not a Python identifier.

    Parameters
    ----------
    args : sequence of sympy.Symbol
    exprs : sequence of sympy.Expr
        May contain ``sigma`` (evaluated by :func:`mpmath_sigma`) and any function
        ``mpmath`` knows.

    Returns
    -------
    callable
        ``f(*values)`` returns the list of ``mpmath`` numbers, computed at the
        precision in force (``with mpmath.workdps(...)``).
    """
    replacements, reduced = tree_cse(
        list(exprs), sympy.numbered_symbols("_s"), {}, "none", ()
    )
    plain = {arg: sympy.Symbol(f"_p{i}") for i, arg in enumerate(args)}
    replacements = [(name, sub.xreplace(plain)) for name, sub in replacements]
    reduced = [expr.xreplace(plain) for expr in reduced]
    function: Callable[..., list[Any]] = sympy.lambdify(
        list(plain.values()),
        reduced,
        modules=[{"sigma": mpmath_sigma}, "mpmath"],
        # The subexpressions are already eliminated; hand them to the printer as is.
        cse=lambda exprs: (replacements, exprs),
        docstring_limit=0,
    )
    return function
