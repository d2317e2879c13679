r"""The code held to the glossary (:mod:`specdocs.glossary`): every drift, listed.

:func:`check_glossary` returns a sentence per problem:

- an object the glossary names does not exist, or lacks the parameter named;
- BP1–BP4 take different required parameters (or in a different order) in
  ``backprop.equations`` and ``spec.recursion``, or not the notation's
  (:attr:`specdocs.glossary.Quantity.signature`);
- ``backprop.COSTS`` and ``spec.COSTS`` are not tuples of the same cost names in
  the same order, or lack a cost of :data:`specdocs.glossary.COST_FORMULAS`.

Objects are looked up through a ``resolve`` function, so the tests can hand it
fakes; like the glossary, the module imports no Sphinx.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from specdocs.glossary import COST_FORMULAS, QUANTITIES, Name, Quantity

__all__ = [
    "check_costs",
    "check_glossary",
    "check_name",
    "check_signature",
    "import_object",
    "required_parameters",
]

Resolve = Callable[[str], Any]


def import_object(dotted: str) -> Any:
    """The object ``dotted`` names, importing the longest module prefix.

    Raises ``LookupError`` naming what is missing.
    """
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            obj: Any = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module_name.startswith(exc.name):
                continue
            raise
        for index, attr in enumerate(parts[cut:], start=cut):
            if not hasattr(obj, attr):
                raise LookupError(
                    f"{'.'.join(parts[:index])} has no attribute {attr!r}"
                )
            obj = getattr(obj, attr)
        return obj
    raise LookupError(f"no module {parts[0]!r}")


def required_parameters(obj: Any) -> tuple[str, ...]:
    """The positional parameters of ``obj`` that have no default, in order."""
    positional = (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    )
    return tuple(
        p.name
        for p in inspect.signature(obj).parameters.values()
        if p.kind in positional and p.default is inspect.Parameter.empty
    )


def check_name(name: Name, resolve: Resolve) -> list[str]:
    """Problems with one name: the object is missing, or lacks the parameter."""
    try:
        obj = resolve(name.obj)
    except (LookupError, ImportError) as exc:
        return [f"{name.obj} does not exist ({exc})"]
    if not name.param:
        return []
    try:
        params = inspect.signature(obj).parameters
    except (TypeError, ValueError) as exc:
        return [f"{name.obj} has no signature to hold {name.param!r} ({exc})"]
    if name.param not in params:
        takes = ", ".join(params)
        return [f"{name.obj} takes no parameter {name.param!r}; it takes ({takes})"]
    return []


def _signature_text(params: Sequence[str]) -> str:
    return f"({', '.join(params)})"


def check_signature(quantity: Quantity, resolve: Resolve) -> list[str]:
    """Problems with an equation: the two functions' required parameters differ
    from each other or from the notation's."""
    if quantity.signature is None:
        return []
    found = {}
    for name in (*quantity.backprop, *quantity.spec):
        try:
            found[name.obj] = required_parameters(resolve(name.obj))
        except (LookupError, ImportError, TypeError, ValueError):
            continue  # check_name reports a missing object
    wrong = {
        obj: params for obj, params in found.items() if params != quantity.signature
    }
    if not wrong:
        return []
    takes = "; ".join(
        f"{obj} takes {_signature_text(params)}" for obj, params in found.items()
    )
    expected = _signature_text(quantity.signature)
    label = quantity.backprop[0].shown.upper()
    return [f"{label}: {takes}; both must take the notation's {expected}, in order"]


def check_costs(resolve: Resolve) -> list[str]:
    """Problems with ``COSTS``: not a tuple of names, or not the same names."""
    problems, found = [], {}
    for dotted in ("backprop.COSTS", "spec.COSTS"):
        try:
            costs = resolve(dotted)
        except (LookupError, ImportError):
            continue  # check_name reports it
        if isinstance(costs, tuple) and all(isinstance(c, str) for c in costs):
            found[dotted] = costs
            continue
        got = type(costs).__name__
        if isinstance(costs, (dict, list)):
            found[dotted] = tuple(costs)  # compare the names all the same
            got += f" of {list(costs)!r}"
        problems.append(f"{dotted} must be a tuple of cost names, got a {got}")
    if len(set(found.values())) > 1:
        problems.append(
            "backprop.COSTS and spec.COSTS name different costs: "
            + " vs ".join(f"{d} = {c!r}" for d, c in found.items())
        )
    documented = tuple(name for name, _ in COST_FORMULAS)
    for dotted, costs in found.items():
        missing = [name for name in documented if name not in costs]
        if missing:
            problems.append(f"{dotted} lacks the documented costs {missing}")
    return problems


def check_glossary(
    resolve: Resolve = import_object,
    quantities: Sequence[Quantity] = QUANTITIES,
) -> list[str]:
    """Every drift of the code from the glossary; empty when the two agree.

    Parameters
    ----------
    resolve : callable, default :func:`import_object`
        Dotted name -> object; raises ``LookupError`` (or ``ImportError``) for a
        name that does not exist.
    quantities : sequence of Quantity, default :data:`QUANTITIES`

    Returns
    -------
    list of str
        One sentence per problem, naming the objects involved.
    """
    problems: list[str] = []
    for quantity in quantities:
        for name in (*quantity.backprop, *quantity.spec):
            problems += [p for p in check_name(name, resolve) if p not in problems]
        problems += check_signature(quantity, resolve)
    problems += check_costs(resolve)
    return problems
