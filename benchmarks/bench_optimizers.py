"""Time to a fixed validation accuracy on MNIST for each rule of
``backprop.optimizers``, ours beside ``torch.optim`` on the same model, as ratios.

The model: 784-100-10, ReLU hidden units, softmax output with the log-likelihood
averaged over the minibatch, He-normal weights and zero biases (PyTorch's copied
from ours), float32, batch 64, the same minibatch order on both sides. Training
is on the 50 000 training images; after every epoch both are scored on the 10 000
validation images (the test set is not touched), and the clock (training only)
stops at the first epoch that reaches ``--target`` (97 % by default). Both run on
one thread (BLAS and PyTorch's own): the fair comparison on a shared machine.

``python benchmarks/bench_optimizers.py [--target 0.97] [--max-epochs 10]
[--rules sgd momentum ...]`` prints a table and writes
``results/bench_optimizers.{txt,json}``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

import backprop
from backprop import optimizers
from backprop.mnist.data import load_mnist

RESULTS = Path(__file__).parent / "results"
SIZES = (784, 100, 10)
BATCH = 64
ACTIVATIONS = ("relu", "softmax")

#: Each rule with its hyper-parameters: ours, and torch.optim's name and keywords.
RULES: dict[str, tuple[dict[str, Any], str, dict[str, Any]]] = {
    "sgd": ({"lr": 0.1}, "SGD", {"lr": 0.1}),
    "momentum": ({"lr": 0.02, "momentum": 0.9}, "SGD", {"lr": 0.02, "momentum": 0.9}),
    "nesterov": (
        {"lr": 0.02, "momentum": 0.9},
        "SGD",
        {"lr": 0.02, "momentum": 0.9, "nesterov": True},
    ),
    "adagrad": ({"lr": 0.05}, "Adagrad", {"lr": 0.05, "eps": 1e-10}),
    "rmsprop": (
        {"lr": 0.001, "decay_rate": 0.99, "eps": 1e-8},
        "RMSprop",
        {"lr": 0.001, "alpha": 0.99, "eps": 1e-8},
    ),
    "adam": ({"lr": 0.001}, "Adam", {"lr": 0.001}),
    "adamw": (
        {"lr": 0.001, "weight_decay": 0.01},
        "AdamW",
        {"lr": 0.001, "weight_decay": 0.01},
    ),
}


def _data() -> dict[str, np.ndarray]:
    mnist = load_mnist()
    x, y = mnist.x_train, mnist.y_train
    return {
        "x_train": x[:50_000],
        "y_train": y[:50_000].astype(np.int64),
        "x_valid": x[50_000:],
        "y_valid": y[50_000:].astype(np.int64),
    }


def ours(
    rule: str, data: dict[str, np.ndarray], orders: list[np.ndarray], target: float
) -> dict[str, Any]:
    kwargs = RULES[rule][0]
    step = optimizers.get_optimizer(rule)
    weights, biases = backprop.init_params(
        list(SIZES), rng=0, init="he", dtype="float32"
    )
    params: Any = [weights, biases]
    state = None
    seconds, accuracy = 0.0, []
    for order in orders:
        t0 = time.perf_counter()
        for start in range(0, len(order), BATCH):
            batch = order[start : start + BATCH]
            grads = backprop.gradients(
                params[0], params[1], data["x_train"][batch], data["y_train"][batch],
                cost="log_likelihood", activations=ACTIVATIONS,
            )  # fmt: skip
            params, state = step(params, list(grads), state, **kwargs)
        seconds += time.perf_counter() - t0
        accuracy.append(
            backprop.evaluate(
                params[0], params[1], data["x_valid"], data["y_valid"], ACTIVATIONS
            )
        )
        if accuracy[-1] >= target:
            return {"epochs": len(accuracy), "seconds": seconds, "accuracy": accuracy}
    return {"epochs": None, "seconds": seconds, "accuracy": accuracy}


def torch_run(
    rule: str, data: dict[str, np.ndarray], orders: list[np.ndarray], target: float
) -> dict[str, Any] | None:
    try:
        import torch
    except ImportError:
        return None
    _, name, kwargs = RULES[rule]
    torch.set_num_threads(1)
    weights, biases = backprop.init_params(
        list(SIZES), rng=0, init="he", dtype="float32"
    )
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10)
    )
    with torch.no_grad():
        for layer, w, b in zip((model[0], model[2]), weights, biases, strict=True):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
    opt = getattr(torch.optim, name)(model.parameters(), **kwargs)
    x_train = torch.from_numpy(data["x_train"])
    y_train = torch.from_numpy(data["y_train"])
    x_valid = torch.from_numpy(data["x_valid"])
    seconds, accuracy = 0.0, []
    for order in orders:
        index = torch.from_numpy(order)
        t0 = time.perf_counter()
        for start in range(0, len(order), BATCH):
            batch = index[start : start + BATCH]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(
                model(x_train[batch]), y_train[batch]
            )
            loss.backward()
            opt.step()
        seconds += time.perf_counter() - t0
        with torch.no_grad():
            predicted = model(x_valid).argmax(dim=1).numpy()
        accuracy.append(float(np.mean(predicted == data["y_valid"])))
        if accuracy[-1] >= target:
            return {"epochs": len(accuracy), "seconds": seconds, "accuracy": accuracy}
    return {"epochs": None, "seconds": seconds, "accuracy": accuracy}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", type=float, default=0.97)
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument("--rules", nargs="+", default=list(RULES), choices=list(RULES))
    args = parser.parse_args(argv)
    data = _data()
    rng = np.random.default_rng(0)
    orders = [rng.permutation(50_000) for _ in range(args.max_epochs)]
    rows, results = [], {}
    with threadpool_limits(1):
        for rule in args.rules:
            mine = ours(rule, data, orders, args.target)
            theirs = torch_run(rule, data, orders, args.target)
            results[rule] = {"ours": mine, "torch": theirs}
            ratio = (
                f"{mine['seconds'] / theirs['seconds']:.2f}"
                if theirs and mine["epochs"] and theirs["epochs"]
                else "-"
            )
            row = (
                f"{rule:<9} ours {mine['epochs'] or '>' + str(args.max_epochs):>3} epochs "
                f"{mine['seconds']:7.1f} s (valid. {mine['accuracy'][-1]:.4f})   torch "
                + (
                    f"{theirs['epochs'] or '>' + str(args.max_epochs):>3} epochs "
                    f"{theirs['seconds']:7.1f} s (valid. {theirs['accuracy'][-1]:.4f})"
                    if theirs
                    else "not installed"
                )
                + f"   ours/torch {ratio}"
            )
            print(row, flush=True)
            rows.append(row)
    head = (
        f"Time to {100 * args.target:.1f} % validation accuracy, 784-100-10 ReLU/softmax, "
        f"batch {BATCH}, float32, one thread; load average {os.getloadavg()[0]:.1f}"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_optimizers.txt").write_text(
        "\n".join([head, *rows]) + "\n", encoding="utf-8"
    )
    (RESULTS / "bench_optimizers.json").write_text(
        json.dumps(
            {"target": args.target, "batch": BATCH, "results": results}, indent=2
        ),
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
