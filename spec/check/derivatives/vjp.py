r"""Check a vector-Jacobian product (reverse mode, a backward pass): :func:`check_vjp`.

``vjp(x, v)`` claims :math:`J^T v`, a tree shaped like ``x``. It is checked by
the dot-product identity :math:`\langle v, J u\rangle = \langle J^T v, u\rangle`,
with :math:`J u` the numeric derivative of ``f`` along ``u``: along every
:math:`e_k` (entry mode, every entry of :math:`J^T v` named by its path) or along
random unit ``u`` per input block (fast mode: two evaluations of ``f`` per
direction whatever the size of ``x``). This is :func:`spec.gradcheck` of the
scalar :math:`x \mapsto \langle v, f(x)\rangle`, whose gradient :math:`J^T v` is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.derivatives.arrays import from_numpy, library_of, to_numpy
from spec.check.derivatives.compare import shape_failure
from spec.check.derivatives.options import CheckOptions
from spec.check.derivatives.report import GradcheckReport
from spec.check.derivatives.tangents import (
    Problem,
    Tangent,
    compare_tangents,
    prepare,
    tangents_for,
)
from spec.check.derivatives.taylor import TaylorReport, taylor_of
from spec.check.derivatives.trees import flatten_like, tree_dtype

__all__ = ["check_vjp", "cotangent_for"]


def cotangent_for(v: Any, problem: Problem, rng: Any) -> tuple[NDArray, Any]:
    """The cotangent, flat float64, and as the user's function receives it.

    A given ``v`` must have the shape of ``f(x)``; by default a standard normal
    one, seeded by ``rng``, in the library and dtype of ``f(x)``'s leaves.
    """
    shape = problem.fn.out_shape
    if v is None:
        flat = np.random.default_rng(rng).standard_normal(shape).reshape(-1)
        leaf = problem.treedef.leaves[0].library
        if leaf.name == "numpy":
            return flat, flat.reshape(shape).astype(problem.treedef.dtype)
        xp = leaf.xp
        given = from_numpy(flat.reshape(shape), leaf)
        return flat, xp.astype(given, getattr(xp, problem.treedef.dtype.name))
    arr = to_numpy(v)
    library_of(v, "v")  # a real array or number
    if arr.shape != shape:
        raise ValueError(f"v must have the shape of f(x) {shape}, got {arr.shape}")
    return arr.astype(np.float64).reshape(-1), v


def check_vjp(
    f: Callable[[Any], Any],
    vjp: Callable[[Any, Any], Any],
    x: Any,
    *,
    v: Any = None,
    method: str = "auto",
    fast: bool = False,
    n_directions: int = 2,
    rtol: float | None = None,
    atol: float | None = None,
    rng: Any = 0,
    n_worst: int = 5,
    raise_on_failure: bool = True,
) -> GradcheckReport | TaylorReport:
    r"""Check a claimed vector-Jacobian product :math:`J^T v` of ``f`` at ``x``.

    Parameters
    ----------
    f : callable
        ``f(x) -> array`` of any shape (any array library).
    vjp : callable
        ``vjp(x, v) -> tree`` shaped like ``x``: the claimed :math:`J^T v` (a
        backward pass given the upstream gradient ``v``), called once with
        ``x`` and ``v`` in the user's own dtypes and libraries.
    x : array, number, or nested list, tuple or dict of them
        The point (a parameter tree; entries are named by path).
    v : array shaped like ``f(x)``, optional
        The cotangent (Chainer's ``y_grad``); standard normal by default.
    method : {"auto", "complex", "central", "richardson", "taylor"}
        The numeric reference; ``"auto"`` takes the complex step where the
        library and ``f`` allow it, else central differences, and says which;
        ``"taylor"``, the Taylor test of :math:`\langle v, f\rangle` along a
        random direction.
    fast : bool
        Random unit directions ``u`` per leaf instead of every entry.
    n_directions, rtol, atol, rng, n_worst, raise_on_failure
        As for :func:`spec.gradcheck`; ``rng`` also seeds the default ``v``.

    Returns
    -------
    GradcheckReport or TaylorReport
        A :class:`~spec.TaylorReport` with ``method="taylor"``.

    Raises
    ------
    GradcheckError
        If an entry (or direction) is out of tolerance (and ``raise_on_failure``).

    Examples
    --------
    >>> import numpy as np
    >>> check_vjp(np.sin, lambda x, v: np.cos(x) * v, np.arange(3.0)).passed
    True
    """
    options = CheckOptions(
        method, fast, n_directions, rtol, atol, rng, n_worst, raise_on_failure
    )
    problem = prepare(f, x, options)
    tree = problem.treedef
    v_flat, v_given = cotangent_for(v, problem, rng)
    value = vjp(problem.x_given, v_given)
    try:
        claimed_flat = flatten_like(value, tree, "vjp(x, v)")
    except ValueError as error:
        raise shape_failure(
            str(error), problem.options.method, "?", "check_vjp"
        ) from None
    dtype = tree_dtype(value)

    def claimed(t: Tangent) -> NDArray:
        return np.atleast_1d(claimed_flat @ t.u).astype(dtype)

    if problem.options.method == "taylor":
        return taylor_of(
            problem.fn,
            lambda d: np.atleast_1d(claimed_flat @ d),
            rng=rng,
            check="check_vjp",
            raise_on_failure=raise_on_failure,
            cotangent=v_flat,
        )

    return compare_tangents(
        problem.fn,
        claimed,
        tangents_for(tree, problem.options),
        problem.options,
        blocks=tree.blocks(),
        cotangent=v_flat,
        notes=problem.notes,
        subject=(
            "dot products <J^T v, u> = <v, J u>"
            if fast
            else "entries of J^T v (<J^T v, e_k> = <v, J e_k>)"
        ),
        check="check_vjp",
    )
