"""Each kind of graded part run on a submission in its sandbox: :func:`run_check`,
and what it found, an :class:`Outcome` the same for every kind.

The checks are those of ``backprop check``, run here, in the grader: a gradient
function through :func:`spec.check_implementation`, a whole program through
:func:`spec.check_program` (on a stand-in of the submission's module,
:func:`~spec.check.grading.remote.remote_module`), a layer pair through
:func:`spec.check_layer` and an update rule through :func:`spec.check_optimizer`,
each on proxies of the submission's functions
(:meth:`~spec.check.grading.sandbox.Sandbox.function`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from spec.check.conformance.adapters import INPUTS_KEPT, adapt
from spec.check.conformance.layers.report import LayerReport
from spec.check.conformance.layers.run import check_layer
from spec.check.conformance.optimizers.run import check_optimizer
from spec.check.conformance.program.run import check_program
from spec.check.conformance.recurrent.run import RecurrentFileReport
from spec.check.conformance.report import report_to_dict, verdict_line
from spec.check.conformance.run import check_implementation
from spec.check.grading.assignment import Part
from spec.check.grading.limits import SubmissionRaised
from spec.check.grading.remote import remote_module
from spec.check.grading.sandbox import Sandbox

__all__ = ["Outcome", "run_check"]


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What the check of one part found.

    Attributes
    ----------
    passed : bool
    detail : str
        The verdict, or what is wrong, in a sentence or two.
    mistake, equation : str or None
        The named mistake and the equation it breaks, when one is named.
    line : dict or None
        ``{"path", "number", "source"}`` of the submission's line at fault, when
        the check found it.
    problem : tuple of (str, str) or None
        A verdict (``"wrong type"``, ``"wrong shape"``) and its sentence, when
        what the submission returned could not be compared.
    report : dict
        The check's report as plain data (the JSON of ``backprop check``).
    """

    passed: bool
    detail: str
    mistake: str | None
    equation: str | None
    line: dict[str, Any] | None
    problem: tuple[str, str] | None
    report: dict[str, Any]


def _function(part: Part, box: Sandbox, seed: int) -> Outcome:
    gradients = adapt(
        box.function(part.function),
        layout=part.layout,
        per_example=part.per_example,
        returns=part.returns,
        reduction=part.reduction,
        cost_keyword=part.cost_keyword,
    )
    report = check_implementation(
        gradients,
        cost=part.cost,
        suite=part.suite,
        rng=seed,
        activations=part.activations,
        l2=part.l2,
    )
    diagnosis = report.diagnosis
    found = getattr(diagnosis, "line", None)
    problem = None
    crashed = [r for r in report.cases if r.verdict == "crashed"]
    shapes = [r.problem for r in report.cases if r.problem and r.verdict == "failed"]
    if crashed and INPUTS_KEPT in crashed[0].problem:  # wrong, whatever the type
        problem = None
    elif crashed and not box.errors:  # the battery could not read what it returned
        problem = ("wrong type", crashed[0].problem)
    elif shapes:
        problem = ("wrong type" if "dtype" in shapes[0] else "wrong shape", shapes[0])
    return Outcome(
        passed=report.passed,
        detail=(
            diagnosis.message
            if diagnosis is not None and not report.passed
            else verdict_line(report)
        ),
        mistake=(diagnosis.mistake or None) if diagnosis is not None else None,
        equation=(diagnosis.equation or None) if diagnosis is not None else None,
        line=found if isinstance(found, dict) else None,
        problem=problem,
        report=report_to_dict(report),
    )


def _program(part: Part, box: Sandbox, seed: int, file: Path) -> Outcome | str:
    try:
        module = remote_module(box, file)
    except SubmissionRaised as exc:  # reading its names ran its code, which raised
        return f"its module cannot be read: {type(exc).__name__}: {exc}"
    try:
        report = check_program(module, rng=seed, name=file.name)
    except ValueError as exc:  # no layout the check knows: nothing to grade
        return str(exc).replace(str(file), file.name)
    wrong = [p for p in report.parts if not p.passed]
    first = wrong[0] if wrong else None
    diagnosis = first.diagnosis if first is not None else None
    line = diagnosis.line if diagnosis is not None else None
    return Outcome(
        passed=report.passed,
        detail=(
            f"{first.name}: {diagnosis.message}"
            if first is not None and diagnosis is not None
            else str(report).splitlines()[0]
        ),
        mistake=diagnosis.mistake if diagnosis is not None else None,
        equation=diagnosis.equation if diagnosis is not None else None,
        line=(
            None
            if line is None
            else {"path": file.name, "number": line.number, "source": line.source}
        ),
        problem=None,
        report=report.to_dict(),
    )


def _layer(part: Part, box: Sandbox, seed: int) -> Outcome:
    assert part.layer is not None
    forward = box.function(part.function)
    backward = None if part.backward is None else box.function(part.backward)
    report = check_layer(forward, backward, kind=part.layer, rng=seed)
    if isinstance(report, LayerReport):
        d = report.diagnosis
        named = d is not None and d.kind == "named"
        return Outcome(
            passed=report.passed,
            detail=d.message if d is not None else str(report).splitlines()[0],
            mistake=d.mistake if named and d is not None else None,
            equation=d.breaks if named and d is not None else None,
            line=None,
            problem=None,
            report=report.to_dict(),
        )
    message = [c.message for c in report.cases if c.message]
    if report.mistake:
        detail = f"{report.title} [{report.mistake}; {report.equation}]"
    else:
        detail = message[0] if message else f"{report.kind}: {report.verdict}"
    (target,) = RecurrentFileReport(part.name, (report,)).to_dict()["targets"]
    return Outcome(
        passed=report.passed,
        detail=detail,
        mistake=report.mistake,
        equation=report.equation,
        line=None,
        problem=None,
        report=target,
    )


def _optimizer(part: Part, box: Sandbox, seed: int) -> Outcome:
    assert part.rule is not None
    report = check_optimizer(
        box.function(part.function),
        kind=part.rule,
        rng=seed,
        weight_decay=part.weight_decay,
    )
    data = report.to_dict()
    diagnosis = data["diagnosis"] or {}
    return Outcome(
        passed=report.passed,
        detail=report.message,
        mistake=diagnosis.get("mistake"),
        equation=diagnosis.get("equation"),
        line=None,
        problem=None,
        report=data,
    )


def run_check(part: Part, box: Sandbox, seed: int, file: Path) -> Outcome | str:
    """The check of ``part`` on the submission in ``box``, its cases drawn from
    ``seed``; or, when the submission has nothing the check can take (a program
    in no known layout), why, in a sentence.

    Parameters
    ----------
    part : Part
    box : Sandbox
        Started; its import succeeded and defines the part's functions.
    seed : int
    file : pathlib.Path
        The submission's file here (for a program: its source, for the lines).
    """
    if part.kind == "program":
        return _program(part, box, seed, file)
    if part.kind == "layer":
        return _layer(part, box, seed)
    if part.kind == "optimizer":
        return _optimizer(part, box, seed)
    return _function(part, box, seed)
