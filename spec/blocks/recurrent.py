r"""Recurrent layers specified: the definitions, the BPTT recursion, the oracle.

In the CS231n layout of :mod:`backprop.blocks.recurrent` (sequences ``(N, T,
D)``, hidden states ``(N, H)``, ``Wx`` ``(D, H)`` or ``(D, 4H)``):

**Definitions** (the forward passes, on NumPy arrays of SymPy expressions):

.. math::

    h_t &= \tanh(x_t W_x + h_{t-1} W_h + b) && \text{(vanilla RNN step)} \\
    a &= x_t W_x + h_{t-1} W_h + b,\ i, f, o = \sigma(a_i, a_f, a_o),\ g = \tanh a_g
        && \text{(LSTM, blocks in } \texttt{gate\_order}) \\
    c_t &= f \odot c_{t-1} + i \odot g,\quad h_t = o \odot \tanh c_t \\
    \text{out}_{n,t} &= W_{x_{n,t}},\quad \text{out}_{n,t} = x_{n,t} w + b
        && \text{(embedding, temporal affine)} \\
    L &= -\frac1N \sum_{n,t} m_{n,t} \Bigl(x_{n,t,y_{n,t}}
        - \ln \sum_v e^{x_{n,t,v}}\Bigr) && \text{(temporal softmax loss)}

**The recursion** (the textbook backward, :func:`recursion_vjp`): BPTT, where
the gradient of :math:`h_{t-1}` is its own upstream gradient plus what step
:math:`t` sends back, the shared parameters sum every step's contribution, and
the LSTM's cell state carries :math:`\bar c_{t-1} = (\bar c_t + \bar h_t \odot o
\odot \tanh' c_t) \odot f`. It is proven equal to direct differentiation of the
unrolled graph in :mod:`spec.blocks.bptt`.

**The oracle** (:func:`recurrent_vjp`, :func:`recurrent_forward`) evaluates the
recursion, with the local derivatives as derived here, in ``mpmath`` at ``dps``
significant digits and rounds once to float64.

This module imports nothing of :mod:`backprop` or :mod:`spec.check`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import mpmath
import numpy as np
import sympy
from numpy.typing import NDArray

from spec.activations import tanh
from spec.caching import cached
from spec.evaluate import mpmath_function
from spec.symbols import sigma
from spec.validation import validate_choice, validate_int

__all__ = [
    "CS231N_GATE_ORDER",
    "INPUTS",
    "KINDS",
    "PYTORCH_GATE_ORDER",
    "Expr",
    "definition",
    "forward_expression",
    "lstm",
    "lstm_step",
    "lstm_step_vjp",
    "lstm_vjp",
    "recurrent_forward",
    "recurrent_vjp",
    "recursion_vjp",
    "rnn",
    "rnn_step",
    "rnn_step_vjp",
    "rnn_vjp",
    "symbol_array",
    "temporal_affine",
    "temporal_softmax_loss",
    "validate_gate_order",
    "word_embedding",
]

#: The recurrent layer kinds, as ``layer_vjp`` names them.
KINDS = (
    "rnn_step",
    "rnn",
    "lstm_step",
    "lstm",
    "word_embedding",
    "temporal_affine",
    "temporal_softmax_loss",
)
#: CS231n's split of the LSTM pre-activation (the default).
CS231N_GATE_ORDER = ("i", "f", "o", "g")
#: PyTorch's ``nn.LSTM`` split.
PYTORCH_GATE_ORDER = ("i", "f", "g", "o")

#: Each kind's inputs by CS231n's names; the differentiable ones first, then
#: the integer or structural ones (indices, targets, mask).
INPUTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "rnn_step": (("x", "prev_h", "Wx", "Wh", "b"), ()),
    "rnn": (("x", "h0", "Wx", "Wh", "b"), ()),
    "lstm_step": (("x", "prev_h", "prev_c", "Wx", "Wh", "b"), ()),
    "lstm": (("x", "h0", "Wx", "Wh", "b"), ()),
    "word_embedding": (("W",), ("x",)),
    "temporal_affine": (("x", "w", "b"), ()),
    "temporal_softmax_loss": (("x",), ("y", "mask")),
}

Expr = NDArray[np.object_]
_tanh = np.frompyfunc(tanh, 1, 1)
_sigma = np.frompyfunc(sigma, 1, 1)
_exp = np.frompyfunc(sympy.exp, 1, 1)


def validate_gate_order(gate_order: Sequence[str]) -> tuple[str, ...]:
    """``gate_order`` as a tuple if it is a permutation of i, f, o, g; else ValueError."""
    order = tuple(gate_order)
    if sorted(order) != sorted(CS231N_GATE_ORDER):
        raise ValueError(
            "gate_order must be a permutation of ('i', 'f', 'o', 'g'), e.g. "
            f"{CS231N_GATE_ORDER} (CS231n) or {PYTORCH_GATE_ORDER} (PyTorch), got "
            f"{gate_order!r}"
        )
    return order


# --- definitions ------------------------------------------------------------------------


def rnn_step(x: Expr, prev_h: Expr, Wx: Expr, Wh: Expr, b: Expr) -> Expr:
    r""":math:`h_t = \tanh(x_t W_x + h_{t-1} W_h + b)`, shapes (N, D), (N, H) -> (N, H)."""
    return _tanh(x @ Wx + prev_h @ Wh + b)


def rnn(x: Expr, h0: Expr, Wx: Expr, Wh: Expr, b: Expr) -> Expr:
    """The RNN unrolled over the T steps of ``x`` (N, T, D): ``h`` (N, T, H)."""
    hs, prev_h = [], h0
    for t in range(x.shape[1]):
        prev_h = rnn_step(x[:, t], prev_h, Wx, Wh, b)
        hs.append(prev_h)
    return np.stack(hs, axis=1)


def _gates(a: Expr, order: tuple[str, ...]) -> dict[str, Expr]:
    blocks = dict(zip(order, np.split(a, 4, axis=1), strict=True))
    return {
        "i": _sigma(blocks["i"]),
        "f": _sigma(blocks["f"]),
        "o": _sigma(blocks["o"]),
        "g": _tanh(blocks["g"]),
    }


def lstm_step(
    x: Expr,
    prev_h: Expr,
    prev_c: Expr,
    Wx: Expr,
    Wh: Expr,
    b: Expr,
    gate_order: Sequence[str] = CS231N_GATE_ORDER,
) -> tuple[Expr, Expr]:
    r"""One LSTM step: ``(next_h, next_c)``, :math:`c_t = f c_{t-1} + i g`, :math:`h_t = o \tanh c_t`."""
    gate = _gates(x @ Wx + prev_h @ Wh + b, validate_gate_order(gate_order))
    next_c = gate["f"] * prev_c + gate["i"] * gate["g"]
    return gate["o"] * _tanh(next_c), next_c


def lstm(
    x: Expr,
    h0: Expr,
    Wx: Expr,
    Wh: Expr,
    b: Expr,
    gate_order: Sequence[str] = CS231N_GATE_ORDER,
) -> Expr:
    """The LSTM unrolled over T steps from ``h0`` and :math:`c_0 = 0`: ``h`` (N, T, H)."""
    hs, prev_h = [], h0
    prev_c = np.full(h0.shape, sympy.S.Zero, dtype=object)
    for t in range(x.shape[1]):
        prev_h, prev_c = lstm_step(x[:, t], prev_h, prev_c, Wx, Wh, b, gate_order)
        hs.append(prev_h)
    return np.stack(hs, axis=1)


def word_embedding(x: NDArray[np.integer], W: Expr) -> Expr:
    r""":math:`\text{out}_{n,t} = W_{x_{n,t}}`: (N, T) indices, (V, D) -> (N, T, D)."""
    return W[x]


def temporal_affine(x: Expr, w: Expr, b: Expr) -> Expr:
    r""":math:`\text{out}_{n,t} = x_{n,t} w + b`: (N, T, D) -> (N, T, M)."""
    return x @ w + b


def temporal_softmax_loss(x: Expr, y: NDArray[np.integer], mask: NDArray) -> sympy.Expr:
    r""":math:`L = -\frac1N \sum_{n,t} m_{n,t} (x_{n,t,y_{n,t}} - \ln \sum_v e^{x_{n,t,v}})`."""
    n, steps, _ = x.shape
    total = sympy.S.Zero
    for e in range(n):
        for t in range(steps):
            if mask[e, t]:
                log_z = sympy.log(sympy.Add(*_exp(x[e, t])))
                total += sympy.Integer(int(mask[e, t])) * (x[e, t, y[e, t]] - log_z)
    return -total / n


def definition(kind: str) -> Callable[..., Any]:
    """The forward definition of ``kind`` (a function of the inputs of :data:`INPUTS`)."""
    definitions: dict[str, Callable[..., Any]] = {
        "rnn_step": rnn_step,
        "rnn": rnn,
        "lstm_step": lstm_step,
        "lstm": lstm,
        "word_embedding": lambda W, x: word_embedding(x, W),
        "temporal_affine": temporal_affine,
        "temporal_softmax_loss": lambda x, y, mask: temporal_softmax_loss(x, y, mask),
    }
    return definitions[validate_choice("kind", kind, KINDS)]


# --- the recursion (the textbook backward) -----------------------------------------------


def rnn_step_vjp(
    dnext_h: Expr, x: Expr, prev_h: Expr, Wx: Expr, Wh: Expr, next_h: Expr
) -> dict[str, Expr]:
    r"""The step's VJP: :math:`\delta = \bar h_t \odot (1 - h_t^2)`, then the products."""
    delta = dnext_h * (1 - next_h**2)
    return {
        "dx": delta @ Wx.T,
        "dprev_h": delta @ Wh.T,
        "dWx": x.T @ delta,
        "dWh": prev_h.T @ delta,
        "db": delta.sum(axis=0),
    }


