r"""The lemmas of the proof of BP1–BP4 for every width and batch size.

Widths :math:`n_{l-1}, n_l, n_{l+1}` and the batch size :math:`m` are positive
integer symbols, indices are symbols, :math:`\varphi` is an undefined elementwise
activation with derivative :math:`\varphi'` (:class:`phi`), and the cost enters
only through :math:`\nabla_a C` (an indexed symbol). Each lemma differentiates
a layer's definition, written with ``sympy.Sum`` over symbolic bounds, and
shows the result equal to the recursion's formula as an identity of symbolic
sums (``sympy.simplify`` of the difference, after ``doit``).

An index in range, :math:`0 \le q < n`, is written :math:`n = q + 1 + s` with a
nonnegative integer slack :math:`s`: every pair :math:`(n, q)` with
:math:`0 \le q < n` is one pair :math:`(q, s)`, and SymPy then decides the range
conditions its ``Piecewise`` results carry (:math:`q \le q + s`) by itself.

A lemma that does not hold is refuted exactly: the residual at small widths,
every indexed symbol and :math:`\varphi'(u)` given a random residue modulo
:math:`2^{61} - 1` (:mod:`spec.modular`), is not zero.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy

from spec.modular import MODULUS, evaluate_mod_p

__all__ = ["INDEX", "SLACK", "WIDTH", "Lemma", "base", "decide", "phi", "phi_prime"]

_NATURAL = {"integer": True, "nonnegative": True}

#: The symbolic indices: i, j, k (summation and free), p, q (parameter), e (example).
INDEX = {name: sympy.Symbol(name, **_NATURAL) for name in "ijkpqe"}
#: The symbolic widths and batch size, positive integers.
WIDTH = {
    name: sympy.Symbol(name, integer=True, positive=True)
    for name in ("n_{l-1}", "n_{l}", "n_{l+1}", "n_{L}", "m")
}
#: The slack of an index in range (see the module docstring).
SLACK = sympy.Symbol("s", **_NATURAL)


class phi_prime(sympy.Function):
    r"""The derivative :math:`\varphi'` of the generic activation, left undefined."""

    nargs = 1

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        return rf"\varphi'\left({printer._print(self.args[0])}\right)"


class phi(sympy.Function):
    r"""A generic elementwise activation :math:`\varphi`, derivative :math:`\varphi'`."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        r""":math:`\varphi'` of the same argument."""
        if argindex != 1:
            raise sympy.core.function.ArgumentIndexError(self, argindex)
        return phi_prime(self.args[0])

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        return rf"\varphi\left({printer._print(self.args[0])}\right)"


def base(name: str) -> sympy.IndexedBase:
    """An indexed symbol named as in the notation, e.g. ``W^{l}`` or ``a^{l-1}``."""
    return sympy.IndexedBase(name, real=True)


@dataclass(frozen=True)
class Lemma:
    r"""One row of the lemma table of :func:`spec.prove_general`.

    Attributes
    ----------
    name : str
        ``"S1"``, ``"BP2"``, ``"batch mean"``, ``"induction"``, ...
    claim : str
        The statement in words.
    statement : str
        The statement as LaTeX; its right-hand side printed from ``formula``.
    kind : {"assumption", "lemma", "instance", "induction"}
        The chain rule is the one assumption; the induction over depth is an
        argument from other rows, not a SymPy computation.
    proven : bool
        For an assumption: ``True`` (assumed, not proven).
    method : str
        How the row was discharged.
    uses : tuple of str
        The rows it rests on.
    derived : sympy.Expr or None
        What SymPy computed from the definitions (the chain rule applied).
    formula : sympy.Expr or None
        The recursion's formula, for the variant checked.
    residual : sympy.Expr or None
        ``derived - formula`` after simplification: 0 when proven.
    counterexample : dict of str to int or None
        When refuted: the widths used and the residual's value modulo
        :math:`2^{61} - 1` at a random point (not zero).
    seconds : float
    """

    name: str
    claim: str
    statement: str
    kind: str
    proven: bool
    method: str
    uses: tuple[str, ...] = ()
    derived: sympy.Expr | None = None
    formula: sympy.Expr | None = None
    residual: sympy.Expr | None = None
    counterexample: dict[str, int] | None = None
    seconds: float = 0.0


def _refute(
    residual: sympy.Expr, small: Mapping[sympy.Symbol, int], seed: int
) -> dict[str, int] | None:
    """A point where ``residual`` at the widths ``small`` is not 0, or ``None``."""
    concrete = residual.subs(dict(small)).doit()
    indexed = sorted(concrete.atoms(sympy.Indexed), key=str)
    values = {sympy.Dummy(str(x)): 0 for x in indexed}
    concrete = concrete.xreplace(dict(zip(indexed, values, strict=True)))
    rng = random.Random(seed)
    for _ in range(3):
        point = {s: rng.randrange(MODULUS) for s in (*values, *concrete.free_symbols)}
        try:
            residues = evaluate_mod_p(_entries(concrete), point, rng.randbytes(16))
        except ZeroDivisionError:
            continue
        if any(residues):
            value = next(r for r in residues if r)
            return {**{str(k): v for k, v in small.items()}, "residual mod p": value}
    return None


def _entries(expr: sympy.Basic) -> list[sympy.Expr]:
    return list(expr) if isinstance(expr, sympy.MatrixBase) else [expr]


def decide(
    name: str,
    claim: str,
    lhs: str,
    derive: Callable[[], sympy.Expr],
    formula: sympy.Expr,
    *,
    small: Mapping[sympy.Symbol, int],
    method: str,
    uses: tuple[str, ...] = (),
    kind: str = "lemma",
    seed: int = 0,
) -> Lemma:
    """Derive one side, compare it with ``formula``, and record the row.

    Parameters
    ----------
    name, claim, method, uses, kind
        As in :class:`Lemma`.
    lhs : str
        LaTeX of the statement's left-hand side (the definition, with the chain
        rule applied); the right-hand side is printed from ``formula``.
    derive : callable
        Builds the derived side (timed).
    formula : sympy.Expr
        The recursion's formula.
    small : mapping of sympy.Symbol to int
        Widths (and free indices) at which a non-zero residual is refuted.
    seed : int
        Seed of the refutation's random point.
    """
    start = time.perf_counter()
    derived = derive()
    residual = sympy.simplify(derived - formula)
    proven = all(r == 0 for r in _entries(residual))
    counterexample = None if proven else _refute(residual, small, seed)
    at = ", ".join(f"{symbol} = {value}" for symbol, value in small.items())
    if proven:
        how = f"{method}; difference simplifies to 0"
    elif counterexample is not None:
        how = f"{method}; REFUTED: difference not 0 at {at} (exact, mod p)"
    else:
        how = f"{method}; NOT proven: difference does not simplify to 0"
    return Lemma(
        name=name,
        claim=claim,
        statement=f"{lhs} = {sympy.latex(formula)}",
        kind=kind,
        proven=proven,
        method=how,
        uses=uses,
        derived=derived,
        formula=formula,
        residual=residual,
        counterexample=counterexample,
        seconds=time.perf_counter() - start,
    )
