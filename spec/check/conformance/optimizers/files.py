"""A learner's ``optim.py`` checked as a file: the CS231n rules it defines
(:func:`optimizer_names`, read without running the file) and each checked
(:func:`check_optim_file`, :class:`OptimFileReport`)."""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import numpy as np

from spec.check.conformance.optimizers.mistakes import (
    KINDS,
)
from spec.check.conformance.optimizers.report import OptimizerReport
from spec.check.conformance.optimizers.run import check_optimizer

__all__ = [
    "OptimFileReport",
    "check_optim_file",
    "optimizer_names",
]


@dataclasses.dataclass(frozen=True)
class OptimFileReport:
    """What :func:`check_optim_file` found: one report per rule of the file.

    Attributes
    ----------
    path : str
    reports : tuple of OptimizerReport
        In the order of :data:`~spec.check.conformance.optimizers.mistakes.KINDS`.
    missing : tuple of str
        The CS231n names the file does not define.
    """

    path: str
    reports: tuple[OptimizerReport, ...]
    missing: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """Every rule found passed."""
        return all(r.passed for r in self.reports)

    def to_dict(self) -> dict[str, Any]:
        """Plain data: the path, one object per rule, the names missing."""
        return {
            "path": self.path,
            "passed": self.passed,
            "targets": [r.to_dict() for r in self.reports],
            "missing": list(self.missing),
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON."""
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    def to_junit(self) -> str:
        """JUnit XML: one ``<testcase>`` per rule; a wrong rule is a ``<failure>``
        with the report's text."""
        attrs = {
            "name": f"backprop check {self.path}",
            "tests": str(len(self.reports)),
            "failures": str(sum(not r.passed for r in self.reports)),
            "errors": "0",
        }
        root = ElementTree.Element("testsuites", attrs)
        suite = ElementTree.SubElement(root, "testsuite", attrs)
        for r in self.reports:
            case = ElementTree.SubElement(
                suite, "testcase", classname=self.path, name=r.kind
            )
            if not r.passed:
                failure = ElementTree.SubElement(case, "failure", message=r.message)
                failure.text = str(r)
        ElementTree.indent(root)
        return ElementTree.tostring(root, encoding="unicode", xml_declaration=True)

    def __str__(self) -> str:
        counts = sum(r.passed for r in self.reports)
        head = f"{self.path}: {counts} of {len(self.reports)} optimizers pass"
        if self.missing:
            head += f" (not defined: {', '.join(self.missing)})"
        return "\n\n".join([head, *(str(r) for r in self.reports)])


def _load(path: Path) -> Any:
    folder = str(path.resolve().parent)
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    try:
        spec_ = importlib.util.spec_from_file_location(path.stem, path)
        if spec_ is None or spec_.loader is None:
            raise ValueError(f"{path}: not a Python module")
        module = importlib.util.module_from_spec(spec_)
        spec_.loader.exec_module(module)
    except ValueError:
        raise
    except Exception as exc:  # the file under test does not import: say why
        raise ValueError(f"cannot import {path}: {type(exc).__name__}: {exc}") from None
    finally:
        if added:
            sys.path.remove(folder)
    return module


def optimizer_names(path: str | Path) -> tuple[str, ...]:
    """The CS231n rule names (``sgd``, ``sgd_momentum``, ``rmsprop``, ``adam``) that
    the Python file ``path`` defines at its top level, read without running it (so
    that ``backprop check FILE.py`` can tell an ``optim.py`` from other files).

    Raises
    ------
    ValueError
        If the file cannot be read or parsed.
    """
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=str(path))
    except (OSError, UnicodeDecodeError, SyntaxError) as exc:
        raise ValueError(f"cannot read {path}: {type(exc).__name__}: {exc}") from None
    defined = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            defined.add(node.name)
        elif isinstance(node, ast.Assign):
            defined.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom | ast.Import):
            defined.update((a.asname or a.name).split(".")[0] for a in node.names)
    return tuple(k for k in KINDS if k in defined)


def check_optim_file(
    path: str | Path, *, rng: int | np.random.Generator = 0
) -> OptimFileReport:
    """Check every CS231n rule (``sgd``, ``sgd_momentum``, ``rmsprop``, ``adam``)
    that the Python file ``path`` defines.

    Raises
    ------
    ValueError
        If the file does not exist, does not import, or defines none of them.
    """
    file = Path(path)
    if not file.is_file():
        raise ValueError(
            f"path must be a Python file, got {str(path)!r} (no such file)"
        )
    module = _load(file)
    found = [k for k in KINDS if callable(getattr(module, k, None))]
    if not found:
        raise ValueError(
            f"{path} defines none of {list(KINDS)} (CS231n's optimizer names)"
        )
    reports = tuple(check_optimizer(getattr(module, k), kind=k, rng=rng) for k in found)
    missing = tuple(k for k in KINDS if k not in found)
    return OptimFileReport(str(path), reports, missing)
