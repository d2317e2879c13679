r"""The recurrent layers a :class:`~backprop.model.stack.Model` stacks: word
embeddings, the vanilla RNN, the LSTM and the affine layer applied at every step,
each a thin holder of its hyper-parameters around the functions of
:mod:`backprop.blocks.recurrent` and :mod:`backprop.blocks.temporal`.

One example is a sequence of :math:`T` steps: integer word indices of shape
``(T,)`` for :class:`Embedding`, vectors of shape ``(T, D)`` for the others, so a
batch is ``(N, T)`` or ``(N, T, D)``. The recurrent layers start every sequence
from :math:`h_0 = 0` and return the hidden state of every step; the model's loss
``"temporal_softmax"`` then scores every step (:class:`~backprop.model.stack.Model`).

>>> from backprop.model import LSTM, Embedding, Model, TemporalDense
>>> model = Model([Embedding(12, 4), LSTM(6), TemporalDense(12)], input_shape=(5,),
...               loss="temporal_softmax", rng=0)
>>> {name: sorted(p) for name, p in model.params.items()}
{'embedding1': ['w'], 'lstm1': ['b', 'wh', 'wx'], 'temporaldense1': ['b', 'w']}
>>> model.params["lstm1"]["wx"].shape
(4, 24)
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from backprop.blocks.recurrent import (
    CS231N_GATE_ORDER,
    lstm_backward,
    lstm_forward,
    rnn_backward,
    rnn_forward,
    validate_gate_order,
)
from backprop.blocks.temporal import (
    temporal_affine_backward,
    temporal_affine_forward,
    word_embedding_backward,
    word_embedding_forward,
)
from backprop.model.layers import Layer, Leaves, Shape
from backprop.validation import validate_positive_int

__all__ = ["LSTM", "RNN", "Embedding", "TemporalDense"]


def _scaled_normal(
    rng: np.random.Generator, shape: Shape, fan_in: int, dtype: np.dtype[Any]
) -> NDArray[Any]:
    """:math:`\\mathcal N(0, 1/\\mathrm{fan_{in}})`: unit-variance pre-activations
    for unit-variance inputs, the scale of CS231n's recurrent layers."""
    return (rng.standard_normal(shape) / math.sqrt(fan_in)).astype(dtype)


def _sequence_shape(layer: Layer, in_shape: Shape) -> tuple[int, int]:
    if len(in_shape) != 2:
        raise ValueError(
            f"{type(layer).__name__} needs sequences of vectors (T, D) as input, got shape "
            f"{in_shape}; a sequence of word indices (T,) needs an Embedding first"
        )
    t, d = in_shape
    return t, d


@dataclasses.dataclass(frozen=True)
class Embedding(Layer):
    r"""A vector of ``dim`` entries for each of ``vocabulary`` words:
    :math:`\text{out}_{n,t} = W_{x_{n,t}}`.

    Reads integer word indices, shape (N, T), each in ``[0, vocabulary)``, and
    returns their vectors, shape (N, T, dim); it must be a model's first layer.
    Parameter ``w`` (vocabulary, dim), drawn from :math:`\mathcal N(0, 1)`. A
    word repeated in a batch receives the sum of its gradients
    (:func:`~backprop.blocks.temporal.word_embedding_backward`).
    """

    vocabulary: int
    dim: int
    kind: ClassVar[str] = "embedding"
    takes_indices: ClassVar[bool] = True

    def __post_init__(self) -> None:
        validate_positive_int(self.vocabulary, "vocabulary")
        validate_positive_int(self.dim, "dim")

    def init(
        self, in_shape: Shape, rng: np.random.Generator, dtype: np.dtype[Any]
    ) -> tuple[dict[str, NDArray[Any]], dict[str, NDArray[Any]], Shape]:
        if len(in_shape) != 1:
            raise ValueError(
                f"an embedding needs sequences of word indices (T,) as input, got "
                f"shape {in_shape}"
            )
        w = rng.standard_normal((self.vocabulary, self.dim)).astype(dtype)
        return {"w": w}, {}, (in_shape[0], self.dim)

    def forward(
        self,
        params: Leaves,
        state: Leaves,
        x: NDArray[Any],
        *,
        train: bool,
        rng: np.random.Generator,
    ) -> tuple[NDArray[Any], Any, Leaves]:
        out, cache = word_embedding_forward(x, params["w"])
        return out, cache, state

    def backward(
        self, dout: NDArray[Any], cache: Any, *, need_dx: bool
    ) -> tuple[NDArray[Any] | None, Leaves]:
        # Integer indices have no gradient: dx is None whatever need_dx says.
        return None, {"w": word_embedding_backward(dout, cache)}


