r"""The affine (fully connected) layer and the ReLU, in the CS231n calling shape.

``out, cache = affine_forward(x, w, b)`` and ``dx, dw, db = affine_backward(dout,
cache)``: images and other N-d inputs are read as one row per example, and the
weights multiply from the right (:math:`X W`), as learners write it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from backprop.blocks.validation import float_array, same_dtype

__all__ = ["affine_backward", "affine_forward", "relu_backward", "relu_forward"]


def affine_forward(
    x: NDArray[Any], w: NDArray[Any], b: NDArray[Any]
) -> tuple[NDArray[Any], dict[str, Any]]:
    r"""The affine map :math:`\mathrm{out} = X W + b`, one example per row.

    .. math:: \mathrm{out}_{nm} = \sum_d X_{nd} W_{dm} + b_m

    Parameters
    ----------
    x : ndarray, shape (N, d_1, ..., d_k)
        Inputs, read as ``X`` of shape (N, D) with D = d_1 ... d_k.
    w : ndarray, shape (D, M)
    b : ndarray, shape (M,)

    Returns
    -------
    out : ndarray, shape (N, M)
        In the dtype of ``x``.
    cache : dict
        ``x``, ``w`` for :func:`affine_backward`.
    """
    x = float_array(x, "x")
    w = float_array(w, "w", ndim=2)
    b = float_array(b, "b", ndim=1)
    same_dtype(x, "x", w=w, b=b)
    if x.ndim < 1:
        raise ValueError(f"x must have at least one axis (N, ...), got shape {x.shape}")
    d = int(np.prod(x.shape[1:], dtype=np.int64))
    if w.shape[0] != d:
        raise ValueError(
            f"w must have shape ({d}, M) for x of shape {x.shape} (D = {d}), got "
            f"{w.shape}"
        )
    if b.shape != (w.shape[1],):
        raise ValueError(f"b must have shape ({w.shape[1]},), got {b.shape}")
    out = x.reshape(x.shape[0], d) @ w + b
    return out, {"x": x, "w": w}


def affine_backward(
    dout: NDArray[Any], cache: dict[str, Any]
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    r"""The VJP of :func:`affine_forward`.

    .. math::

        \frac{\partial L}{\partial X} = G W^\top, \qquad
        \frac{\partial L}{\partial W} = X^\top G, \qquad
        \frac{\partial L}{\partial b_m} = \sum_n G_{nm}

    with :math:`G` = ``dout``, the upstream gradient :math:`\partial L/\partial
    \mathrm{out}`.

    Parameters
    ----------
    dout : ndarray, shape (N, M)
    cache : dict
        From :func:`affine_forward`.

    Returns
    -------
    dx : ndarray, shaped as ``x``
    dw : ndarray, shape (D, M)
    db : ndarray, shape (M,)
    """
    x, w = cache["x"], cache["w"]
    dout = float_array(dout, "dout", ndim=2)
    if dout.shape != (x.shape[0], w.shape[1]):
        raise ValueError(
            f"dout must have the shape of out ({x.shape[0]}, {w.shape[1]}), got "
            f"{dout.shape}"
        )
    x2 = x.reshape(x.shape[0], w.shape[0])
    dx = (dout @ w.T).reshape(x.shape)
    dw = x2.T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x: NDArray[Any]) -> tuple[NDArray[Any], dict[str, Any]]:
    r"""The rectifier :math:`\max(0, x)`, entry by entry.

    Parameters
    ----------
    x : ndarray, any shape

    Returns
    -------
    out : ndarray, shaped and typed as ``x``
    cache : dict
        ``x`` for :func:`relu_backward`.
    """
    x = float_array(x, "x")
    return np.maximum(x, 0), {"x": x}


def relu_backward(dout: NDArray[Any], cache: dict[str, Any]) -> NDArray[Any]:
    r"""The VJP of :func:`relu_forward`: the gradient passes where :math:`x > 0`.

    .. math:: \frac{\partial L}{\partial x_i} = G_i \, [x_i > 0]

    At :math:`x_i = 0` the ReLU has a kink; 0 (the left derivative) is taken, one
    element of its subdifferential :math:`[0, 1]`.

    Parameters
    ----------
    dout : ndarray, shaped as ``x``
    cache : dict
        From :func:`relu_forward`.

    Returns
    -------
    dx : ndarray, shaped as ``x``
    """
    x = cache["x"]
    dout = float_array(dout, "dout")
    if dout.shape != x.shape:
        raise ValueError(f"dout must have the shape of x {x.shape}, got {dout.shape}")
    # A ufunc keeps the memory layout of its operands (np.where would not).
    return dout * (x > 0)
