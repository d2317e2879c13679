r"""Max and average pooling over (possibly overlapping) windows of NCHW images.

A window of ``size`` (rows, columns) moves by ``stride`` per axis; the output has
:math:`H' = 1 + \lfloor (H - k_h) / s_h \rfloor` rows and likewise
:math:`W'` columns. Both passes loop over the :math:`k_h k_w` offsets inside a
window, each handling one strided slice of every window at once; the backward
passes *add* into the input gradient, so overlapping windows (stride smaller
than the window) accumulate.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backprop.blocks.validation import float_array, pair

__all__ = [
    "average_pool_backward",
    "average_pool_forward",
    "max_pool_backward",
    "max_pool_forward",
]


def max_pool_forward(
    x: NDArray[Any],
    *,
    size: int | tuple[int, int] = (2, 2),
    stride: int | tuple[int, int] = 2,
) -> tuple[NDArray[Any], dict[str, Any]]:
    r"""The largest entry of every window.

    .. math:: \mathrm{out}_{n c i j} = \max_{0 \le k < k_h,\ 0 \le l < k_w}
        X_{n, c, s_h i + k, s_w j + l}

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    size : int or (int, int), default (2, 2)
        Window (rows, columns).
    stride : int or (int, int), default 2
        Step between windows (rows, columns).

    Returns
    -------
    out : ndarray, shape (N, C, H', W')
    cache : dict
        The position in its window of each maximum (row-major, the first of
        tied maxima) and the geometry, for :func:`max_pool_backward`.
    """
    x, geometry = _geometry(x, size, stride)
    offsets = _offsets(x, geometry)
    _, first = next(offsets)
    out = first.copy(order="K")  # the input's memory layout, whichever it is
    # The offset of each maximum; a window of at most 256 entries fits in uint8.
    arg = np.zeros_like(out, dtype=np.uint8 if geometry["window"] <= 256 else np.intp)
    for index, window in offsets:
        # Strictly greater: a tie keeps the earlier offset (row-major order).
        larger = np.greater(window, out)
        np.maximum(out, window, out=out)
        # arg becomes index where larger: index exceeds every earlier offset, so a
        # maximum does it, several times faster than a masked copy.
        np.maximum(arg, np.multiply(larger, index, dtype=arg.dtype), out=arg)
    return out, {"arg": arg, **geometry}


def max_pool_backward(dout: NDArray[Any], cache: dict[str, Any]) -> NDArray[Any]:
    r"""The VJP of :func:`max_pool_forward`: each window's gradient to its maximum.

    .. math:: \frac{\partial L}{\partial X_{n c y x}} = \sum_{i, j}
        G_{n c i j}\, [(y, x) = m_{n c i j}]

    with :math:`m_{ncij}` the position of window :math:`(i, j)`'s maximum.
    Overlapping windows add their shares. At a tie the maximum is not
    differentiable: the whole of :math:`G_{ncij}` goes to the first maximal
    position in row-major window order, one element of the subdifferential (any
    split over the tied positions with weights :math:`\ge 0` summing to 1).

    Parameters
    ----------
    dout : ndarray, shape (N, C, H', W')
    cache : dict
        From :func:`max_pool_forward`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    """
    dout = _upstream(dout, cache)
    arg = cache["arg"]
    dx = _zeros_like_input(dout, cache)
    if cache["overlapping"]:
        for index, window in _offsets(dx, cache):
            window += dout * (arg == index)
    else:  # each input entry is in one window at most: write, nothing to add
        for index, window in _offsets(dx, cache):
            np.multiply(dout, arg == index, out=window)
    return dx


def average_pool_forward(
    x: NDArray[Any],
    *,
    size: int | tuple[int, int] = (2, 2),
    stride: int | tuple[int, int] = 2,
) -> tuple[NDArray[Any], dict[str, Any]]:
    r"""The mean of every window.

    .. math:: \mathrm{out}_{n c i j} = \frac{1}{k_h k_w} \sum_{k, l}
        X_{n, c, s_h i + k, s_w j + l}

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    size : int or (int, int), default (2, 2)
    stride : int or (int, int), default 2

    Returns
    -------
    out : ndarray, shape (N, C, H', W')
    cache : dict
        The geometry, for :func:`average_pool_backward`.
    """
    x, geometry = _geometry(x, size, stride)
    offsets = _offsets(x, geometry)
    _, first = next(offsets)
    out = first.copy(order="K")
    for _, window in offsets:
        out += window
    out *= x.dtype.type(1.0 / (geometry["size"][0] * geometry["size"][1]))
    return out, geometry


def average_pool_backward(dout: NDArray[Any], cache: dict[str, Any]) -> NDArray[Any]:
    r"""The VJP of :func:`average_pool_forward`.

    .. math:: \frac{\partial L}{\partial X_{n c y x}} = \frac{1}{k_h k_w}
        \sum_{i, j:\ (y, x) \in \text{window } (i, j)} G_{n c i j}

    Parameters
    ----------
    dout : ndarray, shape (N, C, H', W')
    cache : dict
        From :func:`average_pool_forward`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    """
    dout = _upstream(dout, cache)
    share = dout * dout.dtype.type(1.0 / (cache["size"][0] * cache["size"][1]))
    dx = _zeros_like_input(dout, cache)
    for _, window in _offsets(dx, cache):
        window += share
    return dx


def _geometry(x: Any, size: Any, stride: Any) -> tuple[NDArray[Any], dict[str, Any]]:
    x = float_array(x, "x", ndim=4)
    kernel = pair(size, "size", 1)
    steps = pair(stride, "stride", 1)
    n, c, h, w = x.shape
    if kernel[0] > h or kernel[1] > w:
        raise ValueError(
            f"size {kernel} must fit in the image of {h} rows and {w} columns"
        )
    ho = 1 + (h - kernel[0]) // steps[0]
    wo = 1 + (w - kernel[1]) // steps[1]
    return x, {
        "x_shape": x.shape,
        # The input's axes from the slowest in memory to the fastest, so the
        # input gradient is laid out as the input (a transposed view stays one).
        "x_order": tuple(np.argsort(x.strides, kind="stable")[::-1]),
        "size": kernel,
        "stride": steps,
        "window": kernel[0] * kernel[1],
        "overlapping": steps[0] < kernel[0] or steps[1] < kernel[1],
        "out_shape": (n, c, ho, wo),
    }


def _zeros_like_input(dout: NDArray[Any], cache: dict[str, Any]) -> NDArray[Any]:
    """Zeros shaped as the input, in its memory layout and ``dout``'s dtype."""
    order = cache["x_order"]
    shape = tuple(cache["x_shape"][axis] for axis in order)
    return np.zeros(shape, dtype=dout.dtype).transpose(np.argsort(order))


def _offsets(
    x: NDArray[Any], geometry: dict[str, Any]
) -> Iterator[tuple[int, NDArray[Any]]]:
    """``(k * k_w + l, view)`` per offset: entry (k, l) of every window, a view."""
    (kh, kw), (sh, sw) = geometry["size"], geometry["stride"]
    ho, wo = geometry["out_shape"][2:]
    for k in range(kh):
        for l_ in range(kw):
            yield (
                k * kw + l_,
                x[
                    :,
                    :,
                    k : k + sh * (ho - 1) + 1 : sh,
                    l_ : l_ + sw * (wo - 1) + 1 : sw,
                ],
            )


def _upstream(dout: Any, cache: dict[str, Any]) -> NDArray[Any]:
    dout = float_array(dout, "dout", ndim=4)
    if dout.shape != cache["out_shape"]:
        raise ValueError(
            f"dout must have the shape of out {cache['out_shape']}, got {dout.shape}"
        )
    return dout
