r"""The cases of the conformance battery, as data: :class:`Case` and :data:`SUITES`.

A case is a network (its widths), a batch size, a cost, a dtype, a weight scale,
the activations and the L2 strength, and the reference its gradient is held to:
the oracle (:func:`spec.oracle_gradients`, exact formulas in high precision) on
the small networks, whatever their layers and L2 (:data:`ORACLE_COVERS`); on the
larger one, the complex step of the mean cost where the network is analytic and
central differences (judged by the kink-aware engine of :func:`spec.gradcheck`)
where it has ReLU. :func:`case_data` draws each case's data and
:func:`reference_gradient` computes its reference.

The standard suite runs non-square networks of depth 1 to 4 *and* square ones (a
missing transpose hides on square layers and only crashes on others), width-1
layers, m = 1 and m ≥ 2 (a sum for a mean hides at m = 1), moderately saturated
weights, float64 and float32, each for every declared cost, with the declared
activations and L2. Adding an activation or a cost is a change of this data once
the references and :mod:`spec.check.conformance.derivation` know it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

import backprop
from backprop.layers import validate_combination
from spec.check.derivatives.numeric import central_gradient, complex_step_gradient
from spec.check.network.convention import network_keywords
from spec.oracle import oracle_gradients

__all__ = [
    "KINK_MARGIN",
    "ORACLE_COVERS",
    "SUITES",
    "Case",
    "CaseData",
    "Row",
    "case_data",
    "fits",
    "layer_names",
    "own_activations",
    "reference_function",
    "reference_gradient",
    "suite",
]


#: What :func:`spec.oracle_gradients` derives: its activations, and whether it
#: takes ``l2=``. A row asking for the oracle on another network falls back to
#: the complex step (or central differences with ReLU); the oracle's reach is
#: this data.
ORACLE_COVERS: dict[str, Any] = {"activations": backprop.ACTIVATIONS, "l2": True}


def layer_names(activations: Any, n_layers: int) -> tuple[str, ...]:
    """The activation of each layer, by name, from any form ``activations=`` takes."""
    return tuple(a.name for a in backprop.resolve_activations(activations, n_layers))


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
    reference : {"oracle", "complex", "central"}
        The trusted gradient: the oracle, the complex step, or central
        differences (ReLU networks).
    activations : None, str or tuple of str
        ``activations=`` as the code under test receives it (any form
        :func:`backprop.gradients` takes); ``None``, the sigmoid everywhere, is
        not passed on.
    l2 : float
        :math:`\\lambda` of the L2 term, passed on as ``l2=`` when not 0.
    one_hot : bool
        Targets one-hot (as a program that takes integer labels makes them), not
        uniform in [0, 1).
    layers : tuple of str
        The activation of each layer, by name (resolved from ``activations``).
    """

    label: str
    sizes: tuple[int, ...]
    m: int
    cost: str
    dtype: str = "float64"
    weight_scale: float = 1.0
    reference: str = "oracle"
    activations: str | tuple[str, ...] | None = None
    l2: float = 0.0
    one_hot: bool = False
    layers: tuple[str, ...] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Resolved once: every call of the code under test and every mistake's
        # derivation reads them.
        names = layer_names(self.activations, len(self.sizes) - 1)
        object.__setattr__(self, "layers", names)
        validate_combination(self.cost, backprop.get_activation(names[-1]))
        if self.reference not in ("oracle", "complex", "central"):
            raise ValueError(
                f"reference must be 'oracle', 'complex' or 'central', got "
                f"{self.reference!r}"
            )

    @property
    def network(self) -> dict[str, Any]:
        """The keywords ``activations=`` and ``l2=`` where not the defaults."""
        return network_keywords(self.activations, self.l2)

    @property
    def name(self) -> str:
        """``"3-4-2 m=3 quadratic float64"``, plus what differs from the defaults."""
        sizes = "-".join(map(str, self.sizes))
        extra = f" scale {self.weight_scale:g}" if self.weight_scale != 1 else ""
        if self.activations is not None:
            given = self.activations
            extra += " " + (given if isinstance(given, str) else ",".join(given))
        if self.l2:
            extra += f" l2={self.l2:g}"
        if self.one_hot:
            extra += " one-hot"
        return f"{sizes} m={self.m} {self.cost} {self.dtype}{extra}"

    @property
    def square(self) -> bool:
        """Every weight matrix is square."""
        return len(set(self.sizes)) == 1


class Row(NamedTuple):
    """A row of a suite's table: a :class:`Case` less its cost and L2 (each row runs for
    every declared cost, with the declared L2). ``activations``, one name per
    layer, are the row's own (those that the declared cost fits are run);
    ``None`` takes the declared ones."""

    label: str
    sizes: tuple[int, ...]
    m: int
    weight_scale: float = 1.0
    dtype: str = "float64"
    reference: str = "oracle"
    activations: tuple[str, ...] | None = None
    one_hot: bool = False


