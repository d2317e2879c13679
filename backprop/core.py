r"""Forward pass, backward pass and the gradient of the batch cost.

A network with layers :math:`l = 1, \dots, L` has weights :math:`W^l` of shape
``(n_l, n_{l-1})`` and biases :math:`b^l` of shape ``(n_l,)``. A minibatch ``x`` has
one example per row, shape ``(m, n_0)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backprop.activations import sigmoid
from backprop.costs import Cost
from backprop.equations import bp2, bp3, bp4
from backprop.validation import validate_batch, validate_params, validate_x

__all__ = ["backward", "cost_value", "feedforward", "forward", "gradients", "mean_cost"]

Arrays = list[NDArray]


def forward(
    weights: Sequence[NDArray], biases: Sequence[NDArray], x: NDArray
) -> tuple[Arrays, Arrays]:
    r"""Forward pass on validated arrays: :func:`feedforward` without the checks.

    Unvalidated, like :func:`backward`: ``weights`` and ``biases`` are arrays of
    one network in one dtype and ``x`` an ``(m, n_0)`` array of that dtype, as
    :func:`feedforward` and the training loop pass them. Returns ``zs`` and
    ``activations`` as :func:`feedforward` does.
    """
    zs: Arrays = []
    activations: Arrays = [x]
    a = x
    for w, b in zip(weights, biases, strict=True):
        z = a @ w.T
        z += b
        a = sigmoid(z)
        zs.append(z)
        activations.append(a)
    return zs, activations


def feedforward(weights: Any, biases: Any, x: Any) -> tuple[Arrays, Arrays]:
    r"""Forward pass: every weighted input and activation.

    .. math:: z^l = W^l a^{l-1} + b^l, \qquad a^l = \sigma(z^l), \qquad a^0 = x

    Parameters
    ----------
    weights : list of ndarray
        ``weights[l - 1]`` is :math:`W^l`, shape ``(n_l, n_{l-1})``.
    biases : list of ndarray
        ``biases[l - 1]`` is :math:`b^l`, shape ``(n_l,)``.
    x : array_like, shape (m, n_0)
        One example per row; cast to the parameters' dtype.

    Returns
    -------
    zs : list of ndarray
        ``zs[l - 1]`` is :math:`z^l`, shape ``(m, n_l)``, for l = 1..L.
    activations : list of ndarray
        ``activations[l]`` is :math:`a^l`, shape ``(m, n_l)``, for l = 0..L
        (``activations[0]`` is ``x``).
    """
    ws, bs, dtype = validate_params(weights, biases)
    return forward(ws, bs, validate_x(x, ws[0].shape[1], dtype))


def backward(
    weights: Sequence[NDArray],
    zs: Sequence[NDArray],
    activations: Sequence[NDArray],
    y: NDArray,
    cost: Cost,
    out: Arrays | None = None,
) -> tuple[Arrays, Arrays]:
    r"""Backward pass: BP1 at the output, BP2 down the layers, BP3 and BP4 at each.

    Unvalidated: the arguments are those of a forward pass of the same network.

    Parameters
    ----------
    weights : list of ndarray
        :math:`W^1, \dots, W^L`.
    zs, activations : list of ndarray
        As returned by :func:`feedforward`.
    y : ndarray, shape (m, n_L)
        Targets.
    cost : Cost
        Provides :math:`\delta^L` (BP1).
    out : list of ndarray, optional
        Buffers shaped like the weights to receive the weight gradients.

    Returns
    -------
    grad_w, grad_b : list of ndarray
        Gradients of the batch-mean cost, shaped like the weights and biases.
    """
    # Layers l = L, ..., 1 as in the notation; list index l - 1 holds layer l
    # (activations[l - 1] is a^{l-1}, since activations[0] is a^0 = x).
    L = len(weights)
    grad_w: Arrays = [np.empty(0)] * L
    grad_b: Arrays = [np.empty(0)] * L
    delta = cost.delta(zs[L - 1], activations[L], y)  # BP1
    for l in range(L, 0, -1):
        if l < L:
            delta = bp2(weights[l], delta, zs[l - 1])  # W^{l+1}, z^l
        grad_b[l - 1] = bp3(delta)
        buffer = None if out is None else out[l - 1]
        grad_w[l - 1] = bp4(delta, activations[l - 1], out=buffer)
    return grad_w, grad_b


def gradients(
    weights: Any, biases: Any, x: Any, y: Any, cost: str = "cross_entropy"
) -> tuple[Arrays, Arrays]:
    r"""Gradient of the mean cost over a minibatch, by backpropagation.

    Parameters
    ----------
    weights, biases : list of ndarray
        The network, as from :func:`backprop.init_params`.
    x : array_like, shape (m, n_0)
        Inputs, one example per row.
    y : array_like, shape (m, n_L), or (m,) integer labels
        Targets; integer labels are one-hot encoded.
    cost : {"cross_entropy", "quadratic"}
        The per-example cost; the batch cost is its mean over the m rows.

    Returns
    -------
    grad_w : list of ndarray
        :math:`\partial C / \partial W^l`, same shapes and dtype as ``weights``.
    grad_b : list of ndarray
        :math:`\partial C / \partial b^l`, same shapes and dtype as ``biases``.
    """
    ws, bs, x, y, cost_fn = validate_batch(weights, biases, x, y, cost)
    zs, activations = forward(ws, bs, x)
    return backward(ws, zs, activations, y, cost_fn)


def mean_cost(
    weights: Any, biases: Any, x: Any, y: Any, cost: str = "cross_entropy"
) -> np.generic:
    """Mean cost of the network over the rows of ``x`` with targets ``y``.

    Parameters are as for :func:`gradients`. The result has the parameters' dtype.
    """
    ws, bs, x, y, cost_fn = validate_batch(weights, biases, x, y, cost)
    zs, activations = forward(ws, bs, x)
    return cost_fn.value(zs[-1], activations[-1], y)


#: The name :func:`mean_cost` had before it took :mod:`spec`'s name.
cost_value = mean_cost
