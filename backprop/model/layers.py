"""The layers a :class:`~backprop.model.stack.Model` stacks, each a thin holder of
its hyper-parameters around the functions of :mod:`backprop.blocks`: its
parameters' shapes and initialisation, forward and backward."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

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
from backprop.layers import get_activation
from backprop.validation import validate_positive_int

__all__ = [
    "Activation",
    "AveragePool",
    "BatchNorm",
    "Convolution",
    "Dense",
    "Dropout",
    "Layer",
    "MaxPool",
    "execution_order",
]


#: One layer's arrays by name (``{"w": ..., "b": ...}``).
Leaves = dict[str, NDArray[Any]]


#: The arrays of every layer, by layer name.
Params = dict[str, Leaves]


Shape = tuple[int, ...]


class Layer:
    """One layer of a :class:`~backprop.model.stack.Model`: its parameters' shapes and its two passes.

    Subclasses are frozen dataclasses of their hyper-parameters; ``kind`` names
    them in saved files and in the automatic layer names (``conv1``, ...).
    ``takes_indices`` is True for a layer that reads integer indices rather than
    floats (:class:`~backprop.model.sequence.Embedding`): the model then passes
    its input unconverted, and the layer must come first.
    """

    kind: ClassVar[str] = ""
    takes_indices: ClassVar[bool] = False

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


def execution_order(layers: Sequence[Layer]) -> tuple[int, ...]:
    r"""The order in which :class:`~backprop.model.stack.Model` runs its layers.

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
