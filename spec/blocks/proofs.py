r"""How the backward formulas of :mod:`spec.blocks` are proven, and the record.

Two methods, as SymPy allows:

- **symbolic sizes** (:func:`prove_symbolic`): the forward is a ``Sum`` over
  symbolic bounds; its vector-Jacobian product
  :math:`\bar x_q = \sum_o g_o\, \partial\, \mathrm{out}_o / \partial x_q` is
  computed by ``sympy.diff`` and ``doit`` (the chain rule is the one assumption),
  and shown equal to the backward formula. A free index in range, :math:`0 \le q
  < n`, is written :math:`n = q + 1 + s` with a slack :math:`s \ge 0`, as in
  :mod:`spec.general.lemmas`, so SymPy decides the range conditions itself;
  ``Piecewise`` conditions are brought to one canonical form (every relation as
  :math:`e \ge 0`, :math:`e` expanded) before the difference is simplified.
  Kronecker deltas are only ever summed over an index whose coefficient is
  :math:`\pm 1`: SymPy's delta summation drops divisibility otherwise
  (``Sum(g[i]*KroneckerDelta(n, 2*i), (i, 0, 5)).doit()`` is ``g[n/2]``, wrong for
  odd :math:`n`), so a sum whose delta has a strided index is first exchanged
  with one that has a unit coefficient (:func:`sum_over`).
- **fixed sizes** (:func:`spec.blocks.fixed.prove_fixed`): the forward and the backward formula are
  instantiated at given sizes, every entry of the direct derivative is computed
  by ``sympy.diff``, and both are evaluated exactly modulo :math:`p = 2^{61} - 1`
  at random points with the functions (:math:`\sqrt{\cdot}`, :math:`\exp`,
  :math:`\ln`, relu, the step) uninterpreted (:mod:`spec.modular`): equal
  residues at every point prove the identity except with probability about
  :math:`(d/p)^k` (Schwartz–Zippel).
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy

from spec.blocks.evaluate import Formula

__all__ = [
    "BlockProof",
    "BlockProofs",
    "array",
    "as_single_sum",
    "canonical",
    "derive_vjp",
    "index",
    "prove_symbolic",
    "pull_deltas",
    "size",
    "slack_sizes",
    "sum_over",
    "sums_equal",
    "unslack",
    "vjp_of",
]


def index(name: str) -> sympy.Symbol:
    """An index symbol: a nonnegative integer."""
    return sympy.Symbol(name, integer=True, nonnegative=True)


def size(name: str) -> sympy.Symbol:
    """A size (or stride) symbol: a positive integer."""
    return sympy.Symbol(name, integer=True, positive=True)


def array(name: str) -> sympy.IndexedBase:
    """A real array, indexed as ``x[n, c, h, w]``."""
    return sympy.IndexedBase(name, real=True)


@dataclass(frozen=True)
class BlockProof:
    r"""One row of :func:`spec.blocks.prove_blocks`: one gradient of one layer.

    Attributes
    ----------
    kind : str
        The layer, as :func:`spec.blocks.layer_vjp` names it.
    gradient : str
        ``"dx"``, ``"dw"``, ``"db"``, ``"dgamma"``, ``"dbeta"``, ``"dscores"``, or
        a named lemma (``"dx (zero-inserted, flipped)"``).
    claim : str
        The statement in words.
    proven : bool
    scope : {"symbolic", "fixed sizes"}
        Symbolic: for every size, stride and padding. Fixed sizes: at each size
        of ``sizes``.
    sizes : tuple of str
        The sizes of a fixed-size proof, e.g. ``"N=2, D=3"``; empty if symbolic.
    method : str
        How equality was decided.
    seconds : float
    residual : str or None
        When not proven: the difference SymPy left, or the first size where the
        residues differ.
    """

    kind: str
    gradient: str
    claim: str
    proven: bool
    scope: str
    sizes: tuple[str, ...]
    method: str
    seconds: float
    residual: str | None = None

    def __str__(self) -> str:
        status = "proven" if self.proven else "NOT proven"
        where = (
            "for symbolic sizes"
            if self.scope == "symbolic"
            else ("at " + "; ".join(self.sizes))
        )
        return f"{self.kind} {self.gradient}: {status} {where} ({self.method})"


@dataclass(frozen=True)
class BlockProofs:
    """The table :func:`spec.blocks.prove_blocks` returns: one row per gradient.

    Attributes
    ----------
    rows : tuple of BlockProof
    seconds : float
    """

    rows: tuple[BlockProof, ...]
    seconds: float = field(default=0.0)

    @property
    def proven(self) -> bool:
        """Whether every row is proven."""
        return all(row.proven for row in self.rows)

    def row(self, kind: str, gradient: str) -> BlockProof:
        """The row of ``gradient`` (e.g. ``"dx"``) of layer ``kind``."""
        for row in self.rows:
            if (row.kind, row.gradient) == (kind, gradient):
                return row
        raise KeyError(f"no row for {kind!r}, {gradient!r}")

    def data(self) -> list[dict[str, Any]]:
        """The rows as JSON-ready dicts."""
        return [
            {
                "kind": r.kind,
                "gradient": r.gradient,
                "claim": r.claim,
                "proven": r.proven,
                "scope": r.scope,
                "sizes": list(r.sizes),
                "method": r.method,
                "seconds": r.seconds,
                "residual": r.residual,
            }
            for r in self.rows
        ]

    def table(self) -> str:
        """Plain text, one row per gradient."""
        lines = [f"{'layer':18} {'gradient':28} {'status':10} {'scope':12} seconds"]
        for r in self.rows:
            status = "proven" if r.proven else "FAILS"
            lines.append(
                f"{r.kind:18} {r.gradient:28} {status:10} {r.scope:12} {r.seconds:7.2f}"
            )
        return "\n".join(lines)

    def rst(self) -> str:
        """The table as a reStructuredText list table (for a generated page)."""
        lines = [
            ".. list-table::",
            "   :header-rows: 1",
            "",
            "   * - layer",
            "     - gradient",
            "     - status",
            "     - scope",
            "     - method",
        ]
        for r in self.rows:
            scope = "every size" if r.scope == "symbolic" else "; ".join(r.sizes)
            lines += [
                f"   * - {r.kind}",
                f"     - {r.gradient}",
                f"     - {'proven' if r.proven else 'NOT proven'}",
                f"     - {scope}",
                f"     - {r.method}",
            ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


# -- symbolic sizes ---------------------------------------------------------------


def _canonical_relation(relation: sympy.Basic) -> sympy.Expr:
    """``e`` with ``relation`` equivalent to ``e >= 0`` over the integers."""
    if isinstance(relation, (sympy.GreaterThan, sympy.StrictGreaterThan)):
        e = relation.lhs - relation.rhs
    elif isinstance(relation, (sympy.LessThan, sympy.StrictLessThan)):
        e = relation.rhs - relation.lhs
    else:
        raise TypeError(f"cannot bring {relation} to the form e >= 0")
    if isinstance(relation, (sympy.StrictGreaterThan, sympy.StrictLessThan)):
        e = e - 1  # integers: a > b is a - b - 1 >= 0
    return sympy.expand(e)


def _canonical_condition(condition: sympy.Basic) -> sympy.Basic:
    if condition is sympy.true or condition is sympy.false:
        return condition
    parts = condition.args if isinstance(condition, sympy.And) else (condition,)
    terms = sorted({_canonical_relation(p) for p in parts}, key=sympy.default_sort_key)
    relations = [sympy.GreaterThan(e, 0, evaluate=False) for e in terms]
    return sympy.And(*relations, evaluate=False) if len(relations) > 1 else relations[0]


def canonical(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with every ``Piecewise`` condition in one canonical form.

    Each relation of a condition (a conjunction of inequalities between integer
    expressions) becomes ``e >= 0`` with ``e`` expanded (``a > b`` becomes
    ``a - b - 1 >= 0``), the relations sorted: two conditions that state the same
    range the same way print alike, and ``simplify`` merges their branches.
    """
    return expr.replace(
        lambda node: isinstance(node, sympy.Piecewise),
        lambda pw: sympy.Piecewise(*[(e, _canonical_condition(c)) for e, c in pw.args]),
    )


