"""Time the proofs of BP1-BP4 and the oracle, every run from cold caches.

1. ``spec.prove_general`` (every width and batch size), each cost.
2. ``spec.prove_backprop`` for fixed sizes at batch size m (default 2), both costs
   of a sigmoid network and, beyond it, ReLU + softmax with the log-likelihood and
   tanh with the quadratic cost: derive both gradients (direct differentiation of
   the composed mean cost, and the recursion), then decide equality by exact
   evaluation modulo 2^61 - 1.
3. The family [n, 2n, 2n, n], n = 10, 12, ..., proven until one takes more than
   ``--budget`` seconds (default 60), both costs; the sweep lifts
   ``spec.DERIVATION_LIMIT`` for this.
4. ``spec.oracle_gradients`` on networks of at least 1 000 parameters: the first
   call (derive and compile) and a later one (evaluate only).

Every run empties spec's caches and SymPy's first; the best of ``--repeat`` runs
is reported. The header gives the machine's load while it ran.

Run: ``python benchmarks/bench_proofs.py [--m 2] [--repeat 1] [--budget 60]
[--only general fixed oracle largest]`` (the results in ``results/bench_proofs.txt``
are one run of it; ``results/bench_proofs_fixed.txt`` one of ``--only fixed``).
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import time

import numpy as np
import sympy

import spec
import spec.derive

SIZES = [(3, 4, 3, 2), (5, 8, 8, 4), (8, 12, 12, 6), (10, 20, 20, 10)]
ORACLE_SIZES = [(20, 40, 10), (32, 32, 10), (10, 20, 20, 10)]
#: The costs of a sigmoid network (the log-likelihood needs a softmax output).
SIGMOID_COSTS = ("quadratic", "cross_entropy")
#: (cost, activations) of the fixed-size proofs: the sigmoid network's two, then
#: two beyond it.
CASES: list[tuple[str, tuple[str, str] | None]] = [
    ("quadratic", None),
    ("cross_entropy", None),
    ("log_likelihood", ("relu", "softmax")),
    ("quadratic", ("tanh", "tanh")),
]


def cold() -> None:
    """Empty spec's derivation caches and SymPy's own."""
    spec.clear_caches()
    sympy.core.cache.clear_cache()


def cold_proof(
    sizes: tuple[int, ...],
    m: int,
    cost: str,
    activations: tuple[str, str] | None = None,
) -> spec.ProofResult:
    """Prove once with every cache emptied first."""
    cold()
    result = spec.prove_backprop(sizes, m=m, cost=cost, activations=activations, seed=0)
    if not result.proven:
        raise RuntimeError(str(result))
    return result


def general(repeat: int) -> None:
    print("prove_general (every size), cold caches")
    print(f"{'cost':14} {'lemmas':>6} {'seconds':>8}")
    for cost in SIGMOID_COSTS:
        best = float("inf")
        for _ in range(repeat):
            cold()
            proof = spec.prove_general(cost=cost)
            if not proof.proven:
                raise RuntimeError(proof.table())
            best = min(best, proof.seconds)
        print(f"{cost:14} {len(proof.lemmas):6d} {best:8.2f}")


def fixed(sizes_list: list[tuple[int, ...]], m: int, repeat: int) -> None:
    print(f"\nprove_backprop, m = {m}, cold caches")
    header = (
        f"{'sizes':14} {'cost':14} {'activations':16} {'params':>6} {'P*m*L':>6} "
        f"{'derive s':>9}"
    )
    print(f"{header} {'prove s':>8} {'total s':>8}")
    for sizes in sizes_list:
        for cost, activations in CASES:
            runs = [cold_proof(sizes, m, cost, activations) for _ in range(repeat)]
            best = min(runs, key=lambda result: result.seconds)
            work = best.entries * m * (len(sizes) - 1)
            layers = "/".join(activations or ("sigmoid", "sigmoid"))
            print(
                f"{'-'.join(map(str, sizes)):14} {cost:14} {layers:16} "
                f"{best.entries:6d} "
                f"{work:6d} {best.derive_seconds:9.2f} {best.check_seconds:8.2f} "
                f"{best.seconds:8.2f}"
            )


def largest(m: int, budget: float) -> None:
    print(f"\nlargest [n, 2n, 2n, n] proven within {budget:g} s, m = {m}")
    print("(the sweep lifts DERIVATION_LIMIT to find where the budget ends)")
    print(f"{'sizes':14} {'cost':14} {'params':>6} {'P*m*L':>6} {'total s':>8}")
    limit = spec.derive.DERIVATION_LIMIT
    spec.derive.DERIVATION_LIMIT = 10**9
    try:
        for cost in SIGMOID_COSTS:
            for n in range(10, 100, 2):
                sizes = (n, 2 * n, 2 * n, n)
                result = cold_proof(sizes, m, cost)
                work = result.entries * m * 3
                within = "" if result.seconds <= budget else "  over budget"
                print(
                    f"{'-'.join(map(str, sizes)):14} {cost:14} {result.entries:6d} "
                    f"{work:6d} {result.seconds:8.2f}{within}",
                    flush=True,
                )
                if result.seconds > budget:
                    break
    finally:
        spec.derive.DERIVATION_LIMIT = limit


def oracle(m: int) -> None:
    print(f"\noracle_gradients (cross-entropy), m = {m}, cold caches")
    print(f"{'sizes':14} {'params':>6} {'first s':>8} {'later s':>8}")
    rng = np.random.default_rng(0)
    for sizes in ORACLE_SIZES:
        weights = [
            rng.standard_normal((n, n_prev)) for n_prev, n in itertools.pairwise(sizes)
        ]
        biases = [rng.standard_normal(n) for n in sizes[1:]]
        x, y = rng.random((m, sizes[0])), rng.random((m, sizes[-1]))
        cold()
        start = time.perf_counter()
        spec.oracle_gradients(weights, biases, x, y)
        first = time.perf_counter() - start
        start = time.perf_counter()
        spec.oracle_gradients(weights, biases, x, y)
        later = time.perf_counter() - start
        print(
            f"{'-'.join(map(str, sizes)):14} {spec.parameter_count(sizes):6d} "
            f"{first:8.2f} {later:8.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--m", type=int, default=2, help="batch size")
    parser.add_argument("--repeat", type=int, default=1, help="best of N")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds")
    sections = ("general", "fixed", "oracle", "largest")
    parser.add_argument(
        "--only", nargs="+", choices=sections, default=sections, help="sections"
    )
    args = parser.parse_args()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"# {platform.python_implementation()} {platform.python_version()}, "
        f"SymPy {sympy.__version__}, {os.cpu_count()} cores, load average "
        f"(1, 5, 15 min) at start {load}; DERIVATION_LIMIT {spec.DERIVATION_LIMIT}"
    )
    if "general" in args.only:
        general(args.repeat)
    if "fixed" in args.only:
        fixed(SIZES, args.m, args.repeat)
    if "oracle" in args.only:
        oracle(args.m)
    if "largest" in args.only:
        largest(args.m, args.budget)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\n# load average at end {load}")


if __name__ == "__main__":
    main()
