r"""Costs: their batch-mean value and the output error :math:`\delta^L` (BP1).

Per example, with :math:`a = a^L` and target :math:`y`:

- quadratic: :math:`C = \tfrac12 \lVert a - y \rVert^2`, :math:`\nabla_a C = a - y`;
- cross-entropy: :math:`C = -\sum_i [y_i \ln a_i + (1 - y_i) \ln(1 - a_i)]`, for
  which BP1 simplifies to :math:`\delta^L = a - y`.

The value of a batch is the mean of the per-example costs.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from backprop.activations import sigmoid
from backprop.equations import bp1

__all__ = ["COSTS", "CrossEntropyCost", "QuadraticCost", "get_cost"]


class Cost(Protocol):
    """What the network needs of a cost."""

    name: str

    def value(self, z: NDArray, a: NDArray, y: NDArray) -> np.generic:
        """Mean over the batch of the per-example cost."""

    def delta(self, z: NDArray, a: NDArray, y: NDArray) -> NDArray:
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

    def delta(self, z: NDArray, a: NDArray, y: NDArray) -> NDArray:
        r"""BP1 with :math:`\nabla_a C = a^L - y`: :math:`(a^L - y) \odot \sigma'(z^L)`."""
        return bp1(a - y, z)


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

    def delta(self, z: NDArray, a: NDArray, y: NDArray) -> NDArray:
        r"""BP1 simplified: :math:`\delta^L = a^L - y`.

        :math:`\nabla_a C = (a - y) / (a(1 - a))` and :math:`\sigma'(z) = a(1 - a)`
        cancel, so no :math:`\sigma'` appears (proved in :mod:`spec`).

        Evaluated as :math:`(1 - y)\,\sigma(z) - y\,\sigma(-z)`, which equals
        :math:`a - y` but keeps full relative accuracy when an output saturates
        onto its target: for :math:`y = 1` it is :math:`-\sigma(-z)`, where
        :math:`a - 1` would cancel to a few significant digits.
        """
        return (1 - y) * a - y * sigmoid(-z)


_BY_NAME: dict[str, Cost] = {c.name: c for c in (QuadraticCost(), CrossEntropyCost())}
#: The names of the costs, as :data:`spec.COSTS` names them.
COSTS: tuple[str, ...] = tuple(_BY_NAME)


def get_cost(name: object) -> Cost:
    """Look up a cost by name (``"quadratic"`` or ``"cross_entropy"``)."""
    if not isinstance(name, str) or name not in _BY_NAME:
        raise ValueError(f"cost must be one of {sorted(COSTS)}, got {name!r}")
    return _BY_NAME[name]
