r"""Costs: their batch-mean value and the output error :math:`\delta^L` (BP1).

Per example, with :math:`a = a^L` and target :math:`t`:

- quadratic: :math:`C = \tfrac12 \lVert a - t \rVert^2`, :math:`\nabla_a C = a - t`;
- cross-entropy: :math:`C = -\sum_i [t_i \ln a_i + (1 - t_i) \ln(1 - a_i)]`, for
  which BP1 simplifies to :math:`\delta^L = a - t`.

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
    r"""Quadratic cost :math:`C = \tfrac12 \lVert a^L - t \rVert^2` per example."""

    name = "quadratic"

    def value(self, z: NDArray, a: NDArray, y: NDArray) -> np.generic:
        """Mean over the rows of :math:`\\tfrac12 \\lVert a - y \\rVert^2`."""
        d = a - y
        return (d * d).sum(axis=1).mean() / 2

    def delta(self, z: NDArray, a: NDArray, y: NDArray) -> NDArray:
        r"""BP1 with :math:`\nabla_a C = a^L - t`: :math:`(a^L - t) \odot \sigma'(z^L)`."""
        return bp1(a - y, z)


class CrossEntropyCost:
    r"""Cross-entropy :math:`-\sum_i [t_i \ln a_i + (1 - t_i) \ln(1 - a_i)]` per example.

    The value is computed from :math:`z^L` as
    :math:`t \,\mathrm{softplus}(-z) + (1 - t)\,\mathrm{softplus}(z)`, which equals the
    formula above (:math:`-\ln \sigma(z) = \mathrm{softplus}(-z)`) and stays finite
    when :math:`a^L` rounds to exactly 0 or 1.
    """

    name = "cross_entropy"

    def value(self, z: NDArray, a: NDArray, y: NDArray) -> np.generic:
        """Mean over the rows of the per-example cross-entropy."""
        per_entry = y * _softplus(-z) + (1 - y) * _softplus(z)
        return per_entry.sum(axis=1).mean()

    def delta(self, z: NDArray, a: NDArray, y: NDArray) -> NDArray:
        r"""BP1 simplified: :math:`\delta^L = a^L - t`.

        :math:`\nabla_a C = (a - t) / (a(1 - a))` and :math:`\sigma'(z) = a(1 - a)`
        cancel, so no :math:`\sigma'` appears (proved in :mod:`spec`).

        Evaluated as :math:`(1 - t)\,\sigma(z) - t\,\sigma(-z)`, which equals
        :math:`a - t` but keeps full relative accuracy when an output saturates
        onto its target: for :math:`t = 1` it is :math:`-\sigma(-z)`, where
        :math:`a - 1` would cancel to a few significant digits.
        """
        return (1 - y) * a - y * sigmoid(-z)


#: The costs by name.
COSTS: dict[str, Cost] = {c.name: c for c in (QuadraticCost(), CrossEntropyCost())}


def get_cost(name: object) -> Cost:
    """Look up a cost by name (``"quadratic"`` or ``"cross_entropy"``)."""
    if not isinstance(name, str) or name not in COSTS:
        raise ValueError(f"cost must be one of {sorted(COSTS)}, got {name!r}")
    return COSTS[name]
