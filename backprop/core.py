r"""Forward pass, backward pass and the gradient of the batch cost.

A network with layers :math:`l = 1, \dots, L` has weights :math:`W^l` of shape
``(n_l, n_{l-1})`` and biases :math:`b^l` of shape ``(n_l,)``. A minibatch ``x`` has
one example per row, shape ``(m, n_0)``. Layer :math:`l` has the activation
:math:`\phi_l` (the sigmoid unless ``activations=`` says otherwise; see
:mod:`backprop.layers`), and L2 regularisation of strength ``l2`` adds
:math:`\tfrac{\lambda}{2} \sum_l \lVert W^l \rVert^2` to the mean cost.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backprop.costs import Cost, l2_penalty
from backprop.equations import bp2, bp3, bp4, weight_decay
from backprop.layers import Activation, Sigmoid, resolve_activations
from backprop.validation import (
    validate_batch,
    validate_l2,
    validate_params,
    validate_x,
)

__all__ = [
    "add_l2",
    "backward",
    "cost_value",
    "feedforward",
    "forward",
    "gradients",
    "mean_cost",
]

Arrays = list[NDArray]
Layers = Sequence[Activation] | None


def _layers(layers: Layers, n_layers: int) -> Sequence[Activation]:
    return (Sigmoid(),) * n_layers if layers is None else layers


def forward(
    weights: Sequence[NDArray],
    biases: Sequence[NDArray],
    x: NDArray,
    layers: Layers = None,
) -> tuple[Arrays, Arrays]:
    r"""Forward pass on validated arrays: :func:`feedforward` without the checks.

    Unvalidated, like :func:`backward`: ``weights`` and ``biases`` are arrays of
    one network in one dtype and ``x`` an ``(m, n_0)`` array of that dtype, as
    :func:`feedforward` and the training loop pass them; ``layers`` is one
    :class:`~backprop.layers.Activation` per layer (``None``: sigmoids), as from
    :func:`~backprop.resolve_activations`. Returns ``zs`` and
    ``activations`` as :func:`feedforward` does.
    """
    zs: Arrays = []
    activations: Arrays = [x]
    a = x
    for w, b, phi in zip(weights, biases, _layers(layers, len(weights)), strict=True):
        z = a @ w.T
        z += b
        a = phi.value(z)
        zs.append(z)
        activations.append(a)
    return zs, activations


def feedforward(
    weights: Any, biases: Any, x: Any, activations: Any = None
) -> tuple[Arrays, Arrays]:
    r"""Forward pass: every weighted input and activation.

    .. math:: z^l = W^l a^{l-1} + b^l, \qquad a^l = \phi_l(z^l), \qquad a^0 = x

    Parameters
    ----------
    weights : list of ndarray
        ``weights[l - 1]`` is :math:`W^l`, shape ``(n_l, n_{l-1})``.
    biases : list of ndarray
        ``biases[l - 1]`` is :math:`b^l`, shape ``(n_l,)``.
    x : array_like, shape (m, n_0)
        One example per row; cast to the parameters' dtype.
    activations : str or sequence of str, optional
        The activation of each layer (:mod:`backprop.layers`); sigmoids by default.

    Returns
    -------
    zs : list of ndarray
        ``zs[l - 1]`` is :math:`z^l`, shape ``(m, n_l)``, for l = 1..L.
    activations : list of ndarray
        ``activations[l]`` is :math:`a^l`, shape ``(m, n_l)``, for l = 0..L
        (``activations[0]`` is ``x``).
    """
    ws, bs, dtype = validate_params(weights, biases)
    layers = resolve_activations(activations, len(ws))
    return forward(ws, bs, validate_x(x, ws[0].shape[1], dtype), layers)


def backward(
    weights: Sequence[NDArray],
    zs: Sequence[NDArray],
    activations: Sequence[NDArray],
    y: NDArray,
    cost: Cost,
    out: Arrays | None = None,
    layers: Layers = None,
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
    layers : sequence of Activation, optional
        The activation of each layer, as given to :func:`forward`.

    Returns
    -------
    grad_w, grad_b : list of ndarray
        Gradients of the batch-mean cost (without an L2 term, see :func:`add_l2`),
        shaped like the weights and biases.
    """
    # Layers l = L, ..., 1 as in the notation; list index l - 1 holds layer l
    # (activations[l - 1] is a^{l-1}, since activations[0] is a^0 = x).
    L = len(weights)
    grad_w: Arrays = [np.empty(0)] * L
    grad_b: Arrays = [np.empty(0)] * L
    phis = _layers(layers, L)
    delta = cost.delta(zs[L - 1], activations[L], y, phis[L - 1])  # BP1
    for l in range(L, 0, -1):
        if l < L:
            delta = bp2(weights[l], delta, zs[l - 1], phis[l - 1])  # W^{l+1}, z^l
        grad_b[l - 1] = bp3(delta)
        buffer = None if out is None else out[l - 1]
        grad_w[l - 1] = bp4(delta, activations[l - 1], out=buffer)
    return grad_w, grad_b


