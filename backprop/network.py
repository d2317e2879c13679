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
from backprop.layers import resolve_activations, validate_combination
from backprop.params import init_params
from backprop.training import EpochCallback, sgd
from backprop.validation import (
    validate_l2,
    validate_labels,
    validate_params,
    validate_x,
)

__all__ = ["Network", "evaluate", "predict"]

#: Written into every saved sigmoid network without L2 (as all earlier files are).
FILE_FORMAT = "backprop-spec network v1"
#: Written into files with other activations or L2, so v1 readers refuse them.
FILE_FORMAT_V2 = "backprop-spec network v2"


def predict(weights: Any, biases: Any, x: Any, activations: Any = None) -> NDArray:
    """Predicted class of each row of ``x``: the index of the largest output.

    ``activations`` as for :func:`backprop.gradients` (sigmoids by default).
    """
    _, a = feedforward(weights, biases, x, activations)
    return a[-1].real.argmax(axis=1)


def evaluate(
    weights: Any, biases: Any, x: Any, labels: Any, activations: Any = None
) -> float:
    """Fraction of the rows of ``x`` whose predicted class equals ``labels``.

    Parameters
    ----------
    weights, biases : list of ndarray
        The network.
    x : array_like, shape (m, n_0)
        Inputs.
    labels : array_like of int, shape (m,)
        True classes in ``[0, n_L)``.
    activations : str or sequence of str, optional
        The activation of each layer (sigmoids by default).
    """
    ws, bs, dtype = validate_params(weights, biases)
    layers = resolve_activations(activations, len(ws))
    x = validate_x(x, ws[0].shape[1], dtype)
    labels = validate_labels(labels, x.shape[0], ws[-1].shape[0])
    _, a = forward(ws, bs, x, layers)
    return float(np.mean(a[-1].real.argmax(axis=1) == labels))


class Network:
    r"""A network: ``weights``, ``biases``, its activations and the cost it is
    trained on.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths ``[n_0, ..., n_L]``.
    rng : int or numpy.random.Generator
        Seed or generator for :func:`backprop.init_params`.
    init : {"normal", "scaled", "he"}
        Initialisation, see :func:`backprop.init_params`.
    dtype : {"float64", "float32"}
        Dtype of the parameters, kept through training.
    cost : {"cross_entropy", "quadratic", "log_likelihood"}
        Cost used by :meth:`fit`, :meth:`gradients` and :meth:`cost`.
    activations : str or sequence of str, optional
        The activation of each layer: one name for all, a pair (hidden, output)
        such as ``("relu", "softmax")``, or one name per layer
        (:mod:`backprop.layers`); sigmoids by default.
    l2 : float, default 0.0
        :math:`\lambda` of the L2 term :math:`\tfrac{\lambda}{2} \sum_l \lVert W^l
        \rVert^2` added to the cost by :meth:`fit`, :meth:`gradients`, :meth:`cost`.

    Attributes
    ----------
    activations : tuple of str
        The activation of each layer, one name per layer.
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
        activations: Any = None,
        l2: float = 0.0,
    ) -> None:
        weights, biases = init_params(sizes, rng=rng, init=init, dtype=dtype)
        self._set(weights, biases, cost, activations, l2)

    def _set(
        self, weights: Any, biases: Any, cost: str, activations: Any, l2: float
    ) -> None:
        ws, bs, _ = validate_params(weights, biases)
        layers = resolve_activations(activations, len(ws))
        self.cost_name = get_cost(cost).name
        validate_combination(self.cost_name, layers[-1])
        self.activations = tuple(layer.name for layer in layers)
        self.l2 = validate_l2(l2)
        self.weights, self.biases = ws, bs

    @classmethod
    def from_params(
        cls,
        weights: Any,
        biases: Any,
        cost: str = "cross_entropy",
        activations: Any = None,
        l2: float = 0.0,
    ) -> Network:
        """A network holding the given parameters (validated, not copied)."""
        net = cls.__new__(cls)
        net._set(weights, biases, cost, activations, l2)
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
        sigmoid = set(self.activations) == {"sigmoid"}
        extra = "" if sigmoid else f", activations={self.activations!r}"
        extra += f", l2={self.l2!r}" if self.l2 else ""
        return (
            f"Network({self.sizes}, dtype={self.dtype}, cost={self.cost_name!r}{extra})"
        )

    def feedforward(self, x: Any) -> NDArray:
        """Output activations :math:`a^L`, shape ``(m, n_L)``."""
        return feedforward(self.weights, self.biases, x, self.activations)[1][-1]

    def predict(self, x: Any) -> NDArray:
        """Predicted class of each row of ``x``."""
        return predict(self.weights, self.biases, x, self.activations)

    def evaluate(self, x: Any, labels: Any) -> float:
        """Accuracy on ``x`` against integer ``labels``, as a fraction."""
        return evaluate(self.weights, self.biases, x, labels, self.activations)

    def cost(self, x: Any, y: Any) -> float:
        """Mean cost over the rows of ``x`` (with the L2 term, if any)."""
        value = mean_cost(
            self.weights, self.biases, x, y, self.cost_name, self.activations, self.l2
        )
        return float(value.real)

    def gradients(self, x: Any, y: Any) -> tuple[list[NDArray], list[NDArray]]:
        """Gradient of the mean cost, see :func:`backprop.gradients`."""
        return gradients(
            self.weights, self.biases, x, y, self.cost_name, self.activations, self.l2
        )

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
            activations=self.activations,
            l2=self.l2,
            rng=rng,
            callback=keep,
            progress=progress,
            record_batch_costs=record_batch_costs,
        )
        return history

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the network to a ``.npz`` file, atomically.

        The file is written beside ``path`` under a temporary name and renamed
        into place, so an interrupted save never leaves a truncated file.
        """
        path = Path(path)
        v1 = set(self.activations) == {"sigmoid"} and not self.l2
        arrays: dict[str, NDArray] = {
            "format": np.array(FILE_FORMAT if v1 else FILE_FORMAT_V2),
            "sizes": np.array(self.sizes),
            "cost": np.array(self.cost_name),
        }
        if not v1:
            arrays["activations"] = np.array(self.activations)
            arrays["l2"] = np.array(self.l2)
        for l, (w, b) in enumerate(
            zip(self.weights, self.biases, strict=True), start=1
        ):
            arrays[f"W{l}"], arrays[f"b{l}"] = w, b
        with atomic_write(path) as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Network:
        """Read a network written by :meth:`save`, checking its format and shapes.

        Files without activations (all earlier files) hold sigmoid networks
        without L2.
        """
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
        if fmt is None or str(fmt) not in (FILE_FORMAT, FILE_FORMAT_V2):
            raise ValueError(
                f"{path} has format {None if fmt is None else str(fmt)!r}; "
                f"expected {FILE_FORMAT!r} or {FILE_FORMAT_V2!r} (a file written "
                f"by Network.save)"
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
            acts = [
                str(a) for a in arrays.get("activations", ["sigmoid"] * len(biases))
            ]
            l2 = float(arrays.get("l2", 0.0))
            return cls.from_params(weights, biases, str(arrays["cost"]), acts, l2)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path} holds an invalid network: {exc}") from exc