def rnn_vjp(
    dh: Expr, x: Expr, h0: Expr, Wx: Expr, Wh: Expr, b: Expr, *, carry: bool = True
) -> dict[str, Expr]:
    r"""BPTT: :math:`\bar h_t \mathrel{+}= \bar h_{t+1}`'s contribution, parameters summed.

    ``carry=False`` drops the gradient arriving from step :math:`t + 1` (a known
    mistake, kept so that the proofs can show it refuted).
    """
    h = rnn(x, h0, Wx, Wh, b)
    steps = x.shape[1]
    dx = np.empty(x.shape, dtype=object)
    grads = {"dWx": 0 * Wx, "dWh": 0 * Wh, "db": 0 * b}
    dprev = 0 * h0
    for t in reversed(range(steps)):
        prev_h = h[:, t - 1] if t else h0
        upstream = dh[:, t] + dprev if carry else dh[:, t]
        step = rnn_step_vjp(upstream, x[:, t], prev_h, Wx, Wh, h[:, t])
        dx[:, t], dprev = step["dx"], step["dprev_h"]
        for name in grads:
            grads[name] = grads[name] + step[name]
    return {"dx": dx, "dh0": dprev, **grads}


def lstm_step_vjp(
    dnext_h: Expr,
    dnext_c: Expr,
    x: Expr,
    prev_h: Expr,
    prev_c: Expr,
    Wx: Expr,
    Wh: Expr,
    b: Expr,
    gate_order: Sequence[str] = CS231N_GATE_ORDER,
    backward_order: Sequence[str] | None = None,
) -> dict[str, Expr]:
    r"""The LSTM step's VJP (``backward_order`` other than the forward's: a known mistake).

    .. math::

        \bar c = \bar c_t + \bar h_t \odot o \odot (1 - \tanh^2 c_t),\quad
        \bar a_i = \bar c\, g\, i(1 - i),\ \bar a_f = \bar c\, c_{t-1} f(1 - f),\
        \bar a_o = \bar h_t \tanh(c_t)\, o(1 - o),\ \bar a_g = \bar c\, i (1 - g^2)
    """
    order = validate_gate_order(gate_order)
    gate = _gates(x @ Wx + prev_h @ Wh + b, order)
    i, f, o, g = gate["i"], gate["f"], gate["o"], gate["g"]
    tanh_c = _tanh(f * prev_c + i * g)
    dc = dnext_c + dnext_h * o * (1 - tanh_c**2)
    da = {
        "i": dc * g * i * (1 - i),
        "f": dc * prev_c * f * (1 - f),
        "o": dnext_h * tanh_c * o * (1 - o),
        "g": dc * i * (1 - g**2),
    }
    back = order if backward_order is None else validate_gate_order(backward_order)
    a_bar = np.concatenate([da[name] for name in back], axis=1)
    return {
        "dx": a_bar @ Wx.T,
        "dprev_h": a_bar @ Wh.T,
        "dprev_c": dc * f,
        "dWx": x.T @ a_bar,
        "dWh": prev_h.T @ a_bar,
        "db": a_bar.sum(axis=0),
    }


