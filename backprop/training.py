r"""Minibatch stochastic gradient descent.

Each step moves every parameter against the gradient of the mean cost of one
minibatch:

.. math:: w \leftarrow w - \alpha \frac{\partial C}{\partial w}, \qquad
          b \leftarrow b - \alpha \frac{\partial C}{\partial b}

With L2 regularisation :math:`\partial C / \partial w` includes :math:`\lambda w`,
so the weights shrink by the factor :math:`1 - \alpha\lambda` at every step
(weight decay); the biases do not.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from backprop.core import Layers, add_l2, backward, forward
from backprop.costs import Cost
from backprop.layers import Activation
from backprop.params import as_generator
from backprop.validation import (
    validate_batch,
    validate_epochs,
    validate_l2,
    validate_lr,
    validate_positive_int,
)

__all__ = ["sgd", "sgd_step", "update"]

#: Batches smaller than this train with one BLAS thread by default.
SMALL_BATCH = 16

#: ``callback(epoch, weights, biases)``; returning True stops training.
EpochCallback = Callable[[int, list[NDArray], list[NDArray]], "bool | None"]


def update(params: Sequence[NDArray], grads: Sequence[NDArray], lr: float) -> None:
    r"""Gradient descent step, in place: :math:`p \leftarrow p - \alpha\, \partial C/\partial p`."""
    for p, g in zip(params, grads, strict=True):
        p -= lr * g


def sgd_step(
    weights: list[NDArray],
    biases: list[NDArray],
    x: NDArray,
    y: NDArray,
    lr: float,
    cost: Cost,
    grad_w_buffers: list[NDArray] | None = None,
    layers: Layers = None,
    l2: float = 0.0,
) -> None:
    """One step on one minibatch, in place; unvalidated (see :func:`sgd`).

    ``grad_w_buffers``, arrays shaped like the weights, receive the weight
    gradients: reusing them spares allocating weight-sized arrays at every step.
    ``layers`` (one :class:`~backprop.layers.Activation` per layer, ``None`` for
    sigmoids) and ``l2`` are as :func:`sgd` validated them.
    """
    zs, activations = forward(weights, biases, x, layers)
    grad_w, grad_b = backward(
        weights, zs, activations, y, cost, out=grad_w_buffers, layers=layers
    )
    add_l2(grad_w, grad_b, weights, biases, l2)
    update(weights, grad_w, lr)
    update(biases, grad_b, lr)


def sgd(
    weights: Any,
    biases: Any,
    x: Any,
    y: Any,
    *,
    epochs: int = 1,
    batch_size: int = 10,
    lr: float = 3.0,
    cost: str = "cross_entropy",
    activations: Any = None,
    l2: float = 0.0,
    rng: Any = 0,
    callback: EpochCallback | None = None,
    progress: bool = False,
    blas_threads: int | None = None,
    record_batch_costs: bool = False,
) -> tuple[list[NDArray], list[NDArray], list[dict[str, Any]]]:
    r"""Train by minibatch SGD; the inputs are not modified.

    Every epoch shuffles the examples with ``rng`` and visits them once in batches
    of ``batch_size``; the last batch holds the remainder when ``batch_size`` does
    not divide the number of examples (each step uses the mean over its own batch).

    Parameters
    ----------
    weights, biases : list of ndarray
        Starting point; copied, and trained in their dtype.
    x : array_like, shape (n, n_0)
        Training inputs.
    y : array_like, shape (n, n_L), or (n,) integer labels
        Targets; integer labels are one-hot encoded.
    epochs : int
        Passes over the data, >= 1.
    batch_size : int
        Examples per step, >= 1.
    lr : float
        Learning rate :math:`\alpha > 0`.
    cost : {"cross_entropy", "quadratic", "log_likelihood"}
        Cost whose batch mean is descended.
    activations : str or sequence of str, optional
        The activation of each layer, as for :func:`backprop.gradients`.
    l2 : float, default 0.0
        :math:`\lambda`: each step descends the batch mean plus
        :math:`\tfrac{\lambda}{2} \sum_l \lVert W^l \rVert^2`.
    rng : int or numpy.random.Generator
        Drives the shuffling; the same seed gives bit-identical results.
    callback : callable, optional
        ``callback(epoch, weights, biases)`` after each epoch (epochs count from 1),
        outside the timed part; returning True stops training.
    progress : bool
        Show a progress bar over the batches of each epoch.
    blas_threads : int, optional
        Threads the BLAS library may use during training. By default one thread
        for batches smaller than :data:`SMALL_BATCH` and the library's own setting
        otherwise: the matrix products of a small batch are too small to split,
        and OpenBLAS's threads then cost more than they give (measured in
        ``benchmarks/results/bench_epoch.txt`` and ``bench_epoch_one_thread.txt``).
    record_batch_costs : bool, default False
        Also record the mean cost of every minibatch, from the forward pass of
        its step (before the step's update). Off by default: evaluating the cost
        adds a few percent to the time of a step.

    Returns
    -------
    weights, biases : list of ndarray
        The trained parameters.
    history : list of dict
        One record per finished epoch: ``epoch`` and ``seconds`` (time spent in
        the SGD steps of that epoch); with ``record_batch_costs``, also
        ``batch_costs``, an array of the minibatch costs of the epoch in the order
        of its steps.
    """
    ws, bs, x, y, cost_fn, layers = validate_batch(
        weights, biases, x, y, cost, activations
    )
    l2 = validate_l2(l2)
    epochs = validate_epochs(epochs)
    batch_size = validate_positive_int(batch_size, "batch_size")
    lr = validate_lr(lr)
    gen = as_generator(rng)
    if blas_threads is None:
        blas_threads = 1 if batch_size < SMALL_BATCH else None
    else:
        blas_threads = validate_positive_int(blas_threads, "blas_threads")
    recorder = _CostRecorder(cost_fn) if record_batch_costs else None
    step_cost = cost_fn if recorder is None else recorder
    with threadpool_limits(limits=blas_threads, user_api="blas"):
        ws, bs, history = _epochs(
            ws,
            bs,
            x,
            y,
            epochs,
            batch_size,
            lr,
            step_cost,
            gen,
            callback,
            progress,
            layers=layers,
            l2=l2,
        )
    if recorder is not None:
        steps = len(range(0, x.shape[0], batch_size))  # of every epoch
        for k, record in enumerate(history):
            costs = recorder.values[k * steps : (k + 1) * steps]
            record["batch_costs"] = np.asarray(costs, dtype=np.float64)
    return ws, bs, history


class _CostRecorder:
    r"""A cost that also keeps the batch cost each time BP1 reads the output.

    :func:`backprop.backward` asks the cost for :math:`\delta^L` once per step, with
    the output of the step's own forward pass: the cost is evaluated there, so
    recording takes no second forward pass.
    """

    def __init__(self, cost: Cost) -> None:
        self.cost, self.name = cost, cost.name
        self.values: list[float] = []

    def value(self, z: NDArray, a: NDArray, y: NDArray) -> np.generic:
        return self.cost.value(z, a, y)

    def delta(
        self, z: NDArray, a: NDArray, y: NDArray, output: Activation | None = None
    ) -> NDArray:
        self.values.append(float(self.cost.value(z, a, y).real))
        if output is None:
            return self.cost.delta(z, a, y)
        return self.cost.delta(z, a, y, output)


def _epochs(
    ws: list[NDArray],
    bs: list[NDArray],
    x: NDArray,
    y: NDArray,
    epochs: int,
    batch_size: int,
    lr: float,
    cost_fn: Cost,
    gen: np.random.Generator,
    callback: EpochCallback | None,
    progress: bool,
    layers: Layers = None,
    l2: float = 0.0,
) -> tuple[list[NDArray], list[NDArray], list[dict[str, Any]]]:
    ws = [w.copy() for w in ws]
    bs = [b.copy() for b in bs]
    buffers = [np.empty_like(w) for w in ws]
    n = x.shape[0]
    starts = range(0, n, batch_size)
    history: list[dict[str, Any]] = []
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        order = gen.permutation(n)
        for start in tqdm(starts, desc=f"epoch {epoch}", disable=not progress):
            batch = order[start : start + batch_size]
            sgd_step(ws, bs, x[batch], y[batch], lr, cost_fn, buffers, layers, l2)
        history.append({"epoch": epoch, "seconds": time.perf_counter() - t0})
        if callback is not None and callback(epoch, ws, bs):
            break
    return ws, bs, history
