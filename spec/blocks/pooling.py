r"""Max and average pooling with overlapping windows, proven for every size.

Windows of :math:`H_P \times W_P` entries, stride :math:`(s_h, s_w)`, no
padding; :math:`x` of shape :math:`(N, C, H, W)`, output :math:`(N, C, H', W')`
with :math:`H' = 1 + \lfloor (H - H_P) / s_h \rfloor`. Windows overlap when the
stride is smaller than the window.

Average pooling:

.. math::

    \mathrm{out}_{n c i k} = \frac{1}{H_P W_P} \sum_{a, e} x_{n c,\, s_h i + a,\,
    s_w k + e}.

Max pooling, wherever no window has a tie, is locally the selection of each
window's maximal entry: with the one-hot mask :math:`M_{n c i k a e}` of the
window's argmax (constant in a neighbourhood of such an :math:`x`),

.. math::

    \mathrm{out}_{n c i k} = \sum_{a, e} M_{n c i k a e}\, x_{n c,\, s_h i + a,\,
    s_w k + e}.

The backward a learner writes scatters each window's upstream gradient back
over its window (spread evenly, or to the argmax) and *adds* where windows
overlap:

.. math::

    dx_{n c q u} = \sum_{i, k} \sum_{a, e} g_{n c i k}\, \omega_{n c i k a e}\,
    \delta_{q,\, s_h i + a}\, \delta_{u,\, s_w k + e},

:math:`\omega = 1/(H_P W_P)` or :math:`M`. Proven equal to the derivative for
symbolic sizes, windows and strides (:func:`prove_pooling`); max pooling also
at fixed sizes against ``sympy.diff`` of ``Max`` at random tie-free rational
points (:func:`prove_max_pool_at_points`).

At a tie, max pooling has no derivative; its subdifferential (Clarke's, the
convex hull of the limiting gradients) is every split of each window's upstream
gradient over the window's tied maximal positions, with weights
:math:`\lambda \ge 0` summing to 1: :func:`in_max_pool_subdifferential` decides
membership. The oracle gives the whole gradient to the first maximal position
in row-major window order (CS231n's and ``backprop.blocks``' convention).
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from spec.blocks.evaluate import Block, Formula, Prepared
from spec.blocks.proofs import (
    BlockProof,
    array,
    as_single_sum,
    index,
    prove_symbolic,
    size,
    sum_over,
    unslack,
    vjp_of,
)
from spec.blocks.validation import validate_array, validate_number, validate_pair
from spec.caching import cached

__all__ = [
    "average_block",
    "average_prepare",
    "forward",
    "in_max_pool_subdifferential",
    "max_block",
    "max_prepare",
    "prove_max_pool_at_points",
    "prove_pooling",
    "textbook",
    "window_argmax",
]

N, C, H, W = (size(s) for s in ("N", "C", "H", "W"))
HP, WP, OH, OW = (size(s) for s in ("H_P", "W_P", "H'", "W'"))
S_H, S_W = size("s_h"), size("s_w")
x, mask, g = array("x"), array("M"), array("g")
n, c, i, k, a, e = (index(s) for s in ("n", "c", "i", "k", "a", "e"))
n1, c1, q1, u1 = (index(s) for s in ("n'", "c'", "q", "u"))
_SCALARS = (N, C, H, W, HP, WP, OH, OW, S_H, S_W)


def _weight(kind: str, nn: Any, cc: Any) -> sympy.Expr:
    if kind == "average_pool":
        return 1 / (HP * WP)
    return mask[nn, cc, i, k, a, e]


def forward(kind: str) -> Formula:
    """The definition of ``out`` for ``"max_pool"`` (locally) or ``"average_pool"``."""
    expr = sympy.Sum(
        _weight(kind, n, c) * x[n, c, S_H * i + a, S_W * k + e],
        (a, 0, HP - 1),
        (e, 0, WP - 1),
    )
    return Formula("out", (n, c, i, k), (N, C, OH, OW), expr)


def textbook(kind: str) -> Formula:
    """The scatter-and-add backward (see the module docstring)."""
    expr = sympy.Sum(
        g[n1, c1, i, k]
        * _weight(kind, n1, c1)
        * sympy.KroneckerDelta(q1, S_H * i + a)
        * sympy.KroneckerDelta(u1, S_W * k + e),
        (a, 0, HP - 1),
        (e, 0, WP - 1),
        (i, 0, OH - 1),
        (k, 0, OW - 1),
    )
    return Formula("dx", (n1, c1, q1, u1), (N, C, H, W), expr)


def _scattered(formula: Formula) -> sympy.Expr:
    # The window offsets a, e have coefficient 1 in the deltas: sum them first
    # (finite sums over a box commute).
    whole = as_single_sum(formula.expr)
    summand = whole.function
    for variable, lo, hi in whole.limits:
        if variable in (a, e):
            summand = sum_over(summand, variable, lo, hi)
    kept = [limit for limit in whole.limits if limit[0] not in (a, e)]
    return sympy.Sum(summand, *kept) if kept else summand


def prove_pooling(
    formulas: Mapping[str, Formula] | None = None,
) -> tuple[BlockProof, ...]:
    """``dx`` of both poolings for symbolic sizes, windows and strides.

    Parameters
    ----------
    formulas : mapping of str to Formula, optional
        A backward formula by kind (``"max_pool"``, ``"average_pool"``) in the
        scatter form of :func:`textbook` (the default); a wrong one is reported
        as not proven.
    """
    chosen = (
        {kind: textbook(kind) for kind in ("max_pool", "average_pool")}
        if formulas is None
        else dict(formulas)
    )
    rows = []
    for kind in chosen:

        def run(kind: str = kind) -> tuple[Any, Any]:
            formula = chosen[kind]
            derived, sizes = vjp_of(forward(kind), g, x, formula)
            return derived, _scattered(
                Formula("dx", formula.indices, formula.shape, formula.expr.subs(sizes))
            )

        claim = (
            "dx = each window's upstream gradient scattered back "
            + ("to its argmax" if kind == "max_pool" else "evenly over the window")
            + ", overlapping windows added"
            + (" (wherever no window has a tie)" if kind == "max_pool" else "")
        )
        method = (
            "sympy.diff of the definition, output sums done by doit, window "
            "offsets summed first (coefficient 1), difference simplified to 0"
        )
        if kind == "max_pool":
            method += "; the argmax mask M is locally constant away from ties"
        rows.append(prove_symbolic(kind, "dx", claim, run, method))
    return tuple(rows)


def window_argmax(window: np.ndarray) -> int:
    """The first maximal position of a flat window (row-major order)."""
    return int(np.argmax(window))


def _masks(xs: np.ndarray, hp: int, wp: int, sh: int, sw: int) -> np.ndarray:
    n_, c_, h_, w_ = xs.shape
    oh, ow = 1 + (h_ - hp) // sh, 1 + (w_ - wp) // sw
    masks = np.zeros((n_, c_, oh, ow, hp, wp), dtype=np.int64)
    for i_ in range(oh):
        for k_ in range(ow):
            window = xs[:, :, sh * i_ : sh * i_ + hp, sw * k_ : sw * k_ + wp]
            flat = window.reshape(n_, c_, -1)
            first = np.argmax(flat, axis=2)  # the first maximum, as window_argmax
            a_, e_ = np.unravel_index(first, (hp, wp))
            nn, cc = np.indices((n_, c_))
            masks[nn, cc, i_, k_, a_, e_] = 1
    return masks


def _heaviside(z: Fraction, *at_zero: Any) -> Fraction:
    # Only reached at nonzero arguments (the points have no ties).
    return Fraction(1) if z > 0 else Fraction(0)


def prove_max_pool_at_points(
    cases: tuple[tuple[int, int, int, int, int], ...] = (
        (5, 5, 3, 2, 2),
        (4, 6, 2, 1, 3),
        (3, 4, 2, 1, 1),
    ),
    *,
    points: int = 3,
    seed: int = 0,
) -> BlockProof:
    r"""Max pooling's scatter-to-argmax against ``sympy.diff`` of ``Max``.

    At each ``(H, W, window, stride_h, stride_w)`` (one image, one channel) and
    each of ``points`` random points with distinct rational entries (no ties),
    the derivative of :math:`\sum g \max(\text{window})` computed by SymPy
    (``Max``'s derivative is a Heaviside of the entry minus the others' max) is
    evaluated exactly and compared with the scatter formula at the argmax. This
    covers the step the symbolic proof takes as given: that max pooling is
    locally the selection by the argmax mask.
    """
    start = time.perf_counter()
    rng = random.Random(seed)
    residual = None
    sizes = []
    for h_, w_, p_, sh, sw in cases:
        sizes.append(f"H={h_}, W={w_}, window {p_}x{p_}, stride ({sh}, {sw})")
        xs = sympy.Matrix(h_, w_, lambda r, t: sympy.Symbol(f"x_{r}_{t}", real=True))
        oh, ow = 1 + (h_ - p_) // sh, 1 + (w_ - p_) // sw
        gs = [
            [Fraction(rng.randint(-99, 99), rng.randint(1, 9)) for _ in range(ow)]
            for _ in range(oh)
        ]
        upstream = sympy.Matrix(
            oh, ow, lambda r, t: sympy.Symbol(f"g_{r}_{t}", real=True)
        )
        total = sum(
            upstream[i_, k_]
            * sympy.Max(*xs[sh * i_ : sh * i_ + p_, sw * k_ : sw * k_ + p_])
            for i_ in range(oh)
            for k_ in range(ow)
        )
        direct = [sympy.diff(total, s) for s in xs]
        # Exact evaluation on Fractions: Max is max, the Heaviside step exact,
        # every number an argument (lambdify would print a rational as a float).
        evaluate = sympy.lambdify(
            [*xs, *upstream], direct, modules=[{"Heaviside": _heaviside, "Max": max}]
        )
        for _ in range(points):
            values = rng.sample(range(-1000, 1000), h_ * w_)
            numeric = np.array(values, dtype=np.float64).reshape(1, 1, h_, w_)
            masks = _masks(numeric, p_, p_, sh, sw)
            scatter = [[Fraction(0)] * w_ for _ in range(h_)]
            for i_ in range(oh):
                for k_ in range(ow):
                    a_, e_ = np.argwhere(masks[0, 0, i_, k_])[0]
                    scatter[sh * i_ + a_][sw * k_ + e_] += gs[i_][k_]
            flat_g = [gs[i_][k_] for i_ in range(oh) for k_ in range(ow)]
            got = list(evaluate(*(Fraction(v, 7) for v in values), *flat_g))
            want = [scatter[r][t] for r in range(h_) for t in range(w_)]
            if got != want:
                residual = f"{sizes[-1]}: direct {got} != scatter {want}"
                break
        if residual:
            break
    return BlockProof(
        kind="max_pool",
        gradient="dx (Max at tie-free points)",
        claim=(
            "sympy.diff of sum g Max(window) equals the scatter to the first "
            "argmax, overlapping windows added, at random tie-free points"
        ),
        proven=residual is None,
        scope="fixed sizes",
        sizes=tuple(sizes),
        method=(
            f"exact rational evaluation at {points} random points per size with "
            "distinct entries (the derivative is constant on each ordering region, "
            "so the points sample the regions, they do not cover all of them)"
        ),
        seconds=time.perf_counter() - start,
        residual=residual,
    )


@cached(maxsize=8)
def _block(kind: str) -> Block:
    formula = textbook(kind)
    derived, sizes = vjp_of(forward(kind), g, x, formula)
    arrays = {"x": x, "dout": g}
    if kind == "max_pool":
        arrays["mask"] = mask
    return Block(
        kind=kind,
        arrays=arrays,
        scalars=_SCALARS,
        forward=forward(kind),
        backward=(
            Formula("dx", formula.indices, formula.shape, unslack(derived, sizes)),
        ),
    )


def max_block() -> Block:
    """The oracle's max-pooling formulas (the argmax mask an input)."""
    return _block("max_pool")


