r"""Batch, layer, spatial batch and group normalisation, proven at fixed sizes.

Each normalises the entries of :math:`x` over a set :math:`S` of
:math:`|S| = m` entries (the batch for each feature; the features for each
example; batch and pixels for each channel; a group of channels and its pixels
for each example), with the biased variance, then scales and shifts per channel:

.. math::

    \mu = \frac1m \sum_{S} x, \quad
    \sigma^2 = \frac1m \sum_{S} (x - \mu)^2, \quad
    \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \varepsilon}}, \quad
    \mathrm{out} = \gamma \hat x + \beta.

The backward a learner writes (the compact form), with
:math:`\hat g = g \gamma` the gradient with respect to :math:`\hat x`:

.. math::

    dx = \frac{1}{m \sqrt{\sigma^2 + \varepsilon}} \Bigl(m \hat g - \sum_S \hat g
    - \hat x \sum_S \hat g \hat x\Bigr), \quad
    d\gamma = \sum \hat x\, g, \quad d\beta = \sum g,

the last two summed over every entry that uses that :math:`\gamma`. Proven equal
to ``sympy.diff`` of the definition at several fixed sizes, exactly modulo
:math:`2^{61} - 1` with :math:`\sqrt{\cdot}` uninterpreted (its derivative
declared, :class:`spec.blocks.evaluate.square_root`) and :math:`\varepsilon` a symbol
(:func:`prove_normalisation`).

Shapes: batch norm and layer norm take :math:`x` (N, D), :math:`\gamma, \beta`
(D,); spatial batch norm :math:`x` (N, C, H, W), :math:`\gamma, \beta` (C,);
group norm :math:`x` (N, C, H, W) read as (N, G, C/G, H, W), :math:`\gamma,
\beta` (1, C, 1, 1) as CS231n.

Batch norm's running statistics (CS231n's convention, ``momentum = 0.9`` on the
old value): :func:`running_statistics` gives
:math:`r_\mu \leftarrow \rho\, r_\mu + (1 - \rho) \mu`,
:math:`r_{\sigma^2} \leftarrow \rho\, r_{\sigma^2} + (1 - \rho) \sigma^2` with
the *biased* batch variance (PyTorch's ``momentum = 0.1`` weighs the new value
and it keeps the unbiased variance). In test mode the statistics are the running
ones: :math:`\mathrm{out} = \gamma (x - r_\mu) / \sqrt{r_{\sigma^2} +
\varepsilon} + \beta`, an affine map, :math:`dx = g \gamma /
\sqrt{r_{\sigma^2} + \varepsilon}`, proven for every size (:func:`prove_test_mode`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from spec.blocks.evaluate import Block, Formula, Prepared, square_root
from spec.blocks.fixed import prove_fixed, vjp_case
from spec.blocks.proofs import BlockProof, array, index, prove_symbolic, size, vjp_of
from spec.blocks.validation import validate_array, validate_number
from spec.caching import cached

__all__ = [
    "EPS",
    "KINDS",
    "batchnorm_block",
    "batchnorm_prepare",
    "forward",
    "groupnorm_block",
    "groupnorm_prepare",
    "layernorm_block",
    "layernorm_prepare",
    "prove_normalisation",
    "prove_test_mode",
    "running_statistics",
    "spatial_batchnorm_block",
    "spatial_batchnorm_prepare",
    "test_mode_block",
    "textbook",
]

#: :math:`\varepsilon`, a positive symbol: the proofs hold for every value.
EPS = sympy.Symbol("epsilon", positive=True)
x, gamma, beta, g = array("x"), array("gamma"), array("beta"), array("g")
rmean, rvar = array("r_mu"), array("r_var")

#: The normalisations, as :func:`spec.blocks.layer_vjp` names them.
KINDS = ("batchnorm", "layernorm", "spatial_batchnorm", "groupnorm")


@dataclass(frozen=True)
class _Layout:
    """Axes of x, which of them index the statistics, which gamma."""

    axes: tuple[str, ...]
    stats: tuple[str, ...]
    channel: tuple[str, ...]

    def symbols(self, suffix: str) -> dict[str, sympy.Symbol]:
        return {ax: index(ax + suffix) for ax in self.axes}

    def sizes(self) -> dict[str, sympy.Symbol]:
        return {ax: size(ax.upper()) for ax in self.axes}


_LAYOUTS = {
    "batchnorm": _Layout(("n", "d"), ("d",), ("d",)),
    "layernorm": _Layout(("n", "d"), ("n",), ("d",)),
    "spatial_batchnorm": _Layout(("n", "c", "h", "w"), ("c",), ("c",)),
    "groupnorm": _Layout(("n", "g", "j", "h", "w"), ("n", "g"), ("g", "j")),
}


def _sum_over_set(
    layout: _Layout, at: dict[str, Any], summand: Any, bound: str
) -> sympy.Expr:
    """:math:`\\sum_S` of ``summand(position)`` for the statistics at ``at``."""
    free = layout.symbols(bound)
    sizes = layout.sizes()
    position = {ax: (at[ax] if ax in layout.stats else free[ax]) for ax in layout.axes}
    limits = [
        (free[ax], 0, sizes[ax] - 1) for ax in layout.axes if ax not in layout.stats
    ]
    return sympy.Sum(summand(position), *limits)


def _count(layout: _Layout) -> sympy.Expr:
    sizes = layout.sizes()
    return sympy.Mul(*(sizes[ax] for ax in layout.axes if ax not in layout.stats))


def _x(layout: _Layout, position: dict[str, Any]) -> sympy.Expr:
    return x[tuple(position[ax] for ax in layout.axes)]


def _statistics(layout: _Layout, at: dict[str, Any]) -> tuple[sympy.Expr, sympy.Expr]:
    m = _count(layout)
    mean = _sum_over_set(layout, at, lambda p: _x(layout, p), "_1") / m
    var = _sum_over_set(layout, at, lambda p: (_x(layout, p) - mean) ** 2, "_2") / m
    return mean, square_root(var + EPS)


def _xhat(layout: _Layout, at: dict[str, Any]) -> sympy.Expr:
    mean, sigma = _statistics(layout, at)
    return (_x(layout, at) - mean) / sigma


def _gamma(layout: _Layout, base: sympy.IndexedBase, at: dict[str, Any]) -> sympy.Expr:
    return base[tuple(at[ax] for ax in layout.channel)]


def forward(kind: str) -> Formula:
    """The definition of ``out`` for one of :data:`KINDS`."""
    layout = _LAYOUTS[kind]
    at = layout.symbols("")
    sizes = layout.sizes()
    expr = _gamma(layout, gamma, at) * _xhat(layout, at) + _gamma(layout, beta, at)
    return Formula(
        "out",
        tuple(at[ax] for ax in layout.axes),
        tuple(sizes[ax] for ax in layout.axes),
        expr,
    )


def textbook(kind: str) -> dict[str, Formula]:
    """The compact backward of the module docstring: ``dx``, ``dgamma``, ``dbeta``."""
    layout = _LAYOUTS[kind]
    at = layout.symbols("'")
    sizes = layout.sizes()
    m = _count(layout)
    _, sigma = _statistics(layout, at)

    def ghat(p: dict[str, Any]) -> sympy.Expr:
        return g[tuple(p[ax] for ax in layout.axes)] * _gamma(layout, gamma, p)

    dx = (
        m * ghat(at)
        - _sum_over_set(layout, at, ghat, "_3")
        - _xhat(layout, at)
        * _sum_over_set(layout, at, lambda p: ghat(p) * _xhat(layout, p), "_4")
    ) / (m * sigma)
    # dgamma, dbeta: over every axis that is not a channel axis.
    channel = {ax: at[ax] for ax in layout.channel}
    free = layout.symbols("_5")
    position = {ax: channel.get(ax, free[ax]) for ax in layout.axes}
    limits = [
        (free[ax], 0, sizes[ax] - 1) for ax in layout.axes if ax not in layout.channel
    ]
    gpos = g[tuple(position[ax] for ax in layout.axes)]
    dgamma = sympy.Sum(gpos * _xhat(layout, position), *limits)
    dbeta = sympy.Sum(gpos, *limits)
    indices = tuple(at[ax] for ax in layout.axes)
    channel_indices = tuple(at[ax] for ax in layout.channel)
    channel_shape = tuple(sizes[ax] for ax in layout.channel)
    return {
        "dx": Formula("dx", indices, tuple(sizes[ax] for ax in layout.axes), dx),
        "dgamma": Formula("dgamma", channel_indices, channel_shape, dgamma),
        "dbeta": Formula("dbeta", channel_indices, channel_shape, dbeta),
    }


#: The fixed sizes of each proof, by axis (small: every entry is differentiated).
PROOF_SIZES: dict[str, tuple[dict[str, int], ...]] = {
    "batchnorm": ({"n": 1, "d": 2}, {"n": 2, "d": 3}, {"n": 4, "d": 2}),
    "layernorm": ({"n": 2, "d": 1}, {"n": 3, "d": 2}, {"n": 2, "d": 4}),
    "spatial_batchnorm": (
        {"n": 2, "c": 2, "h": 1, "w": 2},
        {"n": 1, "c": 3, "h": 2, "w": 2},
    ),
    "groupnorm": (
        {"n": 1, "g": 2, "j": 2, "h": 1, "w": 2},
        {"n": 2, "g": 1, "j": 3, "h": 2, "w": 1},
    ),
}


def prove_normalisation(
    kind: str, formulas: Mapping[str, Formula] | None = None, *, seed: int = 0
) -> tuple[BlockProof, ...]:
    """``dx``, ``dgamma``, ``dbeta`` of ``kind`` at the sizes of ``PROOF_SIZES``.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    formulas : mapping of str to Formula, optional
        Backward formulas by name (``"dx"``, ``"dgamma"``, ``"dbeta"``); those
        of :func:`textbook` by default. A wrong one is reported as not proven.
    seed : int
        Seed of the random points.

    Returns
    -------
    tuple of BlockProof
        A row per formula; by default, for batch norm and spatial batch norm,
        also the test-mode rows of :func:`prove_test_mode`.
    """
    layout = _LAYOUTS[kind]
    formulas_given = formulas
    formulas = textbook(kind) if formulas is None else dict(formulas)
    out = forward(kind)
    rows = []
    wrt = {"dx": x, "dgamma": gamma, "dbeta": beta}
    for name, formula in formulas.items():
        cases = []
        for numbers in PROOF_SIZES[kind]:
            sizes = {layout.sizes()[ax]: value for ax, value in numbers.items()}
            text = ", ".join(f"{ax.upper()}={v}" for ax, v in numbers.items())
            cases.append((text, vjp_case(out, g, [(wrt[name], formula)], sizes)))
        rows.append(
            prove_fixed(
                kind,
                name,
                {
                    "dx": "dx = (m ghat - sum ghat - xhat sum ghat xhat) / (m sigma), ghat = g gamma",
                    "dgamma": "dgamma = sum of g xhat per channel",
                    "dbeta": "dbeta = sum of g per channel",
                }.get(name, name),
                cases,
                "sympy.diff of the definition at each size; both sides evaluated "
                "exactly modulo 2^61 - 1 at 2 random points, sqrt uninterpreted with "
                "sqrt' = 1/(2 sqrt), epsilon symbolic (Schwartz-Zippel)",
                seed=seed,
            )
        )
    if formulas_given is None and kind in ("batchnorm", "spatial_batchnorm"):
        rows.extend(prove_test_mode(kind))
    return tuple(rows)


def prove_test_mode(kind: str) -> tuple[BlockProof, ...]:
    r"""Batch norm's test-mode gradients (running statistics), for every size.

    In test mode the layer is affine in :math:`x`, :math:`\gamma` and
    :math:`\beta`, so SymPy's derivative of the sum-free definition reduces
    for symbolic sizes.
    """
    out, backward = _test_mode(kind)
    rows = []
    wrt = {"dx": x, "dgamma": gamma, "dbeta": beta}
    for formula in backward:

        def run(formula: Formula = formula) -> tuple[Any, Any]:
            derived, sizes = vjp_of(out, g, wrt[formula.name], formula)
            return derived, formula.expr.subs(sizes)

        rows.append(
            prove_symbolic(
                kind,
                f"{formula.name} (test mode)",
                f"{formula.name} with the running statistics in place of the batch's",
                run,
                "sympy.diff of the definition, output sums done by doit, "
                "difference simplified to 0",
            )
        )
    return tuple(rows)


# -- the oracle -------------------------------------------------------------------


def _test_mode(kind: str) -> tuple[Formula, tuple[Formula, ...]]:
    layout = _LAYOUTS[kind]
    formulas = textbook(kind)
    at = layout.symbols("")
    sizes = layout.sizes()
    stat = tuple(at[ax] for ax in layout.stats)
    sigma = square_root(rvar[stat] + EPS)
    out = _gamma(layout, gamma, at) * (_x(layout, at) - rmean[stat]) / sigma + _gamma(
        layout, beta, at
    )
    indices = tuple(at[ax] for ax in layout.axes)
    shape = tuple(sizes[ax] for ax in layout.axes)
    free = {ax: formulas["dx"].indices[k] for k, ax in enumerate(layout.axes)}
    fstat = tuple(free[ax] for ax in layout.stats)
    dx = (
        g[formulas["dx"].indices]
        * _gamma(layout, gamma, free)
        / square_root(rvar[fstat] + EPS)
    )
    bound = layout.symbols("_6")
    channel = {ax: formulas["dgamma"].indices[k] for k, ax in enumerate(layout.channel)}
    position = {ax: channel.get(ax, bound[ax]) for ax in layout.axes}
    pstat = tuple(position[ax] for ax in layout.stats)
    limits = [
        (bound[ax], 0, sizes[ax] - 1) for ax in layout.axes if ax not in layout.channel
    ]
    xhat = (_x(layout, position) - rmean[pstat]) / square_root(rvar[pstat] + EPS)
    dgamma = sympy.Sum(g[tuple(position[ax] for ax in layout.axes)] * xhat, *limits)
    backward = (
        Formula("dx", formulas["dx"].indices, formulas["dx"].shape, dx),
        Formula("dgamma", formulas["dgamma"].indices, formulas["dgamma"].shape, dgamma),
        formulas["dbeta"],
    )
    return Formula("out", indices, shape, out), backward


@cached(maxsize=8)
def _block(kind: str) -> Block:
    mode = "test" if kind.endswith(":test") else "train"
    base = kind.split(":")[0]
    layout = _LAYOUTS[base]
    arrays = {"x": x, "gamma": gamma, "beta": beta, "dout": g}
    if mode == "test":
        out, backward = _test_mode(base)
        arrays.update(running_mean=rmean, running_var=rvar)
    else:
        out, backward = forward(base), tuple(textbook(base).values())
    sizes = layout.sizes()
    return Block(
        kind=kind,
        arrays=arrays,
        scalars=(*(sizes[ax] for ax in layout.axes), EPS),
        forward=out,
        backward=backward,
    )


def batchnorm_block() -> Block:
    """The oracle's batch-norm formulas (train mode)."""
    return _block("batchnorm")


