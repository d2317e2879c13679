r"""Check a full Jacobian of a function of a tree: :func:`check_jacobian`.

``jac(x)`` claims :math:`\partial f / \partial x` per leaf, shaped
``f(x).shape + leaf.shape``. Entry mode compares every column :math:`J e_k` with
the numeric derivative along :math:`e_k`, naming entries
``df[i]/dx["W1"][2, 3]``; fast mode compares :math:`J u` for random unit
:math:`u` per leaf, output by output, which holds :math:`v^T J u` for every unit
:math:`v` (each output a :math:`v = e_i`) at the cost of one :math:`J u`, and on
failure names the worst output and input block (``f[2] along u1 of x["W1"]``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
from spec.check.derivatives.taylor import TaylorReport, taylor_of
from spec.check.derivatives.trees import flatten_like, tree_dtype

__all__ = ["check_jacobian"]


def check_jacobian(
    f: Callable[[Any], Any],
    jac: Callable[[Any], Any],
    x: Any,
    *,
    method: str = "auto",
    fast: bool = False,
    n_directions: int = 2,
    rtol: float | None = None,
    atol: float | None = None,
    rng: Any = 0,
    n_worst: int = 5,
    raise_on_failure: bool = True,
) -> GradcheckReport | TaylorReport:
    r"""Check a claimed Jacobian of ``f`` at ``x``.

    Parameters
    ----------
    f : callable
        ``f(x) -> array`` of any shape (any array library).
    jac : callable
        ``jac(x) -> tree`` shaped like ``x`` whose leaf for an input leaf of
        shape ``s`` has shape ``f(x).shape + s`` (for an array ``x``, one array
        of shape ``f(x).shape + x.shape``); called once with ``x`` as given.
    x : array, number, or nested list, tuple or dict of them
        The point (a parameter tree; entries are named by path).
    method : {"auto", "complex", "central", "richardson", "taylor"}
        The numeric reference; ``"auto"`` takes the complex step where the
        library and ``f`` allow it, else central differences, and says which;
        ``"taylor"``, the Taylor test along a random direction (a
        :class:`~spec.check.derivatives.taylor.TaylorReport`).
    fast : bool
        Compare :math:`J u` for ``n_directions`` random unit ``u`` per leaf
        instead of every column.
    n_directions, rtol, atol, rng, n_worst, raise_on_failure
        As for :func:`spec.gradcheck`.

    Returns
    -------
    GradcheckReport or TaylorReport
        A :class:`~spec.TaylorReport` with ``method="taylor"``.

    Raises
    ------
    GradcheckError
        If a Jacobian entry (or a direction's output) is out of tolerance (and
        ``raise_on_failure``).

    Examples
    --------
    >>> import numpy as np
    >>> check_jacobian(np.sin, lambda x: np.diag(np.cos(x)), np.arange(3.0)).passed
    True
    """
    options = CheckOptions(
        method, fast, n_directions, rtol, atol, rng, n_worst, raise_on_failure
    )
    problem = prepare(f, x, options)
    tree, out_shape = problem.treedef, problem.fn.out_shape
    value = jac(problem.x_given)
    try:
        matrix = flatten_like(value, tree, "jac(x)", extra=out_shape)
    except ValueError as error:
        raise shape_failure(
            f"{error} (f(x).shape + the leaf's shape)",
            problem.options.method,
            "?",
            "check_jacobian",
        ) from None
    matrix = matrix.reshape(-1, tree.size)
    dtype = tree_dtype(value)
    if problem.options.method == "taylor":
        return taylor_of(
            problem.fn,
            lambda d: matrix @ d,
            rng=rng,
            check="check_jacobian",
            raise_on_failure=raise_on_failure,
        )

    def claimed(t: Tangent) -> NDArray:
        return (matrix @ t.u).astype(dtype)

    return compare_tangents(
        problem.fn,
        claimed,
        tangents_for(tree, problem.options),
        problem.options,
        blocks=tree.blocks(),
        notes=problem.notes,
        subject="Jacobian entries" if not fast else "outputs of J u",
        check="check_jacobian",
    )
