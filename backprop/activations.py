"""The logistic sigmoid σ(z) = 1 / (1 + e^(−z)) and its derivative σ'(z) = σ(z)(1 − σ(z))."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["sigmoid", "sigmoid_prime"]


def _as_float(z: Any) -> NDArray:
    """``z`` as an array; integers and booleans become float64."""
    z = np.asarray(z)
    return z.astype(np.float64) if z.dtype.kind in "biu" else z


def sigmoid(z: NDArray) -> NDArray:
    r"""Logistic sigmoid, accurate in relative terms at both tails.

    .. math:: \sigma(z) = \frac{1}{1 + e^{-z}}

    Parameters
    ----------
    z : ndarray
        Weighted inputs of any shape; float32, float64 or complex. The result has
        the same shape and dtype.

    Notes
    -----
    For real ``z`` the formula is evaluated as written: for large negative ``z``,
    :math:`e^{-z}` is large and the quotient keeps full relative accuracy; where
    :math:`e^{-z}` overflows to infinity the true value is below the smallest
    normal number and the result is 0. The overflow is expected and not reported.
    (It is several times faster than :func:`scipy.special.expit` and agrees with
    it to a few ulps; the popular :math:`\tfrac12(1 + \tanh(z/2))` is not used
    because it loses all relative accuracy for large negative ``z``.)

    Complex input (used by the complex-step derivative) takes the two-branch form
    :math:`1/(1 + e^{-z})` where :math:`\operatorname{Re} z \ge 0` and
    :math:`e^{z}/(1 + e^{z})` elsewhere, so that the exponential never overflows;
    both branches are the same analytic function.
    """
    z = _as_float(z)
    if not np.iscomplexobj(z):
        e = np.negative(z, out=np.empty_like(z))
        with np.errstate(over="ignore"):
            np.exp(e, out=e)
        e += 1
        return np.reciprocal(e, out=e)
    # e^(−|Re z|) ≤ 1, so neither branch overflows.
    e = np.exp(np.where(z.real >= 0, -z, z))
    return np.where(z.real >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_prime(z: NDArray) -> NDArray:
    r"""Derivative of the sigmoid.

    .. math:: \sigma'(z) = \sigma(z)\,(1 - \sigma(z))
              = \frac{e^{-|z|}}{(1 + e^{-|z|})^2}

    Parameters
    ----------
    z : ndarray
        Weighted inputs; same dtype rules as :func:`sigmoid`.

    Notes
    -----
    :math:`\sigma'` is even, so it is computed from :math:`e^{-|z|} \le 1`, which
    never overflows and keeps full relative accuracy at both tails. The form
    :math:`\sigma(1 - \sigma)` would lose it for large positive ``z``, where
    :math:`1 - \sigma(z)` is the difference of two numbers close to 1 (at
    :math:`z = 30` in float64 it is off by about 1e-3 relative). For complex
    ``z``, :math:`-|z|` becomes :math:`\mp z` by the sign of
    :math:`\operatorname{Re} z`, which keeps the function analytic.
    """
    z = _as_float(z)
    if np.iscomplexobj(z):
        e = np.exp(np.where(z.real >= 0, -z, z))
    else:
        e = np.abs(z, out=np.empty_like(z))
        np.negative(e, out=e)
        np.exp(e, out=e)
    d = e + 1
    d *= d
    e /= d
    return e
