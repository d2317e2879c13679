r"""Turn anyone's gradient function into the project's convention: :func:`adapt`.

The project's convention (that of :func:`backprop.gradients`) is
``gradients(weights, biases, x, y, cost=...) -> (grad_w, grad_b)`` with one
example per row of ``x`` (shape ``(m, n_0)``), biases of shape ``(n_l,)``, and the
gradient of the *mean* cost over the batch. A learner's function written from the
tutorial is usually different: column vectors, biases of shape ``(n_l, 1)``, one
example per call, ``(nabla_b, nabla_w)``. :func:`adapt` declares those
conventions once and converts in both directions, so the battery
(:func:`spec.check_implementation`) calls every implementation the same way.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "INPUTS_KEPT",
    "ImplementationError",
    "adapt",
    "call_with_copies",
    "describe_call",
    "takes_keyword",
]

#: What a gradient function that wrote into its arguments is told.
INPUTS_KEPT = "a gradient function must leave its inputs as they came"

LAYOUTS = ("rows", "columns")
REDUCTIONS = ("mean", "sum")
ORDERS = (("w", "b"), ("b", "w"))


class ImplementationError(Exception):
    """The code under test raised, or returned something that is not a gradient.

    Attributes
    ----------
    call : str
        The shapes the code was called with, in its own layout.
    error : str
        What it raised (type and message), or what was wrong with its result.
    """

    def __init__(self, call: str, error: str) -> None:
        super().__init__(f"{error} (called with {call})")
        self.call = call
        self.error = error


def _shapes(arrays: Sequence[Any]) -> str:
    return "[" + ", ".join(str(np.shape(a)) for a in arrays) + "]"


def describe_call(weights: Sequence[Any], biases: Sequence[Any], x: Any, y: Any) -> str:
    """``"weights [(4, 3), (2, 4)], biases [(4, 1), (2, 1)], x (3, 1), y (2, 1)"``."""
    return (
        f"weights {_shapes(weights)}, biases {_shapes(biases)}, "
        f"x {np.shape(x)}, y {np.shape(y)}"
    )


def takes_keyword(fn: Callable[..., Any], name: str) -> bool:
    """Whether ``fn`` accepts the keyword argument ``name`` (by name or ``**``).

    A callable whose signature cannot be read is assumed to take it.
    """
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(
        p.kind is p.VAR_KEYWORD
        or (p.name == name and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        for p in parameters
    )


def _copies(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [np.array(v) for v in value]
    return np.array(value)


def _written(given: Any, kept: Any) -> bool:
    if isinstance(kept, list):
        return len(given) != len(kept) or any(
            _written(g, k) for g, k in zip(given, kept, strict=True)
        )
    given = np.asarray(given)
    return given.shape != kept.shape or not np.array_equal(
        given, kept, equal_nan=given.dtype.kind in "fc"
    )


def call_with_copies(
    fn: Callable[..., Any],
    weights: Sequence[Any],
    biases: Sequence[Any],
    x: Any,
    y: Any,
    **keywords: Any,
) -> Any:
    """``fn(weights, biases, x, y, **keywords)`` on copies of the four arguments.

    The caller's arrays never reach ``fn``, so the references a check computes
    from them cannot be changed by it; writing into an argument is reported as
    :class:`ImplementationError` (a gradient function must leave its inputs as
    they came).
    """
    given = [_copies(weights), _copies(biases), _copies(x), _copies(y)]
    kept = [_copies(a) for a in given]
    try:
        result = fn(*given, **keywords)
    except ImplementationError:
        raise
    except Exception as exc:  # the code under test failed: a finding
        raise ImplementationError(
            describe_call(*given), f"{type(exc).__name__}: {exc}"
        ) from exc
    written = [
        name
        for name, g, k in zip(("weights", "biases", "x", "y"), given, kept, strict=True)
        if _written(g, k)
    ]
    if written:
        raise ImplementationError(
            describe_call(*kept),
            f"wrote into its argument{'s' if len(written) > 1 else ''} "
            f"{', '.join(written)}: {INPUTS_KEPT}",
        )
    return result


def _validate_choice(name: str, value: Any, choices: Sequence[Any]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")


def _split(result: Any, returns: tuple[str, str], call: str) -> tuple[list, list]:
    """The user's result as ``(grad_w, grad_b)`` lists of arrays."""
    if not isinstance(result, Sequence) or len(result) != 2:
        raise ImplementationError(
            call,
            f"returned {type(result).__name__}; expected a pair "
            f"({', '.join('grad_' + r for r in returns)})",
        )
    first, second = result
    grad_w, grad_b = (first, second) if returns == ("w", "b") else (second, first)
    try:
        return [np.asarray(g) for g in grad_w], [np.asarray(g) for g in grad_b]
    except (TypeError, ValueError):  # not iterable, or ragged
        raise ImplementationError(
            call, "returned a pair whose items are not lists of arrays, one per layer"
        ) from None


def _bias_to_rows(g: NDArray) -> NDArray:
    """A bias gradient in the columns layout, ``(n, 1)``, as ``(n,)``; other shapes
    are left for the check to report."""
    return g[:, 0] if g.ndim == 2 and g.shape[1] == 1 else g