def add_l2(
    grad_w: Arrays,
    grad_b: Arrays,
    weights: Sequence[NDArray],
    biases: Sequence[NDArray],
    l2: float,
) -> None:
    r"""Add the gradient of the L2 term to gradients from :func:`backward`, in place.

    :math:`\partial C / \partial W^l` gains :math:`\lambda W^l`
    (:func:`~backprop.weight_decay`); the biases are not decayed, so
    ``grad_b`` and ``biases`` are left as they are (they are taken so that every
    parameter's treatment is visible in one place).

    Parameters
    ----------
    grad_w, grad_b : list of ndarray
        Gradients from :func:`backward`, shaped like the weights and biases.
    weights, biases : list of ndarray
        :math:`W^l`, shape ``(n_l, n_{l-1})``, and :math:`b^l`, shape ``(n_l,)``.
    l2 : float
        :math:`\lambda \ge 0`; 0 leaves everything unchanged.
    """
    if l2:
        for g, w in zip(grad_w, weights, strict=True):
            g += weight_decay(w, l2)


def gradients(
    weights: Any,
    biases: Any,
    x: Any,
    y: Any,
    cost: str = "cross_entropy",
    activations: Any = None,
    l2: float = 0.0,
) -> tuple[Arrays, Arrays]:
    r"""Gradient of the mean cost over a minibatch, by backpropagation.

    The cost is :math:`C = \frac1m \sum_k C_k + \tfrac{\lambda}{2} \sum_l \lVert
    W^l \rVert^2` with :math:`\lambda` = ``l2``.

    Parameters
    ----------
    weights, biases : list of ndarray
        The network, as from :func:`backprop.init_params`.
    x : array_like, shape (m, n_0)
        Inputs, one example per row.
    y : array_like, shape (m, n_L), or (m,) integer labels
        Targets; integer labels are one-hot encoded.
    cost : {"cross_entropy", "quadratic", "log_likelihood"}
        The per-example cost; the batch cost is its mean over the m rows.
        ``"cross_entropy"`` needs a sigmoid output layer and ``"log_likelihood"``
        a softmax one (else ValueError).
    activations : str or sequence of str, optional
        The activation of each layer: one name for all, a pair (hidden, output)
        or one name per layer (:mod:`backprop.layers`); sigmoids by default.
    l2 : float, default 0.0
        :math:`\lambda \ge 0`, the strength of the L2 regularisation.

    Returns
    -------
    grad_w : list of ndarray
        :math:`\partial C / \partial W^l`, same shapes and dtype as ``weights``.
    grad_b : list of ndarray
        :math:`\partial C / \partial b^l`, same shapes and dtype as ``biases``.
    """
    ws, bs, x, y, cost_fn, layers = validate_batch(
        weights, biases, x, y, cost, activations
    )
    l2 = validate_l2(l2)
    zs, a = forward(ws, bs, x, layers)
    grad_w, grad_b = backward(ws, zs, a, y, cost_fn, layers=layers)
    add_l2(grad_w, grad_b, ws, bs, l2)
    return grad_w, grad_b


def mean_cost(
    weights: Any,
    biases: Any,
    x: Any,
    y: Any,
    cost: str = "cross_entropy",
    activations: Any = None,
    l2: float = 0.0,
) -> np.generic:
    r"""Mean cost of the network over the rows of ``x`` with targets ``y``.

    Plus :math:`\tfrac{\lambda}{2} \sum_l \lVert W^l \rVert^2`
    (:func:`backprop.l2_penalty`) when ``l2`` = :math:`\lambda` > 0.
    Parameters are as for :func:`gradients`. The result has the parameters' dtype.
    """
    ws, bs, x, y, cost_fn, layers = validate_batch(
        weights, biases, x, y, cost, activations
    )
    l2 = validate_l2(l2)
    zs, a = forward(ws, bs, x, layers)
    value: Any = cost_fn.value(zs[-1], a[-1], y)
    return value + l2_penalty(ws, l2) if l2 else value


def cost_value(*args: Any, **kwargs: Any) -> Any:
    """Deprecated: the name :func:`mean_cost` had before it took :mod:`spec`'s.

    Warns with a ``DeprecationWarning`` and calls :func:`mean_cost`; removed in 0.2.
    """
    warnings.warn(
        "backprop.cost_value is deprecated and will be removed in 0.2; "
        "use backprop.mean_cost, which takes the same arguments",
        DeprecationWarning,
        stacklevel=2,
    )
    return mean_cost(*args, **kwargs)
