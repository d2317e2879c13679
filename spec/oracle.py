r"""The oracle: exact-formula gradients from the derivation, in high precision.

The direct derivatives of the mean cost (:func:`spec.direct_gradients`, proven
equal to BP1–BP4 by :func:`spec.prove_backprop`) are compiled with
``lambdify(..., "mpmath")`` and evaluated at 50 or more significant digits, then
rounded once to float64. The result is a reference that does not share float64's
cancellation errors.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import mpmath
import numpy as np
import numpy.typing as npt

from spec.caching import cached
from spec.costs import COSTS, L2_SYMBOL
from spec.derive import direct_gradients
from spec.evaluate import mpmath_function
from spec.layers import validate_layers
from spec.network import symbolic_network
from spec.validation import validate_choice, validate_int

__all__ = ["oracle_gradients"]

FloatArray = npt.NDArray[np.float64]

#: Below :math:`e^{-745}` float64 underflows to 0, so larger :math:`|z|` never needs
#: more digits.
_LARGEST_USEFUL_Z = 745.0


@cached(maxsize=32)
def _compiled(
    sizes: tuple[int, ...], m: int, cost: str, names: tuple[str, ...], l2: bool
) -> Callable[..., list[Any]]:
    network = symbolic_network(sizes, m, names)
    gradients = direct_gradients(sizes, m, cost, activations=names, l2=l2)
    return mpmath_function(
        (*network.parameters, *network.data, *((L2_SYMBOL,) if l2 else ())),
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


def _validate_l2(l2: Any) -> float:
    if isinstance(l2, (bool, np.bool_)) or not isinstance(l2, numbers.Real):
        raise TypeError(
            f"l2 must be a real number >= 0, got {l2!r} of type {type(l2).__name__}"
        )
    if not math.isfinite(l2) or l2 < 0:
        raise ValueError(f"l2 must be a finite number >= 0, got {l2}")
    return float(l2)


def _working_digits(
    weights: list[FloatArray],
    biases: list[FloatArray],
    x: FloatArray,
    names: tuple[str, ...],
    dps: int,
) -> int:
    r"""Digits that keep 30 significant ones in :math:`\varphi'(z)` for every z.

    :math:`1 - \sigma(z) \approx e^{-z}` loses :math:`z / \ln 10` digits to
    cancellation; :math:`1 - \tanh^2 z \approx 4 e^{-2|z|}` and the softmax
    Jacobian's :math:`a_k(1 - a_k)` (:math:`\approx e^{-2 \max|z|}` at worst)
    twice as many. :math:`|z^l| \le |W^l| A^{l-1} + |b^l|` entry by entry, with
    :math:`A^0 = |x|` and :math:`A^l` a bound on :math:`|a^l|`: 1 for
    :math:`\sigma`, tanh and softmax, :math:`|z^l|`'s bound for ReLU and the
    identity.
    """
    bounded = ("sigmoid", "tanh", "softmax")
    a_bound = np.abs(x).max(axis=0)
    bound = 0.0
    for w, b, name in zip(weights, biases, names, strict=True):
        z_bound = np.abs(w) @ a_bound + np.abs(b)
        bound = max(bound, float(np.max(z_bound)))
        a_bound = np.ones_like(z_bound) if name in bounded else z_bound
    factor = 2 if {"tanh", "softmax"} & set(names) else 1
    lost = math.ceil(min(factor * bound, _LARGEST_USEFUL_Z) / math.log(10))
    return max(dps, 30 + lost)


def oracle_gradients(
    weights: Sequence[npt.ArrayLike],
    biases: Sequence[npt.ArrayLike],
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    cost: str = "cross_entropy",
    *,
    activations: Any = None,
    l2: float = 0.0,
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
    cost : {"cross_entropy", "quadratic", "log_likelihood"}, default "cross_entropy"
        The cross-entropy needs a sigmoid output, the log-likelihood a softmax one.
    activations : None, str or sequence of str, optional
        The activation of each layer in the forms :func:`backprop.gradients`
        takes: one name for every layer, a pair (hidden, output), or one name per
        layer (:mod:`spec.layers`); sigmoids by default. ReLU's derivative is
        taken as 0 at :math:`z = 0`, as :mod:`backprop` takes it.
    l2 : float, default 0.0
        :math:`\lambda \ge 0`: the cost is the mean plus
        :math:`\tfrac{\lambda}{2} \sum_l \lVert W^l \rVert^2` (biases not
        decayed), so :math:`\lambda W^l` is added to each weight gradient.
    dps : int, default 50
        Significant decimal digits of the evaluation (at least 30). More are used
        automatically where a large :math:`|z|` makes :math:`1 - \sigma(z)` (or
        :math:`1 - \tanh^2 z`, or the softmax Jacobian) cancel.

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
        For inconsistent shapes, NaN or infinite entries, an unknown ``cost`` or
        activation, a combination of them that makes no sense (softmax in a
        hidden layer, the log-likelihood without a softmax output), a negative
        ``l2``, or a network too large to derive
        (:data:`spec.derive.DERIVATION_LIMIT`).

    Notes
    -----
    The derivation and its compiled form are cached per ``(sizes, m, cost,
    activations, l2 > 0)``
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
    names = validate_layers(activations, len(w_arrays), cost)
    strength = _validate_l2(l2)
    digits = _working_digits(
        w_arrays, b_arrays, x_array, names, validate_int("dps", dps, 30)
    )
    sizes = (w_arrays[0].shape[1], *(w.shape[0] for w in w_arrays))
    function = _compiled(sizes, x_array.shape[0], cost, names, strength > 0)
    parameters = [a for w, b in zip(w_arrays, b_arrays, strict=True) for a in (w, b)]
    flat = [
        *np.concatenate([a.ravel() for a in (*parameters, x_array, y_array)]),
        *((strength,) if strength > 0 else ()),
    ]
    with mpmath.workdps(digits):
        exact = function(*(mpmath.mpf(float(v)) for v in flat))
    values = np.array([float(v) for v in exact], dtype=np.float64)
    grads, start = [], 0
    for a in parameters:
        grads.append(values[start : start + a.size].reshape(a.shape))
        start += a.size
    return grads[0::2], grads[1::2]
