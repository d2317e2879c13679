r"""The options of a check and its default tolerances.

Entry :math:`i` of a gradient passes when :math:`|g_i - r_i| \le \mathrm{atol} +
\mathrm{rtol} \cdot s`, with :math:`s` the largest entry of either gradient. The
defaults of ``rtol`` and ``atol`` follow from the method and the dtypes
(:func:`default_tolerances`); why this criterion, and how each default was
measured, is set out on the docs page "Checking your own gradient".
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from spec.check.derivatives.numeric import METHODS

__all__ = [
    "CLAIMED_ULPS",
    "DEFAULT_RTOL",
    "FAST_SIGMAS",
    "RESOLVED_METHODS",
    "CheckOptions",
    "default_tolerances",
]

#: Default ``rtol`` by method and by the precision of ``f`` (see the docs page).
DEFAULT_RTOL: dict[str, dict[str, float]] = {
    "central": {"float64": 1e-6, "float32": 1e-2},
    "richardson": {"float64": 1e-8, "float32": 1e-3},
    "complex": {"float64": 1e-10, "float32": 1e-4},
    "reference": {"float64": 1e-10, "float32": 1e-4},
    # Second derivatives (spec.check_hvp without grad=): the four-point formula of
    # central differences with h = ε^(1/4) errs by ~ε^(1/2), 1.5e-8 in float64;
    # central differences of a complex-step gradient as central differences.
    "second_central": {"float64": 1e-5, "float32": 5e-2},
    "central_of_complex": {"float64": 1e-6, "float32": 1e-2},
}
#: Method names resolved by the check itself: ``"auto"`` (the complex step where
#: ``f`` allows it, else central differences) and ``"taylor"`` (the Taylor test).
RESOLVED_METHODS = ("auto", "taylor")
#: ``rtol`` is at least this many ulps of the claimed gradient's dtype.
CLAIMED_ULPS = 2**10
#: Fast mode allows this many times the per-entry tolerance (a 6-sigma bound).
FAST_SIGMAS = 6.0


@dataclasses.dataclass(frozen=True)
class CheckOptions:
    """How a check compares: the reference, the mode, the tolerances, the report.

    One object carries them from the public function that takes them as keywords
    to the engine that uses them.

    Attributes
    ----------
    method : {"central", "complex", "richardson", "reference", "auto", "taylor"}
        The numeric reference (:mod:`spec.check.derivatives.numeric`), a given one, or one
        the check resolves: ``"auto"`` (the complex step where ``f`` allows it,
        else central differences), ``"taylor"`` (:func:`spec.taylor_test`).
    fast : bool
        Compare along random directions per block instead of entry by entry.
    n_directions : int
        Directions per block in fast mode.
    rtol, atol : float or None
        Tolerances; ``None`` takes the defaults of :func:`default_tolerances`.
    rng : int or numpy.random.Generator
        Seed or generator of the fast-mode directions.
    n_worst : int
        How many of the worst entries the report lists.
    raise_on_failure : bool
        Raise :class:`~spec.check.derivatives.report.GradcheckError` on failure.
    """

    method: str = "central"
    fast: bool = False
    n_directions: int = 2
    rtol: float | None = None
    atol: float | None = None
    rng: Any = 0
    n_worst: int = 5
    raise_on_failure: bool = True

    def __post_init__(self) -> None:
        if self.method not in DEFAULT_RTOL and self.method not in RESOLVED_METHODS:
            raise ValueError(
                f"method must be one of {[*METHODS, *RESOLVED_METHODS]}, got "
                f"{self.method!r}"
            )
        for name in ("n_directions", "n_worst"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise TypeError(f"{name} must be an integer >= 1, got {value!r}")
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        for name in ("rtol", "atol"):
            value = getattr(self, name)
            if value is not None and not (float(value) >= 0):
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")

    def tolerances(
        self, *, f_dtype: Any, claimed_dtype: Any, f_value: float = 0.0
    ) -> tuple[float, float]:
        """``(rtol, atol)``: the given ones, or the defaults for these dtypes."""
        d_rtol, d_atol = default_tolerances(
            self.method, f_dtype=f_dtype, claimed_dtype=claimed_dtype, f_value=f_value
        )
        return (
            d_rtol if self.rtol is None else float(self.rtol),
            d_atol if self.atol is None else float(self.atol),
        )


def default_tolerances(
    method: str,
    *,
    f_dtype: Any = np.float64,
    claimed_dtype: Any = np.float64,
    f_value: float = 0.0,
) -> tuple[float, float]:
    """Default ``(rtol, atol)`` for a method (the docs page says why).

    Parameters
    ----------
    method : {"central", "complex", "richardson", "reference"}
    f_dtype : dtype
        Dtype of ``f``'s values (its real part for the complex step).
    claimed_dtype : dtype
        Dtype of the claimed gradient.
    f_value : float
        :math:`f(\\theta)`, for the floor ``rtol * |f_value|`` of ``atol``
        (numeric methods).

    Returns
    -------
    rtol, atol : float
    """
    if method not in DEFAULT_RTOL:
        raise ValueError(f"method must be one of {list(DEFAULT_RTOL)}, got {method!r}")
    f_eps = np.finfo(np.result_type(f_dtype, np.float32)).eps
    precision = "float64" if f_eps <= np.finfo(np.float64).eps else "float32"
    claimed_eps = float(np.finfo(np.result_type(claimed_dtype, np.float16)).eps)
    rtol = max(DEFAULT_RTOL[method][precision], CLAIMED_ULPS * claimed_eps)
    floor = CLAIMED_ULPS * claimed_eps
    atol = floor if method == "reference" else max(floor, rtol * abs(float(f_value)))
    return rtol, atol
