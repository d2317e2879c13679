r"""The activation of each layer, by name, and which combinations make sense.

A layer's activation :math:`\phi_l` enters backpropagation twice: forward as
:math:`a^l = \phi_l(z^l)` and backward as the transposed Jacobian
:math:`(\partial a^l / \partial z^l)^T` applied to a gradient (BP1 and BP2). For
an elementwise :math:`\phi` that product is :math:`g \odot \phi'(z)`; for softmax
it is :func:`backprop.softmax_backward`.

``activations=`` of :func:`backprop.gradients`, :func:`backprop.sgd` and
:class:`backprop.Network` names them (:func:`backprop.resolve_activations`):

- ``None``: the sigmoid in every layer (the tutorial's network);
- one name, such as ``"tanh"``: that activation in every layer;
- one name per layer, ``(phi_1, ..., phi_L)``;
- a pair ``(hidden, output)``: ``hidden`` in layers 1..L-1, ``output`` in layer L.

A sequence of length L is read per layer, else a pair is read as (hidden,
output). The two readings agree for L = 2 (one hidden layer); for L = 1 a pair's
``hidden`` has no layer to apply to and is ignored, so ``("relu", "softmax")``
describes a softmax regression there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backprop import activations as act

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "Identity",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "get_activation",
    "resolve_activations",
    "validate_combination",
]


class Activation:
    r"""An elementwise activation :math:`\phi` and its derivative :math:`\phi'`.

    Subclasses set ``name``, ``analytic`` (False where the complex step does not
    apply) and the two methods ``value`` and ``prime``.
    """

    name = ""
    #: Whether :math:`\phi` is analytic (the complex step is valid through it).
    analytic = True
    #: Whether :math:`\phi` acts on each entry alone (its Jacobian is diagonal);
    #: only such activations may be used in hidden layers (BP2 needs
    #: :math:`\phi'`).
    elementwise = True

    def value(self, z: NDArray) -> NDArray:
        r""":math:`a = \phi(z)`."""
        raise NotImplementedError

    def prime(self, z: NDArray) -> NDArray:
        r""":math:`\phi'(z)`, entry by entry."""
        raise NotImplementedError

    def backward(self, z: NDArray, grad: NDArray, a: NDArray | None = None) -> NDArray:
        r""":math:`(\partial a / \partial z)^T g = g \odot \phi'(z)`, ``grad`` = g.

        ``a``, :math:`\phi(z)` if known, is used only where it saves work (softmax).
        """
        return grad * self.prime(z)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Sigmoid(Activation):
    r"""The logistic sigmoid :math:`\sigma` and :math:`\sigma' = \sigma(1 - \sigma)`."""

    name = "sigmoid"

    def value(self, z: NDArray) -> NDArray:
        return act.sigmoid(z)

    def prime(self, z: NDArray) -> NDArray:
        return act.sigmoid_prime(z)


class Tanh(Activation):
    r""":math:`\tanh` and :math:`\tanh' = 1 - \tanh^2`."""

    name = "tanh"

    def value(self, z: NDArray) -> NDArray:
        return act.tanh(z)

    def prime(self, z: NDArray) -> NDArray:
        return act.tanh_prime(z)


class ReLU(Activation):
    r""":math:`\max(z, 0)` and its step derivative (0 at the kink); not analytic."""

    name = "relu"
    analytic = False

    def value(self, z: NDArray) -> NDArray:
        return act.relu(z)

    def prime(self, z: NDArray) -> NDArray:
        return act.relu_prime(z)


class Identity(Activation):
    r"""The identity :math:`\phi(z) = z`, :math:`\phi' = 1`: a linear layer."""

    name = "identity"

    def value(self, z: NDArray) -> NDArray:
        return act.identity(z)

    def prime(self, z: NDArray) -> NDArray:
        return act.identity_prime(z)

    def backward(self, z: NDArray, grad: NDArray, a: NDArray | None = None) -> NDArray:
        return grad


class Softmax(Activation):
    r"""Softmax over each row; only for the output layer.

    Its Jacobian :math:`\operatorname{diag}(a) - a a^T` is not diagonal, so it has no
    ``prime``: :meth:`Activation.backward` applies the Jacobian as a product.
    """

    name = "softmax"
    elementwise = False

    def value(self, z: NDArray) -> NDArray:
        return act.softmax(z)

    def prime(self, z: NDArray) -> NDArray:
        raise TypeError(
            "softmax is not elementwise: it has a Jacobian diag(a) - a a^T, not a "
            "derivative per entry; use Softmax.backward"
        )

    def backward(self, z: NDArray, grad: NDArray, a: NDArray | None = None) -> NDArray:
        r""":math:`(\operatorname{diag}(a) - a a^T)\, g`, one row per example."""
        return act.softmax_backward(act.softmax(z) if a is None else a, grad)


_BY_NAME: dict[str, Activation] = {
    layer.name: layer for layer in (Sigmoid(), Tanh(), ReLU(), Identity(), Softmax())
}
#: The names of the activations.
ACTIVATIONS: tuple[str, ...] = tuple(_BY_NAME)
#: The output activation each cost requires, where it requires one.
COST_OUTPUT = {"cross_entropy": "sigmoid", "log_likelihood": "softmax"}
_WHY = {
    "cross_entropy": "its ln a and ln(1 - a) need each output in (0, 1) on its "
    "own; for a softmax output use cost='log_likelihood'",
    "log_likelihood": "-ln a_y is a cost only when the outputs are a probability "
    "distribution",
}


def get_activation(name: object) -> Activation:
    """Look up an activation by name (one of :data:`ACTIVATIONS`)."""
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str) or name not in _BY_NAME:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {name!r}")
    return _BY_NAME[name]


def resolve_activations(activations: Any, n_layers: int) -> tuple[Activation, ...]:
    """The activation of each of ``n_layers`` layers, from ``activations=``.

    See the module docstring for the accepted forms. Softmax (not elementwise)
    is allowed in the output layer only.

    Returns
    -------
    tuple of Activation
        Entry ``l - 1`` is the activation of layer ``l``.
    """
    if activations is None:
        names: list[Any] = ["sigmoid"] * n_layers
    elif isinstance(activations, str | Activation):
        names = [activations] * n_layers
    elif isinstance(activations, Sequence | np.ndarray):
        # An array of names gives np.str_: plain str, so that messages read alike.
        given = [str(a) if isinstance(a, np.str_) else a for a in activations]
        if len(given) == n_layers:
            names = given
        elif len(given) == 2:
            names = [given[0]] * (n_layers - 1) + [given[1]]
        else:
            raise ValueError(
                f"activations must name one activation per layer ({n_layers} "
                f"names) or a pair (hidden, output), got {len(given)} names: {given}"
            )
    else:
        raise TypeError(
            f"activations must be a name such as 'relu', a pair (hidden, output) or "
            f"one name per layer, got {type(activations).__name__} {activations!r}"
        )
    layers = tuple(get_activation(n) for n in names)
    for l, layer in enumerate(layers[:-1], start=1):
        if not layer.elementwise:
            raise ValueError(
                f"activations: {layer.name} is for the output layer only, got it "
                f"for hidden layer {l} of {n_layers} (activations={activations!r})"
            )
    return layers


def validate_combination(cost: str, output: Activation) -> None:
    """Raise ValueError when ``cost`` makes no sense on the ``output`` activation."""
    needed = COST_OUTPUT.get(cost)
    if needed is not None and output.name != needed:
        raise ValueError(
            f"cost {cost!r} needs a {needed} output layer, got the {output.name!r} "
            f"activation for the output: {_WHY[cost]}"
        )
