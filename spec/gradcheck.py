r"""Gradient checks that say where a gradient is wrong.

:func:`gradcheck` compares a claimed gradient of any scalar function with a numeric
one (:mod:`spec.numeric`); :func:`compare_gradients` compares it with a given
reference (such as :func:`spec.oracle_gradients`). Each returns a
:class:`GradcheckReport` and, on failure, raises :class:`GradcheckError` (an
:class:`AssertionError`) carrying it. :mod:`spec.netcheck` applies them to a
:mod:`backprop` network (:func:`spec.check_network`), with entries named in the
notation, ``W^2[3,1]`` or ``b^1[0]``.

**The criterion.** Entry :math:`i` passes when

.. math:: |g_i - r_i| \le \mathrm{atol} + \mathrm{rtol} \cdot s,
          \qquad s = \max\big(\max_j |g_j|, \max_j |r_j|\big),

with :math:`g` the claimed gradient and :math:`r` the reference. The scale
:math:`s` is the largest entry of either gradient, not :math:`|r_i|`: the error of
backprop and of a numeric derivative is a fraction of the *largest* terms they
sum, not of each entry, so in a saturated network (where :math:`\sigma'(z)` is
tiny) an entry of 1e-12 next to entries of order one carries absolute errors of
order :math:`\varepsilon`, and an entrywise relative test would raise false alarms
there. An error that is negligible next to the largest entry cannot change a
descent step either. Taking :math:`|g|` into :math:`s` too keeps the test
symmetric: a claimed entry far too large fails just as a missing one does.

**Default tolerances.** ``rtol`` by method, for float64 evaluations of ``f`` (float32 in parentheses).
The errors quoted were measured on 150 random sigmoid networks (depth 1-4, widths
1-7, m 1-6, weights from N(0, σ²) with σ up to 100, both costs), relative to
:math:`s + |f|`; each default leaves a factor of 40 or more:

==============  ==============  ============================================
method          rtol            why
==============  ==============  ============================================
``central``     1e-6 (1e-2)     truncation :math:`h^2 f^{(3)}/6` plus rounding
                                :math:`\varepsilon |f| / h`, both of order
                                :math:`\varepsilon^{2/3} \approx 4 \cdot
                                10^{-11}` times the size of :math:`f` and its
                                derivatives; measured up to 2.4e-8
``richardson``  1e-8 (1e-3)     :math:`O(h^6)` truncation plus rounding
                                amplified by the extrapolation; measured up
                                to 2e-11
``complex``     1e-10 (1e-4)    no cancellation: a few ulps (measured 2e-15)
reference       1e-10 (1e-4)    backprop vs the 50-digit oracle: 1e-15
==============  ==============  ============================================

``atol`` defaults to the larger of two floors:

- :math:`\mathrm{rtol} \cdot |f(\theta)|` (numeric methods only): a difference
  quotient loses digits of :math:`f`, not of :math:`\nabla f`, so its absolute
  error is a fraction of :math:`|f|`, which dominates where
  :math:`s \ll |f|` (a saturated network);
- :math:`2^{10}` ulps of the claimed gradient's dtype (2.3e-13 in float64): a
  gradient entry that is the difference of terms of order one, such as
  :math:`\delta^L = a^L - t` when the output :math:`a^L \to t` saturates, carries
  an absolute error of a few ulps however small it is (measured: 1e-16 on an
  entry of 1e-9, where the complex step is exact).

Where the truncation error of central differences is small next to neither
:math:`s` nor :math:`|f|` (at a stationary point of a function that vanishes
there), pass ``atol`` or use ``method="complex"`` or ``"richardson"``.

When the claimed gradient is computed in a lower precision than the reference
(float32 backprop against a float64 reference), ``rtol`` is raised to at least
:math:`2^{10}` ulps of its dtype (1.2e-4 for float32): a float32 backward pass
rounds at every layer and in every dot product; its error, measured up to 11 ulps
(1.3e-6) of :math:`s` on 784-200-10, stays two orders of magnitude below.

**Fast mode.** With ``fast=True`` the gradient is checked along ``n_directions`` random unit
directions :math:`u` per block of parameters (each :math:`W^l` and :math:`b^l` of
a network): :math:`u^T g` against the directional derivative :math:`D_u f` (one
complex evaluation of ``f``, or two real ones), as PyTorch's ``gradcheck`` fast
mode and JAX's ``check_grads`` do. The number of evaluations of ``f`` does not
grow with the number of parameters, and a failure still names the block. For a fixed error vector
:math:`e = g - \nabla f` and a random unit :math:`u` in :math:`\mathbb R^n`,
:math:`u^T e` has standard deviation :math:`\lVert e \rVert_2 / \sqrt n \le
\max_i |e_i|`, so a gradient passing the per-entry test passes
:math:`|u^T g - D_u f| \le 6\,(\mathrm{atol} + \mathrm{rtol}\, s)` except with
probability below 1e-8, while any error whose root mean square over a block is
well above that bound is caught. The per-entry mode then locates it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from spec.numeric import METHODS, Method, directional_derivative, numeric_gradient

if TYPE_CHECKING:  # the network checks raise GradcheckError with their own reports
    from spec.netcheck import DescentReport, EpochReport

__all__ = [
    "DEFAULT_RTOL",
    "FAST_SIGMAS",
    "Block",
    "BlockSummary",
    "EntryError",
    "GradcheckError",
    "GradcheckReport",
    "compare_gradients",
    "default_tolerances",
    "format_report",
    "gradcheck",
]

#: Default ``rtol`` by method and by the precision of ``f`` (see the module notes).
DEFAULT_RTOL: dict[str, dict[str, float]] = {
    "central": {"float64": 1e-6, "float32": 1e-2},
    "richardson": {"float64": 1e-8, "float32": 1e-3},
    "complex": {"float64": 1e-10, "float32": 1e-4},
    "reference": {"float64": 1e-10, "float32": 1e-4},
}
#: ``rtol`` is at least this many ulps of the claimed gradient's dtype.
CLAIMED_ULPS = 2**10
#: Fast mode allows this many times the per-entry tolerance (a 6-sigma bound).
FAST_SIGMAS = 6.0

_LABELS = {
    "central": "central differences",
    "richardson": "Richardson-extrapolated central differences",
    "complex": "the complex step",
    "reference": "the reference",
}

Names = Callable[[int], str] | Sequence[str] | None


class Block(NamedTuple):
    """A named slice ``[start, stop)`` of the flat parameter vector, e.g. ``W^2``."""

    name: str
    start: int
    stop: int
    shape: tuple[int, ...]


def _ratio(err: float, tol: float) -> float:
    """``err / tol``, with 0 / 0 = 0 and x / 0 = inf."""
    if err == 0:
        return 0.0
    return err / tol if tol > 0 and np.isfinite(err) else float("inf")


@dataclasses.dataclass(frozen=True)
class EntryError:
    """One compared quantity: an entry of the gradient, or a direction (fast mode).

    ``tol`` is the tolerance it was held to; it fails when ``abs_err > tol``
    (or either value is not finite).
    """

    name: str
    index: int
    claimed: float
    reference: float
    abs_err: float
    tol: float

    @property
    def ratio(self) -> float:
        """``abs_err / tol``: above 1 fails."""
        return _ratio(self.abs_err, self.tol)

    @property
    def passed(self) -> bool:
        """Whether this entry is within its tolerance."""
        return bool(self.abs_err <= self.tol)


@dataclasses.dataclass(frozen=True)
class BlockSummary:
    """How one block of parameters fared: ``n_failed`` of ``n_checked`` failed."""

    name: str
    shape: tuple[int, ...]
    n_checked: int
    n_failed: int
    max_abs_err: float


@dataclasses.dataclass(frozen=True)
class GradcheckReport:
    """The outcome of a gradient check.

    Attributes
    ----------
    passed : bool
        Every compared entry (or direction) is within tolerance.
    method : str
        ``"central"``, ``"complex"``, ``"richardson"`` or ``"reference"``.
    fast : bool
        Directions were compared instead of entries.
    rtol, atol, scale : float
        The tolerance is ``atol + rtol * scale`` per entry (times
        :data:`FAST_SIGMAS` per direction in fast mode).
    max_abs_err : float
        Largest :math:`|g_i - r_i|`.
    max_rel_err : float
        ``max_abs_err / scale``, comparable with ``rtol``.
    n_checked, n_failed : int
        Entries (or directions) compared, and those out of tolerance.
    worst : tuple of EntryError
        The worst entries, largest ``abs_err / tol`` first.
    blocks : tuple of BlockSummary
        Per block (each :math:`W^l` and :math:`b^l` of a network).
    dtype : str
        Dtype of the claimed gradient.
    problem : str
        Why nothing could be compared (a claimed gradient of the wrong shape);
        empty otherwise.
    """

    passed: bool
    method: str
    fast: bool
    rtol: float
    atol: float
    scale: float
    max_abs_err: float
    max_rel_err: float
    n_checked: int
    n_failed: int
    worst: tuple[EntryError, ...]
    blocks: tuple[BlockSummary, ...]
    dtype: str
    problem: str = ""

    def __str__(self) -> str:
        return format_report(self)


class GradcheckError(AssertionError):
    """A gradient check failed; ``report`` says where and by how much."""

    def __init__(self, report: GradcheckReport | DescentReport | EpochReport) -> None:
        super().__init__(str(report))
        self.report = report


# -- formatting ------------------------------------------------------------------


def _table(report: GradcheckReport) -> list[str]:
    what, first, claimed, ref = (
        ("directions", "direction", "u.claimed", "D_u f")
        if report.fast
        else ("entries", "entry", "claimed", "reference")
    )
    width = max(len(first), *(len(e.name) for e in report.worst))
    title = f"Worst {what}:" if report.passed else f"Worst {what} (err/tol > 1 fails):"
    header = f"{first:<{width}}  {claimed:>13}  {ref:>13}  {'abs err':>9}  err/tol"
    rows = [
        f"{e.name:<{width}}  {e.claimed:>13.6e}  {e.reference:>13.6e}  "
        f"{e.abs_err:>9.2e}  {e.ratio:>7.1e}"
        for e in report.worst
    ]
    return [title] + ["  " + row for row in [header, *rows]]


def _block_lines(report: GradcheckReport) -> list[str]:
    width = max(len(b.name) for b in report.blocks)
    shapes = ["x".join(map(str, b.shape)) for b in report.blocks]
    shape_width = max(map(len, shapes))
    lines = ["By block:"]
    for b, shape in zip(report.blocks, shapes, strict=True):
        state = "ok" if b.n_failed == 0 else f"{b.n_failed} of {b.n_checked} wrong"
        lines.append(
            f"  {b.name:<{width}}  {shape:>{shape_width}}  {state:<16}  "
            f"max abs err {b.max_abs_err:.2e}"
        )
    return lines


def format_report(report: GradcheckReport) -> str:
    """The report as text: verdict, criterion, worst entries, and blocks."""
    label = _LABELS[report.method]
    if report.problem:
        return f"gradcheck failed: {report.problem}"
    if report.fast:
        subject = f"{report.n_checked} random unit directions u"
        crit = f"|u.claimed - D_u f| <= {FAST_SIGMAS:g} * (atol + rtol * scale)"
    else:
        subject = f"{report.n_checked} gradient entries"
        crit = "|claimed - reference| <= atol + rtol * scale"
    if report.passed:
        verdict = f"gradcheck passed: all {subject} agree with {label}"
    else:
        verdict = (
            f"gradcheck failed: {report.n_failed} of {subject} differ from {label}"
        )
    criterion = (
        f"  criterion: {crit}\n  with rtol = {report.rtol:.1e}, atol = "
        f"{report.atol:.1e}, scale = {report.scale:.4g} (largest |entry|)"
    )
    errors = (
        f"  max abs err {report.max_abs_err:.2e}, "
        f"max rel err {report.max_rel_err:.2e} (abs err / scale)"
    )
    lines = [f"{verdict} ({report.dtype} gradient).", criterion, errors]
    if report.worst:
        lines += _table(report)
    if len(report.blocks) > 1:
        lines += _block_lines(report)
    if report.fast and not report.passed:
        wrong = ", ".join(b.name for b in report.blocks if b.n_failed)
        where = f"Wrong: {wrong}. " if len(report.blocks) > 1 else ""
        lines.append(f"{where}Run with fast=False to find the wrong entries.")
    return "\n".join(lines)


# -- comparison ------------------------------------------------------------------


def _name_fn(names: Names, shape: tuple[int, ...]) -> Callable[[int], str]:
    if names is None:
        if len(shape) == 1:
            return lambda k: f"theta[{k}]"
        return lambda k: "theta[" + ",".join(map(str, np.unravel_index(k, shape))) + "]"
    if callable(names):
        return names
    seq = list(names)
    size = int(np.prod(shape))
    if len(seq) != size:
        raise ValueError(f"names must hold {size} names, one per entry, got {len(seq)}")
    return seq.__getitem__


def _blocks(blocks: Any, size: int) -> list[Block]:
    if blocks is None:
        return [Block("theta", 0, size, (size,))]
    out = []
    if isinstance(blocks, Mapping):
        for name, sl in blocks.items():
            start, stop, step = sl.indices(size)
            if step != 1:
                raise ValueError(f"blocks[{name!r}] must be a slice with step 1")
            out.append(Block(str(name), start, stop, (stop - start,)))
    else:
        out = [Block(*b) for b in blocks]
    covered = np.zeros(size, dtype=int)
    for b in out:
        covered[b.start : b.stop] += 1
    if not np.all(covered == 1):
        raise ValueError("blocks must cover every entry of theta exactly once")
    return out


def default_tolerances(
    method: str,
    *,
    f_dtype: Any = np.float64,
    claimed_dtype: Any = np.float64,
    f_value: float = 0.0,
) -> tuple[float, float]:
    """Default ``(rtol, atol)`` for a method (see the module notes for why).

    Parameters
    ----------
    method : {"central", "complex", "richardson", "reference"}
    f_dtype : dtype
        Dtype of ``f``'s values (its real part for the complex step).
    claimed_dtype : dtype
        Dtype of the claimed gradient.
    f_value : float
        :math:`f(\\theta)`, for the floor ``rtol * |f_value|`` of ``atol``
        (numeric methods).

    Returns
    -------
    rtol, atol : float
    """
    if method not in DEFAULT_RTOL:
        raise ValueError(f"method must be one of {list(DEFAULT_RTOL)}, got {method!r}")
    f_eps = np.finfo(np.result_type(f_dtype, np.float32)).eps
    precision = "float64" if f_eps <= np.finfo(np.float64).eps else "float32"
    claimed_eps = float(np.finfo(np.result_type(claimed_dtype, np.float16)).eps)
    rtol = max(DEFAULT_RTOL[method][precision], CLAIMED_ULPS * claimed_eps)
    floor = CLAIMED_ULPS * claimed_eps
    atol = floor if method == "reference" else max(floor, rtol * abs(float(f_value)))
    return rtol, atol


def _report(
    claimed: NDArray,
    reference: NDArray,
    *,
    tol: float,
    name: Callable[[int], str],
    groups: list[tuple[Block, int, int]],
    method: str,
    fast: bool,
    rtol: float,
    atol: float,
    scale: float,
    dtype: str,
    n_worst: int,
    raise_on_failure: bool,
) -> GradcheckReport:
    """Compare item by item; ``groups`` maps each block to its items."""
    finite = np.isfinite(claimed) & np.isfinite(reference)
    err = np.where(finite, np.abs(claimed - reference), np.inf)
    bad = ~(err <= tol)
    order = np.argsort(-err, kind="stable")
    if bad.any():  # list only failures then
        order = order[bad[order]]
    worst = [int(k) for k in order[:n_worst]]
    max_abs = float(err.max(initial=0))
    report = GradcheckReport(
        passed=not bad.any(),
        method=method,
        fast=fast,
        rtol=rtol,
        atol=atol,
        scale=scale,
        max_abs_err=max_abs,
        max_rel_err=_ratio(max_abs, scale),
        n_checked=int(err.size),
        n_failed=int(bad.sum()),
        worst=tuple(
            EntryError(
                name(k), k, float(claimed[k]), float(reference[k]), float(err[k]), tol
            )
            for k in worst
        ),
        blocks=tuple(
            BlockSummary(
                b.name,
                b.shape,
                stop - start,
                int(bad[start:stop].sum()),
                float(err[start:stop].max(initial=0)),
            )
            for b, start, stop in groups
        ),
        dtype=dtype,
    )
    if not report.passed and raise_on_failure:
        raise GradcheckError(report)
    return report


def _scale(*arrays: NDArray) -> float:
    return max(float(np.abs(a[np.isfinite(a)]).max(initial=0)) for a in arrays)


def _compare_entries(
    claimed: NDArray,
    reference: NDArray,
    *,
    method: str,
    rtol: float,
    atol: float,
    names: Callable[[int], str],
    blocks: list[Block],
    dtype: str,
    n_worst: int,
    raise_on_failure: bool,
) -> GradcheckReport:
    g = claimed.astype(np.float64).reshape(-1)
    r = reference.astype(np.float64).reshape(-1)
    scale = _scale(g, r)
    return _report(
        g,
        r,
        tol=atol + rtol * scale,
        name=names,
        groups=[(b, b.start, b.stop) for b in blocks],
        method=method,
        fast=False,
        rtol=rtol,
        atol=atol,
        scale=scale,
        dtype=dtype,
        n_worst=n_worst,
        raise_on_failure=raise_on_failure,
    )


def _shape_failure(problem: str, method: str, dtype: Any) -> GradcheckError:
    nan = float("nan")
    report = GradcheckReport(
        passed=False,
        method=method,
        fast=False,
        rtol=nan,
        atol=nan,
        scale=nan,
        max_abs_err=float("inf"),
        max_rel_err=float("inf"),
        n_checked=0,
        n_failed=0,
        worst=(),
        blocks=(),
        dtype=str(dtype),
        problem=problem,
    )
    return GradcheckError(report)


def _check_claimed(claimed: Any, shape: tuple[int, ...], method: str) -> NDArray:
    arr = np.asarray(claimed)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"the claimed gradient must be real, got dtype {arr.dtype}")
    if arr.shape != shape:
        raise _shape_failure(
            f"the claimed gradient has shape {arr.shape}; expected {shape}, the shape "
            "of theta",
            method,
            arr.dtype,
        )
    return arr


def compare_gradients(
    claimed: Any,
    reference: Any,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    names: Names = None,
    blocks: Any = None,
    n_worst: int = 5,
    raise_on_failure: bool = True,
) -> GradcheckReport:
    """Compare a claimed gradient with a reference one, entry by entry.

    Parameters
    ----------
    claimed, reference : array_like of float
        Same shape; ``reference`` is trusted (an oracle, or a numeric gradient).
    rtol, atol : float, optional
        Defaults: ``rtol`` 1e-10 and ``atol`` 0, each at least 1024 ulps of
        ``claimed``'s dtype; see the module notes.
    names : callable or sequence of str, optional
        Name of each flat entry, e.g. ``functools.partial(backprop.describe_index,
        sizes)``; ``theta[k]`` by default.
    blocks : mapping of str to slice, or sequence of Block, optional
        Groups of entries summarised separately (e.g. ``{"W^1": slice(0, 6)}``).
    n_worst : int
        How many of the worst entries the report lists.
    raise_on_failure : bool
        Raise :class:`GradcheckError` if any entry fails (else only report).

    Returns
    -------
    GradcheckReport
    """
    ref = np.asarray(reference)
    g = _check_claimed(claimed, ref.shape, "reference")
    d_rtol, d_atol = default_tolerances(
        "reference", f_dtype=ref.dtype, claimed_dtype=g.dtype
    )
    return _compare_entries(
        g,
        ref,
        method="reference",
        rtol=d_rtol if rtol is None else float(rtol),
        atol=d_atol if atol is None else float(atol),
        names=_name_fn(names, ref.shape),
        blocks=_blocks(blocks, ref.size),
        dtype=str(g.dtype),
        n_worst=n_worst,
        raise_on_failure=raise_on_failure,
    )


# -- gradcheck -------------------------------------------------------------------


def _evaluate(f: Callable[[NDArray], Any], theta: NDArray, method: str) -> Any:
    point = theta.astype(np.complex128) if method == "complex" else theta
    value = np.asarray(f(point))
    if value.size != 1:
        raise ValueError(f"f must return a scalar, got shape {value.shape}")
    if method == "complex" and not np.iscomplexobj(value):
        raise TypeError(
            "f returned a real value for complex input, dropping the imaginary part "
            "the complex step needs; use method='central' or 'richardson'"
        )
    if not np.isfinite(value):
        raise ValueError(f"f(theta) is not finite: {value.reshape(())[()]!r}")
    return value.reshape(())


def _fast(
    f: Callable[[NDArray], Any],
    theta: NDArray,
    g: NDArray,
    *,
    method: Method,
    eps: float,
    rtol: float,
    atol: float,
    blocks: list[Block],
    n_directions: int,
    rng: np.random.Generator,
    dtype: str,
    n_worst: int,
    raise_on_failure: bool,
) -> GradcheckReport:
    g64 = g.astype(np.float64).reshape(-1)
    claimed, reference = [], []
    for b in blocks:
        for _ in range(n_directions):
            u = np.zeros(theta.size)
            z = rng.standard_normal(b.stop - b.start)
            u[b.start : b.stop] = z / np.linalg.norm(z)
            claimed.append(float(u @ g64))
            reference.append(
                directional_derivative(f, theta, u, method=method, eps=eps)
            )
    c, r = np.array(claimed), np.array(reference)
    scale = _scale(g64, r)
    return _report(
        c,
        r,
        tol=FAST_SIGMAS * (atol + rtol * scale),
        name=lambda k: f"{blocks[k // n_directions].name} u{k % n_directions + 1}",
        groups=[
            (b, i * n_directions, (i + 1) * n_directions) for i, b in enumerate(blocks)
        ],
        method=method,
        fast=True,
        rtol=rtol,
        atol=atol,
        scale=scale,
        dtype=dtype,
        n_worst=n_worst,
        raise_on_failure=raise_on_failure,
    )


def _check(
    f: Callable[[NDArray], Any],
    claimed: NDArray,
    theta: NDArray,
    *,
    method: str,
    fast: bool,
    n_directions: int,
    rtol: float | None,
    atol: float | None,
    rng: Any,
    names: Names,
    blocks: Any,
    n_worst: int,
    raise_on_failure: bool,
) -> GradcheckReport:
    """Shared by :func:`gradcheck` and :func:`spec.check_network`."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    if isinstance(n_directions, bool) or not isinstance(n_directions, int | np.integer):
        raise TypeError(f"n_directions must be an integer >= 1, got {n_directions!r}")
    if n_directions < 1:
        raise ValueError(f"n_directions must be >= 1, got {n_directions}")
    theta64 = theta.astype(np.float64)
    value = _evaluate(f, theta64, method)
    f_dtype = np.real(value).dtype
    d_rtol, d_atol = default_tolerances(
        method, f_dtype=f_dtype, claimed_dtype=claimed.dtype, f_value=np.real(value)
    )
    rtol = d_rtol if rtol is None else float(rtol)
    atol = d_atol if atol is None else float(atol)
    eps = float(np.finfo(f_dtype).eps)
    block_list = _blocks(blocks, theta.size)
    meth: Method = method  # type: ignore[assignment]
    if fast:
        return _fast(
            lambda t: f(t.reshape(theta.shape)),
            theta64.reshape(-1),
            claimed,
            method=meth,
            eps=eps,
            rtol=rtol,
            atol=atol,
            blocks=block_list,
            n_directions=int(n_directions),
            rng=np.random.default_rng(rng),
            dtype=str(claimed.dtype),
            n_worst=n_worst,
            raise_on_failure=raise_on_failure,
        )
    reference = numeric_gradient(f, theta64, method=meth, eps=eps)
    return _compare_entries(
        claimed,
        reference,
        method=method,
        rtol=rtol,
        atol=atol,
        names=_name_fn(names, theta.shape),
        blocks=block_list,
        dtype=str(claimed.dtype),
        n_worst=n_worst,
        raise_on_failure=raise_on_failure,
    )


