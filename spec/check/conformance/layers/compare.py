r"""How a learner's layer output is held to the reference: within the tolerance of
its precision (:data:`RTOL`), exactly the
subdifferential at a max-pool tie, any value between 0 and the upstream gradient
at a ReLU input of 0; and CS231n's relative error beside it."""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.conformance.layers.cases import (
    CaseInputs,
    LayerCase,
)
from spec.check.conformance.layers.derivation import KINDS, LayerDerivation
from spec.check.conformance.layers.report import (
    LayerCaseResult,
    OutputCheck,
)

__all__ = [
    "KEEP_SIGMAS",
    "RTOL",
    "SCALE_FLOOR",
    "Observation",
    "as64",
    "compare_output",
    "evaluate",
    "output_checks",
    "precision_of",
    "quiet",
]


#: Relative tolerance by the precision the learner computed in. float64: their
#: code and our derivation differ by rounding over sums of at most ~10^3 terms,
#: ~1e-13 of the largest entry; 1e-10 leaves x1000. float32 (eps 1.2e-7): sums of
#: up to ~100 products and normalisation's cancellation (a factor of a few) give
#: ~1e-6; 1e-4 leaves x100. The smallest effect of any catalogued mistake on these
#: cases is ~1e-2 (the unbiased variance at N = 16: 3 %), far above both.
RTOL = {"float64": 1e-10, "float32": 1e-4}


#: Data are O(1); the scale of an output is taken as at least this, so that an
#: output whose reference is 0 accepts rounding noise and nothing more.
SCALE_FLOOR = 1e-3


#: The kept fraction of dropout may stray this many binomial standard deviations
#: from p (a false alarm once in ~10^9 cases).
KEEP_SIGMAS = 6.0


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """NumPy's floating-point warnings off: an overflow is judged by its result."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            yield


# -- comparing ------------------------------------------------------------------
def as64(a: Any) -> NDArray:
    return np.asarray(a, dtype=np.float64)


def _cs231n(a: NDArray, b: NDArray) -> float:
    """CS231n's ``rel_error``: ``max(|a - b| / max(1e-8, |a| + |b|))``."""
    with quiet():
        return float(
            np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)), initial=0)
        )


def _close(
    claimed: NDArray, expected: NDArray, rtol: float, finite: bool
) -> tuple[bool, float, str]:
    """The criterion: equal shapes, every entry within ``rtol`` of the scale.

    With ``finite=False`` (a mistake's derivation, which may overflow) entries
    that are not finite must be so at the same places, with the same values.
    """
    if claimed.shape != expected.shape:
        return False, math.nan, f"shape {claimed.shape}, expected {expected.shape}"
    a, b = as64(claimed), as64(expected)
    bad_a, bad_b = ~np.isfinite(a), ~np.isfinite(b)
    if bad_a.any() or bad_b.any():
        if finite or not np.array_equal(bad_a, bad_b):
            return False, math.nan, "not finite (inf or nan)"
        if not np.array_equal(a[bad_a], b[bad_b], equal_nan=True):
            return False, math.nan, "not finite (inf or nan)"
        a, b = a[~bad_a], b[~bad_b]
    scale = max(float(np.abs(a).max(initial=0)), float(np.abs(b).max(initial=0)))
    err = float(np.abs(a - b).max(initial=0))
    rel = err / max(scale, SCALE_FLOOR)
    return rel <= rtol, rel, ""


def _ties_ok(
    dx: NDArray, x: NDArray, dout: NDArray, case: LayerCase, rtol: float
) -> str:
    """Max pooling at ties: every window's dout split over its maximal positions,
    weights >= 0 summing to 1; "" when so, else what is broken. The tie cases'
    windows do not overlap, so each position belongs to one window at most."""
    params = dict(case.params)
    ph, pw, s = params["pool_height"], params["pool_width"], params["stride"]
    if dx.shape != x.shape:
        return f"shape {dx.shape}, expected {x.shape}"
    d = as64(dx)
    if not np.all(np.isfinite(d)):
        return "not finite (inf or nan)"
    tol = rtol * max(float(np.abs(dout).max(initial=0)), SCALE_FLOOR)
    covered = np.zeros(x.shape, dtype=bool)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = (
                slice(None),
                slice(None),
                slice(i * s, i * s + ph),
                slice(j * s, j * s + pw),
            )
            patch = x[window]
            covered[window] = True
            top = patch == patch.max(axis=(2, 3), keepdims=True)
            g = dout[:, :, i, j, None, None]
            part = d[window]
            if np.any(np.abs(part[~top]) > tol):
                return "gradient on a position that is not a maximum of its window"
            share = np.where(top, part * np.sign(g), 0.0)
            if np.any(share < -tol) or np.any(share > np.abs(g) + tol):
                return "a tied position's weight outside [0, 1]"
            total = np.where(top, part, 0.0).sum(axis=(2, 3), keepdims=True)
            if np.any(np.abs(total - g) > tol):
                return "the weights over a window's tied maxima do not sum to 1"
    if np.any(np.abs(d[~covered]) > tol):
        return "gradient on a position in no window"
    return ""


