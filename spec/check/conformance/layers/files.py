"""Recognise CS231n's layer functions in a file and check every pair:
:func:`check_layers_file`.

The course's ``layers.py`` names each layer's functions the same way in every
solution (``conv_forward_naive`` / ``conv_backward_naive``,
``batchnorm_forward`` / ``batchnorm_backward`` and ``batchnorm_backward_alt`` …).
:data:`PAIRS` lists those names with the kind of :func:`spec.check_layer` that
checks them; :func:`find_pairs` pairs what a module defines, and
:func:`check_layers_file` loads a file, checks each pair found and reports
functions that have the course's prefixes but no partner.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, cast
from xml.etree import ElementTree

import numpy as np

from spec.check.conformance.layers.report import LayerReport
from spec.check.conformance.layers.run import check_layer

__all__ = [
    "PAIRS",
    "LayerPair",
    "LayersFileReport",
    "check_layers_file",
    "find_pairs",
    "format_layers_file",
]

#: (kind, forward, backward) by CS231n's names; ``None``: the loss returns dx.
PAIRS: tuple[tuple[str, str, str | None], ...] = (
    ("affine", "affine_forward", "affine_backward"),
    ("relu", "relu_forward", "relu_backward"),
    ("convolution", "conv_forward_naive", "conv_backward_naive"),
    ("max_pool", "max_pool_forward_naive", "max_pool_backward_naive"),
    ("average_pool", "avg_pool_forward_naive", "avg_pool_backward_naive"),
    ("batchnorm", "batchnorm_forward", "batchnorm_backward"),
    ("batchnorm", "batchnorm_forward", "batchnorm_backward_alt"),
    ("layernorm", "layernorm_forward", "layernorm_backward"),
    ("dropout", "dropout_forward", "dropout_backward"),
    ("spatial_batchnorm", "spatial_batchnorm_forward", "spatial_batchnorm_backward"),
    ("groupnorm", "spatial_groupnorm_forward", "spatial_groupnorm_backward"),
    ("softmax_loss", "softmax_loss", None),
    ("hinge_loss", "svm_loss", None),
)
#: Prefixes of the course's layer functions: one found without its partner is
#: reported.
PREFIXES = (
    "affine_",
    "relu_",
    "conv_",
    "max_pool_",
    "avg_pool_",
    "batchnorm_",
    "layernorm_",
    "dropout_",
    "spatial_batchnorm_",
    "spatial_groupnorm_",
)
#: Names with those prefixes that are not layers of the course's ``layers.py``
#: (``layer_utils``' sandwiches), passed over without a word.
SANDWICHES = ("affine_relu_", "conv_relu_", "affine_bn_relu_", "conv_bn_relu_")


@dataclasses.dataclass(frozen=True)
class LayerPair:
    """A forward and its backward (``None`` for a loss) of one kind."""

    kind: str
    forward: str
    backward: str | None

    @property
    def label(self) -> str:
        """``"conv_forward_naive / conv_backward_naive"``."""
        return (
            self.forward
            if self.backward is None
            else f"{self.forward} / {self.backward}"
        )


def find_pairs(
    namespace: Mapping[str, Any],
) -> tuple[tuple[LayerPair, ...], tuple[str, ...]]:
    """The pairs of :data:`PAIRS` whose functions ``namespace`` defines, and the
    course-like names left without a partner."""
    pairs = []
    used: set[str] = set()
    for kind, forward, backward in PAIRS:
        names = [forward] if backward is None else [forward, backward]
        if all(callable(namespace.get(n)) for n in names):
            pairs.append(LayerPair(kind, forward, backward))
            used.update(names)
    unpaired = tuple(
        sorted(
            name
            for name, value in namespace.items()
            if callable(value)
            and name.startswith(PREFIXES)
            and not name.startswith(SANDWICHES)
            and name not in used
            and getattr(value, "__module__", None) == namespace.get("__name__")
        )
    )
    return tuple(pairs), unpaired


@dataclasses.dataclass(frozen=True)
class LayersFileReport:
    """The outcome of :func:`check_layers_file`.

    Attributes
    ----------
    path : str
    pairs : tuple of (LayerPair, LayerReport)
        Each pair found, with its report.
    unpaired : tuple of str
        Functions named like the course's whose partner is missing.
    load_error : str
        What loading the file raised (nothing is checked then); empty otherwise.
    seconds : float
        Time the checks took.
    """

    path: str
    pairs: tuple[tuple[LayerPair, LayerReport], ...]
    unpaired: tuple[str, ...] = ()
    load_error: str = ""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """The file loaded, at least one pair was found, and every pair passed."""
        return (
            not self.load_error
            and bool(self.pairs)
            and all(r.passed for _, r in self.pairs)
        )

    def __str__(self) -> str:
        return format_layers_file(self)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (JSON-ready)."""
        return {
            "path": self.path,
            "passed": self.passed,
            "load_error": self.load_error,
            "unpaired": list(self.unpaired),
            "seconds": self.seconds,
            "pairs": [
                {
                    "kind": p.kind,
                    "forward": p.forward,
                    "backward": p.backward,
                    "report": r.to_dict(),
                }
                for p, r in self.pairs
            ],
        }

    def to_junit(self) -> str:
        """Every pair's cases as JUnit XML: one ``<testsuite>`` per pair in a
        ``<testsuites>``; a file that does not load is one ``<error>``."""
        root = ElementTree.Element("testsuites", name=self.path)
        if self.load_error:
            suite = ElementTree.SubElement(
                root, "testsuite", name=self.path, tests="1", errors="1"
            )
            case = ElementTree.SubElement(
                suite, "testcase", classname=self.path, name="load"
            )
            ElementTree.SubElement(case, "error", message="load").text = self.load_error
        for _, report in self.pairs:
            root.append(ElementTree.fromstring(report.to_junit()))
        return ElementTree.tostring(root, encoding="unicode")


