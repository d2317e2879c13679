"""Named training set-ups for MNIST: the tutorial's, a fast one, and a ReLU network
with a softmax output."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

__all__ = ["PRESETS", "Preset"]


@dataclass(frozen=True)
class Preset:
    """Everything that defines a training run but the data and the seed."""

    sizes: tuple[int, ...]
    cost: str
    batch_size: int
    lr: float
    init: str
    dtype: str
    epochs: int
    #: (hidden, output) activations, as :func:`backprop.resolve_activations`
    #: reads a pair: any number of hidden layers, then the output layer.
    activations: tuple[str, str] = ("sigmoid", "sigmoid")
    l2: float = 0.0

    def with_overrides(self, **changes: Any) -> Preset:
        """A copy with the given fields replaced; ``None`` values are ignored."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def as_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict."""
        d = asdict(self)
        d["sizes"] = list(self.sizes)
        d["activations"] = list(self.activations)
        return d


PRESETS = {
    # The tutorial's set-up: N(0, 1) weights and biases, minibatch 10, α = 3.0,
    # cross-entropy, float64; it reports three epochs.
    "tutorial": Preset(
        sizes=(784, 200, 10),
        cost="cross_entropy",
        batch_size=10,
        lr=3.0,
        init="normal",
        dtype="float64",
        epochs=3,
    ),
    # The quickest set-up found that clears 95 % on every seed tried (see the
    # MNIST how-to): N(0, 1/n_in) weights keep the hidden sigmoids out of
    # saturation, so a small learning rate learns fast; batch 32 in float32 keeps
    # the matrix products efficient while still taking ~1900 steps an epoch.
    "fast": Preset(
        sizes=(784, 200, 10),
        cost="cross_entropy",
        batch_size=32,
        lr=0.7,
        init="scaled",
        dtype="float32",
        epochs=2,
    ),
    # ReLU hidden units, a softmax output and the log-likelihood cost, with He
    # init (N(0, 2/n_in), biases 0): >= 97.5 % on every seed tried in 5 epochs
    # (seeds 0-4 in benchmarks/results/bench_relu_softmax.txt). Plain SGD, no
    # momentum or schedule; α = 0.2 at batch 32 is the largest rate tried (of
    # 0.15, 0.2, 0.3, 0.5) whose accuracy no longer swings by tenths of a percent
    # from epoch to epoch. L2 with λ = 1e-4 (Nielsen's λ = 5 over 50 000 images)
    # raised the worst of the five seeds from 97.54-97.60 % to 97.64-97.71 %.
    "relu-softmax": Preset(
        sizes=(784, 200, 10),
        cost="log_likelihood",
        batch_size=32,
        lr=0.2,
        init="he",
        dtype="float32",
        epochs=5,
        activations=("relu", "softmax"),
        l2=1e-4,
    ),
}
