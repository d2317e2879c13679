r"""Inverted dropout: units kept with probability ``keep``, scaled by ``1/keep``.

``keep`` is the probability of *keeping* a unit (CS231n's ``p`` since 2017;
PyTorch's ``p`` is the probability of dropping one). Scaling at training time
makes the expected output equal the input, so test time is the identity.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from backprop.blocks.validation import float_array, positive_number

__all__ = ["dropout_backward", "dropout_forward"]


def dropout_forward(
    x: NDArray[Any],
    *,
    keep: float,
    rng: int | np.random.Generator | None = None,
    mask: NDArray[Any] | None = None,
    train: bool = True,
) -> tuple[NDArray[Any], dict[str, Any]]:
    r"""Zero each unit with probability :math:`1 - q` and scale the rest by :math:`1/q`.

    .. math:: \mathrm{out} = \frac{M \odot x}{q} \ \text{(training)}, \qquad
        \mathrm{out} = x \ \text{(test)},

    with :math:`q` = ``keep`` and :math:`M_i \sim \mathrm{Bernoulli}(q)`.

    Parameters
    ----------
    x : ndarray, any shape
    keep : float
        :math:`q \in (0, 1]`, the probability of keeping a unit.
    rng : int or numpy.random.Generator, optional
        Seed or generator of the mask; required in training unless ``mask`` is
        given.
    mask : ndarray of bool or of 0/1, shaped as ``x``, optional
        The mask :math:`M` to use instead of drawing one.
    train : bool, default True
        False: test time, ``out = x``.

    Returns
    -------
    out : ndarray, shaped and typed as ``x``
    cache : dict
        The mask (as ``x``'s dtype, already scaled by :math:`1/q`) for
        :func:`dropout_backward`; ``None`` at test time.
    """
    x = float_array(x, "x")
    q = positive_number(keep, "keep", upper=1.0)
    if not isinstance(train, bool):
        raise TypeError(f"train must be a bool, got {train!r}")
    if not train:
        return x.copy(), {"scaled_mask": None, "keep": q, "shape": x.shape}
    if mask is None:
        if rng is None:
            raise ValueError(
                "rng must be a seed or numpy.random.Generator when train=True and "
                "no mask is given"
            )
        drawn = np.random.default_rng(rng).random(x.shape, dtype=np.float64) < q
    else:
        drawn = np.asarray(mask)
        if drawn.shape != x.shape:
            raise ValueError(
                f"mask must have the shape of x {x.shape}, got {drawn.shape}"
            )
        if drawn.dtype != bool and not np.isin(drawn, (0, 1)).all():
            raise ValueError("mask must hold only 0 and 1 (or booleans)")
    scaled = drawn.astype(x.dtype) * x.dtype.type(1 / q)
    return x * scaled, {"scaled_mask": scaled, "keep": q, "shape": x.shape}


def dropout_backward(dout: NDArray[Any], cache: dict[str, Any]) -> NDArray[Any]:
    r"""The VJP of :func:`dropout_forward`: the same mask and scale.

    .. math:: \frac{\partial L}{\partial x} = \frac{M \odot G}{q}
        \ \text{(training)}, \qquad G \ \text{(test)}

    Parameters
    ----------
    dout : ndarray, shaped as ``x``
    cache : dict
        From :func:`dropout_forward`.

    Returns
    -------
    dx : ndarray, shaped as ``x``
    """
    dout = float_array(dout, "dout")
    if dout.shape != cache["shape"]:
        raise ValueError(
            f"dout must have the shape of x {cache['shape']}, got {dout.shape}"
        )
    scaled = cache["scaled_mask"]
    return dout.copy() if scaled is None else dout * scaled
