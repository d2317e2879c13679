"""The model: :class:`Model`, a stack of the layers of
:mod:`backprop.model.layers` and :mod:`backprop.model.sequence` under a
classification loss (of each example, or of every step of a sequence), with its
gradients, its training by minibatch SGD, its predictions and its file."""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray
from threadpoolctl import threadpool_limits

from backprop.blocks.losses import hinge_loss, softmax_loss
from backprop.blocks.temporal import clip_gradients, temporal_softmax_loss
from backprop.blocks.validation import positive_number
from backprop.files import atomic_write
from backprop.model.layers import (
    Activation,
    AveragePool,
    BatchNorm,
    Convolution,
    Dense,
    Dropout,
    Layer,
    MaxPool,
    Params,
    Shape,
    execution_order,
)
from backprop.model.sequence import LSTM, RNN, Embedding, TemporalDense
from backprop.params import as_generator
from backprop.validation import validate_epochs, validate_lr, validate_positive_int

__all__ = [
    "FILE_FORMAT",
    "LAYER_KINDS",
    "LOSSES",
    "SEQUENCE_LOSSES",
    "EpochCallback",
    "Model",
]


#: ``callback(epoch, model, record)`` after each epoch; returning True stops.
EpochCallback = Callable[[int, "Model", dict[str, Any]], "bool | None"]


#: The losses by name, ``loss(scores, y) -> (loss, dscores)``, or
#: ``loss(scores, y, mask)`` for those of :data:`SEQUENCE_LOSSES`.
LOSSES: dict[str, Callable[..., tuple[Any, NDArray[Any]]]] = {
    "softmax": softmax_loss,
    "hinge": hinge_loss,
    "temporal_softmax": temporal_softmax_loss,
}


#: The losses that score every step of a sequence: scores (N, T, M), targets
#: (N, T) and a mask (N, T) of the steps that count; summed over the steps, mean
#: over the sequences.
SEQUENCE_LOSSES = frozenset({"temporal_softmax"})


#: The layers a saved model may hold, by ``kind``.
LAYER_KINDS: dict[str, type[Layer]] = {
    cls.kind: cls
    for cls in (
        Convolution,
        MaxPool,
        AveragePool,
        Dense,
        Activation,
        BatchNorm,
        Dropout,
        Embedding,
        RNN,
        LSTM,
        TemporalDense,
    )
}


#: Version of the file layout written by :meth:`Model.save`.
FILE_FORMAT = "backprop-spec/model/1"


def _clipped(grads: Params, max_norm: float) -> Params:
    """``grads`` scaled to a joint L2 norm of at most ``max_norm``, all layers
    together (:func:`~backprop.blocks.temporal.clip_gradients`)."""
    flat = {f"{n}/{k}": g for n, leaves in grads.items() for k, g in leaves.items()}
    clipped, _ = clip_gradients(flat, max_norm)
    return {n: {k: clipped[f"{n}/{k}"] for k in leaves} for n, leaves in grads.items()}


