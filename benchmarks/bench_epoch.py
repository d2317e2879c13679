"""Time one SGD epoch of a 784-200-10 network against the GEMM floor.

The floor is the matrix products one epoch cannot avoid, timed alone on the same
data in the same run: per minibatch, the two forward products (z^1, z^2), the two
weight gradients (BP4 for W^1 and W^2) and the error product back through W^2
(BP2). Everything else an epoch does (sigmoids, BP1, biases, updates, shuffling,
Python overhead) shows up as the ratio epoch / floor.

Both are timed with the BLAS threads that :func:`backprop.sgd` uses by default:
one for batches smaller than ``backprop.training.SMALL_BATCH``, the library's own
setting otherwise (column ``threads``).

Run: ``python benchmarks/bench_epoch.py [--examples 60000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

import backprop
from backprop.training import SMALL_BATCH


def gemm_floor(x: np.ndarray, weights: list[np.ndarray], batch_size: int) -> float:
    """Seconds for the five matrix products of every minibatch of one epoch."""
    w1, w2 = weights
    dtype = x.dtype
    rng = np.random.default_rng(0)
    a1 = rng.random((batch_size, w1.shape[0])).astype(dtype)
    d1 = rng.random((batch_size, w1.shape[0])).astype(dtype)
    d2 = rng.random((batch_size, w2.shape[0])).astype(dtype)
    n = x.shape[0]
    t0 = time.perf_counter()
    for start in range(0, n, batch_size):
        xb = x[start : start + batch_size]
        m = xb.shape[0]
        xb @ w1.T  # z^1
        a1[:m] @ w2.T  # z^2
        d2[:m] @ w2  # BP2: (W^2)^T δ^2
        d2[:m].T @ a1[:m]  # BP4 for W^2
        d1[:m].T @ xb  # BP4 for W^1
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=60_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    # MNIST-like inputs: pixels in [0, 1), mostly zero; labels 0..9.
    pixels = rng.random((args.examples, 784)) * (rng.random((args.examples, 784)) < 0.2)
    labels = rng.integers(0, 10, args.examples)
    print(
        f"{'dtype':8} {'batch':>5} {'threads':>7} {'epoch s':>8} {'floor s':>8} "
        f"{'ratio':>6}"
    )
    for dtype in ("float32", "float64"):
        x = pixels.astype(dtype)
        for batch_size in (10, 64):
            weights, biases = backprop.init_params([784, 200, 10], rng=0, dtype=dtype)
            epoch = floor = float("inf")
            for _ in range(args.repeat):
                _, _, history = backprop.sgd(
                    weights, biases, x, labels, epochs=1, batch_size=batch_size, lr=0.1
                )
                epoch = min(epoch, history[0]["seconds"])
                threads = 1 if batch_size < SMALL_BATCH else None
                with threadpool_limits(limits=threads, user_api="blas"):
                    floor = min(floor, gemm_floor(x, weights, batch_size))
            shown = "1" if threads == 1 else "all"
            print(
                f"{dtype:8} {batch_size:5d} {shown:>7} {epoch:8.3f} {floor:8.3f} "
                f"{epoch / floor:6.2f}"
            )


if __name__ == "__main__":
    main()
