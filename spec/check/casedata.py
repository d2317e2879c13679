r"""The data of a battery case and its trusted gradient: :func:`case_data`,
:func:`reference_gradient`.

Parameters and data are drawn from a seed in the case's dtype. The reference is
the one the case names (:class:`spec.check.battery.Case`): the oracle, the
complex step of the mean cost, or central differences for a network with ReLU,
whose data are drawn with every :math:`|z|` of a ReLU layer at least
:data:`KINK_MARGIN` from the kink, so that no difference straddles it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.typing import NDArray

import backprop
from spec.check.battery import Case
from spec.check.netcheck import network_keywords
from spec.check.numeric import central_gradient, complex_step_gradient
from spec.oracle import oracle_gradients

__all__ = [
    "KINK_MARGIN",
    "CaseData",
    "case_data",
    "reference_function",
    "reference_gradient",
]

#: Smallest :math:`|z|` of a ReLU network's case: far above the steps of central
#: differences (about 6e-6 times the parameters' size), so none crosses a kink.
KINK_MARGIN = 1e-3
#: Draws of a ReLU case's data before giving up on keeping :math:`|z|` from 0.
_DRAWS = 200


@dataclasses.dataclass(frozen=True)
class CaseData:
    """Parameters and data of one case, in the case's dtype (rows layout)."""

    weights: list[NDArray]
    biases: list[NDArray]
    x: NDArray
    y: NDArray


def _draw(case: Case, rng: np.random.Generator) -> CaseData:
    pairs = list(zip(case.sizes[:-1], case.sizes[1:], strict=True))
    weights = [case.weight_scale * rng.standard_normal((n, k)) for k, n in pairs]
    biases = [case.weight_scale * rng.standard_normal(n) for _, n in pairs]
    x = rng.random((case.m, case.sizes[0]))
    if case.layers[-1] == "softmax":  # one-hot targets: a distribution per row
        y = np.eye(case.sizes[-1])[rng.integers(case.sizes[-1], size=case.m)]
    else:
        y = rng.random((case.m, case.sizes[-1]))
    dt = np.dtype(case.dtype)
    return CaseData(
        [w.astype(dt) for w in weights],
        [b.astype(dt) for b in biases],
        x.astype(dt),
        y.astype(dt),
    )


def _min_abs_z(case: Case, data: CaseData) -> float:
    """Smallest :math:`|z|` over the ReLU layers, in float64."""
    ws = [w.astype(np.float64) for w in data.weights]
    bs = [b.astype(np.float64) for b in data.biases]
    zs, _ = backprop.feedforward(ws, bs, data.x.astype(np.float64), case.layers)
    relu = [z for z, n in zip(zs, case.layers, strict=True) if n == "relu"]
    return min(float(np.abs(z).min()) for z in relu)


def case_data(case: Case, rng: np.random.Generator) -> CaseData:
    """Weights and biases from N(0, scale²), inputs uniform in [0, 1), targets
    uniform in [0, 1) (one-hot for a softmax output); for a network with ReLU,
    drawn again until every :math:`|z|` of a ReLU layer is at least
    :data:`KINK_MARGIN`."""
    data = _draw(case, rng)
    if "relu" not in case.layers:
        return data
    for _ in range(_DRAWS):
        if _min_abs_z(case, data) >= KINK_MARGIN:
            return data
        data = _draw(case, rng)
    raise RuntimeError(
        f"case {case.name}: no draw in {_DRAWS} keeps every ReLU input at least "
        f"{KINK_MARGIN} from the kink"
    )


def reference_function(case: Case, data: CaseData) -> tuple[Any, NDArray]:
    """``(f, theta)``: the mean cost of the packed parameters (float64 data), and
    the parameters, for the numeric references."""
    x, y = data.x.astype(np.float64), data.y.astype(np.float64)
    sizes = list(case.sizes)

    def f(theta: NDArray) -> Any:
        ws, bs = backprop.unpack(theta, sizes)
        return backprop.mean_cost(ws, bs, x, y, case.cost, case.activations, case.l2)

    return f, backprop.pack(data.weights, data.biases).astype(np.float64)


def reference_gradient(
    case: Case, data: CaseData
) -> tuple[list[NDArray], list[NDArray]]:
    """The trusted ``(grad_w, grad_b)`` of the case, in float64."""
    if case.reference == "oracle":
        ws = [w.astype(np.float64) for w in data.weights]
        bs = [b.astype(np.float64) for b in data.biases]
        x, y = data.x.astype(np.float64), data.y.astype(np.float64)
        # activations= and l2= only where the network is not the sigmoid default.
        sigmoids = set(case.layers) == {"sigmoid"}
        extra = network_keywords(None if sigmoids else case.layers, case.l2)
        return oracle_gradients(ws, bs, x, y, cost=case.cost, **extra)
    f, theta = reference_function(case, data)
    method = complex_step_gradient if case.reference == "complex" else central_gradient
    grad_w, grad_b = backprop.unpack(method(f, theta), list(case.sizes))
    return list(grad_w), list(grad_b)
