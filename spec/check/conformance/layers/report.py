"""What :func:`spec.check_layer` returns: :class:`LayerReport`, with one
:class:`LayerCaseResult` per case (one :class:`OutputCheck` per output) and a
:class:`LayerDiagnosis`; rendered as text (``str``), as a JSON-ready dict
(:meth:`LayerReport.to_dict`) and as JUnit XML (:meth:`LayerReport.to_junit`)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any
from xml.etree import ElementTree

from spec.check.conformance.layers.cases import LayerCase

__all__ = [
    "LayerCaseResult",
    "LayerDiagnosis",
    "LayerReport",
    "OutputCheck",
    "format_layer_report",
]

VERDICTS = ("passed", "failed", "crashed")


@dataclasses.dataclass(frozen=True)
class OutputCheck:
    """One output of one case (``out``, ``dx``, ``dgamma``, ``running_var`` …).

    Attributes
    ----------
    name : str
    passed : bool
    rel_err : float
        Our criterion's measure: the largest entry error over the largest entry
        (of either array); for dropout's ``keep``, the kept fraction's distance
        from ``p``; NaN when nothing could be compared.
    tolerance : float
        The bound ``rel_err`` must stay within (its precision's).
    cs231n_rel_error : float
        CS231n's ``rel_error``: ``max |a - b| / max(1e-8, |a| + |b|)`` entrywise,
        shown beside ours for learners used to it (NaN if not comparable).
    problem : str
        What was wrong beyond a value (a shape, non-finite entries, a
        subgradient rule broken); empty otherwise.
    """

    name: str
    passed: bool
    rel_err: float = math.nan
    tolerance: float = math.nan
    cs231n_rel_error: float = math.nan
    problem: str = ""


@dataclasses.dataclass(frozen=True)
class LayerCaseResult:
    """How the layer fared on one case.

    Attributes
    ----------
    case : LayerCase
    verdict : {"passed", "failed", "crashed"}
    outputs : tuple of OutputCheck
    findings : tuple of str
        Problems beyond the values: inputs written into, a seed ignored, a wrong
        number of returned values.
    problem : str
        For a crash: what was raised and where (file and line in the learner's
        code).
    call : str
        For a crash: the shapes and parameters the function was called with.
    second_opinion : float or None
        The learner's backward against a numeric VJP of their own forward
        (central differences, float64 cases marked ``second_opinion``): the
        relative error, ``None`` where not computed.
    """

    case: LayerCase
    verdict: str
    outputs: tuple[OutputCheck, ...] = ()
    findings: tuple[str, ...] = ()
    problem: str = ""
    call: str = ""
    second_opinion: float | None = None

    @property
    def passed(self) -> bool:
        """Whether the case passed."""
        return self.verdict == "passed"

    @property
    def wrong(self) -> tuple[str, ...]:
        """The outputs that failed."""
        return tuple(o.name for o in self.outputs if not o.passed)

    def detail(self) -> str:
        """One line: the errors, what is wrong, or what crashed."""
        if self.verdict == "crashed":
            return f"{self.problem} (called with {self.call})"
        parts = [
            f"{o.name} {o.rel_err:.1e}"
            for o in self.outputs
            if not o.problem and o.name != "keep"
        ]
        wrong = [o for o in self.outputs if not o.passed]
        text = "rel err " + ", ".join(parts) if parts else ""
        if wrong:
            text = (
                "wrong "
                + ", ".join(
                    o.name + (f" ({o.problem})" if o.problem else "") for o in wrong
                )
                + ("; " + text if text else "")
            )
        if self.findings:
            text = "; ".join([*self.findings, text] if text else self.findings)
        return text


@dataclasses.dataclass(frozen=True)
class LayerDiagnosis:
    """What is wrong with a layer that failed.

    Attributes
    ----------
    kind : {"named", "unnamed"}
    mistake : str
        The catalogue name (named), else ``""``.
    part : str
        The part of the layer: forward, backward, running statistics, loss.
    title : str
        What is wrong, in words.
    breaks : str
        The line of the derivation it gets wrong, as it should read.
    n_cases : int
        Cases the named mistake agrees with (every case where the code computes).
    also : tuple of str
        Other mistakes that agree on every case.
    wrong : tuple of str
        The outputs wrong on some case.
    """

    kind: str
    mistake: str
    part: str
    title: str
    breaks: str
    n_cases: int
    also: tuple[str, ...] = ()
    wrong: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        """The diagnosis in a sentence or two."""
        outputs = ", ".join(self.wrong) or "outputs"
        verb = "equals" if len(self.wrong) == 1 else "equal"
        if self.kind == "named":
            text = (
                f"{self.part}: {self.title} — your {outputs} {verb} the derivation "
                f"with this mistake ({self.mistake}) on all {self.n_cases} cases where "
                f"your code computes (the line it breaks: {self.breaks})"
            )
            if self.also:
                text += f"; indistinguishable here from {', '.join(self.also)}"
            return text + "."
        return (
            f"not a known mistake: {outputs} wrong on {self.n_cases} cases; "
            f"{self.title}."
        )


@dataclasses.dataclass(frozen=True)
class LayerReport:
    """The outcome of :func:`spec.check_layer`.

    Attributes
    ----------
    target : str
        The functions checked, ``"module:forward / backward"``.
    kind : str
    rng : int or None
        The seed of the cases' data (``None`` if a Generator was passed).
    cases : tuple of LayerCaseResult
    diagnosis : LayerDiagnosis or None
        What is wrong, when some case did not pass.
    warnings : tuple of str
        Where the mistake hides (e.g. the course's own check passes).
    """

    target: str
    kind: str
    rng: int | None
    cases: tuple[LayerCaseResult, ...]
    diagnosis: LayerDiagnosis | None
    warnings: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """Every case passed."""
        return all(c.passed for c in self.cases)

    def counts(self) -> dict[str, int]:
        """Cases per verdict."""
        return {v: sum(c.verdict == v for c in self.cases) for v in VERDICTS}

    def __str__(self) -> str:
        return format_layer_report(self)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (JSON-ready; NaN written as ``None``)."""

        def number(v: float | None) -> float | None:
            return None if v is None or math.isnan(v) else float(v)

        return {
            "target": self.target,
            "kind": self.kind,
            "rng": self.rng,
            "passed": self.passed,
            "counts": self.counts(),
            "cases": [
                {
                    "label": c.case.label,
                    "case": c.case.name,
                    "why": c.case.why,
                    "verdict": c.verdict,
                    "outputs": [
                        {
                            "name": o.name,
                            "passed": o.passed,
                            "rel_err": number(o.rel_err),
                            "tolerance": number(o.tolerance),
                            "cs231n_rel_error": number(o.cs231n_rel_error),
                            "problem": o.problem,
                        }
                        for o in c.outputs
                    ],
                    "findings": list(c.findings),
                    "problem": c.problem,
                    "call": c.call,
                    "second_opinion": number(c.second_opinion),
                }
                for c in self.cases
            ],
            "diagnosis": None
            if self.diagnosis is None
            else {
                **dataclasses.asdict(self.diagnosis),
                "message": self.diagnosis.message,
            },
            "warnings": list(self.warnings),
        }

    def junit_cases(self) -> list[dict[str, str]]:
        """One JUnit test case per case: ``classname``, ``name`` and, unless it
        passed, ``failure`` (the detail, then the diagnosis)."""
        rows = []
        for c in self.cases:
            row = {"classname": f"{self.target} [{self.kind}]", "name": c.case.label}
            if not c.passed:
                row["failure"] = c.detail()
                if self.diagnosis is not None:
                    row["failure"] += "\n" + self.diagnosis.message
                row["type"] = c.verdict
            rows.append(row)
        return rows

    def to_junit(self) -> str:
        """The cases as a JUnit XML ``<testsuite>``."""
        counts = self.counts()
        suite = ElementTree.Element(
            "testsuite",
            name=f"{self.kind}: {self.target}",
            tests=str(len(self.cases)),
            failures=str(counts["failed"]),
            errors=str(counts["crashed"]),
        )
        for row in self.junit_cases():
            element = ElementTree.SubElement(
                suite, "testcase", classname=row["classname"], name=row["name"]
            )
            if "failure" in row:
                tag = "error" if row["type"] == "crashed" else "failure"
                failure = ElementTree.SubElement(element, tag, message=row["type"])
                failure.text = row["failure"]
        return ElementTree.tostring(suite, encoding="unicode")


def _verdict_line(report: LayerReport) -> str:
    n = len(report.cases)
    if report.passed:
        return f"conformant: {n} of {n} cases passed"
    counts = report.counts()
    parts = [f"{counts[v]} {v}" for v in ("failed", "crashed", "passed") if counts[v]]
    return f"NOT conformant: {', '.join(parts)} of {n} cases"


#: Longest detail shown in a row of the table (the dict keeps all of it).
DETAIL_WIDTH = 110


def format_layer_report(report: LayerReport) -> str:
    """The report as a table of cases, the CS231n relative errors, the diagnosis."""
    seed = "" if report.rng is None else f", rng {report.rng}"
    lines = [f"{report.target} ({report.kind}): {_verdict_line(report)}{seed}."]
    width = max(len("case"), *(len(c.case.label) for c in report.cases))
    lines.append(f"  {'case':<{width}}  {'verdict':<7}  {'cs231n':<7}  detail")
    for c in report.cases:
        errs = [
            o.cs231n_rel_error for o in c.outputs if not math.isnan(o.cs231n_rel_error)
        ]
        cs = f"{max(errs):.0e}" if errs else "-"
        detail = c.detail()
        if len(detail) > DETAIL_WIDTH:
            detail = detail[: DETAIL_WIDTH - 1] + "…"
        lines.append(
            f"  {c.case.label:<{width}}  {c.verdict:<7}  {cs:<7}  {detail}".rstrip()
        )
    inconsistent = [
        c.case.label
        for c in report.cases
        if c.second_opinion is not None and not c.second_opinion <= SECOND_OPINION_RTOL
    ]
    if inconsistent:
        lines.append(
            "Your backward also disagrees with a numeric VJP of your own forward on "
            + ", ".join(inconsistent)
            + "."
        )
    if report.diagnosis is not None:
        lines.append(f"Diagnosis: {report.diagnosis.message}")
    lines += [f"Warning: {w}." for w in report.warnings]
    return "\n".join(lines)


#: Central differences in float64 with a relative step 1e-5 err by ~1e-10 of the
#: gradient's scale (truncation h^2 and rounding eps/h alike); 1e-6 leaves x1e4,
#: and any mistake of the catalogue changes the VJP by 1e-2 or more.
SECOND_OPINION_RTOL = 1e-6
