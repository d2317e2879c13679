r"""Where a wrong gradient goes wrong, when no known mistake matches: :func:`localise`.

The first equation implicated, from the output down, by which blocks of a failing
case are wrong: ``b^l`` right and ``W^l`` wrong implicates BP4; ``W^l`` right and
``b^l`` wrong, BP3; both wrong in the output layer, BP1 (or the batch reduction of
BP3 and BP4); both wrong in a hidden layer below right ones, BP2. A constant ratio
between the claimed and the right gradient (a sign, a factor) is reported when
there is one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from spec.check.findings import Diagnosis, Observation, agree, wrong_blocks

__all__ = ["localise"]


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