def pull_deltas(expr: sympy.Expr) -> sympy.Expr:
    r"""Move Kronecker deltas out of ``Piecewise((delta * u, c), (0, True))``.

    ``doit`` sums a delta over its index only where the delta is a factor of the
    summand; after one ``doit`` it may sit inside a ``Piecewise`` range condition.
    :math:`[c]\,\delta u = \delta\,[c]\,u`, so the delta is moved out.
    """

    def pull(pw: sympy.Piecewise) -> sympy.Expr:
        if len(pw.args) != 2 or pw.args[1].cond is not sympy.true:
            return pw
        if pw.args[1].expr != 0:
            return pw
        expr, condition = pw.args[0]
        factors = sympy.Mul.make_args(expr)
        deltas = [f for f in factors if isinstance(f, sympy.KroneckerDelta)]
        if not deltas:
            return pw
        rest = sympy.Mul(
            *(f for f in factors if not isinstance(f, sympy.KroneckerDelta))
        )
        return sympy.Mul(*deltas) * sympy.Piecewise((rest, condition), (0, True))

    return expr.replace(lambda node: isinstance(node, sympy.Piecewise), pull)


def _unit_coefficient(delta: sympy.KroneckerDelta, variable: sympy.Symbol) -> bool:
    difference = sympy.expand(delta.args[0] - delta.args[1])
    coefficient = difference.coeff(variable)
    return (
        coefficient in (1, -1)
        and variable not in (difference - coefficient * variable).free_symbols
    )


