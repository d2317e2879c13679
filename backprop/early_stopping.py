r"""Minibatch training with any rule of :mod:`backprop.optimizers`, stopped early on
a validation score, keeping the best epoch's parameters.

The loop knows nothing of networks: it takes a parameter tree and a function that
returns the gradient of the mean cost of a minibatch, so it trains the fully
connected network (``backprop.gradients`` wrapped), a stack of layers, or any
model with a gradient. After every epoch it scores the parameters on the
validation split; when the score has not improved for ``patience`` epochs it
stops and returns the parameters of the best epoch (Prechelt, "Early stopping —
but when?", 1998; the MNIST file's 10 000 validation images serve here, so the
test set is never looked at while choosing).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backprop.optimizers import get_optimizer, step_decay, tree_map

__all__ = ["EarlyStoppingResult", "EpochRecord", "train_early_stopping"]

#: ``gradients(params, x_batch, y_batch) -> grads``, a tree like ``params``.
GradientsFunction = Callable[[Any, NDArray, NDArray], Any]
#: ``score(params) -> float``, higher is better (e.g. an accuracy).
ScoreFunction = Callable[[Any], float]


@dataclasses.dataclass(frozen=True)
class EpochRecord:
    """One epoch of :func:`train_early_stopping` (epoch 0: before training).

    Attributes
    ----------
    epoch : int
    lr : float
        The learning rate used in this epoch (``nan`` for epoch 0).
    validation : float
        The validation score after the epoch.
    training : float or None
        The training score, when a ``training_score`` was given.
    best : bool
        Whether this epoch's parameters are the best so far.
    """

    epoch: int
    lr: float
    validation: float
    training: float | None
    best: bool


@dataclasses.dataclass(frozen=True)
class EarlyStoppingResult:
    """What :func:`train_early_stopping` returns.

    Attributes
    ----------
    params : tree of arrays
        The parameters of the best epoch (a copy, never aliased with the loop's).
    best_epoch : int
        The epoch they come from (0: the training never improved on the start).
    best_score : float
        Their validation score.
    history : tuple of EpochRecord
        Epoch 0 (before training) and every epoch trained, in order: the learning
        curve.
    stopped_early : bool
        Whether the patience ran out before ``epochs``.
    """

    params: Any
    best_epoch: int
    best_score: float
    history: tuple[EpochRecord, ...]
    stopped_early: bool


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def _score(name: str, fn: ScoreFunction, params: Any) -> float:
    value = fn(params)
    try:
        score = float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must return a number, got {type(value).__name__}"
        ) from None
    if not np.isfinite(score):
        raise ValueError(f"{name} returned {score}, expected a finite number")
    return score


def train_early_stopping(
    params: Any,
    gradients: GradientsFunction,
    x: NDArray,
    y: NDArray,
    *,
    validation_score: ScoreFunction,
    training_score: ScoreFunction | None = None,
    optimizer: str = "sgd",
    lr: float,
    epochs: int,
    batch_size: int,
    patience: int = 5,
    min_delta: float = 0.0,
    decay_factor: float = 1.0,
    decay_every: int = 1,
    options: Mapping[str, Any] | None = None,
    rng: int | np.random.Generator = 0,
) -> EarlyStoppingResult:
    r"""Train by minibatches with ``optimizer``; stop when the validation score has
    not improved for ``patience`` epochs; return the best epoch's parameters.

    Parameters
    ----------
    params : tree of arrays
        The starting parameters (not modified).
    gradients : callable
        ``gradients(params, x_batch, y_batch)``: the gradient of the mean cost of
        the minibatch, a tree like ``params``.
    x, y : numpy.ndarray
        Training inputs and targets, one example per row: shapes ``(n, ...)``.
    validation_score : callable
        ``validation_score(params) -> float``, higher is better (the accuracy on
        the validation split, or minus its cost).
    training_score : callable, optional
        The same on the training set, recorded for the learning curve only.
    optimizer : str
        A name of :data:`backprop.optimizers.OPTIMIZERS`.
    lr : float
        The learning rate of the first epoch.
    epochs : int
        At most this many epochs.
    batch_size : int
    patience : int
        Epochs without improvement before stopping.
    min_delta : float
        An improvement is a score larger than the best by more than this.
    decay_factor, decay_every : float, int
        Step decay (:func:`backprop.optimizers.step_decay`): the learning rate of
        epoch :math:`e \ge 1` is ``lr * decay_factor ** ((e - 1) // decay_every)``.
    options : mapping, optional
        Keywords of the rule (``momentum=0.9``, ``beta1=...``, ``weight_decay=...``).
    rng : int or numpy.random.Generator
        Seed of the order of the examples in each epoch.

    Returns
    -------
    EarlyStoppingResult
    """
    rule = get_optimizer(optimizer)
    epochs = _positive_int("epochs", epochs)
    batch_size = _positive_int("batch_size", batch_size)
    patience = _positive_int("patience", patience)
    decay_every = _positive_int("decay_every", decay_every)
    step_decay(lr, 0, factor=decay_factor, every=decay_every)  # validates lr, factor
    delta: Any = min_delta  # any object may come; the hint is what is expected
    if isinstance(delta, bool) or not isinstance(delta, int | float) or delta < 0:
        raise ValueError(f"min_delta must be a number >= 0, got {min_delta!r}")
    if not callable(gradients):
        raise TypeError(f"gradients must be callable, got {type(gradients).__name__}")
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim < 1 or y.ndim < 1 or x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise ValueError(
            f"x and y must hold the same number >= 1 of examples, one per row, got "
            f"shapes {x.shape} and {y.shape}"
        )
    generator = np.random.default_rng(rng)
    options = dict(options or {})

    def copy(tree: Any) -> Any:
        return tree_map(lambda a: np.array(a, copy=True), tree)

    def record(epoch: int, lr_used: float, current: Any, best: bool) -> EpochRecord:
        train = (
            None
            if training_score is None
            else _score("training_score", training_score, current)
        )
        return EpochRecord(epoch, lr_used, score, train, best)

    current = copy(params)
    score = _score("validation_score", validation_score, current)
    best_params, best_score, best_epoch = copy(current), score, 0
    history = [record(0, float("nan"), current, True)]
    state: dict[str, Any] | None = None
    stale = 0
    n = x.shape[0]
    for epoch in range(1, epochs + 1):
        lr_epoch = step_decay(lr, epoch - 1, factor=decay_factor, every=decay_every)
        order = generator.permutation(n)
        for start in range(0, n, batch_size):
            batch = order[start : start + batch_size]
            grads = gradients(current, x[batch], y[batch])
            current, state = rule(current, grads, state, lr=lr_epoch, **options)
        score = _score("validation_score", validation_score, current)
        improved = score > best_score + min_delta
        if improved:
            best_params, best_score, best_epoch, stale = copy(current), score, epoch, 0
        else:
            stale += 1
        history.append(record(epoch, lr_epoch, current, improved))
        if stale >= patience:
            return EarlyStoppingResult(
                best_params, best_epoch, best_score, tuple(history), True
            )
    return EarlyStoppingResult(
        best_params, best_epoch, best_score, tuple(history), False
    )
