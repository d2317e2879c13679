"""Input validation at the public edge.

Every public function validates its arguments here, once, and the numerical core
trusts what it is given. Each error names the argument, what was received and what
was expected.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from backprop.costs import Cost, get_cost
from backprop.layers import Activation, resolve_activations, validate_combination

__all__ = [
    "one_hot",
    "validate_batch",
    "validate_epochs",
    "validate_l2",
    "validate_labels",
    "validate_lr",
    "validate_params",
    "validate_positive_int",
    "validate_sizes",
    "validate_targets",
    "validate_x",
]

#: Parameter dtypes the network computes in (complex for the complex-step check).
PARAM_DTYPES = (np.float32, np.float64, np.complex64, np.complex128)


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"[:200]


def validate_sizes(sizes: Any, name: str = "sizes") -> list[int]:
    """Validate layer sizes ``[n_0, ..., n_L]``: at least two positive integers."""
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence | np.ndarray):
        raise TypeError(
            f"{name} must be a sequence of layer widths such as [784, 200, 10], "
            f"got {_describe(sizes)}"
        )
    out = []
    for k, n in enumerate(sizes):
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral):
            raise TypeError(f"{name}[{k}] must be an integer width, got {n!r}")
        if n < 1:
            raise ValueError(f"{name}[{k}] must be a width >= 1, got {n}")
        out.append(int(n))
    if len(out) < 2:
        raise ValueError(
            f"{name} must list at least 2 layers (input and output), got {out}"
        )
    return out


def validate_positive_int(value: Any, name: str) -> int:
    """Validate an integer >= 1 (batch sizes, epoch counts)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= 1, got {_describe(value)}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def validate_epochs(epochs: Any) -> int:
    """Validate an epoch count >= 1."""
    return validate_positive_int(epochs, "epochs")


def validate_lr(lr: Any) -> float:
    """Validate a learning rate: a finite real number > 0."""
    if isinstance(lr, (bool, np.bool_)) or not isinstance(lr, numbers.Real):
        raise TypeError(f"lr must be a real number > 0, got {_describe(lr)}")
    if not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a finite number > 0, got {lr}")
    return float(lr)


def validate_l2(l2: Any) -> float:
    """Validate an L2 strength: a finite real number >= 0."""
    if isinstance(l2, (bool, np.bool_)) or not isinstance(l2, numbers.Real):
        raise TypeError(f"l2 must be a real number >= 0, got {_describe(l2)}")
    if not math.isfinite(l2) or l2 < 0:
        raise ValueError(f"l2 must be a finite number >= 0, got {l2}")
    return float(l2)


def _all_finite(arr: NDArray) -> bool:
    # min and max propagate NaN and reach ±inf, so two reductions decide it
    # without the array-sized temporary of np.isfinite (47 MB for MNIST).
    if arr.size == 0 or arr.dtype.kind in "biu":
        return True
    parts = (arr.real, arr.imag) if np.iscomplexobj(arr) else (arr,)
    return all(np.isfinite(p.min()) and np.isfinite(p.max()) for p in parts)


def _validate_finite(arr: NDArray, name: str) -> None:
    if not _all_finite(arr):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise ValueError(f"{name} must be finite, got {arr[bad]} at index {bad}")


def _validate_numeric(arr: NDArray, name: str) -> None:
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")


def validate_params(
    weights: Any, biases: Any
) -> tuple[list[NDArray], list[NDArray], np.dtype]:
    """Validate weights and biases of one network.

    Returns the arrays as lists (not copied) and their common dtype.
    """
    for name, seq in (("weights", weights), ("biases", biases)):
        if isinstance(seq, np.ndarray) or not isinstance(seq, Sequence):
            raise TypeError(
                f"{name} must be a list with one array per layer, got {_describe(seq)}"
            )
    if len(weights) != len(biases):
        raise ValueError(
            f"weights and biases must have one array per layer each, got "
            f"{len(weights)} weight and {len(biases)} bias arrays"
        )
    if len(weights) == 0:
        raise ValueError("weights must hold at least one layer, got an empty list")
    ws = [np.asarray(w) for w in weights]
    bs = [np.asarray(b) for b in biases]
    dtype = ws[0].dtype
    if dtype.type not in PARAM_DTYPES:
        raise TypeError(
            f"weights[0] has dtype {dtype}; expected one of float32, float64, "
            f"complex64, complex128"
        )
    for layer, (w, b) in enumerate(zip(ws, bs, strict=True), start=1):
        if w.ndim != 2:
            raise ValueError(
                f"weights[{layer - 1}] (W^{layer}) must be 2-D (n_{layer}, "
                f"n_{layer - 1}), got shape {w.shape}"
            )
        if b.shape != (w.shape[0],):
            raise ValueError(
                f"biases[{layer - 1}] (b^{layer}) must have shape ({w.shape[0]},) "
                f"to match W^{layer} of shape {w.shape}, got {b.shape}"
            )
        if layer > 1 and w.shape[1] != ws[layer - 2].shape[0]:
            raise ValueError(
                f"weights[{layer - 1}] (W^{layer}) has {w.shape[1]} columns but "
                f"layer {layer - 1} has {ws[layer - 2].shape[0]} neurons; expected "
                f"shape ({w.shape[0]}, {ws[layer - 2].shape[0]})"
            )
        for name, arr in ((f"weights[{layer - 1}]", w), (f"biases[{layer - 1}]", b)):
            if arr.dtype != dtype:
                raise TypeError(
                    f"{name} has dtype {arr.dtype} but weights[0] has {dtype}; "
                    f"all parameters must share one dtype"
                )
            _validate_finite(arr, name)
    return ws, bs, dtype


