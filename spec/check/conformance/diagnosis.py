r"""Differential diagnosis: which known mistake a failing gradient is, or where it is.

Every mistake of the catalogue (:data:`spec.check.conformance.mistakes.MISTAKES`) is evaluated
by the spec on every case of the battery. A mistake is *named* when the code under
test agrees with it on every case, to the tolerance of the check: the same values
where both compute, and a crash exactly where the mistake's own shapes do not fit.
When none agrees, the diagnosis *localises* (:func:`localise`):
the first equation implicated by which blocks are wrong, with the constant ratio
or sign between the claimed and the right gradient if there is one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from spec.check.conformance.derivation import Derivation
from spec.check.conformance.mistakes import MISTAKES
from spec.check.conformance.report import CaseResult, Diagnosis
from spec.check.derivatives.options import default_tolerances
from spec.check.network.gradient import interleave

__all__ = [
    "agree",
    "diagnose",
    "localise",
    "shape_warnings",
    "wrong_blocks",
]


def _agrees(mistake: Derivation, result: CaseResult) -> bool:
    d = result.data
    case = result.case
    if d is None:  # a record made without its data cannot be compared
        return False
    derived = mistake.gradients(
        d.weights, d.biases, d.x, d.y, case.cost, case.layers, case.l2
    )
    if result.verdict == "crashed" or derived is None:
        return result.verdict == "crashed" and derived is None
    return result.claimed is not None and agree(
        result.claimed, interleave(*derived), result.precision
    )


def diagnose(results: Sequence[CaseResult]) -> Diagnosis:
    """Name the known mistake that agrees with every case, or localise the error."""
    matches = [m for m in MISTAKES if all(_agrees(m, o) for o in results)]
    if not matches:
        return localise(results)
    first = matches[0]
    failing = [o for o in results if o.verdict != "passed"]
    return Diagnosis(
        "named",
        first.equation,
        first.name,
        first.title,
        first.breaks,
        len(results),
        also=tuple(m.name for m in matches[1:]),
        wrong_blocks=wrong_blocks(failing),
        n_crashed=sum(o.verdict == "crashed" for o in results),
    )


def shape_warnings(results: Sequence[CaseResult]) -> tuple[str, ...]:
    """Where the mistake hides: m = 1 only, or square layers only."""
    failing = [o for o in results if o.verdict != "passed"]
    if not failing:
        return ()
    warnings = []
    single = [o for o in results if o.case.m == 1]
    if single and all(o.verdict == "passed" for o in single):
        warnings.append(
            "every m = 1 case passes: tests that run only m = 1 would not see this "
            "mistake; test with m >= 2"
        )
    square = [o for o in results if o.case.square]
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


def agree(
    claimed: Sequence[NDArray],
    other: Sequence[NDArray],
    dtype: str,
    method: str = "reference",
) -> bool:
    """The check's criterion: every entry within ``atol + rtol * scale``, with the
    default tolerances of ``method`` (``"central"`` where ``other`` is a central
    difference).

    Shapes are compared without their axes of length 1, so that a gradient of the
    wrong shape is recognised whichever layout (``(n, 1)`` or ``(n,)``) it is in.
    """
    if len(claimed) != len(other) or any(
        np.squeeze(a).shape != np.squeeze(b).shape
        for a, b in zip(claimed, other, strict=True)
    ):
        return False
    g = np.concatenate([np.ravel(a) for a in claimed]).astype(np.float64)
    d = np.concatenate([np.ravel(a) for a in other]).astype(np.float64)
    if not (np.all(np.isfinite(g)) and np.all(np.isfinite(d))):
        return False
    rtol, atol = default_tolerances(method, claimed_dtype=dtype)
    scale = max(float(np.abs(g).max(initial=0)), float(np.abs(d).max(initial=0)))
    return bool(np.all(np.abs(g - d) <= atol + rtol * scale))


def wrong_blocks(results: Sequence[CaseResult]) -> tuple[str, ...]:
    names = {b for o in results for b in o.wrong_blocks}
    order = [b for o in results for b in o.wrong_blocks]
    return tuple(sorted(names, key=order.index))


def _ratio(
    claimed: Sequence[NDArray],
    ref: Sequence[NDArray],
    dtype: str,
    method: str = "reference",
) -> float | None:
    """``c`` with claimed = c · ref to the tolerance of the reference's ``method``,
    if one exists (and ref is not 0)."""
    g = np.concatenate([np.ravel(a) for a in claimed]).astype(np.float64)
    r = np.concatenate([np.ravel(a) for a in ref]).astype(np.float64)
    if not np.all(np.isfinite(g)) or not np.any(r):
        return None
    c = float(g @ r / (r @ r))
    return c if agree([g], [c * r], dtype, method) else None


def _method(o: CaseResult) -> str:
    """The tolerances that apply to the case's reference."""
    return "central" if o.case.reference == "central" else "reference"


