"""The gradient of a scalar function of a tree, or of arrays of any library.

:func:`spec.gradcheck` comes here when ``theta`` is not one NumPy array: a dict,
list or tuple of arrays (``params["W1"]``, ``theta[1][0]``), or an array of
another library (PyTorch, JAX, ``array-api-strict``, ...). The claimed gradient is
a tree shaped like ``theta``; it is compared by the engine of the other checks
(:func:`~spec.check.derivatives.tangents.compare_tangents`), entry by entry or along random
directions per leaf.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.derivatives.compare import shape_failure
from spec.check.derivatives.options import CheckOptions
from spec.check.derivatives.report import GradcheckReport
from spec.check.derivatives.tangents import (
    Tangent,
    compare_tangents,
    prepare,
    tangents_for,
)
from spec.check.derivatives.trees import flatten_like, tree_dtype

__all__ = ["check_tree_gradient", "is_numpy_like"]


def is_numpy_like(theta: Any) -> bool:
    """Whether ``theta`` is one NumPy array, number, or nested list of numbers."""
    if isinstance(theta, np.ndarray | np.generic | int | float):
        return True
    if isinstance(theta, list | tuple):
        return (
            len(theta) > 0
            and all(map(is_numpy_like, theta))
            and not any(isinstance(t, np.ndarray) and t.ndim > 0 for t in theta)
        )
    return False


def check_tree_gradient(
    f: Callable[[Any], Any],
    grad: Callable[[Any], Any],
    theta: Any,
    options: CheckOptions,
    *,
    root: str = "theta",
) -> GradcheckReport:
    """Check ``grad`` of the scalar ``f`` at the tree ``theta`` (see the module)."""
    problem = prepare(f, theta, options, root=root)
    if problem.fn.value.size != 1:
        raise ValueError(f"f must return a scalar, got shape {problem.fn.out_shape}")
    tree = problem.treedef
    value = grad(problem.x_given)
    try:
        g = flatten_like(value, tree, "grad(theta)")
    except ValueError as error:
        raise shape_failure(str(error), problem.options.method, "?") from None
    dtype = tree_dtype(value)

    def claimed(t: Tangent) -> NDArray:
        return np.atleast_1d(g @ t.u).astype(dtype)

    return compare_tangents(
        problem.fn,
        claimed,
        tangents_for(tree, problem.options),
        problem.options,
        blocks=tree.blocks(),
        cotangent=np.ones(1),
        notes=problem.notes,
    )
