r"""Differentiation of one expression by many symbols, with the rules of calculus.

:func:`gradient` applies the sum, product, power and chain rules to a SymPy
expression, node by node, for each symbol in turn (forward mode: it knows nothing
of layers or :math:`\delta`). It gives the derivative ``sympy.diff`` gives, with
three differences that change its cost but not its value:

- each distinct subexpression is differentiated once per symbol (a composed
  network cost reuses :math:`a^{l-1}` in every :math:`z^l_i`; ``sympy.diff`` walks
  it again for each use);
- which subexpressions contain which symbol is computed once for all symbols (a
  bit mask per node), and so is each :math:`f'(u)` of the chain rule;
- sums and products of derivatives are built as they come (``_from_args``),
  without SymPy's canonical sorting and merging of terms, which cProfile showed
  to be most of the derivation's time (the times now are in
  ``benchmarks/results/bench_proofs.txt``). A product with a
  factor 0 is dropped and a factor 1 left out; nothing else is simplified.

The results are therefore equal to ``sympy.diff``'s as functions, not always as
trees; ``tests/test_spec_proofs.py`` shows them equal by exact evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy

__all__ = ["differentiate", "gradient"]

_CHAIN_RULE = sympy.Function._eval_derivative
_ZERO, _ONE = sympy.S.Zero, sympy.S.One


def _sum(terms: list[sympy.Expr]) -> sympy.Expr:
    terms = [t for t in terms if t is not _ZERO]
    if not terms:
        return _ZERO
    if len(terms) == 1:
        return terms[0]
    return sympy.Add._from_args(terms, is_commutative=True)


def _product(factors: list[sympy.Expr]) -> sympy.Expr:
    if any(f is _ZERO for f in factors):
        return _ZERO
    factors = [f for f in factors if f is not _ONE]
    if not factors:
        return _ONE
    if len(factors) == 1:
        return factors[0]
    return sympy.Mul._from_args(factors, is_commutative=True)


def gradient(expr: sympy.Expr, wrt: Sequence[sympy.Symbol]) -> list[sympy.Expr]:
    r"""Differentiate ``expr`` by each symbol of ``wrt``.

    Parameters
    ----------
    expr : sympy.Expr
        Built from numbers, symbols, ``+``, ``*``, powers and functions (those
        whose derivative SymPy takes from ``fdiff``, such as :math:`\sigma`,
        :math:`\ln`, :math:`\exp`; others are handed to ``sympy.diff``).
    wrt : sequence of sympy.Symbol, length P

    Returns
    -------
    list of sympy.Expr, length P
        :math:`\partial\,\mathrm{expr} / \partial\,\mathrm{wrt}_p` for each
        :math:`p`.
    """
    index = {symbol: p for p, symbol in enumerate(wrt)}
    # Keyed by id(): every node stays alive inside expr, and id() costs far less
    # than hashing a SymPy tree (most of the time once sorting is gone).
    masks: dict[int, int] = {}
    # Each node's arguments with their masks, so that a derivative skips the
    # arguments free of the symbol without looking each one up again.
    arguments: dict[int, tuple[tuple[int, sympy.Expr, int], ...]] = {}

    def mask(node: sympy.Basic) -> int:
        found = masks.get(id(node))
        if found is None:
            if node.args:
                pairs = tuple((i, arg, mask(arg)) for i, arg in enumerate(node.args))
                arguments[id(node)] = pairs
                found = 0
                for _, _, bits in pairs:
                    found |= bits
            else:
                p = index.get(node)
                found = 0 if p is None else 1 << p
            masks[id(node)] = found
        return found

    mask(expr)
    # f'(u) of each function node and b^(e-1) of each power, shared by all symbols.
    outer: dict[tuple[int, int], sympy.Expr] = {}
    powers: dict[tuple[int, int], sympy.Expr] = {}

    def fdiff_pow(base: sympy.Expr, exp: sympy.Integer) -> sympy.Expr:
        key = (id(base), int(exp))
        if key not in powers:
            powers[key] = base ** (exp - 1)
        return powers[key]

    def fdiff(node: sympy.Expr, argindex: int) -> sympy.Expr:
        key = (id(node), argindex)
        if key not in outer:
            outer[key] = node.fdiff(argindex)
        return outer[key]

    def by(symbol: sympy.Symbol, bit: int) -> sympy.Expr:
        memo: dict[int, sympy.Expr] = {}

        def d(node: sympy.Expr) -> sympy.Expr:
            found = memo.get(id(node))
            if found is not None:
                return found
            if not masks[id(node)] & bit:
                result = _ZERO
            elif not node.args:  # a leaf that contains the symbol is the symbol
                result = _ONE
            elif node.is_Add:
                result = _sum(
                    [d(arg) for _, arg, bits in arguments[id(node)] if bits & bit]
                )
            elif node.is_Mul:
                args = node.args
                result = _sum(
                    [
                        _product([*args[:i], *args[i + 1 :], d(arg)])
                        for i, arg, bits in arguments[id(node)]
                        if bits & bit
                    ]
                )
            elif node.is_Pow and node.exp.is_Integer:
                # d(b^e) = e b^(e-1) b' for a constant integer e.
                base, exp = node.args
                result = _product([exp, fdiff_pow(base, exp), d(base)])
            elif type(node)._eval_derivative is _CHAIN_RULE:
                # Function._eval_derivative: the chain rule through fdiff (σ, ln,
                # exp; not Piecewise or Abs, which define their own derivatives).
                result = _sum(
                    [
                        _product([fdiff(node, i + 1), d(arg)])
                        for i, arg, bits in arguments[id(node)]
                        if bits & bit
                    ]
                )
            else:
                result = sympy.diff(node, symbol)
            memo[id(node)] = result
            return result

        return d(expr)

    return [by(symbol, 1 << index[symbol]) for symbol in wrt]


def differentiate(expr: sympy.Expr, wrt: sympy.Symbol) -> sympy.Expr:
    r"""Differentiate ``expr`` by one symbol: :func:`~spec.calculus.gradient` for ``[wrt]``.

    Parameters
    ----------
    expr : sympy.Expr
    wrt : sympy.Symbol

    Returns
    -------
    sympy.Expr
        :math:`\partial\,\mathrm{expr} / \partial\,\mathrm{wrt}`, equal to
        ``sympy.diff(expr, wrt)`` as a function.

    Examples
    --------
    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> sympy.expand(differentiate(sympy.log(x) * x**2, x))
    2*x*log(x) + x
    """
    [derivative] = gradient(expr, [wrt])
    return derivative
