"""The convolutional network of MNIST's ``cnn`` presets and its training settings:
:func:`cnn_preset`."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from backprop.model.layers import (
    Activation,
    Convolution,
    Dense,
    Dropout,
    Layer,
    MaxPool,
)
from backprop.model.stack import Model

__all__ = [
    "CNN_PRESETS",
    "FitSettings",
    "cnn_preset",
]


@dataclasses.dataclass(frozen=True)
class FitSettings:
    """The training settings of a preset: the arguments of :meth:`~backprop.model.stack.Model.fit`."""

    epochs: int
    batch_size: int
    lr: float

    def as_dict(self) -> dict[str, Any]:
        """The fields as keywords of :meth:`~backprop.model.stack.Model.fit`."""
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