_COUNTER = itertools.count()


def load_layers_file(path: str | Path) -> ModuleType:
    """Import the file at ``path`` as a fresh module (its code runs)."""
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(
            f"path must name a Python file, got {str(path)!r} (no such file)"
        )
    # Not registered in sys.modules: each load is fresh, and the stem names the
    # functions in the reports.
    name = file.stem if file.stem.isidentifier() else f"layers_{next(_COUNTER)}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ValueError(f"path must name a Python file, got {str(path)!r}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_layers_file(
    path: str | Path, *, rng: int | np.random.Generator = 0
) -> LayersFileReport:
    """Check every CS231n layer pair a file defines.

    Parameters
    ----------
    path : str or Path
        A learner's ``layers.py`` (it is imported: its code runs).
    rng : int or numpy.random.Generator
        Seed of every pair's cases (each pair gets the same seed when an int).

    Returns
    -------
    LayersFileReport
        One :class:`~spec.check.conformance.layers.report.LayerReport` per pair
        found; ``str(report)`` is the text rendering.
    """
    start = time.perf_counter()
    try:
        module = load_layers_file(path)
    except FileNotFoundError:
        raise
    except Exception as exc:  # their file failed to import: a finding
        frames = traceback.extract_tb(exc.__traceback__)
        where = f" at line {frames[-1].lineno}" if frames else ""
        return LayersFileReport(
            str(path), (), load_error=f"{type(exc).__name__}: {exc}{where}"
        )
    pairs, unpaired = find_pairs(vars(module))
    reports = []
    for pair in pairs:
        forward = getattr(module, pair.forward)
        backward = None if pair.backward is None else getattr(module, pair.backward)
        # The pairs of PAIRS are the layers' kinds, never a recurrent one.
        report = cast(
            LayerReport, check_layer(forward, backward, kind=pair.kind, rng=rng)
        )
        reports.append((pair, report))
    return LayersFileReport(
        str(path), tuple(reports), unpaired, seconds=time.perf_counter() - start
    )


def format_layers_file(report: LayersFileReport) -> str:
    """One line per pair (verdict, cases, the diagnosis), then the failing pairs'
    tables."""
    if report.load_error:
        return f"{report.path}: could not be loaded: {report.load_error}."
    if not report.pairs:
        return f"{report.path}: no CS231n layer functions found (affine_forward, conv_forward_naive, …)."
    passed = sum(r.passed for _, r in report.pairs)
    lines = [
        (
            f"{report.path}: {passed} of {len(report.pairs)} layer pairs conformant "
            f"({report.seconds:.1f} s)."
        )
    ]
    width = max(len(p.label) for p, _ in report.pairs)
    for pair, r in report.pairs:
        n = len(r.cases)
        verdict = (
            f"ok ({n} cases)"
            if r.passed
            else f"WRONG ({n - r.counts()['passed']} of {n} cases)"
        )
        line = f"  {pair.label:<{width}}  {verdict}"
        if r.diagnosis is not None:
            name = r.diagnosis.mistake or "not a known mistake"
            line += f": {name}"
        lines.append(line)
    for name in report.unpaired:
        lines.append(f"  {name:<{width}}  not checked: its partner is missing")
    for _, r in report.pairs:
        if not r.passed:
            lines += ["", str(r)]
    return "\n".join(lines)
