"""What :func:`~spec.check.conformance.optimizers.run.check_optimizer` returns: a
:class:`TrajectoryResult` per trajectory and the :class:`OptimizerReport`, with its
text; :class:`Crash`, a rule that raised, with its line."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from spec.check.conformance.optimizers.mistakes import Alternative
from spec.check.conformance.optimizers.trajectories import DECAY, REGIMES, STEPS

__all__ = [
    "Crash",
    "OptimizerReport",
    "TrajectoryResult",
    "format_optimizer_report",
]


@dataclasses.dataclass(frozen=True)
class Crash:
    """A call of the learner's rule that raised, or returned what is not
    ``(next_w, config)``.

    Attributes
    ----------
    problem : str
        ``"KeyError: 'velocity'"``, or what was wrong with the return value.
    call : str
        Which call: its number, the trajectory, the shapes and dtypes.
    path, number, source : str, int, str
        The line that raised (the deepest frame outside NumPy and the standard
        library); ``path`` is ``""`` when there is none (a wrong return value).
    """

    problem: str
    call: str
    path: str = ""
    number: int = 0
    source: str = ""

    @property
    def line(self) -> dict[str, Any] | None:
        """``{path, number, source}``, or ``None``."""
        if not self.path:
            return None
        return {"path": self.path, "number": self.number, "source": self.source}


@dataclasses.dataclass(frozen=True)
class TrajectoryResult:
    """One trajectory, compared with the rule the report names.

    Attributes
    ----------
    regime : str
        A key of :data:`REGIMES`.
    dtype : {"float64", "float32"}
    steps : int
    compared_with : str
        The alternative compared: the one matched, else the kind's first
        convention.
    first_mismatch : int or None
        The first call whose parameters differ from it, 1-based.
    max_rel_err : float
        The largest difference over the steps, relative to the largest
        parameter of the step (``inf`` where a non-finite value differs).
    """

    regime: str
    dtype: str
    steps: int
    compared_with: str
    first_mismatch: int | None
    max_rel_err: float


@dataclasses.dataclass(frozen=True)
class OptimizerReport:
    """What :func:`check_optimizer` found.

    Attributes
    ----------
    target : str
        The rule's name.
    kind : str
        A key of :data:`~spec.check.conformance.optimizers.mistakes.KINDS`.
    verdict : {"conformant", "deviates", "wrong", "crashed"}
        ``"conformant"``: it equals a convention at every step; ``"deviates"``: a
        named deviation; ``"wrong"``: neither; ``"crashed"``: a call raised or
        returned something other than ``(next_w, config)``.
    convention : Alternative or None
        The convention it matches.
    deviation : Alternative or None
        The deviation it equals (verdict ``"deviates"``).
    also : tuple of str
        Other alternatives it equals as well (indistinguishable on these
        trajectories).
    trajectories : tuple of TrajectoryResult
    writes_inputs : tuple of str
        ``"w"`` and/or ``"dw"`` when the rule wrote into them: a finding, as the
        caller's arrays change under it.
    upcast : bool
        Whether it returned another dtype than ``w``'s (float64 for float32).
    crash : Crash or None
    rng : int or None
        The seed, when one was given.
    weight_decay : bool
        Whether it was checked with ``config["weight_decay"]``.
    """

    target: str
    kind: str
    verdict: str
    convention: Alternative | None
    deviation: Alternative | None
    also: tuple[str, ...]
    trajectories: tuple[TrajectoryResult, ...]
    writes_inputs: tuple[str, ...] = ()
    upcast: bool = False
    crash: Crash | None = None
    rng: int | None = None
    weight_decay: bool = False

    @property
    def passed(self) -> bool:
        """A convention matched, and nothing written into the inputs."""
        return self.verdict == "conformant" and not self.writes_inputs

    @property
    def max_rel_err(self) -> float:
        """The largest difference from the compared rule over all trajectories."""
        return max((t.max_rel_err for t in self.trajectories), default=0.0)

    @property
    def message(self) -> str:
        """The verdict in a sentence or two."""
        return _message(self)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data: ``name``, ``kind``, ``verdict``,
        ``convention``, ``diagnosis`` (``mistake``, ``equation``, ``title``,
        ``line``) or null, and the details."""
        diagnosis: dict[str, Any] | None = None
        if self.deviation is not None:
            d = self.deviation
            diagnosis = {
                "mistake": d.name,
                "equation": d.breaks,
                "title": d.title,
                "line": None,
            }
        elif self.crash is not None:
            diagnosis = {
                "mistake": None,
                "equation": None,
                "title": self.crash.problem,
                "line": self.crash.line,
            }
        return {
            "name": self.target,
            "kind": self.kind,
            "verdict": self.verdict,
            "passed": self.passed,
            "convention": self.convention.name if self.convention else None,
            "diagnosis": diagnosis,
            "also": list(self.also),
            "writes_inputs": list(self.writes_inputs),
            "upcast": self.upcast,
            "crash_call": self.crash.call if self.crash else None,
            "trajectories": [
                {
                    "regime": t.regime,
                    "dtype": t.dtype,
                    "steps": t.steps,
                    "compared_with": t.compared_with,
                    "first_mismatch": t.first_mismatch,
                    "max_rel_err": t.max_rel_err
                    if np.isfinite(t.max_rel_err)
                    else None,
                }
                for t in self.trajectories
            ],
            "rng": self.rng,
            "weight_decay": self.weight_decay,
        }

    def __str__(self) -> str:
        return format_optimizer_report(self)


