r"""The cases of the conformance battery, as data: :class:`Case` and :data:`SUITES`.

A case is a network (its widths), a batch size, a cost, a dtype, a weight scale
and the activations; :func:`case_data` draws its parameters and data from a seed,
and :func:`reference_gradient` gives its trusted gradient: the oracle
(:func:`spec.oracle_gradients`, exact formulas in high precision) where the
network is small enough to derive, the complex step of the mean cost beyond.

The standard suite runs non-square networks of depth 1 to 4 *and* square ones (a
missing transpose hides on square layers and only crashes on others), width-1
layers, m = 1 and m ≥ 2 (a sum for a mean hides at m = 1), moderately saturated
weights, float64 and float32, each for every declared cost. Adding an activation
or a cost is a change of this data (a :class:`Shape` lists its activations; the
costs are those the oracle derives, :data:`spec.COSTS`), once the references
and :mod:`spec.check.derivation` know it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

import backprop
from spec.check.numeric import complex_step_gradient
from spec.oracle import oracle_gradients

__all__ = [
    "SUITES",
    "Case",
    "CaseData",
    "Shape",
    "case_data",
    "reference_gradient",
    "suite",
]

#: Activations the references can differentiate today.
SUPPORTED_ACTIVATIONS = ("sigmoid",)


@dataclasses.dataclass(frozen=True)
class Case:
    """One network and batch on which a gradient function is compared.

    Attributes
    ----------
    label : str
        What the case is for, e.g. ``"square layers"``.
    sizes : tuple of int
        Layer widths :math:`n_0, \\dots, n_L`.
    m : int
        Examples in the batch.
    cost : str
        A name of :data:`backprop.COSTS`.
    dtype : str
        ``"float64"`` or ``"float32"``: the dtype of parameters and data.
    weight_scale : float
        Standard deviation of the weights and biases (3 saturates some units).
    reference : {"oracle", "complex"}
        The trusted gradient: the oracle, or the complex step.
    activations : tuple of str
        Activation of each layer; empty means the sigmoid everywhere.
    """

    label: str
    sizes: tuple[int, ...]
    m: int
    cost: str
    dtype: str = "float64"
    weight_scale: float = 1.0
    reference: str = "oracle"
    activations: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = set(self.activations) - set(SUPPORTED_ACTIVATIONS)
        if unknown:
            raise ValueError(
                f"activations must be among {SUPPORTED_ACTIVATIONS}, got "
                f"{sorted(unknown)}"
            )

    @property
    def name(self) -> str:
        """``"3-4-2 m=3 quadratic float64"``, with the label if it adds something."""
        sizes = "-".join(map(str, self.sizes))
        extra = f" scale {self.weight_scale:g}" if self.weight_scale != 1 else ""
        return f"{sizes} m={self.m} {self.cost} {self.dtype}{extra}"

    @property
    def square(self) -> bool:
        """Every weight matrix is square."""
        return len(set(self.sizes)) == 1


class Shape(NamedTuple):
    """A row of a suite: a :class:`Case` less its cost (each suite row runs for
    every declared cost); ``activations`` empty means the sigmoid everywhere."""

    label: str
    sizes: tuple[int, ...]
    m: int
    weight_scale: float = 1.0
    dtype: str = "float64"
    reference: str = "oracle"
    activations: tuple[str, ...] = ()


_STANDARD = (
    Shape("depth 1", (3, 2), 3),
    Shape("depth 2, non-square", (3, 4, 2), 3),
    Shape("depth 3, non-square", (2, 3, 4, 3), 2),
    Shape("depth 4, non-square", (3, 4, 2, 3, 2), 2),
    Shape("square layers", (3, 3, 3, 3), 2),
    Shape("width-1 layers", (1, 3, 1, 2), 2),
    Shape("m = 1", (3, 4, 2), 1),
    Shape("saturated", (3, 4, 2), 3, weight_scale=3.0),
    Shape("float32", (3, 4, 2), 3, dtype="float32"),
    Shape("larger, complex step", (6, 10, 8, 5), 4, reference="complex"),
)

#: The suites by name: their rows, each run for every declared cost.
SUITES: dict[str, tuple[Shape, ...]] = {"standard": _STANDARD}


def suite(name: str, costs: Sequence[str]) -> list[Case]:
    """The cases of suite ``name`` for each of ``costs``."""
    if name not in SUITES:
        raise ValueError(f"suite must be one of {list(SUITES)}, got {name!r}")
    return [
        Case(
            row.label,
            row.sizes,
            row.m,
            cost,
            row.dtype,
            row.weight_scale,
            row.reference,
            row.activations,
        )
        for cost in costs
        for row in SUITES[name]
    ]


@dataclasses.dataclass(frozen=True)
class CaseData:
    """Parameters and data of one case, in the case's dtype (rows layout)."""

    weights: list[NDArray]
    biases: list[NDArray]
    x: NDArray
    y: NDArray


def case_data(case: Case, rng: np.random.Generator) -> CaseData:
    """Weights and biases from N(0, scale²), inputs and targets uniform in [0, 1)."""
    pairs = list(zip(case.sizes[:-1], case.sizes[1:], strict=True))
    weights = [case.weight_scale * rng.standard_normal((n, k)) for k, n in pairs]
    biases = [case.weight_scale * rng.standard_normal(n) for _, n in pairs]
    x = rng.random((case.m, case.sizes[0]))
    y = rng.random((case.m, case.sizes[-1]))
    dt = np.dtype(case.dtype)
    return CaseData(
        [w.astype(dt) for w in weights],
        [b.astype(dt) for b in biases],
        x.astype(dt),
        y.astype(dt),
    )


def reference_gradient(
    case: Case, data: CaseData
) -> tuple[list[NDArray], list[NDArray]]:
    """The trusted ``(grad_w, grad_b)`` of the case, in float64."""
    ws = [w.astype(np.float64) for w in data.weights]
    bs = [b.astype(np.float64) for b in data.biases]
    x, y = data.x.astype(np.float64), data.y.astype(np.float64)
    if case.reference == "oracle":
        return oracle_gradients(ws, bs, x, y, cost=case.cost)
    sizes = list(case.sizes)

    def f(theta: NDArray) -> Any:
        return backprop.mean_cost(*backprop.unpack(theta, sizes), x, y, cost=case.cost)

    grad_w, grad_b = backprop.unpack(
        complex_step_gradient(f, backprop.pack(ws, bs)), sizes
    )
    return list(grad_w), list(grad_b)
