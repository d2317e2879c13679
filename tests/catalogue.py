"""Hand-written derivatives, each correct and subtly wrong, for the derivative checks.

Every case is written once against the Array API (``xp``, from the input), so the
same code runs on NumPy, ``array-api-strict`` and PyTorch tensors. A case gives
``f`` and its Jacobian, right and wrong, as a tree shaped like ``x`` whose leaves
have shape ``f(x).shape + leaf.shape``; :func:`vjp_of`, :func:`jvp_of` and
:func:`grad_of` derive the other forms from it by contraction, in ``xp``, so one
bug shows in every form. ``benchmarks/bench_checks.py`` runs the same catalogue.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import array_api_compat
import numpy as np


def ns(x: Any) -> Any:
    """The Array API namespace of a tree's first leaf."""
    while isinstance(x, dict | list | tuple):
        x = next(iter(x.values())) if isinstance(x, dict) else x[0]
    return array_api_compat.array_namespace(x)


def _leaves(tree: Any) -> list[Any]:
    if isinstance(tree, dict):
        return [leaf for v in tree.values() for leaf in _leaves(v)]
    if isinstance(tree, list | tuple):
        return [leaf for v in tree for leaf in _leaves(v)]
    return [tree]


def _rebuild(tree: Any, leaves: Any) -> Any:
    if isinstance(tree, dict):
        return {k: _rebuild(v, leaves) for k, v in tree.items()}
    if isinstance(tree, list | tuple):
        return type(tree)(_rebuild(v, leaves) for v in tree)
    return next(leaves)


def _real_max(xp: Any, z: Any) -> Any:
    # The max-shift of a stable softmax, a constant of the real part (complex step).
    if xp.isdtype(z.dtype, "complex floating"):
        return xp.max(xp.real(z), axis=-1, keepdims=True)
    return xp.max(z, axis=-1, keepdims=True)


