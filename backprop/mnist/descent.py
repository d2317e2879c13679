"""``backprop train`` for the model presets (:mod:`backprop.model.presets`): plain
SGD for ``cnn``/``cnn-short``, and any rule of :mod:`backprop.optimizers` with
learning-rate decay and early stopping on MNIST's validation split
(:func:`train_descent`)."""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backprop.early_stopping import EarlyStoppingResult, train_early_stopping
from backprop.mnist.output import check_writable, load_data, write_json
from backprop.model.presets import (
    DESCENT_PRESETS,
    DescentSettings,
    cnn_preset,
    descent_preset,
)
from backprop.model.stack import Model
from backprop.optimizers import get_optimizer, step_decay

__all__ = [
    "DESCENT_OPTIONS",
    "TRAINING_SCORE_IMAGES",
    "EpochScores",
    "parse_optimizer_options",
    "run_train_model",
    "train_descent",
    "validation_split",
]


#: The options of ``backprop train`` that select :func:`train_descent`.
DESCENT_OPTIONS = ("optimizer", "optimizer_option", "lr_decay", "patience")


#: The training scores are measured on this many training images (all of them
#: would cost a sixth of an epoch of the convolutional net for one number).
TRAINING_SCORE_IMAGES = 10_000


@dataclasses.dataclass(frozen=True)
class EpochScores:
    """One row of :func:`train_descent`'s learning curve (epoch 0: before training).

    Attributes
    ----------
    epoch : int
    lr : float
        The learning rate of the epoch (``nan`` for epoch 0).
    training_accuracy, validation_accuracy : float
        Accuracies after the epoch, the training one on at most
        ``TRAINING_SCORE_IMAGES`` images of the training split.
    best : bool
        Whether the validation accuracy is the best so far.
    seconds : float
        Seconds of training in the epoch (scoring excluded).
    """

    epoch: int
    lr: float
    training_accuracy: float
    validation_accuracy: float
    best: bool
    seconds: float