def lstm_vjp(
    dh: Expr,
    x: Expr,
    h0: Expr,
    Wx: Expr,
    Wh: Expr,
    b: Expr,
    gate_order: Sequence[str] = CS231N_GATE_ORDER,
    *,
    carry: bool = True,
    backward_order: Sequence[str] | None = None,
) -> dict[str, Expr]:
    r"""BPTT through the LSTM: :math:`\bar h` and :math:`\bar c` carried back, :math:`\bar c_T = 0`."""
    hs, cs = [h0], [np.full(h0.shape, sympy.S.Zero, dtype=object)]
    for t in range(x.shape[1]):
        next_h, next_c = lstm_step(x[:, t], hs[-1], cs[-1], Wx, Wh, b, gate_order)
        hs.append(next_h)
        cs.append(next_c)
    dx = np.empty(x.shape, dtype=object)
    grads = {"dWx": 0 * Wx, "dWh": 0 * Wh, "db": 0 * b}
    dprev_h, dprev_c = 0 * h0, 0 * h0
    for t in reversed(range(x.shape[1])):
        upstream = dh[:, t] + dprev_h if carry else dh[:, t]
        step = lstm_step_vjp(
            upstream,
            dprev_c,
            x[:, t],
            hs[t],
            cs[t],
            Wx,
            Wh,
            b,
            gate_order,
            backward_order,
        )
        dx[:, t], dprev_h, dprev_c = step["dx"], step["dprev_h"], step["dprev_c"]
        for name in grads:
            grads[name] = grads[name] + step[name]
    return {"dx": dx, "dh0": dprev_h, **grads}


