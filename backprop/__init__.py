"""backprop: a fully connected network trained by backpropagation, in NumPy.

The notation is the tutorial's: :math:`z^l = W^l a^{l-1} + b^l`,
:math:`a^l = \\phi_l(z^l)` (the sigmoid :math:`\\sigma` by default; tanh, ReLU, the
identity and a softmax output by name, :mod:`backprop.layers`),
:math:`\\delta^l = \\partial C / \\partial z^l`, and the four equations BP1-BP4 in
:mod:`backprop.equations`.
"""

from backprop.activations import (
    identity,
    identity_prime,
    log_softmax,
    relu,
    relu_prime,
    sigmoid,
    sigmoid_prime,
    softmax,
    softmax_backward,
    tanh,
    tanh_prime,
)
from backprop.core import (
    add_l2,
    backward,
    cost_value,
    feedforward,
    forward,
    gradients,
    mean_cost,
)
from backprop.costs import COSTS, get_cost, l2_penalty
from backprop.equations import bp1, bp2, bp3, bp4, weight_decay
from backprop.layers import ACTIVATIONS, get_activation, resolve_activations
from backprop.network import Network, evaluate, predict
from backprop.params import describe_index, init_params, pack, unpack
from backprop.training import sgd, sgd_step, update

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "Network",
    "add_l2",
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
    "get_activation",
    "get_cost",
    "gradients",
    "identity",
    "identity_prime",
    "init_params",
    "l2_penalty",
    "log_softmax",
    "mean_cost",
    "pack",
    "predict",
    "relu",
    "relu_prime",
    "resolve_activations",
    "sgd",
    "sgd_step",
    "sigmoid",
    "sigmoid_prime",
    "softmax",
    "softmax_backward",
    "tanh",
    "tanh_prime",
    "unpack",
    "update",
    "weight_decay",
]
