"""MNIST with ReLU hidden units and a softmax output: ours at the ``relu-softmax``
preset beside scikit-learn's ``MLPClassifier(activation="relu")`` and PyTorch at the
same settings, and ours over several seeds.

The same settings: 784-200-10, ReLU, softmax output with the log-likelihood
(multiclass log-loss, ``torch.nn.functional.cross_entropy``) averaged over the
minibatch, plain SGD (no momentum, no schedule) with the preset's L2 term, batch
size, learning rate, dtype and epochs. Initial weights: ours and PyTorch's He-normal with
zero biases; scikit-learn's are its own Glorot-uniform (it has no option). Times
are seconds per epoch of training only; every contender runs with the BLAS threads
``backprop.sgd`` uses at the batch size.

Run alone, ``python benchmarks/bench_relu_softmax.py [--seeds 0 1 2 3 4]
[--threads N]``, it writes ``results/bench_relu_softmax.{txt,json}``;
``bench_mnist.py`` runs it too. ``--threads 1`` runs every contender on one thread
(BLAS and PyTorch's own), the fair comparison on a machine whose cores are busy
with other work, where spinning worker threads slow small products many times over.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

import backprop
from backprop.mnist.data import load_mnist
from backprop.mnist.presets import PRESETS
from backprop.training import SMALL_BATCH

PRESET = PRESETS["relu-softmax"]
TARGET = 0.975
RESULTS = Path(__file__).parent / "results"


#: Threads of every contender; None: what backprop.sgd uses at the batch size.
THREADS: list[int | None] = [None]


def _threads(batch_size: int) -> int | None:
    if THREADS[0] is not None:
        return THREADS[0]
    return 1 if batch_size < SMALL_BATCH else None


def ours(data: Any, *, epochs: int, seed: int = 0) -> dict[str, Any]:
    """Seconds and test accuracy per epoch of backprop.sgd at the preset."""
    p = PRESET
    weights, biases = backprop.init_params(
        list(p.sizes), rng=seed, init=p.init, dtype=p.dtype
    )
    accuracy: list[float] = []

    def evaluate(epoch: int, w: list, b: list) -> None:
        accuracy.append(
            backprop.evaluate(w, b, data["x_test"], data["y_test"], p.activations)
        )

    _, _, history = backprop.sgd(
        weights,
        biases,
        data["x_train"],
        data["y_train"],
        epochs=epochs,
        batch_size=p.batch_size,
        lr=p.lr,
        cost=p.cost,
        activations=p.activations,
        l2=p.l2,
        rng=seed,
        callback=evaluate,
        blas_threads=THREADS[0],
    )
    return {"seconds": [h["seconds"] for h in history], "accuracy": accuracy}


def sklearn_mlp(data: Any, *, epochs: int, seed: int = 0) -> dict[str, Any]:
    """scikit-learn's MLPClassifier with ReLU and its softmax + log-loss output."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    p = PRESET
    clf = MLPClassifier(
        hidden_layer_sizes=p.sizes[1:-1],
        activation="relu",
        solver="sgd",
        # scikit-learn adds alpha / (2 m) Σ‖W‖² to the mean loss of a batch of m.
        alpha=p.l2 * p.batch_size,
        batch_size=p.batch_size,
        learning_rate="constant",
        learning_rate_init=p.lr,
        momentum=0.0,
        nesterovs_momentum=False,
        max_iter=1,
        shuffle=True,
        tol=0.0,
        n_iter_no_change=10**9,
        warm_start=True,
        random_state=np.random.RandomState(seed),  # not re-seeded at every fit
    )
    seconds, accuracy = [], []
    for _ in range(epochs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t0 = time.perf_counter()
            # Integer labels: a softmax output with multiclass log-loss averaged
            # over the batch, our log-likelihood cost.
            clf.fit(data["x_train"], data["y_train"])
            seconds.append(time.perf_counter() - t0)
        accuracy.append(float(np.mean(clf.predict(data["x_test"]) == data["y_test"])))
    return {"seconds": seconds, "accuracy": accuracy}


def torch_mlp(data: Any, *, epochs: int, seed: int = 0) -> dict[str, Any] | None:
    """PyTorch CPU at the same settings, or None where torch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    p = PRESET
    torch.manual_seed(seed)
    own_threads = torch.get_num_threads()
    torch.set_num_threads(_threads(p.batch_size) or own_threads)
    tdtype = {"float32": torch.float32, "float64": torch.float64}[p.dtype]
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 200), torch.nn.ReLU(), torch.nn.Linear(200, 10)
    ).to(tdtype)
    for layer in (model[0], model[2]):  # He-normal, zero biases: as ours
        torch.nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
        torch.nn.init.zeros_(layer.bias)
    # Weight decay on the weights only, as ours: λ W added to their gradients.
    opt = torch.optim.SGD(
        [
            {"params": [model[0].weight, model[2].weight], "weight_decay": p.l2},
            {"params": [model[0].bias, model[2].bias], "weight_decay": 0.0},
        ],
        lr=p.lr,
    )
    x = torch.from_numpy(data["x_train"])
    y = torch.from_numpy(data["y_train"]).long()
    x_test = torch.from_numpy(data["x_test"])
    gen = torch.Generator().manual_seed(seed)
    seconds, accuracy = [], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        order = torch.randperm(len(x), generator=gen)
        for start in range(0, len(x), p.batch_size):
            idx = order[start : start + p.batch_size]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        seconds.append(time.perf_counter() - t0)
        with torch.no_grad():
            predicted = model(x_test).argmax(1).numpy()
        accuracy.append(float((predicted == data["y_test"]).mean()))
    torch.set_num_threads(own_threads)
    return {"seconds": seconds, "accuracy": accuracy, "version": torch.__version__}


def load_data() -> dict[str, Any]:
    """MNIST in the preset's dtype."""
    mnist = load_mnist(dtype=PRESET.dtype)
    return {
        "x_train": mnist.x_train,
        "y_train": mnist.y_train,
        "x_test": mnist.x_test,
        "y_test": mnist.y_test,
    }


def run(
    data: Any, *, seeds: list[int], skip_sklearn: bool = False, skip_torch: bool = False
) -> dict[str, Any]:
    """Ours over ``seeds``, then the peers at seed 0; the rows and the seed table."""
    epochs = PRESET.epochs
    load_before = os.getloadavg()[0]
    by_seed = [{"seed": s, **ours(data, epochs=epochs, seed=s)} for s in seeds]
    rows = [{"name": "ours", **by_seed[0]}]
    peers = [("scikit-learn MLPClassifier", sklearn_mlp, skip_sklearn)]
    peers.append(("PyTorch CPU", torch_mlp, skip_torch))
    for name, train, skip in peers:
        if skip:
            continue
        with threadpool_limits(limits=_threads(PRESET.batch_size), user_api="blas"):
            result = train(data, epochs=epochs)
        if result is not None:
            rows.append({"name": name, **result})
    for r in rows:
        r["seconds_per_epoch"] = float(np.mean(r["seconds"]))
        r["ratio_to_ours"] = r["seconds_per_epoch"] / rows[0]["seconds_per_epoch"]
    return {
        "preset": PRESET.as_dict(),
        "threads": THREADS[0],
        "load_average": [load_before, os.getloadavg()[0]],
        "cpus": os.cpu_count(),
        "rows": rows,
        "seeds": by_seed,
    }


def report(results: dict[str, Any]) -> str:
    """The table and the per-seed accuracies, as text."""
    p = PRESET
    setting = f"relu-softmax: batch {p.batch_size} {p.dtype}"
    header = f"{'contender':36} {'setting':28} {'s/epoch':>8} {'ratio':>6}  "
    lines = [header + "test accuracy per epoch"]
    for r in results["rows"]:
        acc = " ".join(f"{100 * a:.2f}" for a in r["accuracy"])
        lines.append(
            f"{r['name']:36} {setting:28} {r['seconds_per_epoch']:8.3f} "
            f"{r['ratio_to_ours']:6.2f}  {acc}"
        )
    lines.append(
        f"\nrelu-softmax preset ({p.batch_size}, lr {p.lr}, {p.init}, {p.dtype}, "
        f"{p.epochs} epochs): test accuracy after each epoch, by seed"
    )
    for item in results["seeds"]:
        acc = ", ".join(f"{100 * a:.2f} %" for a in item["accuracy"])
        ok = "ok" if item["accuracy"][-1] >= TARGET else "BELOW 97.5 %"
        mean = float(np.mean(item["seconds"]))
        lines.append(f"  seed {item['seed']}: {acc}  ({mean:.2f} s/epoch, {ok})")
    threads = results.get("threads")
    load = results.get("load_average")
    if load:
        lines.append(
            f"\n1-minute load average {load[0]:.1f} at the start, {load[1]:.1f} at "
            f"the end, on {results.get('cpus')} CPUs: times are wall clock and "
            "grow with the machine's other work."
        )
    lines.append(
        f"\nthreads: {threads or 'as backprop.sgd chooses at the batch size'}; "
        "scikit-learn starts from its Glorot-uniform weights, ours and PyTorch "
        "from He-normal weights and zero biases; all three descend the batch-mean "
        "log-likelihood of a softmax output plus the L2 term on the weights by plain SGD."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--skip-sklearn", action="store_true")
    parser.add_argument("--skip-torch", action="store_true")
    parser.add_argument("--threads", type=int, help="threads of every contender")
    args = parser.parse_args()
    THREADS[0] = args.threads
    results = run(
        load_data(),
        seeds=args.seeds,
        skip_sklearn=args.skip_sklearn,
        skip_torch=args.skip_torch,
    )
    text = report(results)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_relu_softmax.txt").write_text(text + "\n")
    (RESULTS / "bench_relu_softmax.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
