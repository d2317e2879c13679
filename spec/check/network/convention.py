"""The network convention every network check shares: parameters as lists
``weights`` and ``biases`` packed ``W^1, b^1, …, W^L, b^L`` (:func:`interleave`,
:func:`network_blocks`, :func:`pack_claimed`), and the keywords ``activations=``
and ``l2=`` passed to a function under test only where not the defaults
(:func:`network_keywords`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.derivatives.arrays import describe
from spec.check.derivatives.compare import shape_failure
from spec.check.derivatives.edge import as_array
from spec.check.derivatives.report import Block

__all__ = [
    "GradientFunction",
    "interleave",
    "network_blocks",
    "network_keywords",
    "pack_claimed",
]

GradientFunction = Callable[..., tuple[Sequence[Any], Sequence[Any]]]


def network_keywords(activations: Any, l2: float) -> dict[str, Any]:
    """``activations=`` and ``l2=`` for a function under test, where not defaults.

    A gradient or training function written for sigmoid networks without L2 need
    not take these keywords; they are passed only to describe another network.
    """
    extra: dict[str, Any] = {}
    if activations is not None:
        extra["activations"] = activations
    if l2:
        extra["l2"] = l2
    return extra


def interleave(grad_w: Sequence[Any], grad_b: Sequence[Any]) -> list[Any]:
    """``[W^1, b^1, …, W^L, b^L]``: the order of the packed parameter vector
    (:func:`backprop.pack`) and of its blocks, for any pair of per-layer lists
    of the same length."""
    return [g for pair in zip(grad_w, grad_b, strict=True) for g in pair]


def network_blocks(weights: Sequence[NDArray]) -> list[Block]:
    """The blocks ``W^1, b^1, ..., W^L, b^L`` of the packed parameter vector."""
    blocks, start = [], 0
    for layer, w in enumerate(weights, start=1):
        for name, shape in ((f"W^{layer}", w.shape), (f"b^{layer}", w.shape[:1])):
            size = int(np.prod(shape))
            blocks.append(Block(name, start, start + size, tuple(shape)))
            start += size
    return blocks


def pack_claimed(
    claimed: Any, blocks: list[Block], method: str, source: str = "gradients"
) -> NDArray:
    """Pack a claimed gradient ``(grad_w, grad_b)`` like :func:`backprop.pack`,
    naming any wrong shape; ``source`` names the function that returned it."""
    pair = "a pair (grad_w, grad_b) of lists, one array per layer in each"
    if not isinstance(claimed, list | tuple) or len(claimed) != 2:
        raise TypeError(f"{source} returned {describe(claimed)}; expected {pair}")
    grad_w, grad_b = claimed
    for name, part in (("grad_w", grad_w), ("grad_b", grad_b)):
        if not isinstance(part, list | tuple):
            raise TypeError(
                f"{source} returned {describe(part)} as {name}; expected {pair}"
            )
    if len(grad_w) != len(grad_b) or 2 * len(grad_w) != len(blocks):
        raise shape_failure(
            f"{source} returned {len(grad_w)} weight and {len(grad_b)} bias "
            f"gradients for a network of {len(blocks) // 2} layers",
            method,
            "?",
        )
    arrays = []
    for b, g in zip(blocks, interleave(grad_w, grad_b), strict=True):
        arr = as_array(
            g,
            source=source,
            expected=f"a real array of shape {b.shape}",
            at=f"the gradient of {b.name}",
        )
        if arr.shape != b.shape:
            raise shape_failure(
                f"the gradient of {b.name} has shape {arr.shape}; expected {b.shape} "
                f"(from {source})",
                method,
                arr.dtype,
            )
        arrays.append(arr)
    return np.concatenate([g.ravel() for g in arrays])