def average_block() -> Block:
    """The oracle's average-pooling formulas."""
    return _block("average_pool")


def _prepare(
    kind: str, inputs: dict[str, Any], dout: Any, hyper: dict[str, Any]
) -> Prepared:
    xs = validate_array(inputs, "x", 4, "shape (N, C, H, W)")
    hp, wp = validate_pair("size", hyper.get("size", (2, 2)), 1)
    sh, sw = validate_pair("stride", hyper.get("stride", 2), 1)
    n_, c_, h_, w_ = xs.shape
    if hp > h_ or wp > w_:
        raise ValueError(f"size {(hp, wp)} must fit the input's {h_}x{w_}")
    oh, ow = 1 + (h_ - hp) // sh, 1 + (w_ - wp) // sw
    arrays = {"x": xs}
    if kind == "max_pool":
        arrays["mask"] = _masks(xs, hp, wp, sh, sw)
    if dout is not None:
        upstream = validate_array({"dout": dout}, "dout", 4, "shape (N, C, H', W')")
        if upstream.shape != (n_, c_, oh, ow):
            raise ValueError(
                f"dout must have shape {(n_, c_, oh, ow)} (the output's), got "
                f"{upstream.shape}"
            )
        arrays["dout"] = upstream
    values = (n_, c_, h_, w_, hp, wp, oh, ow, sh, sw)
    return Prepared(
        arrays=arrays,
        numbers=dict(zip(_SCALARS, values, strict=True)),
        shapes={"dx": xs.shape, "out": (n_, c_, oh, ow)},
    )


