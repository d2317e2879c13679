"""Creating parameters, and packing them into one flat vector and back."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backprop.validation import validate_params, validate_sizes

__all__ = ["as_generator", "describe_index", "init_params", "pack", "unpack"]

INITS = ("normal", "scaled", "he")


def as_generator(rng: Any, name: str = "rng") -> np.random.Generator:
    """A :class:`numpy.random.Generator` from a seed or a generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (bool, np.bool_)) or not isinstance(rng, (int, np.integer)):
        raise TypeError(
            f"{name} must be an integer seed or a numpy.random.Generator, "
            f"got {type(rng).__name__} {rng!r}"
        )
    if rng < 0:
        raise ValueError(f"{name} must be a seed >= 0, got {rng}")
    return np.random.default_rng(int(rng))


def init_params(
    sizes: Any,
    rng: Any = 0,
    init: str = "normal",
    dtype: Any = "float64",
) -> tuple[list[NDArray], list[NDArray]]:
    r"""Random weights and biases for a network with layer widths ``sizes``.

    Parameters
    ----------
    sizes : sequence of int
        ``[n_0, n_1, ..., n_L]``, at least two layers.
    rng : int or numpy.random.Generator
        Seed or generator; the same seed gives the same parameters.
    init : {"normal", "scaled", "he"}
        ``"normal"``: every weight and bias from :math:`\mathcal N(0, 1)` (the
        tutorial's). ``"scaled"``: weights of layer l from
        :math:`\mathcal N(0, 1/n_{l-1})`, which keeps :math:`z^l` of order one and
        the sigmoids out of saturation; biases from :math:`\mathcal N(0, 1)`.
        ``"he"`` (He et al. 2015, for ReLU layers): weights from
        :math:`\mathcal N(0, 2/n_{l-1})`, which keeps the mean square of
        :math:`z^l` constant from layer to layer when half the units are off;
        biases 0.
    dtype : {"float64", "float32"}
        Values are drawn in float64 and rounded, so both dtypes share one draw.

    Returns
    -------
    weights : list of ndarray
        ``weights[l - 1]`` is :math:`W^l`, shape ``(n_l, n_{l-1})``.
    biases : list of ndarray
        ``biases[l - 1]`` is :math:`b^l`, shape ``(n_l,)``.
    """
    sizes = validate_sizes(sizes)
    if init not in INITS:
        raise ValueError(f"init must be one of {list(INITS)}, got {init!r}")
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from exc
    if dt not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {dt}")
    gen = as_generator(rng)
    weights, biases = [], []
    for n_in, n_out in itertools.pairwise(sizes):
        scale = {"normal": 1.0, "scaled": 1 / np.sqrt(n_in), "he": np.sqrt(2 / n_in)}
        weights.append((gen.standard_normal((n_out, n_in)) * scale[init]).astype(dt))
        if init == "he":
            biases.append(np.zeros(n_out, dtype=dt))
        else:
            biases.append(gen.standard_normal(n_out).astype(dt))
    return weights, biases


def pack(weights: Any, biases: Any) -> NDArray:
    r"""All parameters in one vector :math:`\theta`: W^1, b^1, W^2, b^2, ...

    Each ``W^l`` is flattened in row-major order, so ``W^l[i, j]`` is
    :math:`w^l_{ij}`. :func:`unpack` inverts it; :func:`describe_index` names entries.
    """
    ws, bs, _ = validate_params(weights, biases)
    return np.concatenate(
        [p.ravel() for w, b in zip(ws, bs, strict=True) for p in (w, b)]
    )


def _layer_shapes(sizes: list[int]) -> list[tuple[int, ...]]:
    shapes: list[tuple[int, ...]] = []
    for n_in, n_out in itertools.pairwise(sizes):
        shapes += [(n_out, n_in), (n_out,)]
    return shapes


def unpack(theta: Any, sizes: Any) -> tuple[list[NDArray], list[NDArray]]:
    """Split a vector from :func:`pack` into weights and biases (views of ``theta``).

    Parameters
    ----------
    theta : ndarray, shape (P,)
        ``P`` must be the parameter count of ``sizes``.
    sizes : sequence of int
        Layer widths.
    """
    sizes = validate_sizes(sizes)
    theta = np.asarray(theta)
    shapes = _layer_shapes(sizes)
    n_params = sum(int(np.prod(s)) for s in shapes)
    if theta.shape != (n_params,):
        raise ValueError(
            f"theta must have shape ({n_params},) for sizes {sizes}, got {theta.shape}"
        )
    arrays, start = [], 0
    for shape in shapes:
        stop = start + int(np.prod(shape))
        arrays.append(theta[start:stop].reshape(shape))
        start = stop
    return arrays[0::2], arrays[1::2]


def describe_index(sizes: Any, k: int) -> str:
    """Name entry ``k`` of a packed vector in the notation: ``"W^2[3,1]"``, ``"b^1[0]"``.

    Layers count from 1 as in :math:`W^l`; indices within a layer from 0.
    """
    sizes = validate_sizes(sizes)
    start = k
    for index, shape in enumerate(_layer_shapes(sizes)):
        size = int(np.prod(shape))
        if 0 <= start < size:
            layer = index // 2 + 1
            if len(shape) == 2:
                i, j = divmod(start, shape[1])
                return f"W^{layer}[{i},{j}]"
            return f"b^{layer}[{start}]"
        start -= size
    raise IndexError(f"k = {k} is outside the {k - start} parameters of {sizes}")
