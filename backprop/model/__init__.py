r"""A model that stacks layers of :mod:`backprop.blocks` under a classification loss.

The layers of images and vectors are in :mod:`backprop.model.layers`, the
recurrent ones (embeddings, RNN, LSTM, the affine layer of every step) in
:mod:`backprop.model.sequence`; a sequence model is trained under the loss
``"temporal_softmax"``, which scores every step.

The parameters are a tree of dicts, one entry per layer that has any
(``{"conv1": {"w": ..., "b": ...}, "dense1": {...}}``), so a tree check
(:func:`spec.check_vjp`, :func:`spec.gradcheck`) reads the gradient of
:meth:`~backprop.model.stack.Model.gradients` entry by entry, named by path. Training is plain
minibatch stochastic gradient descent, as the tutorial's:
:math:`\theta \leftarrow \theta - \eta \, \nabla_\theta L`, with :math:`L` the mean
loss over a minibatch.

>>> from backprop.model import Activation, Convolution, Dense, MaxPool, Model
>>> model = Model([Convolution(4, 3), Activation("relu"), MaxPool(2),
...                Dense(10)], input_shape=(1, 8, 8), rng=0)
>>> {name: sorted(p) for name, p in model.params.items()}
{'conv1': ['b', 'w'], 'dense1': ['b', 'w']}
"""

from __future__ import annotations

from backprop.model.layers import (
    Activation,
    AveragePool,
    BatchNorm,
    Convolution,
    Dense,
    Dropout,
    Layer,
    Leaves,
    MaxPool,
    Params,
    Shape,
    execution_order,
)
from backprop.model.presets import (
    CNN_PRESETS,
    DESCENT_PRESETS,
    DescentSettings,
    FitSettings,
    cnn_preset,
    descent_preset,
    mlp,
)
from backprop.model.sequence import LSTM, RNN, Embedding, TemporalDense
from backprop.model.stack import (
    FILE_FORMAT,
    LAYER_KINDS,
    LOSSES,
    SEQUENCE_LOSSES,
    EpochCallback,
    Model,
)

__all__ = [
    "CNN_PRESETS",
    "DESCENT_PRESETS",
    "FILE_FORMAT",
    "LAYER_KINDS",
    "LOSSES",
    "LSTM",
    "RNN",
    "SEQUENCE_LOSSES",
    "Activation",
    "AveragePool",
    "BatchNorm",
    "Convolution",
    "Dense",
    "DescentSettings",
    "Dropout",
    "Embedding",
    "EpochCallback",
    "FitSettings",
    "Layer",
    "Leaves",
    "MaxPool",
    "Model",
    "Params",
    "Shape",
    "TemporalDense",
    "cnn_preset",
    "descent_preset",
    "execution_order",
    "mlp",
]
