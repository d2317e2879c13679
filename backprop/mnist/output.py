"""What the MNIST commands share: the data loaded with a line saying so, outputs
checked writable before training, and JSON records written atomically."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from backprop.files import atomic_write
from backprop.mnist.data import MNIST, load_mnist

__all__ = [
    "check_writable",
    "load_data",
    "write_json",
]


def check_writable(path: Path | None, option: str) -> None:
    """Fail before training, not after, when an output cannot be written."""
    if path is not None and not path.resolve().parent.is_dir():
        raise SystemExit(
            f"backprop: error: {option} {path}: directory {path.parent} does not exist"
        )


def write_json(path: Path, records: list[dict[str, Any]]) -> None:
    with atomic_write(path, "w") as fh:
        json.dump(records, fh, indent=2)
        fh.write("\n")


def load_data(args: argparse.Namespace, dtype: str) -> MNIST:
    t0 = time.perf_counter()
    data = load_mnist(args.data_dir, cache_dir=args.cache_dir, dtype=dtype)
    print(
        f"MNIST: {len(data.y_train)} training and {len(data.y_test)} test images "
        f"({time.perf_counter() - t0:.1f} s to load)",
        flush=True,
    )
    return data
