r"""Numeric derivatives: the formulas and the step rule every check uses.

One primitive, :func:`jvp`, the numeric derivative :math:`J u` of a function
:math:`F : \mathbb R^n \to \mathbb R^m` of a flat vector along a direction
:math:`u`, by one of three methods:

- **central differences** :math:`(F(x + h u) - F(x - h u)) / 2h`, which balances
  the truncation error :math:`h^2 F''' / 6` against the rounding error
  :math:`\varepsilon |F| / h`; both are then of order :math:`\varepsilon^{2/3}`
  (about 4e-11 in float64);
- **complex step** :math:`\operatorname{Im} F(x + i h u) / h`: no difference is
  taken, so nothing cancels and ``h`` can be tiny (:math:`h = \varepsilon`, so the
  truncation error :math:`h^2 F''' / 6` is :math:`\varepsilon^2` relative);
  accurate to a few ulps, but ``F`` must be analytic and accept complex input;
- **Richardson extrapolation** of central differences at :math:`h, h/2, h/4`,
  which cancels the :math:`h^2` and :math:`h^4` terms of the error: 1e-11 to
  1e-12 in float64 with no complex arithmetic, for six evaluations.

The step rule is written once, :func:`step_size`: :math:`h = \varepsilon^{p}
\max(1, s)` with :math:`p` from :data:`STEP_POWERS` (1/3 for central
differences, 1/5 for Richardson, 1/4 for each difference of a second
derivative) and :math:`s` the largest :math:`|x_i|` over the support of
:math:`u` (:func:`step`). Every check (:mod:`spec.check.derivatives.tangents`,
through :class:`~spec.check.derivatives.functions.FlatFunction`) and the gradient
functions below (one :func:`jvp` per unit vector :math:`e_k`) use it.

These are independent of :mod:`backprop`: they only call the function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "METHODS",
    "STEP_POWERS",
    "Method",
    "central_gradient",
    "central_jvp",
    "complex_jvp",
    "complex_step_gradient",
    "directional_derivative",
    "jvp",
    "numeric_gradient",
    "richardson_gradient",
    "step",
    "step_size",
]

Method = Literal["central", "complex", "richardson"]
#: The numeric methods, by name.
METHODS: tuple[str, ...] = ("central", "complex", "richardson")
#: The power :math:`p` of the step :math:`\varepsilon^p \max(1, |x|)` of each
#: difference formula (``"second_central"``: each of the two differences of the
#: four-point second derivative, whose error is then of order
#: :math:`\varepsilon^{1/2}`).
STEP_POWERS: dict[str, float] = {
    "central": 1 / 3,
    "richardson": 1 / 5,
    "second_central": 1 / 4,
}

#: ``F(flat) -> ndarray (m,)``: a function of a flat vector, real (float64) values
#: for real input and complex values for complex input.
VectorFunction = Callable[[NDArray], NDArray]


def step_size(eps: float, method: str, scale: float) -> float:
    r"""The step of ``method``: :math:`\varepsilon^p \max(1, \mathrm{scale})`."""
    return float(eps ** STEP_POWERS[method] * max(1.0, float(scale)))


def step(x: NDArray, u: NDArray, eps: float, method: str) -> float:
    """The step along ``u`` at ``x``: scaled by the largest ``|x_i|`` where
    ``u_i != 0``."""
    support = np.abs(x[u != 0])
    return step_size(eps, method, float(support.max(initial=0.0)))


def complex_jvp(F: VectorFunction, x: NDArray, u: NDArray, what: str = "f") -> NDArray:
    r""":math:`\operatorname{Im} F(x + i h u) / h` with :math:`h` the machine
    epsilon of ``x``'s dtype (see the module docstring)."""
    # h = ε: the truncation error h²|F'''|/6 is ~ε² relative, far below rounding,
    # and products of h with small derivatives stay far above underflow.
    h = float(np.finfo(x.dtype).eps)
    point = (x + 1j * h * u).astype(np.result_type(x.dtype, np.complex64))
    out = F(point)
    if not np.iscomplexobj(out):
        raise TypeError(
            f"{what} returned real values for complex input: it drops the "
            "imaginary part, so the complex step cannot be used; use "
            "method='central' or 'richardson'"
        )
    return np.imag(out).astype(np.float64) / h


def central_jvp(F: VectorFunction, x: NDArray, u: NDArray, h: float) -> NDArray:
    """:math:`(F(x + h u) - F(x - h u)) / 2h`, dividing by the step actually taken
    (:math:`x \\pm h u` is rounded to ``x``'s dtype)."""
    up = (x + h * u).astype(x.dtype, copy=False)
    down = (x - h * u).astype(x.dtype, copy=False)
    u64 = u.astype(np.float64, copy=False)
    difference = up.astype(np.float64, copy=False) - down
    taken = float(difference @ u64) / float(u64 @ u64)
    return (np.asarray(F(up), dtype=np.float64) - F(down)) / taken


def _richardson(d: Callable[[float], NDArray], h: float) -> NDArray:
    r"""Extrapolate ``d(h) = f' + c_2 h^2 + c_4 h^4 + ...`` to ``h = 0``."""
    d1, d2, d4 = d(h), d(h / 2), d(h / 4)
    r1, r2 = (4 * d2 - d1) / 3, (4 * d4 - d2) / 3  # O(h^4)
    return (16 * r2 - r1) / 15  # O(h^6)


