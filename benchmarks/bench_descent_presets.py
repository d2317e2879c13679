"""The presets trained with an optimizer and early stopping: epochs, seconds and
accuracies on MNIST.

Each preset of :data:`backprop.model.presets.DESCENT_PRESETS` (``mlp-adam``,
``cnn-adam``) is trained as ``backprop train --preset NAME --metrics-out
FILE.json`` does it, with one BLAS thread: on the first 50 000 training images,
stopped early on the 10 000 validation images, the best epoch kept; the test set
is scored once, at the end. The summary gives the epochs trained, the best
epoch, the seconds of training, the best validation accuracy, the test accuracy
and the load average before and after.

Run: ``python benchmarks/bench_descent_presets.py [mlp-adam cnn-adam] [--seed 0]
[--write]``, or summarise a finished ``backprop train`` run's metrics with
``python benchmarks/bench_descent_presets.py --summarise NAME=FILE.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from backprop.cli import main as backprop_main
from backprop.model.presets import DESCENT_PRESETS

RESULTS = Path(__file__).parent / "results" / "bench_descent_presets.txt"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def summarise(name: str, records: list[dict[str, Any]]) -> str:
    """The learning curve of one ``--metrics-out`` file and its summary line."""
    curve, final = records[:-1], records[-1]
    lines = [f"{'epoch':>5}  {'lr':>8}  {'training':>8}  {'validation':>10}  seconds"]
    for r in curve:
        lr = "" if r["lr"] is None else f"{r['lr']:.2e}"
        lines.append(
            f"{r['epoch']:5d}  {lr:>8}  {100 * r['training_accuracy']:7.2f}%  "
            f"{100 * r['validation_accuracy']:9.2f}%  {r['seconds']:7.1f}"
            f"{'  *' if r['best'] else ''}"
        )
    best = curve[final["best_epoch"]]
    lines.append(
        f"{name}: {curve[-1]['epoch']} epochs "
        f"({'stopped early' if final['stopped_early'] else 'all'}), "
        f"{sum(r['seconds'] for r in curve):.0f} s of training, best epoch "
        f"{final['best_epoch']} (validation {100 * best['validation_accuracy']:.2f}%)"
        f", test accuracy {100 * final['test_accuracy']:.2f}%"
    )
    return "\n".join(lines)


def run(name: str, seed: int) -> str:
    before = load()
    with tempfile.TemporaryDirectory() as tmp:
        metrics = Path(tmp) / "metrics.json"
        with threadpool_limits(limits=1, user_api="blas"):
            status = backprop_main(
                [
                    "train",
                    "--preset",
                    name,
                    "--seed",
                    str(seed),
                    "--metrics-out",
                    str(metrics),
                ]
            )
        if status != 0:
            raise SystemExit(f"backprop train --preset {name} ended with {status}")
        records = json.loads(metrics.read_text())
    return (
        f"# bench_descent_presets {name} --seed {seed}: {DESCENT_PRESETS[name][0]}, "
        f"BLAS threads 1, load average before: {before}\n"
        f"{summarise(name, records)}\n# load average after: {load()}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "presets", nargs="*", metavar="PRESET", help=f"of {list(DESCENT_PRESETS)}"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", action="store_true", help=f"append to {RESULTS}")
    parser.add_argument(
        "--summarise",
        action="append",
        metavar="NAME=FILE.json",
        help="print the summary of a finished run's --metrics-out file",
    )
    args = parser.parse_args()
    for name in args.presets:
        if name not in DESCENT_PRESETS:
            parser.error(f"PRESET must be one of {list(DESCENT_PRESETS)}, got {name!r}")
    sections = []
    for item in args.summarise or []:
        name, _, path = item.partition("=")
        sections.append(summarise(name, json.loads(Path(path).read_text())) + "\n")
    if not args.summarise:
        sections = [run(name, args.seed) for name in args.presets or DESCENT_PRESETS]
    text = "\n".join(sections)
    print(text)
    if args.write:
        with RESULTS.open("a") as fh:
            fh.write("\n" + text)


if __name__ == "__main__":
    main()
