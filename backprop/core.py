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
from backprop.costs import Cost, get_cost
from backprop.equations import bp2, bp3, bp4
from backprop.validation import check_params, check_targets, check_x

__all__ = ["backward", "cost_value", "feedforward", "gradients"]

Arrays = list[NDArray]


def _forward(
    weights: Sequence[NDArray], biases: Sequence[NDArray], x: NDArray
) -> tuple[Arrays, Arrays]:
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
    ws, bs, dtype = check_params(weights, biases)
    return _forward(ws, bs, check_x(x, ws[0].shape[1], dtype))


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
    n_layers = len(weights)
    grad_w: Arrays = [np.empty(0)] * n_layers
    grad_b: Arrays = [np.empty(0)] * n_layers
    delta = cost.delta(zs[-1], activations[-1], y)  # BP1
    for l in range(n_layers - 1, -1, -1):
        if l < n_layers - 1:
            delta = bp2(weights[l + 1], delta, zs[l])
        grad_b[l] = bp3(delta)
        grad_w[l] = bp4(delta, activations[l], out=None if out is None else out[l])
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
    cost_fn = get_cost(cost)
    ws, bs, dtype = check_params(weights, biases)
    x = check_x(x, ws[0].shape[1], dtype)
    y = check_targets(y, x.shape[0], ws[-1].shape[0], dtype, cost_fn.name)
    zs, activations = _forward(ws, bs, x)
    return backward(ws, zs, activations, y, cost_fn)


def cost_value(
    weights: Any, biases: Any, x: Any, y: Any, cost: str = "cross_entropy"
) -> np.generic:
    """Mean cost of the network over the rows of ``x`` with targets ``y``.

    Parameters are as for :func:`gradients`. The result has the parameters' dtype.
    """
    cost_fn = get_cost(cost)
    ws, bs, dtype = check_params(weights, biases)
    x = check_x(x, ws[0].shape[1], dtype)
    y = check_targets(y, x.shape[0], ws[-1].shape[0], dtype, cost_fn.name)
    zs, activations = _forward(ws, bs, x)
    return cost_fn.value(zs[-1], activations[-1], y)