def jvp(
    F: VectorFunction,
    x: NDArray,
    u: NDArray,
    method: str,
    *,
    eps: float,
    what: str = "f",
) -> NDArray:
    """The numeric derivative :math:`J u` of ``F`` at ``x``, shape (m,).

    Parameters
    ----------
    F : callable
        ``F(flat) -> ndarray (m,)``, real for real input, complex for complex.
    x : ndarray, shape (n,)
        The point, real floating; the perturbed points keep its dtype.
    u : ndarray, shape (n,)
        The direction; the steps suit :math:`\\lVert u \\rVert_2 = 1`.
    method : {"central", "complex", "richardson"}
    eps : float
        Relative precision of ``F``'s values, which sets the real methods' steps.
    what : str
        What ``F`` is called in messages.
    """
    if method == "complex":
        return complex_jvp(F, x, u, what)
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    h = step(x, u, eps, method)
    if method == "central":
        return central_jvp(F, x, u, h)
    return _richardson(lambda s: central_jvp(F, x, u, s), h)


# -- gradients of a scalar function, one jvp per entry ------------------------------


def _as_real(theta: Any) -> NDArray:
    arr = np.array(theta)
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    if arr.dtype.kind != "f":
        raise TypeError(f"theta must be a real floating array, got dtype {arr.dtype}")
    return arr


def _flat_scalar(f: Callable[[NDArray], Any], shape: tuple[int, ...]) -> VectorFunction:
    """``f`` of an array of ``shape`` as a function of the flat vector, (1,) out."""

    def F(flat: NDArray) -> NDArray:
        out = np.asarray(f(flat.reshape(shape)))
        if out.size != 1:
            raise ValueError(f"f must return a scalar, got shape {out.shape}")
        value = out.reshape(1)
        return value if np.iscomplexobj(flat) else np.real(value).astype(np.float64)

    return F


def numeric_gradient(
    f: Callable[[NDArray], Any],
    theta: Any,
    *,
    method: Method = "central",
    eps: float | None = None,
) -> NDArray:
    r"""Gradient of a scalar ``f`` at ``theta`` by ``method``, entry by entry.

    Parameters
    ----------
    f : callable
        ``f(theta) -> scalar``; called with arrays shaped like ``theta``, in its
        dtype (complex of that precision for the complex step): ``2n`` times for
        central differences, ``n`` for the complex step, ``6n`` for Richardson.
    theta : array_like of float
        The point, any shape.
    method : {"central", "complex", "richardson"}
    eps : float, optional
        Relative precision of ``f``'s values (real methods); the machine epsilon
        of ``theta``'s dtype by default. Steps
        :math:`h_i = \varepsilon^{p} \max(1, |\theta_i|)` (:func:`step`).

    Returns
    -------
    ndarray
        Shape and dtype of ``theta``.
    """
    t = _as_real(theta)
    x = t.reshape(-1)
    F = _flat_scalar(f, t.shape)
    e = float(np.finfo(t.dtype).eps) if eps is None else float(eps)
    out = np.empty(x.size)
    unit = np.zeros_like(x)
    for k in range(x.size):
        unit[k] = 1
        out[k] = jvp(F, x, unit, method, eps=e)[0]
        unit[k] = 0
    return out.reshape(t.shape).astype(t.dtype)


def central_gradient(
    f: Callable[[NDArray], Any], theta: Any, *, eps: float | None = None
) -> NDArray:
    """:func:`numeric_gradient` by central differences."""
    return numeric_gradient(f, theta, method="central", eps=eps)


def richardson_gradient(
    f: Callable[[NDArray], Any], theta: Any, *, eps: float | None = None
) -> NDArray:
    """:func:`numeric_gradient` by Richardson extrapolation (error :math:`O(h^6)`)."""
    return numeric_gradient(f, theta, method="richardson", eps=eps)


def complex_step_gradient(f: Callable[[NDArray], Any], theta: Any) -> NDArray:
    """:func:`numeric_gradient` by the complex step (``f`` analytic)."""
    return numeric_gradient(f, theta, method="complex")


def directional_derivative(
    f: Callable[[NDArray], Any],
    theta: Any,
    u: Any,
    *,
    method: Method = "complex",
    eps: float | None = None,
) -> float:
    r"""Directional derivative :math:`D_u f(\theta) = u^T \nabla f(\theta)`.

    Parameters
    ----------
    f : callable
        ``f(theta) -> scalar``.
    theta : array_like of float
        The point.
    u : array_like of float
        The direction, shaped like ``theta``; not normalised, but the real
        methods' steps suit :math:`\lVert u \rVert_2 = 1`.
    method : {"complex", "central", "richardson"}
        ``"complex"`` needs one evaluation of ``f`` at complex input, ``"central"``
        two, ``"richardson"`` six.
    eps : float, optional
        Relative precision of ``f``'s values (real methods only).

    Returns
    -------
    float
    """
    t = _as_real(theta)
    direction = np.asarray(u, dtype=t.dtype)
    if direction.shape != t.shape:
        raise ValueError(
            f"u must have the shape of theta {t.shape}, got {direction.shape}"
        )
    e = float(np.finfo(t.dtype).eps) if eps is None else float(eps)
    F = _flat_scalar(f, t.shape)
    return float(jvp(F, t.reshape(-1), direction.reshape(-1), method, eps=e)[0])
