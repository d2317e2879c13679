r"""The four equations of backpropagation, one function each.

Arrays hold one example per row: :math:`\delta^l` has shape ``(m, n_l)`` and row
``k`` is :math:`\partial C_k / \partial z^l` for the per-example cost :math:`C_k`.
BP3 and BP4 return gradients of the batch cost :math:`C = \frac1m \sum_k C_k`.

BP1 and BP2 take the layer's activation (``activation=``, a name or a
:class:`backprop.layers.Activation`; the sigmoid by default): they apply its
transposed Jacobian :math:`(\partial a^l / \partial z^l)^T`, which for an
elementwise :math:`\phi` is :math:`\odot\, \phi'(z^l)`. With L2 regularisation
BP4 gains the term :func:`backprop.weight_decay`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from backprop.layers import Activation, get_activation

__all__ = ["bp1", "bp2", "bp3", "bp4", "weight_decay"]


def bp1(
    nabla_a: NDArray,
    z: NDArray,
    activation: str | Activation = "sigmoid",
    a: NDArray | None = None,
) -> NDArray:
    r"""BP1, the error of the output layer.

    .. math:: \delta^L = \left(\frac{\partial a^L}{\partial z^L}\right)^T \nabla_a C

    which for an elementwise :math:`\phi_L` is :math:`\nabla_a C \odot
    \phi_L'(z^L)` (:math:`\sigma'` by default) and for softmax
    :math:`(\operatorname{diag}(a^L) - a^L (a^L)^T)\, \nabla_a C`.

    Parameters
    ----------
    nabla_a : ndarray, shape (m, n_L)
        :math:`\partial C_k / \partial a^L` for each example.
    z : ndarray, shape (m, n_L)
        Weighted inputs :math:`z^L` of the output layer.
    activation : str or Activation, default "sigmoid"
        :math:`\phi_L`.
    a : ndarray, shape (m, n_L), optional
        :math:`a^L = \phi_L(z^L)`, if known (softmax uses it rather than recompute it).

    Returns
    -------
    delta : ndarray, shape (m, n_L)
    """
    return get_activation(activation).backward(z, nabla_a, a)


def bp2(
    w_next: NDArray,
    delta_next: NDArray,
    z: NDArray,
    activation: str | Activation = "sigmoid",
) -> NDArray:
    r"""BP2, the error of layer l from the error of layer l + 1.

    .. math:: \delta^l = \left((W^{l+1})^T \delta^{l+1}\right) \odot \phi_l'(z^l)

    With examples as rows, :math:`(W^{l+1})^T \delta^{l+1}` for every example at
    once is the product ``delta_next @ w_next``.

    Parameters
    ----------
    w_next : ndarray, shape (n_{l+1}, n_l)
        :math:`W^{l+1}`.
    delta_next : ndarray, shape (m, n_{l+1})
        :math:`\delta^{l+1}`.
    z : ndarray, shape (m, n_l)
        :math:`z^l`.
    activation : str or Activation, default "sigmoid"
        :math:`\phi_l`, elementwise (a hidden layer).

    Returns
    -------
    delta : ndarray, shape (m, n_l)
    """
    return get_activation(activation).backward(z, delta_next @ w_next)


def bp3(delta: NDArray) -> NDArray:
    r"""BP3, the gradient with respect to the biases.

    .. math:: \frac{\partial C}{\partial b^l_i} = \delta^l_i

    averaged over the batch: :math:`\frac1m \sum_k \delta^l_{k,i}`.

    Parameters
    ----------
    delta : ndarray, shape (m, n_l)

    Returns
    -------
    grad_b : ndarray, shape (n_l,)
    """
    return delta.mean(axis=0)


def bp4(delta: NDArray, a_prev: NDArray, out: NDArray | None = None) -> NDArray:
    r"""BP4, the gradient with respect to the weights.

    .. math:: \frac{\partial C}{\partial w^l_{ij}} = a^{l-1}_j \delta^l_i

    averaged over the batch: :math:`\frac1m \sum_k \delta^l_{k,i} a^{l-1}_{k,j}`,
    i.e. ``delta.T @ a_prev / m``.

    Parameters
    ----------
    delta : ndarray, shape (m, n_l)
        :math:`\delta^l`.
    a_prev : ndarray, shape (m, n_{l-1})
        :math:`a^{l-1}`.
    out : ndarray, shape (n_l, n_{l-1}), optional
        Where to write the result (training reuses one buffer per layer rather
        than allocate a weight-sized array at every step).

    Returns
    -------
    grad_w : ndarray, shape (n_l, n_{l-1})
    """
    m = delta.shape[0]
    # Scaling the (m, n_l) factor costs less than scaling the (n_l, n_{l-1}) product.
    return np.matmul((delta * (1 / m)).T, a_prev, out=out)


def weight_decay(w: NDArray, l2: float) -> NDArray:
    r"""The term L2 regularisation adds to BP4: the gradient of
    :math:`\tfrac{\lambda}{2} \sum_l \lVert W^l \rVert^2` with respect to :math:`W^l`.

    .. math:: \frac{\partial C}{\partial w^l_{ij}} = a^{l-1}_j \delta^l_i
              + \lambda\, w^l_{ij}

    The biases are not decayed: BP3 is unchanged.

    Parameters
    ----------
    w : ndarray, shape (n_l, n_{l-1})
        :math:`W^l`.
    l2 : float
        :math:`\lambda \ge 0`.

    Returns
    -------
    ndarray, shape (n_l, n_{l-1})
        :math:`\lambda W^l`.
    """
    return l2 * w
