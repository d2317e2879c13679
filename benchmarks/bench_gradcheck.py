"""Time the gradient checks: fast mode on 784-200-10, per entry on a small network.

- fast mode (``spec.check_network(..., fast=True)``) on the tutorial's 784-200-10
  network, 159 010 parameters, a minibatch of m = 10 MNIST-like rows, for each
  numeric method: two random directions per W^l and b^l;
- the per-entry check of a 3-4-2-3 network (35 parameters, m = 5), each method;
- for scale, one ``backprop.gradients`` call on 784-200-10.

BLAS runs on one thread by default (``--threads``): the products here are small,
and on a busy machine OpenBLAS's threads spin (see tests/conftest.py).

Run: ``python benchmarks/bench_gradcheck.py [--repeat 5] [--threads 1]``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from threadpoolctl import threadpool_limits

import backprop
import spec


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    """Fastest of ``repeat`` runs of ``fn``, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def mnist_like(m: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Pixels in [0, 1), about 80 % zero; one-hot targets."""
    rng = np.random.default_rng(seed)
    x = rng.random((m, 784)) * (rng.random((m, 784)) > 0.8)
    return x, np.eye(10)[rng.integers(0, 10, m)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="best of N")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    args = parser.parse_args()
    with threadpool_limits(limits=args.threads, user_api="blas"):
        weights, biases = backprop.init_params([784, 200, 10], rng=0)
        x, y = mnist_like(10)
        print(f"{'check':44} {'seconds':>9}")
        seconds = best_of(
            args.repeat, lambda: backprop.gradients(weights, biases, x, y)
        )
        print(f"{'backprop.gradients 784-200-10, m=10':44} {seconds:9.4f}")
        for method in ("complex", "central", "richardson"):
            seconds = best_of(
                args.repeat,
                lambda m=method: spec.check_network(
                    weights, biases, x, y, method=m, fast=True
                ),
            )
            label = f"fast {method} 784-200-10, m=10 (8 directions)"
            print(f"{label:44} {seconds:9.4f}")
        small_w, small_b = backprop.init_params([3, 4, 2, 3], rng=0)
        rng = np.random.default_rng(1)
        xs, ys = rng.random((5, 3)), np.eye(3)[rng.integers(0, 3, 5)]
        for method in ("central", "complex", "richardson"):
            seconds = best_of(
                args.repeat,
                lambda m=method: spec.check_network(small_w, small_b, xs, ys, method=m),
            )
            label = f"per entry {method} 3-4-2-3, m=5 (35 entries)"
            print(f"{label:44} {seconds:9.4f}")


if __name__ == "__main__":
    main()
