"""MNIST training speed and accuracy: ours beside scikit-learn, a per-example loop,
PyTorch (where installed) and the matrix-product floor, in one run.

For each contender the script trains 784-200-10 sigmoid networks for a fixed
number of epochs on the 60 000 training images and reports seconds per epoch
(training only; evaluation on the 10 000 test images happens outside the timing)
and test accuracy after each epoch, with the ratio of every time to ours at the
same settings:

- ours at the ``tutorial`` preset (batch 10, float64) and the ``fast`` preset,
  plus the time to 95 % of the fast preset for several seeds;
- scikit-learn's ``MLPClassifier`` (logistic hidden layer, plain SGD, no
  momentum, no L2) at batch 10 float64 and batch 64 float32, beside ours at the
  same batch, dtype, learning rate and initial scale;
- a per-example loop in the style of the tutorial's ``network.py`` (column
  vectors, one backward pass per example), timed on a few thousand examples and
  scaled to an epoch;
- the GEMM floor: the five matrix products of every minibatch, alone;
- PyTorch CPU at batch 10 float64 and batch 64 float32, if ``import torch`` works;
- the ``relu-softmax`` preset (ReLU, softmax output, log-likelihood) beside
  scikit-learn's ``MLPClassifier(activation="relu")`` and PyTorch at the same
  settings, and over the seeds (``bench_relu_softmax.py``, also runnable alone).

Run: ``python benchmarks/bench_mnist.py [--epochs 3] [--seeds 0 1 2 3 4]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

import backprop
from backprop.mnist.data import load_mnist
from backprop.mnist.presets import PRESETS
from backprop.training import SMALL_BATCH

sys.path.insert(0, str(Path(__file__).parent))
import itertools

import bench_relu_softmax
from bench_epoch import gemm_floor

TARGET = 0.95


def ours(
    data: Any,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    init: str,
    dtype: str,
    seed: int = 0,
) -> dict[str, Any]:
    """Seconds and test accuracy per epoch of backprop.sgd."""
    x_train = data["x_train"][dtype]
    x_test = data["x_test"][dtype]
    weights, biases = backprop.init_params(
        [784, 200, 10], rng=seed, init=init, dtype=dtype
    )
    accuracy: list[float] = []

    def evaluate(epoch: int, w: list, b: list) -> None:
        accuracy.append(backprop.evaluate(w, b, x_test, data["y_test"]))

    _, _, history = backprop.sgd(
        weights,
        biases,
        x_train,
        data["y_train"],
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        rng=seed,
        callback=evaluate,
    )
    return {"seconds": [h["seconds"] for h in history], "accuracy": accuracy}


def sklearn_mlp(
    data: Any, *, epochs: int, batch_size: int, lr: float, dtype: str, seed: int = 0
) -> dict[str, Any]:
    """Seconds and test accuracy per epoch of scikit-learn's MLPClassifier."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(
        hidden_layer_sizes=(200,),
        activation="logistic",
        solver="sgd",
        alpha=0.0,
        batch_size=batch_size,
        learning_rate="constant",
        learning_rate_init=lr,
        momentum=0.0,
        nesterovs_momentum=False,
        max_iter=1,
        shuffle=True,
        tol=0.0,
        n_iter_no_change=10**9,
        warm_start=True,
        # A RandomState instance, not an int: an int would re-seed at every fit
        # and shuffle every epoch in the same order.
        random_state=np.random.RandomState(seed),
    )
    x_train, x_test = data["x_train"][dtype], data["x_test"][dtype]
    targets = np.eye(10, dtype=dtype)[data["y_train"]]
    seconds, accuracy = [], []
    for _ in range(epochs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t0 = time.perf_counter()
            # One-hot targets make the problem multilabel: a logistic output layer
            # with binary log-loss summed over outputs and averaged over the
            # batch, which is our cross-entropy cost exactly.
            clf.fit(x_train, targets)
            seconds.append(time.perf_counter() - t0)
        predicted = clf.predict_proba(x_test).argmax(axis=1)
        accuracy.append(float(np.mean(predicted == data["y_test"])))
    return {"seconds": seconds, "accuracy": accuracy}


def per_example_loop(
    data: Any, *, examples: int, batch_size: int = 10, lr: float = 3.0, seed: int = 0
) -> float:
    """Seconds per epoch of a loop in the style of the tutorial's network.py.

    One backward pass per example on column vectors, gradients summed over the
    minibatch, then w ← w − (α/m) Σ ∇w; timed on ``examples`` images and scaled.
    """
    rng = np.random.default_rng(seed)
    sizes = [784, 200, 10]
    biases = [rng.standard_normal((y, 1)) for y in sizes[1:]]
    weights = [rng.standard_normal((y, x)) for x, y in itertools.pairwise(sizes)]
    xs = data["x_train"]["float64"][:examples].reshape(-1, 784, 1)
    ys = np.eye(10)[data["y_train"][:examples]].reshape(-1, 10, 1)

    def sigmoid(z: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-z))

    def backprop_one(x: np.ndarray, y: np.ndarray) -> tuple[list, list]:
        nabla_b = [np.zeros(b.shape) for b in biases]
        nabla_w = [np.zeros(w.shape) for w in weights]
        activation, activations, zs = x, [x], []
        for b, w in zip(biases, weights, strict=True):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = activations[-1] - y  # cross-entropy
        nabla_b[-1], nabla_w[-1] = delta, np.dot(delta, activations[-2].T)
        for layer in range(2, len(sizes)):
            sp = sigmoid(zs[-layer]) * (1 - sigmoid(zs[-layer]))
            delta = np.dot(weights[-layer + 1].T, delta) * sp
            nabla_b[-layer], nabla_w[-layer] = (
                delta,
                np.dot(delta, activations[-layer - 1].T),
            )
        return nabla_b, nabla_w

    with threadpool_limits(limits=1, user_api="blas"):
        t0 = time.perf_counter()
        for start in range(0, examples, batch_size):
            nabla_b = [np.zeros(b.shape) for b in biases]
            nabla_w = [np.zeros(w.shape) for w in weights]
            for x, y in zip(
                xs[start : start + batch_size],
                ys[start : start + batch_size],
                strict=True,
            ):
                db, dw = backprop_one(x, y)
                nabla_b = [nb + d for nb, d in zip(nabla_b, db, strict=True)]
                nabla_w = [nw + d for nw, d in zip(nabla_w, dw, strict=True)]
            m = len(xs[start : start + batch_size])
            weights = [
                w - (lr / m) * nw for w, nw in zip(weights, nabla_w, strict=True)
            ]
            biases = [b - (lr / m) * nb for b, nb in zip(biases, nabla_b, strict=True)]
        elapsed = time.perf_counter() - t0
    return elapsed * len(data["y_train"]) / examples


