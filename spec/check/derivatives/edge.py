"""The edge of the checks: what a user's function returned, read or refused.

A check calls the user's functions (``f``, ``grad``, ``jac``, ``vjp``, ``jvp``,
``hvp``, ``hess``) and reads what they return as NumPy arrays. Anything that is
not an array of numbers (``None``, a string, a ragged list, an object array) is
refused here with a :class:`TypeError` that names the function by its role and
``__name__``, says what it returned, and what was expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.derivatives.arrays import describe, to_numpy

__all__ = ["as_array", "callable_name", "require_callable", "who"]

#: Errors NumPy and the Array API raise on reading a value that is no array.
_UNREADABLE = (AttributeError, TypeError, ValueError, BufferError, RuntimeError)


def callable_name(fn: Any) -> str:
    """``fn``'s name for messages: its ``__qualname__`` (``<lambda>``, ``Net.loss``),
    or its type's name."""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    if name is None and hasattr(fn, "func"):  # functools.partial
        return f"partial({callable_name(fn.func)})"
    if name is None:
        return type(fn).__name__
    return str(name).rsplit("<locals>.", 1)[-1]  # a function defined in a function


def who(role: str, fn: Any) -> str:
    """The function named by its role and its name: ``grad (my_gradient)``."""
    return f"{role} ({callable_name(fn)})"


def require_callable(fn: Any, role: str) -> None:
    """Refuse a ``fn`` that cannot be called, naming the argument and what came."""
    if not callable(fn):
        raise TypeError(f"{role} must be callable, got {describe(fn)}")


def as_array(
    value: Any,
    *,
    source: str,
    expected: str,
    at: str = "",
    real: bool = True,
) -> NDArray:
    """``value`` as a NumPy array of numbers, or a :class:`TypeError`.

    Parameters
    ----------
    value : object
        What a user's function returned (or, with ``source`` empty, what a user
        gave as the argument ``at``).
    source : str
        The function, as :func:`who` names it; empty for an argument.
    expected : str
        What was expected, for the message (``"a real array of shape (3,)"``).
    at : str
        Where in the returned tree the value sits (``grad(theta)["W1"]``), or the
        argument's name.
    real : bool
        Refuse complex values too.
    """
    arr: NDArray | None = None
    if value is not None and not isinstance(value, str | bytes | Mapping):
        try:
            if isinstance(value, list | tuple | np.ndarray | np.generic | float | int):
                arr = np.asarray(value)
            else:
                arr = to_numpy(value)
        except _UNREADABLE:
            arr = None
    if arr is None or arr.dtype.kind not in ("biuf" if real else "biufc"):
        if source:
            where = f" for {at}" if at else ""
            head = f"{source} returned {describe(value)}{where}"
        else:
            head = f"{at} is {describe(value)}"
        raise TypeError(f"{head}; expected {expected}")
    return arr