@dataclasses.dataclass(frozen=True)
class RNN(Layer):
    r"""The vanilla RNN of ``hidden`` units, unrolled over the steps of a sequence:
    :math:`h_t = \tanh(x_t W_x + h_{t-1} W_h + b)` from :math:`h_0 = 0`.

    Input (N, T, D), output the hidden state of every step, (N, T, hidden); the
    backward is backpropagation through time
    (:func:`~backprop.blocks.recurrent.rnn_backward`). Parameters ``wx``
    (D, hidden), ``wh`` (hidden, hidden), drawn from
    :math:`\mathcal N(0, 1/\mathrm{fan_{in}})`, and ``b`` (hidden,), zero.
    """

    hidden: int
    kind: ClassVar[str] = "rnn"

    def __post_init__(self) -> None:
        validate_positive_int(self.hidden, "hidden")

    def _gates(self) -> int:
        return 1

    def init(
        self, in_shape: Shape, rng: np.random.Generator, dtype: np.dtype[Any]
    ) -> tuple[dict[str, NDArray[Any]], dict[str, NDArray[Any]], Shape]:
        t, d = _sequence_shape(self, in_shape)
        h, width = self.hidden, self._gates() * self.hidden
        params = {
            "wx": _scaled_normal(rng, (d, width), d, dtype),
            "wh": _scaled_normal(rng, (h, width), h, dtype),
            "b": np.zeros(width, dtype=dtype),
        }
        return params, {}, (t, h)

    def forward(
        self,
        params: Leaves,
        state: Leaves,
        x: NDArray[Any],
        *,
        train: bool,
        rng: np.random.Generator,
    ) -> tuple[NDArray[Any], Any, Leaves]:
        h0 = np.zeros((x.shape[0], self.hidden), dtype=x.dtype)
        h, cache = rnn_forward(x, h0, params["wx"], params["wh"], params["b"])
        return h, cache, state

    def backward(
        self, dout: NDArray[Any], cache: Any, *, need_dx: bool
    ) -> tuple[NDArray[Any] | None, Leaves]:
        dx, _, dwx, dwh, db = rnn_backward(dout, cache)
        return (dx if need_dx else None), {"wx": dwx, "wh": dwh, "b": db}


@dataclasses.dataclass(frozen=True)
class LSTM(RNN):
    r"""The LSTM of ``hidden`` units, unrolled over the steps of a sequence from
    :math:`h_0 = 0` and :math:`c_0 = 0` (:func:`~backprop.blocks.recurrent.lstm_forward`).

    Input (N, T, D), output the hidden state of every step, (N, T, hidden).
    Parameters ``wx`` (D, 4 hidden) and ``wh`` (hidden, 4 hidden), drawn from
    :math:`\mathcal N(0, 1/\mathrm{fan_{in}})`, and ``b`` (4 hidden,): zero but
    for the forget gate's block, 1, so that the cell keeps its state early in
    training. ``gate_order`` names the gate of each ``hidden``-wide block of the
    pre-activation: CS231n's ``("i", "f", "o", "g")`` by default, PyTorch's
    ``nn.LSTM`` ``("i", "f", "g", "o")``.
    """

    gate_order: tuple[str, ...] = CS231N_GATE_ORDER
    kind: ClassVar[str] = "lstm"

    def __post_init__(self) -> None:
        super().__post_init__()
        # Normalised, so that equal layers compare equal and save as a list.
        object.__setattr__(self, "gate_order", validate_gate_order(self.gate_order))

    def _gates(self) -> int:
        return 4

    def init(
        self, in_shape: Shape, rng: np.random.Generator, dtype: np.dtype[Any]
    ) -> tuple[dict[str, NDArray[Any]], dict[str, NDArray[Any]], Shape]:
        params, state, out_shape = super().init(in_shape, rng, dtype)
        forget = self.gate_order.index("f") * self.hidden
        params["b"][forget : forget + self.hidden] = 1
        return params, state, out_shape

    def forward(
        self,
        params: Leaves,
        state: Leaves,
        x: NDArray[Any],
        *,
        train: bool,
        rng: np.random.Generator,
    ) -> tuple[NDArray[Any], Any, Leaves]:
        h0 = np.zeros((x.shape[0], self.hidden), dtype=x.dtype)
        h, cache = lstm_forward(
            x,
            h0,
            params["wx"],
            params["wh"],
            params["b"],
            gate_order=self.gate_order,
        )
        return h, cache, state

    def backward(
        self, dout: NDArray[Any], cache: Any, *, need_dx: bool
    ) -> tuple[NDArray[Any] | None, Leaves]:
        dx, _, dwx, dwh, db = lstm_backward(dout, cache)
        return (dx if need_dx else None), {"wx": dwx, "wh": dwh, "b": db}


@dataclasses.dataclass(frozen=True)
class TemporalDense(Layer):
    r"""A fully connected layer of ``units`` outputs applied at every step:
    :math:`\text{out}_{n,t} = x_{n,t} w + b`.

    Input (N, T, D), output (N, T, units): the scores of every step for the
    model's ``"temporal_softmax"`` loss. Parameters ``w`` (D, units), drawn from
    :math:`\mathcal N(0, 1/D)`, and ``b`` (units,), zero.
    """

    units: int
    kind: ClassVar[str] = "temporaldense"

    def __post_init__(self) -> None:
        validate_positive_int(self.units, "units")

    def init(
        self, in_shape: Shape, rng: np.random.Generator, dtype: np.dtype[Any]
    ) -> tuple[dict[str, NDArray[Any]], dict[str, NDArray[Any]], Shape]:
        t, d = _sequence_shape(self, in_shape)
        params = {
            "w": _scaled_normal(rng, (d, self.units), d, dtype),
            "b": np.zeros(self.units, dtype=dtype),
        }
        return params, {}, (t, self.units)

    def forward(
        self,
        params: Leaves,
        state: Leaves,
        x: NDArray[Any],
        *,
        train: bool,
        rng: np.random.Generator,
    ) -> tuple[NDArray[Any], Any, Leaves]:
        out, cache = temporal_affine_forward(x, params["w"], params["b"])
        return out, cache, state

    def backward(
        self, dout: NDArray[Any], cache: Any, *, need_dx: bool
    ) -> tuple[NDArray[Any] | None, Leaves]:
        dx, dw, db = temporal_affine_backward(dout, cache)
        return (dx if need_dx else None), {"w": dw, "b": db}
