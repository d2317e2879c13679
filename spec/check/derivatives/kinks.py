r"""Kinks: where a difference quotient straddles a point the function bends at.

A central difference of ReLU at :math:`z = 0` gives :math:`\tfrac12`, where the
derivative is 0 on the left and 1 on the right; held to that value a correct
derivative fails. PyTorch, Caffe and Lux.jl dropped ReLU from their
finite-difference tests for this reason. Here an item that fails under central
differences (or Richardson's extrapolation of them) is looked at once more, along
the same line :math:`s \mapsto f(x + s u)`, by its one-sided difference quotients

.. math:: l(s) = \frac{f(x) - f(x - s u)}{s}, \qquad
          r(s) = \frac{f(x + s u) - f(x)}{s}

at the step :math:`h` of the check and at :math:`h/4`, each of first order: the
interval is widened by the item's tolerance plus a bound of their truncation
error at :math:`h/4` (:math:`|l(h) - l(h/4)|` or :math:`r`'s for a kink at
:math:`x`; the gap at :math:`h/4` for one between :math:`h/4` and :math:`h`). Where ``f`` is smooth, the
gap :math:`|r(s) - l(s)| \approx s\,|f''|` shrinks in proportion to :math:`s`
(by 4 from :math:`h` to :math:`h/4`). A kink at :math:`x` leaves it as it is
(the jump of the derivative), and a kink between :math:`h/4` and :math:`h` away
makes it collapse by far more than 4. In either case the item is reported as
*at a kink* and judged by the one-sided derivatives at :math:`h/4`: it passes when
the claimed value lies within :math:`[l, r]` (widened by the item's tolerance),
and fails, named as at a kink, when it does not. Nothing passes silently: every
such item is listed in the report. A gap that shrinks like :math:`s` is a smooth
function and the item's failure stands.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.derivatives.report import Kink

__all__ = ["KINK_METHODS", "find_kinks", "kinks_along", "one_sided"]

#: The methods whose differences can straddle a kink (the complex step has no step
#: across which to straddle one; it needs an analytic function anyway).
KINK_METHODS = ("central", "richardson")

#: A gap that keeps at least this fraction from h to h/4 is a kink at the point.
_KEEPS = 0.5
#: A gap that shrinks by more than this factor from h to h/4 was a kink in between.
_COLLAPSES = 8.0

Line = Callable[[float], NDArray]


def one_sided(phi: Line, f0: NDArray, s: float) -> tuple[NDArray, NDArray]:
    """``(l(s), r(s))``, the left and right difference quotients of ``phi`` at 0."""
    return (f0 - phi(-s)) / s, (phi(s) - f0) / s


def find_kinks(
    phi: Line,
    h: float,
    claimed: NDArray,
    items: Sequence[int],
    tol: float,
    name: Callable[[int], str],
) -> dict[int, Kink]:
    """The items of ``phi``'s output that sit at a kink within the step ``h``.

    Parameters
    ----------
    phi : callable
        ``phi(s) -> ndarray (m,)``: the function along the line of the check,
        ``f(x + s u)``, real (float64) values.
    h : float
        The step of the check's difference quotient.
    claimed : ndarray, shape (m,)
        The claimed derivative along ``u`` of each output.
    items : sequence of int
        The outputs (indices into ``claimed``) that failed the check.
    tol : float
        The tolerance of an item.
    name : callable
        ``name(i)``: the report's name of output ``i``.

    Returns
    -------
    dict of int to Kink
        The items found at a kink, with their one-sided derivatives at ``h/4``.
    """
    if len(items) == 0:
        return {}
    f0 = np.asarray(phi(0.0), dtype=np.float64)
    l1, r1 = one_sided(phi, f0, h)
    l4, r4 = one_sided(phi, f0, h / 4)
    found = {}
    for i in items:
        gap1, gap4 = abs(r1[i] - l1[i]), abs(r4[i] - l4[i])
        at_point = gap4 >= _KEEPS * gap1
        if gap1 > tol and (at_point or gap1 > _COLLAPSES * gap4):
            # A one-sided quotient errs by s f''/2 (first order). At the point,
            # l(h) - l(h/4) = 3/8 h f'' is three times the error of l(h/4); a kink
            # between h/4 and h leaves f smooth within h/4, where the gap itself,
            # h/4 |f''|, is twice it.
            margin = max(abs(l1[i] - l4[i]), abs(r1[i] - r4[i])) if at_point else gap4
            found[i] = Kink(
                name(i), float(claimed[i]), float(l4[i]), float(r4[i]), tol + margin
            )
    return found


def kinks_along(
    f: Callable[[NDArray], Any],
    theta: NDArray,
    direction: Callable[[int], NDArray],
    claimed: NDArray,
    reference: NDArray,
    tol: float,
    eps: float,
    method: str,
    name: Callable[[int], str],
) -> dict[int, Kink]:
    """The failed items of a scalar ``f`` at a kink: item ``k`` is the derivative
    along ``direction(k)`` (shaped like ``theta``) with the step of ``method``."""
    if method not in KINK_METHODS:
        return {}
    found = {}
    power = 1 / 3 if method == "central" else 1 / 5
    for k in np.flatnonzero(~(np.abs(claimed - reference) <= tol)):
        u = direction(int(k))
        support = np.abs(theta.reshape(-1)[u.reshape(-1) != 0])
        h = eps**power * max(1.0, float(support.max(initial=0)))

        def line(s: float, u: NDArray = u) -> NDArray:
            return np.atleast_1d(np.real(f(theta + s * u))).astype(np.float64)

        label = functools.partial(_constant, name(int(k)))
        kink = find_kinks(line, h, claimed[k : k + 1], [0], tol, label)
        if kink:
            found[int(k)] = kink[0]
    return found


def _constant(label: str, _: int) -> str:
    return label
