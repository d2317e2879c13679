"""Compile derived expressions to high-precision ``mpmath`` functions.

The derived gradients share most of their subexpressions (every :math:`\\sigma(z)`
of the forward pass, every factor of the chain rule). :func:`mpmath_function`
writes one Python assignment per distinct node of the expression graph, in
topological order, and compiles the whole as one function: time linear in the
distinct nodes, with nothing rebuilt or re-sorted. (``lambdify`` with
``tree_cse`` rebuilds every node canonically and prints each through SymPy's
printers, which was most of the oracle's first call on large networks; measured
in ``benchmarks/bench_proofs.py``.) Expressions with a node it does not know are
handed to ``lambdify`` whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import mpmath
import sympy

from spec.graph import topological_order

__all__ = ["mpmath_function", "mpmath_sigma", "mpmath_softmax"]


def mpmath_sigma(z: Any) -> Any:
    r""":math:`\sigma(z) = 1/(1 + e^{-z})` in the current ``mpmath`` precision.

    Relative error of a few ulps at both tails: the denominator never cancels.
    """
    return 1 / (1 + mpmath.exp(-z))


def mpmath_softmax(k: Any, *z: Any) -> Any:
    r"""Entry ``k`` of the softmax of ``z``, shifted by :math:`\max_j z_j`.

    The shift changes nothing exactly and keeps every :math:`e^{z_j - \max}`
    at most 1, so the sum never overflows.
    """
    top = max(z)
    return mpmath.exp(z[int(k)] - top) / mpmath.fsum(mpmath.exp(u - top) for u in z)


def _relu(z: Any) -> Any:
    return z if z > 0 else mpmath.mpf(0)


def _step(z: Any) -> Any:
    # 0 at the kink, as backprop's relu_prime: one of the one-sided derivatives.
    return mpmath.mpf(1) if z > 0 else mpmath.mpf(0)


#: Functions of the spec and their mpmath implementations, by SymPy class name.
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sigma": mpmath_sigma,
    "tanh": mpmath.tanh,
    "relu": _relu,
    "step": _step,
    "softmax": mpmath_softmax,
    "log": mpmath.log,
    "exp": mpmath.exp,
}


class _Unsupported(Exception):
    """A node the code writer does not translate."""


def _source(args: Sequence[sympy.Symbol], exprs: Sequence[sympy.Expr]) -> str:
    symbols = {a: f"a{i}" for i, a in enumerate(args)}
    names: dict[int, str] = {}  # by id(node), as topological_order tells them apart
    constants: list[str] = []
    body: list[str] = []
    for node in topological_order(exprs):
        if node in symbols:
            names[id(node)] = symbols[node]
            continue
        name = f"s{len(names)}"
        if node.is_Rational:
            # Built inside the function, at the precision of the call.
            constants.append(f"    {name} = mpf({node.p}) / {node.q}")
        elif node.is_Symbol:
            raise _Unsupported(f"free symbol {node} is not an argument")
        elif node.is_Add:
            body.append(f"    {name} = {' + '.join(names[id(a)] for a in node.args)}")
        elif node.is_Mul:
            body.append(f"    {name} = {' * '.join(names[id(a)] for a in node.args)}")
        elif node.is_Pow and node.exp.is_Integer:
            body.append(f"    {name} = {names[id(node.base)]} ** {int(node.exp)}")
        elif node.is_Function and type(node).__name__ in _FUNCTIONS:
            arguments = ", ".join(names[id(arg)] for arg in node.args)
            body.append(f"    {name} = {type(node).__name__}({arguments})")
        else:
            raise _Unsupported(f"{type(node).__name__}")
        names[id(node)] = name
    outputs = ", ".join(names[id(e)] for e in exprs)
    signature = ", ".join(symbols.values())
    return "\n".join(
        [f"def f({signature}):", *constants, *body, f"    return [{outputs}]"]
    )


def mpmath_function(
    args: Sequence[sympy.Symbol], exprs: Sequence[sympy.Expr]
) -> Callable[..., list[Any]]:
    """Compile ``exprs`` to one function of ``args`` evaluated with ``mpmath``.

    Parameters
    ----------
    args : sequence of sympy.Symbol
        Every free symbol of ``exprs``, in the order of the function's arguments.
    exprs : sequence of sympy.Expr
        Built from numbers, ``+``, ``*``, integer powers, ``sigma`` (evaluated by
        :func:`mpmath_sigma`), ``tanh``, ``relu``, ``step`` (0 at 0),
        ``softmax`` (:func:`mpmath_softmax`), ``log`` and ``exp``; other nodes go
        through
        ``sympy.lambdify(..., "mpmath")``.

    Returns
    -------
    callable
        ``f(*values)`` returns the list of ``mpmath`` numbers, computed at the
        precision in force (``with mpmath.workdps(...)``).

    Examples
    --------
    >>> import mpmath, sympy
    >>> x = sympy.Symbol("x")
    >>> f = mpmath_function([x], [x**2 / 3 + 1])
    >>> with mpmath.workdps(30):
    ...     print(f(mpmath.mpf(2))[0])
    2.33333333333333333333333333333
    """
    exprs = [sympy.sympify(e) for e in exprs]
    try:
        source = _source(args, exprs)
    except _Unsupported:
        fallback: Callable[..., list[Any]] = sympy.lambdify(
            list(args), list(exprs), modules=[{"sigma": mpmath_sigma}, "mpmath"]
        )
        return fallback
    namespace: dict[str, Any] = {"mpf": mpmath.mpf, **_FUNCTIONS}
    exec(compile(source, "<spec.evaluate.mpmath_function>", "exec"), namespace)
    function: Callable[..., list[Any]] = namespace["f"]
    return function
