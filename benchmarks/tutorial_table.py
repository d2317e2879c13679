"""The tutorial's MNIST table beside ours, for several seeds.

Trains the ``tutorial`` preset (784-200-10, cross-entropy, batch 10, α = 3.0,
N(0, 1) weights and biases, float64) for three epochs with each seed, and writes
the test accuracy before training and after each epoch as an reStructuredText
table (mean, min–max over the seeds) beside the tutorial's published figures. The
docs include the file it writes.

Run: ``python benchmarks/tutorial_table.py [--seeds 0 1 2 3 4]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import backprop
from backprop.mnist.data import load_mnist
from backprop.mnist.presets import PRESETS

#: Before training, then after epochs 1, 2, 3 (percent).
TUTORIAL = (10.66, 92.78, 94.14, 95.13)
OUTPUT = Path(__file__).parents[1] / "docs" / "_include" / "tutorial_table.rst"


def accuracies(seed: int, data: backprop.mnist.data.MNIST) -> list[float]:
    """Test accuracy (percent) before training and after each epoch, for one seed."""
    preset = PRESETS["tutorial"]
    net = backprop.Network(
        preset.sizes, rng=seed, init=preset.init, dtype=preset.dtype, cost=preset.cost
    )
    out = [100 * net.evaluate(data.x_test, data.y_test)]

    def record(epoch: int, weights: list, biases: list) -> None:
        out.append(100 * backprop.evaluate(weights, biases, data.x_test, data.y_test))

    net.fit(
        data.x_train,
        data.y_train,
        epochs=len(TUTORIAL) - 1,
        batch_size=preset.batch_size,
        lr=preset.lr,
        rng=seed,
        callback=record,
    )
    return out


def table(results: np.ndarray, seeds: list[int]) -> str:
    """The reStructuredText table and the notes that go with it."""
    rows = ["before training"] + [f"after epoch {k}" for k in range(1, len(TUTORIAL))]
    cells = [
        (row, f"{tut:.2f} %", f"{col.mean():.2f} % ({col.min():.2f}–{col.max():.2f})")
        for row, tut, col in zip(rows, TUTORIAL, results.T, strict=True)
    ]
    header = (
        "Test accuracy",
        "Tutorial",
        f"backprop-spec, mean (min–max) of {len(seeds)} seeds",
    )
    widths = [max(len(c[k]) for c in [header, *cells]) for k in range(3)]
    rule = "  ".join("=" * w for w in widths)

    def line(cols: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip()

    seed_list = ", ".join(map(str, seeds))
    return "\n".join(
        [
            ".. Written by benchmarks/tutorial_table.py; do not edit by hand.",
            "",
            rule,
            line(header),
            rule,
            *(line(c) for c in cells),
            rule,
            "",
            f"Ours: the ``tutorial`` preset with seeds {seed_list} (one network and one",
            "shuffling order per seed), trained on the standard 60 000 training images",
            "and scored on the standard 10 000 test images. The two columns differ in",
            "set-up, not only in chance:",
            "",
            "- the tutorial shuffles all 70 000 images and holds out the last 10 000 as",
            "  its test set; we use the standard 60 000 / 10 000 split, whose test",
            "  writers are disjoint from the training writers;",
            "- the tutorial's code runs 30 epochs and its text shows the first three;",
            "- its initial weights and shuffling come from its own random generator, so",
            "  its run is one draw from the spread shown in our column;",
            "- at α = 3.0 the accuracy moves by about half a percent from epoch to epoch.",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    data = load_mnist(dtype="float64")
    results = []
    for seed in args.seeds:
        results.append(accuracies(seed, data))
        print(
            f"seed {seed}: " + ", ".join(f"{a:.2f} %" for a in results[-1]), flush=True
        )
    text = table(np.array(results), args.seeds)
    args.output.write_text(text)
    print(text)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
