r"""Check a claimed gradient of any scalar function against a numeric one.

:func:`gradcheck` is the public function; :func:`check_claimed_gradient` is the
form :func:`spec.check_network` and the conformance battery use, with the claimed
gradient already computed. Both are the tangent engine of every other first-order
check (:func:`~spec.check.derivatives.tangents.compare_tangents`) applied to the
scalar ``f``: its claimed derivative along a direction :math:`u` is :math:`u^T g`,
compared entry by entry (:math:`u = e_k`) or, in fast mode, along random unit
directions per block. The criterion and the defaults are explained on the docs
page "Checking your own gradient".

**Fast mode** checks the gradient along ``n_directions`` random unit directions
:math:`u` per block: :math:`u^T g` against the directional derivative
:math:`D_u f`. For an error vector :math:`e` and a random unit :math:`u \in
\mathbb R^n`, :math:`u^T e` has standard deviation :math:`\lVert e\rVert_2 /
\sqrt n \le \max_i |e_i|`, so a gradient passing the per-entry test passes
:math:`|u^T g - D_u f| \le 6\,(\mathrm{atol} + \mathrm{rtol}\,s)` except with
probability at most :math:`P(|u_1| > 6/\sqrt n) \le 2 e^{-18} \approx 3.0 \cdot
10^{-8}` per direction (concentration on the sphere).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.derivatives.compare import (
    Names,
    entry_namer,
    validate_claimed,
)
from spec.check.derivatives.edge import require_callable, who
from spec.check.derivatives.numeric import METHODS
from spec.check.derivatives.options import CheckOptions, check_options
from spec.check.derivatives.report import GradcheckReport, Report
from spec.check.derivatives.tangents import (
    Problem,
    Tangent,
    compare_tangents,
    prepare,
    read_claimed,
    tangents_for,
)
from spec.check.derivatives.taylor import taylor_test

__all__ = ["check_claimed_gradient", "gradcheck", "is_numpy_like"]


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


def _compare_gradient(problem: Problem, g: NDArray, dtype: Any) -> GradcheckReport:
    """The claimed gradient ``g`` (flat, float64; its own ``dtype``) against the
    derivatives of the scalar ``f`` along the check's tangents."""

    def claimed(t: Tangent) -> NDArray:
        return np.atleast_1d(t.project(g)).astype(dtype)

    return compare_tangents(
        problem, claimed, tangents_for(problem), cotangent=np.ones(1)
    )


def check_claimed_gradient(
    f: Callable[[NDArray], Any],
    claimed: NDArray,
    theta: NDArray,
    options: CheckOptions,
    *,
    names: Names = None,
    blocks: Any = None,
) -> GradcheckReport:
    """Compare ``claimed`` with the numeric gradient of ``f`` at ``theta``.

    The form of :func:`gradcheck` that :func:`spec.check_network` uses:
    ``claimed`` is already shaped like ``theta`` (an array); ``options.method``
    is a numeric method. ``f`` is called with float64 arrays shaped like
    ``theta`` (complex128 for the complex step). ``names`` and ``blocks`` as for
    :func:`gradcheck`.
    """
    if options.method not in METHODS:
        raise ValueError(
            f"method must be one of {list(METHODS)}, got {options.method!r}"
        )
    require_callable(f, "f")
    t = np.asarray(theta)
    root = names if isinstance(names, str) else "theta"
    problem = prepare(
        f,
        t,
        options,
        root=root,
        names=entry_namer(None if isinstance(names, str) else names, t.shape, root),
        blocks=blocks,
    )
    problem.fn.require_scalar()
    g = np.asarray(claimed)
    return _compare_gradient(problem, g.astype(np.float64).reshape(-1), g.dtype)


