r"""The backpropagation equations BP1–BP4, built symbolically.

With :math:`\delta^l = \partial C / \partial z^l` for one example and
:math:`\varphi_l` the activation of layer :math:`l`,

.. math::

    \delta^L &= \left(\frac{\partial a^L}{\partial z^L}\right)^T \nabla_a C
        && \text{(BP1)} \\
    \delta^l &= \left((W^{l+1})^T \delta^{l+1}\right) \odot \varphi_l'(z^l)
        && \text{(BP2)} \\
    \frac{\partial C}{\partial b^l_i} &= \delta^l_i && \text{(BP3)} \\
    \frac{\partial C}{\partial w^l_{ij}} &= a^{l-1}_j \delta^l_i && \text{(BP4)}

and for a batch BP3 and BP4 are averaged over the :math:`m` examples. For an
elementwise :math:`\varphi_L` BP1 is :math:`\nabla_a C \odot \varphi_L'(z^L)`; for
softmax the Jacobian :math:`\operatorname{diag}(a) - a a^T` is applied as a
product (:func:`softmax_backward`). With L2 regularisation BP4 gains
:math:`\lambda w^l_{ij}`.

:data:`VARIANTS` (:mod:`spec.variants`) also names deliberately wrong recursions,
so that a proof can be seen to fail (:func:`spec.prove_backprop`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import sympy

from spec.activations import phi, phi_prime
from spec.costs import L2_SYMBOL, output_gradient
from spec.network import SymbolicNetwork
from spec.variants import (
    VARIANTS,
    bp2_no_transpose,
    bp2_sigma_prime_wrong_layer,
    validate_variant,
)

__all__ = [
    "VARIANTS",
    "backpropagate",
    "bp1",
    "bp2",
    "bp2_no_transpose",
    "bp2_sigma_prime_wrong_layer",
    "bp3",
    "bp4",
    "softmax_backward",
    "validate_variant",
]


def softmax_backward(
    a: Sequence[sympy.Expr], grad: Sequence[sympy.Expr]
) -> list[sympy.Expr]:
    r""":math:`(\operatorname{diag}(a) - a a^T)\, g`, the softmax Jacobian applied to g.

    .. math:: \delta_i = a_i \Big(g_i - \sum_k a_k g_k\Big)

    Parameters
    ----------
    a : sequence of sympy.Expr, length n
        The softmax outputs of one example.
    grad : sequence of sympy.Expr, length n
        :math:`g`, e.g. :math:`\nabla_a C`.

    Returns
    -------
    list of sympy.Expr, length n
    """
    mean = sympy.Add(*(a_k * g_k for a_k, g_k in zip(a, grad, strict=True)))
    return [a_i * (g_i - mean) for a_i, g_i in zip(a, grad, strict=True)]


def bp1(
    nabla_a: Sequence[sympy.Expr],
    z: Sequence[sympy.Expr],
    activation: str = "sigmoid",
) -> list[sympy.Expr]:
    r"""BP1, the error of the output layer.

    .. math:: \delta^L = \left(\frac{\partial a^L}{\partial z^L}\right)^T
        \nabla_a C, \quad\text{elementwise: }
        \delta^L_i = \frac{\partial C}{\partial a^L_i} \varphi_L'(z^L_i)

    Parameters
    ----------
    nabla_a : sequence of sympy.Expr, length n_L
        :math:`\nabla_a C` of one example (:func:`spec.costs.output_gradient`).
    z : sequence of sympy.Expr, length n_L
        Weighted inputs :math:`z^L` of the output layer, same example.
    activation : str, default "sigmoid"
        :math:`\varphi_L`; for ``"softmax"`` the Jacobian
        :math:`\operatorname{diag}(a) - a a^T` (:func:`softmax_backward`).

    Returns
    -------
    list of sympy.Expr, length n_L
    """
    if activation == "softmax":
        return softmax_backward(phi("softmax", z), nabla_a)
    return [g * phi_prime(activation, z_i) for g, z_i in zip(nabla_a, z, strict=True)]


def bp2(
    w_next: sympy.Matrix,
    delta_next: Sequence[sympy.Expr],
    z: Sequence[sympy.Expr],
    activation: str = "sigmoid",
) -> list[sympy.Expr]:
    r"""BP2, the error of layer :math:`l` from the error of layer :math:`l + 1`.

    .. math:: \delta^l_j = \Big(\sum_i w^{l+1}_{ij} \delta^{l+1}_i\Big)
        \varphi_l'(z^l_j)

    Parameters
    ----------
    w_next : sympy.Matrix, shape (n_{l+1}, n_l)
        :math:`W^{l+1}`.
    delta_next : sequence of sympy.Expr, length n_{l+1}
    z : sequence of sympy.Expr, length n_l
        :math:`z^l` of the same example.
    activation : str, default "sigmoid"
        :math:`\varphi_l`, elementwise (softmax is for the output layer only).

    Returns
    -------
    list of sympy.Expr, length n_l
    """
    return [
        sympy.Add(*(w_next[i, j] * delta_next[i] for i in range(w_next.rows)))
        * phi_prime(activation, z[j])
        for j in range(w_next.cols)
    ]


def bp3(
    delta: Sequence[Sequence[sympy.Expr]], *, batch: Literal["mean", "sum"] = "mean"
) -> sympy.ImmutableMatrix:
    r"""BP3, averaged over the batch.

    .. math:: \frac{\partial C}{\partial b^l_i} = \frac1m \sum_k \delta^l_{k,i}

    Parameters
    ----------
    delta : sequence of sequence of sympy.Expr, shape (m, n_l)
        :math:`\delta^l`, one example per row.
    batch : {"mean", "sum"}, default "mean"
        ``"sum"`` is the wrong variant ``sum_not_mean``.

    Returns
    -------
    sympy.ImmutableMatrix, shape (n_l, 1)
    """
    scale = sympy.Rational(1, len(delta)) if batch == "mean" else sympy.S.One
    return sympy.ImmutableMatrix(
        len(delta[0]), 1, lambda i, _: scale * sympy.Add(*(row[i] for row in delta))
    )


def bp4(
    delta: Sequence[Sequence[sympy.Expr]],
    a_prev: Sequence[Sequence[sympy.Expr]],
    *,
    batch: Literal["mean", "sum"] = "mean",
) -> sympy.ImmutableMatrix:
    r"""BP4, averaged over the batch.

    .. math:: \frac{\partial C}{\partial w^l_{ij}} = \frac1m \sum_k a^{l-1}_{k,j}
        \delta^l_{k,i}

    Parameters
    ----------
    delta : sequence of sequence of sympy.Expr, shape (m, n_l)
        :math:`\delta^l`, one example per row.
    a_prev : sequence of sequence of sympy.Expr, shape (m, n_{l-1})
        :math:`a^{l-1}`, one example per row.
    batch : {"mean", "sum"}, default "mean"
        ``"sum"`` is the wrong variant ``sum_not_mean``.

    Returns
    -------
    sympy.ImmutableMatrix, shape (n_l, n_{l-1})
    """
    scale = sympy.Rational(1, len(delta)) if batch == "mean" else sympy.S.One
    return sympy.ImmutableMatrix(
        len(delta[0]),
        len(a_prev[0]),
        lambda i, j: (
            scale
            * sympy.Add(*(a[j] * d[i] for d, a in zip(delta, a_prev, strict=True)))
        ),
    )


def backpropagate(
    network: SymbolicNetwork, cost: str, variant: str = "correct", *, l2: bool = False
) -> tuple[
    tuple[sympy.ImmutableMatrix, ...],
    tuple[sympy.ImmutableMatrix, ...],
    tuple[sympy.ImmutableMatrix, ...],
]:
    """Run the recursion BP1–BP4 (or a wrong ``variant``) on a symbolic network.

    Parameters
    ----------
    network : SymbolicNetwork
    cost : {"quadratic", "cross_entropy", "log_likelihood"}
    variant : str, default "correct"
        A key of :data:`VARIANTS`; validated by :func:`validate_variant`.
    l2 : bool, default False
        Add :math:`\\lambda W^l` to BP4 (the gradient of the L2 term,
        :math:`\\lambda` = :data:`spec.costs.L2_SYMBOL`).

    Returns
    -------
    deltas : tuple of sympy.ImmutableMatrix
        ``deltas[l - 1]`` is :math:`\\delta^l`, shape ``(m, n_l)``, one example per
        row.
    grad_w : tuple of sympy.ImmutableMatrix
        ``grad_w[l - 1]`` is :math:`\\partial C / \\partial W^l`, shape
        ``(n_l, n_{l-1})``.
    grad_b : tuple of sympy.ImmutableMatrix
        ``grad_b[l - 1]`` is :math:`\\partial C / \\partial b^l`, shape ``(n_l, 1)``.
    """
    validate_variant(variant, network.sizes)
    batch: Literal["mean", "sum"] = "sum" if variant == "sum_not_mean" else "mean"
    zs, activations, weights = network.zs, network.activations, network.weights
    names = network.activation_names or ("sigmoid",) * network.L
    per_example = []  # per_example[k][l - 1] is δ^l of example k
    for k in range(network.m):
        nabla_a = output_gradient(
            cost, list(activations[-1].row(k)), list(network.y.row(k))
        )
        delta = bp1(nabla_a, list(zs[-1].row(k)), names[-1])
        backwards = [delta]
        for layer in range(network.L - 1, 0, -1):
            w_next, z = weights[layer], list(zs[layer - 1].row(k))
            name = names[layer - 1]
            if variant == "no_transpose":
                delta = bp2_no_transpose(w_next, delta, z, name)
            elif variant == "sigma_prime_wrong_layer":
                delta = bp2_sigma_prime_wrong_layer(
                    w_next, delta, list(zs[layer].row(k)), name
                )
            else:
                delta = bp2(w_next, delta, z, name)
            backwards.append(delta)
        per_example.append(backwards[::-1])
    deltas = tuple(
        sympy.ImmutableMatrix([example[layer] for example in per_example])
        for layer in range(network.L)
    )
    grad_w = tuple(
        bp4(
            [example[layer] for example in per_example],
            activations[layer].tolist(),
            batch=batch,
        )
        for layer in range(network.L)
    )
    if l2:
        # The gradient of (lambda/2) sum w^2: lambda w, added to BP4 (not BP3).
        grad_w = tuple(
            sympy.ImmutableMatrix(g + L2_SYMBOL * w)
            for g, w in zip(grad_w, weights, strict=True)
        )
    grad_b = tuple(
        bp3([example[layer] for example in per_example], batch=batch)
        for layer in range(network.L)
    )
    return deltas, grad_w, grad_b
