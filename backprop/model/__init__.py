r"""A model that stacks layers of :mod:`backprop.blocks` under a classification loss.

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
    LAYER_KINDS,
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
from backprop.model.stack import (
    FILE_FORMAT,
    LOSSES,
    EpochCallback,
    Model,
)

__all__ = [
    "CNN_PRESETS",
    "DESCENT_PRESETS",
    "FILE_FORMAT",
    "LAYER_KINDS",
    "LOSSES",
    "Activation",
    "AveragePool",
    "BatchNorm",
    "Convolution",
    "Dense",
    "DescentSettings",
    "Dropout",
    "EpochCallback",
    "FitSettings",
    "Layer",
    "Leaves",
    "MaxPool",
    "Model",
    "Params",
    "Shape",
    "cnn_preset",
    "descent_preset",
    "execution_order",
    "mlp",
]
