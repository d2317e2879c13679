r"""Differential diagnosis: which known mistake a failing gradient is, or where it is.

Every mistake of the catalogue (:data:`spec.check.conformance.mistakes.MISTAKES`) is evaluated
by the spec on every case of the battery. A mistake is *named* when the code under
test agrees with it on every case, to the tolerance of the check: the same values
where both compute, and a crash exactly where the mistake's own shapes do not fit.
When none agrees, the diagnosis *localises* (:func:`spec.check.conformance.diagnosis.localise`):
the first equation implicated by which blocks are wrong, with the constant ratio
or sign between the claimed and the right gradient if there is one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from spec.check.conformance.mistakes import MISTAKES, Mistake
from spec.check.conformance.suites import Case, CaseData
from spec.check.derivatives.options import default_tolerances

__all__ = [
    "Diagnosis",
    "Observation",
    "agree",
    "diagnose",
    "localise",
    "shape_warnings",
    "wrong_blocks",
]


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


@dataclasses.dataclass(frozen=True)
class Observation:
    """One case as the diagnosis sees it: the data, the verdict, what came back.

    ``claimed`` and ``reference`` are the arrays in block order (``W^1, b^1, …``);
    ``claimed`` is ``None`` for a crash, ``reference`` when it was not computed.
    ``precision`` is the dtype whose tolerances apply (float32 if the data or any
    claimed array is float32).
    """

    case: Case
    data: CaseData
    verdict: str
    claimed: list[NDArray] | None
    reference: list[NDArray] | None = None
    wrong_blocks: tuple[str, ...] = ()
    problem: str = ""
    precision: str = "float64"


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    """What is wrong with a gradient that failed the battery.

    Attributes
    ----------
    kind : {"named", "localised"}
        A known mistake was recognised, or only the first implicated equation.
    equation : str
        ``"BP1"`` … ``"BP4"``, ``"BP1/BP3"``, ``"return"``, or ``""`` when
        every failing case crashed.
    mistake : str
        The name of the mistake (``kind == "named"``), else ``""``.
    title : str
        What is wrong, in words.
    breaks : str
        The line of the derivation it breaks (named), or the implicated equation.
    n_cases : int
        Cases the named mistake agrees with (all of them), or failing cases.
    also : tuple of str
        Other mistakes that agree on every case (indistinguishable on this suite).
    wrong_blocks : tuple of str
        Blocks wrong on some case, e.g. ``("W^1", "b^1")``.
    ratio : float or None
        Claimed over right gradient, when one constant holds on every failing case.
    block_ratios : tuple of (str, float)
        Per wrong block of the first failing case, a constant ratio where one holds.
    crash : str
        The first crash, with the shapes of the call; empty if none.
    n_crashed : int
        Of ``n_cases``, those on which the code crashed (for a named mistake: where
        its derivation is undefined too).
    """

    kind: str
    equation: str
    mistake: str
    title: str
    breaks: str
    n_cases: int
    also: tuple[str, ...] = ()
    wrong_blocks: tuple[str, ...] = ()
    ratio: float | None = None
    block_ratios: tuple[tuple[str, float], ...] = ()
    crash: str = ""
    n_crashed: int = 0

    @property
    def message(self) -> str:
        """The diagnosis in one sentence or two."""
        # More than three blocks read better as "your gradient".
        names = (
            [f"∂C/∂{b}" for b in self.wrong_blocks]
            if len(self.wrong_blocks) <= 3
            else []
        )
        blocks = " and ".join(
            [", ".join(names[:-1]), *names[-1:]] if names[:-1] else names
        )
        verb = "equal" if len(names) > 1 else "equals"
        if self.kind == "named":
            where = f"on all {self.n_cases} cases"
            if self.n_crashed:
                computed = self.n_cases - self.n_crashed
                where = (
                    f"on all {computed} cases where it computes, and crashes on the "
                    f"{self.n_crashed} where that derivation's shapes do not fit: "
                    f"{self.n_cases} of {self.n_cases} cases agree"
                )
            text = (
                f"{self.equation}: {self.title} — your {blocks or 'gradient'} {verb} the "
                f"derivation with this mistake {where} (the line it breaks: "
                f"{self.breaks})"
            )
            if self.also:
                text += f"; indistinguishable here from {', '.join(self.also)}"
            return text + "."
        text = f"{self.equation}: {self.title}." if self.equation else self.title
        text = text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")
        if self.ratio is not None:
            sign = " (the sign flipped)" if np.isclose(self.ratio, -1) else ""
            text += f" Your gradient is {self.ratio:.6g} × the right one{sign}."
        elif self.block_ratios:
            parts = ", ".join(f"{b} {r:.6g} ×" for b, r in self.block_ratios)
            text += f" Constant ratios to the right gradient: {parts}."
        if self.crash:
            text += f" It raised {self.crash}."
        return text


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


def wrong_blocks(observations: Sequence[Observation]) -> tuple[str, ...]:
    names = {b for o in observations for b in o.wrong_blocks}
    order = [b for o in observations for b in o.wrong_blocks]
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


def _method(o: Observation) -> str:
    """The tolerances that apply to the case's reference."""
    return "central" if o.case.reference == "central" else "reference"


def localise(observations: Sequence[Observation]) -> Diagnosis:
    """The first implicated equation, and any constant ratio, of failing cases."""
    failing = [o for o in observations if o.verdict != "passed"]
    compared = [
        o for o in failing if o.verdict == "failed" and o.reference and o.wrong_blocks
    ]
    crashes = [o for o in failing if o.verdict == "crashed"]
    crash = ""
    if crashes:
        crash = (
            f"{crashes[0].problem} on {len(crashes)} of {len(observations)} cases, "
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
