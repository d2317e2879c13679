"""What the conformance checks return, and its renderings.

:class:`CaseResult` per case and :class:`ConformanceReport` for one gradient
function (:func:`spec.check_implementation`), with its :class:`Diagnosis`; :class:`PartResult` per part and
:class:`~spec.check.conformance.program.report.ProgramReport` for a whole program (:func:`spec.check_program`), each part
with its :class:`PartDiagnosis` and the :class:`SourceLine` of the learner's file
to look at. The text is one rendering of the data; JSON (:data:`~spec.check.conformance.report.SCHEMA`), JUnit and
HTML (Jupyter) are others."""

from __future__ import annotations

import dataclasses
import html
import json
import math
import xml.etree.ElementTree as ET
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from spec.check.conformance.suites import Case, CaseData
from spec.check.derivatives.report import GradcheckReport

__all__ = [
    "DETAIL_WIDTH",
    "SCHEMA",
    "VERDICTS",
    "CaseResult",
    "ConformanceReport",
    "Diagnosis",
    "Exported",
    "case_detail",
    "clip",
    "conformance_html",
    "conformance_junit",
    "conformance_verdict",
    "format_conformance",
    "report_to_dict",
    "to_json",
    "to_junit",
    "verdict_line",
]


VERDICTS = ("passed", "failed", "crashed")


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    """What is wrong with a gradient that failed the battery.

    Attributes
    ----------
    kind : {"named", "localised"}
        A known mistake was recognised, or only the first implicated equation.
    equation : str
        ``"BP1"`` … ``"BP4"``, ``"BP1/BP3"``, ``"return"``, or ``""`` when
        every failing case crashed.
    mistake : str
        The name of the mistake (``kind == "named"``), else ``""``.
    title : str
        What is wrong, in words.
    breaks : str
        The line of the derivation it breaks (named), or the implicated equation.
    n_cases : int
        Cases the named mistake agrees with (all of them), or failing cases.
    also : tuple of str
        Other mistakes that agree on every case (indistinguishable on this suite).
    wrong_blocks : tuple of str
        Blocks wrong on some case, e.g. ``("W^1", "b^1")``.
    ratio : float or None
        Claimed over right gradient, when one constant holds on every failing case.
    block_ratios : tuple of (str, float)
        Per wrong block of the first failing case, a constant ratio where one holds.
    crash : str
        The first crash, with the shapes of the call; empty if none.
    n_crashed : int
        Of ``n_cases``, those on which the code crashed (for a named mistake: where
        its derivation is undefined too).
    """

    kind: str
    equation: str
    mistake: str
    title: str
    breaks: str
    n_cases: int
    also: tuple[str, ...] = ()
    wrong_blocks: tuple[str, ...] = ()
    ratio: float | None = None
    block_ratios: tuple[tuple[str, float], ...] = ()
    crash: str = ""
    n_crashed: int = 0

    @property
    def message(self) -> str:
        """The diagnosis in one sentence or two."""
        # More than three blocks read better as "your gradient".
        names = (
            [f"∂C/∂{b}" for b in self.wrong_blocks]
            if len(self.wrong_blocks) <= 3
            else []
        )
        blocks = " and ".join(
            [", ".join(names[:-1]), *names[-1:]] if names[:-1] else names
        )
        verb = "equal" if len(names) > 1 else "equals"
        if self.kind == "named":
            where = f"on all {self.n_cases} cases"
            if self.n_crashed:
                computed = self.n_cases - self.n_crashed
                where = (
                    f"on all {computed} cases where it computes, and crashes on the "
                    f"{self.n_crashed} where that derivation's shapes do not fit: "
                    f"{self.n_cases} of {self.n_cases} cases agree"
                )
            text = (
                f"{self.equation}: {self.title} — your {blocks or 'gradient'} {verb} the "
                f"derivation with this mistake {where} (the line it breaks: "
                f"{self.breaks})"
            )
            if self.also:
                text += f"; indistinguishable here from {', '.join(self.also)}"
            return text + "."
        text = f"{self.equation}: {self.title}." if self.equation else self.title
        text = text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")
        if self.ratio is not None:
            sign = " (the sign flipped)" if np.isclose(self.ratio, -1) else ""
            text += f" Your gradient is {self.ratio:.6g} × the right one{sign}."
        elif self.block_ratios:
            parts = ", ".join(f"{b} {r:.6g} ×" for b, r in self.block_ratios)
            text += f" Constant ratios to the right gradient: {parts}."
        if self.crash:
            text += f" It raised {self.crash}."
        return text


