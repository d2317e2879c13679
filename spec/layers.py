r"""The activation of each layer, from ``activations=``, and which combinations make
sense: the same forms and the same refusals as ``backprop.layers``.

``activations=`` of :func:`spec.symbolic_network`, :func:`spec.prove_backprop` and
:func:`spec.oracle_gradients` is

- ``None``: the sigmoid in every layer (the tutorial's network);
- one name, such as ``"tanh"``: that activation in every layer;
- one name per layer, ``(phi_1, ..., phi_L)``;
- a pair ``(hidden, output)``: ``hidden`` in layers 1..L-1, ``output`` in layer L.

A sequence of length L is read per layer, else a pair is read as (hidden,
output); for L = 1 a pair's ``hidden`` has no layer and is ignored. Softmax is for
the output layer only; the cross-entropy needs a sigmoid output, the
log-likelihood a softmax one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from spec.activations import ACTIVATIONS

__all__ = [
    "COST_OUTPUT",
    "OUTPUT_ONLY",
    "resolve_activations",
    "validate_activation",
    "validate_combination",
    "validate_layers",
]

#: Activations allowed only in the output layer.
OUTPUT_ONLY = ("softmax",)
#: The output activation each cost requires, where it requires one.
COST_OUTPUT = {"cross_entropy": "sigmoid", "log_likelihood": "softmax"}
_WHY = {
    "cross_entropy": "its ln a and ln(1 - a) need each output in (0, 1) on its "
    "own; for a softmax output use cost='log_likelihood'",
    "log_likelihood": "-ln a_y is a cost only when the outputs are a probability "
    "distribution",
}


def validate_activation(value: Any) -> str:
    """Return ``value`` if it names an activation, else raise ``ValueError``."""
    if not isinstance(value, str) or value not in ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {list(ACTIVATIONS)}, got {value!r}"
        )
    return value


def resolve_activations(activations: Any, n_layers: int) -> tuple[str, ...]:
    """The activation of each of ``n_layers`` layers, from ``activations=``.

    Parameters
    ----------
    activations : None, str or sequence of str
        See the module docstring for the accepted forms.
    n_layers : int
        :math:`L`, the number of weight matrices.

    Returns
    -------
    tuple of str, length n_layers
        Entry ``l - 1`` names the activation of layer ``l``.

    Raises
    ------
    TypeError, ValueError
        For an unknown name, a sequence of the wrong length, or softmax in a
        hidden layer (naming the layer and the ``activations`` given).
    """
    if activations is None:
        given: list[Any] = ["sigmoid"] * n_layers
    elif isinstance(activations, str):
        given = [activations] * n_layers
    elif isinstance(activations, Sequence | np.ndarray):
        given = [str(a) if isinstance(a, np.str_) else a for a in activations]
        if len(given) != n_layers:
            if len(given) != 2:
                raise ValueError(
                    f"activations must name one activation per layer ({n_layers} "
                    f"names) or a pair (hidden, output), got {len(given)} names: "
                    f"{given}"
                )
            given = [given[0]] * (n_layers - 1) + [given[1]]
    else:
        raise TypeError(
            f"activations must be a name such as 'relu', a pair (hidden, output) or "
            f"one name per layer, got {type(activations).__name__} {activations!r}"
        )
    names = tuple(validate_activation(value) for value in given)
    for layer, name in enumerate(names[:-1], start=1):
        if name in OUTPUT_ONLY:
            raise ValueError(
                f"activations: {name} is for the output layer only, got it for "
                f"hidden layer {layer} of {n_layers} (activations={activations!r})"
            )
    return names


def validate_combination(cost: str, output: str) -> None:
    """Raise ``ValueError`` when ``cost`` makes no sense on the ``output`` activation.

    Parameters
    ----------
    cost : str
        A name of :data:`spec.COSTS`.
    output : str
        The activation of the output layer.
    """
    needed = COST_OUTPUT.get(cost)
    if needed is not None and output != needed:
        raise ValueError(
            f"cost {cost!r} needs a {needed} output layer, got the {output!r} "
            f"activation for the output: {_WHY[cost]}"
        )


def validate_layers(activations: Any, n_layers: int, cost: str) -> tuple[str, ...]:
    """:func:`resolve_activations`, then :func:`validate_combination` with ``cost``."""
    names = resolve_activations(activations, n_layers)
    validate_combination(cost, names[-1])
    return names
