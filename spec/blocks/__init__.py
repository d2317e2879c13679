r"""The layers of stage three: specified in SymPy, proven, and evaluated as an oracle.

One module per layer family, named as :mod:`backprop.blocks`:
:mod:`~spec.blocks.affine` (affine, ReLU), :mod:`~spec.blocks.convolution`,
:mod:`~spec.blocks.pooling`, :mod:`~spec.blocks.normalisation`,
:mod:`~spec.blocks.dropout`, :mod:`~spec.blocks.losses`. Each states its forward
as a SymPy definition (``Indexed`` and ``Sum``), the backward a learner writes,
and a proof that the two agree (:func:`prove_blocks`): for symbolic sizes,
strides and paddings where SymPy can, at fixed sizes otherwise.
:func:`layer_vjp` and :func:`layer_forward` evaluate the formulas in ``mpmath``
(the oracle); :func:`in_max_pool_subdifferential` decides whether a max-pooling
gradient is a valid subgradient where windows tie.
"""

from __future__ import annotations

from spec.blocks.oracle import KINDS, layer_forward, layer_forward_exact, layer_vjp
from spec.blocks.pooling import in_max_pool_subdifferential
from spec.blocks.proofs import BlockProof, BlockProofs
from spec.blocks.theorems import prove_blocks

__all__ = [
    "KINDS",
    "BlockProof",
    "BlockProofs",
    "in_max_pool_subdifferential",
    "layer_forward",
    "layer_forward_exact",
    "layer_vjp",
    "prove_blocks",
]