def localise(results: Sequence[CaseResult]) -> Diagnosis:
    """The first implicated equation, and any constant ratio, of failing cases."""
    failing = [o for o in results if o.verdict != "passed"]
    compared = [
        o for o in failing if o.verdict == "failed" and o.reference and o.wrong_blocks
    ]
    crashes = [o for o in failing if o.verdict == "crashed"]
    crash = ""
    if crashes:
        crash = (
            f"{crashes[0].problem} on {len(crashes)} of {len(results)} cases, "
            f"the first {crashes[0].case.name}"
        )
    if not compared:
        unmatched = [o for o in failing if o.verdict == "failed"]
        title = (
            f"no value could be compared: {unmatched[0].problem}"
            if unmatched
            else "the code crashed on every case it did not pass, so no value could "
            "be compared"
        )
        return Diagnosis("localised", "", "", title, "", len(failing), crash=crash)
    # The deepest failing network says most about which layer goes wrong first.
    first = max(compared, key=lambda o: len(o.case.sizes))
    n_layers = len(first.case.sizes) - 1
    equation, title = _implicated(set(first.wrong_blocks), n_layers)
    ratios = [
        _ratio(o.claimed, o.reference, o.precision, _method(o))
        for o in compared
        if o.claimed is not None
        and o.reference is not None
        and _same_shapes(o.claimed, o.reference)
    ]
    ratio = None
    if ratios and all(r is not None for r in ratios):
        values = np.array(ratios, dtype=float)
        if np.allclose(values, values[0], rtol=1e-6):
            ratio = float(values[0])
    block_ratios: list[tuple[str, float]] = []
    if (
        ratio is None
        and first.claimed is not None
        and first.reference is not None
        and _same_shapes(first.claimed, first.reference)
    ):
        names = _block_names(n_layers)
        for name, g, r in zip(names, first.claimed, first.reference, strict=True):
            c = (
                _ratio([g], [r], first.precision, _method(first))
                if name in first.wrong_blocks
                else None
            )
            if c is not None:
                block_ratios.append((name, c))
    return Diagnosis(
        "localised",
        equation,
        "",
        title,
        equation,
        len(failing),
        wrong_blocks=wrong_blocks(failing),
        ratio=ratio,
        block_ratios=tuple(block_ratios),
        crash=crash,
    )


def _implicated(wrong: set[str], n_layers: int) -> tuple[str, str]:
    """The first equation implicated, from the top, by the wrong blocks of a case."""
    top = max(int(b.split("^")[1]) for b in wrong)
    w_wrong, b_wrong = f"W^{top}" in wrong, f"b^{top}" in wrong
    where = "the output layer" if top == n_layers else f"layer {top}, below right ones"
    if not b_wrong:
        return "BP4", (
            f"in {where}, ∂C/∂b^{top} is right and ∂C/∂W^{top} wrong: δ^{top} is "
            f"right, so BP4, ∂C/∂W^l = δ^l (a^(l-1))^T, is wrong"
        )
    if not w_wrong:
        return "BP3", (
            f"in {where}, ∂C/∂W^{top} is right and ∂C/∂b^{top} wrong: δ^{top} is "
            f"right, so BP3, ∂C/∂b^l = δ^l, is wrong"
        )
    if top == n_layers:
        return "BP1/BP3", (
            f"∂C/∂b^{top} and ∂C/∂W^{top} of the output layer are wrong: the output "
            "error δ^L (BP1), or the batch reduction of BP3 and BP4"
        )
    return "BP2", (
        f"the layers above {top} are right and ∂C/∂b^{top}, ∂C/∂W^{top} wrong: "
        f"δ^{top} from δ^{top + 1} (BP2) is wrong"
    )


def _same_shapes(a: Sequence[NDArray], b: Sequence[NDArray]) -> bool:
    return len(a) == len(b) and all(
        x.shape == y.shape for x, y in zip(a, b, strict=True)
    )


def _block_names(n_layers: int) -> list[str]:
    return [f"{p}^{l}" for l in range(1, n_layers + 1) for p in ("W", "b")]
