"""Time the proof that BP1-BP4 equal the direct derivative, from a cold cache.

For each network and cost (batch size m = 2 by default): derive both gradients
(direct differentiation of the composed mean cost, and the recursion), then decide
equality by exact evaluation modulo 2^61 - 1 (``spec.prove_backprop``). Every run
starts from empty caches; the best of ``--repeat`` runs is reported.

Run: ``python benchmarks/bench_proofs.py [--m 2] [--repeat 1]``.
"""

from __future__ import annotations

import argparse

import spec

SIZES = [(3, 4, 3, 2), (4, 5, 5, 3), (5, 8, 8, 4)]


def cold_proof(sizes: tuple[int, ...], m: int, cost: str) -> spec.ProofResult:
    """Prove once with every derivation cache emptied first."""
    spec.clear_caches()
    result = spec.prove_backprop(sizes, m=m, cost=cost, seed=0)
    if not result.proven:
        raise RuntimeError(str(result))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--m", type=int, default=2, help="batch size")
    parser.add_argument("--repeat", type=int, default=1, help="best of N")
    args = parser.parse_args()
    header = f"{'sizes':14} {'cost':14} {'params':>6} {'derive s':>9} {'prove s':>8}"
    print(f"{header} {'total s':>8}")
    for sizes in SIZES:
        for cost in spec.COSTS:
            runs = [cold_proof(sizes, args.m, cost) for _ in range(args.repeat)]
            best = min(runs, key=lambda result: result.seconds)
            print(
                f"{'-'.join(map(str, sizes)):14} {cost:14} {best.entries:6d} "
                f"{best.derive_seconds:9.2f} {best.check_seconds:8.3f} "
                f"{best.seconds:8.2f}"
            )


if __name__ == "__main__":
    main()
