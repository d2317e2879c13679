"""Argument validation of :func:`spec.blocks.layer_vjp` and its helpers."""

from __future__ import annotations

import numbers
import operator
from collections.abc import Mapping
from typing import Any

import mpmath
import numpy as np

__all__ = ["validate_array", "validate_number", "validate_pair"]


def validate_pair(argument: str, value: Any, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints (rows, columns), each ``>= minimum``."""
    items = value if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2:
        raise ValueError(
            f"{argument} must be an int or a pair (rows, columns), got {value!r}"
        )
    pair = []
    for item in items:
        if isinstance(item, (bool, np.bool_)):
            raise TypeError(f"{argument} must hold integers, got the bool {item!r}")
        try:
            number = operator.index(item)
        except TypeError:
            raise TypeError(
                f"{argument} must be an int or a pair of ints, got {value!r}"
            ) from None
        if number < minimum:
            raise ValueError(
                f"{argument} must be >= {minimum} on each axis, got {value!r}"
            )
        pair.append(number)
    return pair[0], pair[1]


def validate_number(
    argument: str, value: Any, *, low: float, high: float = np.inf, open_low: bool
) -> float:
    """A finite real number in ``(low, high]`` (or ``[low, high]``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{argument} must be a real number, got {value!r} of type "
            f"{type(value).__name__}"
        )
    number = float(value)
    below = number <= low if open_low else number < low
    if not np.isfinite(number) or below or number > high:
        bracket = "(" if open_low else "["
        raise ValueError(
            f"{argument} must be a finite number in {bracket}{low}, {high}], got "
            f"{value!r}"
        )
    return number


def validate_array(
    inputs: Mapping[str, Any], name: str, ndim: int | None, meaning: str
) -> np.ndarray:
    """``inputs[name]`` as a finite float64 array of ``ndim`` axes (any if None).

    An object array of ``mpmath.mpf`` numbers is kept as it is (high precision).
    """
    if name not in inputs:
        raise ValueError(f"inputs must have the key {name!r} ({meaning})")
    array = np.asarray(inputs[name])
    if array.dtype == object and all(isinstance(v, mpmath.mpf) for v in array.flat):
        # High-precision inputs (spec.blocks.layer_forward_exact): kept as they are.
        if ndim is not None and array.ndim != ndim:
            raise ValueError(
                f"inputs[{name!r}] must be {ndim}-D ({meaning}), got shape {array.shape}"
            )
        if not all(mpmath.isfinite(v) for v in array.flat):
            raise ValueError(f"inputs[{name!r}] must be finite, got NaN or inf entries")
        return array
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"inputs[{name!r}] must be a real numeric array ({meaning}), got dtype "
            f"{array.dtype}"
        )
    if ndim is not None and array.ndim != ndim:
        raise ValueError(
            f"inputs[{name!r}] must be {ndim}-D ({meaning}), got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"inputs[{name!r}] must be finite, got NaN or inf entries")
    # float32, integers and bools convert to float64 exactly.
    return array.astype(np.float64)
