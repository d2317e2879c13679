"""backprop: a fully connected sigmoid network trained by backpropagation, in NumPy.

The notation is the tutorial's: :math:`z^l = W^l a^{l-1} + b^l`,
:math:`a^l = \\sigma(z^l)`, :math:`\\delta^l = \\partial C / \\partial z^l`, and the
four equations BP1-BP4 in :mod:`backprop.equations`.
"""

from backprop.activations import sigmoid, sigmoid_prime
from backprop.core import (
    backward,
    cost_value,
    feedforward,
    forward,
    gradients,
    mean_cost,
)
from backprop.costs import COSTS, get_cost
from backprop.equations import bp1, bp2, bp3, bp4
from backprop.network import Network, evaluate, predict
from backprop.params import describe_index, init_params, pack, unpack
from backprop.training import sgd, sgd_step, update

__version__ = "0.1.0"

__all__ = [
    "COSTS",
    "Network",
    "backward",
    "bp1",
    "bp2",
    "bp3",
    "bp4",
    "cost_value",
    "describe_index",
    "evaluate",
    "feedforward",
    "forward",
    "get_cost",
    "gradients",
    "init_params",
    "mean_cost",
    "pack",
    "predict",
    "sgd",
    "sgd_step",
    "sigmoid",
    "sigmoid_prime",
    "unpack",
    "update",
]
