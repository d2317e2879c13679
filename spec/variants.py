r"""Deliberately wrong recursions, so that a proof can be seen to fail.

:data:`VARIANTS` names them (:func:`spec.prove_backprop` takes ``variant=``); the
correct recursion is :mod:`spec.recursion`. Each wrong BP2 takes the activation
of layer :math:`l` (``activation=``, the sigmoid by default).
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy

from spec.activations import phi_prime

__all__ = [
    "VARIANTS",
    "bp2_no_transpose",
    "bp2_sigma_prime_wrong_layer",
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


def bp2_no_transpose(
    w_next: sympy.Matrix,
    delta_next: Sequence[sympy.Expr],
    z: Sequence[sympy.Expr],
    activation: str = "sigmoid",
) -> list[sympy.Expr]:
    r"""Wrong BP2: :math:`W^{l+1}` where :math:`(W^{l+1})^T` belongs.

    .. math:: \delta^l_j = \Big(\sum_i w^{l+1}_{ji} \delta^{l+1}_i\Big) \varphi_l'(z^l_j)

    Only defined when :math:`W^{l+1}` is square, as in NumPy: on other shapes the
    missing transpose is a shape error, so it hides only on square layers.
    """
    return [
        sympy.Add(*(w_next[j, i] * delta_next[i] for i in range(w_next.cols)))
        * phi_prime(activation, z[j])
        for j in range(w_next.rows)
    ]


def bp2_sigma_prime_wrong_layer(
    w_next: sympy.Matrix,
    delta_next: Sequence[sympy.Expr],
    z_next: Sequence[sympy.Expr],
    activation: str = "sigmoid",
) -> list[sympy.Expr]:
    r"""Wrong BP2: :math:`\varphi'` at layer :math:`l + 1`, applied before the
    transpose.

    .. math:: \delta^l = (W^{l+1})^T \left(\delta^{l+1} \odot \varphi_l'(z^{l+1})\right)

    Parameters
    ----------
    w_next : sympy.Matrix, shape (n_{l+1}, n_l)
    delta_next : sequence of sympy.Expr, length n_{l+1}
    z_next : sequence of sympy.Expr, length n_{l+1}
        :math:`z^{l+1}`: the wrong layer.
    activation : str, default "sigmoid"
        :math:`\varphi_l`, the activation of layer :math:`l`.
    """
    scaled = [
        d * phi_prime(activation, z) for d, z in zip(delta_next, z_next, strict=True)
    ]
    return [
        sympy.Add(*(w_next[i, j] * scaled[i] for i in range(w_next.rows)))
        for j in range(w_next.cols)
    ]


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