_STANDARD = (
    Row("depth 1", (3, 2), 3),
    Row("depth 2, non-square", (3, 4, 2), 3),
    Row("depth 3, non-square", (2, 3, 4, 3), 2),
    Row("depth 4, non-square", (3, 4, 2, 3, 2), 2),
    Row("square layers", (3, 3, 3, 3), 2),
    Row("width-1 layers", (1, 3, 1, 2), 2),
    Row("m = 1", (3, 4, 2), 1),
    Row("saturated", (3, 4, 2), 3, weight_scale=3.0),
    Row("float32", (3, 4, 2), 3, dtype="float32"),
    Row("larger, numeric reference", (6, 10, 8, 5), 4, reference="complex"),
)

_MIXED = ("tanh", "relu", "softmax")
# Each layer its own activation, passed one name per layer: a phi' taken from the
# wrong layer hides when every hidden layer has the same one.
_LAYERS = (
    Row("softmax regression", (3, 2), 3, activations=("softmax",)),
    Row("tanh then ReLU", (3, 4, 5, 2), 3, activations=_MIXED),
    Row(
        "ReLU, tanh, identity, depth 4",
        (3, 4, 2, 3, 2),
        2,
        activations=("relu", "tanh", "identity", "softmax"),
    ),
    Row(
        "sigmoid and tanh", (2, 3, 4, 3), 2, activations=("sigmoid", "tanh", "sigmoid")
    ),
    Row("square layers", (3, 3, 3, 3), 2, activations=_MIXED),
    Row("width-1 layers", (1, 3, 1, 2), 2, activations=("relu", "tanh", "softmax")),
    Row("m = 1", (3, 4, 3, 2), 1, activations=_MIXED),
    Row("tanh output", (3, 4, 2), 3, activations=("relu", "tanh")),
    Row("identity output", (3, 4, 2), 3, activations=("tanh", "identity")),
    Row("saturated", (3, 4, 3, 2), 3, weight_scale=3.0, activations=_MIXED),
    Row("float32", (3, 4, 3, 2), 3, dtype="float32", activations=_MIXED),
    Row(
        "larger, numeric reference",
        (6, 10, 8, 5),
        4,
        reference="complex",
        activations=("relu", "tanh", "softmax"),
    ),
)

# A program that takes an integer label one-hot encodes it to 10 outputs (the
# digits): the standard rows with that output layer and one-hot targets, held to
# the complex step (as exact in float64 as the oracle, ~1e-15, on these analytic
# networks, where compiling the oracle for 10 outputs would take seconds a shape).
_LABELS = tuple(
    row._replace(
        sizes=(10,) * len(row.sizes)
        if len(set(row.sizes)) == 1
        else (*row.sizes[:-1], 10),
        one_hot=True,
        reference="complex",
    )
    for row in _STANDARD
)

#: The suites by name: their rows, each run for every declared cost.
SUITES: dict[str, tuple[Row, ...]] = {
    "standard": _STANDARD,
    "layers": _LAYERS,
    "labels": _LABELS,
}


def fits(cost: str, output: str) -> bool:
    """Whether ``cost`` makes sense on an ``output`` layer (log-likelihood on a
    softmax, cross-entropy on a sigmoid, quadratic on any)."""
    try:
        validate_combination(cost, backprop.get_activation(output))
    except ValueError:
        return False
    return True


def own_activations(name: str) -> bool:
    """Whether the rows of suite ``name`` set their own activations."""
    if name not in SUITES:
        raise ValueError(f"suite must be one of {list(SUITES)}, got {name!r}")
    return any(row.activations is not None for row in SUITES[name])


def _reference(row: Row, layers: tuple[str, ...], l2: float) -> str:
    """The row's reference if it can serve this network, else the next best."""
    covered = set(layers) <= set(ORACLE_COVERS["activations"]) and (
        not l2 or ORACLE_COVERS["l2"]
    )
    if row.reference == "oracle" and covered:
        return "oracle"
    analytic = all(backprop.get_activation(n).analytic for n in layers)
    return "complex" if analytic else "central"


def suite(
    name: str,
    costs: Sequence[str] | None,
    activations: str | tuple[str, ...] | None = None,
    l2: float = 0.0,
) -> list[Case]:
    """The cases of suite ``name`` for each of ``costs``, with these activations.

    ``costs=None`` runs each row for every cost that fits its output layer; a
    declared cost runs on every row with the declared activations (a ValueError
    where it does not fit them) and on the rows with their own that it fits.
    """
    own_activations(name)  # validates the name
    cases = []
    for cost in backprop.COSTS if costs is None else costs:
        for row in SUITES[name]:
            given = activations if row.activations is None else row.activations
            layers = layer_names(given, len(row.sizes) - 1)
            optional = costs is None or row.activations is not None
            if optional and not fits(cost, layers[-1]):
                continue
            cases.append(
                Case(
                    label=row.label,
                    sizes=row.sizes,
                    m=row.m,
                    cost=cost,
                    dtype=row.dtype,
                    weight_scale=row.weight_scale,
                    reference=_reference(row, layers, l2),
                    activations=given,
                    l2=l2,
                    one_hot=row.one_hot,
                )
            )
    return cases


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
    if (
        case.layers[-1] == "softmax" or case.one_hot
    ):  # one-hot targets: a distribution per row
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
