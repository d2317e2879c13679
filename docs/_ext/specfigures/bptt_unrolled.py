"""The figure of the BPTT page: the vanilla RNN unrolled over a few steps, the
forward pass and the backward pass through time on one graph.

Forward (solid): the input :math:`x_t` enters through :math:`W_x`, the previous
state :math:`h_{t-1}` through :math:`W_h`, and every :math:`h_t` feeds its own
loss :math:`\\ell_t`. Backward (dashed): :math:`h_t` receives the gradient of its
own loss and the gradient step :math:`t + 1` sends back,
:math:`\\delta_{t+1} W_h^T` with :math:`\\delta_t = \\partial C/\\partial h_t \\odot
(1 - h_t^2)`. Before drawing, :func:`recursion_error` runs
:func:`backprop.blocks.rnn_forward` and :func:`backprop.blocks.rnn_backward` and
raises if what they compute is not that recursion.
"""

from __future__ import annotations

import numpy as np

from backprop.blocks import rnn_backward, rnn_forward
from specfigures.svg import BACKWARD, FG, FORWARD, Drawing

#: Steps drawn.
STEPS = 4
#: Largest difference allowed between rnn_backward and the recursion, relative to
#: the largest entry: both sum the same float64 products, in the same order but
#: for the matrix products' blocking.
RECURSION_RTOL = 1e-12

#: Layout, in px: the step between columns, the circles' radius, the rows.
DX, R, Y_LOSS, Y_H, Y_X = 175.0, 24.0, 72.0, 215.0, 350.0
#: Half the size of the loss and input boxes.
BOX_W, BOX_H = 30.0, 17.0
#: How far the backward edges run beside the forward ones.
OFFSET = 11.0


def recursion_error(steps: int = STEPS) -> float:
    """The largest difference between :func:`backprop.blocks.rnn_backward` and the
    recursion the figure draws, relative to the largest entry.

    Raises
    ------
    ValueError
        If it exceeds :data:`RECURSION_RTOL`.
    """
    rng = np.random.default_rng(0)
    n, d, h = 2, 3, 4
    x = rng.standard_normal((n, steps, d))
    h0 = rng.standard_normal((n, h))
    wx, wh = 0.6 * rng.standard_normal((d, h)), 0.6 * rng.standard_normal((h, h))
    b = 0.5 * rng.standard_normal(h)
    hs, cache = rnn_forward(x, h0, wx, wh, b)
    dloss = rng.standard_normal(hs.shape)  # ∂ℓ_t/∂h_t: random, never all ones
    dx, dh0, _, dwh, _ = rnn_backward(dloss, cache)
    carried = np.zeros((n, h))  # δ_{t+1} W_h^T: nothing comes after step T
    expected_dx, expected_dwh = np.empty_like(dx), np.zeros_like(dwh)
    for t in reversed(range(steps)):
        delta = (dloss[:, t] + carried) * (1 - hs[:, t] ** 2)
        expected_dx[:, t] = delta @ wx.T
        expected_dwh += (hs[:, t - 1] if t else h0).T @ delta
        carried = delta @ wh.T
    error = max(
        float(np.max(np.abs(got - want))) / float(np.max(np.abs(want)))
        for got, want in ((dx, expected_dx), (dh0, carried), (dwh, expected_dwh))
    )
    if error > RECURSION_RTOL:
        raise ValueError(
            f"rnn_backward differs from the recursion ∂C/∂h_(t-1) = ∂ℓ/∂h_(t-1) + "
            f"δ_t W_h^T by {error:.3g} relative (allowed {RECURSION_RTOL:g})"
        )
    return error