def max_prepare(inputs: dict[str, Any], dout: Any, hyper: dict[str, Any]) -> Prepared:
    """Validate the input, the window and the stride; compute the argmax masks."""
    return _prepare("max_pool", inputs, dout, hyper)


def average_prepare(
    inputs: dict[str, Any], dout: Any, hyper: dict[str, Any]
) -> Prepared:
    """Validate the input, the window and the stride."""
    return _prepare("average_pool", inputs, dout, hyper)


# -- the subdifferential at ties --------------------------------------------------


def _max_flow(
    capacity: dict[int, dict[int, Fraction]], source: int, sink: int
) -> Fraction:
    """Edmonds–Karp on exact rationals (terminates: capacities are rational)."""
    flow = Fraction(0)
    while True:
        parent = {source: source}
        queue = deque([source])
        while queue and sink not in parent:
            node = queue.popleft()
            for nxt, cap in capacity[node].items():
                if cap > 0 and nxt not in parent:
                    parent[nxt] = node
                    queue.append(nxt)
        if sink not in parent:
            return flow
        path, node = [], sink
        while node != source:
            path.append((parent[node], node))
            node = parent[node]
        push = min(capacity[u][v] for u, v in path)
        for u, v in path:
            capacity[u][v] -= push
            capacity[v][u] = capacity[v].get(u, Fraction(0)) + push
        flow += push