def sum_over(
    expr: sympy.Expr, variable: sympy.Symbol, low: Any, high: Any
) -> sympy.Expr:
    r""":math:`\sum_{v=\text{low}}^{\text{high}}` of ``expr``, done by SymPy.

    Raises
    ------
    ValueError
        If ``expr`` holds a Kronecker delta in ``variable`` whose coefficient is
        not :math:`\pm 1`: SymPy's delta summation would solve it as if the index
        could be fractional (the trap of the module docstring).
    """
    for delta in expr.atoms(sympy.KroneckerDelta):
        if variable in delta.free_symbols and not _unit_coefficient(delta, variable):
            raise ValueError(
                f"refusing to sum {delta} over {variable}: its coefficient is not "
                "+-1, and SymPy's delta summation would drop divisibility; exchange "
                "the sum with one over an index of coefficient 1 first"
            )
    return sympy.Sum(expr, (variable, low, high)).doit()


def derive_vjp(
    forward: Formula, upstream: sympy.IndexedBase, wrt: sympy.Indexed
) -> sympy.Expr:
    r"""The vector-Jacobian product :math:`\sum_o g_o\, \partial\,\mathrm{out}_o / \partial u`.

    ``forward.expr`` is differentiated by ``sympy.diff`` and summed over every
    output index from the innermost out, each sum done by :func:`sum_over`
    (which refuses a strided delta), deltas pulled out of range conditions in
    between; the sums left over are those of the backward formula.

    Parameters
    ----------
    forward : Formula
        ``out`` at its indices.
    upstream : sympy.IndexedBase
        :math:`g`, indexed like ``out``.
    wrt : sympy.Indexed
        The entry :math:`u` of an input at free indices.

    Returns
    -------
    sympy.Expr
    """
    summand = pull_deltas(sympy.diff(forward.expr, wrt).doit())
    summand = upstream[forward.indices] * summand
    # Sum each output index whose delta pins it (coefficient 1) now; keep the
    # others, in order, as the sums of the result.
    kept: list[tuple[sympy.Symbol, Any, Any]] = []
    for variable, length in zip(forward.indices, forward.shape, strict=True):
        pinned = any(
            variable in d.free_symbols and _unit_coefficient(d, variable)
            for d in summand.atoms(sympy.KroneckerDelta)
        )
        if pinned:
            summand = pull_deltas(sum_over(summand, variable, 0, length - 1))
        else:
            kept.append((variable, 0, length - 1))
    return sympy.Sum(summand, *kept) if kept else summand


