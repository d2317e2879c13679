r"""Differential diagnosis: which known mistake a failing gradient is, or where it is.

Every mistake of the catalogue (:data:`spec.check.mistakes.MISTAKES`) is evaluated
by the spec on every case of the battery. A mistake is *named* when the code under
test agrees with it on every case, to the tolerance of the check: the same values
where both compute, and a crash exactly where the mistake's own shapes do not fit.
When none agrees, the diagnosis *localises* (:func:`spec.check.localise.localise`):
the first equation implicated by which blocks are wrong, with the constant ratio
or sign between the claimed and the right gradient if there is one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from spec.check.findings import Diagnosis, Observation, agree, wrong_blocks
from spec.check.localise import localise
from spec.check.mistakes import MISTAKES, Mistake

__all__ = ["diagnose", "shape_warnings"]


def _interleave(grad: tuple[list[NDArray], list[NDArray]]) -> list[NDArray]:
    return [np.asarray(g) for pair in zip(*grad, strict=True) for g in pair]


def _agrees(mistake: Mistake, obs: Observation) -> bool:
    d = obs.data
    case = obs.case
    derived = mistake.derivation.gradients(
        d.weights, d.biases, d.x, d.y, case.cost, case.layers, case.l2
    )
    if obs.verdict == "crashed" or derived is None:
        return obs.verdict == "crashed" and derived is None
    return obs.claimed is not None and agree(
        obs.claimed, _interleave(derived), obs.precision
    )


def diagnose(observations: Sequence[Observation]) -> Diagnosis:
    """Name the known mistake that agrees with every case, or localise the error."""
    matches = [m for m in MISTAKES if all(_agrees(m, o) for o in observations)]
    if not matches:
        return localise(observations)
    first = matches[0]
    failing = [o for o in observations if o.verdict != "passed"]
    return Diagnosis(
        "named",
        first.equation,
        first.name,
        first.title,
        first.breaks,
        len(observations),
        also=tuple(m.name for m in matches[1:]),
        wrong_blocks=wrong_blocks(failing),
        n_crashed=sum(o.verdict == "crashed" for o in observations),
    )


def shape_warnings(observations: Sequence[Observation]) -> tuple[str, ...]:
    """Where the mistake hides: m = 1 only, or square layers only."""
    failing = [o for o in observations if o.verdict != "passed"]
    if not failing:
        return ()
    warnings = []
    single = [o for o in observations if o.case.m == 1]
    if single and all(o.verdict == "passed" for o in single):
        warnings.append(
            "every m = 1 case passes: tests that run only m = 1 would not see this "
            "mistake; test with m >= 2"
        )
    square = [o for o in observations if o.case.square]
    if square and all(o.verdict == "passed" for o in square):
        warnings.append(
            "every square-layer case passes: tests on square layers only would not "
            "see this mistake; test non-square layers"
        )
    crashed = [o for o in failing if o.verdict == "crashed"]
    if crashed and all(not o.case.square for o in crashed) and square:
        warnings.append(
            "it crashes only on non-square networks, before any check can run: "
            "square layers hide it and non-square ones only crash; test both"
        )
    return tuple(warnings)
