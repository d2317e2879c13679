r"""Numeric derivatives of a scalar function: the references a gradient is checked by.

Three methods, each usable per entry (the whole gradient, one coordinate at a time)
or along one direction :math:`u` (the directional derivative
:math:`D_u f = u^T \nabla f`, one or a few evaluations of ``f`` whatever its size):

- **central differences** :math:`(f(\theta + h e_i) - f(\theta - h e_i)) / 2h` with
  :math:`h_i = \varepsilon^{1/3} \max(1, |\theta_i|)`, which balances the truncation
  error :math:`h^2 f^{(3)} / 6` against the rounding error :math:`\varepsilon |f| / h`;
  both are then of order :math:`\varepsilon^{2/3}` (about 4e-11 in float64);
- **complex step** :math:`\operatorname{Im} f(\theta + i h e_i) / h`: no difference
  is taken, so nothing cancels and ``h`` can be tiny (:math:`h = \varepsilon`, so
  the truncation error :math:`h^2 f^{(3)} / 6` is :math:`\varepsilon^2` relative);
  accurate to a few ulps, but ``f`` must be analytic and accept complex input;
- **Richardson extrapolation** of central differences at :math:`h, h/2, h/4`
  (:math:`h_i = \varepsilon^{1/5} \max(1, |\theta_i|)`), which cancels the
  :math:`h^2` and :math:`h^4` terms of the error: 1e-11 to 1e-12 in float64 with
  no complex arithmetic, for six evaluations per entry.

These are independent of :mod:`backprop`: they only call ``f``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "METHODS",
    "Method",
    "central_gradient",
    "complex_step_gradient",
    "directional_derivative",
    "numeric_gradient",
    "richardson_gradient",
]

Method = Literal["central", "complex", "richardson"]
#: The numeric methods, by name.
METHODS: tuple[str, ...] = ("central", "complex", "richardson")

ScalarFunction = Callable[[NDArray], Any]


def _as_real(theta: Any) -> NDArray:
    arr = np.array(theta)  # a copy: the functions below perturb it in place
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    if arr.dtype.kind != "f":
        raise TypeError(f"theta must be a real floating array, got dtype {arr.dtype}")
    return arr


def _eps(theta: NDArray, eps: float | None) -> float:
    return float(np.finfo(theta.dtype).eps) if eps is None else float(eps)


def _value(f: ScalarFunction, theta: NDArray) -> Any:
    out = f(theta)
    if np.size(out) != 1:
        raise ValueError(f"f must return a scalar, got shape {np.shape(out)}")
    return np.asarray(out).reshape(())[()]


def _real_value(f: ScalarFunction, theta: NDArray) -> float:
    return float(np.real(_value(f, theta)))


def _central(f: ScalarFunction, t: NDArray, flat: NDArray, k: int, h: float) -> float:
    """Central difference in entry ``k`` of ``flat``, a flat view of ``t``; restored."""
    old = flat[k]
    flat[k] = old + h
    up, f_up = flat[k], _real_value(f, t)
    flat[k] = old - h
    down, f_down = flat[k], _real_value(f, t)
    flat[k] = old
    # Divide by the step actually taken: θ ± h is rounded to the dtype.
    return (f_up - f_down) / float(up - down)


def _richardson(d: Callable[[float], float], h: float) -> float:
    r"""Extrapolate ``d(h) = f' + c_2 h^2 + c_4 h^4 + ...`` to ``h = 0``."""
    d1, d2, d4 = d(h), d(h / 2), d(h / 4)
    r1, r2 = (4 * d2 - d1) / 3, (4 * d4 - d2) / 3  # O(h^4)
    return (16 * r2 - r1) / 15  # O(h^6)


def central_gradient(
    f: ScalarFunction, theta: Any, *, eps: float | None = None
) -> NDArray:
    r"""Gradient by central differences, one coordinate at a time.

    Parameters
    ----------
    f : callable
        ``f(theta) -> scalar``; called ``2 n`` times with arrays shaped like ``theta``.
    theta : array_like of float
        The point, any shape.
    eps : float, optional
        Relative precision of ``f``'s values; the machine epsilon of ``theta``'s
        dtype by default. Steps are :math:`h_i = \varepsilon^{1/3} \max(1, |\theta_i|)`.

    Returns
    -------
    ndarray
        Shape and dtype of ``theta``.
    """
    t = _as_real(theta)
    flat = t.reshape(-1)  # a view: perturbing it perturbs t
    c = _eps(t, eps) ** (1 / 3)
    out = np.empty(flat.size)
    for k in range(flat.size):
        out[k] = _central(f, t, flat, k, c * max(1.0, abs(float(flat[k]))))
    return out.reshape(t.shape).astype(t.dtype)