class Model:
    """Layers stacked in order, then a loss on the last layer's scores.

    Parameters
    ----------
    layers : sequence of Layer
        Applied in order; the last must produce the class scores (N, M), or the
        scores of every step (N, T, M) for a loss of :data:`SEQUENCE_LOSSES`.
    input_shape : tuple of int
        One example's shape, e.g. (1, 28, 28) for MNIST images; inputs of shape
        (N, prod(input_shape)), one flat example per row, are reshaped to it.
        A model whose first layer is an
        :class:`~backprop.model.sequence.Embedding` reads sequences of
        :math:`T` integer word indices: ``input_shape=(T,)``, inputs (N, T),
        not converted.
    loss : {"softmax", "hinge", "temporal_softmax"}, default "softmax"
        Softmax cross-entropy or the multiclass hinge loss, mean over examples;
        or the softmax cross-entropy of every step of a sequence
        (:func:`~backprop.blocks.temporal.temporal_softmax_loss`), summed over
        the steps a mask keeps, mean over sequences.
    dtype : floating dtype, default "float32"
        dtype of the parameters; float inputs are converted to it.
    rng : int or numpy.random.Generator, default 0
        Seed or generator of the initial parameters.

    Attributes
    ----------
    names : tuple of str
        Each layer's name: its ``kind`` and its rank among layers of that kind
        (``conv1``, ``maxpool1``, ``dense2``, ...).
    params : dict
        ``{name: {"w": ..., "b": ...}}`` for the layers with parameters.
    state : dict
        Running statistics of batch-norm layers (not trained by gradients).
    order : tuple of int
        The order in which the layers run (:func:`execution_order`).
    output_shape : tuple of int
        The scores of one example: (M,), or (T, M) for a sequence loss.
    """

    def __init__(
        self,
        layers: Sequence[Layer],
        input_shape: Sequence[int],
        *,
        loss: str = "softmax",
        dtype: DTypeLike = "float32",
        rng: int | np.random.Generator = 0,
    ) -> None:
        layers = tuple(layers)
        if not layers or not all(isinstance(layer, Layer) for layer in layers):
            raise TypeError(
                f"layers must be a non-empty sequence of Layer objects, got {layers!r}"
            )
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {list(LOSSES)}, got {loss!r}")
        for position, layer in enumerate(layers[1:], start=2):
            if layer.takes_indices:
                raise ValueError(
                    f"layers: {type(layer).__name__} reads integer indices and must "
                    f"be the first layer, got it at position {position}"
                )
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise ValueError(f"dtype must be a floating dtype, got {self.dtype}")
        self.input_shape: Shape = tuple(
            validate_positive_int(n, "input_shape") for n in input_shape
        )
        self.layers = layers
        self.loss_name = loss
        counts: dict[str, int] = {}
        names = []
        for layer in layers:
            counts[layer.kind] = counts.get(layer.kind, 0) + 1
            names.append(f"{layer.kind}{counts[layer.kind]}")
        self.names: tuple[str, ...] = tuple(names)
        gen = as_generator(rng)
        self.params: Params = {}
        self.state: Params = {}
        shape = self.input_shape
        for name, layer in zip(self.names, layers, strict=True):
            params, state, shape = layer.init(shape, gen, self.dtype)
            if params:
                self.params[name] = params
            if state:
                self.state[name] = state
        if loss in SEQUENCE_LOSSES and len(shape) != 2:
            raise ValueError(
                f"the last layer must give scores (T, M) per sequence for "
                f"loss={loss!r}, got {shape}; end with TemporalDense(M)"
            )
        if loss not in SEQUENCE_LOSSES and len(shape) != 1:
            hint = "; or loss='temporal_softmax' to score every step" * (
                len(shape) == 2
            )
            raise ValueError(
                f"the last layer must give class scores (M,) per example, got {shape}; "
                f"end with Dense(M){hint}"
            )
        self.output_shape: Shape = shape
        self.n_classes = shape[-1]
        self.order = execution_order(layers)

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return (
            f"Model([{inner}], input_shape={self.input_shape}, loss={self.loss_name!r})"
        )

    # -- the passes -------------------------------------------------------------

    def inputs(self, x: Any, dtype: DTypeLike | None = None) -> NDArray[Any]:
        """``x`` as ``(N, *input_shape)`` in ``dtype`` (the model's by default).

        Integer indices read by a first layer that ``takes_indices`` (an
        :class:`~backprop.model.sequence.Embedding`) are kept as they are.

        Raises
        ------
        TypeError
            If ``x`` is not numeric, or not integer for an embedding.
        ValueError
            If ``x`` is neither ``(N, *input_shape)`` nor ``(N, prod(input_shape))``.
        """
        arr = np.asarray(x)
        if self.layers[0].takes_indices:
            if arr.dtype.kind not in "iu":
                raise TypeError(
                    f"x must be integer indices for the {type(self.layers[0]).__name__} "
                    f"that reads it, got dtype {arr.dtype}"
                )
            if arr.shape[1:] != self.input_shape:
                raise ValueError(
                    f"x must have shape (N, {', '.join(map(str, self.input_shape))}), "
                    f"got {arr.shape}"
                )
            return arr
        if arr.dtype.kind not in "fiub":
            raise TypeError(f"x must be a real numeric array, got dtype {arr.dtype}")
        arr = arr.astype(self.dtype if dtype is None else dtype, copy=False)
        flat = math.prod(self.input_shape)
        if arr.ndim == 2 and arr.shape[1] == flat:
            return arr.reshape(arr.shape[0], *self.input_shape)
        if arr.shape[1:] != self.input_shape:
            raise ValueError(
                f"x must have shape (N, {', '.join(map(str, self.input_shape))}) or "
                f"(N, {flat}), got {arr.shape}"
            )
        return arr

    def _forward(
        self,
        params: Params,
        x: NDArray[Any],
        *,
        train: bool,
        rng: np.random.Generator,
    ) -> tuple[NDArray[Any], list[Any], Params]:
        caches = []
        new_state: Params = {}
        out = x
        for i in self.order:
            name = self.names[i]
            out, cache, state = self.layers[i].forward(
                params.get(name, {}),
                self.state.get(name, {}),
                out,
                train=train,
                rng=rng,
            )
            caches.append(cache)
            if state:
                new_state[name] = state
        return out, caches, new_state

    def _loss_and_gradients(
        self, params: Params, x: Any, y: Any, mask: Any, rng: Any
    ) -> tuple[float, Params, Params]:
        self._check_params(params)
        dtype = next(iter(next(iter(params.values())).values())).dtype
        xb = self.inputs(x, dtype)
        scores, caches, new_state = self._forward(
            params, xb, train=True, rng=as_generator(rng)
        )
        loss, dout = self._loss(scores, y, mask)
        grads: Params = {}
        for step in range(len(self.order) - 1, -1, -1):
            i = self.order[step]
            dx, layer_grads = self.layers[i].backward(
                dout, caches[step], need_dx=step > 0
            )
            if layer_grads:
                grads[self.names[i]] = layer_grads
            if dx is not None:
                dout = dx
        ordered = {name: grads[name] for name in params}
        return float(loss), ordered, new_state

    def _loss(
        self, scores: NDArray[Any], y: Any, mask: Any
    ) -> tuple[Any, NDArray[Any]]:
        steps = self._mask(mask, scores.shape[:-1])
        if self.loss_name not in SEQUENCE_LOSSES:
            return LOSSES[self.loss_name](scores, y)
        if steps is None:
            steps = np.ones(scores.shape[:-1], dtype=bool)
        return LOSSES[self.loss_name](scores, np.asarray(y), steps)

    def _mask(self, mask: Any, shape: Shape) -> NDArray[Any] | None:
        """``mask`` checked against the loss and the shape of the targets."""
        if mask is None:
            return None
        if self.loss_name not in SEQUENCE_LOSSES:
            raise ValueError(
                f"mask is for the losses that score every step, "
                f"{sorted(SEQUENCE_LOSSES)}; this model's loss is {self.loss_name!r}"
            )
        steps = np.asarray(mask)
        if steps.dtype.kind not in "biuf":
            raise TypeError(
                f"mask must be a boolean or 0/1 array, got dtype {steps.dtype}"
            )
        if steps.shape != shape:
            raise ValueError(
                f"mask must have shape {shape}, one flag per target in y, got "
                f"{steps.shape}"
            )
        return steps

    def loss(
        self, params: Params, x: Any, y: Any, *, mask: Any = None, rng: Any = 0
    ) -> float:
        """The mean training loss of the examples ``x`` with labels ``y``.

        Training mode: dropout draws its masks from ``rng``, batch norm uses
        the batch's statistics (the running ones are not updated).

        Parameters
        ----------
        params : dict
            A tree shaped as ``model.params`` (any floating dtype).
        x : array_like, shape ``(N, *input_shape)`` or ``(N, prod(input_shape))``
        y : array_like of int, shape (N,), or (N, T) for a sequence loss
            The label of each example, or the target of every step.
        mask : array_like of bool (or 0/1), shape (N, T), optional
            For a sequence loss: the steps that count (all by default).
        rng : int or numpy.random.Generator, default 0
            Seed or generator of the dropout masks.

        Returns
        -------
        float
            For a sequence loss, the sum over the kept steps, mean over the
            sequences.
        """
        return self._loss_and_gradients(params, x, y, mask, rng)[0]

    def gradients(
        self, params: Params, x: Any, y: Any, *, mask: Any = None, rng: Any = 0
    ) -> Params:
        """The gradient of :meth:`loss` with respect to ``params``, by backpropagation.

        Each layer's backward (its VJP) takes the upstream gradient from the
        layer above, starting from the loss's gradient with respect to the
        scores; a recurrent layer's backward is backpropagation through time.
        With the same integer ``rng`` the dropout masks are those of
        :meth:`loss`, so the pair can be checked against each other.

        Returns
        -------
        dict
            Shaped and typed as ``params``.
        """
        return self._loss_and_gradients(params, x, y, mask, rng)[1]

    def scores(self, x: Any, *, batch_size: int = 1000) -> NDArray[Any]:
        """Scores ``(N, *output_shape)`` of ``x`` at test time (no dropout, running
        statistics): class scores (N, M), or (N, T, M) at every step of a sequence."""
        batch_size = validate_positive_int(batch_size, "batch_size")
        xb = self.inputs(x)
        gen = np.random.default_rng(0)  # unused at test time; layers take one
        parts = [
            self._forward(self.params, xb[i : i + batch_size], train=False, rng=gen)[0]
            for i in range(0, xb.shape[0], batch_size)
        ]
        if not parts:
            return np.zeros((0, *self.output_shape), dtype=self.dtype)
        return np.concatenate(parts)

    def predict(self, x: Any, *, batch_size: int = 1000) -> NDArray[np.intp]:
        """The predicted class of each example, shape (N,), or of every step, (N, T)."""
        return np.argmax(self.scores(x, batch_size=batch_size), axis=-1)

    def accuracy(self, x: Any, y: Any, *, mask: Any = None) -> float:
        """The fraction of examples (or of the steps ``mask`` keeps) whose predicted
        class is ``y``."""
        labels = np.asarray(y)
        predicted = self.predict(x)
        if labels.shape != predicted.shape:
            raise ValueError(f"y must have shape {predicted.shape}, got {labels.shape}")
        hits = predicted == labels
        steps = self._mask(mask, labels.shape)
        if steps is None:
            return float(np.mean(hits))
        keep = steps.astype(bool)
        if not keep.any():
            raise ValueError("mask must keep at least one step, got none")
        return float(np.mean(hits[keep]))

    # -- training ---------------------------------------------------------------

    def fit(
        self,
        x: Any,
        y: Any,
        *,
        epochs: int,
        batch_size: int,
        lr: float,
        mask: Any = None,
        max_norm: float | None = None,
        rng: int | np.random.Generator = 0,
        callback: EpochCallback | None = None,
        blas_threads: int | None = None,
    ) -> list[dict[str, Any]]:
        r"""Train by plain minibatch SGD: :math:`\theta \leftarrow \theta - \eta\,
        \nabla_\theta L_{batch}`.

        Each epoch shuffles the examples with ``rng`` and steps once per
        minibatch (the last one may be smaller); batch-norm running statistics
        are updated as the batches pass.

        Parameters
        ----------
        x : array_like, shape ``(N, *input_shape)`` or ``(N, prod(input_shape))``
        y : array_like of int, shape (N,), or (N, T) for a sequence loss
        epochs, batch_size : int
        lr : float
            :math:`\eta > 0`.
        mask : array_like of bool (or 0/1), shape (N, T), optional
            For a sequence loss: the steps that count (all by default).
        max_norm : float, optional
            Clip each minibatch's gradient to this joint L2 norm
            (:func:`~backprop.blocks.temporal.clip_gradients`), a separate step
            between the gradient and the update; no clipping by default.
        rng : int or numpy.random.Generator, default 0
            Seed or generator of the shuffles and dropout masks.
        callback : callable, optional
            ``callback(epoch, model, record)`` after each epoch (1-based);
            returning True stops training.
        blas_threads : int, optional
            Threads the BLAS library may use; its own setting by default.

        Returns
        -------
        list of dict
            One record per epoch: ``epoch``, ``loss`` (mean of the minibatch
            losses), ``seconds``.
        """
        epochs = validate_epochs(epochs)
        batch_size = validate_positive_int(batch_size, "batch_size")
        lr = validate_lr(lr)
        if max_norm is not None:
            max_norm = positive_number(max_norm, "max_norm")
        if blas_threads is not None:
            blas_threads = validate_positive_int(blas_threads, "blas_threads")
        xs = self.inputs(x)
        labels = np.asarray(y)
        expected = (xs.shape[0], *self.output_shape[:-1])
        if labels.shape != expected:
            per = "per step of each sequence" if len(expected) > 1 else "per example"
            raise ValueError(
                f"y must have shape {expected}, one label {per}, got {labels.shape}"
            )
        steps = self._mask(mask, expected)
        if not np.isfinite(xs).all():
            raise ValueError("x must be finite (no NaN or inf)")
        gen = as_generator(rng)
        step = np.asarray(lr, dtype=self.dtype)  # a float32 model stays float32
        history = []
        with threadpool_limits(limits=blas_threads, user_api="blas"):
            for epoch in range(1, epochs + 1):
                start = time.perf_counter()
                order = gen.permutation(xs.shape[0])
                total = 0.0
                for i in range(0, xs.shape[0], batch_size):
                    batch = order[i : i + batch_size]
                    loss, grads, new_state = self._loss_and_gradients(
                        self.params,
                        xs[batch],
                        labels[batch],
                        None if steps is None else steps[batch],
                        gen,
                    )
                    if max_norm is not None:
                        grads = _clipped(grads, max_norm)
                    for name, layer_grads in grads.items():
                        for key, g in layer_grads.items():
                            self.params[name][key] -= step * g
                    self.state.update(new_state)
                    total += loss * len(batch)
                record = {
                    "epoch": epoch,
                    "loss": total / xs.shape[0],
                    "seconds": time.perf_counter() - start,
                }
                history.append(record)
                if callback is not None and callback(epoch, self, record):
                    break
        return history

    # -- files ------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the layers, parameters and state to an ``.npz`` file, atomically.

        A reader sees the previous file or the whole new one
        (``backprop.files.atomic_write``); :meth:`load` reads it back.
        """
        config = {
            "format": FILE_FORMAT,
            "layers": [layer.config() for layer in self.layers],
            "input_shape": list(self.input_shape),
            "loss": self.loss_name,
            "dtype": self.dtype.name,
        }
        arrays = {"config": np.array(json.dumps(config))}
        for prefix, tree in (("params", self.params), ("state", self.state)):
            for name, leaves in tree.items():
                for key, value in leaves.items():
                    arrays[f"{prefix}/{name}/{key}"] = value
        with atomic_write(path) as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Model:
        """Read a model written by :meth:`save`.

        Raises
        ------
        ValueError
            If the file is not a saved model or its arrays do not fit its layers.
        """
        path = Path(path)
        with np.load(path, allow_pickle=False) as data:
            if "config" not in data.files:
                raise ValueError(f"{path} is not a saved Model (no 'config' entry)")
            config = json.loads(str(data["config"]))
            if config.get("format") != FILE_FORMAT:
                raise ValueError(
                    f"{path} has format {config.get('format')!r}, expected {FILE_FORMAT!r}"
                )
            layers = []
            for entry in config["layers"]:
                kind = entry.pop("kind")
                if kind not in LAYER_KINDS:
                    raise ValueError(f"{path} names an unknown layer kind {kind!r}")
                hyper = {
                    k: tuple(v) if isinstance(v, list) else v for k, v in entry.items()
                }
                layers.append(LAYER_KINDS[kind](**hyper))
            model = cls(
                layers,
                config["input_shape"],
                loss=config["loss"],
                dtype=config["dtype"],
            )
            for prefix, tree in (("params", model.params), ("state", model.state)):
                for name, leaves in tree.items():
                    for key, value in leaves.items():
                        stored = data[f"{prefix}/{name}/{key}"]
                        if stored.shape != value.shape or stored.dtype != value.dtype:
                            raise ValueError(
                                f"{path}: {prefix}/{name}/{key} has shape {stored.shape} "
                                f"{stored.dtype}, expected {value.shape} {value.dtype}"
                            )
                        leaves[key] = stored.copy()
        return model

    def _check_params(self, params: Any) -> None:
        if not isinstance(params, dict) or set(params) != set(self.params):
            got = sorted(params) if isinstance(params, dict) else type(params).__name__
            raise ValueError(
                f"params must be a dict with the layers {sorted(self.params)}, got {got}"
            )
        for name, leaves in self.params.items():
            given = params[name]
            if not isinstance(given, dict) or set(given) != set(leaves):
                raise ValueError(
                    f"params[{name!r}] must be a dict with keys {sorted(leaves)}"
                )
            for key, value in leaves.items():
                arr = given[key]
                if not isinstance(arr, np.ndarray) or arr.shape != value.shape:
                    shape = getattr(arr, "shape", type(arr).__name__)
                    raise ValueError(
                        f"params[{name!r}][{key!r}] must be an array of shape "
                        f"{value.shape}, got {shape}"
                    )
