"""A :class:`~spec.check.conformance_report.ConformanceReport` for CI systems and
graders: JSON (:func:`report_to_dict`, :func:`to_json`) and JUnit XML
(:func:`to_junit`, one test case per battery case).

The JSON schema (``"schema": "backprop-spec/conformance/2"``) is documented on the
docs page "Check your own backprop"; numbers that are not finite (the error of a
case that crashed) are ``null``.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from typing import Any

from spec.check.conformance_report import (
    CaseResult,
    ConformanceReport,
    case_detail,
    format_conformance,
    verdict_line,
)

__all__ = ["SCHEMA", "report_to_dict", "to_json", "to_junit"]

#: Name and version of the JSON layout; the version changes when a field does.
SCHEMA = "backprop-spec/conformance/2"


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


def to_json(report: ConformanceReport) -> str:
    """The report as a JSON document (UTF-8 text, ends with a newline)."""
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False) + "\n"


def to_junit(report: ConformanceReport) -> str:
    """The report as JUnit XML: one ``<testcase>`` per case; a wrong gradient is a
    ``<failure>``, a crash an ``<error>``, and the diagnosis goes with each."""
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
