"""Checks at the edge of every layer: arrays, dtypes, shapes and hyper-parameters.

Each check raises :class:`TypeError` or :class:`ValueError` naming the argument,
what came and what was expected, so a layer's own code can assume clean input.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "float_array",
    "labels_for",
    "pair",
    "positive_number",
    "same_dtype",
]


def float_array(value: Any, name: str, ndim: int | None = None) -> NDArray[Any]:
    """``value`` as a real floating NumPy array, its dtype kept.

    Parameters
    ----------
    value : ndarray
        A real floating array (float16, float32, float64, ...).
    name : str
        The argument's name, for the message.
    ndim : int, optional
        The number of axes required; any if ``None``.

    Raises
    ------
    TypeError
        If ``value`` is not a NumPy array of a real floating dtype.
    ValueError
        If it has the wrong number of axes.
    """
    if not isinstance(value, np.ndarray):
        raise TypeError(
            f"{name} must be a numpy.ndarray of floats, got {type(value).__name__}"
        )
    if value.dtype.kind != "f":
        raise TypeError(
            f"{name} must have a real floating dtype (float32 or float64), got "
            f"{value.dtype}"
        )
    if ndim is not None and value.ndim != ndim:
        raise ValueError(
            f"{name} must have {ndim} axes, got shape {value.shape} ({value.ndim} axes)"
        )
    return value


def same_dtype(reference: NDArray[Any], ref_name: str, **others: NDArray[Any]) -> None:
    """Raise TypeError unless every array in ``others`` has ``reference``'s dtype.

    A layer keeps its dtype from input to output; a silent upcast of a float32
    network to float64 by one float64 parameter would double its cost.
    """
    for name, arr in others.items():
        if arr.dtype != reference.dtype:
            raise TypeError(
                f"{name} must have the dtype of {ref_name} ({reference.dtype}), got "
                f"{arr.dtype}"
            )


def pair(value: Any, name: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints (rows, columns), each ``>= minimum``, as a pair.

    Raises
    ------
    TypeError
        If ``value`` is neither an int nor a pair of ints.
    ValueError
        If an entry is below ``minimum``.
    """
    items = (value, value) if _is_int(value) else value
    if (
        not isinstance(items, tuple | list)
        or len(items) != 2
        or not all(_is_int(v) for v in items)
    ):
        raise TypeError(
            f"{name} must be an int or a pair of ints (rows, columns), got {value!r}"
        )
    rows, cols = int(items[0]), int(items[1])
    if rows < minimum or cols < minimum:
        raise ValueError(f"{name} must be >= {minimum} on each axis, got {value!r}")
    return rows, cols


def positive_number(value: Any, name: str, *, upper: float | None = None) -> float:
    """A real number ``> 0`` (and ``<= upper`` if given), as a float."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    number = float(value)
    if not number > 0 or (upper is not None and number > upper):
        bound = f" and <= {upper}" if upper is not None else ""
        raise ValueError(f"{name} must be > 0{bound}, got {value!r}")
    return number


def labels_for(y: Any, scores: NDArray[Any]) -> NDArray[np.intp]:
    """Integer labels ``y`` of shape (N,), each in ``0..M-1`` for scores (N, M).

    Raises
    ------
    TypeError
        If ``y`` is not an array of integers.
    ValueError
        If its shape or range does not fit ``scores``.
    """
    labels = np.asarray(y)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"y must be integer labels, got dtype {labels.dtype}")
    n, m = scores.shape
    if labels.shape != (n,):
        raise ValueError(
            f"y must have shape ({n},), one label per row of scores, got {labels.shape}"
        )
    if n and (labels.min() < 0 or labels.max() >= m):
        raise ValueError(
            f"y must hold labels in 0..{m - 1}, got values in "
            f"{labels.min()}..{labels.max()}"
        )
    return labels.astype(np.intp, copy=False)


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)
