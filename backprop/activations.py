r"""Activation functions, each with its derivative beside it.

Elementwise: the logistic sigmoid :math:`\sigma`, :math:`\tanh`, ReLU and the
identity, each as ``phi`` and ``phi_prime`` of the weighted input :math:`z`; per
row: softmax, whose Jacobian :math:`\operatorname{diag}(a) - a a^T` is applied as a
product (:func:`backprop.softmax_backward`). All keep the dtype of their input (float32 in,
float32 out) and accept complex input for the complex step; every function but
ReLU (and its derivative) is analytic there. :mod:`backprop.layers` names them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "identity",
    "identity_prime",
    "log_softmax",
    "relu",
    "relu_prime",
    "sigmoid",
    "sigmoid_prime",
    "softmax",
    "softmax_backward",
    "tanh",
    "tanh_prime",
]


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


def _exp_neg_abs(z: NDArray, scale: float) -> NDArray:
    r""":math:`e^{-s|z|}` for real ``z``; for complex ``z``, :math:`e^{\mp s z}` by the
    sign of :math:`\operatorname{Re} z` (analytic, and never overflowing)."""
    if np.iscomplexobj(z):
        return np.exp(np.where(z.real >= 0, -scale * z, scale * z))
    return np.exp(-scale * np.abs(z))


def tanh(z: NDArray) -> NDArray:
    r"""Hyperbolic tangent.

    .. math:: \tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}

    Parameters
    ----------
    z : ndarray
        Weighted inputs of any shape; float32, float64 or complex. The result has
        the same shape and dtype.

    Notes
    -----
    :func:`numpy.tanh` is accurate to an ulp or so over the whole real line (its
    values near ±1 are as accurate as floats near 1 can be) and is analytic for
    complex input, so the complex step through it is exact.
    """
    return np.tanh(_as_float(z))


def tanh_prime(z: NDArray) -> NDArray:
    r"""Derivative of tanh.

    .. math:: \tanh'(z) = 1 - \tanh^2(z) = \frac{4 e^{-2|z|}}{(1 + e^{-2|z|})^2}

    Parameters
    ----------
    z : ndarray
        Weighted inputs; same dtype rules as :func:`tanh`.

    Notes
    -----
    :math:`1 - \tanh^2 z` subtracts two numbers close to 1 once :math:`|z|` is a
    few units: at :math:`z = 10` in float64 it keeps about 8 of 16 digits and at
    :math:`z = 20` none (it returns 0 for a true 1.7e-17). The even form in
    :math:`e^{-2|z|} \le 1` keeps full relative accuracy at both tails, never
    overflows, and for complex ``z`` stays analytic (:math:`-|z|` becomes
    :math:`\mp z` by the sign of :math:`\operatorname{Re} z`).
    """
    z = _as_float(z)
    e = _exp_neg_abs(z, 2.0)
    d = e + 1
    d *= d
    return (4 * e / d).astype(z.dtype, copy=False)


def relu(z: NDArray) -> NDArray:
    r"""Rectified linear unit.

    .. math:: \operatorname{relu}(z) = \max(z, 0)

    Parameters
    ----------
    z : ndarray
        Weighted inputs; float32, float64 or complex (same shape and dtype out).

    Notes
    -----
    Not analytic: it has a kink at :math:`z = 0`. For complex input the branch is
    chosen by :math:`\operatorname{Re} z` (``z`` where it is > 0, else 0); the
    complex step then returns one one-sided derivative at the kink, which is why
    :func:`spec.check_network` uses central differences for networks with ReLU.
    """
    z = _as_float(z)
    if np.iscomplexobj(z):
        return np.where(z.real > 0, z, 0).astype(z.dtype, copy=False)
    return np.maximum(z, 0)


def relu_prime(z: NDArray) -> NDArray:
    r"""Derivative of ReLU: the step function, taken as 0 at the kink.

    .. math:: \operatorname{relu}'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0
              \end{cases}

    At :math:`z = 0` the derivative does not exist; 0 is one of its one-sided
    values (the subgradient interval is [0, 1]), the common convention.
    ``relu_prime(relu(z))`` equals ``relu_prime(z)``, since ``relu(z) > 0`` exactly
    when ``z > 0``: computing it from :math:`a` instead of :math:`z` is not a bug
    for ReLU (it is for tanh and the sigmoid).
    """
    z = _as_float(z)
    return (z.real > 0).astype(z.dtype)


def identity(z: NDArray) -> NDArray:
    r"""The identity, for linear layers: :math:`\phi(z) = z`."""
    return _as_float(z)


def identity_prime(z: NDArray) -> NDArray:
    r"""Derivative of the identity: :math:`\phi'(z) = 1`, shaped like ``z``."""
    z = _as_float(z)
    return np.ones_like(z)


def softmax(z: NDArray) -> NDArray:
    r"""Softmax over each row: the output layer of a classifier.

    .. math:: a_j = \frac{e^{z_j}}{\sum_k e^{z_k}}

    Parameters
    ----------
    z : ndarray, shape (m, n)
        One row of weighted inputs per example; float32, float64 or complex.

    Returns
    -------
    a : ndarray, shape (m, n)
        Each row is positive and sums to 1; same dtype as ``z``.

    Notes
    -----
    Softmax is unchanged by adding a constant to a row, so every row is shifted by
    its largest (real part of an) entry first: the largest exponential is then 1,
    nothing overflows, and the sum is at least 1. The shift is real and constant
    under the complex step's imaginary perturbation, so the complex step through
    it is exact.
    """
    z = _as_float(z)
    e = np.exp(z - z.real.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


def log_softmax(z: NDArray) -> NDArray:
    r""":math:`\ln a_j = z_j - \ln \sum_k e^{z_k}` per row, without overflow.

    Computed as :math:`(z_j - c) - \ln \sum_k e^{z_k - c}` with :math:`c` the
    row's largest (real part of an) entry, so it is exact where :math:`a_j`
    underflows to 0. The sum is 1 plus a remainder :math:`r` (the other terms,
    and :math:`e^{z_k - c} - 1` for the largest, by ``expm1``), and its logarithm
    is ``log1p(r)``: for an output saturated near 1, :math:`\ln a_j \approx -r`
    keeps its digits where :math:`\ln(1 + r)` would round to 0.
    """
    z = _as_float(z)
    shifted = z - z.real.max(axis=-1, keepdims=True)
    is_top = np.arange(z.shape[-1]) == shifted.real.argmax(axis=-1)[..., None]
    rest = np.where(is_top, np.expm1(shifted), np.exp(shifted))
    return shifted - np.log1p(rest.sum(axis=-1, keepdims=True))


def softmax_backward(a: NDArray, grad: NDArray) -> NDArray:
    r"""The transposed Jacobian of softmax applied to ``grad``, row by row.

    .. math:: \left(\frac{\partial a}{\partial z}\right)^T g
              = \left(\operatorname{diag}(a) - a a^T\right) g
              = a \odot \left(g - (a \cdot g)\,\mathbf 1\right)

    The Jacobian is symmetric; the product costs :math:`O(n)` per example and the
    :math:`n \times n` matrix is never formed.

    Parameters
    ----------
    a : ndarray, shape (m, n)
        Softmax outputs, one row per example.
    grad : ndarray, shape (m, n)
        :math:`g = \partial C_k / \partial a` for each example.

    Returns
    -------
    ndarray, shape (m, n)
        :math:`\partial C_k / \partial z` for each example.
    """
    return a * (grad - (a * grad).sum(axis=-1, keepdims=True))
