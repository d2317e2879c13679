"""Assertions for your own test suite, in the spirit of :mod:`numpy.testing`.

Each is a one-line test of a derivative you wrote: it runs the check and returns
nothing when the derivative is right, and raises :class:`spec.GradcheckError` (an
:class:`AssertionError`, so pytest shows the report as the failure) when it is
not. Keywords go to the check (``method``, ``fast``, ``rtol``, ``atol``,
``rng``, ...); the reference is chosen automatically by default (the complex step
where ``f`` allows it, else central differences).

>>> import numpy as np
>>> from spec.testing import assert_gradient
>>> assert_gradient(lambda x: np.sum(x**3), lambda x: 3 * x**2, np.arange(3.0))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# The public API only: this module is a thin layer over it for users' tests.
from spec import check_hvp, check_jacobian, check_jvp, check_vjp, gradcheck

__all__ = [
    "assert_gradient",
    "assert_hvp",
    "assert_jacobian",
    "assert_jvp",
    "assert_vjp",
]


def _options(options: dict[str, Any]) -> dict[str, Any]:
    if "raise_on_failure" in options:
        raise TypeError("the assert_* functions always raise on failure")
    return {"method": "auto", **options}


def assert_gradient(
    f: Callable[[Any], Any], grad: Callable[[Any], Any], x: Any, **options: Any
) -> None:
    """Assert that ``grad`` is the gradient of the scalar ``f`` at ``x``.

    ``x`` is an array of any library or a tree of them; see :func:`spec.gradcheck`.

    Raises
    ------
    GradcheckError
        With the report: the wrong entries by path, the criterion, the tolerance.
    """
    gradcheck(f, grad, x, **_options(options))


def assert_jacobian(
    f: Callable[[Any], Any], jac: Callable[[Any], Any], x: Any, **options: Any
) -> None:
    """Assert that ``jac`` is the Jacobian of ``f`` at ``x`` (:func:`spec.check_jacobian`)."""
    check_jacobian(f, jac, x, **_options(options))


def assert_vjp(
    f: Callable[[Any], Any], vjp: Callable[[Any, Any], Any], x: Any, **options: Any
) -> None:
    """Assert that ``vjp(x, v)`` is :math:`J^T v` of ``f`` at ``x`` (:func:`spec.check_vjp`)."""
    check_vjp(f, vjp, x, **_options(options))


def assert_jvp(
    f: Callable[[Any], Any], jvp: Callable[[Any, Any], Any], x: Any, **options: Any
) -> None:
    """Assert that ``jvp(x, u)`` is :math:`J u` of ``f`` at ``x`` (:func:`spec.check_jvp`)."""
    check_jvp(f, jvp, x, **_options(options))


def assert_hvp(
    f: Callable[[Any], Any], hvp: Callable[[Any, Any], Any], x: Any, **options: Any
) -> None:
    """Assert that ``hvp(x, v)`` is :math:`H v` of the scalar ``f`` at ``x``
    (:func:`spec.check_hvp`; pass ``grad=`` to differentiate your gradient)."""
    check_hvp(f, hvp, x, **_options(options))
