"""The learning curve of a training run, drawn with matplotlib.

matplotlib is the optional ``plot`` extra (``pip install '.[plot]'``): it is
imported when a figure is drawn, not when this module is. The figure is built on
a :class:`matplotlib.figure.Figure` of its own, without pyplot, so drawing one
changes no global state and needs no display. ``backprop train --plot`` and the
MNIST how-to of the documentation draw their curves with
:func:`learning_curve_figure`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "ACCURACY_COLOR",
    "COST_COLOR",
    "SMOOTHING",
    "TUTORIAL_ACCURACY",
    "batch_positions",
    "learning_curve_figure",
    "save_learning_curve",
]

#: The tutorial's reported test accuracy before training (epoch 0) and after each
#: of its first three epochs (784-200-10, batch 10, α = 3.0, N(0, 1) weights).
TUTORIAL_ACCURACY: tuple[tuple[int, float], ...] = (
    (0, 0.1066),
    (1, 0.9278),
    (2, 0.9414),
    (3, 0.9513),
)
#: Mid-tone colours, legible on a light and on a dark background alike.
ACCURACY_COLOR = "#3d7fd9"
COST_COLOR = "#e07b24"
#: Minibatches in the running mean drawn over the noisy training costs.
SMOOTHING = 100


def batch_positions(batch_costs: Sequence[ArrayLike]) -> np.ndarray:
    """Where on the epoch axis each minibatch cost belongs.

    Parameters
    ----------
    batch_costs : sequence of array_like, one per epoch
        ``batch_costs[e - 1][k]`` is the cost of step ``k`` (from 0) of epoch ``e``,
        measured before that step's update.

    Returns
    -------
    ndarray, shape (total steps,)
        ``e - 1 + k / n_e`` for step ``k`` of the ``n_e`` steps of epoch ``e``: the
        cost before the first step of epoch 1 sits at 0, where the test figures
        before training are.
    """
    parts = [
        epoch + np.arange(len(np.atleast_1d(c))) / max(len(np.atleast_1d(c)), 1)
        for epoch, c in enumerate(batch_costs)
    ]
    return np.concatenate(parts) if parts else np.empty(0)


def learning_curve_figure(
    records: Sequence[Mapping[str, Any]],
    batch_costs: Sequence[ArrayLike] = (),
    *,
    title: str = "",
    reference: Sequence[tuple[int, float]] | None = TUTORIAL_ACCURACY,
    reference_label: str = "tutorial, as reported",
    foreground: str = "black",
    figsize: tuple[float, float] = (6.4, 5.2),
) -> Any:
    """Test accuracy, test cost and training cost per minibatch against the epoch.

    Parameters
    ----------
    records : sequence of mapping
        One per evaluation, each with ``epoch`` (int, 0 for before training),
        ``test_accuracy`` (a fraction) and ``test_cost``; the records of
        ``backprop train --metrics-out`` and the one before training.
    batch_costs : sequence of array_like, optional
        Per epoch, the cost of each minibatch before its step (the
        ``batch_costs`` of :func:`backprop.sgd`'s history).
    title : str, optional
    reference : sequence of (epoch, accuracy), optional
        Accuracies to show beside the run's, by default the tutorial's.
    reference_label : str
        Their legend entry.
    foreground : str
        Colour of text, axes and ticks (a matplotlib colour).
    figsize : (float, float)
        Width and height in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels on a shared epoch axis with integer ticks: test accuracy (%)
        above, costs (log scale) below.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    if not records:
        raise ValueError("records must hold at least one evaluation, got none")
    epochs = [int(r["epoch"]) for r in records]
    fig = Figure(figsize=figsize, layout="constrained")
    ax_acc, ax_cost = fig.subplots(2, 1, sharex=True, height_ratios=(1, 1))
    ax_acc.plot(
        epochs,
        [100 * r["test_accuracy"] for r in records],
        "o-",
        color=ACCURACY_COLOR,
        label="test accuracy, this run",
    )
    for epoch, record in zip(epochs, records, strict=True):
        ax_acc.annotate(
            f"{100 * record['test_accuracy']:.2f} %",
            (epoch, 100 * record["test_accuracy"]),
            textcoords="offset points",
            xytext=(6, -12),
            fontsize=8,
            color=foreground,
        )
    if reference:
        ref_epochs, ref_accuracy = zip(*reference, strict=True)
        ax_acc.plot(
            ref_epochs,
            [100 * a for a in ref_accuracy],
            "D--",
            color=foreground,
            markerfacecolor="none",
            linewidth=0.8,
            label=reference_label,
        )
    ax_acc.set_ylabel("test accuracy (%)")
    ax_acc.set_ylim(0, 100)

    if batch_costs:
        costs = np.concatenate([np.atleast_1d(c) for c in batch_costs])
        ax_cost.plot(
            batch_positions(batch_costs),
            costs,
            "-",
            color=COST_COLOR,
            linewidth=0.5,
            alpha=0.6,
            label="training cost of each minibatch",
        )
        window = min(SMOOTHING, len(costs))
        running = np.convolve(costs, np.ones(window) / window, mode="valid")
        # Smooth over `window` steps, so a point every window/10 loses nothing
        # visible and keeps a vector file small.
        every = max(1, window // 10)
        ax_cost.plot(
            batch_positions(batch_costs)[window - 1 :: every],
            running[::every],
            "-",
            color=foreground,
            linewidth=1.4,
            label=f"its running mean over {window} minibatches",
        )
    ax_cost.plot(
        epochs,
        [r["test_cost"] for r in records],
        "s-",
        color=ACCURACY_COLOR,
        label="test cost",
    )
    ax_cost.set_yscale("log")
    # 0.1, 1, 10 rather than powers of ten in mathtext (which an SVG would write
    # one glyph at a time).
    ax_cost.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax_cost.set_ylabel("cost (mean per example)")
    ax_cost.set_xlabel("epoch")
    ax_cost.xaxis.set_major_locator(MaxNLocator(integer=True))
    last = max([*epochs, *(e for e, _ in reference or ())])
    ax_cost.set_xlim(-0.1, last + 0.1)
    if title:
        ax_acc.set_title(title, color=foreground)
    for ax in (ax_acc, ax_cost):
        ax.legend(loc="best", fontsize=8, frameon=False, labelcolor=foreground)
        ax.tick_params(colors=foreground, which="both")
        ax.xaxis.label.set_color(foreground)
        ax.yaxis.label.set_color(foreground)
        for spine in ax.spines.values():
            spine.set_color(foreground)
        ax.spines[["top", "right"]].set_visible(False)
    return fig


def save_learning_curve(
    path: str | os.PathLike[str],
    records: Sequence[Mapping[str, Any]],
    batch_costs: Sequence[ArrayLike] = (),
    **options: Any,
) -> None:
    """Draw :func:`learning_curve_figure` into ``path``; its suffix names the format.

    Parameters
    ----------
    path : path
        ``.png``, ``.svg``, ``.pdf``, ... (any format matplotlib writes).
    records, batch_costs, **options
        As for :func:`learning_curve_figure`.
    """
    fig = learning_curve_figure(records, batch_costs, **options)
    fig.savefig(path, dpi=120)
