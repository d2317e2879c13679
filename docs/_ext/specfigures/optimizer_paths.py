"""The figure of the optimizer pages: SGD, momentum and Adam on one ill-conditioned
quadratic, each path computed by :mod:`backprop.optimizers` while the page is built.

The cost is :math:`C(\\theta) = \\tfrac12 (\\theta_1^2 + \\kappa\\, \\theta_2^2)` with
condition number :math:`\\kappa = 25`: steep across the valley, shallow along it.
Gradient descent zig-zags across the valley, its step bounded by the steep
curvature (:math:`\\alpha < 2/\\kappa`); momentum overshoots and circles in; Adam
divides each coordinate's step by the size of its own gradient, so it first moves
both coordinates at about the same speed, then overshoots the minimum along the
shallow one.

``python docs/_ext/specfigures/optimizer_paths.py out.svg`` writes the figure
alone (from the repository root, with ``docs/_ext`` and the root on the path).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: The condition number of the quadratic.
KAPPA = 25.0
#: Where every path starts.
START = (-4.0, 1.5)
#: Steps of every path.
STEPS = 60

#: Each path: its label, the rule of backprop.optimizers, its keywords.
PATHS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("SGD, α = 0.075", "sgd", {"lr": 0.075}),
    ("momentum, α = 0.01, μ = 0.9", "momentum", {"lr": 0.01, "momentum": 0.9}),
    ("Adam, α = 0.3", "adam", {"lr": 0.3}),
)


def gradient(theta: NDArray) -> NDArray:
    """:math:`\\nabla C = (\\theta_1, \\kappa \\theta_2)`."""
    return theta * np.array([1.0, KAPPA])


def cost(theta1: NDArray, theta2: NDArray) -> NDArray:
    """:math:`C` on a grid."""
    return 0.5 * (theta1**2 + KAPPA * theta2**2)


def paths(steps: int = STEPS) -> dict[str, NDArray]:
    """Each rule's path, shape ``(steps + 1, 2)``, by its label."""
    from backprop.optimizers import get_optimizer

    out = {}
    for label, name, kwargs in PATHS:
        rule: Callable[..., Any] = get_optimizer(name)
        theta, state = np.array(START), None
        path = [theta]
        for _ in range(steps):
            theta, state = rule(theta, gradient(theta), state, **kwargs)
            path.append(theta)
        out[label] = np.array(path)
    return out


def optimizer_paths_figure(prefix: str, foreground: str = "#010203") -> str:
    """The figure as inline SVG (themed by :func:`specfigures.plots.themed_svg`
    when ``foreground`` is its stand-in colour)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from specfigures.plots import themed_svg

    drawn = paths()
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    grid1, grid2 = np.meshgrid(np.linspace(-4.5, 1.5, 200), np.linspace(-2, 2, 160))
    ax.contour(grid1, grid2, cost(grid1, grid2), levels=np.geomspace(0.05, 60, 10),
               colors=foreground, linewidths=0.5, alpha=0.35)  # fmt: skip
    for (label, path), marker in zip(drawn.items(), "os^", strict=True):
        ax.plot(path[:, 0], path[:, 1], marker=marker, markersize=2.5, linewidth=1,
                label=label)  # fmt: skip
    ax.plot([0], [0], marker="*", color=foreground, markersize=8)
    ax.set_xlabel("θ₁ (shallow)")
    ax.set_ylabel("θ₂ (steep)")
    ax.set_aspect("equal")
    ax.tick_params(colors=foreground, which="both")
    ax.xaxis.label.set_color(foreground)
    ax.yaxis.label.set_color(foreground)
    for spine in ax.spines.values():
        spine.set_color(foreground)
    ax.spines[["top", "right"]].set_visible(False)
    legend = ax.legend(loc="lower right", frameon=False, fontsize=8)
    for text in legend.get_texts():
        text.set_color(foreground)
    fig.tight_layout()
    ends = ", ".join(
        f"{label.split(',')[0]} ends at ({p[-1, 0]:.3g}, {p[-1, 1]:.3g}) with cost "
        f"{float(cost(p[-1, 0], p[-1, 1])):.3g}"
        for label, p in drawn.items()
    )
    description = (
        f"Contours of the quadratic (θ₁² + {KAPPA:g} θ₂²)/2 and {STEPS} steps of "
        f"three rules from {START}: SGD zig-zags across the steep direction, "
        "momentum overshoots and circles in, Adam first moves both coordinates at "
        "about the same speed and then overshoots the minimum along the shallow "
        f"one. After {STEPS} steps: {ends}."
    )
    svg = themed_svg(fig, prefix, "SGD, momentum and Adam on an ill-conditioned "
                     "quadratic", description)  # fmt: skip
    plt.close(fig)
    return svg


def main(argv: list[str]) -> int:
    """Write the figure to the SVG file named by ``argv[0]``."""
    if len(argv) != 1:
        print("usage: optimizer_paths.py OUT.svg", file=sys.stderr)
        return 2
    with open(argv[0], "w", encoding="utf-8") as out:
        out.write(optimizer_paths_figure("optimizer-paths"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
