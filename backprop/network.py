"""``Network``: a thin holder of weights and biases, with training and file I/O."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backprop.core import feedforward, forward, gradients, mean_cost
from backprop.costs import get_cost
from backprop.files import atomic_write
from backprop.params import init_params
from backprop.training import EpochCallback, sgd
from backprop.validation import validate_labels, validate_params, validate_x

__all__ = ["Network", "evaluate", "predict"]

#: Written into every saved file and checked on load.
FILE_FORMAT = "backprop-spec network v1"


def predict(weights: Any, biases: Any, x: Any) -> NDArray:
    """Predicted class of each row of ``x``: the index of the largest output."""
    _, activations = feedforward(weights, biases, x)
    return activations[-1].real.argmax(axis=1)


def evaluate(weights: Any, biases: Any, x: Any, labels: Any) -> float:
    """Fraction of the rows of ``x`` whose predicted class equals ``labels``.

    Parameters
    ----------
    weights, biases : list of ndarray
        The network.
    x : array_like, shape (m, n_0)
        Inputs.
    labels : array_like of int, shape (m,)
        True classes in ``[0, n_L)``.
    """
    ws, bs, dtype = validate_params(weights, biases)
    x = validate_x(x, ws[0].shape[1], dtype)
    labels = validate_labels(labels, x.shape[0], ws[-1].shape[0])
    _, activations = forward(ws, bs, x)
    return float(np.mean(activations[-1].real.argmax(axis=1) == labels))


class Network:
    """A sigmoid network: ``weights``, ``biases`` and the cost it is trained on.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths ``[n_0, ..., n_L]``.
    rng : int or numpy.random.Generator
        Seed or generator for :func:`backprop.init_params`.
    init : {"normal", "scaled"}
        Initialisation, see :func:`backprop.init_params`.
    dtype : {"float64", "float32"}
        Dtype of the parameters, kept through training.
    cost : {"cross_entropy", "quadratic"}
        Cost used by :meth:`fit`, :meth:`gradients` and :meth:`cost`.

    Attributes
    ----------
    weights : list of ndarray
        ``weights[l - 1]`` is :math:`W^l`, shape ``(n_l, n_{l-1})``.
    biases : list of ndarray
        ``biases[l - 1]`` is :math:`b^l`, shape ``(n_l,)``.
    """

    def __init__(
        self,
        sizes: Any,
        *,
        rng: Any = 0,
        init: str = "normal",
        dtype: Any = "float64",
        cost: str = "cross_entropy",
    ) -> None:
        self.cost_name = get_cost(cost).name
        self.weights, self.biases = init_params(sizes, rng=rng, init=init, dtype=dtype)

    @classmethod
    def from_params(
        cls, weights: Any, biases: Any, cost: str = "cross_entropy"
    ) -> Network:
        """A network holding the given parameters (validated, not copied)."""
        ws, bs, _ = validate_params(weights, biases)
        net = cls.__new__(cls)
        net.cost_name = get_cost(cost).name
        net.weights, net.biases = ws, bs
        return net

    @property
    def sizes(self) -> list[int]:
        """Layer widths ``[n_0, ..., n_L]``."""
        return [self.weights[0].shape[1]] + [w.shape[0] for w in self.weights]

    @property
    def dtype(self) -> np.dtype:
        """Dtype of the parameters."""
        return self.weights[0].dtype

    def __repr__(self) -> str:
        return f"Network({self.sizes}, dtype={self.dtype}, cost={self.cost_name!r})"

    def feedforward(self, x: Any) -> NDArray:
        """Output activations :math:`a^L`, shape ``(m, n_L)``."""
        return feedforward(self.weights, self.biases, x)[1][-1]

    def predict(self, x: Any) -> NDArray:
        """Predicted class of each row of ``x``."""
        return predict(self.weights, self.biases, x)

    def evaluate(self, x: Any, labels: Any) -> float:
        """Accuracy on ``x`` against integer ``labels``, as a fraction."""
        return evaluate(self.weights, self.biases, x, labels)

    def cost(self, x: Any, y: Any) -> float:
        """Mean cost over the rows of ``x``."""
        return float(mean_cost(self.weights, self.biases, x, y, self.cost_name).real)

    def gradients(self, x: Any, y: Any) -> tuple[list[NDArray], list[NDArray]]:
        """Gradient of the mean cost, see :func:`backprop.gradients`."""
        return gradients(self.weights, self.biases, x, y, self.cost_name)

    def fit(
        self,
        x: Any,
        y: Any,
        *,
        epochs: int = 1,
        batch_size: int = 10,
        lr: float = 3.0,
        rng: Any = 0,
        callback: EpochCallback | None = None,
        progress: bool = False,
        record_batch_costs: bool = False,
    ) -> list[dict[str, Any]]:
        """Train by minibatch SGD (see :func:`backprop.sgd`); returns the history.

        The parameters are replaced after every epoch, so ``callback`` sees the
        network itself and an interrupted fit keeps the last finished epoch.
        """

        def keep(epoch: int, ws: list[NDArray], bs: list[NDArray]) -> bool | None:
            self.weights, self.biases = [w.copy() for w in ws], [b.copy() for b in bs]
            return callback(epoch, self.weights, self.biases) if callback else None

        _, _, history = sgd(
            self.weights,
            self.biases,
            x,
            y,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            cost=self.cost_name,
            rng=rng,
            callback=keep,
            progress=progress,
            record_batch_costs=record_batch_costs,
        )
        return history

    sgd = fit

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the network to a ``.npz`` file, atomically.

        The file is written beside ``path`` under a temporary name and renamed
        into place, so an interrupted save never leaves a truncated file.
        """
        path = Path(path)
        arrays: dict[str, NDArray] = {
            "format": np.array(FILE_FORMAT),
            "sizes": np.array(self.sizes),
            "cost": np.array(self.cost_name),
        }
        for l, (w, b) in enumerate(
            zip(self.weights, self.biases, strict=True), start=1
        ):
            arrays[f"W{l}"], arrays[f"b{l}"] = w, b
        with atomic_write(path) as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Network:
        """Read a network written by :meth:`save`, checking its format and shapes."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no network file at {path}")
        try:
            # Opened here so that the handle is closed even when np.load fails.
            with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
            raise ValueError(
                f"{path} is not a readable .npz network file ({exc}); "
                f"expected a file written by Network.save"
            ) from exc
        fmt = arrays.get("format")
        if fmt is None or str(fmt) != FILE_FORMAT:
            raise ValueError(
                f"{path} has format {None if fmt is None else str(fmt)!r}; "
                f"expected {FILE_FORMAT!r} (a file written by Network.save)"
            )
        sizes = [int(n) for n in arrays["sizes"]]
        weights: list[NDArray] = []
        biases: list[NDArray] = []
        for l in range(1, len(sizes)):
            for key, shape, out in (
                (f"W{l}", (sizes[l], sizes[l - 1]), weights),
                (f"b{l}", (sizes[l],), biases),
            ):
                if key not in arrays:
                    raise ValueError(f"{path} lacks array {key!r} for sizes {sizes}")
                if arrays[key].shape != shape:
                    raise ValueError(
                        f"{path}: {key} has shape {arrays[key].shape}, expected "
                        f"{shape} for sizes {sizes}"
                    )
                out.append(arrays[key])
        try:
            return cls.from_params(weights, biases, cost=str(arrays["cost"]))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path} holds an invalid network: {exc}") from exc
