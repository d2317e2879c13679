"""The two plots: one weight nudged, and the learning curve of the ``fast`` preset.

Both are drawn by matplotlib and written as SVG with their text kept as text
(``svg.fonttype = "none"``). Text, axes and ticks are drawn in a stand-in colour
that is then replaced by ``currentColor``, so a plot placed in the page takes the
theme's text colour; its background is transparent.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

#: Drawn where the page's text colour belongs; replaced by ``currentColor``.
STAND_IN = "#010203"
#: The step of the secant drawn: large enough to see it apart from the tangent.
DRAWN_H = 1.0
SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
#: The step of a central-difference gradient check in float64.
CHECK_H = 1e-5


def themed_svg(fig: Any, prefix: str, title: str, description: str) -> str:
    """``fig`` as inline-ready SVG: themed colour, alt text, reproducible ids."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": prefix}):
        fig.savefig(buffer, format="svg", transparent=True, metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :].replace(STAND_IN, "currentColor")
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)
    # matplotlib's ids (figure_1, line2d_3, ...) repeat from plot to plot: prefix
    # them and every reference to them, so that plots can share a page.
    svg = re.sub(r'(\bid="|url\(#|href="#)([^"\)]+)', rf"\g<1>{prefix}-\g<2>", svg)
    # Keep the plot's fonts generic: the reader's browser has its own sans-serif.
    svg = re.sub(r"font: ([\d.]+)px '[^']*'", r"font: \1px sans-serif", svg)
    head_end = svg.index(">", svg.index("<svg")) + 1
    alt = (
        f'<title id="{prefix}-title">{escape(title)}</title>'
        f'<desc id="{prefix}-desc">{escape(description)}</desc>'
    )
    head = svg[: head_end - 1] + (
        f' role="img" aria-labelledby="{prefix}-title {prefix}-desc" '
        'class="spec-figure-svg" style="color: inherit">'
    )
    return head + alt + svg[head_end:]


@dataclass(frozen=True)
class Nudge:
    """One weight nudged: the cost along it, and the slopes that are compared."""

    layer: int
    i: int
    j: int
    w0: float
    cost0: float
    slope: float  # ∂C/∂w from backprop.gradients
    oracle_slope: float  # the same entry from spec.oracle_gradients
    steps: tuple[float, ...]  # h of the central differences
    secants: tuple[float, ...]  # (C(w + h) - C(w - h)) / 2h for each h


def nudge(
    ex: Any, layer: int = 1, i: int = 0, j: int = 0
) -> tuple[Nudge, Callable[[float], float]]:
    """The weight ``w^layer_ij`` of the worked example ``ex``, nudged."""
    import backprop

    w0 = float(ex.weights[layer - 1][i, j])

    def cost(w: float) -> float:
        weights = [np.array(m, dtype=np.float64) for m in ex.weights]
        weights[layer - 1][i, j] = w
        return float(backprop.mean_cost(weights, ex.biases, ex.x, ex.y, ex.cost))

    grad_w, _ = backprop.gradients(ex.weights, ex.biases, ex.x, ex.y, cost=ex.cost)
    steps = (DRAWN_H, *np.logspace(0, -12, 49))
    secants = tuple((cost(w0 + h) - cost(w0 - h)) / (2 * h) for h in steps)
    result = Nudge(
        layer,
        i,
        j,
        w0,
        cost(w0),
        float(grad_w[layer - 1][i, j]),
        float(ex.grad_w[layer - 1][i, j]),
        tuple(float(h) for h in steps),
        secants,
    )
    return result, cost


def _style(ax: Any) -> None:
    ax.tick_params(colors=STAND_IN, which="both")
    ax.xaxis.label.set_color(STAND_IN)
    ax.yaxis.label.set_color(STAND_IN)
    for spine in ax.spines.values():
        spine.set_color(STAND_IN)
    ax.spines[["top", "right"]].set_visible(False)


