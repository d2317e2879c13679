"""The layers around a recurrent one, in the CS231n calling shape: word embeddings
(their gradient accumulated with ``np.add.at`` for repeated indices), the temporal
affine layer, the temporal softmax loss with a mask, and gradient clipping as a
separate, explicit step."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backprop.blocks.recurrent import describe, expect_shape, float_array, upstream

__all__ = [
    "clip_gradients",
    "temporal_affine_backward",
    "temporal_affine_forward",
    "temporal_softmax_loss",
    "word_embedding_backward",
    "word_embedding_forward",
]


def _indices(name: str, value: Any, ndim: int, meaning: str) -> NDArray:
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must be an integer ndarray ({meaning}), got {describe(value)}"
        )
    if value.ndim != ndim:
        raise ValueError(
            f"{name} must be {ndim}-D ({meaning}), got shape {value.shape}"
        )
    return value


def word_embedding_forward(
    x: NDArray, W: NDArray
) -> tuple[NDArray, tuple[NDArray, NDArray]]:
    r"""Look up the vector of each word, :math:`\text{out}_{n,t} = W_{x_{n,t}}`.

    Parameters
    ----------
    x : ndarray of int, shape (N, T)
        Word indices in ``[0, V)``.
    W : ndarray, shape (V, D)
        One vector per word.

    Returns
    -------
    out : ndarray, shape (N, T, D)
    cache : tuple
    """
    x = _indices("x", x, 2, "word indices, (N, T)")
    W = float_array("W", W, 2, "word vectors, (V, D)")
    if x.size and (x.min() < 0 or x.max() >= W.shape[0]):
        raise ValueError(
            f"x must hold word indices in [0, {W.shape[0]}) (V = rows of W), got "
            f"values in [{x.min()}, {x.max()}]"
        )
    return W[x], (x, W)


def word_embedding_backward(dout: NDArray, cache: tuple[NDArray, NDArray]) -> NDArray:
    r"""VJP of :func:`word_embedding_forward` in ``W``: :math:`\bar W_v = \sum_{x_{n,t} = v}
    \bar{\text{out}}_{n,t}`.

    A word repeated in the batch receives the sum of its upstream gradients
    (``np.add.at``, which accumulates where fancy-index assignment would keep
    only the last).

    Parameters
    ----------
    dout : ndarray, shape (N, T, D)
    cache : tuple
        From :func:`word_embedding_forward`.

    Returns
    -------
    dW : ndarray, shape (V, D)
    """
    x, W = cache
    dout = upstream("dout", dout, (*x.shape, W.shape[1]))
    dW = np.zeros(W.shape, dtype=np.result_type(dout, W))
    np.add.at(dW, x, dout)
    return dW


def temporal_affine_forward(
    x: NDArray, w: NDArray, b: NDArray
) -> tuple[NDArray, tuple[NDArray, NDArray]]:
    r"""The affine map at every step, :math:`\text{out}_{n,t} = x_{n,t} w + b`.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
    w : ndarray, shape (D, M)
    b : ndarray, shape (M,)

    Returns
    -------
    out : ndarray, shape (N, T, M)
    cache : tuple
    """
    x = float_array("x", x, 3, "one sequence per row, (N, T, D)")
    w = float_array("w", w, 2, "weights, (D, M)")
    expect_shape("w", w, (x.shape[2], w.shape[1]), f"(D, M) with D = {x.shape[2]}")
    b = float_array("b", b, 1, "bias, (M,)")
    expect_shape("b", b, (w.shape[1],), f"(M,) with M = {w.shape[1]}")
    return x @ w + b, (x, w)


def temporal_affine_backward(
    dout: NDArray, cache: tuple[NDArray, NDArray]
) -> tuple[NDArray, NDArray, NDArray]:
    r"""VJP of :func:`temporal_affine_forward`: :math:`\bar x = \bar{\text{out}}\, w^T`,
    :math:`\bar w = \sum_{n,t} x_{n,t}^T \bar{\text{out}}_{n,t}`,
    :math:`\bar b = \sum_{n,t} \bar{\text{out}}_{n,t}`.

    Returns
    -------
    dx : ndarray, shape (N, T, D)
    dw : ndarray, shape (D, M)
    db : ndarray, shape (M,)
    """
    x, w = cache
    dout = upstream("dout", dout, (*x.shape[:2], w.shape[1]))
    d = x.shape[2]
    dw = x.reshape(-1, d).T @ dout.reshape(-1, w.shape[1])
    return dout @ w.T, dw, dout.sum(axis=(0, 1))


def temporal_softmax_loss(x: NDArray, y: NDArray, mask: NDArray) -> tuple[Any, NDArray]:
    r"""Softmax cross-entropy at every step, masked, summed over time, divided by N.

    .. math::

        L = -\frac1N \sum_{n,t} m_{n,t} \ln p_{n,t,y_{n,t}},\qquad
        \frac{\partial L}{\partial x_{n,t}} = \frac{m_{n,t}}{N}
            (p_{n,t} - e_{y_{n,t}})

    with :math:`p_{n,t} = \operatorname{softmax}(x_{n,t})`.

    Parameters
    ----------
    x : ndarray, shape (N, T, V)
        Scores.
    y : ndarray of int, shape (N, T)
        Targets in ``[0, V)``.
    mask : ndarray of bool (or 0/1), shape (N, T)
        Which steps count.

    Returns
    -------
    loss : scalar of x's dtype
    dx : ndarray, shape (N, T, V)
    """
    x = float_array("x", x, 3, "scores, (N, T, V)")
    y = _indices("y", y, 2, "targets, (N, T)")
    expect_shape("y", y, x.shape[:2], "one target per step of x")
    mask = np.asarray(mask)
    if mask.dtype.kind not in "biuf":
        raise TypeError(f"mask must be a boolean or 0/1 array, got {describe(mask)}")
    expect_shape("mask", mask, x.shape[:2], "one flag per step of x")
    if y.size and (y.min() < 0 or y.max() >= x.shape[2]):
        raise ValueError(
            f"y must hold classes in [0, {x.shape[2]}) (V = last axis of x), got "
            f"values in [{y.min()}, {y.max()}]"
        )
    n = x.shape[0]
    weight = mask.astype(x.dtype) / x.dtype.type(n)
    shifted = x - x.max(axis=2, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    picked = np.take_along_axis(log_p, y[..., None], axis=2)[..., 0]
    loss = -(weight * picked).sum()
    dx = np.exp(log_p)
    np.put_along_axis(
        dx, y[..., None], np.take_along_axis(dx, y[..., None], axis=2) - 1, axis=2
    )
    dx *= weight[..., None]
    return loss, dx


def clip_gradients(
    grads: Mapping[str, NDArray], max_norm: float
) -> tuple[dict[str, NDArray], float]:
    r"""Scale the gradients so that their joint L2 norm is at most ``max_norm``.

    .. math:: g \leftarrow g \cdot \min\Bigl(1, \frac{\text{max\_norm}}{\|g\|_2}\Bigr)

    with :math:`\|g\|_2` the norm of all arrays together (one scale for all, so the
    direction is kept). A separate step of the training loop, applied after the
    gradient is computed (and checked): a backward never clips.

    Parameters
    ----------
    grads : mapping of str to ndarray
    max_norm : float
        Positive.

    Returns
    -------
    clipped : dict of str to ndarray
        New arrays (the inputs are not modified), dtypes kept.
    norm : float
        The joint norm before clipping.
    """
    limit = float(max_norm)
    if not (limit > 0 and math.isfinite(limit)):
        raise ValueError(f"max_norm must be a finite number > 0, got {max_norm!r}")
    norm = math.sqrt(
        sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads.values())
    )
    scale = min(1.0, limit / norm) if norm > 0 else 1.0
    return {k: (g * g.dtype.type(scale)) for k, g in grads.items()}, norm
