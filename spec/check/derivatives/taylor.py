r"""The Taylor test: a verdict on a derivative that needs no step and no tolerance.

Along a direction :math:`d`, the remainder of the first-order expansion

.. math:: r(h) = \lvert f(x + h d) - f(x) - h \langle g, d\rangle \rvert

is :math:`O(h^2)` when :math:`g` is the gradient and :math:`O(h)` when it is not
(then :math:`r(h) \approx h\,\lvert\langle \nabla f - g, d\rangle\rvert`). Over the
geometric sequence :math:`h_k = h_0 2^{-k}` a correct gradient shows slope 2 on a
log-log plot, a wrong one slope 1, whatever the size of ``f`` or of the error. The
slope is fitted over the smallest steps at which :math:`r(h)` stands above the
rounding of ``f`` (``NOISE_ULPS`` ulps of the terms summed); the test passes when
the fitted order is above the expected one less ``ORDER_MARGIN``. With a
Hessian-vector product the expansion gains :math:`\tfrac{h^2}{2} \langle d, H d
\rangle` and the expected order is 3. For a vector-valued ``f`` (a JVP, a
Jacobian) :math:`r(h)` is the largest entry of the vector remainder.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.derivatives.functions import FlatFunction
from spec.check.derivatives.report import GradcheckError
from spec.check.derivatives.trees import flatten, flatten_like

__all__ = [
    "NOISE_ULPS",
    "ORDER_MARGIN",
    "TaylorReport",
    "TaylorRow",
    "taylor_along",
    "taylor_test",
]

#: A remainder counts when it is above this many ulps of the terms it is made of.
NOISE_ULPS = 2**10
#: Pass when the fitted order exceeds the expected one less this (2 vs 1 apart).
ORDER_MARGIN = 0.5
#: The fit uses this many of the smallest steps above rounding.
FIT_POINTS = 5


@dataclasses.dataclass(frozen=True)
class TaylorRow:
    """One step: ``h``, the remainder ``r``, the local slope to the next step,
    and whether the row is in the fit."""

    h: float
    r: float
    slope: float
    fitted: bool


@dataclasses.dataclass(frozen=True)
class TaylorReport:
    """The outcome of a Taylor test: the table, the fitted order and the verdict."""

    passed: bool
    expected_order: int
    order: float
    rows: tuple[TaylorRow, ...]
    check: str = "taylor_test"
    notes: tuple[str, ...] = ()
    problem: str = ""

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "failed"
        if self.problem:
            head = f"{self.check} {verdict}: {self.problem}"
        else:
            head = (
                f"{self.check} {verdict}: the remainder shrinks with order "
                f"{self.order:.2f}; a correct derivative gives {self.expected_order}, "
                f"a wrong one {self.expected_order - 1} "
                f"(pass above {self.expected_order - ORDER_MARGIN:g})."
            )
        lines = [head, f"  {'h':>9}  {'r(h)':>9}  slope"]
        for row in self.rows:
            slope = "" if not np.isfinite(row.slope) else f"{row.slope:5.2f}"
            mark = "  *" if row.fitted else ""
            lines.append(f"  {row.h:9.2e}  {row.r:9.2e}  {slope:>5}{mark}")
        lines.append("  (* the steps fitted: the smallest above rounding)")
        lines += [f"  {note}" for note in self.notes]
        return "\n".join(lines)


def taylor_along(
    line: Callable[[float], NDArray],
    terms: Sequence[NDArray],
    *,
    eps: float,
    h0: float,
    n_steps: int,
    check: str = "taylor_test",
    notes: Sequence[str] = (),
    raise_on_failure: bool = True,
) -> TaylorReport:
    """The Taylor test of ``line(h) = f(x + h d)`` against the expansion ``terms``.

    ``terms`` are the claimed derivatives along ``d``: ``[<g, d>]`` (order 2
    expected) or ``[<g, d>, <d, H d>]`` (order 3); arrays of ``f``'s output shape.
    """
    f0 = np.asarray(line(0.0), dtype=np.float64)
    hs = h0 * 2.0 ** -np.arange(n_steps)
    r, noise = np.empty(n_steps), np.empty(n_steps)
    for k, h in enumerate(hs):
        value = np.asarray(line(float(h)), dtype=np.float64)
        parts = [value, f0] + [
            h ** (j + 1) / np.prod(range(1, j + 2)) * t for j, t in enumerate(terms)
        ]
        remainder = value - f0 - sum(parts[2:], np.zeros_like(f0))
        r[k] = float(np.max(np.abs(remainder), initial=0))
        noise[k] = NOISE_ULPS * eps * float(np.max(sum(np.abs(p) for p in parts)))
    valid = np.isfinite(r) & (r > noise)
    expected = len(terms) + 1
    slopes = np.full(n_steps, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        slopes[:-1] = np.log2(r[:-1] / r[1:])
    good = np.flatnonzero(valid)
    fit = good[-FIT_POINTS:] if good.size else good
    problem, order = "", float("nan")
    if good.size == 0:
        problem = (
            f"the remainder is at the rounding level of f for every h from {hs[0]:.1e} "
            f"to {hs[-1]:.1e}: the expansion is exact to rounding"
        )
        passed = True
    elif fit.size < 3 and n_steps - 1 - good[-1] >= 3:
        problem = (
            f"the remainder falls to the rounding level of f for every h below "
            f"{hs[good[-1]]:.1e}: the expansion is exact there (f is piecewise "
            "polynomial of low degree along d)"
        )
        passed = True
    elif fit.size < 3:
        problem = (
            f"only {fit.size} steps stand above rounding; give a larger h0 "
            f"(now {h0:.2e})"
        )
        passed = False
    else:
        order = float(np.polyfit(np.log(hs[fit]), np.log(r[fit]), 1)[0])
        passed = order > expected - ORDER_MARGIN
    rows = tuple(
        TaylorRow(float(h), float(rk), float(s), bool(k in set(fit.tolist())))
        for k, (h, rk, s) in enumerate(zip(hs, r, slopes, strict=True))
    )
    report = TaylorReport(passed, expected, order, rows, check, tuple(notes), problem)
    if not passed and raise_on_failure:
        raise GradcheckError(report)
    return report


def direction(size: int, d: NDArray | None, rng: Any) -> NDArray:
    """A unit direction: ``d`` normalised, or a standard normal one from ``rng``."""
    if d is None:
        d = np.random.default_rng(rng).standard_normal(size)
    norm = float(np.linalg.norm(d))
    if not norm > 0 or not np.isfinite(norm):
        raise ValueError(f"d must be finite and not zero, got norm {norm}")
    return d / norm


def taylor_of(
    fn: FlatFunction,
    claimed: Callable[[NDArray], NDArray],
    *,
    rng: Any,
    check: str,
    raise_on_failure: bool,
    notes: Sequence[str] = (),
    cotangent: NDArray | None = None,
) -> TaylorReport:
    """The Taylor test used as ``method="taylor"`` by the other checks.

    ``claimed(d)`` is the claimed derivative of ``fn`` along the unit ``d`` (a
    random one from ``rng``), an array of ``fn``'s output size; or, with
    ``cotangent`` :math:`v`, of :math:`\\langle v, f\rangle` (one number).
    """
    d = direction(fn.x.size, None, rng)
    line = fn.line(d)
    if cotangent is not None:
        base, v = line, cotangent

        def line(s: float) -> NDArray:
            return np.atleast_1d(v @ base(s))

    return taylor_along(
        line,
        [np.asarray(claimed(d), dtype=np.float64).reshape(-1)],
        eps=fn.eps,
        h0=max(1.0, float(np.abs(fn.x).max())) / 4,
        n_steps=30,
        check=check,
        notes=notes,
        raise_on_failure=raise_on_failure,
    )


def taylor_test(
    f: Callable[[Any], Any],
    grad: Callable[[Any], Any],
    x: Any,
    *,
    hvp: Callable[[Any, Any], Any] | None = None,
    d: Any = None,
    h0: float | None = None,
    n_steps: int = 30,
    rng: Any = 0,
    raise_on_failure: bool = True,
) -> TaylorReport:
    r"""The Taylor test of a claimed gradient (and Hessian-vector product).

    Parameters
    ----------
    f : callable
        ``f(x) -> scalar`` (any array library).
    grad : callable
        ``grad(x) -> tree`` shaped like ``x``: the claimed gradient.
    x : array, number, or nested list, tuple or dict of them
        The point.
    hvp : callable, optional
        ``hvp(x, v) -> tree`` shaped like ``x``: a claimed :math:`H v`; the
        expansion then has order 3.
    d : tree shaped like ``x``, optional
        The direction (normalised); standard normal from ``rng`` by default.
    h0 : float, optional
        The largest step; :math:`\max(1, \max_i |x_i|)/4` by default.
    n_steps : int
        Steps :math:`h_0 2^{-k}`, :math:`k < n`.
    rng : int or numpy.random.Generator
        Seed of the default direction.
    raise_on_failure : bool
        Raise :class:`~spec.check.derivatives.report.GradcheckError` on failure.

    Returns
    -------
    TaylorReport

    Examples
    --------
    >>> import numpy as np
    >>> taylor_test(lambda x: np.sum(np.sin(x)), np.cos, np.arange(3.0)).order > 1.5
    True
    """
    flat, treedef = flatten(x, "x")
    fn = FlatFunction(f, treedef, flat)
    if fn.value.size != 1:
        raise ValueError(f"f must return a scalar, got shape {fn.out_shape}")
    given = None if d is None else flatten_like(d, treedef, "d")
    u = direction(flat.size, given, rng)
    x_given = treedef.unflatten_as_given(flat)
    terms = [np.atleast_1d(flatten_like(grad(x_given), treedef, "grad(x)") @ u)]
    if hvp is not None:
        hd = flatten_like(
            hvp(x_given, treedef.unflatten_as_given(u)), treedef, "hvp(x, d)"
        )
        terms.append(np.atleast_1d(hd @ u))
    start = max(1.0, float(np.abs(flat).max())) / 4 if h0 is None else float(h0)
    return taylor_along(
        fn.line(u),
        terms,
        eps=fn.eps,
        h0=start,
        n_steps=n_steps,
        raise_on_failure=raise_on_failure,
    )
