"""MNIST: the data (:mod:`backprop.mnist.data`), its file formats
(:mod:`backprop.mnist.formats`), the training presets (:mod:`backprop.mnist.presets`)
and the ``backprop train`` / ``backprop evaluate`` commands
(:mod:`backprop.mnist.commands`)."""

from __future__ import annotations

from backprop.mnist.data import MNIST, MNISTError, default_cache_dir, load_mnist
from backprop.mnist.presets import PRESETS, Preset

__all__ = [
    "MNIST",
    "PRESETS",
    "MNISTError",
    "Preset",
    "default_cache_dir",
    "load_mnist",
]