def in_max_pool_subdifferential(
    x: Any,
    dout: Any,
    dx: Any,
    *,
    size: Any = (2, 2),
    stride: Any = 2,
    rtol: float = 1e-10,
    atol: float = 0.0,
) -> bool:
    r"""Whether ``dx`` is a max-pooling VJP of ``dout`` at ``x``, ties included.

    The set is every :math:`dx = \sum_w g_w \lambda_w`, one :math:`\lambda_w` per
    window :math:`w`: weights :math:`\ge 0` on the window's maximal positions
    (all of them where entries tie), summing to 1, zero elsewhere; a single
    point where no window has a tie. Membership is decided exactly, with each
    entry allowed the tolerance
    :math:`|dx_q - \sum_w g_w \lambda_{w q}| \le \mathrm{atol} + \mathrm{rtol}
    \cdot s_q`, :math:`s_q = \sum_{w \ni q} |g_w|` over the windows that cover
    :math:`q`: a floating-point implementation adds at most that many terms
    into :math:`dx_q`, so its rounding error is at most about (their number)
    :math:`\times\, \epsilon \times s_q`; ``rtol`` a few hundred machine epsilons
    of the dtype compared covers it, and any wrong split, or a gradient that
    leaves a window's maximal positions, is off by a multiple of some
    :math:`|g_w|`.

    Decided as a feasibility flow on the exact rationals of the float inputs
    (``fractions.Fraction``): each window with :math:`g_w > 0` sends
    :math:`g_w` to its maximal positions, each with :math:`g_w < 0` takes
    :math:`|g_w|` from them, and each position's net intake must lie in
    :math:`[dx_q - \tau_q, dx_q + \tau_q]`; a circulation with those bounds
    exists iff the maximum flow of the standard reduction saturates.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
    dout : array_like, shape (N, C, H', W')
    dx : array_like, shape (N, C, H, W)
        The gradient to judge.
    size : int or pair of int, default (2, 2)
        The window :math:`(H_P, W_P)`.
    stride : int or pair of int, default 2
    rtol, atol : float
        The tolerance above (``rtol`` >= 0, ``atol`` >= 0).

    Returns
    -------
    bool

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[[1.0, 1.0], [0.0, 1.0]]]])  # a three-way tie
    >>> g = np.array([[[[6.0]]]])
    >>> in_max_pool_subdifferential(x, g, np.array([[[[2.0, 3.0], [0.0, 1.0]]]]))
    True
    >>> in_max_pool_subdifferential(x, g, np.array([[[[6.0, 6.0], [0.0, 6.0]]]]))
    False
    """
    xs = validate_array({"x": x}, "x", 4, "shape (N, C, H, W)")
    hp, wp = validate_pair("size", size, 1)
    sh, sw = validate_pair("stride", stride, 1)
    n_, c_, h_, w_ = xs.shape
    if hp > h_ or wp > w_:
        raise ValueError(f"size {(hp, wp)} must fit the input's {h_}x{w_}")
    oh, ow = 1 + (h_ - hp) // sh, 1 + (w_ - wp) // sw
    gs = validate_array({"dout": dout}, "dout", 4, "shape (N, C, H', W')")
    if gs.shape != (n_, c_, oh, ow):
        raise ValueError(f"dout must have shape {(n_, c_, oh, ow)}, got {gs.shape}")
    dxs = validate_array({"dx": dx}, "dx", 4, "shape (N, C, H, W)")
    if dxs.shape != xs.shape:
        raise ValueError(f"dx must have x's shape {xs.shape}, got {dxs.shape}")
    rtol = validate_number("rtol", rtol, low=0.0, open_low=False)
    atol = validate_number("atol", atol, low=0.0, open_low=False)
    return all(
        _feasible(xs[nn, cc], gs[nn, cc], dxs[nn, cc], hp, wp, sh, sw, rtol, atol)
        for nn in range(n_)
        for cc in range(c_)
    )


