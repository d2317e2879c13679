"""The CNN preset's training speed beside PyTorch CPU, and its MNIST accuracy.

Speed (the default): the architecture of :func:`backprop.model.cnn_preset`
(conv 5x5x20, ReLU, max pool 2, conv 5x5x40, ReLU, max pool 2, dense 100, ReLU,
dropout as the preset has it, dense 10, softmax loss), batch 64, float32, plain SGD, timed as ours and as
PyTorch's ``torch.nn`` on the CPU, at the same thread count (``threadpoolctl``
for NumPy's BLAS, ``torch.set_num_threads``), on MNIST-shaped random data. Each
contender trains ``--batches`` minibatches, in alternating chunks so that both
meet the same load; seconds per epoch are extrapolated to the 60 000 training
images (938 minibatches) and stated as such. The ratio is ours / PyTorch's; the
load average is printed before and after.

Accuracy (``--train cnn`` or ``--train cnn-short``): trains the preset on
MNIST's 60 000 training images and prints the test accuracy and the training
seconds after each epoch.

Both append their table to ``results/bench_cnn.txt`` with ``--write``.

Run: ``python benchmarks/bench_cnn.py [--batches 200] [--threads 1 2] [--write]``
or ``python benchmarks/bench_cnn.py --train cnn [--seed 0] [--epochs N] [--keep Q]
[--write]`` (``--epochs`` and ``--keep``, the dropout, replace the preset's).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import platform
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from backprop.model import Dropout, Model, cnn_preset

RESULTS = Path(__file__).parent / "results" / "bench_cnn.txt"
BATCH = 64
EPOCH_EXAMPLES = 60_000
CHUNK = 25  # minibatches per alternating chunk


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def clocks() -> np.ndarray:
    """Wall-clock and CPU seconds (this process, all its threads) so far."""
    return np.array([time.perf_counter(), time.process_time()])


def ours_chunk(model: Model, x: np.ndarray, y: np.ndarray, lr: float) -> np.ndarray:
    """Wall and CPU seconds for SGD over every minibatch of ``x``."""
    start = clocks()
    model.fit(x, y, epochs=1, batch_size=BATCH, lr=lr, rng=0)
    return clocks() - start


def torch_model(torch, keep: float | None):  # type: ignore[no-untyped-def]
    """The preset's architecture in ``torch.nn`` (its ``p`` is the drop rate)."""
    nn = torch.nn
    dropout = [] if keep is None else [nn.Dropout(p=1 - keep)]
    return nn.Sequential(
        nn.Conv2d(1, 20, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(20, 40, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(640, 100),
        nn.ReLU(),
        *dropout,
        nn.Linear(100, 10),
    )


def torch_chunk(torch, net, opt, x, y) -> np.ndarray:  # type: ignore[no-untyped-def]
    start = clocks()
    for i in range(0, x.shape[0], BATCH):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(
            net(x[i : i + BATCH]), y[i : i + BATCH]
        )
        loss.backward()
        opt.step()
    return clocks() - start


def speed(batches: int, threads: list[int]) -> list[str]:
    import torch

    lr = 0.05
    rng = np.random.default_rng(0)
    n = CHUNK * BATCH
    # MNIST-like inputs: pixels in [0, 1), mostly zero.
    pixels = (rng.random((n, 784)) * (rng.random((n, 784)) < 0.2)).astype(np.float32)
    labels = rng.integers(0, 10, n)
    tx = torch.from_numpy(pixels.reshape(n, 1, 28, 28))
    ty = torch.from_numpy(labels)
    chunks = math.ceil(batches / CHUNK)
    scale = math.ceil(EPOCH_EXAMPLES / BATCH) / (chunks * CHUNK)
    architecture = ", ".join(repr(layer) for layer in cnn_preset()[0].layers)
    lines = [
        (
            f"# bench_cnn speed: {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} cores, numpy {np.__version__}, torch {torch.__version__}"
        ),
        (
            f"# {chunks * CHUNK} minibatches of {BATCH} per contender, float32, "
            f"extrapolated to an epoch of {EPOCH_EXAMPLES} ({math.ceil(EPOCH_EXAMPLES / BATCH)} "
            "minibatches)"
        ),
        f"# architecture: {architecture}",
        (
            "# wall: elapsed seconds; cpu: CPU seconds of the process over all its "
            "threads (at one thread, the time a"
        ),
        (
            "# busy machine does not inflate by scheduling; at two, it counts both "
            "threads, spinning included)"
        ),
        f"# load average before: {load()}",
        (
            f"{'threads':>7} {'ours wall':>9} {'torch wall':>10} {'ratio':>6} "
            f"{'ours cpu':>9} {'torch cpu':>9} {'ratio':>6}   (s/epoch)"
        ),
    ]
    print("\n".join(lines), flush=True)
    for t in threads:
        torch.set_num_threads(t)
        model, _ = cnn_preset(rng=0)
        dropout = [layer.keep for layer in model.layers if isinstance(layer, Dropout)]
        torch.manual_seed(0)
        net = torch_model(torch, dropout[0] if dropout else None)
        opt = torch.optim.SGD(net.parameters(), lr=lr)
        with threadpool_limits(limits=t, user_api="blas"):
            ours_chunk(model, pixels[: 4 * BATCH], labels[: 4 * BATCH], lr)  # warm-up
            torch_chunk(torch, net, opt, tx[: 4 * BATCH], ty[: 4 * BATCH])
            ours = np.zeros(2)
            theirs = np.zeros(2)
            for _ in range(chunks):
                ours += ours_chunk(model, pixels, labels, lr)
                theirs += torch_chunk(torch, net, opt, tx, ty)
        (ow, oc), (tw, tc) = ours * scale, theirs * scale
        line = (
            f"{t:7d} {ow:9.2f} {tw:10.2f} {ow / tw:6.2f} {oc:9.2f} {tc:9.2f} "
            f"{oc / tc:6.2f}"
        )
        print(line, flush=True)
        lines.append(line)
    lines.append(f"# load average after: {load()}")
    print(lines[-1])
    return lines


def train(
    preset: str, seed: int, threads: int | None, epochs: int | None, keep: float | None
) -> list[str]:
    from backprop.mnist import load_mnist

    data = load_mnist()
    model, settings = cnn_preset(preset, rng=seed, keep=keep)
    if epochs is not None:
        settings = dataclasses.replace(settings, epochs=epochs)
    dropout = [layer for layer in model.layers if isinstance(layer, Dropout)]
    lines = [
        (
            f"# bench_cnn --train {preset} --seed {seed}: {settings}, dropout "
            f"{dropout[0].keep if dropout else 'none'}, BLAS threads "
            f"{threads or 'all'}, load average before: {load()}"
        ),
        f"{'epoch':>5} {'train s':>8} {'total s':>8} {'loss':>7} {'test acc':>8}",
    ]
    print("\n".join(lines), flush=True)
    total = 0.0

    def report(epoch: int, m: Model, record: dict) -> None:  # type: ignore[type-arg]
        nonlocal total
        total += record["seconds"]
        acc = m.accuracy(data.x_test, data.y_test)
        line = (
            f"{epoch:5d} {record['seconds']:8.1f} {total:8.1f} {record['loss']:7.4f} "
            f"{100 * acc:7.2f}%"
        )
        print(line, flush=True)
        lines.append(line)

    model.fit(
        data.x_train,
        data.y_train,
        **settings.as_dict(),
        rng=seed,
        callback=report,
        blas_threads=threads,
    )
    lines.append(f"# load average after: {load()}")
    print(lines[-1])
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=200, help="per contender")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--train", choices=["cnn", "cnn-short"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, help="instead of the preset's")
    parser.add_argument(
        "--keep", type=float, help="dropout keep, instead of the preset's"
    )
    parser.add_argument("--write", action="store_true", help=f"append to {RESULTS}")
    args = parser.parse_args()
    if args.train:
        threads = args.threads[0] if len(args.threads) == 1 else None
        lines = train(args.train, args.seed, threads, args.epochs, args.keep)
    else:
        lines = speed(args.batches, args.threads)
    if args.write:
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n\n")


if __name__ == "__main__":
    main()