@dataclasses.dataclass(frozen=True)
class CaseResult:
    """How the code under test fared on one case.

    Attributes
    ----------
    case : Case
    verdict : {"passed", "failed", "crashed"}
    wrong_blocks : tuple of str
        The blocks (``"W^2"``, ``"b^1"``) with a wrong value or shape.
    max_rel_err : float
        Largest error over the largest entry (NaN if nothing was compared).
    problem : str
        What was wrong when nothing could be compared (a wrong shape, or what the
        code raised); empty otherwise.
    call : str
        For a crash, the shapes the code was called with, in its own layout.
    report : GradcheckReport or None
        The entry-by-entry comparison, when shapes allowed one.
    data : CaseData or None
        The parameters and data the code was called with (for the diagnosis).
    claimed : list of ndarray or None
        What the code returned, in block order (``W^1, b^1, …``); ``None`` for a
        crash.
    reference : list of ndarray or None
        The trusted gradient in block order; ``None`` where it was not computed.
    precision : {"float64", "float32"}
        The dtype whose tolerances apply (float32 if the data or any claimed
        array is).
    """

    case: Case
    verdict: str
    wrong_blocks: tuple[str, ...] = ()
    max_rel_err: float = float("nan")
    problem: str = ""
    call: str = ""
    report: GradcheckReport | None = None
    data: CaseData | None = dataclasses.field(default=None, repr=False)
    claimed: list[NDArray] | None = dataclasses.field(default=None, repr=False)
    reference: list[NDArray] | None = dataclasses.field(default=None, repr=False)
    precision: str = "float64"

    @property
    def passed(self) -> bool:
        """Whether the case passed."""
        return self.verdict == "passed"


