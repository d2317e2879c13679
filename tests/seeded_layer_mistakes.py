"""Known mistakes seeded into the tanh/ReLU/softmax implementation
(:mod:`tutorial_layers_net`), each with the network it is checked on.

One :class:`LayerMistake` per catalogue entry for these layers (the softmax
Jacobian, tanh', L2, the other cost's δ^L on a softmax output), and some of the
sigmoid-era mistakes made again in a ReLU network with L2, whose entries the
diagnosis must still name.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from seeded_mistakes import SeededMistake

SOURCE = Path(__file__).with_name("tutorial_layers_net.py")
#: The network most mistakes are checked on: ReLU hidden layers, softmax output,
#: L2 (so that every part of the gradient is exercised).
RELU_SOFTMAX: dict[str, Any] = {"activations": ("relu", "softmax"), "l2": 0.05}
TANH_SOFTMAX: dict[str, Any] = {"activations": ("tanh", "softmax"), "l2": 0.05}


@dataclasses.dataclass(frozen=True)
class LayerMistake(SeededMistake):
    """A seeded mistake and the ``activations=``/``l2=`` of its battery."""

    path: Path = SOURCE
    network: tuple[tuple[str, Any], ...] = tuple(RELU_SOFTMAX.items())

    @property
    def check_options(self) -> dict[str, Any]:
        """Keywords of :func:`spec.check_implementation` for this mistake."""
        return dict(self.network)


_L2 = "nabla_w = [nw + l2 * w for nw, w in zip(nabla_w, weights, strict=True)]"
_BP2 = "delta = np.dot(weights[-l + 1].transpose(), delta) * sp"

#: One per catalogue entry new with these layers.
NEW: tuple[LayerMistake, ...] = (
    LayerMistake(
        "softmax_jacobian_no_outer_product",
        "return a * g - a * np.dot(a.transpose(), g)",
        "return a * g",
    ),
    LayerMistake(
        "softmax_jacobian_diagonal_only",
        "return a * g - a * np.dot(a.transpose(), g)",
        "return a * (1 - a) * g",
    ),
    LayerMistake(
        "tanh_prime_one_minus_tanh",
        "return 1 - np.tanh(z) ** 2",
        "return 1 - np.tanh(z)",
        network=tuple(TANH_SOFTMAX.items()),
    ),
    LayerMistake(
        "l2_on_biases",
        _L2,
        _L2 + "\n        nabla_b = [nb + l2 * b for nb, b in zip(nabla_b, biases)]",
    ),
    LayerMistake(
        "l2_without_lambda",
        _L2,
        "nabla_w = [nw + w for nw, w in zip(nabla_w, weights, strict=True)]",
    ),
)

#: Older entries, made again in the ReLU/softmax network with L2.
AGAIN: tuple[LayerMistake, ...] = (
    LayerMistake(
        "other_cost",
        '"quadratic": QuadraticCost,\n    "cross_entropy": CrossEntropyCost,\n'
        '    "log_likelihood": LogLikelihoodCost,',
        '"quadratic": LogLikelihoodCost,\n    "cross_entropy": CrossEntropyCost,\n'
        '    "log_likelihood": QuadraticCost,',
    ),
    LayerMistake(
        "bp2_no_transpose", _BP2, "delta = np.dot(weights[-l + 1], delta) * sp"
    ),
    LayerMistake(
        "bp2_sigma_prime_of_a",
        "sp = LAYERS[names[-l]][1](zs[-l])",
        "sp = LAYERS[names[-l]][1](acts[-l])",
        network=tuple(TANH_SOFTMAX.items()),
    ),
    LayerMistake(
        "sign_flip",
        "delta = COSTS[cost].delta(names[-1], zs[-1], acts[-1], y)",
        "delta = COSTS[cost].delta(names[-1], zs[-1], y, acts[-1])",
    ),
    LayerMistake(
        "bp4_activation_of_same_layer",
        "nabla_w[-l] = np.dot(delta, acts[-l - 1].transpose())",
        "nabla_w[-l] = np.dot(delta, acts[-l].transpose())",
    ),
    LayerMistake(
        "loop_stops_early",
        "for l in range(1, len(weights) + 1):",
        "for l in range(1, len(weights)):",
    ),
)

#: ReLU'(a) for ReLU'(z): the same function, since relu(z) > 0 exactly where
#: z > 0, so not a mistake in a ReLU network (it is one with tanh: ``AGAIN``).
RELU_PRIME_OF_A = LayerMistake(
    "relu_prime_of_a",
    "sp = LAYERS[names[-l]][1](zs[-l])",
    "sp = LAYERS[names[-l]][1](acts[-l])",
)
