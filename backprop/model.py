r"""A model that stacks layers of :mod:`backprop.blocks` under a classification loss.

The parameters are a tree of dicts, one entry per layer that has any
(``{"conv1": {"w": ..., "b": ...}, "dense1": {...}}``), so a tree check
(:func:`spec.check_vjp`, :func:`spec.gradcheck`) reads the gradient of
:meth:`Model.gradients` entry by entry, named by path. Training is plain
minibatch stochastic gradient descent, as the tutorial's:
:math:`\theta \leftarrow \theta - \eta \, \nabla_\theta L`, with :math:`L` the mean
loss over a minibatch.

>>> model = Model([Convolution(4, 3), Activation("relu"), MaxPool(2),
...                Dense(10)], input_shape=(1, 8, 8), rng=0)
>>> {name: sorted(p) for name, p in model.params.items()}
{'conv1': ['b', 'w'], 'dense1': ['b', 'w']}
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from numpy.typing import DTypeLike, NDArray
from threadpoolctl import threadpool_limits

from backprop.blocks.affine import (
    affine_backward,
    affine_forward,
    relu_backward,
    relu_forward,
)
from backprop.blocks.convolution import (
    convolution_backward,
    convolution_backward_weights,
    convolution_forward,
    output_size,
)
from backprop.blocks.dropout import dropout_backward, dropout_forward
from backprop.blocks.losses import hinge_loss, softmax_loss
from backprop.blocks.normalisation import (
    batchnorm_backward,
    batchnorm_forward,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
)
from backprop.blocks.pooling import (
    average_pool_backward,
    average_pool_forward,
    max_pool_backward,
    max_pool_forward,
)
from backprop.blocks.validation import pair, positive_number
from backprop.files import atomic_write
from backprop.layers import get_activation
from backprop.params import as_generator
from backprop.validation import validate_epochs, validate_lr, validate_positive_int

__all__ = [
    "LAYER_KINDS",
    "LOSSES",
    "Activation",
    "AveragePool",
    "BatchNorm",
    "Convolution",
    "Dense",
    "Dropout",
    "FitSettings",
    "Layer",
    "MaxPool",
    "Model",
    "cnn_preset",
    "execution_order",
]

#: One layer's arrays by name (``{"w": ..., "b": ...}``).
Leaves = dict[str, NDArray[Any]]
#: The arrays of every layer, by layer name.
Params = dict[str, Leaves]
Shape = tuple[int, ...]
#: ``callback(epoch, model, record)`` after each epoch; returning True stops.
EpochCallback = Callable[[int, "Model", dict[str, Any]], "bool | None"]

LOSSES: dict[str, Callable[..., tuple[float, NDArray[Any]]]] = {
    "softmax": softmax_loss,
    "hinge": hinge_loss,
}
#: Version of the file layout written by :meth:`Model.save`.
FILE_FORMAT = "backprop-spec/model/1"


class Layer:
    """One layer of a :class:`Model`: its parameters' shapes and its two passes.

    Subclasses are frozen dataclasses of their hyper-parameters; ``kind`` names
    them in saved files and in the automatic layer names (``conv1``, ...).
    """

    kind: ClassVar[str] = ""

    def init(
        self, in_shape: Shape, rng: np.random.Generator, dtype: np.dtype[Any]
    ) -> tuple[dict[str, NDArray[Any]], dict[str, NDArray[Any]], Shape]:
        """``(params, state, out_shape)`` for one example of shape ``in_shape``."""
        return {}, {}, in_shape

    def forward(
        self,
        params: dict[str, NDArray[Any]],
        state: dict[str, NDArray[Any]],
        x: NDArray[Any],
        *,
        train: bool,
        rng: np.random.Generator,
    ) -> tuple[NDArray[Any], Any, dict[str, NDArray[Any]]]:
        """``(out, cache, new_state)``."""
        raise NotImplementedError

    def backward(
        self, dout: NDArray[Any], cache: Any, *, need_dx: bool
    ) -> tuple[NDArray[Any] | None, dict[str, NDArray[Any]]]:
        """``(dx, grads)``; ``dx`` may be None when ``need_dx`` is False."""
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """The hyper-parameters, JSON-ready, with ``kind``."""
        fields = dataclasses.asdict(self)  # type: ignore[call-overload]
        return {"kind": self.kind, **{k: _jsonable(v) for k, v in fields.items()}}


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _he_normal(
    rng: np.random.Generator, shape: Shape, fan_in: int, dtype: np.dtype[Any]
) -> NDArray[Any]:
    """He initialisation, :math:`\\mathcal N(0, 2/\\mathrm{fan_{in}})`, for ReLU nets."""
    return (rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)).astype(dtype)


@dataclasses.dataclass(frozen=True)
class Convolution(Layer):
    """``filters`` kernels of ``size`` (rows, columns) over every input channel.

    Parameters ``w`` (F, C, HH, WW), He-initialised, and ``b`` (F,), zero.
    """

    filters: int
    size: int | tuple[int, int]
    stride: int | tuple[int, int] = 1
    padding: int | tuple[int, int] = 0
    kind: ClassVar[str] = "conv"

    def __post_init__(self) -> None:
        validate_positive_int(self.filters, "filters")
        pair(self.size, "size", 1)
        pair(self.stride, "stride", 1)
        pair(self.padding, "padding", 0)

    def init(
        self, in_shape: Shape, rng: np.random.Generator, dtype: np.dtype[Any]
    ) -> tuple[dict[str, NDArray[Any]], dict[str, NDArray[Any]], Shape]:
        if len(in_shape) != 3:
            raise ValueError(
                f"a convolution needs images (C, H, W) as input, got shape {in_shape}"
            )
        c, h, w = in_shape
        kh, kw = pair(self.size, "size", 1)
        ho, wo = output_size(
            (h, w),
            (kh, kw),
            pair(self.stride, "stride", 1),
            pair(self.padding, "padding", 0),
        )
        params = {
            "w": _he_normal(rng, (self.filters, c, kh, kw), c * kh * kw, dtype),
            "b": np.zeros(self.filters, dtype=dtype),
        }
        return params, {}, (self.filters, ho, wo)

    def forward(
        self,
        params: Leaves,
        state: Leaves,
        x: NDArray[Any],
        *,
        train: bool,
        rng: np.random.Generator,
    ) -> tuple[NDArray[Any], Any, Leaves]:
        out, cache = convolution_forward(
            x, params["w"], params["b"], stride=self.stride, padding=self.padding
        )
        return out, cache, state

    def backward(
        self, dout: NDArray[Any], cache: Any, *, need_dx: bool
    ) -> tuple[NDArray[Any] | None, Leaves]:
        if need_dx:
            dx, dw, db = convolution_backward(dout, cache)
        else:
            dx, (dw, db) = None, convolution_backward_weights(dout, cache)
        return dx, {"w": dw, "b": db}


@dataclasses.dataclass(frozen=True)
class MaxPool(Layer):
    """Max pooling over windows of ``size``, moved by ``stride`` (default: ``size``)."""

    size: int | tuple[int, int] = 2
    stride: int | tuple[int, int] | None = None
    kind: ClassVar[str] = "maxpool"

    def __post_init__(self) -> None:
        pair(self.size, "size", 1)
        pair(self._stride(), "stride", 1)

    def _stride(self) -> int | tuple[int, int]:
        return self.size if self.stride is None else self.stride

    def init(
        self, in_shape: Shape, rng: np.random.Generator, dtype: np.dtype[Any]
    ) -> tuple[dict[str, NDArray[Any]], dict[str, NDArray[Any]], Shape]:
        if len(in_shape) != 3:
            raise ValueError(f"pooling needs images (C, H, W) as input, got {in_shape}")
        c, h, w = in_shape
        (kh, kw), (sh, sw) = (
            pair(self.size, "size", 1),
            pair(self._stride(), "stride", 1),
        )
        if kh > h or kw > w:
            raise ValueError(
                f"pooling window {(kh, kw)} larger than the image {(h, w)}"
            )
        return {}, {}, (c, 1 + (h - kh) // sh, 1 + (w - kw) // sw)

    def forward(
        self,
        params: Leaves,
        state: Leaves,
        x: NDArray[Any],
        *,
        train: bool,
        rng: np.random.Generator,
    ) -> tuple[NDArray[Any], Any, Leaves]:
        out, cache = max_pool_forward(x, size=self.size, stride=self._stride())
        return out, cache, state

    def backward(
        self, dout: NDArray[Any], cache: Any, *, need_dx: bool
    ) -> tuple[NDArray[Any] | None, Leaves]:
        return max_pool_backward(dout, cache), {}


@dataclasses.dataclass(frozen=True)
class AveragePool(MaxPool):
    """Average pooling over windows of ``size``, moved by ``stride``."""

    kind: ClassVar[str] = "avgpool"

    def forward(
        self,
        params: Leaves,
        state: Leaves,
        x: NDArray[Any],
        *,
        train: bool,
        rng: np.random.Generator,
    ) -> tuple[NDArray[Any], Any, Leaves]:
        out, cache = average_pool_forward(x, size=self.size, stride=self._stride())
        return out, cache, state

    def backward(
        self, dout: NDArray[Any], cache: Any, *, need_dx: bool
    ) -> tuple[NDArray[Any] | None, Leaves]:
        return average_pool_backward(dout, cache), {}


@dataclasses.dataclass(frozen=True)
class Dense(Layer):
    """A fully connected (affine) layer of ``units`` outputs; images are flattened.

    Parameters ``w`` (D, units), He-initialised, and ``b`` (units,), zero.
    """

    units: int
    kind: ClassVar[str] = "dense"

    def __post_init__(self) -> None:
        validate_positive_int(self.units, "units")

    def init(
        self, in_shape: Shape, rng: np.random.Generator, dtype: np.dtype[Any]
    ) -> tuple[dict[str, NDArray[Any]], dict[str, NDArray[Any]], Shape]:
        d = math.prod(in_shape)
        params = {
            "w": _he_normal(rng, (d, self.units), d, dtype),
            "b": np.zeros(self.units, dtype=dtype),
        }
        return params, {}, (self.units,)

    def forward(
        self,
        params: Leaves,
        state: Leaves,
        x: NDArray[Any],
        *,
        train: bool,
        rng: np.random.Generator,
    ) -> tuple[NDArray[Any], Any, Leaves]:
        out, cache = affine_forward(x, params["w"], params["b"])
        return out, cache, state

    def backward(
        self, dout: NDArray[Any], cache: Any, *, need_dx: bool
    ) -> tuple[NDArray[Any] | None, Leaves]:
        dx, dw, db = affine_backward(dout, cache)
        return dx, {"w": dw, "b": db}


@dataclasses.dataclass(frozen=True)
class Activation(Layer):
    """An elementwise activation by name: ``"relu"``, ``"tanh"``, ``"sigmoid"``,
    ``"identity"`` (:mod:`backprop.layers`)."""

    name: str = "relu"
    kind: ClassVar[str] = "activation"

    def __post_init__(self) -> None:
        if not get_activation(self.name).elementwise:
            raise ValueError(
                f"name must be an elementwise activation, got {self.name!r} (the "
                "softmax is the model's loss='softmax')"
            )

    def forward(
        self,
        params: Leaves,
        state: Leaves,
        x: NDArray[Any],
        *,
        train: bool,
        rng: np.random.Generator,
    ) -> tuple[NDArray[Any], Any, Leaves]:
        if self.name == "relu":
            out, cache = relu_forward(x)
            return out, cache, state
        return get_activation(self.name).value(x), x, state

    def backward(
        self, dout: NDArray[Any], cache: Any, *, need_dx: bool
    ) -> tuple[NDArray[Any] | None, Leaves]:
        if self.name == "relu":
            return relu_backward(dout, cache), {}
        return get_activation(self.name).backward(cache, dout), {}


@dataclasses.dataclass(frozen=True)
class BatchNorm(Layer):
    """Batch norm: per feature on (N, D), per channel on images (spatial).

    Parameters ``gamma`` (ones) and ``beta`` (zeros), of shape (D,) or (C,);
    running statistics in the model's ``state``, starting at mean 0 and variance
    1 (the variance of a standardised input, so that a model evaluated before
    training does not divide by :math:`\\sqrt{\\epsilon}`) and updated in
    CS231n's momentum convention (:mod:`backprop.blocks.normalisation`).
    """

    eps: float = 1e-5
    momentum: float = 0.9
    kind: ClassVar[str] = "batchnorm"

    def __post_init__(self) -> None:
        positive_number(self.eps, "eps")
        positive_number(self.momentum, "momentum", upper=1.0)

    def init(
        self, in_shape: Shape, rng: np.random.Generator, dtype: np.dtype[Any]
    ) -> tuple[dict[str, NDArray[Any]], dict[str, NDArray[Any]], Shape]:
        if len(in_shape) not in (1, 3):
            raise ValueError(
                f"batch norm needs (D,) or (C, H, W) inputs, got {in_shape}"
            )
        c = in_shape[0]
        params = {"gamma": np.ones(c, dtype=dtype), "beta": np.zeros(c, dtype=dtype)}
        state = {
            "running_mean": np.zeros(c, dtype=dtype),
            "running_var": np.ones(c, dtype=dtype),
        }
        return params, state, in_shape

    def forward(
        self,
        params: Leaves,
        state: Leaves,
        x: NDArray[Any],
        *,
        train: bool,
        rng: np.random.Generator,
    ) -> tuple[NDArray[Any], Any, Leaves]:
        fn = batchnorm_forward if x.ndim == 2 else spatial_batchnorm_forward
        out, cache = fn(
            x,
            params["gamma"],
            params["beta"],
            mode="train" if train else "test",
            eps=self.eps,
            momentum=self.momentum,
            running_mean=state["running_mean"].astype(x.dtype, copy=False),
            running_var=state["running_var"].astype(x.dtype, copy=False),
        )
        new_state = {
            "running_mean": cache["running_mean"],
            "running_var": cache["running_var"],
        }
        return out, cache, new_state

    def backward(
        self, dout: NDArray[Any], cache: Any, *, need_dx: bool
    ) -> tuple[NDArray[Any] | None, Leaves]:
        fn = batchnorm_backward if dout.ndim == 2 else spatial_batchnorm_backward
        dx, dgamma, dbeta = fn(dout, cache)
        return dx, {"gamma": dgamma, "beta": dbeta}


@dataclasses.dataclass(frozen=True)
class Dropout(Layer):
    """Inverted dropout keeping each unit with probability ``keep`` in training."""

    keep: float = 0.5
    kind: ClassVar[str] = "dropout"

    def __post_init__(self) -> None:
        positive_number(self.keep, "keep", upper=1.0)

    def forward(
        self,
        params: Leaves,
        state: Leaves,
        x: NDArray[Any],
        *,
        train: bool,
        rng: np.random.Generator,
    ) -> tuple[NDArray[Any], Any, Leaves]:
        out, cache = dropout_forward(x, keep=self.keep, rng=rng, train=train)
        return out, cache, state

    def backward(
        self, dout: NDArray[Any], cache: Any, *, need_dx: bool
    ) -> tuple[NDArray[Any] | None, Leaves]:
        return dropout_backward(dout, cache), {}


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
    )
}


def execution_order(layers: Sequence[Layer]) -> tuple[int, ...]:
    r"""The order in which :class:`Model` runs its layers.

    The stated order, except that a ReLU followed by max pooling runs as the max
    pooling followed by the ReLU. The two commute,
    :math:`\max_k \max(0, x_k) = \max(0, \max_k x_k)`, and so do their
    VJPs, ties included: where the window's maximum is positive, both send the
    gradient to its first maximal entry; where it is not, both send 0. The ReLU
    then acts on the pooled map, a quarter of the entries for 2x2 windows.
    """
    order = list(range(len(layers)))
    i = 0
    while i < len(layers) - 1:
        first, second = layers[i], layers[i + 1]
        if (
            isinstance(first, Activation)
            and first.name == "relu"
            and type(second) is MaxPool
        ):
            order[i], order[i + 1] = i + 1, i
            i += 2
        else:
            i += 1
    return tuple(order)


class Model:
    """Layers stacked in order, then a loss on the last layer's scores.

    Parameters
    ----------
    layers : sequence of Layer
        Applied in order; the last must produce the class scores (N, M).
    input_shape : tuple of int
        One example's shape, e.g. (1, 28, 28) for MNIST images; inputs of shape
        (N, prod(input_shape)), one flat example per row, are reshaped to it.
    loss : {"softmax", "hinge"}, default "softmax"
        Softmax cross-entropy or the multiclass hinge loss, mean over examples.
    dtype : floating dtype, default "float32"
        dtype of the parameters; inputs are converted to it.
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
        if len(shape) != 1:
            raise ValueError(
                f"the last layer must give class scores (M,) per example, got {shape}; "
                "end with Dense(M)"
            )
        self.n_classes = shape[0]
        self.order = execution_order(layers)

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return (
            f"Model([{inner}], input_shape={self.input_shape}, loss={self.loss_name!r})"
        )

    # -- the passes -------------------------------------------------------------

    def inputs(self, x: Any, dtype: DTypeLike | None = None) -> NDArray[Any]:
        """``x`` as ``(N, *input_shape)`` in ``dtype`` (the model's by default).

        Raises
        ------
        ValueError
            If ``x`` is neither ``(N, *input_shape)`` nor ``(N, prod(input_shape))``.
        """
        arr = np.asarray(x)
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
        self, params: Params, x: Any, y: Any, rng: Any
    ) -> tuple[float, Params, Params]:
        self._check_params(params)
        dtype = next(iter(next(iter(params.values())).values())).dtype
        xb = self.inputs(x, dtype)
        scores, caches, new_state = self._forward(
            params, xb, train=True, rng=as_generator(rng)
        )
        loss, dout = LOSSES[self.loss_name](scores, y)
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
        return loss, ordered, new_state

    def loss(self, params: Params, x: Any, y: Any, *, rng: Any = 0) -> float:
        """The mean training loss of the examples ``x`` with labels ``y``.

        Training mode: dropout draws its masks from ``rng``, batch norm uses
        the batch's statistics (the running ones are not updated).

        Parameters
        ----------
        params : dict
            A tree shaped as ``model.params`` (any floating dtype).
        x : array_like, shape ``(N, *input_shape)`` or ``(N, prod(input_shape))``
        y : array_like of int, shape (N,)
        rng : int or numpy.random.Generator, default 0
            Seed or generator of the dropout masks.

        Returns
        -------
        float
        """
        return self._loss_and_gradients(params, x, y, rng)[0]

    def gradients(self, params: Params, x: Any, y: Any, *, rng: Any = 0) -> Params:
        """The gradient of :meth:`loss` with respect to ``params``, by backpropagation.

        Each layer's backward (its VJP) takes the upstream gradient from the
        layer above, starting from the loss's gradient with respect to the
        scores. With the same integer ``rng`` the dropout masks are those of
        :meth:`loss`, so the pair can be checked against each other.

        Returns
        -------
        dict
            Shaped and typed as ``params``.
        """
        return self._loss_and_gradients(params, x, y, rng)[1]

    def scores(self, x: Any, *, batch_size: int = 1000) -> NDArray[Any]:
        """Class scores (N, M) of ``x`` at test time (no dropout, running statistics)."""
        batch_size = validate_positive_int(batch_size, "batch_size")
        xb = self.inputs(x)
        gen = np.random.default_rng(0)  # unused at test time; layers take one
        parts = [
            self._forward(self.params, xb[i : i + batch_size], train=False, rng=gen)[0]
            for i in range(0, xb.shape[0], batch_size)
        ]
        if not parts:
            return np.zeros((0, self.n_classes), dtype=self.dtype)
        return np.concatenate(parts)

    def predict(self, x: Any, *, batch_size: int = 1000) -> NDArray[np.intp]:
        """The predicted class of each example, shape (N,)."""
        return np.argmax(self.scores(x, batch_size=batch_size), axis=1)

    def accuracy(self, x: Any, y: Any) -> float:
        """The fraction of examples whose predicted class is ``y``."""
        labels = np.asarray(y)
        predicted = self.predict(x)
        if labels.shape != predicted.shape:
            raise ValueError(f"y must have shape {predicted.shape}, got {labels.shape}")
        return float(np.mean(predicted == labels))

    # -- training ---------------------------------------------------------------

    def fit(
        self,
        x: Any,
        y: Any,
        *,
        epochs: int,
        batch_size: int,
        lr: float,
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
        y : array_like of int, shape (N,)
        epochs, batch_size : int
        lr : float
            :math:`\eta > 0`.
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
        if blas_threads is not None:
            blas_threads = validate_positive_int(blas_threads, "blas_threads")
        xs = self.inputs(x)
        labels = np.asarray(y)
        if labels.shape != (xs.shape[0],):
            raise ValueError(
                f"y must have shape ({xs.shape[0]},), one label per example, got "
                f"{labels.shape}"
            )
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
                        self.params, xs[batch], labels[batch], gen
                    )
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


