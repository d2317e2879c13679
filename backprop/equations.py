r"""The four equations of backpropagation, one function each.

Arrays hold one example per row: :math:`\delta^l` has shape ``(m, n_l)`` and row
``k`` is :math:`\partial C_k / \partial z^l` for the per-example cost :math:`C_k`.
BP3 and BP4 return gradients of the batch cost :math:`C = \frac1m \sum_k C_k`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from backprop.activations import sigmoid_prime

__all__ = ["bp1", "bp2", "bp3", "bp4"]


def bp1(nabla_a: NDArray, z: NDArray) -> NDArray:
    r"""BP1, the error of the output layer.

    .. math:: \delta^L = \nabla_a C \odot \sigma'(z^L)

    Parameters
    ----------
    nabla_a : ndarray, shape (m, n_L)
        :math:`\partial C_k / \partial a^L` for each example.
    z : ndarray, shape (m, n_L)
        Weighted inputs :math:`z^L` of the output layer.

    Returns
    -------
    delta : ndarray, shape (m, n_L)
    """
    return nabla_a * sigmoid_prime(z)


def bp2(w_next: NDArray, delta_next: NDArray, z: NDArray) -> NDArray:
    r"""BP2, the error of layer l from the error of layer l + 1.

    .. math:: \delta^l = \left((W^{l+1})^T \delta^{l+1}\right) \odot \sigma'(z^l)

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

    Returns
    -------
    delta : ndarray, shape (m, n_l)
    """
    return (delta_next @ w_next) * sigmoid_prime(z)


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