def _limits_independent(limits: Sequence[tuple[Any, ...]]) -> bool:
    variables = {limit[0] for limit in limits}
    return all(
        not (sympy.sympify(lo).free_symbols | sympy.sympify(hi).free_symbols)
        & variables
        for _, lo, hi in limits
    )


def as_single_sum(expr: sympy.Expr) -> sympy.Sum:
    """``c * Sum(f, limits)`` as ``Sum(c * f, limits)`` (``c`` free of the limits).

    Raises
    ------
    ValueError
        If ``expr`` is not one sum times factors.
    """
    if isinstance(expr, sympy.Sum):
        return expr
    factors = sympy.Mul.make_args(expr)
    sums = [f for f in factors if isinstance(f, sympy.Sum)]
    if len(sums) != 1:
        raise ValueError(f"expected one sum times factors, got {expr}")
    (inner,) = sums
    rest = sympy.Mul(*(f for f in factors if f is not inner))
    if rest.free_symbols & {limit[0] for limit in inner.limits}:
        raise ValueError(f"a factor of {expr} depends on the summation indices")
    return sympy.Sum(rest * inner.function, *inner.limits)


def _differs_somewhere(residual: sympy.Expr, seed: int = 0) -> bool:
    """Whether ``residual`` is not 0 at some random valid point (a quick refutation).

    Integer symbols take small values their assumptions allow, every indexed
    entry and real symbol a random rational. Only a number counts: a residual
    left with an unevaluated function or sum says nothing here.
    """
    rng = random.Random(seed)
    symbols = sorted(
        (s for s in residual.free_symbols if isinstance(s, sympy.Symbol)), key=str
    )
    # Small integers, so that range conditions hold at a fair share of points.
    for _ in range(40):
        point: dict[sympy.Basic, sympy.Expr] = {}
        for s in symbols:
            if s.is_integer:
                point[s] = sympy.Integer(rng.randint(1 if s.is_positive else 0, 4))
            else:
                point[s] = sympy.Rational(rng.randint(-99, 99), rng.randint(1, 9))
        try:
            value = residual.xreplace(point)
            entries = {
                x: sympy.Rational(rng.randint(-99, 99), rng.randint(1, 9))
                for x in value.atoms(sympy.Indexed)
            }
            value = value.xreplace(entries)
        except (TypeError, ValueError, ZeroDivisionError):
            continue  # a point SymPy cannot evaluate says nothing
        if value.is_Number and value != 0:
            return True
    return False


def _renamed_like(b: sympy.Sum, a: sympy.Sum) -> sympy.Sum:
    """``b`` with its summation indices renamed as ``a``'s, range for range.

    Only when the ranges agree position by position and no new name is already
    free in ``b`` (a bound index's name means nothing).
    """
    if len(a.limits) != len(b.limits) or set(a.limits) == set(b.limits):
        return b
    pairs = list(zip(b.limits, a.limits, strict=True))
    if any(tuple(lb[1:]) != tuple(la[1:]) for lb, la in pairs):
        return b
    rename = {lb[0]: la[0] for lb, la in pairs}
    if set(rename.values()) & b.free_symbols:
        return b
    return sympy.Sum(b.function.xreplace(rename), *a.limits)


