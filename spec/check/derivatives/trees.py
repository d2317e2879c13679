"""Parameter trees: nested lists, tuples and dicts of arrays, flattened for a check.

A check works on one flat float64 vector; the user's function takes the tree.
:func:`flatten` gives both: the vector, and a :class:`TreeDef` that rebuilds the
tree from any vector of that length (:meth:`TreeDef.unflatten`, with leaves in
the library each came in) and names every entry by its path,
``params["W1"][2, 3]`` or ``x[1][0]``. A bare array is a tree of one leaf, named
``x[2, 3]`` (or ``x`` for a scalar).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.derivatives.arrays import Library, from_numpy, library_of, to_numpy
from spec.check.derivatives.report import Block

__all__ = ["Leaf", "TreeDef", "flatten", "flatten_like", "path_name", "tree_dtype"]


@dataclasses.dataclass(frozen=True)
class Leaf:
    """One array of a tree: where it sits, its shape, and its library.

    ``path`` is the sequence of keys and positions from the root; ``start`` and
    ``stop`` bound its entries in the flat vector.
    """

    path: tuple[Any, ...]
    shape: tuple[int, ...]
    library: Library
    start: int
    stop: int
    scalar: bool


def path_name(root: str, path: Sequence[Any]) -> str:
    """``root`` followed by one subscript per key: ``params["W1"]``, ``x[1][0]``."""
    parts = [f'["{key}"]' if isinstance(key, str) else f"[{key!r}]" for key in path]
    return root + "".join(parts)


def _index(shape: tuple[int, ...], k: int) -> str:
    if not shape:
        return ""
    return "[" + ", ".join(map(str, np.unravel_index(k, shape))) + "]"


@dataclasses.dataclass(frozen=True)
class TreeDef:
    """The structure of a flattened tree, and how to rebuild and name it."""

    node: Any
    leaves: tuple[Leaf, ...]
    root: str
    size: int

    @property
    def is_leaf(self) -> bool:
        """The tree is one bare array (or scalar)."""
        return len(self.leaves) == 1 and self.leaves[0].path == ()

    @property
    def dtype(self) -> np.dtype:
        """The lowest precision among the leaves (float32 if any leaf is)."""
        return min((leaf.library.dtype for leaf in self.leaves), key=_precision)

    @property
    def libraries(self) -> tuple[str, ...]:
        """The libraries of the leaves, each once."""
        return tuple(dict.fromkeys(leaf.library.name for leaf in self.leaves))

    @property
    def has_complex(self) -> bool:
        """Every leaf's library has a complex dtype (so the complex step can run)."""
        return all(leaf.library.has_complex for leaf in self.leaves)

    def name(self, k: int) -> str:
        """The path name of flat entry ``k``: ``params["W1"][2, 3]``."""
        for leaf in self.leaves:
            if leaf.start <= k < leaf.stop:
                return path_name(self.root, leaf.path) + _index(
                    leaf.shape, k - leaf.start
                )
        raise IndexError(f"entry {k} is outside the tree's {self.size} entries")

    def blocks(self) -> list[Block]:
        """One :class:`Block` per leaf, named by its path (``params["W1"]``)."""
        return [
            Block(path_name(self.root, leaf.path), leaf.start, leaf.stop, leaf.shape)
            for leaf in self.leaves
        ]

    def unflatten(self, flat: NDArray, *, complex_: bool = False) -> Any:
        """The tree with entries ``flat``, each leaf in its own library.

        Float64 leaves (complex128 with ``complex_``); the caller's leaves of
        lower precision are widened so that the reference is as accurate as the
        function allows.
        """
        values = iter(
            from_numpy(
                flat[leaf.start : leaf.stop].reshape(leaf.shape),
                leaf.library,
                complex_=complex_,
            )
            for leaf in self.leaves
        )
        return _rebuild(self.node, values)

    def unflatten_as_given(self, flat: NDArray) -> Any:
        """The tree with entries ``flat`` in each leaf's own dtype (as the user gave)."""
        out = []
        for leaf in self.leaves:
            arr = flat[leaf.start : leaf.stop].reshape(leaf.shape)
            lib = leaf.library
            if lib.name == "numpy":
                out.append(arr.astype(lib.dtype))
            else:
                xp = lib.xp
                out.append(
                    xp.asarray(
                        np.ascontiguousarray(arr, dtype=lib.dtype),
                        dtype=getattr(xp, lib.dtype.name),
                        device=lib.device,
                    )
                )
        return _rebuild(self.node, iter(out))