def adapt(
    fn: Callable[..., Any],
    *,
    layout: str = "rows",
    per_example: bool = False,
    returns: Sequence[str] = ("w", "b"),
    reduction: str = "mean",
    cost_keyword: bool = True,
) -> Callable[..., tuple[list[NDArray], list[NDArray]]]:
    r"""Wrap a gradient function written in another convention.

    The wrapped ``fn`` is called as ``fn(weights, biases, x, y)``, plus
    ``cost=cost`` when ``cost_keyword`` is true and its signature takes ``cost``,
    and any other keywords the wrapper is given (``activations=``, ``l2=``), with
    the parameters and data in the declared layout, on copies of all four
    (:func:`call_with_copies`: writing into one is reported); what it returns is
    converted back.

    Parameters
    ----------
    fn : callable
        The gradient function under test.
    layout : {"rows", "columns"}
        ``"rows"``: biases of shape ``(n_l,)``, ``x`` of shape ``(m, n_0)`` (one
        example per row). ``"columns"``: biases of shape ``(n_l, 1)``, ``x`` of shape
        ``(n_0, m)`` (one example per column), as in the tutorial. Weights are
        ``(n_l, n_{l-1})`` in both.
    per_example : bool
        ``fn`` takes one example: with ``layout="columns"``, ``x`` an ``(n_0, 1)``
        column and ``y`` an ``(n_L, 1)`` column; with ``"rows"``, 1-D vectors. The
        wrapper sums the per-example gradients and divides by :math:`m`, as the
        tutorial's training loop does (``reduction`` does not apply).
    returns : ("w", "b") or ("b", "w")
        The order of the pair ``fn`` returns (the tutorial returns
        ``(nabla_b, nabla_w)``: ``("b", "w")``).
    reduction : {"mean", "sum"}
        Whether ``fn`` returns the gradient of the mean or of the summed batch cost
        (a convention, not a mistake: a sum is divided by :math:`m`).
    cost_keyword : bool
        Pass ``cost=`` to ``fn`` where its signature takes it (by name or
        ``**``); false never passes it.

    Returns
    -------
    callable
        ``gradients(weights, biases, x, y, cost="cross_entropy", **network) ->
        (grad_w, grad_b)``, lists of arrays shaped like ``weights`` and ``biases`` (when
        ``fn`` is right). If ``fn`` raises or returns something other than a pair
        of lists of arrays, it raises :class:`ImplementationError` naming the
        shapes it was called with.

    Examples
    --------
    >>> import numpy as np
    >>> def nabla(weights, biases, x, y):  # one column example, quadratic cost
    ...     a = 1 / (1 + np.exp(-(weights[0] @ x + biases[0])))
    ...     delta = (a - y) * a * (1 - a)
    ...     return [delta], [delta @ x.T]
    >>> gradients = adapt(nabla, layout="columns", per_example=True,
    ...                   returns=("b", "w"), cost_keyword=False)
    >>> grad_w, grad_b = gradients([np.ones((2, 3))], [np.zeros(2)],
    ...                            np.ones((4, 3)), np.zeros((4, 2)))
    >>> grad_w[0].shape, grad_b[0].shape
    ((2, 3), (2,))
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    _validate_choice("layout", layout, LAYOUTS)
    _validate_choice("reduction", reduction, REDUCTIONS)
    order = tuple(returns)
    _validate_choice("returns", order, ORDERS)
    columns = layout == "columns"
    pass_cost = cost_keyword and takes_keyword(fn, "cost")

    def call(
        ws: list[NDArray],
        bs: list[NDArray],
        x: NDArray,
        y: NDArray,
        cost: str,
        network: dict[str, Any],
    ) -> tuple[list[NDArray], list[NDArray]]:
        """Call ``fn`` on data already in its layout; results back in rows."""
        if columns:
            bs = [b.reshape(-1, 1) for b in bs]
        where = describe_call(ws, bs, x, y)
        keywords = {"cost": cost, **network} if pass_cost else network
        result = call_with_copies(fn, ws, bs, x, y, **keywords)
        grad_w, grad_b = _split(result, order, where)  # type: ignore[arg-type]
        if columns:
            grad_b = [_bias_to_rows(g) for g in grad_b]
        return grad_w, grad_b

    def gradients(
        weights: Sequence[Any],
        biases: Sequence[Any],
        x: Any,
        y: Any,
        cost: str = "cross_entropy",
        **network: Any,
    ) -> tuple[list[NDArray], list[NDArray]]:
        ws = [np.array(w) for w in weights]  # copies: fn may write into them
        bs = [np.array(b) for b in biases]
        x, y = np.array(x), np.array(y)
        m = len(x)
        if not per_example:
            grad_w, grad_b = call(
                ws, bs, *((x.T, y.T) if columns else (x, y)), cost, network
            )
            if reduction == "sum":
                grad_w, grad_b = [g / m for g in grad_w], [g / m for g in grad_b]
            return grad_w, grad_b
        total_w: list[NDArray] = []
        total_b: list[NDArray] = []
        for k in range(m):
            example = (x[k : k + 1].T, y[k : k + 1].T) if columns else (x[k], y[k])
            grad_w, grad_b = call(ws, bs, *example, cost, network)
            if k == 0:
                total_w, total_b = grad_w, grad_b
                continue
            try:
                total_w = [t + g for t, g in zip(total_w, grad_w, strict=True)]
                total_b = [t + g for t, g in zip(total_b, grad_b, strict=True)]
            except ValueError as exc:
                raise ImplementationError(
                    describe_call(ws, bs, *example),
                    "returned gradients whose number or shapes change from one "
                    f"example to the next ({exc})",
                ) from None
        return [t / m for t in total_w], [t / m for t in total_b]

    gradients.__wrapped__ = fn  # type: ignore[attr-defined]
    gradients.__doc__ = f"{getattr(fn, '__name__', 'fn')} in the project's convention"
    return gradients