def layernorm_block() -> Block:
    """The oracle's layer-norm formulas."""
    return _block("layernorm")


def spatial_batchnorm_block() -> Block:
    """The oracle's spatial batch-norm formulas (train mode)."""
    return _block("spatial_batchnorm")


def groupnorm_block() -> Block:
    """The oracle's group-norm formulas."""
    return _block("groupnorm")


def test_mode_block(kind: str) -> Block:
    """The test-mode formulas of ``"batchnorm"`` or ``"spatial_batchnorm"``."""
    return _block(f"{kind}:test")


def running_statistics(
    x: Any, running_mean: Any, running_var: Any, *, momentum: float = 0.9, axes: Any = 0
) -> tuple[np.ndarray, np.ndarray]:
    r"""Batch norm's running statistics after one training step (CS231n convention).

    Parameters
    ----------
    x : array_like
        The batch, (N, D) (``axes=0``) or (N, C, H, W) (``axes=(0, 2, 3)``).
    running_mean, running_var : array_like
        The statistics before the step, one per feature or channel.
    momentum : float, default 0.9
        :math:`\rho`, the weight of the *old* value.
    axes : int or tuple of int
        The axes the batch statistics are taken over.

    Returns
    -------
    (ndarray, ndarray)
        :math:`\rho r_\mu + (1 - \rho)\mu` and :math:`\rho r_{\sigma^2} + (1 -
        \rho)\sigma^2`, :math:`\sigma^2` the biased batch variance, in float64
        (each a sum of two products: no cancellation worth more digits).
    """
    xs = np.asarray(x, dtype=np.float64)
    rho = validate_number("momentum", momentum, low=0.0, high=1.0, open_low=False)
    mean = xs.mean(axis=axes)
    var = ((xs - np.expand_dims(mean, axes)) ** 2).mean(axis=axes)
    return (
        rho * np.asarray(running_mean, dtype=np.float64) + (1 - rho) * mean,
        rho * np.asarray(running_var, dtype=np.float64) + (1 - rho) * var,
    )