def _feasible(
    xs: np.ndarray,
    gs: np.ndarray,
    dxs: np.ndarray,
    hp: int,
    wp: int,
    sh: int,
    sw: int,
    rtol: float,
    atol: float,
) -> bool:
    h_, w_ = xs.shape
    oh, ow = gs.shape
    positions = h_ * w_
    scale = [Fraction(0)] * positions
    windows: list[tuple[Fraction, list[int]]] = []
    for i_ in range(oh):
        for k_ in range(ow):
            window = xs[sh * i_ : sh * i_ + hp, sw * k_ : sw * k_ + wp]
            top = window.max()
            tied = [
                (sh * i_ + r) * w_ + (sw * k_ + t)
                for r, t in zip(*np.nonzero(window == top), strict=True)
            ]
            weight = Fraction(float(gs[i_, k_]))
            for r in range(hp):
                for t in range(wp):
                    scale[(sh * i_ + r) * w_ + sw * k_ + t] += abs(weight)
            if weight != 0:
                windows.append((weight, tied))
    # Nodes: 0 hub Z, 1 S*, 2 T*, 3.. positions, then windows.
    hub, source, sink = 0, 1, 2
    node_of_position = [3 + q for q in range(positions)]
    excess: dict[int, Fraction] = {}
    capacity: dict[int, dict[int, Fraction]] = {
        v: {} for v in range(3 + positions + len(windows))
    }
    infinite = sum((abs(wt) for wt, _ in windows), Fraction(0)) + 1

    def edge(u: int, v: int, low: Fraction, high: Fraction) -> None:
        capacity[u][v] = capacity[u].get(v, Fraction(0)) + (high - low)
        capacity[v].setdefault(u, Fraction(0))
        excess[v] = excess.get(v, Fraction(0)) + low
        excess[u] = excess.get(u, Fraction(0)) - low

    for number, (weight, tied) in enumerate(windows):
        node = 3 + positions + number
        if weight > 0:
            edge(hub, node, weight, weight)
            for q in tied:
                edge(node, node_of_position[q], Fraction(0), infinite)
        else:
            edge(node, hub, -weight, -weight)
            for q in tied:
                edge(node_of_position[q], node, Fraction(0), infinite)
    for q in range(positions):
        target = Fraction(float(dxs.flat[q]))
        slack = Fraction(atol) + Fraction(rtol) * scale[q]
        low, high = target - slack, target + slack
        # Net intake of q in [low, high]: out to the hub, or in from it.
        edge(node_of_position[q], hub, max(low, Fraction(0)), max(high, Fraction(0)))
        edge(hub, node_of_position[q], max(-high, Fraction(0)), max(-low, Fraction(0)))
    demand = Fraction(0)
    for v, amount in excess.items():
        capacity.setdefault(v, {})
        if amount > 0:
            capacity[source][v] = capacity[source].get(v, Fraction(0)) + amount
            capacity[v].setdefault(source, Fraction(0))
            demand += amount
        elif amount < 0:
            capacity[v][sink] = capacity[v].get(sink, Fraction(0)) - amount
            capacity[sink].setdefault(v, Fraction(0))
    return _max_flow(capacity, source, sink) == demand