def recursion_vjp(
    kind: str,
    inputs: Mapping[str, Any],
    dout: Any,
    *,
    gate_order: Sequence[str] = CS231N_GATE_ORDER,
) -> dict[str, Any]:
    """The textbook backward of ``kind`` on arrays of SymPy expressions (or numbers).

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    inputs : mapping
        By CS231n's names (:data:`INPUTS`).
    dout
        The upstream gradient: ``dnext_h`` for ``"rnn_step"``, ``(dnext_h,
        dnext_c)`` for ``"lstm_step"``, ``dh`` for the sequences, ``dout`` for
        the embedding and the temporal affine layer, the scalar for the loss.

    Returns
    -------
    dict of str to ndarray of object
        ``dx``, ``dprev_h``, ``dWx``, ... as the kind has them.
    """
    v = inputs
    if kind == "rnn_step":
        next_h = rnn_step(v["x"], v["prev_h"], v["Wx"], v["Wh"], v["b"])
        return rnn_step_vjp(dout, v["x"], v["prev_h"], v["Wx"], v["Wh"], next_h)
    if kind == "rnn":
        return rnn_vjp(dout, v["x"], v["h0"], v["Wx"], v["Wh"], v["b"])
    if kind == "lstm_step":
        dnext_h, dnext_c = dout
        return lstm_step_vjp(
            dnext_h,
            dnext_c,
            v["x"],
            v["prev_h"],
            v["prev_c"],
            v["Wx"],
            v["Wh"],
            v["b"],
            gate_order,
        )
    if kind == "lstm":
        return lstm_vjp(dout, v["x"], v["h0"], v["Wx"], v["Wh"], v["b"], gate_order)
    if kind == "word_embedding":
        dW = 0 * v["W"]
        for (e, t), word in np.ndenumerate(v["x"]):
            dW[word] = dW[word] + dout[e, t]
        return {"dW": dW}
    if kind == "temporal_affine":
        x, w = v["x"], v["w"]
        flat = x.reshape(-1, x.shape[2])
        return {
            "dx": dout @ w.T,
            "dw": flat.T @ dout.reshape(-1, w.shape[1]),
            "db": dout.sum(axis=(0, 1)),
        }
    if kind == "temporal_softmax_loss":
        x, y, mask = v["x"], v["y"], v["mask"]
        dx = np.empty(x.shape, dtype=object)
        for (e, t), target in np.ndenumerate(y):
            e_x = _exp(x[e, t])
            p = e_x / sympy.Add(*e_x)
            p[target] -= 1
            dx[e, t] = p * sympy.Integer(int(mask[e, t])) / x.shape[0] * dout
        return {"dx": dx}
    raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


# --- symbols, the output of a definition ----------------------------------------------------------------------


def symbol_array(name: str, shape: tuple[int, ...]) -> Expr:
    """An object array of real symbols named ``name_{i,j,...}``, of ``shape``."""
    array = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        array[index] = sympy.Symbol(
            f"{name}_{{{','.join(map(str, index))}}}", real=True
        )
    return array


def forward_expression(
    kind: str, values: Mapping[str, Any], gate_order: Sequence[str]
) -> Any:
    """The output of ``kind``'s definition at ``values`` (by the names of :data:`INPUTS`)."""
    define = definition(kind)
    names = INPUTS[kind][0] + INPUTS[kind][1]
    args = [values[name] for name in names]
    if kind.startswith("lstm"):
        return define(*args, gate_order)
    return define(*args)


# --- the oracle -----------------------------------------------------------------------------------


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
        One of :data:`KINDS`.
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
