"""Grade sheets from the records of :mod:`spec.check.grading.grade`: CSV
(:func:`to_csv`), Gradescope's ``results.json`` (:func:`to_gradescope`) and JUnit
XML (:func:`to_junit`), one rendering each of the same data.

Text that came from a submission (its messages, its printed output, its name) is
written as data: quoted in CSV, with a leading ``'`` where a spreadsheet would
read a formula, escaped in XML.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

__all__ = ["line_text", "to_csv", "to_gradescope", "to_junit"]

#: Characters that make a spreadsheet read a cell as a formula.
FORMULA = ("=", "+", "-", "@", "\t", "\r")
#: Longest printed output carried into a sheet (the record keeps it all).
OUTPUT_WIDTH = 4000


#: Characters XML 1.0 cannot hold (a submission may print any byte).
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return NOT_XML.sub("\ufffd", text)


def line_text(line: Any) -> str:
    """``"net.py:12: delta = w @ delta"`` for a record's ``line``, ``""`` for None."""
    if not isinstance(line, dict):
        return ""
    source = str(line.get("source", "")).strip()
    return f"{line.get('path')}:{line.get('number')}" + (
        f": {source}" if source else ""
    )


def _cell(value: Any) -> str:
    text = (
        value
        if isinstance(value, str)
        else f"{value:g}"
        if isinstance(value, float)
        else str(value)
    )
    return "'" + text if text.startswith(FORMULA) else text


def to_csv(records: Sequence[dict[str, Any]]) -> str:
    """One row per submission: name, score, maximum, overall verdict, then per
    part its verdict, score, named mistake, equation, line and detail."""
    parts: list[str] = []
    for record in records:
        for part in record["parts"]:
            if part["name"] not in parts:
                parts.append(part["name"])
    columns = ["submission", "score", "max_score", "verdict"]
    for name in parts:
        columns += [
            f"{name}: {field}"
            for field in ("verdict", "score", "mistake", "equation", "line", "detail")
        ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([_cell(c) for c in columns])
    for record in records:
        row: list[Any] = [
            record["submission"],
            record["score"],
            record["max_score"],
            record["verdict"],
        ]
        by_name = {p["name"]: p for p in record["parts"]}
        for name in parts:
            part = by_name.get(name)
            if part is None:
                row += [""] * 6
                continue
            row += [
                part["verdict"],
                part["score"],
                part["mistake"] or "",
                part["equation"] or "",
                line_text(part["line"]),
                part["detail"],
            ]
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def _part_output(part: dict[str, Any]) -> str:
    lines = [f"{part['verdict']}: {part['detail']}"]
    if part["line"]:
        lines.append(f"at {line_text(part['line'])}")
    report = part.get("report")
    if report and report.get("diagnosis"):
        lines.append(report["diagnosis"]["message"])
    lines += [f"note: {n}" for n in part["notes"]]
    if part["output"]:
        output = part["output"]
        if len(output) > OUTPUT_WIDTH:
            output = output[:OUTPUT_WIDTH] + "\n[...]"
        lines += ["", "Your code printed:", output]
    return "\n".join(lines)


def to_gradescope(record: dict[str, Any]) -> dict[str, Any]:
    """Gradescope's ``results.json`` for one submission: one test per part with
    ``name``, ``score``, ``max_score``, ``output`` and ``visibility``."""
    return {
        "score": record["score"],
        "output": (
            f"{record['score']:g} of {record['max_score']:g} points "
            f"(cases drawn from seed {record['seed']})"
        ),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "execution_time": record.get("seconds", 0.0),
        "tests": [
            {
                "name": part["name"],
                "score": part["score"],
                "max_score": part["points"],
                "status": "passed" if part["verdict"] == "passed" else "failed",
                "output": _part_output(part),
                "visibility": "visible",
            }
            for part in record["parts"]
        ],
    }


def to_junit(record: dict[str, Any]) -> str:
    """JUnit XML for one submission: one ``<testcase>`` per part; a wrong gradient
    is a ``<failure>``, anything that kept the battery from running an
    ``<error>``."""
    parts = record["parts"]
    failures = sum(p["verdict"] in ("wrong", "nan", "wrong shape") for p in parts)
    errors = sum(p["verdict"] != "passed" for p in parts) - failures
    attrs = {
        "name": _xml(f"backprop grade {record['submission']}"),
        "tests": str(len(parts)),
        "failures": str(failures),
        "errors": str(errors),
        "skipped": "0",
    }
    suites = ET.Element("testsuites", attrs)
    suite = ET.SubElement(suites, "testsuite", attrs)
    properties = ET.SubElement(suite, "properties")
    for name in ("score", "max_score", "verdict", "seed"):
        ET.SubElement(
            properties, "property", {"name": name, "value": _xml(str(record[name]))}
        )
    for part in parts:
        testcase = ET.SubElement(
            suite,
            "testcase",
            {"classname": _xml(record["submission"]), "name": part["name"]},
        )
        if part["verdict"] != "passed":
            tag = (
                "failure"
                if part["verdict"] in ("wrong", "nan", "wrong shape")
                else "error"
            )
            element = ET.SubElement(
                testcase,
                tag,
                {"message": _xml(part["detail"][:500]), "type": part["verdict"]},
            )
            element.text = _xml(_part_output(part))
        if part["output"]:
            output = _xml(part["output"][:OUTPUT_WIDTH])
            ET.SubElement(testcase, "system-out").text = output
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
