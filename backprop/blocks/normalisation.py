r"""Batch, layer, spatial batch and group normalisation.

Each standardises :math:`x` over a set :math:`S` of axes (the batch for batch
norm, the features for layer norm, ...), then scales and shifts per feature or
channel:

.. math::

    \mu = \frac1m \sum_{S} x, \quad
    \sigma^2 = \frac1m \sum_{S} (x - \mu)^2, \quad
    \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \quad
    \mathrm{out} = \gamma \hat x + \beta,

with :math:`m` the number of entries in :math:`S` and :math:`\sigma^2` the biased
variance. All four share one backward (:func:`normalise_backward`).

Batch norm keeps running statistics for test time, in CS231n's convention:
``new = momentum * old + (1 - momentum) * batch``, with ``momentum=0.9`` weighing
the old value and the batch variance biased (PyTorch's ``momentum=0.1`` weighs
the new value, and its running variance is unbiased). Missing running
statistics start at zero, as CS231n's do.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from backprop.blocks.validation import float_array, positive_number, same_dtype

__all__ = [
    "batchnorm_backward",
    "batchnorm_forward",
    "groupnorm_backward",
    "groupnorm_forward",
    "layernorm_backward",
    "layernorm_forward",
    "normalise_backward",
    "spatial_batchnorm_backward",
    "spatial_batchnorm_forward",
]

MODES = ("train", "test")


def batchnorm_forward(
    x: NDArray[Any],
    gamma: NDArray[Any],
    beta: NDArray[Any],
    *,
    mode: str = "train",
    eps: float = 1e-5,
    momentum: float = 0.9,
    running_mean: NDArray[Any] | None = None,
    running_var: NDArray[Any] | None = None,
) -> tuple[NDArray[Any], dict[str, Any]]:
    r"""Normalise each feature over the batch, then scale by ``gamma``, shift by ``beta``.

    In training, :math:`\mu` and :math:`\sigma^2` are the batch's (over axis 0);
    at test time, the running statistics.

    Parameters
    ----------
    x : ndarray, shape (N, D)
    gamma, beta : ndarray, shape (D,)
    mode : {"train", "test"}
    eps : float, default 1e-5
        :math:`\epsilon > 0`, added to the variance.
    momentum : float, default 0.9
        Weight of the old running statistic, in [0, 1].
    running_mean, running_var : ndarray, shape (D,), optional
        The running statistics; zero if not given (required at test time).

    Returns
    -------
    out : ndarray, shape (N, D)
    cache : dict
        For :func:`batchnorm_backward`; ``cache["running_mean"]`` and
        ``cache["running_var"]`` hold the updated running statistics (unchanged
        at test time). The arrays passed in are not modified.
    """
    x = float_array(x, "x", ndim=2)
    return _batch_statistics_forward(
        x, gamma, beta, (0,), mode, eps, momentum, running_mean, running_var
    )


def batchnorm_backward(
    dout: NDArray[Any], cache: dict[str, Any]
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    r"""The VJP of :func:`batchnorm_forward`, through the batch statistics.

    In training (:math:`S` = the batch axis, :math:`m = N`):

    .. math::

        \frac{\partial L}{\partial x} = \frac{\gamma}{\sqrt{\sigma^2 + \epsilon}}
        \Big(G - \frac1m \sum_S G - \hat x \frac1m \sum_S G \hat x\Big), \quad
        \frac{\partial L}{\partial \gamma} = \sum_S G \hat x, \quad
        \frac{\partial L}{\partial \beta} = \sum_S G;

    at test time the statistics are constants and
    :math:`\partial L/\partial x = \gamma G / \sqrt{\sigma^2_{run} + \epsilon}`.

    Parameters
    ----------
    dout : ndarray, shape (N, D)
    cache : dict
        From :func:`batchnorm_forward`.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dgamma, dbeta : ndarray, shape (D,)
    """
    return normalise_backward(dout, cache)


def spatial_batchnorm_forward(
    x: NDArray[Any],
    gamma: NDArray[Any],
    beta: NDArray[Any],
    *,
    mode: str = "train",
    eps: float = 1e-5,
    momentum: float = 0.9,
    running_mean: NDArray[Any] | None = None,
    running_var: NDArray[Any] | None = None,
) -> tuple[NDArray[Any], dict[str, Any]]:
    r"""Batch norm of each channel over the batch and all positions.

    :math:`S` = the axes N, H, W (:math:`m = N H W`); otherwise as
    :func:`batchnorm_forward`.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    gamma, beta : ndarray, shape (C,)
    mode, eps, momentum : as :func:`batchnorm_forward`
    running_mean, running_var : ndarray, shape (C,), optional

    Returns
    -------
    out : ndarray, shape (N, C, H, W)
    cache : dict
        As :func:`batchnorm_forward`'s.
    """
    x = float_array(x, "x", ndim=4)
    return _batch_statistics_forward(
        x, gamma, beta, (0, 2, 3), mode, eps, momentum, running_mean, running_var
    )


def spatial_batchnorm_backward(
    dout: NDArray[Any], cache: dict[str, Any]
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    r"""The VJP of :func:`spatial_batchnorm_forward`.

    The equation of :func:`batchnorm_backward` with :math:`S` = the axes N, H, W
    and :math:`m = NHW`, per channel :math:`c`:

    .. math::

        \frac{\partial L}{\partial x_{nchw}} = \frac{\gamma_c}{\sqrt{\sigma_c^2 +
        \epsilon}} \Big(G_{nchw} - \frac1m \sum_{n'h'w'} G_{n'ch'w'} - \hat
        x_{nchw} \frac1m \sum_{n'h'w'} G_{n'ch'w'} \hat x_{n'ch'w'}\Big),

        \frac{\partial L}{\partial \gamma_c} = \sum_{nhw} G_{nchw} \hat x_{nchw},
        \qquad \frac{\partial L}{\partial \beta_c} = \sum_{nhw} G_{nchw}

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    dgamma, dbeta : ndarray, shape (C,)
    """
    return normalise_backward(dout, cache)


def layernorm_forward(
    x: NDArray[Any], gamma: NDArray[Any], beta: NDArray[Any], *, eps: float = 1e-5
) -> tuple[NDArray[Any], dict[str, Any]]:
    r"""Normalise each example over its features, then scale and shift per feature.

    :math:`S` = the feature axis (:math:`m = D`); the same in training and at
    test time, with no running statistics.

    Parameters
    ----------
    x : ndarray, shape (N, D)
    gamma, beta : ndarray, shape (D,)
    eps : float, default 1e-5

    Returns
    -------
    out : ndarray, shape (N, D)
    cache : dict
        For :func:`layernorm_backward`.
    """
    x = float_array(x, "x", ndim=2)
    gamma, beta = _scale_shift(x, gamma, beta, (x.shape[1],))
    eps = positive_number(eps, "eps")
    _, _, inv_std, xhat = _standardise(x, (1,), eps)
    return gamma * xhat + beta, _cache(xhat, inv_std, gamma, (1,), (0,), "train")


def layernorm_backward(
    dout: NDArray[Any], cache: dict[str, Any]
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    r"""The VJP of :func:`layernorm_forward`.

    Each row is standardised over its D features, so the mean terms run over
    the features, with :math:`D_{nd} = \gamma_d G_{nd}` (the scale varies
    along the normalised axis):

    .. math::

        \frac{\partial L}{\partial x_{nd}} = \frac{1}{\sqrt{\sigma_n^2 +
        \epsilon}} \Big(D_{nd} - \frac1D \sum_{d'} D_{nd'} - \hat x_{nd}
        \frac1D \sum_{d'} D_{nd'} \hat x_{nd'}\Big),

        \frac{\partial L}{\partial \gamma_d} = \sum_n G_{nd} \hat x_{nd}, \qquad
        \frac{\partial L}{\partial \beta_d} = \sum_n G_{nd}

    Returns
    -------
    dx : ndarray, shape (N, D)
    dgamma, dbeta : ndarray, shape (D,)
    """
    return normalise_backward(dout, cache)


def groupnorm_forward(
    x: NDArray[Any],
    gamma: NDArray[Any],
    beta: NDArray[Any],
    *,
    groups: int,
    eps: float = 1e-5,
) -> tuple[NDArray[Any], dict[str, Any]]:
    r"""Normalise each example over each group of channels and all positions.

    The C channels are split into ``groups`` consecutive groups of C/G; for
    each example and group, :math:`S` = that group's channels and positions
    (:math:`m = (C/G) H W`); then scale and shift per channel.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    gamma, beta : ndarray, shape (1, C, 1, 1)
    groups : int
        G, a divisor of C.
    eps : float, default 1e-5

    Returns
    -------
    out : ndarray, shape (N, C, H, W)
    cache : dict
        For :func:`groupnorm_backward`.
    """
    x = float_array(x, "x", ndim=4)
    n, c, h, w = x.shape
    gamma, beta = _scale_shift(x, gamma, beta, (1, c, 1, 1))
    if isinstance(groups, bool) or not isinstance(groups, int | np.integer):
        raise TypeError(f"groups must be an int, got {groups!r}")
    if groups < 1 or c % groups:
        raise ValueError(f"groups must be a divisor of C = {c}, got {groups}")
    eps = positive_number(eps, "eps")
    grouped = x.reshape(n, groups, c // groups, h, w)
    _, _, inv_std, xhat = _standardise(grouped, (2, 3, 4), eps)
    xhat = xhat.reshape(x.shape)
    cache = _cache(xhat, inv_std, gamma, (2, 3, 4), (0, 2, 3), "train")
    cache["groups"] = int(groups)
    return gamma * xhat + beta, cache


def groupnorm_backward(
    dout: NDArray[Any], cache: dict[str, Any]
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    r"""The VJP of :func:`groupnorm_forward`.

    With :math:`S_{ng}` the entries of example :math:`n` in group :math:`g` (its
    C/G channels and all positions, :math:`m = (C/G) H W`) and :math:`D =
    \gamma_c G`, for :math:`x_{nchw}` with channel :math:`c` in group :math:`g`:

    .. math::

        \frac{\partial L}{\partial x_{nchw}} = \frac{1}{\sqrt{\sigma_{ng}^2 +
        \epsilon}} \Big(D_{nchw} - \frac1m \sum_{S_{ng}} D - \hat x_{nchw}
        \frac1m \sum_{S_{ng}} D \hat x\Big),

        \frac{\partial L}{\partial \gamma_c} = \sum_{nhw} G_{nchw} \hat x_{nchw},
        \qquad \frac{\partial L}{\partial \beta_c} = \sum_{nhw} G_{nchw}

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    dgamma, dbeta : ndarray, shape (1, C, 1, 1)
    """
    return normalise_backward(dout, cache)


def normalise_backward(
    dout: NDArray[Any], cache: dict[str, Any]
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    r"""The VJP shared by every normalisation here.

    .. math::

        \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2 + \epsilon}}
        \Big(D - \frac1m \sum_S D - \hat x \frac1m \sum_S D \hat x\Big),
        \qquad D = \gamma G,

    (training; at test time :math:`D / \sqrt{\sigma^2_{run} + \epsilon}`), and
    :math:`\partial L/\partial\gamma = \sum G \hat x`, :math:`\partial
    L/\partial\beta = \sum G` over the axes where :math:`\gamma` is broadcast.

    Parameters
    ----------
    dout : ndarray, shaped as the layer's ``x``
    cache : dict
        From one of the forward functions of this module.

    Returns
    -------
    dx : ndarray, shaped as ``x``
    dgamma, dbeta : ndarray, shaped as ``gamma``
    """
    xhat, gamma = cache["xhat"], cache["gamma"]
    dout = float_array(dout, "dout")
    if dout.shape != xhat.shape:
        raise ValueError(
            f"dout must have the shape of x {xhat.shape}, got {dout.shape}"
        )
    param_axes = cache["param_axes"]
    keep = gamma.ndim == xhat.ndim
    dgamma = (dout * xhat).sum(axis=param_axes, keepdims=keep)
    dbeta = dout.sum(axis=param_axes, keepdims=keep)
    d = dout * _broadcast(gamma, cache)
    if cache["mode"] == "test":
        return d * cache["inv_std"], dgamma, dbeta
    groups = cache.get("groups")
    if groups is not None:  # group norm: the statistics' axes of the grouped view
        n, c, h, w = xhat.shape
        d = d.reshape(n, groups, c // groups, h, w)
        xhat = xhat.reshape(d.shape)
    axes = cache["axes"]
    dx = d - d.mean(axis=axes, keepdims=True)
    dx -= xhat * (d * xhat).mean(axis=axes, keepdims=True)
    dx *= cache["inv_std"]
    return dx.reshape(dout.shape), dgamma, dbeta


def _batch_statistics_forward(
    x: NDArray[Any],
    gamma: Any,
    beta: Any,
    axes: tuple[int, ...],
    mode: str,
    eps: float,
    momentum: float,
    running_mean: Any,
    running_var: Any,
) -> tuple[NDArray[Any], dict[str, Any]]:
    c = x.shape[1]
    gamma, beta = _scale_shift(x, gamma, beta, (c,))
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    eps = positive_number(eps, "eps")
    if isinstance(momentum, bool) or not isinstance(momentum, int | float | np.number):
        raise TypeError(f"momentum must be a real number, got {momentum!r}")
    if not 0 <= float(momentum) <= 1:
        raise ValueError(f"momentum must be in [0, 1], got {momentum!r}")
    stats = {}
    for name, value in (("running_mean", running_mean), ("running_var", running_var)):
        if value is None:
            if mode == "test":
                raise ValueError(f"{name} is required in mode='test'")
            value = np.zeros(c, dtype=x.dtype)
        value = float_array(value, name, ndim=1)
        if value.shape != (c,):
            raise ValueError(f"{name} must have shape ({c},), got {value.shape}")
        stats[name] = value
    shape = [1] * x.ndim
    shape[1] = c
    if mode == "test":
        inv_std = 1 / np.sqrt(stats["running_var"].reshape(shape) + x.dtype.type(eps))
        xhat = (x - stats["running_mean"].reshape(shape)) * inv_std
        cache = _cache(xhat, inv_std, gamma, axes, axes, mode)
        cache.update(stats)
        return gamma.reshape(shape) * xhat + beta.reshape(shape), cache
    mean, var, inv_std, xhat = _standardise(x, axes, eps)
    mu = x.dtype.type(momentum)
    cache = _cache(xhat, inv_std, gamma, axes, axes, mode)
    cache["running_mean"] = mu * stats["running_mean"] + (1 - mu) * mean.reshape(c)
    cache["running_var"] = mu * stats["running_var"] + (1 - mu) * var.reshape(c)
    return gamma.reshape(shape) * xhat + beta.reshape(shape), cache


def _scale_shift(
    x: NDArray[Any], gamma: Any, beta: Any, shape: tuple[int, ...]
) -> tuple[NDArray[Any], NDArray[Any]]:
    gamma = float_array(gamma, "gamma")
    beta = float_array(beta, "beta")
    same_dtype(x, "x", gamma=gamma, beta=beta)
    for name, value in (("gamma", gamma), ("beta", beta)):
        if value.shape != shape:
            raise ValueError(
                f"{name} must have shape {shape} for x of shape {x.shape}, got "
                f"{value.shape}"
            )
    return gamma, beta


def _standardise(
    x: NDArray[Any], axes: tuple[int, ...], eps: float
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]:
    """Mean, biased variance, :math:`1/\\sqrt{\\sigma^2 + \\epsilon}`, :math:`\\hat x`.

    The statistics keep the reduced axes (length 1).
    """
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=axes, keepdims=True)
    inv_std = 1 / np.sqrt(var + x.dtype.type(eps))
    return mean, var, inv_std, centred * inv_std


def _cache(
    xhat: NDArray[Any],
    inv_std: NDArray[Any],
    gamma: NDArray[Any],
    axes: tuple[int, ...],
    param_axes: tuple[int, ...],
    mode: str,
) -> dict[str, Any]:
    return {
        "xhat": xhat,
        "inv_std": inv_std,
        "gamma": gamma,
        "axes": axes,
        "param_axes": param_axes,
        "mode": mode,
    }


def _broadcast(gamma: NDArray[Any], cache: dict[str, Any]) -> NDArray[Any]:
    """``gamma`` shaped to broadcast against ``x`` (its axis is axis 1, or the last)."""
    xhat = cache["xhat"]
    if gamma.ndim == xhat.ndim or xhat.ndim == 2:
        return gamma
    shape = [1] * xhat.ndim
    shape[1] = gamma.shape[0]
    return gamma.reshape(shape)
