r"""The backpropagation equations BP1–BP4, built symbolically, and wrong variants.

With :math:`\delta^l = \partial C / \partial z^l` for one example,

.. math::

    \delta^L &= \nabla_a C \odot \sigma'(z^L) && \text{(BP1)} \\
    \delta^l &= \left((W^{l+1})^T \delta^{l+1}\right) \odot \sigma'(z^l)
        && \text{(BP2)} \\
    \frac{\partial C}{\partial b^l_i} &= \delta^l_i && \text{(BP3)} \\
    \frac{\partial C}{\partial w^l_{ij}} &= a^{l-1}_j \delta^l_i && \text{(BP4)}

and for a batch BP3 and BP4 are averaged over the :math:`m` examples.

:data:`VARIANTS` also names deliberately wrong recursions, so that a proof can be
seen to fail (:func:`spec.prove_backprop`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import sympy

from spec.costs import output_gradient
from spec.network import SymbolicNetwork
from spec.symbols import sigma_prime

__all__ = [
    "VARIANTS",
    "backpropagate",
    "bp1",
    "bp2",
    "bp2_no_transpose",
    "bp2_sigma_prime_wrong_layer",
    "bp3",
    "bp4",
    "validate_variant",
]

VARIANTS: dict[str, str] = {
    "correct": "BP1-BP4 as stated",
    "no_transpose": "BP2 with W^{l+1} in place of (W^{l+1})^T",
    "sigma_prime_wrong_layer": (
        "BP2 with sigma'(z^{l+1}) applied to delta^{l+1} before the transpose, "
        "instead of sigma'(z^l) after it"
    ),
    "sum_not_mean": "BP3 and BP4 summed over the batch instead of averaged",
}


def bp1(nabla_a: Sequence[sympy.Expr], z: Sequence[sympy.Expr]) -> list[sympy.Expr]:
    r"""BP1, the error of the output layer.

    .. math:: \delta^L_i = \frac{\partial C}{\partial a^L_i} \sigma'(z^L_i)

    Parameters
    ----------
    nabla_a : sequence of sympy.Expr, length n_L
        :math:`\nabla_a C` of one example (:func:`spec.costs.output_gradient`).
    z : sequence of sympy.Expr, length n_L
        Weighted inputs :math:`z^L` of the output layer, same example.

    Returns
    -------
    list of sympy.Expr, length n_L
    """
    return [g * sigma_prime(z_i) for g, z_i in zip(nabla_a, z, strict=True)]


def bp2(
    w_next: sympy.Matrix, delta_next: Sequence[sympy.Expr], z: Sequence[sympy.Expr]
) -> list[sympy.Expr]:
    r"""BP2, the error of layer :math:`l` from the error of layer :math:`l + 1`.

    .. math:: \delta^l_j = \Big(\sum_i w^{l+1}_{ij} \delta^{l+1}_i\Big) \sigma'(z^l_j)

    Parameters
    ----------
    w_next : sympy.Matrix, shape (n_{l+1}, n_l)
        :math:`W^{l+1}`.
    delta_next : sequence of sympy.Expr, length n_{l+1}
    z : sequence of sympy.Expr, length n_l
        :math:`z^l` of the same example.

    Returns
    -------
    list of sympy.Expr, length n_l
    """
    return [
        sympy.Add(*(w_next[i, j] * delta_next[i] for i in range(w_next.rows)))
        * sigma_prime(z[j])
        for j in range(w_next.cols)
    ]


def bp2_no_transpose(
    w_next: sympy.Matrix, delta_next: Sequence[sympy.Expr], z: Sequence[sympy.Expr]
) -> list[sympy.Expr]:
    r"""Wrong BP2: :math:`W^{l+1}` where :math:`(W^{l+1})^T` belongs.

    .. math:: \delta^l_j = \Big(\sum_i w^{l+1}_{ji} \delta^{l+1}_i\Big) \sigma'(z^l_j)

    Only defined when :math:`W^{l+1}` is square, as in NumPy: on other shapes the
    missing transpose is a shape error, so it hides only on square layers.
    """
    return [
        sympy.Add(*(w_next[j, i] * delta_next[i] for i in range(w_next.cols)))
        * sigma_prime(z[j])
        for j in range(w_next.rows)
    ]


def bp2_sigma_prime_wrong_layer(
    w_next: sympy.Matrix, delta_next: Sequence[sympy.Expr], z_next: Sequence[sympy.Expr]
) -> list[sympy.Expr]:
    r"""Wrong BP2: :math:`\sigma'` of layer :math:`l + 1`, applied before the transpose.

    .. math:: \delta^l = (W^{l+1})^T \left(\delta^{l+1} \odot \sigma'(z^{l+1})\right)

    Parameters
    ----------
    w_next : sympy.Matrix, shape (n_{l+1}, n_l)
    delta_next : sequence of sympy.Expr, length n_{l+1}
    z_next : sequence of sympy.Expr, length n_{l+1}
        :math:`z^{l+1}`: the wrong layer.
    """
    scaled = [d * sigma_prime(z) for d, z in zip(delta_next, z_next, strict=True)]
    return [
        sympy.Add(*(w_next[i, j] * scaled[i] for i in range(w_next.rows)))
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


def validate_variant(variant: str, sizes: Sequence[int]) -> None:
    """Raise ``ValueError`` if ``variant`` is unknown or undefined for ``sizes``."""
    if variant not in VARIANTS:
        raise ValueError(
            f"variant must be one of {', '.join(map(repr, VARIANTS))}; got {variant!r}"
        )
    if variant == "no_transpose" and len(set(sizes[1:])) > 1:
        raise ValueError(
            "variant 'no_transpose' multiplies W^{l+1} (shape (n_{l+1}, n_l)) by "
            "delta^{l+1} (n_{l+1} entries), which is defined only when every layer "
            f"after the input has the same size; got sizes {list(sizes)}. Use e.g. "
            "[3, 2, 2]."
        )


def backpropagate(
    network: SymbolicNetwork, cost: str, variant: str = "correct"
) -> tuple[
    tuple[sympy.ImmutableMatrix, ...],
    tuple[sympy.ImmutableMatrix, ...],
    tuple[sympy.ImmutableMatrix, ...],
]:
    """Run the recursion BP1–BP4 (or a wrong ``variant``) on a symbolic network.

    Parameters
    ----------
    network : SymbolicNetwork
    cost : {"quadratic", "cross_entropy"}
    variant : str, default "correct"
        A key of :data:`VARIANTS`; validated by :func:`validate_variant`.

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
    per_example = []  # per_example[k][l - 1] is δ^l of example k
    for k in range(network.m):
        nabla_a = output_gradient(
            cost, list(activations[-1].row(k)), list(network.y.row(k))
        )
        delta = bp1(nabla_a, list(zs[-1].row(k)))
        backwards = [delta]
        for layer in range(network.L - 1, 0, -1):
            w_next, z = weights[layer], list(zs[layer - 1].row(k))
            if variant == "no_transpose":
                delta = bp2_no_transpose(w_next, delta, z)
            elif variant == "sigma_prime_wrong_layer":
                delta = bp2_sigma_prime_wrong_layer(w_next, delta, zs[layer].row(k))
            else:
                delta = bp2(w_next, delta, z)
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
    grad_b = tuple(
        bp3([example[layer] for example in per_example], batch=batch)
        for layer in range(network.L)
    )
    return deltas, grad_w, grad_b
