"""A learner's whole program checked as written: its layout recognised and its
networks built (:mod:`~spec.check.conformance.program.layouts`), every part checked
(:mod:`~spec.check.conformance.program.parts`,
:mod:`~spec.check.conformance.program.step`, against the spec's quantities of
:mod:`~spec.check.conformance.program.values`), and for a wrong part the line of the
learner's file to look at: the part run under a tracer
(:mod:`~spec.check.conformance.program.tracing`) and the trace walked back
(:mod:`~spec.check.conformance.program.lines`). :func:`check_program`
(:mod:`~spec.check.conformance.program.run`) returns a
:class:`~spec.check.conformance.program.report.ProgramReport`.
"""

from __future__ import annotations

from spec.check.conformance.program.report import ProgramReport
from spec.check.conformance.program.run import check_program

__all__ = ["ProgramReport", "check_program"]