@dataclasses.dataclass(frozen=True)
class FitSettings:
    """The training settings of a preset: the arguments of :meth:`Model.fit`."""

    epochs: int
    batch_size: int
    lr: float

    def as_dict(self) -> dict[str, Any]:
        """The fields as keywords of :meth:`Model.fit`."""
        return dataclasses.asdict(self)


#: The CNN presets: the full one and a shorter one for CI's guard, each with its
#: dropout (the probability of keeping a unit of the dense layer; None: no
#: dropout). Measured in benchmarks/results/bench_cnn.txt.
CNN_PRESETS: dict[str, tuple[FitSettings, float | None]] = {
    "cnn": (FitSettings(epochs=10, batch_size=64, lr=0.05), 0.5),
    "cnn-short": (FitSettings(epochs=2, batch_size=64, lr=0.1), None),
}


def cnn_preset(
    name: str = "cnn",
    *,
    rng: int | np.random.Generator = 0,
    dtype: DTypeLike = "float32",
    keep: float | None = None,
) -> tuple[Model, FitSettings]:
    """A convolutional network for MNIST and its training settings.

    Two convolution-ReLU-max-pool stages (20 then 40 kernels of 5x5, pools of
    2x2), a dense layer of 100 ReLU units (with dropout where the preset has
    it), and 10 class scores under the softmax loss; He initialisation,
    float32, plain minibatch SGD.

    Parameters
    ----------
    name : {"cnn", "cnn-short"}
        ``"cnn"`` trains to the full accuracy (dropout keeping half the dense
        units, 10 epochs at learning rate 0.05); ``"cnn-short"``, CI's guard, in
        two epochs at 0.1, without dropout.
    rng : int or numpy.random.Generator, default 0
        Seed or generator of the initial parameters.
    dtype : floating dtype, default "float32"
    keep : float, optional
        The dropout after the dense layer (probability of keeping a unit),
        instead of the preset's.

    Returns
    -------
    model : Model
    settings : FitSettings
        ``model.fit(x, y, **settings.as_dict(), rng=...)``.
    """
    if name not in CNN_PRESETS:
        raise ValueError(f"name must be one of {list(CNN_PRESETS)}, got {name!r}")
    settings, preset_keep = CNN_PRESETS[name]
    keep = preset_keep if keep is None else keep
    layers: list[Layer] = [
        Convolution(20, 5),
        Activation("relu"),
        MaxPool(2),
        Convolution(40, 5),
        Activation("relu"),
        MaxPool(2),
        Dense(100),
        Activation("relu"),
    ]
    if keep is not None and keep < 1:
        layers.append(Dropout(keep))
    layers.append(Dense(10))
    return Model(layers, (1, 28, 28), dtype=dtype, rng=rng), settings
