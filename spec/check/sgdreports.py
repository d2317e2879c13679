"""What the training checks return: :class:`DescentReport` and :class:`EpochReport`."""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["DescentReport", "EpochReport"]


@dataclasses.dataclass(frozen=True)
class DescentReport:
    r"""The outcome of :func:`spec.check_descent`.

    Attributes
    ----------
    passed : bool
        ``abs(actual - predicted) <= rtol * predicted``.
    lr : float
        The learning rate :math:`\alpha` of the step.
    predicted : float
        :math:`\alpha \lVert \nabla C \rVert^2`, the first-order decrease of a step
        :math:`-\alpha \nabla C`.
    actual : float
        The first-order part of the decrease the step achieved.
    rtol : float
        Tolerance relative to ``predicted``.
    """

    passed: bool
    lr: float
    predicted: float
    actual: float
    rtol: float

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "failed"
        ratio = self.actual / self.predicted if self.predicted else float("nan")
        text = (
            f"descent check {verdict}: one step with lr = {self.lr:.1e} decreased the "
            f"cost by {self.actual:.6e} to first order; lr * |grad C|^2 = "
            f"{self.predicted:.6e} (ratio {ratio:.6f}, rtol {self.rtol:.0e})."
        )
        if not self.passed:
            text += (
                " The step is not -lr * grad C: check the sign and scale of the "
                "update and that every parameter is updated."
            )
        return text


@dataclasses.dataclass(frozen=True)
class EpochReport:
    r"""The outcome of :func:`spec.check_sgd_epoch`.

    Attributes
    ----------
    passed : bool
        Every example was used once, in a batch of the expected size.
    batch_size : int
        The batch size of the epoch.
    expected : tuple of float
        The weight each example should get, :math:`1/|B|` for its batch
        :math:`B`, sorted.
    recovered : tuple of float
        The weight each example got (by example index).
    tol : float
        Allowed deviation of a recovered weight.
    """

    passed: bool
    batch_size: int
    expected: tuple[float, ...]
    recovered: tuple[float, ...]
    tol: float

    def __str__(self) -> str:
        got, bs = np.array(self.recovered), self.batch_size
        values, counts = np.unique(np.round(self.expected, 12), return_counts=True)
        expected = ", ".join(
            f"{v:.4f} x{c}" for v, c in zip(values, counts, strict=True)
        )
        verdict = "passed" if self.passed else "failed"
        head = (
            f"SGD epoch check {verdict}: {got.size} examples, batch size {bs}; each "
            f"example must be used once, with weight 1/|its batch| ({expected})."
        )
        weights = ", ".join(f"{k}: {v:.4f}" for k, v in enumerate(got))
        lines = [head, f"  recovered weights: {weights}"]
        slack = self.tol / bs
        never = np.flatnonzero(got < slack)
        twice = np.flatnonzero(got > values.max() + slack)
        if never.size:
            lines.append(f"  never used: examples {', '.join(map(str, never))}")
        if twice.size:
            lines.append(
                f"  used more than once: examples {', '.join(map(str, twice))}"
            )
        return "\n".join(lines)
