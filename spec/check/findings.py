r"""What the diagnosis works from and what it concludes: :class:`Observation` (one
case: its data, its verdict, what the code returned) and :class:`Diagnosis`, and
the criterion by which two gradients agree (:func:`agree`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from spec.check.battery import Case
from spec.check.casedata import CaseData
from spec.check.options import default_tolerances

__all__ = ["Diagnosis", "Observation", "agree", "wrong_blocks"]


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
