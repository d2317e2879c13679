r"""A user's function of a tree, seen by a check as :math:`F : \mathbb R^n \to \mathbb R^m`.

:class:`FlatFunction` calls ``f`` with the tree rebuilt from a flat float64
vector, each leaf in its own library (:mod:`spec.check.derivatives.trees`), and returns the
output as a flat float64 (or complex128) NumPy vector. It computes the numeric
derivative along a direction :math:`u`, the vector :math:`J u`, by the complex
step, central differences or Richardson's extrapolation
(:func:`spec.check.derivatives.numeric.jvp`, whose step rule it uses), and chooses between them with :func:`choose_method`:
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

from spec.check.derivatives import numeric
from spec.check.derivatives.arrays import describe
from spec.check.derivatives.edge import as_array, who
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
        What ``f`` is called in notes (``"f"``, ``"grad"``).
    label : str
        ``f`` named in errors by its role and name (``f (my_loss)``); by default
        ``what`` and ``f.__name__``.
    """

    f: Callable[[Any], Any]
    treedef: TreeDef
    x: NDArray
    value: NDArray = dataclasses.field(init=False)
    f_dtype: np.dtype = dataclasses.field(init=False)
    what: str = "f"
    label: str = ""
    narrowed: bool = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        if not self.label:
            self.label = who(self.what, self.f)
        value = self.raw(self.x)
        if not np.all(np.isfinite(value)):
            raise ValueError(
                f"{self.label} is not finite at {self.treedef.root}: it returned "
                f"{_values(value)}; expected finite real values"
            )
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

    def require_scalar(self) -> None:
        """Refuse an ``f`` whose value is not a scalar (for a gradient or Hessian)."""
        if self.value.size != 1:
            raise ValueError(
                f"{self.what} must return a scalar: {self.label} returned "
                f"{describe(self.value)}"
            )

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
        return as_array(
            self.f(self.treedef.unflatten(flat, complex_=complex_)),
            source=self.label,
            expected="a real array or number" if not complex_ else "an array",
            real=not complex_,
        )

    def __call__(self, flat: NDArray) -> NDArray:
        """``f`` at ``flat`` as a flat vector (real part for real input)."""
        out = self.raw(flat).reshape(-1)
        if np.iscomplexobj(flat):
            return out
        return np.real(out).astype(np.float64, copy=False)

    def step(self, u: NDArray, method: str) -> float:
        """The step of ``method`` along ``u`` (:func:`spec.check.derivatives.numeric.step`)."""
        return numeric.step(self.x, u, self.eps, method)

    def complex_jvp(self, u: NDArray) -> NDArray:
        r""":math:`J u = \operatorname{Im} F(x + i h u) / h`, :math:`h = \varepsilon`."""
        return numeric.complex_jvp(self, self.x, u, self.what)

    def central_jvp(self, u: NDArray, h: float) -> NDArray:
        """Central difference along ``u`` with step ``h`` (the step actually taken)."""
        return numeric.central_jvp(self, self.x, u, h)

    def jvp(self, u: NDArray, method: str) -> NDArray:
        """The numeric :math:`J u` (shape (m,)) by ``method``
        (:func:`spec.check.derivatives.numeric.jvp`)."""
        return numeric.jvp(self, self.x, u, method, eps=self.eps, what=self.what)

    def line(self, u: NDArray) -> Callable[[float], NDArray]:
        """``s -> F(x + s u)``, real: the function along ``u`` (for kinks)."""
        return lambda s: self(self.x + s * u)


def _values(value: NDArray) -> str:
    """A short text of an array's values: ``nan``, or ``[1.0, nan, inf]``."""
    if value.size == 1:
        return str(value.reshape(())[()])
    shown = np.array2string(value.reshape(-1)[:6], separator=", ", threshold=6)
    return f"{shown[:-1]}, ...]" if value.size > 6 else shown


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
        h = numeric.step_size(fn.eps, method, 1.0)
        step = (
            f"step h = eps^({power}) * max(1, |x_i|), eps = {fn.eps:.1e} of f's "
            f"{fn.f_dtype} values (h = {h:.1e} where |x_i| <= 1)"
        )
    else:
        return f"tolerance: {why}"
    return f"{step}; {why}"