def sums_equal(a: sympy.Expr, b: sympy.Expr) -> tuple[bool, sympy.Expr]:
    """Whether two expressions, sums of the same ranges maybe, are equal.

    Both are brought to :func:`canonical` form, constant factors moved inside a
    sum (:func:`as_single_sum`) and summation indices renamed alike. Sums over
    the same independent ranges (in any order: finite sums over a box commute)
    are compared summand by summand: equal summands give equal sums.

    A residual that is a number other than 0 at a random valid point is not
    simplified (the two differ there, if the summands are compared).

    Returns
    -------
    (bool, sympy.Expr)
        Whether equal, and the residual (0 when equal).
    """
    a, b = canonical(a), canonical(b)
    with contextlib.suppress(ValueError):  # not single sums: compared whole below
        a, b = as_single_sum(a), as_single_sum(b)
    if isinstance(a, sympy.Sum) and isinstance(b, sympy.Sum):
        b = _renamed_like(b, a)
        limits_a, limits_b = set(a.limits), set(b.limits)
        if limits_a == limits_b and _limits_independent(a.limits):
            residual = a.function - b.function
            if _differs_somewhere(residual):
                return False, residual
            residual = sympy.simplify(residual)
            return residual == 0, residual
    residual = a - b
    if _differs_somewhere(residual):
        return False, residual
    residual = sympy.simplify(residual)
    return residual == 0, residual


def slack_sizes(
    indices: Sequence[sympy.Symbol], shape: Sequence[sympy.Expr]
) -> dict[sympy.Symbol, sympy.Expr]:
    """Each size symbol of ``shape`` as ``index + 1 + slack`` (the index in range).

    Axes whose length is not a lone symbol are left as they are.
    """
    sizes: dict[sympy.Symbol, sympy.Expr] = {}
    for i, n in zip(indices, shape, strict=True):
        if isinstance(n, sympy.Symbol) and n not in sizes:
            sizes[n] = i + 1 + index(f"s_{{{n}}}")
    return sizes


def unslack(expr: sympy.Expr, sizes: Mapping[sympy.Symbol, sympy.Expr]) -> sympy.Expr:
    """``expr`` with each slack of :func:`slack_sizes` written back as its size."""
    back = {}
    for length, form in sizes.items():
        (slack,) = (s for s in form.free_symbols if s.name.startswith("s_{"))
        back[slack] = length - (form - slack)
    return expr.subs(back)


def vjp_of(
    forward: Formula,
    upstream: sympy.IndexedBase,
    base: sympy.IndexedBase,
    formula: Formula,
    reduce: Callable[[sympy.Expr], sympy.Expr] | None = None,
) -> tuple[sympy.Expr, dict[sympy.Symbol, sympy.Expr]]:
    """The VJP with respect to ``base`` at ``formula``'s indices, sizes in slack form.

    Returns the derived expression (``reduce`` applied, if given) and the slack
    substitution used (undo it with :func:`unslack`).
    """
    sizes = slack_sizes(formula.indices, formula.shape)
    out = Formula(
        forward.name,
        forward.indices,
        tuple(sympy.sympify(n).subs(sizes) for n in forward.shape),
        forward.expr.subs(sizes),
    )
    derived = derive_vjp(out, upstream, base[formula.indices])
    return (reduce(derived) if reduce else derived), sizes


def prove_symbolic(
    kind: str,
    gradient: str,
    claim: str,
    derive: Callable[[], tuple[sympy.Expr, sympy.Expr]],
    method: str,
) -> BlockProof:
    """Run ``derive`` (the derived side and the formula) and record the row."""
    start = time.perf_counter()
    derived, formula = derive()
    proven, residual = sums_equal(derived, formula)
    return BlockProof(
        kind=kind,
        gradient=gradient,
        claim=claim,
        proven=proven,
        scope="symbolic",
        sizes=(),
        method=method,
        seconds=time.perf_counter() - start,
        residual=None if proven else str(residual),
    )
