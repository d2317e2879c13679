r"""Check a Jacobian-vector product (forward mode): :func:`check_jvp`.

``jvp(x, u)`` claims :math:`J u`, shaped like ``f(x)``; it is compared, output by
output, with the numeric derivative of ``f`` along ``u``
(:mod:`spec.check.derivatives.tangents`): along the given tangent, along random unit tangents
per input block (fast mode), or along every :math:`e_k` (entry mode: the whole
Jacobian, column by column).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.derivatives.arrays import to_numpy
from spec.check.derivatives.compare import shape_failure
from spec.check.derivatives.options import CheckOptions
from spec.check.derivatives.report import Block, GradcheckReport
from spec.check.derivatives.tangents import (
    Problem,
    Tangent,
    compare_tangents,
    prepare,
    tangents_for,
)
from spec.check.derivatives.taylor import TaylorReport, taylor_of
from spec.check.derivatives.trees import flatten_like

__all__ = ["check_jvp", "claimed_output", "given_direction"]


def claimed_output(value: Any, problem: Problem, what: str, check: str) -> NDArray:
    """A claimed value shaped like ``f(x)``, flat (its dtype kept), or a failed check."""
    arr = to_numpy(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{what} must return real values, got dtype {arr.dtype}")
    if arr.shape != problem.fn.out_shape:
        raise shape_failure(
            f"{what} returned shape {arr.shape}; expected {problem.fn.out_shape}, "
            "the shape of f(x)",
            problem.options.method,
            arr.dtype,
            check,
        )
    return arr.reshape(-1)


def given_direction(value: Any, problem: Problem, name: str) -> tuple[NDArray, float]:
    """A user's tangent tree, flat: the unit direction and its norm."""
    flat = flatten_like(value, problem.treedef, name)
    norm = float(np.linalg.norm(flat))
    if not norm > 0 or not np.isfinite(norm):
        raise ValueError(f"{name} must be finite and not zero, got norm {norm}")
    return flat / norm, norm


def check_jvp(
    f: Callable[[Any], Any],
    jvp: Callable[[Any, Any], Any],
    x: Any,
    *,
    u: Any = None,
    method: str = "auto",
    fast: bool = True,
    n_directions: int = 2,
    rtol: float | None = None,
    atol: float | None = None,
    rng: Any = 0,
    n_worst: int = 5,
    raise_on_failure: bool = True,
) -> GradcheckReport | TaylorReport:
    r"""Check a claimed Jacobian-vector product :math:`J u` of ``f`` at ``x``.

    Parameters
    ----------
    f : callable
        ``f(x) -> array`` of any shape (any array library).
    jvp : callable
        ``jvp(x, u) -> array`` shaped like ``f(x)``: the claimed :math:`J u`,
        called with ``x`` and ``u`` in the user's own dtypes and libraries.
    x : array, number, or nested list, tuple or dict of them
        The point (a parameter tree; entries are named by path).
    u : tree shaped like ``x``, optional
        The tangent (JAX's ``check_jvp`` tangent). By default ``n_directions``
        random unit tangents per leaf (``fast=True``, the default), or every unit
        vector :math:`e_k` with ``fast=False`` (the whole Jacobian, every entry
        named).
    method : {"auto", "complex", "central", "richardson", "taylor"}
        The numeric reference; ``"auto"`` takes the complex step where the
        library and ``f`` allow it, else central differences, and says which;
        ``"taylor"``, the Taylor test along a random direction.
    fast, n_directions, rtol, atol, rng, n_worst, raise_on_failure
        As for :func:`spec.gradcheck`.

    Returns
    -------
    GradcheckReport or TaylorReport
        A :class:`~spec.TaylorReport` with ``method="taylor"``.

    Raises
    ------
    GradcheckError
        If a claimed value is out of tolerance (and ``raise_on_failure``).

    Examples
    --------
    >>> import numpy as np
    >>> check_jvp(np.sin, lambda x, u: np.cos(x) * u, np.arange(3.0)).passed
    True
    """
    options = CheckOptions(
        method, fast, n_directions, rtol, atol, rng, n_worst, raise_on_failure
    )
    problem = prepare(f, x, options)
    tree = problem.treedef
    norm = 1.0
    blocks = tree.blocks()
    given = None
    if u is not None:
        given, norm = given_direction(u, problem, "u")
        blocks = [Block("u", 0, tree.size, (tree.size,))]

    def claimed(t: Tangent) -> NDArray:
        value = jvp(problem.x_given, tree.unflatten_as_given(t.u * norm))
        return claimed_output(value, problem, "jvp", "check_jvp") / norm

    if problem.options.method == "taylor":
        return taylor_of(
            problem.fn,
            lambda d: claimed(Tangent(d, "d", 0, random=True)),
            rng=rng,
            check="check_jvp",
            raise_on_failure=raise_on_failure,
        )

    return compare_tangents(
        problem.fn,
        claimed,
        tangents_for(tree, problem.options, given),
        problem.options,
        blocks=blocks,
        notes=problem.notes,
        subject="JVP values (J u, output by output)",
        check="check_jvp",
    )
