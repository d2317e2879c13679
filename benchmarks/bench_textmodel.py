"""Time the character-level model of ``backprop train-text`` and record its figures.

For each model (LSTM and vanilla RNN) at the command's defaults (H = 128, 3
epochs of random 64-step windows, batch 32, Adam 3e-3, gradient clipped to norm
5) on the default text (the standard library's ``pydoc_data.topics``): held-out
bits per character after each epoch beside the unigram and bigram baselines,
and the wall-clock time. The header gives the machine's load and the BLAS
threads used.

Run: ``python benchmarks/bench_textmodel.py [--epochs 3] [--threads 1]
[--models lstm rnn]``; ``results/bench_textmodel.txt`` is one run of it.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

from threadpoolctl import threadpool_limits

from backprop.textmodel import train_text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--models", nargs="+", default=["lstm", "rnn"])
    args = parser.parse_args()
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.2f}, BLAS threads {args.threads}"
    )
    for model in args.models:
        start = time.perf_counter()
        with threadpool_limits(limits=args.threads):
            result = train_text(
                model=model, epochs=args.epochs, progress=False, echo=None
            )
        seconds = time.perf_counter() - start
        print(f"## {model}: {seconds:.1f} s in all (baselines included)")
        print(result.summary())
        print(f"last sample:\n{result.samples[-1]}\n")


if __name__ == "__main__":
    main()
