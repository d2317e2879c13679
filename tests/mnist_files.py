"""Small MNIST-shaped IDX files for tests that must not touch the real data."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

RNG = np.random.default_rng(20240601)


def idx_bytes(magic: int, array: np.ndarray) -> bytes:
    """An IDX file: big-endian magic, one big-endian uint32 per dimension, data."""
    header = struct.pack(f">{1 + array.ndim}I", magic, *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx_dir(
    directory: Path, *, gz: bool = False, n_train: int = 5, n_test: int = 3
) -> dict[str, np.ndarray]:
    """Write the four canonical IDX files of random images and labels."""
    arrays = {
        "train-images-idx3-ubyte": RNG.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": RNG.integers(0, 10, n_train),
        "t10k-images-idx3-ubyte": RNG.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": RNG.integers(0, 10, n_test),
    }
    arrays["t10k-images-idx3-ubyte"][0, 0, 0] = 255  # the top of the pixel range
    directory.mkdir(exist_ok=True)
    for name, array in arrays.items():
        data = idx_bytes(2051 if "images" in name else 2049, array)
        if gz:
            (directory / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (directory / name).write_bytes(data)
    return arrays
