r"""A user's function of a tree, seen by a check as :math:`F : \mathbb R^n \to \mathbb R^m`.

:class:`FlatFunction` calls ``f`` with the tree rebuilt from a flat float64
vector, each leaf in its own library (:mod:`spec.check.derivatives.trees`), and returns the
output as a flat float64 (or complex128) NumPy vector. It computes the numeric
derivative along a direction :math:`u`, the vector :math:`J u`, by the complex
step, central differences or Richardson's extrapolation (the formulas and steps of
:mod:`spec.check.derivatives.numeric`), and chooses between them with :func:`choose_method`:
the complex step where the library and ``f`` support complex input, else central
differences, saying why in the report.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.derivatives.arrays import to_numpy
from spec.check.derivatives.options import DEFAULT_RTOL
from spec.check.derivatives.report import METHOD_LABELS
from spec.check.derivatives.trees import TreeDef

__all__ = ["FlatFunction", "choose_method", "precision_note", "step_note"]

# NumPy >= 1.25 has it in numpy.exceptions, older ones at the top level.
_ComplexWarning: type[Warning] = getattr(
    getattr(np, "exceptions", np), "ComplexWarning", RuntimeWarning
)
#: Exceptions that mean "f does not take complex input" when the complex step is
#: tried; NumPy's ComplexWarning (a cast that drops the imaginary part) among them.
_COMPLEX_REFUSALS = (
    TypeError,
    ValueError,
    RuntimeError,
    NotImplementedError,
    _ComplexWarning,
)


@dataclasses.dataclass
class FlatFunction:
    """``f`` of a tree as a function of the flat vector; its value at the point.

    Attributes
    ----------
    f : callable
        The user's function of the tree.
    treedef : TreeDef
        The input tree.
    x : ndarray, shape (n,)
        The point, flat, float64.
    value : ndarray
        ``f`` at the point (float64 input), as NumPy, in ``f``'s output shape.
    f_dtype : numpy.dtype
        The precision of ``f``'s values at float64 input: float32 if ``f`` returns
        float32 whatever it is given, or returns float64 values computed in float32
        (``narrowed``; it ignores input changes below float32's resolution).
    what : str
        What ``f`` is called in messages.
    """

    f: Callable[[Any], Any]
    treedef: TreeDef
    x: NDArray
    value: NDArray = dataclasses.field(init=False)
    f_dtype: np.dtype = dataclasses.field(init=False)
    what: str = "f"
    narrowed: bool = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        value = self.raw(self.x)
        if value.dtype.kind not in "biuf":
            raise TypeError(
                f"{self.what} must return real values, got dtype {value.dtype}"
            )
        if not np.all(np.isfinite(value)):
            raise ValueError(f"{self.what}(x) is not finite: {value!r}")
        self.value = value
        self.f_dtype = value.dtype if value.dtype.kind == "f" else np.dtype("float64")
        self.narrowed = False
        if self.f_dtype == np.float64 and self._ignores_small_changes():
            self.f_dtype, self.narrowed = np.dtype(np.float32), True

    def _ignores_small_changes(self) -> bool:
        """Whether ``f`` computes in float32 or less though its values are float64.

        Each entry is moved by :math:`2^{-35}` of itself, below float32's
        resolution (:math:`2^{-24}`) and far above float64's: a function that rounds
        its input to float32 returns exactly the same values, while one computing
        in float64 moves by about :math:`2^{-25}` times its change under a move of
        :math:`2^{-10}`. Only a clearly visible expected change counts.
        """
        signs = np.random.default_rng(2**35).choice([-1.0, 1.0], self.x.size)
        f0 = self(self.x)
        tiny = self(self.x * (1 + 2.0**-35 * signs)) - f0
        large = self(self.x * (1 + 2.0**-10 * signs)) - f0
        expected = float(np.abs(large).max(initial=0)) * 2.0**-25
        resolvable = (
            2**8 * float(np.finfo(np.float64).eps) * float(np.abs(f0).max(initial=0))
        )
        return bool(np.all(tiny == 0) and expected > max(resolvable, 1e-300))

    @property
    def eps(self) -> float:
        """Machine epsilon of ``f``'s values: the precision the steps are set for."""
        return float(np.finfo(np.result_type(self.f_dtype, np.float32)).eps)

    @property
    def out_shape(self) -> tuple[int, ...]:
        """The shape of ``f``'s output."""
        return tuple(self.value.shape)

    def raw(self, flat: NDArray) -> NDArray:
        """``f`` at the tree with entries ``flat`` (complex allowed), as NumPy."""
        complex_ = np.iscomplexobj(flat)
        return to_numpy(self.f(self.treedef.unflatten(flat, complex_=complex_)))

    def __call__(self, flat: NDArray) -> NDArray:
        """``f`` at ``flat`` as a flat vector (real part for real input)."""
        out = self.raw(flat).reshape(-1)
        return out if np.iscomplexobj(flat) else np.real(out).astype(np.float64)

    def step(self, u: NDArray, method: str) -> float:
        r"""The step along ``u``: :math:`\varepsilon^{1/3}` (central) or
        :math:`\varepsilon^{1/5}` (Richardson) times :math:`\max(1, |x_i|)` over
        the support of ``u``."""
        support = np.abs(self.x[u != 0])
        size = max(1.0, float(support.max())) if support.size else 1.0
        return self.eps ** (1 / 3 if method == "central" else 1 / 5) * size

    def complex_jvp(self, u: NDArray) -> NDArray:
        r""":math:`J u = \operatorname{Im} F(x + i h u) / h`, :math:`h = \varepsilon`."""
        h = float(np.finfo(np.float64).eps)
        out = self(self.x + 1j * h * u)
        if not np.iscomplexobj(out):
            raise TypeError(
                f"{self.what} returned real values for complex input: it drops the "
                "imaginary part, so the complex step cannot be used; use "
                "method='central' or 'richardson'"
            )
        return np.imag(out) / h

    def central_jvp(self, u: NDArray, h: float) -> NDArray:
        """Central difference along ``u`` with step ``h`` (the step actually taken)."""
        up, down = self.x + h * u, self.x - h * u
        taken = float((up - down) @ u) / float(u @ u)  # θ ± h u rounded
        return (self(up) - self(down)) / taken

    def jvp(self, u: NDArray, method: str) -> NDArray:
        """The numeric :math:`J u` (shape (m,)) by ``method``."""
        if method == "complex":
            return self.complex_jvp(u)
        h = self.step(u, method)
        if method == "central":
            return self.central_jvp(u, h)
        d1, d2, d4 = (self.central_jvp(u, s) for s in (h, h / 2, h / 4))
        r1, r2 = (4 * d2 - d1) / 3, (4 * d4 - d2) / 3
        return (16 * r2 - r1) / 15

    def line(self, u: NDArray) -> Callable[[float], NDArray]:
        """``s -> F(x + s u)``, real: the function along ``u`` (for kinks)."""
        return lambda s: self(self.x + s * u)


def choose_method(fn: FlatFunction, method: str, rng: Any) -> tuple[str, str]:
    """The numeric method to use, and the sentence that says why.

    ``"auto"`` tries the complex step: it is taken when every input library has
    a complex dtype, ``f`` accepts complex input and keeps the imaginary part, and
    the complex-step and central-difference derivatives along one random direction
    agree within the central-difference tolerance (so ``f`` is analytic there:
    ``abs``, ``maximum``, ``conj`` or ``real`` inside ``f`` make them disagree).
    Otherwise central differences. A named method is used as it is.
    """
    if method != "auto":
        label = METHOD_LABELS.get(method, method)
        return method, f"reference: {label} (method={method!r}, as requested)"
    if not fn.treedef.has_complex:
        return "central", (
            "reference: central differences (chosen: "
            f"{'/'.join(fn.treedef.libraries)} has no complex dtype)"
        )
    u = np.random.default_rng(rng).standard_normal(fn.x.size)
    u /= np.linalg.norm(u)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", _ComplexWarning)
            by_complex = fn.complex_jvp(u)
    except _COMPLEX_REFUSALS as error:
        reason = f"{fn.what} refused complex input ({type(error).__name__}: {error})"
        return "central", f"reference: central differences (chosen: {reason})"
    by_central = fn.central_jvp(u, fn.step(u, "central"))
    rtol = DEFAULT_RTOL["central"]["float64" if fn.eps < 1e-10 else "float32"]
    scale = max(float(np.abs(by_central).max(initial=0)), 1.0)
    size = scale + float(np.abs(fn.value).max(initial=0))
    if np.abs(by_complex - by_central).max(initial=0) > rtol * size:
        return "central", (
            "reference: central differences (chosen: the complex step and central "
            f"differences disagree along a random direction, so {fn.what} is not "
            "analytic there, e.g. abs, maximum or a kink)"
        )
    return "complex", (
        f"reference: the complex step (chosen: {fn.what} accepts complex input and "
        "is analytic along a random direction)"
    )


def precision_note(fn: FlatFunction) -> str:
    """A sentence when the reference is computed in higher precision than ``f``,
    or when ``f`` computes in lower precision than its values' dtype."""
    if fn.narrowed:
        return (
            f"precision: {fn.what} returns float64 values but ignores input changes "
            "below float32's resolution (it computes in float32 or less): steps and "
            "tolerances for float32"
        )
    given = fn.treedef.dtype
    if np.finfo(given).eps > np.finfo(np.result_type(fn.f_dtype, np.float32)).eps:
        return (
            f"precision: the reference was computed in {fn.f_dtype} from x widened to "
            f"float64, higher precision than f's {given} input; the tolerances follow "
            f"the claimed values' {given}"
        )
    return ""


def step_note(fn: FlatFunction, method: str) -> str:
    """A sentence saying which step and tolerances ``method`` takes, and why."""
    if method not in DEFAULT_RTOL:  # the Taylor test: no step, no tolerance
        return ""
    precision = "float64" if fn.eps < 1e-10 else "float32"
    rtol = DEFAULT_RTOL[method][precision]
    why = (
        f"rtol {rtol:g} for {METHOD_LABELS.get(method, method)} on {precision} "
        "values, at least 2^10 ulps of the claimed values' dtype; atol at least "
        "rtol * |f(x)|"
    )
    if method == "complex":
        step = "imaginary step h = 2.2e-16 (nothing cancels, so h can be tiny)"
    elif method in ("central", "richardson"):
        power = "1/3" if method == "central" else "1/5"
        h = fn.eps ** (1 / 3 if method == "central" else 1 / 5)
        step = (
            f"step h = eps^({power}) * max(1, |x_i|), eps = {fn.eps:.1e} of f's "
            f"{fn.f_dtype} values (h = {h:.1e} where |x_i| <= 1)"
        )
    else:
        return f"tolerance: {why}"
    return f"{step}; {why}"
