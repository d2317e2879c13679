"""Learners' optimizers, ``next_w, config = rule(w, dw, config)`` as CS231n writes
them, checked against the spec's rules (:mod:`spec.optimizers`) under every known
convention: :mod:`~spec.check.conformance.optimizers.run` drives a rule along the
trajectories and compares each step (:func:`check_optimizer`),
:mod:`~spec.check.conformance.optimizers.mistakes` holds the conventions, the named
deviations and the trajectories' design,
:mod:`~spec.check.conformance.optimizers.report` what a check returns, and
:mod:`~spec.check.conformance.optimizers.files` a whole ``optim.py``."""

from __future__ import annotations

from spec.check.conformance.optimizers.files import (
    OptimFileReport,
    check_optim_file,
    optimizer_names,
)
from spec.check.conformance.optimizers.mistakes import (
    CONVENTIONS,
    DEVIATIONS,
    HYPER,
    KINDS,
    Alternative,
)
from spec.check.conformance.optimizers.report import (
    Crash,
    OptimizerReport,
    TrajectoryResult,
    format_optimizer_report,
)
from spec.check.conformance.optimizers.run import check_optimizer
from spec.check.conformance.optimizers.trajectories import DECAY, REGIMES, RTOL, STEPS

__all__ = [
    "CONVENTIONS",
    "DECAY",
    "DEVIATIONS",
    "HYPER",
    "KINDS",
    "REGIMES",
    "RTOL",
    "STEPS",
    "Alternative",
    "Crash",
    "OptimFileReport",
    "OptimizerReport",
    "TrajectoryResult",
    "check_optim_file",
    "check_optimizer",
    "format_optimizer_report",
    "optimizer_names",
]
