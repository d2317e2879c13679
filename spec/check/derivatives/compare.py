r"""The comparison engine: claimed against reference, item by item, into a report.

Items are the entries of a gradient, or directions in fast mode; each is held to
the tolerance of :class:`Tolerance`, from the options of
:mod:`spec.check.derivatives.options`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.derivatives.options import FAST_SIGMAS, CheckOptions
from spec.check.derivatives.report import (
    Block,
    BlockSummary,
    EntryError,
    GradcheckError,
    GradcheckReport,
    Kink,
    ratio,
)

__all__ = [
    "Names",
    "Tolerance",
    "as_blocks",
    "compare_entries",
    "compare_gradients",
    "entry_namer",
    "report_items",
    "scale_of",
    "shape_failure",
    "validate_claimed",
]

Names = Callable[[int], str] | Sequence[str] | None


@dataclasses.dataclass(frozen=True)
class Tolerance:
    """A per-item tolerance ``tol`` and the ``rtol``, ``atol``, ``scale`` it came from."""

    tol: float
    rtol: float
    atol: float
    scale: float


def entry_namer(names: Names, shape: tuple[int, ...]) -> Callable[[int], str]:
    """A function naming flat entry ``k`` of an array of ``shape``."""
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


def as_blocks(blocks: Any, size: int) -> list[Block]:
    """Validate ``blocks`` (mapping of name to slice, or Blocks) covering ``size``."""
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


def scale_of(*arrays: NDArray) -> float:
    """The largest finite absolute entry of the arrays (the scale ``s``)."""
    return max(float(np.abs(a[np.isfinite(a)]).max(initial=0)) for a in arrays)


def report_items(
    claimed: NDArray,
    reference: NDArray,
    *,
    tolerance: Tolerance,
    name: Callable[[int], str],
    groups: Sequence[tuple[Block, int, int]],
    dtype: str,
    options: CheckOptions,
    kinks: Mapping[int, Kink] | None = None,
    notes: Sequence[str] = (),
    subject: str = "",
    check: str = "gradcheck",
) -> GradcheckReport:
    """Compare flat items (entries or directions); ``groups`` maps blocks to items.

    ``kinks`` maps items at a kink of the function to their one-sided
    derivatives: those are judged by :attr:`spec.Kink.passed`, not by the reference.
    ``notes``, ``subject`` and ``check`` go into the report as they are.
    """
    tol = tolerance.tol
    finite = np.isfinite(claimed) & np.isfinite(reference)
    err = np.where(finite, np.abs(claimed - reference), np.inf)
    kinks = dict(kinks or {})
    bad = ~(err <= tol)
    judged = np.zeros(err.size, dtype=bool)  # by the one-sided derivatives instead
    for k, kink in kinks.items():
        judged[k], bad[k] = True, not kink.passed
    order = np.argsort(-err, kind="stable")
    order = order[~judged[order]]
    if bad.any():  # list only failures then
        order = order[bad[order]]
    worst = [int(k) for k in order[: options.n_worst]]
    max_abs = float(err[~judged].max(initial=0))
    report = GradcheckReport(
        passed=not bad.any(),
        method=options.method,
        fast=options.fast,
        rtol=tolerance.rtol,
        atol=tolerance.atol,
        scale=tolerance.scale,
        max_abs_err=max_abs,
        max_rel_err=ratio(max_abs, tolerance.scale),
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
        fast_sigmas=FAST_SIGMAS,
        kinks=tuple(kinks[k] for k in sorted(kinks)),
        notes=tuple(notes),
        subject=subject,
        check=check,
    )
    if not report.passed and options.raise_on_failure:
        raise GradcheckError(report)
    return report


def compare_entries(
    claimed: NDArray,
    reference: NDArray,
    *,
    rtol: float,
    atol: float,
    names: Callable[[int], str],
    blocks: Sequence[Block],
    options: CheckOptions,
    **fields: Any,
) -> GradcheckReport:
    """Compare two gradients entry by entry under ``atol + rtol * scale``.

    ``fields`` (``kinks``, ``notes``, ``subject``, ``check``) are passed on to
    :func:`report_items`.
    """
    g = claimed.astype(np.float64).reshape(-1)
    r = reference.astype(np.float64).reshape(-1)
    scale = scale_of(g, r)
    entry_options = dataclasses.replace(options, fast=False)
    return report_items(
        g,
        r,
        tolerance=Tolerance(atol + rtol * scale, rtol, atol, scale),
        name=names,
        groups=[(b, b.start, b.stop) for b in blocks],
        dtype=str(claimed.dtype),
        options=entry_options,
        **fields,
    )


def shape_failure(
    problem: str, method: str, dtype: Any, check: str = "gradcheck"
) -> GradcheckError:
    """The error for a claimed gradient that cannot be compared at all."""
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
        check=check,
    )
    return GradcheckError(report)


def validate_claimed(claimed: Any, shape: tuple[int, ...], method: str) -> NDArray:
    """The claimed gradient as a real array of ``shape``, or a failed check."""
    arr = np.asarray(claimed)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"the claimed gradient must be real, got dtype {arr.dtype}")
    if arr.shape != shape:
        raise shape_failure(
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
        ``claimed``'s dtype
        (:func:`~spec.check.derivatives.options.default_tolerances`).
    names : callable or sequence of str, optional
        Name of each flat entry, e.g. ``functools.partial(backprop.describe_index,
        sizes)``; ``theta[k]`` by default.
    blocks : mapping of str to slice, or sequence of Block, optional
        Groups of entries summarised separately (e.g. ``{"W^1": slice(0, 6)}``).
    n_worst : int
        How many of the worst entries the report lists.
    raise_on_failure : bool
        Raise :class:`~spec.check.derivatives.report.GradcheckError` if any entry fails (else
        only report).

    Returns
    -------
    GradcheckReport
    """
    options = CheckOptions(
        method="reference",
        rtol=rtol,
        atol=atol,
        n_worst=n_worst,
        raise_on_failure=raise_on_failure,
    )
    ref = np.asarray(reference)
    g = validate_claimed(claimed, ref.shape, "reference")
    rtol_, atol_ = options.tolerances(f_dtype=ref.dtype, claimed_dtype=g.dtype)
    return compare_entries(
        g,
        ref,
        rtol=rtol_,
        atol=atol_,
        names=entry_namer(names, ref.shape),
        blocks=as_blocks(blocks, ref.size),
        options=options,
    )