def richardson_gradient(
    f: ScalarFunction, theta: Any, *, eps: float | None = None
) -> NDArray:
    r"""Gradient by Richardson extrapolation of central differences.

    Central differences at :math:`h, h/2, h/4` with
    :math:`h_i = \varepsilon^{1/5} \max(1, |\theta_i|)`, extrapolated twice so the
    error is :math:`O(h^6)`; ``6 n`` evaluations of ``f``. Parameters and result as
    for :func:`central_gradient`.
    """
    t = _as_real(theta)
    flat = t.reshape(-1)
    c = _eps(t, eps) ** (1 / 5)
    out = np.empty(flat.size)
    for k in range(flat.size):

        def d(h: float, k: int = k) -> float:
            return _central(f, t, flat, k, h)

        out[k] = _richardson(d, c * max(1.0, abs(float(flat[k]))))
    return out.reshape(t.shape).astype(t.dtype)


def _complex_dtype(dtype: np.dtype) -> np.dtype:
    return np.result_type(dtype, np.complex64)


def _complex_h(dtype: np.dtype) -> float:
    # h = ε: the truncation error h²|f'''|/6 is ~ε² relative, far below rounding,
    # and products of h with small derivatives stay far above underflow.
    return float(np.finfo(dtype).eps)


def _imag_over_h(f: ScalarFunction, t: NDArray, h: float) -> float:
    out = _value(f, t)
    if not np.iscomplexobj(out):
        raise TypeError(
            f"f returned {type(out).__name__} {out!r} for complex input: it drops the "
            "imaginary part, so the complex step cannot be used; use "
            "method='central' or 'richardson'"
        )
    return float(np.imag(out)) / h


def complex_step_gradient(
    f: ScalarFunction, theta: Any, *, h: float | None = None
) -> NDArray:
    r"""Gradient by the complex step :math:`\operatorname{Im} f(\theta + i h e_k) / h`.

    Parameters
    ----------
    f : callable
        ``f(theta) -> scalar``, analytic, accepting complex arrays; called ``n``
        times.
    theta : array_like of float
        The point, any shape; ``f`` sees it as complex (complex128 for float64).
    h : float, optional
        Imaginary step; machine epsilon of ``theta``'s dtype by default.

    Returns
    -------
    ndarray
        Shape and dtype of ``theta``.
    """
    real = _as_real(theta)
    t = real.astype(_complex_dtype(real.dtype))
    flat = t.reshape(-1)
    h = _complex_h(real.dtype) if h is None else float(h)
    out = np.empty(flat.size)
    for k in range(flat.size):
        old = flat[k]
        flat[k] = old + 1j * h
        out[k] = _imag_over_h(f, t, h)
        flat[k] = old
    return out.reshape(real.shape).astype(real.dtype)


def directional_derivative(
    f: ScalarFunction,
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
        The direction, shaped like ``theta``; not normalised, but the real methods'
        steps (:math:`\varepsilon^{1/3}` or :math:`\varepsilon^{1/5}` times
        :math:`\max(1, |\theta_i|)` over the support of ``u``) suit
        :math:`\lVert u \rVert_2 = 1`.
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
    u = np.asarray(u, dtype=t.dtype)
    if u.shape != t.shape:
        raise ValueError(f"u must have the shape of theta {t.shape}, got {u.shape}")
    if method == "complex":
        h = _complex_h(t.dtype)
        return _imag_over_h(f, t + 1j * h * u.astype(_complex_dtype(t.dtype)), h)
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    support = np.abs(t[u != 0])
    size = max(1.0, float(support.max())) if support.size else 1.0
    power = 1 / 3 if method == "central" else 1 / 5

    def d(h: float) -> float:
        return (_real_value(f, t + h * u) - _real_value(f, t - h * u)) / (2 * h)

    h = _eps(t, eps) ** power * size
    return d(h) if method == "central" else _richardson(d, h)


def numeric_gradient(
    f: ScalarFunction,
    theta: Any,
    *,
    method: Method = "central",
    eps: float | None = None,
) -> NDArray:
    """Gradient of ``f`` at ``theta`` by ``method`` (see the module docstring)."""
    if method == "central":
        return central_gradient(f, theta, eps=eps)
    if method == "richardson":
        return richardson_gradient(f, theta, eps=eps)
    if method == "complex":
        return complex_step_gradient(f, theta)
    raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
