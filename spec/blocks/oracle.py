r"""The oracle of the layers: each block's derived formulas evaluated in ``mpmath``.

:func:`layer_vjp` and :func:`layer_forward` evaluate the formulas of the layer's
:class:`~spec.blocks.evaluate.Block` (the vector-Jacobian product SymPy derived
from the definition for the layers proven for every size; the backward formula
proven at fixed sizes for the normalisations and losses) at ``dps`` significant
digits, and round once to float64. Inputs convert to ``mpmath`` exactly (a
float64 is a binary fraction) and every operation carries ``dps`` digits (the
normalisations' :math:`x - \mu` loses at most the 16 or so digits two float64
values can share), so the error of the result is that last rounding.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import mpmath
import numpy as np
import numpy.typing as npt

from spec.blocks import (
    affine,
    convolution,
    dropout,
    losses,
    normalisation,
    pooling,
)
from spec.blocks.evaluate import Block, Prepared, compile_formulas
from spec.blocks.recurrent.definitions import KINDS as RECURRENT_KINDS
from spec.blocks.recurrent.oracle import recurrent_forward, recurrent_vjp
from spec.caching import cached
from spec.validation import validate_choice, validate_int

__all__ = ["KINDS", "layer_forward", "layer_forward_exact", "layer_vjp"]

FloatArray = npt.NDArray[np.float64]

_Prepare = Callable[[dict[str, Any], Any, dict[str, Any]], Prepared]

#: Each kind: its block, how its inputs are bound, the hyper-parameters it takes.
_REGISTRY: dict[str, tuple[Callable[[], Block], _Prepare, frozenset[str]]] = {
    "affine": (affine.block, affine.prepare, frozenset()),
    "relu": (affine.relu_block, affine.relu_prepare, frozenset()),
    "convolution": (
        convolution.block,
        convolution.prepare,
        frozenset({"stride", "padding"}),
    ),
    "max_pool": (pooling.max_block, pooling.max_prepare, frozenset({"size", "stride"})),
    "average_pool": (
        pooling.average_block,
        pooling.average_prepare,
        frozenset({"size", "stride"}),
    ),
    "batchnorm": (
        normalisation.batchnorm_block,
        normalisation.batchnorm_prepare,
        frozenset({"eps", "mode", "momentum", "running_mean", "running_var"}),
    ),
    "layernorm": (
        normalisation.layernorm_block,
        normalisation.layernorm_prepare,
        frozenset({"eps"}),
    ),
    "spatial_batchnorm": (
        normalisation.spatial_batchnorm_block,
        normalisation.spatial_batchnorm_prepare,
        frozenset({"eps", "mode", "momentum", "running_mean", "running_var"}),
    ),
    "groupnorm": (
        normalisation.groupnorm_block,
        normalisation.groupnorm_prepare,
        frozenset({"eps", "groups"}),
    ),
    "dropout": (dropout.block, dropout.prepare, frozenset({"mask", "keep", "train"})),
    "softmax_loss": (losses.softmax_block, losses.softmax_prepare, frozenset()),
    "hinge_loss": (losses.hinge_block, losses.hinge_prepare, frozenset({"margin"})),
}
#: The layers the oracle knows, as :func:`layer_vjp` names them.
KINDS = tuple(_REGISTRY)
_BLOCKS: dict[str, Callable[[], Block]] = {
    **{kind: entry[0] for kind, entry in _REGISTRY.items()},
    "batchnorm:test": lambda: normalisation.test_mode_block("batchnorm"),
    "spatial_batchnorm:test": lambda: normalisation.test_mode_block(
        "spatial_batchnorm"
    ),
}


@cached(maxsize=64)
def _compiled(kind: str, backward: bool) -> Callable[..., dict[str, np.ndarray]]:
    block = _BLOCKS[kind]()
    formulas = block.backward if backward else (block.forward,)
    return compile_formulas(formulas, block.arrays, block.scalars)


def _exact(array: np.ndarray) -> np.ndarray:
    if array.dtype.kind in "iub":
        values = [int(v) for v in array.ravel()]
    elif array.dtype == object:
        values = [mpmath.mpf(v) for v in array.ravel()]
    else:
        values = [mpmath.mpf(float(v)) for v in array.ravel()]
    result = np.empty(array.size, dtype=object)
    result[:] = values
    return result.reshape(array.shape)


def _prepare(
    kind: str, inputs: Any, dout: Any, hyper: dict[str, Any]
) -> tuple[Prepared, int]:
    validate_choice("kind", kind, KINDS)
    if not isinstance(inputs, Mapping):
        raise TypeError(
            f"inputs must be a dict of arrays by name (x, w, b, gamma, beta, scores, "
            f"y), got {type(inputs).__name__}"
        )
    allowed = _REGISTRY[kind][2]
    unknown = set(hyper) - allowed - {"dps"}
    if unknown:
        raise ValueError(
            f"{kind} takes the hyper-parameters {sorted(allowed)}, got unknown "
            f"{sorted(unknown)}"
        )
    dps = validate_int("dps", hyper.pop("dps", 50), 20)
    return _REGISTRY[kind][1](dict(inputs), dout, hyper), dps


def _evaluate(
    kind: str, prepared: Prepared, dps: int, backward: bool
) -> dict[str, np.ndarray]:
    """The formulas' values as object arrays of ``mpmath`` numbers, reshaped."""
    function = _compiled(kind + prepared.variant, backward)
    with mpmath.workdps(dps):
        numbers = {
            s: (v if isinstance(v, (int, np.integer)) else mpmath.mpf(v))
            for s, v in prepared.numbers.items()
        }
        exact = function(
            {name: _exact(a) for name, a in prepared.arrays.items()}, numbers
        )
    return {name: v.reshape(prepared.shapes[name]) for name, v in exact.items()}