def _precision(dtype: np.dtype) -> float:
    return -float(np.finfo(dtype).eps)


_LEAF = object()


def _structure(tree: Any, path: tuple[Any, ...], found: list[tuple[Any, ...]]) -> Any:
    if isinstance(tree, Mapping):
        return (dict, [(k, _structure(v, (*path, k), found)) for k, v in tree.items()])
    if isinstance(tree, list | tuple):
        kind = type(tree) if type(tree) in (list, tuple) else tuple
        return (kind, [_structure(v, (*path, i), found) for i, v in enumerate(tree)])
    found.append((path, tree))
    return _LEAF


def _rebuild(node: Any, values: Any) -> Any:
    if node is _LEAF:
        return next(values)
    kind, children = node
    if kind is dict:
        return {k: _rebuild(child, values) for k, child in children}
    return kind(_rebuild(child, values) for child in children)


def flatten(tree: Any, root: str = "x") -> tuple[NDArray, TreeDef]:
    """Flatten a tree of arrays (any library) and numbers into one float64 vector.

    Parameters
    ----------
    tree : array, number, or nested list, tuple or dict of them
        The point of a check.
    root : str
        The name of the argument in reports (``x``, ``theta``, ``params``).

    Returns
    -------
    flat : ndarray, shape (n,)
        Float64, the leaves' entries in order (dicts in insertion order).
    treedef : TreeDef

    Raises
    ------
    TypeError
        If a leaf is neither an array nor a real number (naming its path).
    ValueError
        If the tree has no entries.
    """
    found: list[Any] = []
    node = _structure(tree, (), found)
    leaves, arrays, start = [], [], 0
    for path, value in found:
        library = library_of(value, path_name(root, path))
        arr = to_numpy(value).astype(np.float64)
        leaves.append(
            Leaf(path, arr.shape, library, start, start + arr.size, arr.ndim == 0)
        )
        arrays.append(arr.reshape(-1))
        start += arr.size
    if start == 0:
        raise ValueError(f"{root} has no entries; there is no derivative to check")
    return np.concatenate(arrays), TreeDef(node, tuple(leaves), root, start)


def flatten_like(
    value: Any,
    treedef: TreeDef,
    what: str,
    extra: tuple[int, ...] = (),
    *,
    real: bool = True,
    keep_dtype: bool = False,
) -> NDArray:
    """Flatten ``value``, a tree shaped like ``treedef`` (each leaf with ``extra``
    leading axes), to shape ``extra + (n,)``.

    Float64 (complex128 for complex leaves when ``real`` is False), or the
    leaves' own result dtype with ``keep_dtype``.

    Raises
    ------
    ValueError
        If the structure or a leaf's shape differs, naming the path.
    TypeError
        If a leaf is complex and ``real``, or not numeric.
    """
    found: list[Any] = []
    node = _structure(value, (), found)
    if node != treedef.node:
        raise ValueError(
            f"{what} must have the structure of {treedef.root} "
            f"({len(treedef.leaves)} leaves), got {len(found)} leaves"
        )
    parts = []
    for (path, leaf_value), leaf in zip(found, treedef.leaves, strict=True):
        arr = to_numpy(leaf_value)
        if arr.dtype.kind not in ("biuf" if real else "biufc"):
            raise TypeError(f"{what} must be real, got dtype {arr.dtype}")
        want = extra + leaf.shape
        if arr.shape != want:
            where = path_name(what, path)
            raise ValueError(f"{where} must have shape {want}, got {arr.shape}")
        if not keep_dtype:
            arr = arr.astype(np.result_type(arr.dtype, np.float64))
        parts.append(arr.reshape((*extra, leaf.stop - leaf.start)))
    return np.concatenate(parts, axis=-1)


def tree_dtype(tree: Any) -> np.dtype:
    """The result dtype of a tree's leaves (each read as NumPy)."""
    found: list[Any] = []
    _structure(tree, (), found)
    return np.result_type(*(to_numpy(leaf).dtype for _, leaf in found))
