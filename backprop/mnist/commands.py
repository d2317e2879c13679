"""The MNIST commands: ``backprop train`` and ``backprop evaluate``.

:func:`run_train` trains with a preset whose values the options override, prints
the test accuracy before training and after each epoch, and can save the
network, a JSON record per epoch and a learning curve; Ctrl-C stops cleanly and
keeps the last finished epoch. The model presets given ``--optimizer``,
``--patience`` or ``--lr-decay``, and those of
:data:`backprop.model.presets.DESCENT_PRESETS`, train with
:func:`train_descent`: a rule of :mod:`backprop.optimizers`, stopped early on the
validation split, keeping the best epoch. :func:`run_evaluate` scores a saved
network.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backprop.core import feedforward
from backprop.costs import get_cost
from backprop.mnist.data import MNIST, one_hot
from backprop.mnist.descent import DESCENT_OPTIONS, run_train_model
from backprop.mnist.output import check_writable, load_data, write_json
from backprop.mnist.presets import PRESETS, Preset
from backprop.model.presets import (
    CNN_PRESETS,
    DESCENT_PRESETS,
)
from backprop.network import Network

__all__ = [
    "run_evaluate",
    "run_train",
]


def _plot(
    path: Path,
    records: list[dict[str, Any]],
    history: list[dict[str, Any]],
    title: str,
) -> None:
    from backprop.plotting import save_learning_curve

    batch_costs = [h["batch_costs"] for h in history if "batch_costs" in h]
    save_learning_curve(path, records, batch_costs, title=title)


def _test_scores(net: Network, data: MNIST) -> tuple[float, float]:
    """Test accuracy and mean test cost, from one forward pass."""
    zs, activations = feedforward(net.weights, net.biases, data.x_test, net.activations)
    accuracy = float(np.mean(activations[-1].argmax(axis=1) == data.y_test))
    y = one_hot(data.y_test, n_classes=10, dtype=net.dtype)
    cost = get_cost(net.cost_name).value(zs[-1], activations[-1], y)
    return accuracy, float(cost)


def run_train(args: argparse.Namespace) -> int:
    """Execute ``backprop train``; the exit status (130 when interrupted)."""
    if args.preset in CNN_PRESETS or args.preset in DESCENT_PRESETS:
        return run_train_model(args)
    for option in DESCENT_OPTIONS:
        if getattr(args, option, None) is not None:
            flag = "--" + option.replace("_", "-")
            raise SystemExit(
                f"backprop: error: {flag} applies to the model presets "
                f"({', '.join([*CNN_PRESETS, *DESCENT_PRESETS])}), not to "
                f"{args.preset}"
            )
    preset: Preset = PRESETS[args.preset].with_overrides(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        sizes=args.sizes,
        dtype=args.dtype,
        cost=args.cost,
        init=args.init,
    )
    if preset.sizes[0] != 784:
        raise SystemExit(
            f"backprop: error: --sizes must start with 784 (one input per MNIST "
            f"pixel), got {','.join(map(str, preset.sizes))}"
        )
    if preset.sizes[-1] != 10:
        raise SystemExit(
            f"backprop: error: --sizes must end with 10 (one output per digit), "
            f"got {','.join(map(str, preset.sizes))}"
        )
    for path, option in (
        (args.save, "--save"),
        (args.plot, "--plot"),
        (args.metrics_out, "--metrics-out"),
    ):
        check_writable(path, option)
    if args.plot is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise SystemExit(
                "backprop: error: --plot needs matplotlib: pip install matplotlib "
                "(or install this project with its extra: pip install '.[plot]')"
            ) from None

    net = Network(
        preset.sizes,
        rng=args.seed,
        init=preset.init,
        dtype=preset.dtype,
        cost=preset.cost,
        activations=preset.activations,
        l2=preset.l2,
    )
    desc = "-".join(map(str, preset.sizes))
    print(
        f"{args.preset} preset: {desc} {preset.cost}, batch {preset.batch_size}, "
        f"lr {preset.lr:g}, {preset.init} init, {preset.dtype}, "
        f"{preset.epochs} epochs, seed {args.seed}",
        flush=True,
    )
    data = load_data(args, preset.dtype)
    accuracy, cost = _test_scores(net, data)
    print(f"{'epoch':>5}  {'test accuracy':>13}  {'test cost':>9}  {'seconds':>7}")
    print(f"{0:5d}  {100 * accuracy:12.2f}%  {cost:9.4f}  {'':>7}", flush=True)
    curve = [{"epoch": 0, "test_accuracy": accuracy, "test_cost": cost, "seconds": 0.0}]
    records: list[dict[str, Any]] = []

    clock = [time.perf_counter()]

    def after_epoch(epoch: int, weights: list[NDArray], biases: list[NDArray]) -> None:
        # Training time only: the clock restarts after this evaluation.
        seconds = time.perf_counter() - clock[0]
        accuracy, cost = _test_scores(net, data)
        record = {
            "epoch": epoch,
            "test_accuracy": accuracy,
            "test_cost": cost,
            "seconds": seconds,
        }
        records.append(record)
        print(
            f"{epoch:5d}  {100 * accuracy:12.2f}%  {cost:9.4f}  {seconds:7.2f}",
            flush=True,
        )
        clock[0] = time.perf_counter()

    interrupted = False
    history: list[dict[str, Any]] = []  # stays empty when interrupted
    clock[0] = time.perf_counter()
    try:
        history = net.fit(
            data.x_train,
            data.y_train,
            epochs=preset.epochs,
            batch_size=preset.batch_size,
            lr=preset.lr,
            rng=args.seed,
            callback=after_epoch,
            progress=not args.no_progress,
            record_batch_costs=args.plot is not None,
        )
    except KeyboardInterrupt:
        interrupted = True
        print(
            f"\ninterrupted: keeping the network after epoch {len(records)}",
            file=sys.stderr,
        )
    if records:
        total = sum(r["seconds"] for r in records)
        best = max(records, key=lambda r: r["test_accuracy"])
        print(
            f"final test accuracy {100 * records[-1]['test_accuracy']:.2f}% "
            f"(best {100 * best['test_accuracy']:.2f}% at epoch {best['epoch']}), "
            f"{total:.2f} s of training"
        )
    if args.save is not None:
        print(f"saved {net.save(args.save)}")
    if args.metrics_out is not None:
        write_json(args.metrics_out, records)
        print(f"wrote {args.metrics_out}")
    if args.plot is not None:
        _plot(
            args.plot,
            curve + records,
            history,
            f"{desc}, {args.preset} preset, seed {args.seed}",
        )
        print(f"wrote {args.plot}")
    return 130 if interrupted else 0


def run_evaluate(args: argparse.Namespace) -> int:
    """Execute ``backprop evaluate``; the exit status."""
    try:
        net = Network.load(args.file)
    except (FileNotFoundError, ValueError) as exc:
        raise SystemExit(f"backprop: error: {exc}") from None
    if net.sizes[0] != 784 or net.sizes[-1] != 10:
        raise SystemExit(
            f"backprop: error: {args.file} holds a {net.sizes} network; MNIST "
            f"needs 784 inputs and 10 outputs"
        )
    data = load_data(args, str(net.dtype))
    accuracy, cost = _test_scores(net, data)
    print(f"{net!r}: test accuracy {100 * accuracy:.2f}%, test cost {cost:.4f}")
    return 0