def _kink_ok(
    dx: NDArray, x: NDArray, dout: NDArray, expected: NDArray, rtol: float
) -> str:
    """ReLU with inputs exactly 0: there, any value between 0 and dout."""
    if dx.shape != x.shape:
        return f"shape {dx.shape}, expected {x.shape}"
    d = as64(dx)
    if not np.all(np.isfinite(d)):
        return "not finite (inf or nan)"
    tol = rtol * max(float(np.abs(dout).max(initial=0)), SCALE_FLOOR)
    zero = x == 0
    if np.any(np.abs(d - expected)[~zero] > tol):
        return "wrong away from the kink"
    low, high = np.minimum(0, dout), np.maximum(0, dout)
    if np.any((d < low - tol)[zero]) or np.any((d > high + tol)[zero]):
        return "at x = 0 outside the subdifferential [0, dout]"
    return ""


def compare_output(
    name: str,
    claimed: Any,
    expected: NDArray,
    case: LayerCase,
    data: CaseInputs,
    dout: NDArray | None,
    precision: str,
    *,
    finite: bool = True,
    exact: bool = False,
) -> OutputCheck:
    """One output of one case against its expected value, by the module's criterion.

    Parameters
    ----------
    name : str
        ``"out"``, ``"dx"``, ``"keep"`` (dropout's kept fraction) …
    claimed, expected : ndarray
    case, data : the case and its inputs (the kink rules read ``x``)
    dout : ndarray or None
        The upstream gradient given.
    precision : {"float64", "float32"}
    finite : bool
        Whether non-finite entries are a failure (they are, except when an
        expected value from a mistake's derivation is itself not finite).
    exact : bool
        Compare values even at a kink (the diagnosis: equal to a mistake's
        derivation), instead of the subdifferential rule.

    Returns
    -------
    OutputCheck
    """
    rtol = RTOL[precision]
    claimed = np.asarray(claimed)
    if name == "keep":
        n = int(np.prod(data.inputs["x"].shape))
        q = float(expected)
        f = float(claimed)
        bound = KEEP_SIGMAS * math.sqrt(q * (1 - q) / n) + 0.5 / n
        ok = abs(f - q) <= bound
        problem = "" if ok else f"{f:.3f} of the units kept; keep probability {q:g}"
        return OutputCheck(name, ok, abs(f - q), bound, math.nan, problem)
    x = data.inputs["x"]
    special = ""
    kink = name == "dx" and not exact
    if kink and dout is not None and case.ties and case.kind == "max_pool":
        special = _ties_ok(claimed, x, dout, case, rtol)
    elif kink and dout is not None and case.zeros and case.kind == "relu":
        special = _kink_ok(claimed, x, dout, expected, rtol)
    else:
        ok, rel, problem = _close(claimed, expected, rtol, finite)
        cs = (
            _cs231n(as64(claimed), expected)
            if claimed.shape == expected.shape
            else math.nan
        )
        return OutputCheck(name, ok, rel, rtol, cs, problem)
    ok = not special
    cs = (
        _cs231n(as64(claimed), expected)
        if claimed.shape == expected.shape
        else math.nan
    )
    return OutputCheck(name, ok, 0.0 if ok else math.nan, rtol, cs, special)


def precision_of(case: LayerCase, observed: Mapping[str, Any]) -> str:
    """float32 when the data or any returned array is (its tolerance applies)."""
    arrays = [np.asarray(v) for v in observed.values()]
    low = any(a.dtype.kind == "f" and a.dtype.itemsize < 8 for a in arrays)
    return "float32" if case.dtype == "float32" or low else "float64"


def evaluate(
    derivation: LayerDerivation,
    case: LayerCase,
    data: CaseInputs,
    dout: NDArray | None,
    observed: Mapping[str, Any],
) -> dict[str, NDArray]:
    inputs = {k: (v if k == "y" else as64(v)) for k, v in data.inputs.items()}
    hyper = dict(data.params)
    dout64 = None if dout is None else as64(dout)
    with quiet():
        return derivation.evaluate(case.kind, inputs, hyper, dout64, observed)


# -- one case -------------------------------------------------------------------
class Observation:
    """One case as the diagnosis sees it."""

    def __init__(
        self,
        case: LayerCase,
        data: CaseInputs,
        observed: dict[str, Any],
        dout: NDArray | None,
        result: LayerCaseResult,
    ) -> None:
        self.case, self.data, self.observed, self.dout, self.result = (
            case,
            data,
            observed,
            dout,
            result,
        )


def output_checks(
    expected: Mapping[str, NDArray],
    observed: Mapping[str, Any],
    case: LayerCase,
    data: CaseInputs,
    dout: NDArray | None,
    *,
    finite: bool = True,
    exact: bool = False,
) -> list[OutputCheck]:
    precision = precision_of(case, observed)
    return [
        compare_output(
            name,
            observed[name],
            expected[name],
            case,
            data,
            dout,
            precision,
            finite=finite,
            exact=exact,
        )
        for name in KINDS[case.kind]
        if name in expected and name in observed
    ]
