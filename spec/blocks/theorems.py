"""Every backward of :mod:`spec.blocks` proven: the table :func:`prove_blocks`."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from spec.blocks import affine, convolution, dropout, losses, normalisation, pooling
from spec.blocks.proofs import BlockProof, BlockProofs
from spec.validation import validate_choice

__all__ = ["PROVERS", "prove_blocks"]

#: Each layer's proofs, by the kind :func:`spec.blocks.layer_vjp` names.
PROVERS: dict[str, Callable[[], Sequence[BlockProof]]] = {
    "affine": affine.prove_affine,
    "relu": affine.prove_relu,
    "convolution": convolution.prove_convolution,
    "pooling": lambda: (*pooling.prove_pooling(), pooling.prove_max_pool_at_points()),
    "batchnorm": lambda: normalisation.prove_normalisation("batchnorm"),
    "layernorm": lambda: normalisation.prove_normalisation("layernorm"),
    "spatial_batchnorm": lambda: normalisation.prove_normalisation("spatial_batchnorm"),
    "groupnorm": lambda: normalisation.prove_normalisation("groupnorm"),
    "dropout": dropout.prove_dropout,
    "losses": losses.prove_losses,
}


def prove_blocks(kinds: Sequence[str] | None = None) -> BlockProofs:
    """Prove every backward formula of the layers (or of ``kinds`` only).

    Parameters
    ----------
    kinds : sequence of str, optional
        Keys of :data:`PROVERS` (``"affine"``, ``"relu"``, ``"convolution"``,
        ``"pooling"``, ``"batchnorm"``, ``"layernorm"``, ``"spatial_batchnorm"``,
        ``"groupnorm"``, ``"dropout"``, ``"losses"``); all by default.

    Returns
    -------
    BlockProofs
        One row per layer and gradient: proven or not, symbolic or at which
        fixed sizes, the method, the time.

    Examples
    --------
    >>> table = prove_blocks(["convolution"])
    >>> table.proven, [row.scope for row in table.rows]
    (True, ['symbolic', 'symbolic', 'symbolic', 'symbolic'])
    """
    chosen = list(PROVERS) if kinds is None else list(kinds)
    for kind in chosen:
        validate_choice("kinds", kind, tuple(PROVERS))
    start = time.perf_counter()
    rows = [row for kind in chosen for row in PROVERS[kind]()]
    return BlockProofs(tuple(rows), time.perf_counter() - start)
