r"""The glossary: the notation's quantities and their names in the two packages.

:data:`QUANTITIES` and :data:`COST_FORMULAS` give, for every quantity of the
derivation, its symbol and where :mod:`backprop` and :mod:`spec` keep it (an
object, and the parameter of it that carries the quantity);
:func:`specdocs.drift.check_glossary` holds the code to them. The module imports
no Sphinx, so the tests reach it with ``docs/_ext`` on ``sys.path``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["COST_FORMULAS", "QUANTITIES", "Name", "Quantity"]


@dataclass(frozen=True)
class Name:
    """Where one package keeps a quantity.

    Attributes
    ----------
    shown : str
        What the reader sees, e.g. ``"weights[l - 1]"``.
    obj : str
        Dotted name of an object that must exist, e.g. ``"backprop.gradients"``.
    param : str
        A parameter ``obj`` must take (a function's argument, a dataclass field);
        ``""`` when the object itself is the name.
    """

    shown: str
    obj: str
    param: str = ""


@dataclass(frozen=True)
class Quantity:
    """One quantity of the notation and its names in the two packages.

    Attributes
    ----------
    symbol : str
        LaTeX of the symbol.
    meaning : str
        What it is, as inline reStructuredText.
    backprop, spec : tuple of Name
        Its names in each package.
    signature : tuple of str or None
        For an equation, the required parameters both functions must take, in
        order (the notation's names); ``None`` otherwise.
    """

    symbol: str
    meaning: str
    backprop: tuple[Name, ...]
    spec: tuple[Name, ...]
    signature: tuple[str, ...] | None = None


def _same(shown: str, backprop_obj: str, spec_obj: str, param: str) -> dict[str, Any]:
    return {
        "backprop": (Name(shown, backprop_obj, param),),
        "spec": (Name(shown, spec_obj, param),),
    }


def _equation(n: int, meaning: str, *params: str) -> Quantity:
    return Quantity(
        rf"\text{{BP{n}}}",
        meaning,
        (Name(f"bp{n}", f"backprop.equations.bp{n}"),),
        (Name(f"bp{n}", f"spec.recursion.bp{n}"),),
        signature=params,
    )


QUANTITIES: tuple[Quantity, ...] = (
    Quantity(
        "x = a^0",
        "inputs, one example per row, shape ``(m, n_0)``",
        **_same("x", "backprop.gradients", "spec.oracle_gradients", "x"),
    ),
    Quantity(
        "y",
        "targets, one example per row, shape ``(m, n_L)``",
        (Name("y", "backprop.gradients", "y"),),
        (
            Name("y", "spec.oracle_gradients", "y"),
            Name("network.y", "spec.SymbolicNetwork", "y"),
        ),
    ),
    Quantity(
        "W^l",
        "weights into layer :math:`l`, shape ``(n_l, n_{l-1})``",
        (Name("weights[l - 1]", "backprop.gradients", "weights"),),
        (
            Name("weights[l - 1]", "spec.oracle_gradients", "weights"),
            Name("network.weights[l - 1]", "spec.SymbolicNetwork", "weights"),
        ),
    ),
    Quantity(
        "b^l",
        "biases of layer :math:`l`, shape ``(n_l,)``",
        (Name("biases[l - 1]", "backprop.gradients", "biases"),),
        (
            Name("biases[l - 1]", "spec.oracle_gradients", "biases"),
            Name("network.biases[l - 1]", "spec.SymbolicNetwork", "biases"),
        ),
    ),
    Quantity(
        "z^l",
        "weighted inputs of layer :math:`l`, shape ``(m, n_l)``",
        (Name("zs[l - 1]", "backprop.backward", "zs"),),
        (Name("network.zs[l - 1]", "spec.SymbolicNetwork", "zs"),),
    ),
    Quantity(
        "a^l",
        "activations of layer :math:`l`, shape ``(m, n_l)``",
        (Name("activations[l]", "backprop.backward", "activations"),),
        (Name("network.activations[l]", "spec.SymbolicNetwork", "activations"),),
    ),
    Quantity(
        r"\delta^l",
        r"error of layer :math:`l`, :math:`\partial C / \partial z^l`",
        **_same("delta", "backprop.equations.bp3", "spec.recursion.bp3", "delta"),
    ),
    Quantity(
        r"\nabla_a C",
        r"gradient of the cost by the output activations :math:`a^L`",
        **_same("nabla_a", "backprop.equations.bp1", "spec.recursion.bp1", "nabla_a"),
    ),
    Quantity(
        "C",
        "the cost of a batch: the mean of the per-example costs",
        (Name("mean_cost", "backprop.mean_cost"),),
        (Name("mean_cost", "spec.costs.mean_cost"),),
    ),
    Quantity(
        "C_k",
        "the per-example costs by name (below), and the module defining them",
        (Name("COSTS", "backprop.COSTS"), Name("costs", "backprop.costs")),
        (Name("COSTS", "spec.COSTS"), Name("costs", "spec.costs")),
    ),
    _equation(1, "the error of the output layer", "nabla_a", "z"),
    _equation(
        2,
        "the error of layer :math:`l` from layer :math:`l + 1`",
        "w_next",
        "delta_next",
        "z",
    ),
    _equation(3, "the gradient by the biases", "delta"),
    _equation(4, "the gradient by the weights", "delta", "a_prev"),
    Quantity(
        r"\sigma",
        "the logistic sigmoid",
        (Name("sigmoid", "backprop.sigmoid"),),
        (Name("sigma", "spec.sigma"),),
    ),
    Quantity(
        r"\sigma'",
        r"its derivative, :math:`\sigma(1 - \sigma)`",
        (Name("sigmoid_prime", "backprop.sigmoid_prime"),),
        (Name("sigma_prime", "spec.sigma_prime"),),
    ),
)

#: Each cost's name in ``COSTS`` (both packages) and its per-example formula.
COST_FORMULAS: tuple[tuple[str, str], ...] = (
    ("quadratic", r"C = \tfrac12 \lVert a^L - y \rVert^2"),
    (
        "cross_entropy",
        r"C = -\sum_i \left[y_i \ln a^L_i + (1 - y_i) \ln(1 - a^L_i)\right]",
    ),
)