def _finish(
    layout: _Layout,
    xs: np.ndarray,
    arrays: dict[str, np.ndarray],
    dout: Any,
    eps: float,
    shapes: dict[str, tuple[int, ...]],
    variant: str = "",
) -> Prepared:
    if dout is not None:
        upstream = validate_array(
            {"dout": dout}, "dout", None, f"shape {shapes['out']}"
        )
        if upstream.shape != shapes["out"]:
            raise ValueError(
                f"dout must have shape {shapes['out']}, got {upstream.shape}"
            )
        arrays["dout"] = upstream.reshape(xs.shape)
    sizes = layout.sizes()
    numbers: dict[sympy.Symbol, Any] = {
        sizes[ax]: xs.shape[k] for k, ax in enumerate(layout.axes)
    }
    numbers[EPS] = eps
    return Prepared(arrays=arrays, numbers=numbers, shapes=shapes, variant=variant)


def _affine_parameters(
    inputs: dict[str, Any], length: int, shape: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    result = []
    for name in ("gamma", "beta"):
        value = validate_array(inputs, name, len(shape), f"shape {shape}")
        if value.shape != shape:
            raise ValueError(
                f"inputs[{name!r}] must have shape {shape}, got {value.shape}"
            )
        result.append(value.reshape(length))
    return result[0], result[1]


def _eps(hyper: dict[str, Any]) -> float:
    return validate_number("eps", hyper.get("eps", 1e-5), low=0.0, open_low=True)


def _mode(hyper: dict[str, Any]) -> str:
    mode = hyper.get("mode", "train")
    if mode not in ("train", "test"):
        raise ValueError(f"mode must be 'train' or 'test', got {mode!r}")
    return str(mode)


def _running(hyper: dict[str, Any], length: int) -> dict[str, np.ndarray]:
    result = {}
    for name in ("running_mean", "running_var"):
        if hyper.get(name) is None:
            raise ValueError(f"mode='test' needs {name}= (shape ({length},))")
        value = validate_array({name: hyper[name]}, name, 1, f"shape ({length},)")
        if value.shape != (length,):
            raise ValueError(f"{name} must have shape ({length},), got {value.shape}")
        result[name] = value
    if np.any(result["running_var"] < 0):
        raise ValueError("running_var must be >= 0")
    return result


def batchnorm_prepare(
    inputs: dict[str, Any], dout: Any, hyper: dict[str, Any]
) -> Prepared:
    """Validate batch norm's inputs; ``mode="test"`` needs the running statistics."""
    xs = validate_array(inputs, "x", 2, "shape (N, D)")
    gs, bs = _affine_parameters(inputs, xs.shape[1], (xs.shape[1],))
    arrays = {"x": xs, "gamma": gs, "beta": bs}
    variant = ":test" if _mode(hyper) == "test" else ""
    if variant:
        arrays.update(_running(hyper, xs.shape[1]))
    shapes = {"out": xs.shape, "dx": xs.shape, "dgamma": gs.shape, "dbeta": bs.shape}
    layout = _LAYOUTS["batchnorm"]
    return _finish(layout, xs, arrays, dout, _eps(hyper), shapes, variant)


def layernorm_prepare(
    inputs: dict[str, Any], dout: Any, hyper: dict[str, Any]
) -> Prepared:
    """Validate layer norm's inputs."""
    xs = validate_array(inputs, "x", 2, "shape (N, D)")
    gs, bs = _affine_parameters(inputs, xs.shape[1], (xs.shape[1],))
    shapes = {"out": xs.shape, "dx": xs.shape, "dgamma": gs.shape, "dbeta": bs.shape}
    arrays = {"x": xs, "gamma": gs, "beta": bs}
    return _finish(_LAYOUTS["layernorm"], xs, arrays, dout, _eps(hyper), shapes)


def spatial_batchnorm_prepare(
    inputs: dict[str, Any], dout: Any, hyper: dict[str, Any]
) -> Prepared:
    """Validate spatial batch norm's inputs (x (N, C, H, W), gamma (C,))."""
    xs = validate_array(inputs, "x", 4, "shape (N, C, H, W)")
    c_ = xs.shape[1]
    gs, bs = _affine_parameters(inputs, c_, (c_,))
    arrays = {"x": xs, "gamma": gs, "beta": bs}
    variant = ":test" if _mode(hyper) == "test" else ""
    if variant:
        arrays.update(_running(hyper, c_))
    shapes = {"out": xs.shape, "dx": xs.shape, "dgamma": (c_,), "dbeta": (c_,)}
    layout = _LAYOUTS["spatial_batchnorm"]
    return _finish(layout, xs, arrays, dout, _eps(hyper), shapes, variant)


def groupnorm_prepare(
    inputs: dict[str, Any], dout: Any, hyper: dict[str, Any]
) -> Prepared:
    """Validate group norm's inputs; x read as (N, G, C/G, H, W)."""
    xs = validate_array(inputs, "x", 4, "shape (N, C, H, W)")
    n_, c_, h_, w_ = xs.shape
    if "groups" not in hyper:
        raise ValueError("groupnorm needs groups= (a divisor of C)")
    groups = hyper["groups"]
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"groups must be an int, got {groups!r}")
    if groups < 1 or c_ % groups:
        raise ValueError(f"groups must be a positive divisor of C = {c_}, got {groups}")
    per = c_ // int(groups)
    gs, bs = _affine_parameters(inputs, c_, (1, c_, 1, 1))
    arrays = {
        "x": xs.reshape(n_, int(groups), per, h_, w_),
        "gamma": gs.reshape(int(groups), per),
        "beta": bs.reshape(int(groups), per),
    }
    shapes = {
        "out": xs.shape,
        "dx": xs.shape,
        "dgamma": (1, c_, 1, 1),
        "dbeta": (1, c_, 1, 1),
    }
    layout = _LAYOUTS["groupnorm"]
    return _finish(layout, arrays["x"], arrays, dout, _eps(hyper), shapes)
