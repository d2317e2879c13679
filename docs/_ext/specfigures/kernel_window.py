"""The figure of the convolution page: one entry of the upstream gradient spread
back over the input by the convolution's backward pass, computed by
:func:`backprop.blocks.convolution_backward` while the page is built.

With stride :math:`s` and padding :math:`p`, the upstream entry :math:`g_{ij}`
reaches exactly the input entries its kernel window covered in the forward pass,
:math:`x_{si - p + a,\\, sj - p + b}`, each weighted by the kernel entry
:math:`w_{ab}` that multiplied it: :math:`\\partial C / \\partial x` is the kernel
itself, placed where the window was. The check below raises if the computed
gradient differs from that placement.
"""

from __future__ import annotations

import numpy as np

from backprop.blocks import convolution_backward, convolution_forward

#: The example: a 7x7 single-channel image, a 3x3 kernel, stride 2, padding 1,
#: and the upstream entry (row, column) of the 4x4 output that is followed back.
SIZE, KERNEL, STRIDE, PADDING, ENTRY = 7, 3, 2, 1, (1, 2)


def spread() -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """``(dx, w, (top, left))``: the input gradient of one upstream entry, the
    kernel, and the window's top-left corner in the (unpadded) input."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 1, SIZE, SIZE))
    w = np.round(rng.uniform(-1, 1, (1, 1, KERNEL, KERNEL)), 1)
    out, cache = convolution_forward(x, w, np.zeros(1), stride=STRIDE, padding=PADDING)
    dout = np.zeros_like(out)
    dout[0, 0, ENTRY[0], ENTRY[1]] = 1.0
    dx, _, _ = convolution_backward(dout, cache)
    top, left = STRIDE * ENTRY[0] - PADDING, STRIDE * ENTRY[1] - PADDING
    expected = np.zeros((SIZE + 2 * PADDING,) * 2)
    expected[
        top + PADDING : top + PADDING + KERNEL, left + PADDING : left + PADDING + KERNEL
    ] = w[0, 0]
    inner = expected[PADDING:-PADDING, PADDING:-PADDING]
    if not np.allclose(dx[0, 0], inner, rtol=0, atol=1e-15):
        raise ValueError("the backward pass does not place the kernel at the window")
    return dx[0, 0], w[0, 0], (top, left)


def kernel_window_figure(prefix: str, foreground: str = "#010203") -> str:
    """The figure as inline SVG (themed by :func:`specfigures.plots.themed_svg`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from specfigures.plots import themed_svg

    dx, w, (top, left) = spread()
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.0))
    limit = float(np.abs(w).max())
    out_size = (SIZE + 2 * PADDING - KERNEL) // STRIDE + 1
    grad = np.zeros((out_size, out_size))
    grad[ENTRY] = 1.0
    axes[0].imshow(grad, cmap="Greys", vmin=0, vmax=1)
    axes[0].set_title(
        f"upstream gradient ({out_size}×{out_size}): one entry", fontsize=9
    )
    axes[1].imshow(dx, cmap="coolwarm", vmin=-limit, vmax=limit)
    axes[1].add_patch(
        Rectangle(
            (left - 0.5, top - 0.5),
            KERNEL,
            KERNEL,
            fill=False,
            edgecolor=foreground,
            linewidth=1.5,
            linestyle="--",
        )
    )
    for (i, j), value in np.ndenumerate(dx):
        if value:
            axes[1].text(j, i, f"{value:g}", ha="center", va="center", fontsize=7)
    axes[1].set_title(f"∂C/∂x ({SIZE}×{SIZE}): the kernel at its window", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.title.set_color(foreground)
        for spine in ax.spines.values():
            spine.set_color(foreground)
    fig.tight_layout()
    description = (
        f"Left: the {out_size} by {out_size} upstream gradient of a {KERNEL} by "
        f"{KERNEL} convolution with stride {STRIDE} and padding {PADDING} on a "
        f"{SIZE} by {SIZE} image, zero except entry {ENTRY}. Right: the input "
        f"gradient that backward pass computes: the kernel's entries placed on the "
        f"window that output entry read, rows {top} to {top + KERNEL - 1} and columns "
        f"{left} to {left + KERNEL - 1} (cut at the border where the window covered "
        "padding), and zero elsewhere."
    )
    svg = themed_svg(
        fig,
        prefix,
        "One upstream gradient entry spread back over its kernel window",
        description,
    )
    plt.close(fig)
    return svg
