r"""Checks of training: one descent step and one SGD epoch, which catch what no
gradient comparison sees (a wrong sign or scale in the update, a parameter left
out, an epoch that drops, repeats or resamples examples): :func:`check_descent`
and :func:`check_sgd_epoch`, and what they return, :class:`DescentReport` and
:class:`EpochReport`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import backprop
from spec.check.derivatives.report import GradcheckError
from spec.check.network.gradient import GradientFunction, network_keywords

__all__ = [
    "DescentReport",
    "EpochReport",
    "check_descent",
    "check_sgd_epoch",
]


StepFunction = Callable[..., tuple[Sequence[Any], Sequence[Any]]]


def _sgd_one_step(
    weights: Any, biases: Any, x: Any, y: Any, *, lr: float, cost: str, **network: Any
) -> tuple[Sequence[Any], Sequence[Any]]:
    # A batch holding every example: one step whatever the shuffle.
    m = np.shape(x)[0]
    return backprop.sgd(
        weights, biases, x, y, batch_size=m, lr=lr, cost=cost, **network
    )[:2]


def check_descent(
    weights: Any,
    biases: Any,
    x: Any,
    y: Any,
    *,
    cost: str = "cross_entropy",
    activations: Any = None,
    l2: float = 0.0,
    lr: float = 1e-3,
    rtol: float = 1e-4,
    step: StepFunction | None = None,
    gradients: GradientFunction | None = None,
    raise_on_failure: bool = True,
) -> DescentReport:
    r"""Check that one gradient-descent step decreases the cost by :math:`\alpha\lVert\nabla C\rVert^2`.

    A step :math:`\theta' = \theta - \alpha \nabla C` changes the cost by
    :math:`C(\theta) - C(\theta') = \alpha \lVert \nabla C \rVert^2 - O(\alpha^2)`.
    The step is taken with ``lr`` and with ``2 * lr`` and the two decreases
    :math:`\Delta_1, \Delta_2` are extrapolated, :math:`(4\Delta_1 - \Delta_2)/2`,
    which cancels the :math:`\alpha^2` term. This catches what no gradient
    comparison sees: a wrong sign or scale in the update, or parameters left out.

    Parameters
    ----------
    weights, biases, x, y, cost, activations, l2
        The network and a batch, as for :func:`backprop.gradients`; the cost
        descended includes the L2 term. ``activations`` and ``l2`` are passed
        on to ``step`` and ``gradients`` only where they differ from the
        defaults, so functions written for sigmoid networks need not take them.
    lr : float
        Learning rate; small, so that the :math:`\alpha^3` remainder is negligible.
    rtol : float
        Tolerance relative to :math:`\alpha \lVert \nabla C \rVert^2`. With
        ``lr = 1e-3`` the remainder is of order :math:`\alpha^2 = 10^{-6}`
        relative (times the curvature); rounding in the cost difference is far
        smaller.
    step : callable, optional
        ``step(weights, biases, x, y, lr=..., cost=...) -> (weights, biases)``, the
        update under test; by default :func:`backprop.sgd` for one epoch with a
        single batch of all rows.
    gradients : callable, optional
        Gradient for the prediction; :func:`backprop.gradients` by default (check
        it with :func:`spec.check_network`).
    raise_on_failure : bool
        Raise :class:`GradcheckError` on failure.

    Returns
    -------
    DescentReport
    """
    grad_fn = backprop.gradients if gradients is None else gradients
    step_fn = _sgd_one_step if step is None else step
    network = network_keywords(activations, l2)
    grads = grad_fn(weights, biases, x, y, cost=cost, **network)
    g = backprop.pack(*grads).astype(np.float64)

    def value(ws: Sequence[Any], bs: Sequence[Any]) -> float:
        # In float64, so that float32 parameters lose no digits of the decrease.
        wide = [np.asarray(p, dtype=np.float64) for p in (*ws, *bs)]
        c = backprop.mean_cost(
            wide[: len(ws)], wide[len(ws) :], x, y, cost, activations, l2
        )
        return float(np.real(c))

    c0 = value(weights, biases)

    def decrease(alpha: float) -> float:
        stepped = step_fn(weights, biases, x, y, lr=alpha, cost=cost, **network)
        return c0 - value(*stepped)

    predicted = lr * float(g @ g)
    actual = (4 * decrease(lr) - decrease(2 * lr)) / 2
    report = DescentReport(
        passed=bool(abs(actual - predicted) <= rtol * predicted),
        lr=lr,
        predicted=predicted,
        actual=actual,
        rtol=rtol,
    )
    if not report.passed and raise_on_failure:
        raise GradcheckError(report)
    return report


SGDFunction = Callable[..., tuple[Sequence[Any], Sequence[Any], Any]]


def check_sgd_epoch(
    weights: Any,
    biases: Any,
    x: Any,
    y: Any,
    *,
    batch_size: int,
    cost: str = "cross_entropy",
    activations: Any = None,
    l2: float = 0.0,
    lr: float = 1e-7,
    rng: Any = 0,
    tol: float = 1e-3,
    sgd: SGDFunction | None = None,
    gradients: GradientFunction | None = None,
    raise_on_failure: bool = True,
) -> EpochReport:
    r"""Check that one SGD epoch uses every example exactly once, whatever the shuffle.

    For a small learning rate :math:`\alpha`, an epoch of steps on batches
    :math:`B_1, \dots, B_K` moves the parameters by

    .. math:: \Delta\theta = -\alpha \sum_k \frac{1}{|B_k|} \sum_{i \in B_k}
              \nabla C_i(\theta) + O(\alpha^2) = -\alpha\, G c + O(\alpha^2),

    with :math:`G` the per-example gradients as columns and :math:`c_i = 1/|B|`
    for the batch of example :math:`i`. Solving for :math:`c` (least squares;
    :math:`G` has full column rank when there are more parameters than examples)
    recovers how each example was used: 0 if dropped, :math:`2/|B|` if used twice.
    The sorted :math:`c` must equal the sorted weights of a partition into batches
    of ``batch_size`` and a remainder. The shuffle order does not matter.

    Parameters
    ----------
    weights, biases, x, y, cost, activations, l2
        The network and the training set (``n`` rows, fewer than the parameters),
        as for :func:`check_descent`. With L2 every step adds :math:`\lambda W`
        once, which the per-example gradients (each with :math:`\lambda W`)
        weighted by :math:`c` reproduce, since the weights of a batch sum to 1.
    batch_size : int
        Batch size of the epoch.
    lr : float
        Small, so that the :math:`O(\alpha^2)` drift between steps is negligible.
    rng : int or numpy.random.Generator
        Passed to ``sgd``.
    tol : float
        Allowed deviation of each recovered weight, relative to ``1 / batch_size``.
    sgd : callable, optional
        The trainer under test, with the signature of :func:`backprop.sgd` (the
        default, looked up at call time).
    gradients : callable, optional
        Per-example gradients; :func:`backprop.gradients` by default.
    raise_on_failure : bool
        Raise :class:`GradcheckError` on failure.

    Returns
    -------
    EpochReport
    """
    sgd_fn = backprop.sgd if sgd is None else sgd
    grad_fn = backprop.gradients if gradients is None else gradients
    x, y = np.asarray(x), np.asarray(y)
    n = x.shape[0]
    theta = backprop.pack(weights, biases).astype(np.float64)
    if n >= theta.size:
        raise ValueError(
            f"check_sgd_epoch needs fewer examples than parameters, got {n} examples "
            f"and {theta.size} parameters"
        )
    network = network_keywords(activations, l2)
    columns = [
        backprop.pack(
            *grad_fn(weights, biases, x[i : i + 1], y[i : i + 1], cost=cost, **network)
        )
        for i in range(n)
    ]
    new_w, new_b, _ = sgd_fn(
        weights,
        biases,
        x,
        y,
        epochs=1,
        batch_size=batch_size,
        lr=lr,
        cost=cost,
        rng=rng,
        **network,
    )
    delta = backprop.pack(new_w, new_b).astype(np.float64) - theta
    recovered, *_ = np.linalg.lstsq(
        -lr * np.array(columns, dtype=np.float64).T, delta, rcond=None
    )
    full, rest = divmod(n, batch_size)
    expected = np.sort(
        [1 / batch_size] * (full * batch_size) + [1 / max(rest, 1)] * rest
    )
    report = EpochReport(
        passed=bool(np.all(np.abs(np.sort(recovered) - expected) <= tol / batch_size)),
        batch_size=batch_size,
        expected=tuple(float(v) for v in expected),
        recovered=tuple(float(v) for v in recovered),
        tol=tol,
    )
    if not report.passed and raise_on_failure:
        raise GradcheckError(report)
    return report


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