def bptt_figure(prefix: str, steps: int = STEPS) -> Drawing:
    """The unrolled graph, forward and backward, as an SVG drawing."""
    recursion_error(steps)
    left = 70.0
    width = 2 * left + steps * DX + 40
    height = Y_X + 128
    d = Drawing(
        width,
        height,
        prefix,
        title=f"The vanilla RNN unrolled over {steps} steps, forward and backward",
        description=(
            f"A row of inputs x_1 to x_{steps} at the bottom, a row of hidden "
            f"states h_0 to h_{steps} in the middle, a row of losses ℓ_1 to "
            f"ℓ_{steps} at the top. Forward, drawn solid: each x_t enters h_t "
            "through the weights W_x, each h_(t−1) enters h_t through W_h (the "
            "same W_x, W_h and b at every step), and each h_t feeds its loss ℓ_t. "
            "Backward, drawn dashed in the second colour: each h_t receives two "
            "gradients, ∂ℓ_t/∂h_t from its own loss above it and δ_(t+1) W_h^T "
            "from the step after it, where δ_t = ∂C/∂h_t ⊙ (1 − h_t²); the last "
            f"state h_{steps} receives only its loss's, and h_0 receives δ_1 W_h^T."
        ),
    )
    xs = [left + t * DX for t in range(steps + 1)]
    # Forward: h_(t-1) -> h_t (W_h) on the centre line; backward: below it.
    dy = OFFSET
    dx_rim = (R * R - dy * dy) ** 0.5
    for t in range(1, steps + 1):
        a, b = xs[t - 1], xs[t]
        d.line(a + R, Y_H, b - R - 2, Y_H, color=FORWARD, width=2, arrow=True)
        d.text((a + b) / 2, Y_H - 9, "$W_{h}$", anchor="middle", color=FORWARD)
        d.line(
            b - dx_rim,
            Y_H + dy,
            a + dx_rim + 2,
            Y_H + dy,
            color=BACKWARD,
            width=2,
            dash="6 4",
            arrow=True,
        )
        d.text(
            (a + b) / 2,
            Y_H + dy + 21,
            f"$δ_{{{t}}}W_{{h}}^{{T}}$",
            anchor="middle",
            color=BACKWARD,
        )
    for t in range(1, steps + 1):
        x = xs[t]
        # Forward: x_t -> h_t (W_x), h_t -> loss; backward: loss -> h_t.
        d.line(x, Y_X - BOX_H, x, Y_H + R + 2, color=FORWARD, width=2, arrow=True)
        d.text(x + 7, (Y_X - BOX_H + Y_H + R) / 2 + 14, "$W_{x}$", color=FORWARD)
        top = Y_LOSS + BOX_H
        d.line(
            x - OFFSET,
            Y_H - R + 3,
            x - OFFSET,
            top + 2,
            color=FORWARD,
            width=2,
            arrow=True,
        )
        d.line(
            x + OFFSET,
            top,
            x + OFFSET,
            Y_H - R + 1,
            color=BACKWARD,
            width=2,
            dash="6 4",
            arrow=True,
        )
        d.text(
            x + OFFSET + 6,
            (top + Y_H - R) / 2 + 5,
            f"$∂ℓ_{{{t}}}/∂h_{{{t}}}$",
            size=13,
            color=BACKWARD,
        )
        d.rect(x - BOX_W, Y_LOSS - BOX_H, 2 * BOX_W, 2 * BOX_H, opacity=0.8)
        d.text(x, Y_LOSS + 5, f"$ℓ_{{{t}}}$", anchor="middle", size=15)
        d.rect(x - BOX_W, Y_X - BOX_H, 2 * BOX_W, 2 * BOX_H, opacity=0.8)
        d.text(x, Y_X + 5, f"$x_{{{t}}}$", anchor="middle", size=15)
    for t, x in enumerate(xs):
        d.circle(x, Y_H, R, fill=FG)
        d.text(x, Y_H + 5, f"$h_{{{t}}}$", anchor="middle", size=15)
    d.text(xs[1] - BOX_W, Y_LOSS - BOX_H - 14, f"$C = ℓ_{{1}} + … + ℓ_{{{steps}}}$")
    _legend(d, left, Y_X + 50)
    return d


def _legend(d: Drawing, x: float, y: float) -> None:
    """The two kinds of edge and the recursion they draw, below the graph."""
    d.line(x - 30, y - 5, x + 10, y - 5, color=FORWARD, width=2, arrow=True)
    d.text(
        x + 20,
        y,
        "forward: $h_{t} = $tanh$(x_{t}W_{x} + h_{t−1}W_{h} + b)$, "
        "the same $W_{x}, W_{h}, b$ at every step",
    )
    d.line(
        x + 10, y + 23, x - 30, y + 23, color=BACKWARD, width=2, dash="6 4", arrow=True
    )
    d.text(
        x + 20,
        y + 28,
        "backward: $∂C/∂h_{t−1} = ∂ℓ_{t−1}/∂h_{t−1} + δ_{t}W_{h}^{T}$, "
        "$δ_{t} = ∂C/∂h_{t}$ ⊙ $(1 − h_{t}^{2})$",
    )
    d.text(
        x + 20,
        y + 56,
        "shared weights: the steps' shares add up, "
        "$∂C/∂W_{h} = Σ_{t} h_{t−1}^{T}δ_{t}$",
    )


def bptt_unrolled_figure(prefix: str) -> str:
    """The figure as inline SVG."""
    return bptt_figure(prefix).svg()
