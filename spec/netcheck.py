r"""Checks of a :mod:`backprop` network: its gradient, its descent step, its SGD epoch.

:func:`check_network` compares :func:`backprop.gradients` with a numeric derivative
of the mean cost (:func:`spec.gradcheck`) or with :func:`spec.oracle_gradients`,
naming entries ``W^l[i,j]`` and ``b^l[i]``; :func:`check_descent` checks that one
step of :func:`backprop.sgd` decreases the cost by :math:`\alpha\lVert\nabla
C\rVert^2`; :func:`check_sgd_epoch` that an epoch uses every example once. Each
returns a report and, on failure, raises :class:`GradcheckError` carrying it; the
gradient is held to the criterion and default tolerances of :func:`spec.gradcheck`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.gradcheck import (
    _LABELS,
    Block,
    GradcheckError,
    GradcheckReport,
    _check,
    _shape_failure,
    compare_gradients,
)
from spec.numeric import METHODS
from spec.oracle import oracle_gradients

__all__ = [
    "DescentReport",
    "EpochReport",
    "check_descent",
    "check_network",
    "check_sgd_epoch",
]

# -- the gradient ----------------------------------------------------------------

GradientFunction = Callable[..., tuple[Sequence[Any], Sequence[Any]]]


def _network_blocks(weights: Sequence[NDArray]) -> list[Block]:
    blocks, start = [], 0
    for layer, w in enumerate(weights, start=1):
        for name, shape in ((f"W^{layer}", w.shape), (f"b^{layer}", w.shape[:1])):
            size = int(np.prod(shape))
            blocks.append(Block(name, start, start + size, tuple(shape)))
            start += size
    return blocks


def _pack_claimed(
    grad_w: Sequence[Any], grad_b: Sequence[Any], blocks: list[Block], method: str
) -> NDArray:
    """Pack a claimed gradient like :func:`backprop.pack`, naming any wrong shape."""
    arrays = [np.asarray(g) for pair in zip(grad_w, grad_b, strict=False) for g in pair]
    if len(grad_w) != len(grad_b) or len(arrays) != len(blocks):
        raise _shape_failure(
            f"the gradient function returned {len(grad_w)} weight and {len(grad_b)} "
            f"bias gradients for a network of {len(blocks) // 2} layers",
            method,
            arrays[0].dtype if arrays else "?",
        )
    for b, g in zip(blocks, arrays, strict=True):
        if g.shape != b.shape:
            raise _shape_failure(
                f"the gradient of {b.name} has shape {g.shape}; expected {b.shape}",
                method,
                g.dtype,
            )
    return np.concatenate([g.ravel() for g in arrays])


def _as_reference(data: Any, dtype: np.dtype) -> Any:
    """``data`` rounded to the parameters' dtype, as the gradient under test sees it,
    then widened to float64 for the reference."""
    arr = np.asarray(data)
    if arr.dtype.kind in "biu" or not np.issubdtype(dtype, np.floating):
        return arr  # integer labels, or already double
    return arr.astype(dtype).astype(np.float64)


def check_network(
    weights: Any,
    biases: Any,
    x: Any,
    y: Any,
    *,
    cost: str = "cross_entropy",
    method: str = "complex",
    fast: bool = False,
    n_directions: int = 2,
    rtol: float | None = None,
    atol: float | None = None,
    rng: Any = 0,
    gradients: GradientFunction | None = None,
    n_worst: int = 5,
    raise_on_failure: bool = True,
) -> GradcheckReport:
    r"""Check the gradient of a :mod:`backprop` network's mean cost in one call.

    The cost :math:`C(\theta)` is :func:`backprop.cost_value` of the parameters
    packed into :math:`\theta` (:func:`backprop.pack`), evaluated in float64 (in
    complex128 for the complex step: backprop's sigmoid and costs are analytic);
    the claimed gradient is ``gradients(weights, biases, x, y, cost=cost)`` in
    the parameters' own dtype. Entries are named ``W^l[i,j]`` and ``b^l[i]``
    (:func:`backprop.describe_index`) and summarised per :math:`W^l` and
    :math:`b^l`.

    Parameters
    ----------
    weights, biases : list of ndarray
        The network (float32 or float64).
    x : array_like, shape (m, n_0)
        Inputs.
    y : array_like, shape (m, n_L), or (m,) integer labels
        Targets.
    cost : {"cross_entropy", "quadratic"}
        The per-example cost; the batch cost is its mean.
    method : {"complex", "central", "richardson", "oracle"}
        The reference: a numeric derivative of :math:`C` (see
        :func:`spec.gradcheck`),
        or ``"oracle"``, :func:`spec.oracle_gradients` (exact formulas evaluated in
        high precision; small networks only; ``fast`` is ignored).
    fast : bool
        Check ``n_directions`` random directions per :math:`W^l` and
        :math:`b^l` instead of every entry: a few forward passes whatever the
        size of the network (784-200-10 in a few milliseconds).
    n_directions : int
        Directions per block in fast mode.
    rtol, atol : float, optional
        Tolerances; defaults by method and dtype
        (:func:`~spec.gradcheck.default_tolerances`).
    rng : int or numpy.random.Generator
        Seed of the fast-mode directions.
    gradients : callable, optional
        The gradient under test, with the signature of :func:`backprop.gradients`
        (the default, looked up at call time).
    n_worst : int
        How many of the worst entries the report lists.
    raise_on_failure : bool
        Raise :class:`GradcheckError` on failure (else return the report).

    Returns
    -------
    GradcheckReport

    Examples
    --------
    >>> import backprop, numpy as np
    >>> weights, biases = backprop.init_params([3, 4, 2], rng=0)
    >>> x, y = np.random.default_rng(1).random((5, 3)), np.eye(2)[[0, 1, 1, 0, 1]]
    >>> check_network(weights, biases, x, y).passed
    True
    """
    import backprop  # spec checks backprop; backprop never imports spec

    backprop.cost_value(weights, biases, x, y, cost=cost)  # validates every argument
    ws = [np.asarray(w) for w in weights]
    dtype = ws[0].dtype
    sizes = [ws[0].shape[1]] + [w.shape[0] for w in ws]
    blocks = _network_blocks(ws)
    label = "reference" if method == "oracle" else method
    if label not in _LABELS:
        raise ValueError(
            f"method must be one of {[*METHODS, 'oracle']}, got {method!r}"
        )
    grad_fn = backprop.gradients if gradients is None else gradients
    grad_w, grad_b = grad_fn(weights, biases, x, y, cost=cost)
    claimed = _pack_claimed(grad_w, grad_b, blocks, label)
    names = functools.partial(backprop.describe_index, sizes)
    x_ref, y_ref = _as_reference(x, dtype), _as_reference(y, dtype)
    if method == "oracle":
        if np.ndim(y_ref) == 1:  # integer labels
            y_ref = np.eye(sizes[-1])[y_ref]
        ref = backprop.pack(*oracle_gradients(weights, biases, x_ref, y_ref, cost=cost))
        return compare_gradients(
            claimed,
            ref,
            rtol=rtol,
            atol=atol,
            names=names,
            blocks=blocks,
            n_worst=n_worst,
            raise_on_failure=raise_on_failure,
        )

    def f(theta: NDArray) -> Any:
        return backprop.cost_value(
            *backprop.unpack(theta, sizes), x_ref, y_ref, cost=cost
        )

    return _check(
        f,
        claimed,
        backprop.pack(weights, biases),
        method=method,
        fast=fast,
        n_directions=n_directions,
        rtol=rtol,
        atol=atol,
        rng=rng,
        names=names,
        blocks=blocks,
        n_worst=n_worst,
        raise_on_failure=raise_on_failure,
    )


# -- descent and SGD -------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DescentReport:
    r"""The outcome of :func:`check_descent`.

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


StepFunction = Callable[..., tuple[Sequence[Any], Sequence[Any]]]


def _sgd_one_step(
    weights: Any, biases: Any, x: Any, y: Any, *, lr: float, cost: str
) -> tuple[Sequence[Any], Sequence[Any]]:
    import backprop

    # A batch holding every example: one step whatever the shuffle.
    m = np.shape(x)[0]
    new_w, new_b, _ = backprop.sgd(
        weights, biases, x, y, epochs=1, batch_size=m, lr=lr, cost=cost, rng=0
    )
    return new_w, new_b


def check_descent(
    weights: Any,
    biases: Any,
    x: Any,
    y: Any,
    *,
    cost: str = "cross_entropy",
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
    weights, biases, x, y, cost
        The network and a batch, as for :func:`backprop.gradients`.
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
        it with :func:`check_network`).
    raise_on_failure : bool
        Raise :class:`GradcheckError` on failure.

    Returns
    -------
    DescentReport
    """
    import backprop

    grad_fn = backprop.gradients if gradients is None else gradients
    step_fn = _sgd_one_step if step is None else step
    g = backprop.pack(*grad_fn(weights, biases, x, y, cost=cost)).astype(np.float64)

    def value(ws: Sequence[Any], bs: Sequence[Any]) -> float:
        # In float64, so that float32 parameters lose no digits of the decrease.
        wide = [np.asarray(p, dtype=np.float64) for p in (*ws, *bs)]
        c = backprop.cost_value(wide[: len(ws)], wide[len(ws) :], x, y, cost=cost)
        return float(np.real(c))

    c0 = value(weights, biases)

    def decrease(alpha: float) -> float:
        return c0 - value(*step_fn(weights, biases, x, y, lr=alpha, cost=cost))

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


@dataclasses.dataclass(frozen=True)
class EpochReport:
    r"""The outcome of :func:`check_sgd_epoch`.

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


SGDFunction = Callable[..., tuple[Sequence[Any], Sequence[Any], Any]]


def check_sgd_epoch(
    weights: Any,
    biases: Any,
    x: Any,
    y: Any,
    *,
    batch_size: int,
    cost: str = "cross_entropy",
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
    weights, biases, x, y, cost
        The network and the training set (``n`` rows, fewer than the parameters).
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
    import backprop

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
    columns = [
        backprop.pack(*grad_fn(weights, biases, x[i : i + 1], y[i : i + 1], cost=cost))
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
