r"""Check the gradient of a network's mean cost: :func:`check_network`.

It compares :func:`backprop.gradients` (or any function with its signature) with a
numeric derivative of the mean cost (the engine of :func:`spec.gradcheck`) or with
:func:`spec.oracle_gradients`, naming entries ``W^l[i,j]`` and ``b^l[i]``, and
holds it to the criterion and default tolerances of :func:`spec.gradcheck`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

import backprop
from backprop.validation import one_hot
from spec.check.derivatives.compare import compare_gradients, shape_failure
from spec.check.derivatives.gradcheck import check_claimed_gradient
from spec.check.derivatives.numeric import METHODS
from spec.check.derivatives.options import CheckOptions
from spec.check.derivatives.report import METHOD_LABELS, Block, GradcheckReport
from spec.oracle import oracle_gradients

__all__ = [
    "GradientFunction",
    "check_network",
    "interleave",
    "network_blocks",
    "network_keywords",
    "pack_claimed",
]

GradientFunction = Callable[..., tuple[Sequence[Any], Sequence[Any]]]


def network_keywords(activations: Any, l2: float) -> dict[str, Any]:
    """``activations=`` and ``l2=`` for a function under test, where not defaults.

    A gradient or training function written for sigmoid networks without L2 need
    not take these keywords; they are passed only to describe another network.
    """
    extra: dict[str, Any] = {}
    if activations is not None:
        extra["activations"] = activations
    if l2:
        extra["l2"] = l2
    return extra


def interleave(grad_w: Sequence[Any], grad_b: Sequence[Any]) -> list[Any]:
    """``[W^1, b^1, …, W^L, b^L]``: the order of the packed parameter vector
    (:func:`backprop.pack`) and of its blocks, for any pair of per-layer lists
    of the same length."""
    return [g for pair in zip(grad_w, grad_b, strict=True) for g in pair]


def network_blocks(weights: Sequence[NDArray]) -> list[Block]:
    """The blocks ``W^1, b^1, ..., W^L, b^L`` of the packed parameter vector."""
    blocks, start = [], 0
    for layer, w in enumerate(weights, start=1):
        for name, shape in ((f"W^{layer}", w.shape), (f"b^{layer}", w.shape[:1])):
            size = int(np.prod(shape))
            blocks.append(Block(name, start, start + size, tuple(shape)))
            start += size
    return blocks


def pack_claimed(
    grad_w: Sequence[Any], grad_b: Sequence[Any], blocks: list[Block], method: str
) -> NDArray:
    """Pack a claimed gradient like :func:`backprop.pack`, naming any wrong shape."""
    if len(grad_w) != len(grad_b) or 2 * len(grad_w) != len(blocks):
        returned = [*grad_w, *grad_b]
        raise shape_failure(
            f"the gradient function returned {len(grad_w)} weight and {len(grad_b)} "
            f"bias gradients for a network of {len(blocks) // 2} layers",
            method,
            np.asarray(returned[0]).dtype if returned else "?",
        )
    arrays = [np.asarray(g) for g in interleave(grad_w, grad_b)]
    for b, g in zip(blocks, arrays, strict=True):
        if g.shape != b.shape:
            raise shape_failure(
                f"the gradient of {b.name} has shape {g.shape}; expected {b.shape}",
                method,
                g.dtype,
            )
    return np.concatenate([g.ravel() for g in arrays])


def _as_reference(data: Any, dtype: np.dtype) -> Any:
    """``data`` rounded to the parameters' dtype, as the gradient under test sees it,
    then widened to float64 for the reference."""
    arr = np.asarray(data)
    if arr.dtype.kind in "biu" or not np.issubdtype(dtype, np.floating):
        return arr  # integer labels, or already double
    return arr.astype(dtype).astype(np.float64)


def check_network(
    weights: Any,
    biases: Any,
    x: Any,
    y: Any,
    *,
    cost: str = "cross_entropy",
    activations: Any = None,
    l2: float = 0.0,
    method: str | None = None,
    fast: bool = False,
    n_directions: int = 2,
    rtol: float | None = None,
    atol: float | None = None,
    rng: Any = 0,
    gradients: GradientFunction | None = None,
    n_worst: int = 5,
    raise_on_failure: bool = True,
) -> GradcheckReport:
    r"""Check the gradient of a :mod:`backprop` network's mean cost in one call.

    The cost :math:`C(\theta)` is :func:`backprop.mean_cost` of the parameters
    packed into :math:`\theta` (:func:`backprop.pack`), with the given
    ``activations`` and ``l2``, evaluated in float64 (in complex128 for the
    complex step, valid because backprop's sigmoid, tanh, identity, softmax and
    costs are analytic); the claimed gradient is ``gradients(weights, biases, x,
    y, cost=cost)`` in the parameters' own dtype, with ``activations=`` and
    ``l2=`` passed on only where they differ from the defaults (so a gradient
    function of the sigmoid-only signature can still be checked). Entries are named ``W^l[i,j]`` and ``b^l[i]``
    (:func:`backprop.describe_index`) and summarised per :math:`W^l` and
    :math:`b^l`.

    Parameters
    ----------
    weights, biases : list of ndarray
        The network (float32 or float64).
    x : array_like, shape (m, n_0)
        Inputs.
    y : array_like, shape (m, n_L), or (m,) integer labels
        Targets.
    cost : {"cross_entropy", "quadratic", "log_likelihood"}
        The per-example cost; the batch cost is its mean.
    activations : str or sequence of str, optional
        The activation of each layer, as for :func:`backprop.gradients`
        (sigmoids by default).
    l2 : float, default 0.0
        :math:`\lambda` of the L2 term :math:`\tfrac{\lambda}{2}\sum_l \lVert W^l
        \rVert^2`.
    method : {"complex", "central", "richardson", "oracle"}, optional
        The reference: a numeric derivative of :math:`C` (see
        :func:`spec.gradcheck`),
        or ``"oracle"``, :func:`spec.oracle_gradients` (exact formulas evaluated in
        high precision; small networks only; ``fast`` is ignored; sigmoid
        networks without L2 only, for now). By default the complex step where the
        network is analytic, central differences where it has ReLU, which is
        not (the complex step is refused there: at a kink it would return one
        one-sided derivative and pass silently). Central differences are exact
        only away from the kinks: a step across :math:`z = 0` sees the average of
        the two one-sided slopes.
    fast : bool
        Check ``n_directions`` random directions per :math:`W^l` and
        :math:`b^l` instead of every entry: a few forward passes whatever the
        size of the network (784-200-10 in a few milliseconds).
    n_directions : int
        Directions per block in fast mode.
    rtol, atol : float, optional
        Tolerances; defaults by method and dtype
        (:func:`~spec.check.derivatives.options.default_tolerances`).
    rng : int or numpy.random.Generator
        Seed of the fast-mode directions.
    gradients : callable, optional
        The gradient under test, with the signature of :func:`backprop.gradients`
        (the default, looked up at call time).
    n_worst : int
        How many of the worst entries the report lists.
    raise_on_failure : bool
        Raise :class:`~spec.GradcheckError` on failure (else return the report).

    Returns
    -------
    GradcheckReport

    Examples
    --------
    >>> import backprop, numpy as np
    >>> weights, biases = backprop.init_params([3, 4, 2], rng=0)
    >>> x, y = np.random.default_rng(1).random((5, 3)), np.eye(2)[[0, 1, 1, 0, 1]]
    >>> check_network(weights, biases, x, y).passed
    True
    """
    # Validates every argument, and the activations against the cost.
    backprop.mean_cost(weights, biases, x, y, cost, activations, l2)
    ws = [np.asarray(w) for w in weights]
    layers = backprop.resolve_activations(activations, len(ws))
    analytic = all(layer.analytic for layer in layers)
    if method is None:
        method = "complex" if analytic else "central"
    dtype = ws[0].dtype
    sizes = [ws[0].shape[1]] + [w.shape[0] for w in ws]
    blocks = network_blocks(ws)
    label = "reference" if method == "oracle" else method
    if label not in METHOD_LABELS:
        raise ValueError(
            f"method must be one of {[*METHODS, 'oracle']}, got {method!r}"
        )
    names_given = [layer.name for layer in layers]
    if method == "complex" and not analytic:
        raise ValueError(
            f"method='complex' needs an analytic network, but activations "
            f"{names_given} include relu, which has a kink at z = 0; use "
            f"method='central' (the default for such networks)"
        )
    options = CheckOptions(
        method=label,
        fast=fast and method != "oracle",
        n_directions=n_directions,
        rtol=rtol,
        atol=atol,
        rng=rng,
        n_worst=n_worst,
        raise_on_failure=raise_on_failure,
    )
    grad_fn = backprop.gradients if gradients is None else gradients
    extra = network_keywords(activations, l2)
    grad_w, grad_b = grad_fn(weights, biases, x, y, cost=cost, **extra)
    claimed = pack_claimed(grad_w, grad_b, blocks, label)
    names = functools.partial(backprop.describe_index, sizes)
    x_ref, y_ref = _as_reference(x, dtype), _as_reference(y, dtype)
    if method == "oracle":
        if np.ndim(y_ref) == 1:  # integer labels
            y_ref = one_hot(y_ref, sizes[-1], np.float64)
        # One activation name per layer and l2 go to the oracle only where they
        # differ from a sigmoid net without L2.
        if extra:
            extra["activations"] = tuple(names_given)
        grads = oracle_gradients(weights, biases, x_ref, y_ref, cost=cost, **extra)
        ref = backprop.pack(*grads)
        return compare_gradients(
            claimed,
            ref,
            rtol=rtol,
            atol=atol,
            names=names,
            blocks=blocks,
            n_worst=n_worst,
            raise_on_failure=raise_on_failure,
        )

    def f(theta: NDArray) -> Any:
        return backprop.mean_cost(
            *backprop.unpack(theta, sizes), x_ref, y_ref, cost, activations, l2
        )

    return check_claimed_gradient(
        f, claimed, backprop.pack(weights, biases), options, names=names, blocks=blocks
    )
