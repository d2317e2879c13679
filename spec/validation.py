"""Argument validation at the public boundary of :mod:`spec` (and nowhere else).

The helpers are named ``validate_*``; ``check_*`` in :mod:`spec` means verifying a
derivative.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

__all__ = ["validate_choice", "validate_int", "validate_sizes"]


def validate_int(argument: str, value: Any, minimum: int) -> int:
    """Return ``value`` as an int ``>= minimum`` or raise naming ``argument``."""
    if isinstance(value, bool):
        raise TypeError(f"{argument} must be an integer, got the bool {value!r}")
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(
            f"{argument} must be an integer, got {value!r} of type "
            f"{type(value).__name__}"
        ) from None
    if number < minimum:
        raise ValueError(f"{argument} must be an integer >= {minimum}, got {number}")
    return number


def validate_sizes(sizes: Any) -> tuple[int, ...]:
    """Layer sizes ``[n_0, ..., n_L]`` as a tuple of at least two positive ints."""
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
        raise TypeError(
            "sizes must be a sequence of layer sizes [n_0, ..., n_L], got "
            f"{sizes!r} of type {type(sizes).__name__}"
        )
    if len(sizes) < 2:
        raise ValueError(
            "sizes must list at least an input and an output layer "
            f"[n_0, ..., n_L], got {list(sizes)!r}"
        )
    return tuple(validate_int(f"sizes[{index}]", n, 1) for index, n in enumerate(sizes))


def validate_choice(argument: str, value: Any, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise naming ``argument``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"{argument} must be one of {', '.join(map(repr, choices))}; got {value!r}"
        )
    return value
