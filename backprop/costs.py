r"""Costs: their batch-mean value and the output error :math:`\delta^L` (BP1).

Per example, with :math:`a = a^L` and target :math:`y`:

- quadratic: :math:`C = \tfrac12 \lVert a - y \rVert^2`, :math:`\nabla_a C = a - y`;
- cross-entropy: :math:`C = -\sum_i [y_i \ln a_i + (1 - y_i) \ln(1 - a_i)]`, for
  sigmoid outputs, for which BP1 simplifies to :math:`\delta^L = a - y`;
- log-likelihood: :math:`C = -\sum_i y_i \ln a_i`, which is :math:`-\ln a_y` for a
  one-hot target of class :math:`y`, for softmax outputs, for which BP1 simplifies
  to :math:`\delta^L = a - y` (targets summing to 1).

The value of a batch is the mean of the per-example costs. L2 regularisation adds
:math:`\tfrac{\lambda}{2} \sum_l \lVert W^l \rVert^2` to it (:func:`backprop.l2_penalty`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from backprop.activations import log_softmax, sigmoid
from backprop.equations import bp1
from backprop.layers import Activation, Sigmoid

__all__ = [
    "COSTS",
    "CrossEntropyCost",
    "LogLikelihoodCost",
    "QuadraticCost",
    "get_cost",
    "l2_penalty",
]

_SIGMOID = Sigmoid()


class Cost(Protocol):
    """What the network needs of a cost.

    ``z``, ``a`` and ``y`` are :math:`z^L`, :math:`a^L` and the targets, shape
    ``(m, n_L)``; ``output`` is the activation of the output layer.
    """

    name: str

    def value(self, z: NDArray, a: NDArray, y: NDArray) -> np.generic:
        """Mean over the batch of the per-example cost."""

    def delta(
        self, z: NDArray, a: NDArray, y: NDArray, output: Activation = _SIGMOID
    ) -> NDArray:
        """Output error :math:`\\delta^L`, one row per example (BP1)."""


def _softplus(z: NDArray) -> NDArray:
    r""":math:`\ln(1 + e^z)`, without overflow, for real and complex ``z``."""
    if not np.iscomplexobj(z):
        return np.logaddexp(0, z)
    # Two branches of one analytic function; e^(−|Re z|) never overflows.
    pos = z.real >= 0
    return np.where(pos, z, 0) + np.log1p(np.exp(np.where(pos, -z, z)))


class QuadraticCost:
    r"""Quadratic cost :math:`C = \tfrac12 \lVert a^L - y \rVert^2` per example."""

    name = "quadratic"

    def value(self, z: NDArray, a: NDArray, y: NDArray) -> np.generic:
        """Mean over the rows of :math:`\\tfrac12 \\lVert a - y \\rVert^2`."""
        d = a - y
        return (d * d).sum(axis=1).mean() / 2

    def delta(
        self, z: NDArray, a: NDArray, y: NDArray, output: Activation = _SIGMOID
    ) -> NDArray:
        r"""BP1 with :math:`\nabla_a C = a^L - y`: :math:`(\partial a^L/\partial
        z^L)^T (a^L - y)`, e.g. :math:`(a^L - y) \odot \sigma'(z^L)`."""
        return bp1(a - y, z, output, a)


class CrossEntropyCost:
    r"""Cross-entropy :math:`-\sum_i [y_i \ln a_i + (1 - y_i) \ln(1 - a_i)]` per example.

    The value is computed from :math:`z^L` as
    :math:`y \,\mathrm{softplus}(-z) + (1 - y)\,\mathrm{softplus}(z)`, which equals the
    formula above (:math:`-\ln \sigma(z) = \mathrm{softplus}(-z)`) and stays finite
    when :math:`a^L` rounds to exactly 0 or 1.
    """

    name = "cross_entropy"

    def value(self, z: NDArray, a: NDArray, y: NDArray) -> np.generic:
        """Mean over the rows of the per-example cross-entropy."""
        per_entry = y * _softplus(-z) + (1 - y) * _softplus(z)
        return per_entry.sum(axis=1).mean()

    def delta(
        self, z: NDArray, a: NDArray, y: NDArray, output: Activation = _SIGMOID
    ) -> NDArray:
        r"""BP1 simplified: :math:`\delta^L = a^L - y` (sigmoid output only).

        :math:`\nabla_a C = (a - y) / (a(1 - a))` and :math:`\sigma'(z) = a(1 - a)`
        cancel, so no :math:`\sigma'` appears (proved in :mod:`spec`).

        Evaluated as :math:`(1 - y)\,\sigma(z) - y\,\sigma(-z)`, which equals
        :math:`a - y` but keeps full relative accuracy when an output saturates
        onto its target: for :math:`y = 1` it is :math:`-\sigma(-z)`, where
        :math:`a - 1` would cancel to a few significant digits.
        """
        return (1 - y) * a - y * sigmoid(-z)


class LogLikelihoodCost:
    r"""Log-likelihood :math:`C = -\sum_i y_i \ln a_i` per example, softmax outputs.

    For a one-hot target of class :math:`y` it is :math:`-\ln a^L_y`. The value is
    computed from :math:`z^L` by :func:`backprop.log_softmax`, which
    stays finite where :math:`a^L_i` rounds to 0.
    """

    name = "log_likelihood"

    def value(self, z: NDArray, a: NDArray, y: NDArray) -> np.generic:
        """Mean over the rows of :math:`-\\sum_i y_i \\ln a_i`."""
        return -(y * log_softmax(z)).sum(axis=1).mean()

    def delta(
        self, z: NDArray, a: NDArray, y: NDArray, output: Activation = _SIGMOID
    ) -> NDArray:
        r"""BP1 simplified: :math:`\delta^L = a^L - y` for targets that sum to 1.

        :math:`\nabla_a C = -y / a` and the softmax Jacobian
        :math:`\operatorname{diag}(a) - a a^T` give
        :math:`-y + a \sum_i y_i`; written so, it is exact for any targets and is
        :math:`a^L - y` when each row of ``y`` sums to 1 (one-hot or soft labels).

        Evaluated as :math:`a_i (s - y_i) - y_i (1 - a_i)` with :math:`s = \sum_i
        y_i`, the same since :math:`\sum_i a_i = 1`, taking :math:`1 - a_i` for the
        largest output as the sum of the others: where an output saturates onto
        its target, :math:`a_i - 1` would cancel to a few significant digits.
        """
        is_top = np.arange(a.shape[1]) == a.real.argmax(axis=1)[:, None]
        others = np.where(is_top, 0, a).sum(axis=1, keepdims=True)
        rest = np.where(is_top, others, 1 - a)  # 1 - a, without cancellation
        return a * (y.sum(axis=1, keepdims=True) - y) - y * rest


def l2_penalty(weights: Sequence[NDArray], l2: float) -> Any:
    r"""The L2 term of the cost: :math:`\tfrac{\lambda}{2} \sum_l \lVert W^l \rVert^2`.

    Biases are not decayed. Its gradient is :func:`backprop.weight_decay`.

    Parameters
    ----------
    weights : list of ndarray
        :math:`W^1, \dots, W^L`.
    l2 : float
        :math:`\lambda \ge 0`.

    Returns
    -------
    scalar
        In the weights' dtype.
    """
    # w.ravel() @ w.ravel() is the squared Frobenius norm, analytic for complex w.
    return l2 / 2 * sum(w.ravel() @ w.ravel() for w in weights)


_BY_NAME: dict[str, Cost] = {
    c.name: c for c in (QuadraticCost(), CrossEntropyCost(), LogLikelihoodCost())
}
#: The names of the costs, as :data:`spec.COSTS` names them.
COSTS: tuple[str, ...] = tuple(_BY_NAME)


def get_cost(name: object) -> Cost:
    """Look up a cost by name (one of :data:`COSTS`)."""
    if not isinstance(name, str) or name not in _BY_NAME:
        raise ValueError(f"cost must be one of {sorted(COSTS)}, got {name!r}")
    return _BY_NAME[name]
