r"""The oracle: exact-formula gradients from the derivation, in high precision.

The direct derivatives of the mean cost (:func:`spec.direct_gradients`, proven
equal to BP1–BP4 by :func:`spec.prove_backprop`) are compiled with
``lambdify(..., "mpmath")`` and evaluated at 50 or more significant digits, then
rounded once to float64. The result is a reference that does not share float64's
cancellation errors.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import mpmath
import numpy as np
import numpy.typing as npt

from spec.caching import cached
from spec.costs import COSTS
from spec.derive import direct_gradients
from spec.evaluate import mpmath_function
from spec.network import symbolic_network
from spec.validation import validate_choice, validate_int

__all__ = ["oracle_gradients"]

FloatArray = npt.NDArray[np.float64]

#: Below :math:`e^{-745}` float64 underflows to 0, so larger :math:`|z|` never needs
#: more digits.
_LARGEST_USEFUL_Z = 745.0


@cached(maxsize=32)
def _compiled(sizes: tuple[int, ...], m: int, cost: str) -> Callable[..., list[Any]]:
    network = symbolic_network(sizes, m)
    gradients = direct_gradients(sizes, m, cost)
    return mpmath_function(
        (*network.parameters, *network.data),
        [expr for _, expr in gradients.entries()],
    )


def _as_real_array(argument: str, value: Any, ndim: int, meaning: str) -> FloatArray:
    array = np.asarray(value)
    if array.dtype.kind not in "iuf":
        raise TypeError(
            f"{argument} must be a real numeric array ({meaning}), got dtype "
            f"{array.dtype}"
        )
    if array.ndim != ndim:
        raise ValueError(
            f"{argument} must be {ndim}-D ({meaning}), got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{argument} must be finite, got NaN or inf entries")
    # float32 and integers convert to float64 exactly.
    return array.astype(np.float64)


def _validate(
    weights: Any, biases: Any, x: Any, y: Any
) -> tuple[list[FloatArray], list[FloatArray], FloatArray, FloatArray]:
    for argument, value in (("weights", weights), ("biases", biases)):
        if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
            raise TypeError(
                f"{argument} must be a list of arrays, one per layer, got "
                f"{type(value).__name__}"
            )
    if len(weights) == 0 or len(weights) != len(biases):
        raise ValueError(
            "weights and biases must be non-empty lists of equal length (one entry "
            f"per layer), got {len(weights)} weights and {len(biases)} biases"
        )
    w_arrays = [
        _as_real_array(f"weights[{i}]", w, 2, "shape (n_l, n_{l-1})")
        for i, w in enumerate(weights)
    ]
    b_arrays = [
        _as_real_array(f"biases[{i}]", b, 1, "shape (n_l,)")
        for i, b in enumerate(biases)
    ]
    for i in range(1, len(w_arrays)):
        if w_arrays[i].shape[1] != w_arrays[i - 1].shape[0]:
            raise ValueError(
                f"weights[{i}] has shape {w_arrays[i].shape}; its second axis must "
                f"be {w_arrays[i - 1].shape[0]} = the first axis of weights[{i - 1}] "
                f"{w_arrays[i - 1].shape}"
            )
    for i, (w, b) in enumerate(zip(w_arrays, b_arrays, strict=True)):
        if b.shape != (w.shape[0],):
            raise ValueError(
                f"biases[{i}] must have shape ({w.shape[0]},) to match weights[{i}] "
                f"{w.shape}, got {b.shape}"
            )
    x_array = _as_real_array("x", x, 2, "shape (m, n_0), one example per row")
    y_array = _as_real_array("y", y, 2, "shape (m, n_L), one target per row")
    n_0, n_L = w_arrays[0].shape[1], w_arrays[-1].shape[0]
    if x_array.shape[1] != n_0 or x_array.shape[0] == 0:
        raise ValueError(
            f"x must have shape (m, {n_0}) with m >= 1 to match weights[0] "
            f"{w_arrays[0].shape}, got {x_array.shape}"
        )
    if y_array.shape != (x_array.shape[0], n_L):
        raise ValueError(
            f"y must have shape ({x_array.shape[0]}, {n_L}) = (rows of x, outputs of "
            f"weights[-1]), got {y_array.shape}"
        )
    return w_arrays, b_arrays, x_array, y_array


def _working_digits(
    weights: list[FloatArray], biases: list[FloatArray], x: FloatArray, dps: int
) -> int:
    r"""Digits that keep 30 significant ones in :math:`1 - \sigma(z)` for every z.

    :math:`1 - \sigma(z) \approx e^{-z}` loses :math:`z / \ln 10` digits to
    cancellation. Since :math:`0 < a < 1`, :math:`|z^l_i| \le \sum_j |w^l_{ij}| +
    |b^l_i|` for :math:`l \ge 2`, and :math:`|z^1_i| \le \sum_j |w^1_{ij} x_j| +
    |b^1_i|`.
    """
    bound = float(np.max(np.abs(x) @ np.abs(weights[0]).T + np.abs(biases[0])))
    for w, b in zip(weights[1:], biases[1:], strict=True):
        bound = max(bound, float(np.max(np.abs(w).sum(axis=1) + np.abs(b))))
    lost = math.ceil(min(bound, _LARGEST_USEFUL_Z) / math.log(10))
    return max(dps, 30 + lost)


def oracle_gradients(
    weights: Sequence[npt.ArrayLike],
    biases: Sequence[npt.ArrayLike],
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    cost: str = "cross_entropy",
    *,
    dps: int = 50,
) -> tuple[list[FloatArray], list[FloatArray]]:
    r"""Gradients of the mean cost from the SymPy derivation, in high precision.

    Parameters
    ----------
    weights : sequence of array_like
        ``weights[l - 1]`` is :math:`W^l`, shape ``(n_l, n_{l-1})``.
    biases : sequence of array_like
        ``biases[l - 1]`` is :math:`b^l`, shape ``(n_l,)``.
    x : array_like, shape (m, n_0)
        Inputs, one example per row.
    y : array_like, shape (m, n_L)
        Targets :math:`y`, one per row.
    cost : {"cross_entropy", "quadratic"}, default "cross_entropy"
    dps : int, default 50
        Significant decimal digits of the evaluation (at least 30). More are used
        automatically where a large :math:`|z|` makes :math:`1 - \sigma(z)` cancel.

    Returns
    -------
    grad_w : list of ndarray of float64
        :math:`\partial C / \partial W^l`, shaped like ``weights``.
    grad_b : list of ndarray of float64
        :math:`\partial C / \partial b^l`, shaped like ``biases``.

    Raises
    ------
    TypeError
        If an argument is not a real numeric array or list of them.
    ValueError
        For inconsistent shapes, NaN or infinite entries, an unknown ``cost``, or a
        network too large to derive (:data:`spec.derive.DERIVATION_LIMIT`).

    Notes
    -----
    The derivation and its compiled form are cached per ``(sizes, m, cost)``
    (emptied by :func:`spec.clear_caches`): the first call for a shape derives and
    compiles, later calls only evaluate. Times are measured in
    ``benchmarks/bench_proofs.py`` (results in ``benchmarks/results/``).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> weights = [rng.standard_normal((3, 2)), rng.standard_normal((2, 3))]
    >>> biases = [rng.standard_normal(3), rng.standard_normal(2)]
    >>> x, y = rng.random((4, 2)), np.eye(2)[[0, 1, 1, 0]]
    >>> grad_w, grad_b = oracle_gradients(weights, biases, x, y)
    >>> [g.shape for g in grad_w]
    [(3, 2), (2, 3)]
    """
    w_arrays, b_arrays, x_array, y_array = _validate(weights, biases, x, y)
    validate_choice("cost", cost, COSTS)
    digits = _working_digits(w_arrays, b_arrays, x_array, validate_int("dps", dps, 30))
    sizes = (w_arrays[0].shape[1], *(w.shape[0] for w in w_arrays))
    function = _compiled(sizes, x_array.shape[0], cost)
    parameters = [a for w, b in zip(w_arrays, b_arrays, strict=True) for a in (w, b)]
    flat = np.concatenate([a.ravel() for a in (*parameters, x_array, y_array)])
    with mpmath.workdps(digits):
        exact = function(*(mpmath.mpf(float(v)) for v in flat))
    values = np.array([float(v) for v in exact], dtype=np.float64)
    grads, start = [], 0
    for a in parameters:
        grads.append(values[start : start + a.size].reshape(a.shape))
        start += a.size
    return grads[0::2], grads[1::2]