def _first_difference(trajectories: tuple[TrajectoryResult, ...]) -> str:
    for t in trajectories:
        if t.first_mismatch is not None:
            return (
                f"first at call {t.first_mismatch} of the {t.regime} {t.dtype} "
                f"trajectory ({REGIMES[t.regime].split(':')[0]})"
            )
    return ""


def _message(report: OptimizerReport) -> str:
    decay = ", with weight decay" if report.weight_decay else ""
    name = f"{report.target} ({report.kind}{decay})"
    if report.crash is not None:
        c = report.crash
        where = f" at {c.path}:{c.number}: {c.source}" if c.path else ""
        return f"{name} crashed: {c.problem}{where}, on {c.call}."
    if report.verdict == "conformant" and report.convention is not None:
        text = f"{name} matches convention {report.convention.name}: {report.convention.title}."
    elif report.deviation is not None:
        d = report.deviation
        text = (
            f"{name} deviates: {d.name}: {d.title}. It equals that rule at every "
            f"step of all {len(report.trajectories)} trajectories (the line it "
            f"breaks: {d.breaks})."
        )
        if report.also:
            text += f" Indistinguishable here from {', '.join(report.also)}."
    else:
        compared = report.trajectories[0].compared_with if report.trajectories else ""
        text = (
            f"{name} matches no convention and no known deviation; it differs from "
            f"{compared}, {_first_difference(report.trajectories)}."
        )
    if report.writes_inputs:
        text += (
            f" It writes into its input {' and '.join(report.writes_inputs)}: the "
            "caller's array changes under it."
        )
    return text


def format_optimizer_report(report: OptimizerReport) -> str:
    """The report as text: the verdict, then one line per trajectory."""
    lines = [report.message]
    if report.trajectories:
        lines.append(
            f"  {len(report.trajectories)} trajectories of {STEPS} calls, the "
            f"learning rate x{DECAY} per call; compared with "
            f"{report.trajectories[0].compared_with}:"
        )
        for t in report.trajectories:
            verdict = (
                "agrees"
                if t.first_mismatch is None
                else f"differs from call {t.first_mismatch}"
            )
            err = f"{t.max_rel_err:.1e}" if np.isfinite(t.max_rel_err) else "non-finite"
            lines.append(
                f"    {t.regime:<12}{t.dtype:<9}{verdict:<24}max rel. err. {err}"
            )
    if report.upcast:
        lines.append(
            "  note: it returns another dtype than w's (float32 in, float64 out)"
        )
    return "\n".join(lines)