def validation_split(n: int) -> int:
    """The number of training images kept for validation: the last sixth.

    MNIST's 60 000 training images are Nielsen's 50 000 training then 10 000
    validation images, so 10 000 of 60 000; a smaller data set keeps the same
    share (at least one image).
    """
    if n < 2:
        raise ValueError(f"need at least 2 training images to keep some apart, got {n}")
    return max(1, n // 6)


def parse_optimizer_options(optimizer: str, items: list[str] | None) -> dict[str, Any]:
    """The ``KEY=VALUE`` items of ``--optimizer-option`` as keywords of the rule.

    Values are numbers where they parse as one (``momentum=0.95``), else strings
    (``form=tensorflow``); keys must be keywords of the rule other than ``lr``.

    Raises
    ------
    SystemExit
        On an item without ``=``, a key the rule does not take, or a repeated key.
    """
    rule = get_optimizer(optimizer)
    accepted = [
        name
        for name, p in inspect.signature(rule).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and name != "lr"
    ]
    options: dict[str, Any] = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key or not text.strip():
            raise SystemExit(
                f"backprop: error: --optimizer-option expects KEY=VALUE, got {item!r}"
            )
        if key not in accepted:
            raise SystemExit(
                f"backprop: error: --optimizer-option {key}: {optimizer} takes "
                f"{', '.join(accepted)}; the learning rate is --lr"
            )
        if key in options:
            raise SystemExit(f"backprop: error: --optimizer-option {key} given twice")
        value: Any
        try:
            value = float(text)
        except ValueError:
            value = text.strip()
        options[key] = value
    return options


def train_descent(
    model: Model,
    settings: DescentSettings,
    x: NDArray[Any],
    y: NDArray[Any],
    *,
    rng: int = 0,
    callback: Callable[[EpochScores], None] | None = None,
) -> tuple[EarlyStoppingResult, list[EpochScores]]:
    """Train ``model`` with ``settings``' rule, stopping early on the validation split.

    The last sixth of ``x`` (:func:`validation_split`) is held out; the rest is
    trained on by :func:`backprop.early_stopping.train_early_stopping` with
    :meth:`Model.gradients <backprop.model.stack.Model.gradients>` (dropout
    masks drawn from a generator seeded by ``rng``). On return ``model.params``
    holds the best epoch's parameters.

    Parameters
    ----------
    model : Model
    settings : DescentSettings
    x : numpy.ndarray, shape (N, ...)
    y : numpy.ndarray of int, shape (N,)
    rng : int, default 0
        Seed of the shuffles and dropout masks.
    callback : callable, optional
        ``callback(scores: EpochScores)`` after scoring each epoch (and epoch 0).

    Returns
    -------
    result : EarlyStoppingResult
    curve : list of EpochScores
        Epoch 0 and every epoch trained.
    """
    n_valid = validation_split(len(y))
    x_train, y_train = x[:-n_valid], y[:-n_valid]
    x_valid, y_valid = x[-n_valid:], y[-n_valid:]
    x_seen, y_seen = x_train[:TRAINING_SCORE_IMAGES], y_train[:TRAINING_SCORE_IMAGES]
    masks = np.random.default_rng([rng, 1])  # dropout, apart from the shuffles
    curve: list[EpochScores] = []
    clock = {"start": time.perf_counter(), "seconds": 0.0, "valid": 0.0}

    def gradients(params: Any, xb: NDArray[Any], yb: NDArray[Any]) -> Any:
        return model.gradients(params, xb, yb, rng=masks)

    def validation(params: Any) -> float:
        clock["seconds"] = time.perf_counter() - clock["start"]
        model.params = params
        clock["valid"] = model.accuracy(x_valid, y_valid)
        return clock["valid"]

    def training(params: Any) -> float:
        # Called right after validation() for the same parameters.
        model.params = params
        accuracy = model.accuracy(x_seen, y_seen)
        epoch = len(curve)
        best_so_far = max((c.validation_accuracy for c in curve), default=-1.0)
        scores = EpochScores(
            epoch=epoch,
            lr=(
                float("nan")
                if epoch == 0
                else step_decay(
                    settings.lr, epoch - 1, factor=settings.lr_decay, every=1
                )
            ),
            training_accuracy=accuracy,
            validation_accuracy=clock["valid"],
            best=clock["valid"] > best_so_far,
            seconds=clock["seconds"] if epoch else 0.0,
        )
        curve.append(scores)
        if callback is not None:
            callback(scores)
        clock["start"] = time.perf_counter()
        return accuracy

    start_params = model.params
    try:
        result = train_early_stopping(
            start_params,
            gradients,
            x_train,
            y_train,
            validation_score=validation,
            training_score=training,
            optimizer=settings.optimizer,
            lr=settings.lr,
            epochs=settings.epochs,
            batch_size=settings.batch_size,
            patience=settings.patience,
            decay_factor=settings.lr_decay,
            decay_every=1,
            options=dict(settings.options),
            rng=rng,
        )
    except BaseException:
        model.params = start_params
        raise
    model.params = result.params
    return result, curve


def _descent_settings(args: argparse.Namespace) -> tuple[Model, DescentSettings]:
    """The model and settings of ``args.preset`` with the options applied."""
    if args.preset in DESCENT_PRESETS:
        model, settings = descent_preset(args.preset, rng=args.seed)
    else:  # a cnn preset: its SGD settings, trained by train_descent
        model, fit = cnn_preset(args.preset, rng=args.seed)
        settings = DescentSettings(
            optimizer="sgd",
            options=(),
            lr=fit.lr,
            lr_decay=1.0,
            epochs=fit.epochs,
            batch_size=fit.batch_size,
            patience=fit.epochs,
        )
    optimizer = settings.optimizer if args.optimizer is None else args.optimizer
    # Another rule does not take the preset's keywords: start it from its defaults.
    options = dict(settings.options) if optimizer == settings.optimizer else {}
    options.update(parse_optimizer_options(optimizer, args.optimizer_option))
    for value, option, low in (
        (args.lr_decay, "--lr-decay", 0.0),
        (args.lr, "--lr", 0.0),
    ):
        if value is not None and not (np.isfinite(value) and value > low):
            raise SystemExit(
                f"backprop: error: {option} must be a number > 0, got {value}"
            )
    if args.lr_decay is not None and args.lr_decay > 1:
        raise SystemExit(
            f"backprop: error: --lr-decay must be in (0, 1] (the factor applied to "
            f"the learning rate every epoch), got {args.lr_decay}"
        )
    for value, option in (
        (args.patience, "--patience"),
        (args.epochs, "--epochs"),
        (args.batch_size, "--batch-size"),
    ):
        if value is not None and value < 1:
            raise SystemExit(f"backprop: error: {option} must be >= 1, got {value}")
    overrides = {
        key: value
        for key, value in (
            ("lr", args.lr),
            ("lr_decay", args.lr_decay),
            ("epochs", args.epochs),
            ("batch_size", args.batch_size),
            ("patience", args.patience),
        )
        if value is not None
    }
    settings = dataclasses.replace(
        settings, optimizer=optimizer, options=tuple(options.items()), **overrides
    )
    return model, settings


def _run_train_descent(args: argparse.Namespace) -> int:
    """``backprop train`` for a model preset trained by :func:`train_descent`."""
    model, settings = _descent_settings(args)
    options = ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
        for k, v in settings.options
    )
    print(
        f"{args.preset} preset: {len(model.layers)} layers, {settings.optimizer}"
        f"{f' ({options})' if options else ''}, batch {settings.batch_size}, lr "
        f"{settings.lr:g} x {settings.lr_decay:g} per epoch, at most "
        f"{settings.epochs} epochs, patience {settings.patience}, seed {args.seed}",
        flush=True,
    )
    data = load_data(args, "float32")
    n_valid = validation_split(len(data.y_train))
    print(
        f"early stopping on the last {n_valid} training images (validation); "
        f"training accuracy on {min(TRAINING_SCORE_IMAGES, len(data.y_train) - n_valid)}"
        " of the others"
    )
    print(
        f"{'epoch':>5}  {'lr':>8}  {'training':>8}  {'validation':>10}  {'seconds':>7}"
    )

    def show(scores: EpochScores) -> None:
        lr = "" if scores.epoch == 0 else f"{scores.lr:.2e}"
        print(
            f"{scores.epoch:5d}  {lr:>8}  {100 * scores.training_accuracy:7.2f}%  "
            f"{100 * scores.validation_accuracy:9.2f}%  {scores.seconds:7.1f}"
            f"{'  *' if scores.best else ''}",
            flush=True,
        )

    try:
        result, curve = train_descent(
            model, settings, data.x_train, data.y_train, rng=args.seed, callback=show
        )
    except KeyboardInterrupt:
        print("\ninterrupted: nothing kept", file=sys.stderr)
        return 130
    except (ValueError, TypeError) as exc:  # a rule refusing an option's value
        raise SystemExit(f"backprop: error: {exc}") from None
    accuracy = model.accuracy(data.x_test, data.y_test)
    trained = curve[-1].epoch
    print(
        f"{'stopped early' if result.stopped_early else 'finished'} after {trained} "
        f"epochs ({sum(c.seconds for c in curve):.1f} s of training); kept epoch "
        f"{result.best_epoch} (validation {100 * result.best_score:.2f}%): test "
        f"accuracy {100 * accuracy:.2f}%"
    )
    if args.save is not None:
        model.save(args.save)
        print(f"saved {args.save}")
    if args.metrics_out is not None:
        records: list[dict[str, Any]] = [
            {
                **dataclasses.asdict(c),
                "lr": None if c.epoch == 0 else c.lr,
            }
            for c in curve
        ]
        records.append(
            {
                "best_epoch": result.best_epoch,
                "stopped_early": result.stopped_early,
                "test_accuracy": accuracy,
            }
        )
        write_json(args.metrics_out, records)
        print(f"wrote {args.metrics_out}")
    return 0


