"""What :func:`spec.check_program` returns: a :class:`PartResult` per part of the
learner's program (its cases, :class:`PartCase`; its :class:`PartDiagnosis`, with the
:class:`SourceLine` of the learner's file to look at) in a :class:`ProgramReport`,
and its renderings: text, JSON (schema 3), JUnit and HTML."""

from __future__ import annotations

import dataclasses
import html
import xml.etree.ElementTree as ET
from typing import Any

from spec.check.conformance.report import (
    DETAIL_WIDTH,
    SCHEMA,
    VERDICTS,
    ConformanceReport,
    clip,
    report_to_dict,
)

__all__ = [
    "PartCase",
    "PartDiagnosis",
    "PartResult",
    "ProgramReport",
    "SourceLine",
    "format_program",
    "program_html",
    "program_junit",
    "program_to_dict",
    "program_verdict_line",
]


@dataclasses.dataclass(frozen=True)
class SourceLine:
    """A line of the learner's file, and what it holds.

    Attributes
    ----------
    path : str
    number : int
        1-based.
    source : str
        The line's text, stripped.
    explanation : str
        What it holds and what belongs there (``"holds σ'(z^3); σ'(z^2) belongs
        there"``), or what it raised for a crash.
    """

    path: str
    number: int
    source: str
    explanation: str = ""

    def __str__(self) -> str:
        text = f"line {self.number}: `{self.source}`"
        return text + (f" — {self.explanation}" if self.explanation else "")


@dataclasses.dataclass(frozen=True)
class PartDiagnosis:
    """What is wrong with a part: the named mistake, the equation, the line.

    ``mistake`` and ``equation`` are ``None`` where the catalogue has no entry or
    no equation applies (an activation, the one-hot encoding); ``line`` is
    ``None`` when no statement of the file could be singled out.
    """

    mistake: str | None
    equation: str | None
    title: str
    line: SourceLine | None = None

    @property
    def message(self) -> str:
        """The diagnosis and the line, in a sentence or two."""
        head = self.title
        if self.equation and not head.startswith(f"{self.equation}:"):
            head = f"{self.equation}: {head}"
        if self.mistake:
            head += f" [{self.mistake}]"
        return head + (f"\n      {self.line}" if self.line else "")


@dataclasses.dataclass(frozen=True)
class PartCase:
    """One case of a part: a label, the verdict, one line of detail."""

    label: str
    verdict: str
    detail: str = ""


@dataclasses.dataclass(frozen=True)
class PartResult:
    """One checked part of a program (a function, or a method of a class the
    check built).

    Attributes
    ----------
    name : str
        As in the learner's file: ``"sigmoid"``, ``"Network.backprop"``.
    kind : str
        ``"activation"``, ``"one_hot"``, ``"forward"``, ``"predict"``,
        ``"evaluate"``, ``"cost"``, ``"gradients"`` or ``"step"``.
    cases : tuple of PartCase
    diagnosis : PartDiagnosis or None
        When some case did not pass.
    conformance : ConformanceReport or None
        For ``kind="gradients"``: the battery's report.
    """

    name: str
    kind: str
    cases: tuple[PartCase, ...]
    diagnosis: PartDiagnosis | None = None
    conformance: ConformanceReport | None = None

    @property
    def verdict(self) -> str:
        """``"failed"`` if a case computed a wrong value, ``"crashed"`` if one
        raised and none was wrong, else ``"passed"``."""
        verdicts = {c.verdict for c in self.cases}
        if "failed" in verdicts:
            return "failed"
        return "crashed" if "crashed" in verdicts else "passed"

    @property
    def passed(self) -> bool:
        """Every case passed."""
        return self.verdict == "passed"

    def summary(self) -> str:
        """``"10 of 10 cases passed"`` or the counts, and the first detail."""
        n = len(self.cases)
        counts = {v: sum(c.verdict == v for c in self.cases) for v in VERDICTS}
        if self.passed:
            detail = self.cases[0].detail if n == 1 else ""
            text = f"{n} of {n} cases passed"
            return f"{text}; {detail}" if detail else text
        parts = [
            f"{counts[v]} {v}" for v in ("failed", "crashed", "passed") if counts[v]
        ]
        first = next(c for c in self.cases if c.verdict != "passed")
        return f"{', '.join(parts)} of {n}; {first.label}: {first.detail}"


