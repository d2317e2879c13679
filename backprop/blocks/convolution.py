r"""Two-dimensional convolution (cross-correlation) with stride and zero padding.

Images are NCHW, kernels (F, C, HH, WW). The forward pass unrolls every
receptive field into a column (*im2col*: a strided view of the padded input,
copied once) and computes the whole layer as one matrix product; the backward
pass computes :math:`\partial L/\partial W` as one matrix product with those
columns, and :math:`\partial L/\partial X` as one matrix product followed by a
scatter of the columns back onto the image (*col2im*), a loop over the
:math:`HH \cdot WW` kernel offsets, never over pixels.

With stride :math:`s` and padding :math:`p` per axis, the output has
:math:`H' = 1 + \lfloor (H + 2p_h - HH) / s_h \rfloor` rows and
:math:`W' = 1 + \lfloor (W + 2p_w - WW) / s_w \rfloor` columns; rows and columns
of the padded input beyond the last window are not read (their gradient is 0).

Memory layout: the columns are ordered (row, column, example), so every copy
and scatter runs over the batch axis innermost, in long contiguous runs. The
arrays a convolution returns are (N, F, H', W') views of memory laid out as
(F, H', W', N); pooling and elementwise layers keep that layout, and the next
convolution reads it without a copy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from backprop.blocks.validation import float_array, pair, same_dtype

__all__ = [
    "col2im",
    "convolution_backward",
    "convolution_backward_weights",
    "convolution_forward",
    "im2col",
    "output_size",
    "padded_channels_last",
]


def output_size(
    size: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
) -> tuple[int, int]:
    """``(H', W')``: the positions of a window on the zero-padded image.

    Raises
    ------
    ValueError
        If the kernel is larger than the padded image.
    """
    out = []
    for axis, n, k, s, p in zip(
        ("rows", "columns"), size, kernel, stride, padding, strict=True
    ):
        if n + 2 * p < k:
            raise ValueError(
                f"the kernel ({k} {axis}) must fit in the padded input ({n} + 2*{p} "
                f"{axis})"
            )
        out.append(1 + (n + 2 * p - k) // s)
    return out[0], out[1]


def im2col(
    xp: NDArray[Any], kernel: tuple[int, int], stride: tuple[int, int]
) -> NDArray[Any]:
    r"""Every receptive field of ``xp`` as a column.

    .. math:: \mathrm{cols}[(c, k, l), (i, j, n)] = X^{pad}_{n, c, s_h i + k, s_w j + l}

    Parameters
    ----------
    xp : ndarray, shape (N, C, H_p, W_p)
        The (already padded) images; fastest when laid out as (C, H_p, W_p, N)
        in memory.
    kernel : (HH, WW)
    stride : (s_h, s_w)

    Returns
    -------
    cols : ndarray, shape (C HH WW, H' W' N)
        Rows in the order of ``w.reshape(F, -1)``'s columns, contiguous.
    """
    n, c = xp.shape[:2]
    windows = sliding_window_view(xp, kernel, axis=(2, 3))[
        :, :, :: stride[0], :: stride[1]
    ]  # (N, C, H', W', HH, WW), a view
    ho, wo = windows.shape[2:4]
    return windows.transpose(1, 4, 5, 2, 3, 0).reshape(
        c * kernel[0] * kernel[1], ho * wo * n
    )


def col2im(
    dcols: NDArray[Any],
    padded_shape: tuple[int, int, int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    out_size: tuple[int, int],
) -> NDArray[Any]:
    r"""The adjoint of :func:`im2col`: add every column back onto its window.

    .. math::

        \frac{\partial L}{\partial X^{pad}_{n c y x}} = \sum_{k, l}
        \sum_{i, j:\ s_h i + k = y,\ s_w j + l = x} \mathrm{dcols}[(c, k, l), (i, j, n)]

    Overlapping windows accumulate; a loop over the :math:`HH \cdot WW` kernel
    offsets, each adding one strided slice.

    Parameters
    ----------
    dcols : ndarray, shape (C HH WW, H' W' N)
    padded_shape : (N, C, H_p, W_p)
    kernel, stride, out_size : pairs (rows, columns)

    Returns
    -------
    dxp : ndarray, shape (N, C, H_p, W_p)
        A view of memory laid out as (C, H_p, W_p, N).
    """
    n, c, hp, wp = padded_shape
    kh, kw = kernel
    sh, sw = stride
    ho, wo = out_size
    blocks = dcols.reshape(c, kh, kw, ho, wo, n)
    dxp = np.zeros((c, hp, wp, n), dtype=dcols.dtype)
    for k in range(kh):
        for l_ in range(kw):
            dxp[
                :, k : k + sh * (ho - 1) + 1 : sh, l_ : l_ + sw * (wo - 1) + 1 : sw
            ] += blocks[:, k, l_]
    return dxp.transpose(3, 0, 1, 2)


def padded_channels_last(x: NDArray[Any], padding: tuple[int, int]) -> NDArray[Any]:
    """``x`` zero-padded, as an (N, C, H_p, W_p) view of (C, H_p, W_p, N) memory.

    Returns ``x`` itself when it is laid out so already and needs no padding.
    """
    ph, pw = padding
    if (ph, pw) == (0, 0) and x.transpose(1, 2, 3, 0).flags.c_contiguous:
        return x
    n, c, h, w = x.shape
    buffer = np.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=x.dtype)
    buffer[:, ph : ph + h, pw : pw + w, :] = x.transpose(1, 2, 3, 0)
    return buffer.transpose(3, 0, 1, 2)


def convolution_forward(
    x: NDArray[Any],
    w: NDArray[Any],
    b: NDArray[Any],
    *,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> tuple[NDArray[Any], dict[str, Any]]:
    r"""Cross-correlate every image with every kernel, then add the bias.

    .. math::

        \mathrm{out}_{n f i j} = b_f + \sum_{c, k, l}
        W_{f c k l}\, X^{pad}_{n, c, s_h i + k, s_w j + l}

    with :math:`X^{pad}` the input zero-padded by :math:`p_h` rows and
    :math:`p_w` columns on each side.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    w : ndarray, shape (F, C, HH, WW)
    b : ndarray, shape (F,)
    stride : int or (int, int), default 1
        Step between windows, per axis (rows, columns), ``>= 1``.
    padding : int or (int, int), default 0
        Zeros added on each side, per axis (rows, columns), ``>= 0``.

    Returns
    -------
    out : ndarray, shape (N, F, H', W')
        In the dtype of ``x``; :math:`H' = 1 + \lfloor (H + 2p_h - HH)/s_h
        \rfloor`, likewise :math:`W'`.
    cache : dict
        The columns, kernel and geometry for :func:`convolution_backward`.
    """
    x = float_array(x, "x", ndim=4)
    w = float_array(w, "w", ndim=4)
    b = float_array(b, "b", ndim=1)
    same_dtype(x, "x", w=w, b=b)
    strides = pair(stride, "stride", 1)
    pads = pair(padding, "padding", 0)
    n, c, h, wd = x.shape
    f, cw, kh, kw = w.shape
    if cw != c:
        raise ValueError(
            f"w must have shape (F, {c}, HH, WW) for x with {c} channels, got {w.shape}"
        )
    if b.shape != (f,):
        raise ValueError(
            f"b must have shape ({f},), one bias per kernel, got {b.shape}"
        )
    out_size = output_size((h, wd), (kh, kw), strides, pads)
    xp = padded_channels_last(x, pads)
    cols = im2col(xp, (kh, kw), strides)
    out = w.reshape(f, -1) @ cols
    out += b[:, None]
    # A view: the product's (F, H', W', N) layout stays in memory (module notes).
    out = out.reshape(f, *out_size, n).transpose(3, 0, 1, 2)
    cache = {
        "cols": cols,
        "w": w,
        "x_shape": x.shape,
        "padded_shape": xp.shape,
        "stride": strides,
        "padding": pads,
        "out_size": out_size,
    }
    return out, cache


def convolution_backward(
    dout: NDArray[Any], cache: dict[str, Any]
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    r"""The VJP of :func:`convolution_forward`.

    With :math:`G` = ``dout``:

    .. math::

        \frac{\partial L}{\partial W_{f c k l}} = \sum_{n, i, j} G_{n f i j}
            X^{pad}_{n, c, s_h i + k, s_w j + l}, \qquad
        \frac{\partial L}{\partial b_f} = \sum_{n, i, j} G_{n f i j},

        \frac{\partial L}{\partial X_{n c y x}} = \sum_{f, i, j} G_{n f i j}\,
            W_{f, c,\, y + p_h - s_h i,\, x + p_w - s_w j}

    where the last sum runs over the :math:`i, j` whose window covers
    :math:`(y, x)`, i.e. :math:`0 \le y + p_h - s_h i < HH` and likewise for the
    columns: the correlation of the zero-inserted upstream gradient with the
    flipped kernel, cropped of the padding.

    Parameters
    ----------
    dout : ndarray, shape (N, F, H', W')
    cache : dict
        From :func:`convolution_forward`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    dw : ndarray, shape (F, C, HH, WW)
    db : ndarray, shape (F,)
    """
    g = _upstream(dout, cache)
    dw, db = _weights_gradient(g, dout, cache)
    w = cache["w"]
    dcols = w.reshape(w.shape[0], -1).T @ g
    dxp = col2im(
        dcols, cache["padded_shape"], w.shape[2:], cache["stride"], cache["out_size"]
    )
    (ph, pw), (_, _, h, wd) = cache["padding"], cache["x_shape"]
    return dxp[:, :, ph : ph + h, pw : pw + wd], dw, db


def convolution_backward_weights(
    dout: NDArray[Any], cache: dict[str, Any]
) -> tuple[NDArray[Any], NDArray[Any]]:
    r"""``(dw, db)`` of :func:`convolution_backward`, without ``dx``.

    For a first layer, whose input gradient nobody reads.

    Parameters
    ----------
    dout : ndarray, shape (N, F, H', W')
    cache : dict
        From :func:`convolution_forward`.

    Returns
    -------
    dw : ndarray, shape (F, C, HH, WW)
    db : ndarray, shape (F,)
    """
    return _weights_gradient(_upstream(dout, cache), dout, cache)


def _upstream(dout: NDArray[Any], cache: dict[str, Any]) -> NDArray[Any]:
    """``dout`` checked and laid out as (F, N H' W'), the columns' order."""
    dout = float_array(dout, "dout", ndim=4)
    f = cache["w"].shape[0]
    expected = (cache["x_shape"][0], f, *cache["out_size"])
    if dout.shape != expected:
        raise ValueError(
            f"dout must have the shape of out {expected}, got {dout.shape}"
        )
    return dout.transpose(1, 2, 3, 0).reshape(f, -1)


def _weights_gradient(
    g: NDArray[Any], dout: NDArray[Any], cache: dict[str, Any]
) -> tuple[NDArray[Any], NDArray[Any]]:
    w = cache["w"]
    dw = (g @ cache["cols"].T).reshape(w.shape)
    return dw, g.sum(axis=1)
