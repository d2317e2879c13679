r"""The engine of the derivative checks: a claimed :math:`J u` against a numeric one.

Every first-order check reduces to tangents :math:`u`: the claimed derivative
along :math:`u` (a column of a Jacobian, a JVP, the dot product
:math:`\langle J^T v, u\rangle` of a VJP) against the numeric one
(:meth:`~spec.check.derivatives.functions.FlatFunction.jvp`), output by output, or projected
on a cotangent :math:`v` (:math:`\langle v, J u \rangle`, the dot-product
identity). :func:`compare_tangents` evaluates both, holds them to the tolerance of
:mod:`spec.check.derivatives.options`, looks at kinks (:mod:`spec.check.derivatives.kinks`) and hands the
items to :func:`~spec.check.derivatives.compare.report_items`.

Tangents are the unit vectors :math:`e_k` (entry mode: every entry named) or random
unit vectors per input block (fast mode). A random unit :math:`u \in \mathbb R^n`
turns an error :math:`e` of the claimed derivative, every entry within the
per-entry tolerance :math:`\tau`, into :math:`u^T e` with
:math:`P(|u^T e| > 6\tau) \le P(|u_1| > 6/\sqrt n) \le 2 e^{-18} \approx 3.0
\cdot 10^{-8}` (concentration on the sphere); fast mode allows :math:`6\tau`, so
this bounds its false-alarm probability per compared item.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.derivatives.compare import Tolerance, report_items, scale_of
from spec.check.derivatives.functions import (
    FlatFunction,
    choose_method,
    precision_note,
    step_note,
)
from spec.check.derivatives.kinks import KINK_METHODS, find_kinks
from spec.check.derivatives.options import FAST_SIGMAS, CheckOptions
from spec.check.derivatives.report import Block, GradcheckReport
from spec.check.derivatives.trees import TreeDef, flatten

__all__ = [
    "Problem",
    "Tangent",
    "compare_tangents",
    "output_namer",
    "prepare",
    "tangents_for",
]


@dataclasses.dataclass(frozen=True)
class Problem:
    """A check set up: the function, the point, the resolved options, the notes."""

    fn: FlatFunction
    treedef: TreeDef
    x_given: Any
    options: CheckOptions
    notes: tuple[str, ...]


def prepare(
    f: Callable[[Any], Any],
    x: Any,
    options: CheckOptions,
    *,
    root: str = "x",
    what: str = "f",
) -> Problem:
    """Flatten ``x``, evaluate ``f`` there and resolve ``options.method``.

    ``x_given`` is the point rebuilt in the user's own dtypes and libraries, for
    the claimed derivative; ``f`` is evaluated with leaves widened to float64.
    """
    flat, treedef = flatten(x, root)
    fn = FlatFunction(f, treedef, flat, what=what)
    method = options.method
    if method == "taylor":
        why = "reference: none, the Taylor test (method='taylor')"
    else:
        method, why = choose_method(fn, method, options.rng)
    notes = [why, step_note(fn, method), precision_note(fn)]
    return Problem(
        fn,
        treedef,
        treedef.unflatten_as_given(flat),
        dataclasses.replace(options, method=method),
        tuple(note for note in notes if note),
    )


@dataclasses.dataclass(frozen=True)
class Tangent:
    """A direction of the check: ``u`` (flat, unit), its label, and its block."""

    u: NDArray
    label: str
    block: int
    random: bool


def output_namer(shape: tuple[int, ...], root: str = "f") -> Callable[[int], str]:
    """Names of the flat outputs: ``f`` (a scalar), ``f[2]``, ``f[1, 0]``."""
    if not shape:
        return lambda i: root
    return lambda i: root + "[" + ", ".join(map(str, np.unravel_index(i, shape))) + "]"


def tangents_for(
    treedef: TreeDef, options: CheckOptions, given: NDArray | None = None
) -> list[Tangent]:
    """The tangents of a check: ``given``, or random per block (fast), or every e_k."""
    blocks = treedef.blocks()
    if given is not None:  # held to the tolerance of a random direction
        return [Tangent(given, "u", 0, random=True)]
    if options.fast:
        rng = np.random.default_rng(options.rng)
        out = []
        for index, b in enumerate(blocks):
            for d in range(options.n_directions):
                u = np.zeros(treedef.size)
                z = rng.standard_normal(b.stop - b.start)
                u[b.start : b.stop] = z / np.linalg.norm(z)
                out.append(Tangent(u, f"u{d + 1} of {b.name}", index, random=True))
        return out
    out = []
    for index, b in enumerate(blocks):
        for k in range(b.start, b.stop):
            u = np.zeros(treedef.size)
            u[k] = 1.0
            out.append(Tangent(u, treedef.name(k), index, random=False))
    return out


def compare_tangents(
    fn: FlatFunction,
    claimed: Callable[[Tangent], NDArray],
    tangents: Sequence[Tangent],
    options: CheckOptions,
    *,
    blocks: Sequence[Block],
    cotangent: NDArray | None = None,
    reference: Callable[[Tangent], NDArray] | None = None,
    notes: Sequence[str] = (),
    subject: str = "",
    check: str = "gradcheck",
    out_root: str = "f",
    out_name: Callable[[int], str] | None = None,
) -> GradcheckReport:
    """Compare claimed and numeric derivatives along ``tangents``; a report.

    Parameters
    ----------
    fn : FlatFunction
        The function; its numeric :math:`J u` is the reference unless
        ``reference`` is given.
    claimed : callable
        ``claimed(tangent) -> ndarray (m,)``, or ``(1,)`` with ``cotangent``, in
        the claimed values' own dtype (which sets the tolerances).
    tangents : sequence of Tangent
        Ordered by block (as :func:`tangents_for` makes them).
    options : CheckOptions
        ``options.method`` resolved (a numeric method).
    blocks : sequence of Block
        The input blocks the tangents' ``block`` index into.
    cotangent : ndarray, shape (m,), optional
        Compare :math:`\\langle v, J u\\rangle` (one item per tangent) instead of
        every output.
    reference : callable, optional
        ``reference(tangent) -> ndarray (m,)`` replacing the numeric ``J u``
        (second-order references); no kink search then.
    notes, subject, check, out_root, out_name
        For the report: its notes, what the items are, the check's name, and the
        name of the output (``f``), or of each flat output.
    """
    method = options.method
    if out_name is None:
        out_name = output_namer(fn.out_shape, out_root)
    claimed_rows, reference_rows, dtypes = [], [], []
    for t in tangents:
        ref = fn.jvp(t.u, method) if reference is None else reference(t)
        if cotangent is not None:
            ref = np.atleast_1d(cotangent @ ref)
        row = np.asarray(claimed(t))
        dtypes.append(row.dtype)
        claimed_rows.append(row.astype(np.float64).reshape(-1))
        reference_rows.append(np.asarray(ref, dtype=np.float64).reshape(-1))
    claimed_dtype = np.result_type(*dtypes)
    m = reference_rows[0].size
    c, r = np.concatenate(claimed_rows), np.concatenate(reference_rows)
    random = any(t.random for t in tangents)
    f_value = float(np.abs(fn.value).max(initial=0))
    if cotangent is not None:
        f_value = abs(float(cotangent @ fn.value.reshape(-1)))
    rtol, atol = options.tolerances(
        f_dtype=fn.f_dtype, claimed_dtype=claimed_dtype, f_value=f_value
    )
    scale = scale_of(c, r)
    sigmas = FAST_SIGMAS if random else 1.0
    tolerance = Tolerance(sigmas * (atol + rtol * scale), rtol, atol, scale)

    def name(k: int) -> str:
        t, i = tangents[k // m], k % m
        if cotangent is not None or m == 1:
            return t.label
        return (
            f"{out_name(i)} along {t.label}"
            if t.random
            else (f"d{out_name(i)}/d{t.label}")
        )

    kinks = {}
    if reference is None and method in KINK_METHODS:
        bad = ~(np.abs(c - r) <= tolerance.tol)
        for j, t in enumerate(tangents):
            rows = [i for i in range(m) if bad[j * m + i]]
            if not rows:
                continue
            line = fn.line(t.u)
            if cotangent is not None:
                v = cotangent

                def line(s: float, base: Any = line, v: NDArray = v) -> NDArray:
                    return np.atleast_1d(v @ base(s))

            found = find_kinks(
                line,
                fn.step(t.u, method),
                c[j * m : (j + 1) * m],
                rows,
                tolerance.tol,
                functools.partial(_offset_name, name, j * m),
            )
            kinks.update({j * m + i: kink for i, kink in found.items()})
    crossed = {tangents[k // m].block for k, kink in kinks.items() if not kink.passed}
    crossed = {b for b in crossed if tangents[0].random and len(blocks) > b}
    if crossed and all(t.random for t in tangents) and len(tangents) > 1:
        # A random direction crosses every kink of its block at once, and several
        # kinks' one-sided derivatives need not bound the claimed value: those
        # blocks are checked entry by entry, where each entry crosses one.
        units = [
            Tangent(np.eye(1, fn.x.size, k)[0], fn.treedef.name(k), index, False)
            for index in sorted(crossed)
            for k in range(blocks[index].start, blocks[index].stop)
        ]
        kept = [t for t in tangents if t.block not in crossed]
        names = ", ".join(blocks[i].name for i in sorted(crossed))
        note = (
            f"kinks: a random direction crossed several kinks at once in {names}; "
            "its entries were checked one by one"
        )
        return compare_tangents(
            fn,
            claimed,
            sorted([*kept, *units], key=lambda t: t.block),
            options,
            blocks=blocks,
            cotangent=cotangent,
            notes=(*notes, note),
            subject=subject,
            check=check,
            out_root=out_root,
            out_name=out_name,
        )
    groups = []
    for index, b in enumerate(blocks):
        ks = [j for j, t in enumerate(tangents) if t.block == index]
        if ks:
            groups.append((b, ks[0] * m, (ks[-1] + 1) * m))
    return report_items(
        c,
        r,
        tolerance=tolerance,
        name=name,
        groups=groups,
        dtype=str(claimed_dtype),
        options=dataclasses.replace(options, fast=random),
        kinks=kinks,
        notes=notes,
        subject=subject,
        check=check,
    )


def _offset_name(name: Callable[[int], str], offset: int, i: int) -> str:
    return name(offset + i)