@dataclasses.dataclass(frozen=True)
class ProgramReport:
    """The outcome of :func:`spec.check_program`.

    Attributes
    ----------
    target : str
        The program as the user named it (a path, or a module's name).
    layout : str
        ``"tutorial"``, ``"nielsen"`` or ``"function"``: how its parts were found.
    parts : tuple of PartResult
    rng : int or None
        The seed of the cases' data.
    """

    target: str
    layout: str
    parts: tuple[PartResult, ...]
    rng: int | None = 0

    @property
    def passed(self) -> bool:
        """Conformant: every part passed."""
        return all(p.passed for p in self.parts)

    def __str__(self) -> str:
        return format_program(self)

    def _repr_html_(self) -> str:
        return program_html(self)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (the JSON document, schema 3)."""
        return program_to_dict(self)

    def to_junit(self) -> str:
        """The report as JUnit XML: one ``<testcase>`` per part and case."""
        return program_junit(self)


def program_verdict_line(report: ProgramReport) -> str:
    """``"conformant: 9 of 9 parts passed"`` or the parts that did not."""
    n = len(report.parts)
    if report.passed:
        return f"conformant: {n} of {n} parts passed"
    wrong = [p.name for p in report.parts if not p.passed]
    return f"NOT conformant: {len(wrong)} of {n} parts wrong ({', '.join(wrong)})"


def format_program(report: ProgramReport) -> str:
    """The report as a table of parts, then each wrong part's diagnosis and line."""
    width = max(len("part"), *(len(p.name) for p in report.parts))
    kinds = max(len("kind"), *(len(p.kind) for p in report.parts))
    seed = "" if report.rng is None else f", rng {report.rng}"
    lines = [
        (
            f"{report.target}: {program_verdict_line(report)} "
            f"({report.layout} layout{seed})."
        ),
        f"  {'part':<{width}}  {'kind':<{kinds}}  verdict  cases",
    ]
    for p in report.parts:
        summary = clip(p.summary(), DETAIL_WIDTH)
        lines.append(
            f"  {p.name:<{width}}  {p.kind:<{kinds}}  {p.verdict:<7}  {summary}"
        )
    for p in report.parts:
        if p.diagnosis is not None:
            lines.append(f"{p.name}: {p.diagnosis.message}")
    return "\n".join(lines)


def _line_dict(line: SourceLine | None) -> dict[str, Any] | None:
    if line is None:
        return None
    return {
        "path": line.path,
        "number": line.number,
        "source": line.source,
        "explanation": line.explanation,
    }


def program_to_dict(report: ProgramReport) -> dict[str, Any]:
    """The report as plain data (the JSON document of schema 3)."""
    targets = []
    for p in report.parts:
        d = p.diagnosis
        targets.append(
            {
                "name": p.name,
                "kind": p.kind,
                "verdict": p.verdict,
                "diagnosis": None
                if d is None
                else {
                    "mistake": d.mistake,
                    "equation": d.equation,
                    "title": d.title,
                    "line": _line_dict(d.line),
                },
                "cases": [dataclasses.asdict(c) for c in p.cases],
                "conformance": None
                if p.conformance is None
                else report_to_dict(p.conformance),
            }
        )
    return {
        "schema": SCHEMA,
        "target": report.target,
        "layout": report.layout,
        "conformant": report.passed,
        "summary": program_verdict_line(report),
        "rng": report.rng,
        "targets": targets,
    }


def program_junit(report: ProgramReport) -> str:
    cases = [(p, c) for p in report.parts for c in p.cases]
    attrs = {
        "name": f"backprop check {report.target}",
        "tests": str(len(cases)),
        "failures": str(sum(c.verdict == "failed" for _, c in cases)),
        "errors": str(sum(c.verdict == "crashed" for _, c in cases)),
        "skipped": "0",
    }
    suites = ET.Element("testsuites", attrs)
    suite = ET.SubElement(suites, "testsuite", attrs)
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("conformant", str(report.passed).lower()),
        ("summary", program_verdict_line(report)),
        ("layout", report.layout),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    for part, case in cases:
        testcase = ET.SubElement(
            suite, "testcase", {"classname": part.name, "name": case.label}
        )
        if case.verdict == "passed":
            continue
        tag, kind = (
            ("error", "crash") if case.verdict == "crashed" else ("failure", "wrong")
        )
        element = ET.SubElement(testcase, tag, {"message": case.detail, "type": kind})
        diagnosis = "" if part.diagnosis is None else part.diagnosis.message
        element.text = "\n".join(filter(None, [case.detail, diagnosis]))
    ET.SubElement(suite, "system-out").text = format_program(report)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def program_html(report: ProgramReport) -> str:
    """The report as an HTML table (Jupyter): a row per part, with the diagnosis,
    the line number and its source."""
    e = html.escape
    rows = []
    for p in report.parts:
        d = p.diagnosis
        diagnosis = (
            ""
            if d is None
            else e(f"{d.equation}: {d.title}" if d.equation else d.title)
        )
        line = ""
        if d is not None and d.line is not None:
            line = (
                f"{d.line.number}: <code>{e(d.line.source)}</code>"
                f"<br><small>{e(d.line.explanation)}</small>"
            )
        rows.append(
            f"<tr><td><code>{e(p.name)}</code></td><td>{e(p.kind)}</td>"
            f"<td>{e(p.verdict)}</td><td>{e(p.summary())}</td>"
            f"<td>{diagnosis}</td><td>{line}</td></tr>"
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("part", "kind", "verdict", "cases", "diagnosis", "line")
    )
    return (
        f"<p><strong>{e(report.target)}</strong>: {e(program_verdict_line(report))} "
        f"({e(report.layout)} layout)</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