def run_train_model(args: argparse.Namespace) -> int:
    """Execute ``backprop train`` for a convolutional preset
    (:data:`backprop.model.presets.CNN_PRESETS`); the exit status (130 when
    interrupted)."""
    for option in ("sizes", "dtype", "cost", "init", "plot"):
        if getattr(args, option) is not None:
            raise SystemExit(
                f"backprop: error: --{option} applies to the fully connected presets, "
                f"not to {args.preset}"
            )
    for path, option in ((args.save, "--save"), (args.metrics_out, "--metrics-out")):
        check_writable(path, option)
    if args.preset in DESCENT_PRESETS or any(
        getattr(args, option, None) is not None for option in DESCENT_OPTIONS
    ):
        return _run_train_descent(args)
    model, settings = cnn_preset(args.preset, rng=args.seed)
    fit = {
        **settings.as_dict(),
        **{
            k: v
            for k, v in (
                ("epochs", args.epochs),
                ("batch_size", args.batch_size),
                ("lr", args.lr),
            )
            if v is not None
        },
    }
    print(
        f"{args.preset} preset: {len(model.layers)} layers, batch "
        f"{fit['batch_size']}, lr {fit['lr']:g}, {fit['epochs']} epochs, seed "
        f"{args.seed}",
        flush=True,
    )
    data = load_data(args, "float32")
    print(f"{'epoch':>5}  {'test accuracy':>13}  {'train loss':>10}  {'seconds':>7}")
    records: list[dict[str, Any]] = []

    def after_epoch(epoch: int, trained: Any, record: dict[str, Any]) -> None:
        accuracy = trained.accuracy(data.x_test, data.y_test)
        records.append({**record, "test_accuracy": accuracy})
        print(
            f"{epoch:5d}  {100 * accuracy:12.2f}%  {record['loss']:10.4f}  "
            f"{record['seconds']:7.1f}",
            flush=True,
        )

    interrupted = False
    try:
        model.fit(
            data.x_train, data.y_train, **fit, rng=args.seed, callback=after_epoch
        )
    except KeyboardInterrupt:
        interrupted = True
        print(
            f"\ninterrupted: keeping the model after epoch {len(records)}",
            file=sys.stderr,
        )
    if records:
        print(f"final test accuracy {100 * records[-1]['test_accuracy']:.2f}%")
    if args.save is not None:
        model.save(args.save)
        print(f"saved {args.save}")
    if args.metrics_out is not None:
        write_json(args.metrics_out, records)
        print(f"wrote {args.metrics_out}")
    return 130 if interrupted else 0
