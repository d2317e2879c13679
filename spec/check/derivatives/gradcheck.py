r"""Check a claimed gradient of any scalar function against a numeric one.

:func:`gradcheck` is the public function; :func:`check_claimed_gradient` is the
engine it shares with :func:`spec.check_network`: evaluate ``f``, choose the
tolerances, and compare entry by entry or, in fast mode, along random directions.
The criterion and the defaults are explained on the docs page "Checking your own
gradient".

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

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.derivatives.compare import (
    Names,
    Tolerance,
    as_blocks,
    compare_entries,
    entry_namer,
    report_items,
    scale_of,
    validate_claimed,
)
from spec.check.derivatives.gradtree import check_tree_gradient, is_numpy_like
from spec.check.derivatives.kinks import kinks_along
from spec.check.derivatives.numeric import (
    METHODS,
    Method,
    directional_derivative,
    numeric_gradient,
)
from spec.check.derivatives.options import FAST_SIGMAS, RESOLVED_METHODS, CheckOptions
from spec.check.derivatives.report import Block, GradcheckError, GradcheckReport, Report
from spec.check.derivatives.taylor import taylor_test

__all__ = ["check_claimed_gradient", "evaluate_scalar", "gradcheck"]


def evaluate_scalar(f: Callable[[NDArray], Any], theta: NDArray, method: str) -> Any:
    """``f(theta)`` as a 0-d array, complex for the complex step; checked."""
    point = theta.astype(np.complex128) if method == "complex" else theta
    value = np.asarray(f(point))
    if value.size != 1:
        raise ValueError(f"f must return a scalar, got shape {value.shape}")
    if method == "complex" and not np.iscomplexobj(value):
        raise TypeError(
            "f returned a real value for complex input, dropping the imaginary part "
            "the complex step needs; use method='central' or 'richardson'"
        )
    if not np.isfinite(value):
        raise ValueError(f"f(theta) is not finite: {value.reshape(())[()]!r}")
    return value.reshape(())


def _fast(
    f: Callable[[NDArray], Any],
    theta: NDArray,
    g: NDArray,
    *,
    rtol: float,
    atol: float,
    eps: float,
    blocks: Sequence[Block],
    options: CheckOptions,
) -> GradcheckReport:
    method: Method = options.method  # type: ignore[assignment]
    n = options.n_directions
    rng = np.random.default_rng(options.rng)
    g64 = g.astype(np.float64).reshape(-1)
    claimed, reference, directions = [], [], []
    for b in blocks:
        for _ in range(n):
            u = np.zeros(theta.size)
            z = rng.standard_normal(b.stop - b.start)
            u[b.start : b.stop] = z / np.linalg.norm(z)
            directions.append(u)
            claimed.append(float(u @ g64))
            reference.append(
                directional_derivative(f, theta, u, method=method, eps=eps)
            )
    c, r = np.array(claimed), np.array(reference)
    scale = scale_of(g64, r)
    tol = FAST_SIGMAS * (atol + rtol * scale)

    def name(k: int) -> str:
        return f"{blocks[k // n].name} u{k % n + 1}"

    return report_items(
        c,
        r,
        tolerance=Tolerance(tol, rtol, atol, scale),
        name=name,
        groups=[(b, i * n, (i + 1) * n) for i, b in enumerate(blocks)],
        dtype=str(g.dtype),
        options=options,
        kinks=kinks_along(
            f, theta, directions.__getitem__, c, r, tol, eps, method, name
        ),
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

    The engine of :func:`gradcheck` and :func:`spec.check_network`: ``claimed``
    is already shaped like ``theta``; ``options.method`` is a numeric method.
    """
    if options.method not in METHODS:
        raise ValueError(
            f"method must be one of {list(METHODS)}, got {options.method!r}"
        )
    theta64 = theta.astype(np.float64)
    value = evaluate_scalar(f, theta64, options.method)
    f_dtype = np.real(value).dtype
    rtol, atol = options.tolerances(
        f_dtype=f_dtype, claimed_dtype=claimed.dtype, f_value=np.real(value)
    )
    eps = float(np.finfo(f_dtype).eps)
    block_list = as_blocks(blocks, theta.size)
    notes: tuple[str, ...] = ()
    if options.fast:
        report = _fast(
            lambda t: f(t.reshape(theta.shape)),
            theta64.reshape(-1),
            claimed,
            rtol=rtol,
            atol=atol,
            eps=eps,
            blocks=block_list,
            options=dataclasses.replace(options, raise_on_failure=False),
        )
        if all(k.passed for k in report.kinks):
            if not report.passed and options.raise_on_failure:
                raise GradcheckError(report)
            return report
        # A direction crossed several kinks at once, whose one-sided derivatives
        # need not bound the claimed value: every entry crosses one.
        why = (
            "kinks: a random direction crossed several kinks at once; the "
            "entries were checked one by one"
        )
        notes = (why,)
    method: Method = options.method  # type: ignore[assignment]
    reference = numeric_gradient(f, theta64, method=method, eps=eps)
    name = entry_namer(names, theta.shape)
    g, r = claimed.astype(np.float64).reshape(-1), reference.reshape(-1)

    def unit(k: int) -> NDArray:
        return np.eye(1, theta.size, k).reshape(theta.shape)

    tol = atol + rtol * scale_of(g, r)
    kinks = kinks_along(f, theta64, unit, g, r, tol, eps, method, name)
    return compare_entries(
        claimed,
        reference,
        rtol=rtol,
        atol=atol,
        names=name,
        blocks=block_list,
        options=dataclasses.replace(options, fast=False),
        kinks=kinks,
        notes=notes,
    )


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
    if method not in (*METHODS, *RESOLVED_METHODS):
        raise ValueError(
            f"method must be one of {[*METHODS, *RESOLVED_METHODS]}, got {method!r}"
        )
    options = CheckOptions(
        method, fast, n_directions, rtol, atol, rng, n_worst, raise_on_failure
    )
    if method == "taylor":
        return taylor_test(f, grad, theta, rng=rng, raise_on_failure=raise_on_failure)
    if method == "auto" or not is_numpy_like(theta):
        root = names if isinstance(names, str) else "theta"
        return check_tree_gradient(f, grad, theta, options, root=root)
    t = np.asarray(theta)
    if t.dtype.kind in "biu":
        t = t.astype(np.float64)
    if t.dtype.kind != "f":
        raise TypeError(f"theta must be a real floating array, got dtype {t.dtype}")
    if t.size == 0:
        raise ValueError("theta is empty; there is no gradient to check")
    claimed = validate_claimed(grad(t.copy()), t.shape, method)
    return check_claimed_gradient(f, claimed, t, options, names=names, blocks=blocks)