@dataclasses.dataclass(frozen=True)
class ConformanceReport:
    r"""The outcome of :func:`spec.check_implementation`.

    Attributes
    ----------
    target : str
        The name of the function under test.
    costs : tuple of str
    suite : str
    rng : int or None
        The seed of the cases' data (``None`` if a Generator was passed).
    cases : tuple of CaseResult
    diagnosis : Diagnosis or None
        What is wrong, when some case did not pass.
    warnings : tuple of str
        Shapes and batch sizes on which the mistake hides.
    activations : None, str or tuple of str
        ``activations=`` as given (``None``: the sigmoid everywhere).
    l2 : float
        :math:`\lambda` of the L2 term.
    """

    target: str
    costs: tuple[str, ...]
    suite: str
    rng: int | None
    cases: tuple[CaseResult, ...]
    diagnosis: Diagnosis | None
    warnings: tuple[str, ...]
    activations: str | tuple[str, ...] | None = None
    l2: float = 0.0

    @property
    def passed(self) -> bool:
        """Conformant: every case passed."""
        return all(r.passed for r in self.cases)

    def counts(self) -> dict[str, int]:
        """Cases per verdict."""
        return {v: sum(r.verdict == v for r in self.cases) for v in VERDICTS}

    def __str__(self) -> str:
        return format_conformance(self)

    def _repr_html_(self) -> str:
        return conformance_html(self)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (the JSON document, :data:`~spec.check.conformance.report.SCHEMA`)."""
        return report_to_dict(self)

    def to_junit(self) -> str:
        """The report as JUnit XML: one ``<testcase>`` per case."""
        return conformance_junit(self)


#: Longest detail shown in the table (the JSON and JUnit outputs keep all of it).
DETAIL_WIDTH = 110


def case_detail(result: CaseResult) -> str:
    """One line on a case: its error, the wrong blocks, or what crashed."""
    if result.verdict == "crashed":
        return f"{result.problem} (called with {result.call})"
    if result.problem:
        return result.problem
    err = (
        ""
        if math.isnan(result.max_rel_err)
        else f"max rel err {result.max_rel_err:.1e}"
    )
    if result.passed:
        return err
    return f"wrong {', '.join(result.wrong_blocks)}; {err}"


def verdict_line(report: ConformanceReport) -> str:
    """``"conformant: 20 of 20 cases passed"`` or the counts of each verdict."""
    n = len(report.cases)
    counts = report.counts()
    if report.passed:
        return f"conformant: {n} of {n} cases passed"
    parts = [f"{counts[v]} {v}" for v in ("failed", "crashed", "passed") if counts[v]]
    return f"NOT conformant: {', '.join(parts)} of {n} cases"


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def format_conformance(report: ConformanceReport) -> str:
    """The report as a table of cases, then the diagnosis and any warnings."""
    rows = [
        (f"{r.case.label}: {r.case.name}", r.verdict, case_detail(r))
        for r in report.cases
    ]
    width = max(len("case"), *(len(c) for c, _, _ in rows))
    costs = ", ".join(report.costs)
    seed = "" if report.rng is None else f", rng {report.rng}"
    if report.l2:
        seed = f", l2 {report.l2:g}" + seed
    given = report.activations
    if given is not None:
        names = given if isinstance(given, str) else ",".join(given)
        seed = f", activations {names}" + seed
    lines = [
        (
            f"{report.target}: {verdict_line(report)} "
            f"(suite {report.suite}, cost {costs}{seed})."
        ),
        f"  {'case':<{width}}  {'verdict':<7}  diagnosis",
    ]
    lines += [
        f"  {case:<{width}}  {verdict:<7}  {clip(detail, DETAIL_WIDTH)}".rstrip()
        for case, verdict, detail in rows
    ]
    if report.diagnosis is not None:
        lines.append(f"Diagnosis: {report.diagnosis.message}")
    lines += [f"Warning: {w}." for w in report.warnings]
    return "\n".join(lines)


#: Name and version of the JSON layout; the version changes when a field does.
SCHEMA = "backprop-spec/conformance/3"


def _number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _case(result: CaseResult) -> dict[str, Any]:
    case = result.case
    return {
        "label": case.label,
        "name": case.name,
        "sizes": list(case.sizes),
        "m": case.m,
        "cost": case.cost,
        "dtype": case.dtype,
        "weight_scale": case.weight_scale,
        "reference": case.reference,
        "activations": list(case.layers),
        "l2": case.l2,
        "verdict": result.verdict,
        "wrong_blocks": list(result.wrong_blocks),
        "max_rel_err": _number(result.max_rel_err),
        "problem": result.problem,
        "call": result.call,
    }


def report_to_dict(report: ConformanceReport) -> dict[str, Any]:
    """The report as plain data (the JSON document)."""
    d = report.diagnosis
    diagnosis = None
    if d is not None:
        diagnosis = {
            "kind": d.kind,
            "equation": d.equation or None,
            "mistake": d.mistake or None,
            "title": d.title,
            "breaks": d.breaks,
            "n_cases": d.n_cases,
            "n_crashed": d.n_crashed,
            "also": list(d.also),
            "wrong_blocks": list(d.wrong_blocks),
            "ratio": _number(d.ratio),
            "block_ratios": {name: _number(r) for name, r in d.block_ratios},
            "crash": d.crash,
            "message": d.message,
        }
    return {
        "schema": SCHEMA,
        "target": report.target,
        "targets": [_function_target(report)],
        "conformant": report.passed,
        "summary": verdict_line(report),
        "suite": report.suite,
        "costs": list(report.costs),
        "rng": report.rng,
        "activations": report.activations,
        "l2": report.l2,
        "counts": report.counts(),
        "cases": [_case(r) for r in report.cases],
        "diagnosis": diagnosis,
        "warnings": list(report.warnings),
    }


def _function_target(report: ConformanceReport) -> dict[str, Any]:
    """The checked function as one of the ``targets`` of schema 3."""
    d = report.diagnosis
    return {
        "name": report.target,
        "kind": "gradients",
        "verdict": conformance_verdict(report),
        "diagnosis": None
        if d is None
        else {
            "mistake": d.mistake or None,
            "equation": d.equation or None,
            "title": d.title,
            "line": None,
        },
    }


def conformance_verdict(report: ConformanceReport) -> str:
    """``"failed"`` if a case computed a wrong value, else ``"crashed"`` if one
    raised, else ``"passed"``."""
    counts = report.counts()
    if counts["failed"]:
        return "failed"
    return "crashed" if counts["crashed"] else "passed"


class Exported(Protocol):
    """A report of the conformance battery (a function's, a program's): plain data
    for the JSON document, and JUnit XML."""

    def to_dict(self) -> dict[str, Any]: ...

    def to_junit(self) -> str: ...


def to_json(report: Exported) -> str:
    """The report as a JSON document (UTF-8 text, ends with a newline)."""
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def to_junit(report: Exported) -> str:
    """The report as JUnit XML: one ``<testcase>`` per case (of each part, for a
    program); a wrong value is a ``<failure>``, a crash an ``<error>``, and the
    diagnosis goes with each."""
    return report.to_junit()


def conformance_junit(report: ConformanceReport) -> str:
    """:func:`to_junit` of a function's report."""
    counts = report.counts()
    attrs = {
        "name": f"backprop check {report.target}",
        "tests": str(len(report.cases)),
        "failures": str(counts["failed"]),
        "errors": str(counts["crashed"]),
        "skipped": "0",
    }
    suites = ET.Element("testsuites", attrs)
    suite = ET.SubElement(suites, "testsuite", attrs)
    properties = ET.SubElement(suite, "properties")
    summary = {
        "conformant": str(report.passed).lower(),
        "summary": verdict_line(report),
    }
    if report.diagnosis is not None:
        summary["diagnosis"] = report.diagnosis.message
        summary["mistake"] = report.diagnosis.mistake
    for name, value in summary.items():
        ET.SubElement(properties, "property", {"name": name, "value": value})
    diagnosis = "" if report.diagnosis is None else report.diagnosis.message
    for result in report.cases:
        testcase = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": report.target,
                "name": f"{result.case.label}: {result.case.name}",
            },
        )
        if result.verdict == "passed":
            continue
        tag, kind = (
            ("error", "crash") if result.verdict == "crashed" else ("failure", "wrong")
        )
        element = ET.SubElement(
            testcase, tag, {"message": case_detail(result), "type": kind}
        )
        element.text = "\n".join(filter(None, [case_detail(result), diagnosis]))
    ET.SubElement(suite, "system-out").text = format_conformance(report)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def conformance_html(report: ConformanceReport) -> str:
    """The report as an HTML table (Jupyter): a row per case, then the diagnosis."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(r.case.label)}: {e(r.case.name)}</td><td>{e(r.verdict)}</td>"
        f"<td>{e(case_detail(r))}</td></tr>"
        for r in report.cases
    )
    diagnosis = (
        ""
        if report.diagnosis is None
        else f"<p>Diagnosis: {e(report.diagnosis.message)}</p>"
    )
    return (
        f"<p><strong>{e(report.target)}</strong>: {e(verdict_line(report))}</p>"
        "<table><thead><tr><th>case</th><th>verdict</th><th>detail</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>{diagnosis}"
    )
