r"""The second method of :mod:`spec.blocks.proofs`: a backward formula proven at
fixed sizes.

The forward and the backward formula are instantiated at given sizes
(:func:`instantiate`, :func:`expand_sums`), every entry of the direct derivative is
computed by ``sympy.diff`` (:func:`vjp_case`), and both are evaluated exactly modulo
:math:`p = 2^{61} - 1` at random points with the functions uninterpreted
(:mod:`spec.modular`): :func:`prove_fixed`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import sympy

from spec.blocks.evaluate import Formula
from spec.blocks.proofs import BlockProof
from spec.modular import MODULUS, ModularProgram

__all__ = ["expand_sums", "instantiate", "prove_fixed", "vjp_case"]


def expand_sums(expr: sympy.Expr) -> sympy.Expr:
    """Every ``Sum`` with numeric bounds written out as an ``Add``, innermost first.

    Faster than ``doit`` (no summation algorithm is tried) and exact: each term
    is the summand with the index replaced by a number, so Kronecker deltas and
    range conditions of numbers evaluate as the terms are built.
    """

    def expand(node: sympy.Sum) -> sympy.Expr:
        terms = [node.function]
        for variable, lo, hi in node.limits:
            if not (lo.is_Integer and hi.is_Integer):
                raise ValueError(f"the bounds of {node} must be numbers")
            terms = [
                term.xreplace({variable: sympy.Integer(value)})
                for term in terms
                for value in range(int(lo), int(hi) + 1)
            ]
        return sympy.Add(*terms)

    while True:
        sums = [
            node
            for node in sympy.preorder_traversal(expr)
            if isinstance(node, sympy.Sum)
        ]
        if not sums:
            return expr
        # Innermost first: a sum none of whose arguments holds another sum.
        inner = [node for node in sums if not node.function.has(sympy.Sum)]
        expr = expr.xreplace({node: expand(node) for node in inner})


def instantiate(
    formula: Formula, numbers: Mapping[Any, Any]
) -> dict[tuple[int, ...], sympy.Expr]:
    """Every entry of ``formula`` at the sizes (and constants) ``numbers``.

    ``numbers`` maps size symbols to ints and may map indexed constants (labels
    ``y[0]``) to numbers: those apply once the indices are numbers.

    Returns
    -------
    dict of tuple of int to sympy.Expr
        Entry by index tuple, every sum written out.
    """
    sizes = {k: v for k, v in numbers.items() if not isinstance(k, sympy.Indexed)}
    constants = {k: v for k, v in numbers.items() if isinstance(k, sympy.Indexed)}
    expr = expand_sums(formula.expr.subs(sizes))
    shape = [int(sympy.sympify(n).subs(sizes)) for n in formula.shape]
    entries = {}
    for position in _box(shape):
        value = expr.xreplace(
            dict(zip(formula.indices, map(sympy.Integer, position), strict=True))
        )
        entries[position] = value.xreplace(constants) if constants else value
    return entries


def _box(shape: Sequence[int]) -> Iterable[tuple[int, ...]]:
    if not shape:
        yield ()
        return
    for k in range(shape[0]):
        for rest in _box(shape[1:]):
            yield (k, *rest)


def vjp_case(
    forward: Formula,
    upstream: sympy.IndexedBase | sympy.Symbol,
    pairs: Sequence[tuple[sympy.IndexedBase, Formula]],
    numbers: Mapping[Any, Any],
) -> Callable[[], tuple[list[sympy.Expr], list[sympy.Expr]]]:
    r"""A case of :func:`prove_fixed`: direct VJP entries and the formulas' entries.

    The direct side differentiates :math:`\sum_o g_o \mathrm{out}_o` (the
    forward instantiated at ``numbers``) by every entry of each input of
    ``pairs``; the formula side instantiates the paired backward formula.
    ``upstream`` is a plain symbol for a scalar output (a loss).
    """

    def build() -> tuple[list[sympy.Expr], list[sympy.Expr]]:
        outs = instantiate(forward, numbers)
        total = sympy.Add(
            *(
                (upstream[position] if position else upstream) * value
                for position, value in outs.items()
            )
        )
        entries = [
            (base[position], value)
            for base, backward in pairs
            for position, value in instantiate(backward, numbers).items()
        ]
        # Plain symbols for the entries: SymPy differentiates by a Symbol far
        # faster than by an Indexed (whose free symbols it recomputes).
        atoms = total.atoms(sympy.Indexed).union(
            *(value.atoms(sympy.Indexed) for _, value in entries)
        )
        plain = {a: sympy.Symbol(str(a), real=True) for a in atoms}
        total = total.xreplace(plain)
        direct = [sympy.diff(total, plain.get(u, u)) for u, _ in entries]
        return direct, [value.xreplace(plain) for _, value in entries]

    return build


def prove_fixed(
    kind: str,
    gradient: str,
    claim: str,
    cases: Sequence[
        tuple[str, Callable[[], tuple[list[sympy.Expr], list[sympy.Expr]]]]
    ],
    method: str,
    *,
    evaluations: int = 2,
    seed: int = 0,
) -> BlockProof:
    r"""Decide ``direct == formula`` entry by entry, exactly modulo :math:`p`.

    Parameters
    ----------
    kind, gradient, claim, method
        As in :class:`BlockProof`.
    cases : sequence of (str, callable)
        Per size: its description (``"N=2, D=3"``) and a function building the
        direct derivatives and the formula's entries, in the same order.
    evaluations : int
        Random points per size.
    seed : int
    """
    start = time.perf_counter()
    rng = random.Random(seed)
    residual = None
    for description, build in cases:
        direct, formula = build()
        exprs = [sympy.sympify(e) for e in (*direct, *formula)]
        indexed = sorted(set().union(*(e.atoms(sympy.Indexed) for e in exprs)), key=str)
        plain = {x: sympy.Dummy(str(x)) for x in indexed}
        exprs = [e.xreplace(plain) for e in exprs]
        program = ModularProgram(exprs)
        symbols = sorted(set().union(*(e.free_symbols for e in exprs)), key=str)
        done = 0
        while done < evaluations:
            point = {s: rng.randrange(MODULUS) for s in symbols}
            try:
                values = program(point, rng.randbytes(16))
            except ZeroDivisionError:
                continue  # a pole, probability about 1/p: draw another point
            done += 1
            half = len(direct)
            differ = [k for k in range(half) if values[k] != values[half + k]]
            if differ:
                residual = f"{description}: entry {differ[0]} differs"
                break
        if residual is not None:
            break
    return BlockProof(
        kind=kind,
        gradient=gradient,
        claim=claim,
        proven=residual is None,
        scope="fixed sizes",
        sizes=tuple(description for description, _ in cases),
        method=method,
        seconds=time.perf_counter() - start,
        residual=residual,
    )