def nudge_figure(ex: Any, prefix: str) -> tuple[str, Nudge]:
    """C against one weight with backprop's tangent and a central-difference secant,
    and the secant's distance from the tangent's slope as the step shrinks."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    from backprop.plotting import ACCURACY_COLOR, COST_COLOR

    n, cost = nudge(ex)
    name = f"w^{{{n.layer}}}_{{{n.i},{n.j}}}"
    # Unicode scripts, not mathtext: mathtext writes one <text> per glyph.
    unicode_name = (
        "w"
        + str(n.layer).translate(SUPERSCRIPTS)
        + (f"{n.i},{n.j}".translate(SUBSCRIPTS))
    )
    h, drawn = n.steps[0], n.secants[0]
    ws = np.linspace(n.w0 - 2.5 * h, n.w0 + 2.5 * h, 241)
    fig = Figure(figsize=(7.6, 3.6), layout="constrained")
    ax, ax_err = fig.subplots(1, 2, width_ratios=(1.15, 1))
    ax.plot(ws, [cost(w) for w in ws], color=STAND_IN, linewidth=1.6, label="C")
    span = np.array([n.w0 - 1.8 * h, n.w0 + 1.8 * h])
    ax.plot(
        span,
        n.cost0 + n.slope * (span - n.w0),
        color=ACCURACY_COLOR,
        linewidth=1.6,
        label=f"tangent: slope {n.slope:.6g}, backprop",
    )
    ends = np.array([n.w0 - h, n.w0 + h])
    middle = float(np.mean([cost(e) for e in ends]))  # the secant's height at w0
    ax.plot(
        span,
        middle + drawn * (span - n.w0),
        "--",
        color=COST_COLOR,
        linewidth=1.4,
        label=f"secant through w ± h, h = {h:g}: slope {drawn:.6g}",
    )
    ax.plot(ends, [cost(e) for e in ends], "o", color=COST_COLOR)
    ax.plot([n.w0], [n.cost0], "o", color=ACCURACY_COLOR)
    ax.set_xlabel(f"{unicode_name} (all other parameters fixed)")
    ax.set_ylabel("batch cost C")
    ax.legend(loc="upper left", fontsize=7.5, frameon=False, labelcolor=STAND_IN)
    _style(ax)

    hs = np.array(n.steps[1:])
    errors = np.abs(np.array(n.secants[1:]) - n.slope)
    shown = errors > 0  # an exact agreement has no place on a log scale
    ax_err.loglog(hs[shown], errors[shown], ".-", color=COST_COLOR, linewidth=1)
    ax_err.axvline(CHECK_H, color=STAND_IN, linewidth=0.6, linestyle=":")
    ax_err.annotate(
        f"h = {CHECK_H:g}",
        (CHECK_H, errors[shown].max()),
        textcoords="offset points",
        xytext=(4, -4),
        fontsize=8,
        color=STAND_IN,
    )
    ax_err.set_xlabel("step h")
    # Plain tick labels (1e-05), not mathtext, which writes one <text> per glyph.
    powers = FuncFormatter(lambda v, _: f"1e{round(np.log10(v)):+03d}" if v > 0 else "")
    ax_err.xaxis.set_major_formatter(powers)
    ax_err.yaxis.set_major_formatter(powers)
    ax_err.set_ylabel("|secant slope − backprop's slope|")
    ax_err.invert_xaxis()
    _style(ax_err)
    plain = name.replace("{", "").replace("}", "")
    check = n.secants[1:][int(np.argmin(np.abs(hs - CHECK_H)))]
    title = f"The batch cost C as a function of the one weight {plain}"
    description = (
        f"Left: C for {plain} between {ws[0]:.3g} and {ws[-1]:.3g}, all other "
        f"parameters fixed. At its value {n.w0:.6g} the tangent has slope "
        f"∂C/∂w = {n.slope:.6g}, the gradient entry from backprop; the secant "
        f"through w − h and w + h, h = {h:g}, has slope {drawn:.6g}. Right: the "
        "distance between the secant's slope and backprop's, on log scales, as h "
        "shrinks from 1 to 1e-12: it falls as h squared until rounding errors of "
        f"the cost take over; at h = {CHECK_H:g}, the step of a gradient check, "
        f"the secant's slope is {check:.10g}."
    )
    return themed_svg(fig, prefix, title, description), n


@dataclass(frozen=True)
class Curve:
    """A training run of a preset: what the learning-curve figure is drawn from."""

    preset: str
    seed: int
    records: list[dict[str, float]]
    batch_costs: list[Any]
    seconds: float


@functools.cache
def train_preset(preset: str, seed: int) -> Curve:
    """Train ``preset`` on MNIST, evaluating on the test set before and after each epoch.

    Raises :class:`backprop.mnist.data.MNISTError` when MNIST cannot be had.
    """
    import backprop
    from backprop.mnist.data import load_mnist
    from backprop.mnist.presets import PRESETS

    p = PRESETS[preset]
    data = load_mnist(dtype=p.dtype)
    net = backprop.Network(p.sizes, rng=seed, init=p.init, dtype=p.dtype, cost=p.cost)

    def record(epoch: int, weights: list[Any], biases: list[Any]) -> None:
        accuracy = backprop.evaluate(weights, biases, data.x_test, data.y_test)
        cost = backprop.mean_cost(weights, biases, data.x_test, data.y_test, p.cost)
        records.append(
            {"epoch": epoch, "test_accuracy": accuracy, "test_cost": float(cost)}
        )

    records: list[dict[str, float]] = []
    record(0, net.weights, net.biases)
    history = net.fit(
        data.x_train,
        data.y_train,
        epochs=p.epochs,
        batch_size=p.batch_size,
        lr=p.lr,
        rng=seed,
        callback=record,
        record_batch_costs=True,
    )
    return Curve(
        preset,
        seed,
        records,
        [h["batch_costs"] for h in history],
        sum(h["seconds"] for h in history),
    )


def curve_figure(curve: Curve, prefix: str) -> str:
    """The learning curve, drawn by :func:`backprop.plotting.learning_curve_figure`."""
    from backprop.plotting import TUTORIAL_ACCURACY, learning_curve_figure

    fig = learning_curve_figure(curve.records, curve.batch_costs, foreground=STAND_IN)
    last = curve.records[-1]
    steps = sum(len(c) for c in curve.batch_costs)
    title = f"Learning curve of the {curve.preset} preset on MNIST, seed {curve.seed}"
    description = (
        "Above, test accuracy against epoch: "
        + ", ".join(
            f"{100 * r['test_accuracy']:.2f} % after epoch {r['epoch']}"
            if r["epoch"]
            else f"{100 * r['test_accuracy']:.2f} % before training"
            for r in curve.records
        )
        + "; beside it the tutorial's reported "
        + ", ".join(f"{100 * a:.2f} %" for _, a in TUTORIAL_ACCURACY)
        + f" before training and after epochs 1 to {TUTORIAL_ACCURACY[-1][0]}. "
        "Below, on a log scale, the "
        f"training cost of each of the {steps} minibatches with its running mean, "
        f"and the test cost per epoch, from {curve.records[0]['test_cost']:.3g} "
        f"before training to {last['test_cost']:.3g}."
    )
    return themed_svg(fig, prefix, title, description)
