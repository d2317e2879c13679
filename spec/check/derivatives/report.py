"""What a check returns: reports, their text, and the error that carries them.

A report is data first: fields for every number the check compared. Its text
(:func:`format_report`, ``str(report)``) is one rendering of it.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple, Protocol

import numpy as np

__all__ = [
    "METHOD_LABELS",
    "Block",
    "BlockSummary",
    "EntryError",
    "GradcheckError",
    "GradcheckReport",
    "Kink",
    "Report",
    "format_report",
    "ratio",
]

#: How a report names each reference method.
METHOD_LABELS = {
    "central": "central differences",
    "richardson": "Richardson-extrapolated central differences",
    "complex": "the complex step",
    "reference": "the reference",
    "second_central": "central differences of a central-difference gradient",
    "central_of_complex": "central differences of a complex-step gradient",
}


class Report(Protocol):
    """What every report of a check has: a verdict, and a text for humans."""

    @property
    def passed(self) -> bool:
        """Whether the check passed."""

    def __str__(self) -> str:
        """The report as text."""


class GradcheckError(AssertionError):
    """A check failed; ``report`` says where and by how much.

    An :class:`AssertionError`, so that pytest shows the report as the reason.
    """

    def __init__(self, report: Report) -> None:
        super().__init__(str(report))
        self.report = report


class Block(NamedTuple):
    """A named slice ``[start, stop)`` of the flat parameter vector, e.g. ``W^2``."""

    name: str
    start: int
    stop: int
    shape: tuple[int, ...]


def ratio(err: float, tol: float) -> float:
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
        return ratio(self.abs_err, self.tol)

    @property
    def passed(self) -> bool:
        """Whether this entry is within its tolerance."""
        return bool(self.abs_err <= self.tol)


@dataclasses.dataclass(frozen=True)
class Kink:
    """An item whose one-sided derivatives disagree: a kink inside the step.

    The item passes when ``claimed`` lies within ``[left, right]`` (either
    order), widened by the item's tolerance ``tol``.
    """

    name: str
    claimed: float
    left: float
    right: float
    tol: float

    @property
    def passed(self) -> bool:
        """Whether the claimed value lies within the one-sided derivatives."""
        low, high = min(self.left, self.right), max(self.left, self.right)
        return bool(low - self.tol <= self.claimed <= high + self.tol)

    def __str__(self) -> str:
        where = "within" if self.passed else "OUTSIDE"
        return (
            f"{self.name} at a kink: claimed value {self.claimed:.6e} {where} the "
            f"one-sided derivatives [{self.left:.6e}, {self.right:.6e}]"
        )


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
        :data:`~spec.check.derivatives.options.FAST_SIGMAS` per direction in fast mode).
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
    fast_sigmas : float
        In fast mode, the multiple of the per-entry tolerance a direction is
        allowed.
    kinks : tuple of Kink
        Items where the function has a kink inside the step, judged by the
        one-sided derivatives instead of the reference.
    notes : tuple of str
        How the reference was chosen and computed (method, precision, steps).
    subject : str
        What the items are (``"gradient entries"``, ``"Jacobian entries"``...);
        empty for the default of the mode.
    check : str
        The check that made the report (``"gradcheck"``, ``"check_jacobian"``...).
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
    fast_sigmas: float = 6.0
    kinks: tuple[Kink, ...] = ()
    notes: tuple[str, ...] = ()
    subject: str = ""
    check: str = "gradcheck"

    def __str__(self) -> str:
        return format_report(self)


def _table(report: GradcheckReport) -> list[str]:
    what, first, claimed, ref = (
        ("directions", "direction", "u.claimed", "D_u f")
        if report.fast and not report.subject
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
    label = METHOD_LABELS[report.method]
    if report.problem:
        return f"{report.check} failed: {report.problem}"
    if report.fast:
        subject = f"{report.n_checked} {report.subject or 'random unit directions u'}"
        crit = f"|u.claimed - D_u f| <= {report.fast_sigmas:g} * (atol + rtol * scale)"
        if report.subject:
            crit = (
                f"|claimed - reference| <= {report.fast_sigmas:g} * "
                "(atol + rtol * scale)"
            )
    else:
        subject = f"{report.n_checked} {report.subject or 'gradient entries'}"
        crit = "|claimed - reference| <= atol + rtol * scale"
    if report.passed:
        verdict = f"{report.check} passed: all {subject} agree with {label}"
    else:
        verdict = (
            f"{report.check} failed: {report.n_failed} of {subject} differ from {label}"
        )
    criterion = (
        f"  criterion: {crit}\n  with rtol = {report.rtol:.1e}, atol = "
        f"{report.atol:.1e}, scale = {report.scale:.4g} (largest |entry|)"
    )
    errors = (
        f"  max abs err {report.max_abs_err:.2e}, "
        f"max rel err {report.max_rel_err:.2e} (abs err / scale)"
    )
    kind = "claimed values" if report.subject else "gradient"
    lines = [f"{verdict} ({report.dtype} {kind}).", criterion, errors]
    if report.worst:
        lines += _table(report)
    if len(report.blocks) > 1:
        lines += _block_lines(report)
    lines += [f"  {kink}" for kink in report.kinks]
    lines += [f"  {note}" for note in report.notes]
    if report.fast and not report.passed:
        wrong = ", ".join(b.name for b in report.blocks if b.n_failed)
        where = f"Wrong: {wrong}. " if len(report.blocks) > 1 else ""
        lines.append(f"{where}Run with fast=False to find the wrong entries.")
    return "\n".join(lines)