def validate_x(x: Any, n_in: int, dtype: np.dtype, name: str = "x") -> NDArray:
    """Validate inputs ``x`` of shape ``(m, n_in)`` and cast them to ``dtype``."""
    arr = np.asarray(x)
    _validate_numeric(arr, name)
    if arr.ndim != 2 or arr.shape[1] != n_in:
        hint = " (a single example needs x.reshape(1, -1))" if arr.ndim == 1 else ""
        raise ValueError(
            f"{name} must have shape (m, {n_in}), one example per row, got shape "
            f"{arr.shape}{hint}"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (shape {arr.shape}); need m >= 1")
    if np.iscomplexobj(arr) and not np.issubdtype(dtype, np.complexfloating):
        raise TypeError(
            f"{name} is complex ({arr.dtype}) but the parameters are {dtype}; "
            f"make the parameters complex too"
        )
    _validate_finite(arr, name)
    return np.ascontiguousarray(arr, dtype=dtype)


def validate_labels(
    labels: Any, m: int, n_classes: int, name: str = "labels"
) -> NDArray:
    """Validate class labels: ``m`` integers in ``[0, n_classes)``."""
    arr = np.asarray(labels)
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and arr.size and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{name} must be integer class labels, got {arr.dtype}")
    if arr.shape != (m,):
        raise ValueError(f"{name} must have shape ({m},), got {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        bad = arr[(arr < 0) | (arr >= n_classes)][0]
        raise ValueError(
            f"{name} contains {bad}; expected integers in [0, {n_classes - 1}]"
        )
    return arr.astype(np.intp, copy=False)


def one_hot(
    labels: Any, n_classes: int = 10, dtype: DTypeLike = "float32"
) -> NDArray[Any]:
    """Encode integer labels as one-hot rows, the targets ``y`` of the cost.

    Parameters
    ----------
    labels : array_like of int, shape (m,)
        Class indices in ``0 .. n_classes - 1``.
    n_classes : int, default 10
    dtype : dtype, default "float32"

    Returns
    -------
    ndarray, shape (m, n_classes)
        Row ``k`` is 1 in column ``labels[k]`` and 0 elsewhere.
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)):
        raise TypeError(f"n_classes must be an int, got {n_classes!r}")
    if n_classes < 1:
        raise ValueError(f"n_classes must be positive, got {n_classes}")
    labels = np.asarray(labels)
    if labels.size == 0:
        labels = labels.astype(np.int64)  # np.asarray([]) is float64
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {labels.shape}")
    if labels.dtype.kind not in "iu":
        raise TypeError(f"labels must be integers, got dtype {labels.dtype}")
    bad = (labels < 0) | (labels >= n_classes)
    if bad.any():
        raise ValueError(
            f"labels must be in 0..{n_classes - 1}, got {labels[bad][0]} "
            f"at index {int(np.flatnonzero(bad)[0])}"
        )
    out = np.zeros((labels.size, n_classes), dtype=dtype)
    out[np.arange(labels.size), labels] = 1
    return out


def validate_targets(
    y: Any, m: int, n_out: int, dtype: np.dtype, cost: str | None = None
) -> NDArray:
    """Validate targets: an ``(m, n_out)`` array, or ``m`` integer labels.

    Integer labels are one-hot encoded. For the cross-entropy cost the targets must
    lie in [0, 1], the range in which it is a cost at all (so too for the
    log-likelihood, whose targets are probabilities).
    """
    arr = np.asarray(y)
    _validate_numeric(arr, "y")
    if arr.ndim == 1 and arr.dtype.kind in "iu":
        return one_hot(validate_labels(arr, m, n_out, name="y"), n_out, dtype)
    if arr.shape != (m, n_out):
        raise ValueError(
            f"y must have shape ({m}, {n_out}) (one target row per example of x) "
            f"or be {m} integer labels, got shape {arr.shape}"
        )
    if np.iscomplexobj(arr) and not np.issubdtype(dtype, np.complexfloating):
        raise TypeError(f"y is complex ({arr.dtype}) but the parameters are {dtype}")
    _validate_finite(arr, "y")
    bounded = cost in ("cross_entropy", "log_likelihood")
    if bounded and (np.any(arr.real < 0) or np.any(arr.real > 1)):
        raise ValueError(
            f"y must lie in [0, 1] for the {str(cost).replace('_', '-')} cost, got "
            f"values in [{arr.real.min()}, {arr.real.max()}]"
        )
    return np.ascontiguousarray(arr, dtype=dtype)


def validate_batch(
    weights: Any, biases: Any, x: Any, y: Any, cost: object, activations: Any = None
) -> tuple[
    list[NDArray], list[NDArray], NDArray, NDArray, Cost, tuple[Activation, ...]
]:
    """Validate a network, a batch, a cost and the activations: the common prologue.

    Returns the weight and bias arrays, ``x`` cast to their dtype, ``y`` as an
    ``(m, n_L)`` array of that dtype (integer labels one-hot encoded), the cost
    and the activation of each layer (a cost that makes no sense on the output
    activation is a ValueError naming both).
    """
    cost_fn = get_cost(cost)
    ws, bs, dtype = validate_params(weights, biases)
    layers = resolve_activations(activations, len(ws))
    validate_combination(cost_fn.name, layers[-1])
    x = validate_x(x, ws[0].shape[1], dtype)
    y = validate_targets(y, x.shape[0], ws[-1].shape[0], dtype, cost_fn.name)
    return ws, bs, x, y, cost_fn, layers
