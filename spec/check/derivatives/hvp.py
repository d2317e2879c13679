r"""Second order: :func:`check_hvp` (Hessian-vector products) and :func:`check_hessian`.

A claimed :math:`H v` is compared, entry by entry, with the numeric derivative
along :math:`v` of a gradient:

- of the user's gradient, ``grad=``: :math:`(g(x + h v) - g(x - h v)) / 2h`, or
  its complex step where ``grad`` is analytic (as for :func:`spec.check_jvp`);
- otherwise of the *numeric* gradient of ``f``: central differences along
  :math:`v` of the complex-step gradient where ``f`` is analytic
  (``"central_of_complex"``, error :math:`\varepsilon^{2/3}`), else the
  four-point formula of central differences with both steps
  :math:`\varepsilon^{1/4}\max(1, |x|)` (``"second_central"``, error
  :math:`\varepsilon^{1/2}`, 1.5e-8 in float64; for small ``n``: :math:`4n`
  evaluations of ``f`` per direction).

:func:`check_hessian` compares every column :math:`H e_k` the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.derivatives.arrays import to_numpy
from spec.check.derivatives.compare import shape_failure
from spec.check.derivatives.functions import FlatFunction
from spec.check.derivatives.jvp import given_direction
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
from spec.check.derivatives.trees import flatten, flatten_like

__all__ = ["check_hessian", "check_hvp", "numeric_hvp"]


def numeric_hvp(fn: FlatFunction, v: NDArray, inner: str) -> NDArray:
    """:math:`H v` from ``f`` alone: central differences of a numeric gradient."""
    n = fn.x.size
    if inner == "complex":
        h_in = float(np.finfo(np.float64).eps)
        h = fn.step(v, "central")

        def gradient(y: NDArray) -> NDArray:
            return np.array(
                [np.imag(fn(y + 1j * h_in * e)).sum() / h_in for e in np.eye(n)]
            )

        return (gradient(fn.x + h * v) - gradient(fn.x - h * v)) / (2 * h)
    quarter = fn.eps**0.25
    h = quarter * max(1.0, float(np.abs(fn.x).max()))
    out = np.empty(n)
    for k, e in enumerate(np.eye(n)):
        s = quarter * max(1.0, abs(float(fn.x[k])))
        pp, pm = fn(fn.x + s * e + h * v), fn(fn.x + s * e - h * v)
        mp, mm = fn(fn.x - s * e + h * v), fn(fn.x - s * e - h * v)
        out[k] = float(np.sum(pp - pm - mp + mm)) / (4 * s * h)
    return out


def _check(
    f: Callable[[Any], Any],
    claimed_of: Callable[[Problem], Callable[[Tangent], NDArray]],
    x: Any,
    grad: Callable[[Any], Any] | None,
    options: CheckOptions,
    given: Any,
    check: str,
    subject: str,
) -> GradcheckReport | TaylorReport:
    if grad is not None:  # the derivative of the user's gradient, a function x -> x
        tree = flatten(x)[1]

        def gradient(tree_x: Any) -> Any:
            return flatten_like(grad(tree_x), tree, "grad(x)", real=False)

        problem = prepare(gradient, x, options, what="grad")
        notes = problem.notes
        reference = None
        if options.method == "taylor":
            claimed = claimed_of(problem)
            return taylor_of(
                problem.fn,
                lambda d: claimed(Tangent(d, "d", 0, random=True)),
                rng=options.rng,
                check=check,
                raise_on_failure=options.raise_on_failure,
            )
    elif options.method == "taylor":
        raise ValueError(
            "method='taylor' needs grad=, the gradient whose derivative H v is; "
            "or use spec.taylor_test(f, grad, x, hvp=hvp)"
        )
    else:
        problem = prepare(f, x, dataclasses.replace(options, method="auto"))
        if problem.fn.value.size != 1:
            raise ValueError(
                f"f must return a scalar, got shape {problem.fn.out_shape}"
            )
        inner = problem.options.method
        method = "central_of_complex" if inner == "complex" else "second_central"
        problem = dataclasses.replace(
            problem, options=dataclasses.replace(problem.options, method=method)
        )
        by = "the complex step" if inner == "complex" else "central differences"
        why = (
            f"reference: the numeric gradient of f by {by}, differentiated along "
            "each direction by central differences"
        )
        steps = (
            "steps: imaginary 2.2e-16 for the gradient, h = eps^(1/3) * "
            "max(1, |x_i|) along each direction"
            if inner == "complex"
            else "steps: eps^(1/4) * max(1, |x_i|) for both differences "
            "(four evaluations of f per entry and direction)"
        )
        precision = [n for n in problem.notes if n.startswith("precision")]
        notes = (why, steps, *precision)

        def reference(t: Tangent) -> NDArray:
            return numeric_hvp(problem.fn, t.u, inner)

    tree = problem.treedef
    out_root = "(Hv)" if check == "check_hvp" else "g"
    blocks = tree.blocks()
    flat_given = None
    if given is not None:
        flat_given, _ = given_direction(given, problem, "v")
        blocks = [Block("v", 0, tree.size, (tree.size,))]
    return compare_tangents(
        problem.fn,
        claimed_of(problem),
        tangents_for(tree, problem.options, flat_given),
        problem.options,
        blocks=blocks,
        reference=reference,
        notes=notes,
        subject=subject,
        check=check,
        out_name=lambda i: out_root + tree.name(i)[len(tree.root) :],
    )


def check_hvp(
    f: Callable[[Any], Any],
    hvp: Callable[[Any, Any], Any],
    x: Any,
    *,
    grad: Callable[[Any], Any] | None = None,
    v: Any = None,
    method: str = "auto",
    fast: bool = True,
    n_directions: int = 2,
    rtol: float | None = None,
    atol: float | None = None,
    rng: Any = 0,
    n_worst: int = 5,
    raise_on_failure: bool = True,
) -> GradcheckReport | TaylorReport:
    r"""Check a claimed Hessian-vector product :math:`H v` of a scalar ``f``.

    Parameters
    ----------
    f : callable
        ``f(x) -> scalar`` (any array library).
    hvp : callable
        ``hvp(x, v) -> tree`` shaped like ``x``: the claimed :math:`H v`.
    x : array, number, or nested list, tuple or dict of them
        The point.
    grad : callable, optional
        ``grad(x) -> tree`` like ``x``: differentiate this gradient along ``v``
        instead of a numeric gradient of ``f`` (cheaper and more accurate).
    v : tree shaped like ``x``, optional
        The direction; random unit directions per leaf by default (``fast``),
        or every :math:`e_k` with ``fast=False`` (the whole Hessian).
    method : {"auto", "complex", "central", "richardson"}
        The method along ``v`` when ``grad`` is given; without ``grad`` the
        reference is chosen as the module says.
    fast, n_directions, rtol, atol, rng, n_worst, raise_on_failure
        As for :func:`spec.gradcheck`.

    Returns
    -------
    GradcheckReport or TaylorReport
        A :class:`~spec.TaylorReport` with ``method="taylor"`` (and ``grad=``).
    """
    options = CheckOptions(
        method, fast, n_directions, rtol, atol, rng, n_worst, raise_on_failure
    )

    def claimed_of(problem: Problem) -> Callable[[Tangent], NDArray]:
        tree = problem.treedef

        def claimed(t: Tangent) -> NDArray:
            value = hvp(problem.x_given, tree.unflatten_as_given(t.u))
            try:
                return flatten_like(value, tree, "hvp(x, v)", keep_dtype=True)
            except ValueError as error:
                raise shape_failure(
                    str(error), problem.options.method, "?", "check_hvp"
                ) from None

        return claimed

    return _check(f, claimed_of, x, grad, options, v, "check_hvp", "entries of H v")


def check_hessian(
    f: Callable[[Any], Any],
    hess: Callable[[Any], Any],
    x: Any,
    *,
    grad: Callable[[Any], Any] | None = None,
    method: str = "auto",
    rtol: float | None = None,
    atol: float | None = None,
    n_worst: int = 5,
    raise_on_failure: bool = True,
) -> GradcheckReport | TaylorReport:
    r"""Check a claimed Hessian of a scalar ``f`` at ``x``, column by column.

    ``hess(x)`` returns an array of shape ``(n, n)`` over the flat entries of
    ``x`` (for an array ``x``: ``x.shape + x.shape``). For small ``n``: the
    reference costs :math:`4n^2` evaluations of ``f`` without ``grad``. Other
    parameters as for :func:`check_hvp`.

    Returns
    -------
    GradcheckReport
    """
    options = CheckOptions(
        method=method,
        rtol=rtol,
        atol=atol,
        n_worst=n_worst,
        raise_on_failure=raise_on_failure,
    )

    def claimed_of(problem: Problem) -> Callable[[Tangent], NDArray]:
        arr = to_numpy(hess(problem.x_given))
        n = problem.treedef.size
        if arr.size != n * n:
            raise shape_failure(
                f"hess(x) has shape {arr.shape}; expected ({n}, {n}) over the "
                "entries of x",
                problem.options.method,
                arr.dtype,
                "check_hessian",
            )
        matrix = arr.reshape(n, n)
        return lambda t: matrix @ t.u.astype(arr.dtype)

    return _check(
        f, claimed_of, x, grad, options, None, "check_hessian", "Hessian entries"
    )
