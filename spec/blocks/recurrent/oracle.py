"""The recurrent layers' oracle: their forward and VJP evaluated from the
definitions in ``mpmath`` (:func:`recurrent_forward`, :func:`recurrent_vjp`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import mpmath
import numpy as np
import sympy
from numpy.typing import NDArray

from spec.blocks.recurrent.definitions import (
    CS231N_GATE_ORDER,
    INPUTS,
    KINDS,
    validate_gate_order,
)
from spec.blocks.recurrent.recursion import (
    forward_expression,
    recursion_vjp,
    symbol_array,
)
from spec.caching import cached
from spec.evaluate import mpmath_function
from spec.validation import validate_choice, validate_int

__all__ = [
    "recurrent_forward",
    "recurrent_vjp",
]


@cached(maxsize=64)
def _compiled(
    kind: str,
    shapes: tuple[tuple[str, tuple[int, ...]], ...],
    structure: tuple[tuple[str, bytes, tuple[int, ...]], ...],
    gate_order: tuple[str, ...],
) -> tuple[
    Callable[..., list[Any]],
    tuple[tuple[str, tuple[int, ...]], ...],
    tuple[tuple[str, tuple[int, ...]], ...],
]:
    symbols = {name: symbol_array(name, shape) for name, shape in shapes}
    args = [s for name, _ in shapes for s in symbols[name].ravel()]
    values: dict[str, Any] = dict(symbols)
    for name, raw, shape in structure:
        values[name] = np.frombuffer(raw, dtype=np.int64).reshape(shape)
    if kind == "lstm_step":
        dout: Any = (values.pop("dnext_h"), values.pop("dnext_c"))
    elif kind == "temporal_softmax_loss":
        dout = values.pop("dout")[()]
    else:
        dout = values.pop("dout")
    grads = recursion_vjp(kind, values, dout, gate_order=gate_order)
    outputs = tuple((name, np.shape(grads[name])) for name in sorted(grads))
    exprs = [sympy.sympify(e) for name, _ in outputs for e in np.ravel(grads[name])]
    return mpmath_function(args, exprs), shapes, outputs


@cached(maxsize=32)
def _forward_compiled(
    kind: str,
    shapes: tuple[tuple[str, tuple[int, ...]], ...],
    structure: tuple[tuple[str, bytes, tuple[int, ...]], ...],
    gate_order: tuple[str, ...],
) -> tuple[Callable[..., list[Any]], list[tuple[int, ...]]]:
    values: dict[str, Any] = {name: symbol_array(name, shape) for name, shape in shapes}
    for name, raw, shape in structure:
        values[name] = np.frombuffer(raw, dtype=np.int64).reshape(shape)
    out = forward_expression(kind, values, gate_order)
    parts = out if isinstance(out, tuple) else (out,)
    args = [s for name, shape in shapes for s in values[name].ravel()]
    exprs = [sympy.sympify(e) for part in parts for e in np.ravel(part)]
    return mpmath_function(args, exprs), [np.shape(part) for part in parts]


def _prepare(
    kind: str, inputs: Mapping[str, Any], dout: Any, with_dout: bool
) -> tuple[list[tuple[str, NDArray]], list[tuple[str, NDArray]]]:
    validate_choice("kind", kind, KINDS)
    if not isinstance(inputs, Mapping):
        raise TypeError(
            f"inputs must be a dict by CS231n's names, got {type(inputs).__name__}"
        )
    differentiable, structural = INPUTS[kind]
    missing = [name for name in (*differentiable, *structural) if name not in inputs]
    if missing:
        raise ValueError(
            f"inputs of kind {kind!r} must hold {differentiable + structural}, missing {missing}"
        )
    real = []
    for name in differentiable:
        array = np.asarray(inputs[name])
        if array.dtype.kind not in "iuf":
            raise TypeError(
                f"inputs[{name!r}] must be a real array, got dtype {array.dtype}"
            )
        real.append((name, array.astype(np.float64)))
    ints = []
    for name in structural:
        array = np.asarray(inputs[name])
        if array.dtype.kind not in "biu":
            raise TypeError(
                f"inputs[{name!r}] must be an integer (or boolean) array, got dtype "
                f"{array.dtype}"
            )
        ints.append((name, array.astype(np.int64)))
    if with_dout:
        if kind == "lstm_step":
            dnext_h, dnext_c = dout
            real += [
                ("dnext_h", np.asarray(dnext_h, np.float64)),
                ("dnext_c", np.asarray(dnext_c, np.float64)),
            ]
        else:
            real.append(("dout", np.asarray(dout, np.float64)))
    return real, ints


def recurrent_vjp(
    kind: str, inputs: Mapping[str, Any], dout: Any, *, dps: int = 50, **hyper: Any
) -> dict[str, NDArray[np.float64]]:
    """The VJP of a recurrent layer from its proven recursion, in ``mpmath``.

    Parameters
    ----------
    kind : str
        One of :data:`~spec.blocks.recurrent.definitions.KINDS`.
    inputs : dict
        By CS231n's names: ``x, prev_h, Wx, Wh, b`` (``"rnn_step"``), ``x, h0,
        Wx, Wh, b`` (``"rnn"``, ``"lstm"``), ``x, prev_h, prev_c, Wx, Wh, b``
        (``"lstm_step"``), ``x`` (indices), ``W`` (``"word_embedding"``), ``x,
        w, b`` (``"temporal_affine"``), ``x, y, mask``
        (``"temporal_softmax_loss"``).
    dout
        The upstream gradient: ``(N, H)``; ``(dnext_h, dnext_c)`` for
        ``"lstm_step"``; ``(N, T, H)``, ``(N, T, D)`` or ``(N, T, M)`` for the
        sequence layers; the scalar upstream gradient (1.0) of the loss.
    dps : int, default 50
        Significant digits of the evaluation.
    **hyper
        ``gate_order`` for the LSTM kinds (CS231n's ``("i", "f", "o", "g")`` by
        default).

    Returns
    -------
    dict of str to ndarray of float64
        ``dx``, ``dprev_h``/``dh0``, ``dprev_c``, ``dWx``, ``dWh``, ``db``,
        ``dW``, ``dw`` as the kind has them.

    Examples
    --------
    >>> import numpy as np
    >>> grads = recurrent_vjp("temporal_softmax_loss",
    ...     {"x": np.zeros((1, 1, 2)), "y": np.array([[0]]), "mask": np.array([[1]])},
    ...     1.0)
    >>> grads["dx"].tolist()
    [[[-0.5, 0.5]]]
    """
    gate_order = validate_gate_order(hyper.pop("gate_order", CS231N_GATE_ORDER))
    if hyper:
        raise TypeError(f"unknown hyper-parameters for {kind!r}: {sorted(hyper)}")
    dps = validate_int("dps", dps, 16)
    real, ints = _prepare(kind, inputs, dout, with_dout=True)
    shapes = tuple((name, array.shape) for name, array in real)
    structure = tuple((name, array.tobytes(), array.shape) for name, array in ints)
    function, _, outputs = _compiled(kind, shapes, structure, gate_order)
    with mpmath.workdps(dps):
        args = [mpmath.mpf(float(v)) for _, array in real for v in array.ravel()]
        values = function(*args)
    result, position = {}, 0
    for name, shape in outputs:
        size = int(np.prod(shape))
        result[name] = np.array(
            [float(v) for v in values[position : position + size]], dtype=np.float64
        ).reshape(shape)
        position += size
    return result


def recurrent_forward(
    kind: str, inputs: Mapping[str, Any], *, dps: int = 50, **hyper: Any
) -> Any:
    """The forward value of a recurrent layer from its definition, in ``mpmath``.

    Returns the output array (float64), ``(next_h, next_c)`` for
    ``"lstm_step"``, the scalar loss for ``"temporal_softmax_loss"``.
    """
    gate_order = validate_gate_order(hyper.pop("gate_order", CS231N_GATE_ORDER))
    if hyper:
        raise TypeError(f"unknown hyper-parameters for {kind!r}: {sorted(hyper)}")
    real, ints = _prepare(kind, inputs, None, with_dout=False)
    shapes = tuple((name, array.shape) for name, array in real)
    structure = tuple((name, array.tobytes(), array.shape) for name, array in ints)
    function, parts = _forward_compiled(kind, shapes, structure, gate_order)
    with mpmath.workdps(validate_int("dps", dps, 16)):
        values = function(*(mpmath.mpf(float(v)) for _, a in real for v in a.ravel()))
    out, position = [], 0
    for shape in parts:
        size = int(np.prod(shape))
        out.append(
            np.array([float(v) for v in values[position : position + size]]).reshape(
                shape
            )
        )
        position += size
    if kind == "temporal_softmax_loss":
        return float(out[0])
    return tuple(out) if len(out) > 1 else out[0]