def _rounded(values: np.ndarray) -> FloatArray:
    floats = np.array([float(u) for u in values.ravel()], dtype=np.float64)
    return floats.reshape(values.shape)


def layer_vjp(
    kind: str, inputs: Mapping[str, Any], dout: Any, *, dps: int = 50, **hyper: Any
) -> dict[str, FloatArray]:
    r"""The vector-Jacobian product of a layer, from its SymPy derivation.

    Parameters
    ----------
    kind : str
        One of :data:`~spec.blocks.oracle.KINDS`: ``"affine"``, ``"relu"``, ``"convolution"``,
        ``"max_pool"``, ``"average_pool"``, ``"batchnorm"``, ``"layernorm"``,
        ``"spatial_batchnorm"``, ``"groupnorm"``, ``"dropout"``,
        ``"softmax_loss"``, ``"hinge_loss"``; and the recurrent kinds of
        :data:`spec.blocks.recurrent.definitions.KINDS`, handed to
        :func:`~spec.blocks.recurrent.oracle.recurrent_vjp`.
    inputs : dict of str to array_like
        By CS231n's names: ``x``, ``w``, ``b`` (affine: x (N, d1, ..., dk), w
        (D, M), b (M,); convolution: x (N, C, H, W), w (F, C, H_K, W_K), b (F,)),
        ``gamma``, ``beta`` (batch and layer norm (D,); spatial batch norm (C,);
        group norm (1, C, 1, 1)), ``scores`` (N, K) and integer labels ``y``
        (N,) for the losses.
    dout : array_like or float
        The upstream gradient, shaped as the layer's output; for the losses the
        scalar upstream gradient of the loss (1.0).
    dps : int, default 50
        Significant decimal digits of the evaluation (at least 20).
    **hyper
        The layer's keywords, as :mod:`backprop.blocks` names them: ``stride``,
        ``padding`` (an int or a pair rows, columns), ``size`` (the pooling
        window, a pair or an int), ``eps``, ``groups``, ``mask``, ``keep``,
        ``train``, ``margin``; batch norm's ``mode`` (``"train"`` or
        ``"test"``, with ``running_mean`` and ``running_var``; ``momentum`` is
        accepted and changes no gradient).

    Returns
    -------
    dict of str to ndarray of float64
        ``dx``, ``dw``, ``db``, ``dgamma``, ``dbeta`` as they apply (each shaped
        as its input), or ``dscores`` for the losses.

    Raises
    ------
    ValueError
        For an unknown kind or keyword, inconsistent shapes, NaN or infinite
        entries, or a hyper-parameter out of range.
    TypeError
        For a non-numeric array or a hyper-parameter of the wrong type.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x, w, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), np.zeros(4)
    >>> g = rng.standard_normal((2, 4))
    >>> grads = layer_vjp("affine", {"x": x, "w": w, "b": b}, g)
    >>> np.allclose(grads["dx"], g @ w.T), np.allclose(grads["dw"], x.T @ g)
    (True, True)
    """
    if kind in RECURRENT_KINDS:
        return recurrent_vjp(kind, inputs, dout, dps=dps, **hyper)
    prepared, digits = _prepare(kind, inputs, dout, dict(hyper, dps=dps))
    exact = _evaluate(kind, prepared, digits, backward=True)
    return {name: _rounded(values) for name, values in exact.items()}


def layer_forward(
    kind: str, inputs: Mapping[str, Any], *, dps: int = 50, **hyper: Any
) -> FloatArray:
    """The output of a layer from its SymPy definition, in high precision.

    Parameters are those of :func:`layer_vjp` without ``dout``; for the losses
    the result is the loss, a 0-d array.

    Returns
    -------
    ndarray of float64

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> layer_forward("max_pool", {"x": x}, size=(2, 2), stride=2)[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    if kind in RECURRENT_KINDS:
        return recurrent_forward(kind, inputs, dps=dps, **hyper)
    prepared, digits = _prepare(kind, inputs, None, dict(hyper, dps=dps))
    return _rounded(_evaluate(kind, prepared, digits, backward=False)["out"])


def layer_forward_exact(
    kind: str, inputs: Mapping[str, Any], *, dps: int = 50, **hyper: Any
) -> np.ndarray:
    """:func:`layer_forward` unrounded: an object array of ``mpmath`` numbers.

    The inputs may themselves be object arrays of ``mpmath.mpf`` (kept at their
    precision), so that a finite difference with a step far below float64's
    resolution can be taken on the oracle itself (the tests of
    :mod:`spec.blocks` do).

    Returns
    -------
    ndarray of object
        ``mpmath.mpf`` entries computed at ``dps`` digits.
    """
    prepared, digits = _prepare(kind, inputs, None, dict(hyper, dps=dps))
    return _evaluate(kind, prepared, digits, backward=False)["out"]