def vjp_of(jac: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
    """``vjp(x, v)``: each leaf of ``jac(x)`` contracted with ``v`` over the outputs."""

    def vjp(x: Any, v: Any) -> Any:
        xp = ns(x)
        out = []
        for j in _leaves(jac(x)):
            axes = list(range(v.ndim))
            out.append(xp.tensordot(xp.astype(v, j.dtype), j, axes=(axes, axes)))
        return _rebuild(x, iter(out))

    return vjp


def jvp_of(jac: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
    """``jvp(x, u)``: the sum over leaves of ``jac(x)`` contracted with ``u``."""

    def jvp(x: Any, u: Any) -> Any:
        xp = ns(x)
        total = None
        for j, t in zip(_leaves(jac(x)), _leaves(u), strict=True):
            k = t.ndim
            axes = (list(range(j.ndim - k, j.ndim)), list(range(k)))
            part = xp.tensordot(j, xp.astype(t, j.dtype), axes=axes)
            total = part if total is None else total + part
        return total

    return jvp


def grad_of(jac: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """For a scalar ``f`` the Jacobian is the gradient."""
    return jac


@dataclasses.dataclass(frozen=True)
class Case:
    """One hand-written derivative: ``f``, its Jacobian right and wrong, a point."""

    name: str
    f: Callable[[Any], Any]
    jac: Callable[[Any], Any]
    wrong: Callable[[Any], Any]
    point: Callable[[Any, str], Any]  # (xp, dtype name) -> x
    scalar: bool = False
    analytic: bool = True  # the complex step applies
    float32: bool = False  # f computes in float32 whatever it is given


# -- softmax: the VJP that forgets the -p p^T term of diag(p) - p p^T -------------
def softmax(z: Any) -> Any:
    xp = ns(z)
    e = xp.exp(z - _real_max(xp, z))
    return e / xp.sum(e, axis=-1, keepdims=True)


def softmax_jac(z: Any) -> Any:
    xp = ns(z)
    p = softmax(z)
    return xp.eye(p.shape[0], dtype=p.dtype) * p[:, None] - p[:, None] * p[None, :]


def softmax_jac_wrong(z: Any) -> Any:
    xp = ns(z)
    p = softmax(z)
    return xp.eye(p.shape[0], dtype=p.dtype) * p[:, None]


# -- log-sum-exp: the gradient that forgets the shift in the denominator ----------
def logsumexp(z: Any) -> Any:
    xp = ns(z)
    m = _real_max(xp, z)
    return xp.log(xp.sum(xp.exp(z - m))) + m[0]


def logsumexp_grad(z: Any) -> Any:
    return softmax(z)


def logsumexp_grad_wrong(z: Any) -> Any:
    xp = ns(z)
    e = xp.exp(z - xp.max(z))
    return e / xp.sum(xp.exp(z))


# -- layer normalisation: the Jacobian that treats sigma as a constant ------------
LN_EPS = 1e-5


def layer_norm(x: Any) -> Any:
    xp = ns(x)
    mu = xp.mean(x, axis=-1, keepdims=True)
    var = xp.mean((x - mu) ** 2, axis=-1, keepdims=True)
    return (x - mu) / xp.sqrt(var + LN_EPS)


def _ln_jac(x: Any, with_sigma: bool) -> Any:
    xp = ns(x)
    n = x.shape[-1]
    mu = xp.mean(x, axis=-1, keepdims=True)
    sigma = xp.sqrt(xp.mean((x - mu) ** 2, axis=-1, keepdims=True) + LN_EPS)
    y = (x - mu) / sigma
    eye = xp.eye(n, dtype=x.dtype)
    # dy_i/dx_j = (δ_ij - 1/n - y_i y_j / n) / σ, one row of x at a time
    inner = eye[None, :, :] - 1 / n
    if with_sigma:
        inner = inner - y[:, :, None] * y[:, None, :] / n
    per_row = inner / sigma[:, :, None]  # (m, n, n)
    m = x.shape[0]
    rows = xp.eye(m, dtype=x.dtype)
    return per_row[:, :, None, :] * rows[:, None, :, None]  # (m, n, m, n)


def layer_norm_jac(x: Any) -> Any:
    return _ln_jac(x, True)


def layer_norm_jac_wrong(x: Any) -> Any:
    return _ln_jac(x, False)


# -- a 2x2 matrix inverse: d(A^-1) = -A^-1 dA A^-1, wrong with the factors swapped -
def inverse2(a: Any) -> Any:
    xp = ns(a)
    det = a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0]
    adj = xp.stack([xp.stack([a[1, 1], -a[0, 1]]), xp.stack([-a[1, 0], a[0, 0]])])
    return adj / det


def inverse2_jac(a: Any) -> Any:
    b = inverse2(a)  # J[i, j, k, l] = -B[i, k] B[l, j]
    return -b[:, None, :, None] * b.T[None, :, None, :]


def inverse2_jac_wrong(a: Any) -> Any:
    b = inverse2(a)  # -B[i, l] B[k, j]: the order of the two factors swapped
    return -b[:, None, None, :] * b.T[None, :, :, None]


# -- a cross product of a tuple (a, b): d(a x b) = da x b + a x db ----------------
def _cross_matrix(xp: Any, w: Any) -> Any:
    zero = w[0] * 0
    return xp.stack(
        [
            xp.stack([zero, -w[2], w[1]]),
            xp.stack([w[2], zero, -w[0]]),
            xp.stack([-w[1], w[0], zero]),
        ]
    )


def cross(ab: Any) -> Any:
    a, b = ab
    return _cross_matrix(ns(a), a) @ b


def cross_jac(ab: Any) -> Any:
    a, b = ab
    xp = ns(a)
    return (-_cross_matrix(xp, b), _cross_matrix(xp, a))


def cross_jac_wrong(ab: Any) -> Any:
    a, b = ab
    xp = ns(a)
    return (_cross_matrix(xp, b), _cross_matrix(xp, a))  # b x da for da x b


# -- an elementwise op on a dict of parameters: tanh' as 1 - tanh, not 1 - tanh^2 --
def dict_op(p: Any) -> Any:
    xp = ns(p)
    return xp.sum(xp.tanh(p["W1"]) * p["b1"][:, None])


def dict_op_grad(p: Any) -> Any:
    xp = ns(p)
    t = xp.tanh(p["W1"])
    return {"W1": (1 - t**2) * p["b1"][:, None], "b1": xp.sum(t, axis=1)}


def dict_op_grad_wrong(p: Any) -> Any:
    xp = ns(p)
    t = xp.tanh(p["W1"])
    return {"W1": (1 - t) * p["b1"][:, None], "b1": xp.sum(t, axis=1)}


# -- a float32 op: a sigmoid computed in float32 whatever it is given -------------
def sigmoid32(x: Any) -> Any:
    xp = ns(x)
    kind = xp.complex64 if xp.isdtype(x.dtype, "complex floating") else xp.float32
    return 1 / (1 + xp.exp(-xp.astype(x, kind)))


def sigmoid32_jac(x: Any) -> Any:
    xp = ns(x)
    s = sigmoid32(x)
    return xp.eye(s.shape[0], dtype=s.dtype) * (s * (1 - s))[:, None]


def sigmoid32_jac_wrong(x: Any) -> Any:
    xp = ns(x)
    s = sigmoid32(x)
    return xp.eye(s.shape[0], dtype=s.dtype) * (s * (1 - s) ** 2)[:, None]


# -- complex-unfriendly: abs, and a leaky ReLU by maximum ------------------------
def abs_op(x: Any) -> Any:
    xp = ns(x)
    return xp.abs(x) * x


def abs_op_jac(x: Any) -> Any:
    xp = ns(x)
    return xp.eye(x.shape[0], dtype=x.dtype) * (2 * xp.abs(x))[:, None]


def abs_op_jac_wrong(x: Any) -> Any:
    xp = ns(x)
    return xp.eye(x.shape[0], dtype=x.dtype) * (2 * x)[:, None]  # sign lost


def leaky(x: Any) -> Any:
    xp = ns(x)
    return xp.maximum(x, 0.1 * x)


def leaky_jac(x: Any) -> Any:
    xp = ns(x)
    slope = xp.where(x > 0, xp.ones_like(x), 0.1 * xp.ones_like(x))
    return xp.eye(x.shape[0], dtype=x.dtype) * slope[:, None]


def leaky_jac_wrong(x: Any) -> Any:
    xp = ns(x)
    slope = xp.where(x > 0, xp.ones_like(x), xp.zeros_like(x))  # ReLU's slope
    return xp.eye(x.shape[0], dtype=x.dtype) * slope[:, None]


def _array(values: Any) -> Callable[[Any, str], Any]:
    return lambda xp, dtype: xp.asarray(np.asarray(values), dtype=getattr(xp, dtype))


def _tree(make: Callable[[Callable[[Any], Any]], Any]) -> Callable[[Any, str], Any]:
    return lambda xp, dtype: make(
        lambda v: xp.asarray(np.asarray(v), dtype=getattr(xp, dtype))
    )


_RNG = np.random.default_rng(20261201)
_LN = _RNG.standard_normal((2, 5)).round(3)
_W1 = _RNG.standard_normal((3, 4)).round(3)

CASES = (
    Case(
        "softmax",
        softmax,
        softmax_jac,
        softmax_jac_wrong,
        _array([0.3, -1.2, 2.0, 0.5]),
    ),
    Case(
        "logsumexp",
        logsumexp,
        logsumexp_grad,
        logsumexp_grad_wrong,
        _array([1.5, -0.4, 2.2]),
        scalar=True,
    ),
    Case("layer_norm", layer_norm, layer_norm_jac, layer_norm_jac_wrong, _array(_LN)),
    Case(
        "inverse2",
        inverse2,
        inverse2_jac,
        inverse2_jac_wrong,
        _array([[2.0, 0.7], [-0.4, 1.3]]),
    ),
    Case(
        "cross",
        cross,
        cross_jac,
        cross_jac_wrong,
        _tree(lambda a: (a([0.2, -1.0, 0.7]), a([1.1, 0.4, -0.3]))),
    ),
    Case(
        "dict_op",
        dict_op,
        dict_op_grad,
        dict_op_grad_wrong,
        _tree(lambda a: {"W1": a(_W1), "b1": a([0.5, -1.5, 2.0])}),
        scalar=True,
    ),
    Case(
        "sigmoid32",
        sigmoid32,
        sigmoid32_jac,
        sigmoid32_jac_wrong,
        _array([-2.0, 0.1, 3.0]),
        float32=True,
    ),
    Case(
        "abs",
        abs_op,
        abs_op_jac,
        abs_op_jac_wrong,
        _array([-0.8, 0.3, 1.7]),
        analytic=False,
    ),
    Case(
        "leaky_relu",
        leaky,
        leaky_jac,
        leaky_jac_wrong,
        _array([-0.8, 0.3, 1.7]),
        analytic=False,
    ),
)