def gradcheck(
    f: Callable[[NDArray], Any],
    grad: Callable[[NDArray], Any],
    theta: Any,
    *,
    method: str = "central",
    fast: bool = False,
    n_directions: int = 2,
    rtol: float | None = None,
    atol: float | None = None,
    rng: Any = 0,
    names: Names = None,
    blocks: Any = None,
    n_worst: int = 5,
    raise_on_failure: bool = True,
) -> GradcheckReport | Report:
    r"""Check a claimed gradient of a scalar function against a numeric one.

    Entry :math:`i` passes when :math:`|g_i - r_i| \le \mathrm{atol} +
    \mathrm{rtol}\cdot s`, with :math:`g` the claimed gradient, :math:`r` the
    numeric one and :math:`s` the largest entry of either; see the docs page
    "Checking your own gradient" for why, and for how the defaults were measured.

    Parameters
    ----------
    f : callable
        ``f(theta) -> scalar``, :math:`\mathbb R^n \to \mathbb R`. It is evaluated
        at ``theta`` converted to float64 (complex128 for ``method="complex"``),
        so the numeric reference is as accurate as ``f`` allows; if ``f`` returns
        float32 values the default tolerances follow.
    grad : callable
        ``grad(theta) -> array`` shaped like ``theta``: the gradient under test,
        called once with ``theta`` as given (its dtype kept).
    theta : array_like of float, or a tree of arrays
        The point, any shape; or nested lists, tuples and dicts of arrays of
        any library (NumPy, PyTorch, JAX, ...), whose entries are then named by
        path (``theta["W1"][2, 3]``) and ``grad`` returns a tree like it.
    method : {"central", "complex", "richardson", "auto", "taylor"}
        The numeric reference (:mod:`spec.check.derivatives.numeric`): central differences
        with steps :math:`h_i = \varepsilon^{1/3}\max(1, |\theta_i|)`; the complex
        step (``f`` must be analytic and accept complex input); Richardson
        extrapolation of central differences; ``"auto"``, the complex step where
        the library and ``f`` allow it, else central differences (the report says
        which); or ``"taylor"``, :func:`spec.taylor_test` (its report returned).
    fast : bool
        Compare along ``n_directions`` random unit directions per block instead
        of entry by entry: a few evaluations of ``f`` whatever the size of
        ``theta``. Names the wrong block, not the wrong entry.
    n_directions : int
        Directions per block in fast mode.
    rtol, atol : float, optional
        Tolerances; defaults by method and dtype
        (:func:`~spec.check.derivatives.options.default_tolerances`).
    rng : int or numpy.random.Generator
        Seed or generator of the fast-mode directions.
    names : callable or sequence of str, or str, optional
        Name of each flat entry for the report, ``theta[k]`` by default; for a
        tree, a str names its root (``names="params"``: ``params["W1"][2, 3]``).
    blocks : mapping of str to slice, or sequence of Block, optional
        Groups of entries summarised separately, and probed separately in fast
        mode; the whole of ``theta`` by default.
    n_worst : int
        How many of the worst entries the report lists.
    raise_on_failure : bool
        Raise :class:`~spec.check.derivatives.report.GradcheckError` on failure (else return
        the report).

    Returns
    -------
    GradcheckReport

    Raises
    ------
    GradcheckError
        If an entry (or direction) is out of tolerance and ``raise_on_failure``.

    Examples
    --------
    >>> import numpy as np
    >>> report = gradcheck(lambda t: np.sum(np.sin(t)), np.cos, np.arange(3.0))
    >>> report.passed
    True
    """
    options = check_options(locals())
    require_callable(f, "f")
    require_callable(grad, "grad")
    if method == "taylor":
        return taylor_test(f, grad, theta, rng=rng, raise_on_failure=raise_on_failure)
    root = names if isinstance(names, str) else "theta"
    if method != "auto" and is_numpy_like(theta):
        # One array: entries named theta[1,2] (or by ``names``), blocks by slice.
        t = np.asarray(theta)
        if t.dtype.kind in "biu":
            t = t.astype(np.float64)
        if t.dtype.kind != "f":
            raise TypeError(f"theta must be a real floating array, got dtype {t.dtype}")
        if t.size == 0:
            raise ValueError("theta is empty; there is no gradient to check")
        claimed = validate_claimed(grad(t.copy()), t.shape, method, who("grad", grad))
        return check_claimed_gradient(
            f, claimed, t, options, names=names, blocks=blocks
        )
    problem = prepare(
        f,
        theta,
        options,
        root=root,
        names=None if isinstance(names, str) else names,
        blocks=blocks,
    )
    problem.fn.require_scalar()
    g, dtype = read_claimed(
        problem,
        grad(problem.x_given),
        "grad(theta)",
        source=who("grad", grad),
        check="gradcheck",
    )
    return _compare_gradient(problem, g, dtype)