def gradcheck(
    f: Callable[[NDArray], Any],
    grad: Callable[[NDArray], Any],
    theta: Any,
    *,
    method: str = "central",
    fast: bool = False,
    n_directions: int = 2,
    rtol: float | None = None,
    atol: float | None = None,
    rng: Any = 0,
    names: Names = None,
    blocks: Any = None,
    n_worst: int = 5,
    raise_on_failure: bool = True,
) -> GradcheckReport:
    r"""Check a claimed gradient of a scalar function against a numeric one.

    Parameters
    ----------
    f : callable
        ``f(theta) -> scalar``, :math:`\mathbb R^n \to \mathbb R`. It is evaluated
        at ``theta`` converted to float64 (complex128 for ``method="complex"``),
        so the numeric reference is as accurate as ``f`` allows; if ``f`` returns
        float32 values the default tolerances follow.
    grad : callable
        ``grad(theta) -> array`` shaped like ``theta``: the gradient under test,
        called once with ``theta`` as given (its dtype kept).
    theta : array_like of float
        The point, any shape.
    method : {"central", "complex", "richardson"}
        The numeric reference (:mod:`spec.numeric`): central differences with
        steps :math:`h_i = \varepsilon^{1/3}\max(1, |\theta_i|)`; the complex
        step (``f`` must be analytic and accept complex input); or Richardson
        extrapolation of central differences.
    fast : bool
        Compare along ``n_directions`` random unit directions per block instead
        of entry by entry: a few evaluations of ``f`` whatever the size of
        ``theta``. Names the wrong block, not the wrong entry.
    n_directions : int
        Directions per block in fast mode.
    rtol, atol : float, optional
        Tolerances of :math:`|g_i - r_i| \le \mathrm{atol} + \mathrm{rtol}\,s`;
        defaults by method and dtype, see the module notes.
    rng : int or numpy.random.Generator
        Seed or generator of the fast-mode directions.
    names : callable or sequence of str, optional
        Name of each flat entry for the report, ``theta[k]`` by default.
    blocks : mapping of str to slice, or sequence of Block, optional
        Groups of entries summarised separately, and probed separately in fast
        mode; the whole of ``theta`` by default.
    n_worst : int
        How many of the worst entries the report lists.
    raise_on_failure : bool
        Raise :class:`GradcheckError` on failure (else return the report).

    Returns
    -------
    GradcheckReport

    Raises
    ------
    GradcheckError
        If an entry (or direction) is out of tolerance and ``raise_on_failure``.

    Examples
    --------
    >>> import numpy as np
    >>> report = gradcheck(lambda t: np.sum(np.sin(t)), np.cos, np.arange(3.0))
    >>> report.passed
    True
    """
    t = np.asarray(theta)
    if t.dtype.kind in "biu":
        t = t.astype(np.float64)
    if t.dtype.kind != "f":
        raise TypeError(f"theta must be a real floating array, got dtype {t.dtype}")
    if t.size == 0:
        raise ValueError("theta is empty; there is no gradient to check")
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    claimed = _check_claimed(grad(t.copy()), t.shape, method)
    return _check(
        f,
        claimed,
        t,
        method=method,
        fast=fast,
        n_directions=n_directions,
        rtol=rtol,
        atol=atol,
        rng=rng,
        names=names,
        blocks=blocks,
        n_worst=n_worst,
        raise_on_failure=raise_on_failure,
    )
