"""Arrays of any library, through the Array API (``array-api-compat``).

A check calls the user's function with arrays of the library it was given
(NumPy, PyTorch, JAX, CuPy, ``array-api-strict``, ...), on that library's device,
so that the function runs as it does in the user's code; the comparisons are made
in float64 NumPy. Each perturbed point :math:`x + h u` (or :math:`x + i h u`) is
formed in float64 (complex128) IEEE arithmetic, which rounds alike in every
library, and handed to the function as an array of its library. This module
converts between the two:
:func:`to_numpy` reads an array of any library, :func:`from_numpy` makes one like
a given array, in a chosen dtype (float64, or complex128 for the complex step).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import array_api_compat
import numpy as np
from numpy.typing import NDArray

__all__ = ["Library", "from_numpy", "library_of", "to_numpy"]


@dataclasses.dataclass(frozen=True)
class Library:
    """Where an input array lives: its namespace, device and dtype.

    Attributes
    ----------
    name : str
        The library's name for reports (``"numpy"``, ``"torch"``, ...).
    xp : module or None
        The Array API namespace; ``None`` for a Python scalar.
    device : object
        The array's device (``"cpu"`` for NumPy and scalars).
    dtype : numpy.dtype
        The array's floating dtype, as NumPy names it (float32, float64, ...).
    has_complex : bool
        Whether the namespace has a complex dtype of matching precision, so the
        complex step can be tried.
    """

    name: str
    xp: Any
    device: Any
    dtype: np.dtype
    has_complex: bool


def _name(xp: Any) -> str:
    name = getattr(xp, "__name__", "array")
    for prefix in ("array_api_compat.", "array_api_strict"):
        if name.startswith(prefix):
            name = name.removeprefix(prefix) or "array_api_strict"
    return name.split(".")[0]


def library_of(leaf: Any, what: str = "x") -> Library:
    """The :class:`Library` of ``leaf``: an array of any library, or a real scalar.

    Raises
    ------
    TypeError
        If ``leaf`` is neither a real number nor a real floating (or integer) array.
    """
    if isinstance(leaf, bool) or (
        not isinstance(leaf, int | float | np.generic | np.ndarray)
        and not array_api_compat.is_array_api_obj(leaf)
    ):
        raise TypeError(
            f"{what} must be an array or a real number, got {type(leaf).__name__}"
        )
    if isinstance(leaf, int | float | np.generic | np.ndarray) or (
        array_api_compat.is_numpy_array(leaf)
    ):
        arr = np.asarray(leaf)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{what} must be real, got dtype {arr.dtype}")
        dtype = arr.dtype if arr.dtype.kind == "f" else np.dtype(np.float64)
        return Library("numpy", np, "cpu", dtype, True)
    xp = array_api_compat.array_namespace(leaf)
    dtype = _numpy_dtype(leaf.dtype, xp, what)
    complex_name = "complex64" if dtype == np.float32 else "complex128"
    return Library(
        _name(xp),
        xp,
        array_api_compat.device(leaf),
        dtype,
        hasattr(xp, complex_name),
    )


def _numpy_dtype(dtype: Any, xp: Any, what: str) -> np.dtype:
    for name in ("float16", "float32", "float64"):
        if hasattr(xp, name) and dtype == getattr(xp, name):
            return np.dtype(name)
    if xp.isdtype(dtype, "integral"):
        return np.dtype(np.float64)
    raise TypeError(f"{what} must be a real floating array, got dtype {dtype}")


def to_numpy(leaf: Any) -> NDArray:
    """A NumPy copy of an array of any library (detached, on the host)."""
    if isinstance(leaf, int | float | np.generic | np.ndarray):
        return np.array(leaf)
    for method in ("detach", "resolve_conj"):  # PyTorch: requires grad, lazy conj
        if callable(getattr(leaf, method, None)):
            leaf = getattr(leaf, method)()
    try:  # DLPack: no copy through __array__, which not every library implements
        return np.array(np.from_dlpack(leaf))
    except (TypeError, RuntimeError, ValueError, BufferError):
        host = array_api_compat.to_device(leaf, "cpu")
        return np.array(np.from_dlpack(host))


def from_numpy(values: NDArray, like: Library, *, complex_: bool = False) -> Any:
    """``values`` as an array of ``like``'s library and device.

    Float64 (complex128 with ``complex_``) in that library; a Python scalar input
    comes back as a 0-d NumPy array.
    """
    if like.xp is None or like.xp is np or like.name == "numpy":
        return np.asarray(values, dtype=np.complex128 if complex_ else np.float64)
    xp = like.xp
    dtype = xp.complex128 if complex_ else xp.float64
    if complex_:
        real = xp.asarray(np.ascontiguousarray(values.real), device=like.device)
        imag = xp.asarray(np.ascontiguousarray(values.imag), device=like.device)
        unit = xp.asarray(1j, dtype=dtype, device=like.device)
        return xp.astype(real, dtype) + unit * xp.astype(imag, dtype)
    return xp.asarray(np.ascontiguousarray(values), dtype=dtype, device=like.device)
