r"""A learner's whole program checked as written: :func:`check_program`.

The check recognises which layout a file follows
(:data:`~spec.check.conformance.program.layouts.LAYOUTS`), builds its networks itself for
each case (the class's own constructor, then the case's parameters put where that
layout keeps them), and checks every part it finds:

==============  =============================================================
kind            what the part is held to
==============  =============================================================
``activation``  :math:`\sigma` and :math:`\sigma'` on a grid of :math:`z` in
                :math:`[-40, 40]` and the tails :math:`\pm 100, \pm 700`
``one_hot``     the encoding of every label :math:`0 \dots k-1`, :math:`k = 3, 10`
``forward``     ``feedforward`` against :math:`a^L` of the spec's forward pass
``predict``     ``predict`` against :math:`\arg\max a^L`
``evaluate``    ``evaluate`` against the fraction (tutorial) or count (Nielsen)
                of right predictions, on labels half of which are right
``cost``        the output error ``a - y`` (and each cost class's ``delta``
                and ``fn``)
``gradients``   ``backprop``: the conformance battery
                (:func:`spec.check_implementation`); integer labels one-hot
                to 10 outputs where the program takes them (``suite="labels"``)
``step``        one minibatch step: parameters after it against
                :math:`\theta - \alpha \cdot` the mean of the program's own
                per-example gradients (and :math:`W (1 - \alpha\lambda/n)` where the
                layout decays weights)
==============  =============================================================

For a wrong part the report names the mistake where a catalogue knows it (the
battery's for ``backprop``, :data:`STEP_MISTAKES` for the step, an off-by-one
one-hot encoding) and gives the line of the learner's file that computes the first
wrong value (:mod:`spec.check.conformance.program.tracing`), run once more on one case.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

import backprop
from spec.check.conformance.adapters import adapt, takes_keyword
from spec.check.conformance.program.layouts import (
    Program,
    gradient_function,
    import_file,
    recognise,
)
from spec.check.conformance.program.parts import (
    activation_parts,
    cost_parts,
    forward_parts,
    gradients_part,
    one_hot_part,
)
from spec.check.conformance.program.report import (
    PartCase,
    PartDiagnosis,
    PartResult,
    ProgramReport,
)
from spec.check.conformance.program.step import step_method, step_part
from spec.check.conformance.report import ConformanceReport, case_detail
from spec.check.conformance.run import check_implementation

__all__ = [
    "check_function",
    "check_program",
    "part_names",
]


def _parts(
    program: Program, rng: np.random.Generator
) -> list[tuple[str, Callable[[], Any]]]:
    """The checks of each part, by part name, in the order they are run."""
    checks: list[tuple[str, Callable[[], Any]]] = []
    for name in ("sigmoid", "sigmoid_prime"):
        if callable(getattr(program.module, name, None)):
            checks.append((name, lambda: activation_parts(program)))
    if callable(getattr(program.module, "to_one_hot", None)):
        checks.append(("to_one_hot", lambda: [one_hot_part(program)]))
    for method in ("feedforward", "predict", "evaluate"):
        if callable(getattr(program.network, method, None)):
            checks.append((f"Network.{method}", lambda: forward_parts(program, rng)))
    for name in _cost_names(program):
        checks.append((name, lambda: cost_parts(program, rng)))
    checks.append(("Network.backprop", lambda: [gradients_part(program)]))
    step = step_method(program)
    if step is not None:
        checks.append((f"Network.{step}", lambda: [step_part(program, rng)]))
    return checks


def _cost_names(program: Program) -> list[str]:
    names = []
    if program.layout == "tutorial" and callable(
        getattr(program.network, "get_output_delta", None)
    ):
        names.append("Network.get_output_delta")
    if program.layout == "nielsen":
        if callable(getattr(program.network, "cost_derivative", None)):
            names.append("Network.cost_derivative")
        for cls in program.cost_classes().values():
            names.append(f"{cls.__name__}.delta")
            if callable(getattr(cls, "fn", None)):
                names.append(f"{cls.__name__}.fn")
    return names


def part_names(module: ModuleType) -> list[str]:
    """The names of the parts :func:`check_program` would check in ``module``."""
    layout = recognise(module)
    if layout == "function":
        fn = gradient_function(module)
        return [getattr(fn, "__name__", "gradients")]
    program = Program(module, str(module.__file__), layout, 0)
    return [name for name, _ in _parts(program, np.random.default_rng(0))]


def check_function(
    fn: Callable[..., Any],
    *,
    name: str | None = None,
    cost: str | Sequence[str] | None = None,
    rng: int | np.random.Generator = 0,
    adapt_options: dict[str, Any] | None = None,
    **battery: Any,
) -> ConformanceReport:
    """The battery on a gradient function in any convention :func:`spec.adapt`
    takes; a function that takes no ``cost=`` is checked on the cost it
    implements (each fitting cost is tried, the first that passes is reported,
    else the one with most cases passed)."""
    options = dict(adapt_options or {})
    gradients = adapt(fn, **options)
    takes_cost = options.get("cost_keyword", True) and takes_keyword(fn, "cost")
    if cost is not None or takes_cost:
        report = check_implementation(gradients, cost=cost, rng=rng, **battery)
    else:
        reports = []
        for c in backprop.COSTS:
            try:
                report = check_implementation(gradients, cost=c, rng=rng, **battery)
            except ValueError:  # the cost fits no output layer of the suite
                continue
            if report.passed:
                break
            reports.append(report)
        else:
            report = max(reports, key=lambda r: r.counts()["passed"])
    target = (
        name or f"{getattr(fn, '__module__', '')}:{getattr(fn, '__qualname__', 'fn')}"
    )
    return dataclasses.replace(report, target=target)


def check_program(
    path_or_module: str | Path | ModuleType,
    *,
    rng: int | np.random.Generator = 0,
    parts: Sequence[str] | None = None,
    name: str | None = None,
) -> ProgramReport:
    r"""Check a learner's program as written: every part it has, and the line.

    Parameters
    ----------
    path_or_module : str, Path or module
        A ``.py`` file, a dotted module name, or an imported module, in one of
        the layouts of :data:`~spec.check.conformance.program.layouts.LAYOUTS` (the
        tutorial's, Nielsen's, or a ``gradients(weights, biases, x, y)``
        function).
    rng : int or numpy.random.Generator
        Seed of every case's parameters and data.
    parts : sequence of str, optional
        Only these parts (names as :func:`~spec.check.conformance.program.run.part_names` gives them, e.g.
        ``"Network.backprop"``); by default all.
    name : str, optional
        The program's name in the report (default: the path as given).

    Returns
    -------
    ProgramReport
        ``report.passed`` is the verdict; ``str(report)`` a table of the parts and,
        for each wrong one, the mistake and the line of the file that computes
        the first wrong value.

    Raises
    ------
    ValueError
        When the file does not import, follows no known layout (naming what it
        defines), or ``parts`` names a part it does not have.
    """
    if isinstance(path_or_module, ModuleType):
        module = path_or_module
        target = name or module.__name__
    else:
        module = import_file(str(path_or_module))
        target = name or str(path_or_module)
    layout = recognise(module)
    seed = rng if isinstance(rng, int) and not isinstance(rng, bool) else None
    generator = np.random.default_rng(rng)
    path = str(getattr(module, "__file__", "") or "")
    if layout == "function":
        fn = gradient_function(module)
        assert fn is not None
        report = check_function(fn, name=fn.__name__, rng=generator)
        cases = tuple(
            PartCase(f"{r.case.label}: {r.case.name}", r.verdict, case_detail(r))
            for r in report.cases
        )
        d = report.diagnosis
        diagnosis = (
            None
            if d is None
            else PartDiagnosis(d.mistake or None, d.equation or None, d.message, None)
        )
        part = PartResult(fn.__name__, "gradients", cases, diagnosis, report)
        return ProgramReport(target, layout, (part,), seed)
    program = Program(module, path, layout, generator)
    checks = _parts(program, generator)
    known = [n for n, _ in checks]
    if parts is not None:
        unknown = [p for p in parts if p not in known]
        if unknown:
            raise ValueError(
                f"parts must be among {known} (the parts of this {layout}-style "
                f"program), got {unknown}"
            )
    results: dict[str, PartResult] = {}
    for part_name, run in checks:  # one run may check several parts
        if (parts is not None and part_name not in parts) or part_name in results:
            continue
        for result in run() or []:
            if result is not None:
                results.setdefault(result.name, result)
                if not result.passed:
                    program.suspects.add(result.name)
                else:
                    program.verified.add(result.name)
    ordered = tuple(
        results[n]
        for n in dict.fromkeys(known)
        if n in results and (parts is None or n in parts)
    )
    return ProgramReport(target, layout, ordered, seed)