def torch_mlp(
    data: Any, *, epochs: int, batch_size: int, lr: float, dtype: str, seed: int = 0
) -> dict[str, Any] | None:
    """PyTorch CPU at the same settings, or None where torch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(seed)
    own_threads = torch.get_num_threads()
    torch.set_num_threads(_threads(batch_size) or own_threads)
    tdtype = {"float32": torch.float32, "float64": torch.float64}[dtype]
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 200), torch.nn.Sigmoid(), torch.nn.Linear(200, 10)
    ).to(tdtype)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    x = torch.from_numpy(data["x_train"][dtype])
    y = torch.nn.functional.one_hot(torch.from_numpy(data["y_train"]), 10).to(tdtype)
    x_test = torch.from_numpy(data["x_test"][dtype])
    gen = torch.Generator().manual_seed(seed)
    seconds, accuracy = [], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        order = torch.randperm(len(x), generator=gen)
        for start in range(0, len(x), batch_size):
            idx = order[start : start + batch_size]
            opt.zero_grad()
            # Sum over the outputs, mean over the batch: our cross-entropy.
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                model(x[idx]), y[idx], reduction="sum"
            ) / len(idx)
            loss.backward()
            opt.step()
        seconds.append(time.perf_counter() - t0)
        with torch.no_grad():
            accuracy.append(
                float((model(x_test).argmax(1).numpy() == data["y_test"]).mean())
            )
    torch.set_num_threads(own_threads)
    return {"seconds": seconds, "accuracy": accuracy}


def _threads(batch_size: int) -> int | None:
    """The BLAS threads backprop.sgd uses by default at this batch size."""
    return 1 if batch_size < SMALL_BATCH else None


def floor_seconds(data: Any, batch_size: int, dtype: str) -> float:
    """The GEMM floor of one epoch, with the BLAS threads sgd uses at that batch."""
    weights, _ = backprop.init_params([784, 200, 10], rng=0, dtype=dtype)
    with threadpool_limits(limits=_threads(batch_size), user_api="blas"):
        return min(
            gemm_floor(data["x_train"][dtype], weights, batch_size) for _ in range(2)
        )


def peak_memory_mb(data: Any, preset: Any) -> float:
    """Peak memory allocated by NumPy during one epoch of the fast preset (MB)."""
    tracemalloc.start()
    ours(
        data,
        epochs=1,
        batch_size=preset.batch_size,
        lr=preset.lr,
        init=preset.init,
        dtype=preset.dtype,
    )
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def _mean(values: list[float]) -> float:
    return float(np.mean(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--loop-examples", type=int, default=3000)
    parser.add_argument("--skip-sklearn", action="store_true")
    parser.add_argument("--skip-torch", action="store_true")
    parser.add_argument("--skip-relu-softmax", action="store_true")
    parser.add_argument(
        "--json",
        type=Path,
        default=Path(__file__).parent / "results" / "bench_mnist.json",
    )
    args = parser.parse_args()

    mnist = load_mnist(dtype="float64")
    data = {
        "x_train": {
            "float64": mnist.x_train,
            "float32": mnist.x_train.astype(np.float32),
        },
        "x_test": {"float64": mnist.x_test, "float32": mnist.x_test.astype(np.float32)},
        "y_train": mnist.y_train,
        "y_test": mnist.y_test,
    }
    tutorial, fast = PRESETS["tutorial"], PRESETS["fast"]
    rows: list[dict[str, Any]] = []
    results: dict[str, Any] = {"epochs": args.epochs, "rows": rows}

    def row(
        name: str, setting: str, run: dict[str, Any] | None, reference: str | None
    ) -> None:
        if run is None:
            print(f"  {name}: not run")
            return
        record = {
            "name": name,
            "setting": setting,
            **run,
            "seconds_per_epoch": _mean(run["seconds"]),
            "reference": reference,
        }
        rows.append(record)

    # The three settings compared: (label, batch, dtype, lr, init).
    settings = [
        (
            "tutorial: batch 10 float64",
            tutorial.batch_size,
            "float64",
            tutorial.lr,
            "normal",
        ),
        ("batch 64 float32", 64, "float32", fast.lr, "scaled"),
        (
            f"fast: batch {fast.batch_size} {fast.dtype}",
            fast.batch_size,
            fast.dtype,
            fast.lr,
            fast.init,
        ),
    ]
    # Ours first, and the peers after: scikit-learn's and PyTorch's worker
    # threads may keep spinning for a while after they return.
    for label, batch, dtype, lr, init in settings:
        print(f"ours and the GEMM floor, {label} ...", flush=True)
        run = ours(
            data, epochs=args.epochs, batch_size=batch, lr=lr, init=init, dtype=dtype
        )
        row("ours", label, run, None)
        floor = floor_seconds(data, batch, dtype)
        row("GEMM floor", label, {"seconds": [floor], "accuracy": []}, "ours")

    print("time to 95 % of the fast preset ...", flush=True)
    to_target = []
    for seed in args.seeds:
        run = ours(
            data,
            epochs=fast.epochs,
            batch_size=fast.batch_size,
            lr=fast.lr,
            init=fast.init,
            dtype=fast.dtype,
            seed=seed,
        )
        reached = [k for k, acc in enumerate(run["accuracy"]) if acc >= TARGET]
        seconds = sum(run["seconds"][: reached[0] + 1]) if reached else None
        to_target.append(
            {"seed": seed, "seconds": seconds, "accuracy": run["accuracy"]}
        )
    results["fast_time_to_95"] = to_target
    results["fast_peak_memory_mb"] = peak_memory_mb(data, fast)

    print("per-example loop ...", flush=True)
    loop = per_example_loop(data, examples=args.loop_examples)
    row(
        "per-example loop (tutorial style)",
        settings[0][0],
        {"seconds": [loop], "accuracy": []},
        "ours",
    )
    peers = [
        ("scikit-learn MLPClassifier", sklearn_mlp, args.skip_sklearn),
        ("PyTorch CPU", torch_mlp, args.skip_torch),
    ]
    for label, batch, dtype, lr, _ in settings[:2]:
        for name, train, skip in peers:
            if not skip:
                print(f"{name}, {label} ...", flush=True)
                # The peers get the BLAS threads sgd would use at this batch.
                with threadpool_limits(limits=_threads(batch), user_api="blas"):
                    result = train(
                        data, epochs=args.epochs, batch_size=batch, lr=lr, dtype=dtype
                    )
                row(name, label, result, "ours")
    rows.sort(key=lambda r: [s[0] for s in settings].index(r["setting"]))

    print()
    print(
        f"{'contender':36} {'setting':28} {'s/epoch':>8} {'ratio':>6}  test accuracy per epoch"
    )
    for record in rows:
        mine = next(
            r for r in rows if r["name"] == "ours" and r["setting"] == record["setting"]
        )
        ratio = record["seconds_per_epoch"] / mine["seconds_per_epoch"]
        record["ratio_to_ours"] = ratio
        acc = " ".join(f"{100 * a:.2f}" for a in record["accuracy"]) or "-"
        print(
            f"{record['name']:36} {record['setting']:28} {record['seconds_per_epoch']:8.3f} "
            f"{ratio:6.2f}  {acc}"
        )
    print(
        "\nratio = contender's seconds per epoch / ours at the same setting "
        "(ours / floor = 1 / ratio of the floor row)"
    )
    print(
        f"\nfast preset ({fast.batch_size}, lr {fast.lr}, {fast.init}, {fast.dtype}): "
        "training seconds to >= 95 % test accuracy"
    )
    for item in to_target:
        acc = ", ".join(f"{100 * a:.2f} %" for a in item["accuracy"])
        shown = "not reached" if item["seconds"] is None else f"{item['seconds']:.2f} s"
        print(f"  seed {item['seed']}: {shown}  (after each epoch: {acc})")
    print(
        f"peak memory allocated during a fast-preset epoch: "
        f"{results['fast_peak_memory_mb']:.0f} MB (tracemalloc; data set not included)"
    )
    print(
        "\nscikit-learn is given one-hot targets, so its output layer is per-output "
        "sigmoids with cross-entropy averaged over the batch, as ours; its initial "
        "weights are Glorot-uniform. Every contender runs with the BLAS threads "
        "sgd uses at its batch size."
    )
    if not args.skip_relu_softmax:
        print("\nrelu-softmax preset and its peers ...", flush=True)
        relu = bench_relu_softmax.run(
            bench_relu_softmax.load_data(),
            seeds=args.seeds,
            skip_sklearn=args.skip_sklearn,
            skip_torch=args.skip_torch,
        )
        results["relu_softmax"] = relu
        print(bench_relu_softmax.report(relu))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
