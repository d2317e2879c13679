r"""What is graded: :class:`Assignment` and its :class:`Part`\ s, read from a TOML
file by :func:`load_assignment`.

The file (every key optional; the defaults grade one function ``gradients`` in the
project's convention, one point)::

    name = "Week 3: backpropagation"
    file = "network.py"      # the file to import when a submission is a folder
    forbidden = ["spec", "backprop", "torch", "jax", "autograd"]  # replaces these
    allowed = ["scipy"]      # if given: no other module but the standard
                             # library, NumPy and the submission's own files

    [limits]                 # the command line's options take precedence
    timeout = 60             # wall-clock seconds per part
    memory = 2048            # MB of address space
    output = 65536           # bytes of printed output kept

    [[parts]]                # one table per graded part
    name = "backprop"
    function = "backprop"    # the function's name in the submission
    points = 10
    layout = "columns"       # and per_example, returns, reduction, cost,
    per_example = true       # cost_keyword, activations, l2, suite:
    returns = "b,w"          # the options of `backprop check`
    cost_keyword = false

Each part is a gradient function run through :func:`spec.adapt` and
:func:`spec.check_implementation` with these options; a part scores its points
when the submission is conformant, 0 otherwise.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
from pathlib import Path
from typing import Any

import backprop
from spec.check.conformance.adapters import adapt
from spec.check.conformance.suites import SUITES
from spec.check.grading.limits import FORBIDDEN

__all__ = ["Assignment", "Part", "load_assignment", "parse_assignment"]


@dataclasses.dataclass(frozen=True)
class Part:
    """One graded function and the options of its check (those of ``backprop
    check``: see :func:`spec.adapt` and :func:`spec.check_implementation`)."""

    name: str = "gradients"
    function: str = "gradients"
    points: float = 1.0
    layout: str = "rows"
    per_example: bool = False
    returns: tuple[str, str] = ("w", "b")
    reduction: str = "mean"
    cost: tuple[str, ...] | None = None
    cost_keyword: bool = True
    activations: str | tuple[str, ...] | None = None
    l2: float = 0.0
    suite: str = "standard"


@dataclasses.dataclass(frozen=True)
class Assignment:
    """Which parts are graded, and the rules of the sandbox.

    Attributes
    ----------
    name : str
    parts : tuple of Part
    file : str or None
        The file to import in a submission that is a folder (``None``: its only
        ``.py`` file).
    forbidden : tuple of str
        Top-level modules a submission may not import.
    allowed : tuple of str or None
        If given, the only modules besides the standard library, NumPy and the
        submission's own files.
    timeout, memory, output : float, int, int or None
        The ``[limits]`` table; ``None`` where it is silent.
    """

    name: str = "backprop"
    parts: tuple[Part, ...] = (Part(),)
    file: str | None = None
    forbidden: tuple[str, ...] = FORBIDDEN
    allowed: tuple[str, ...] | None = None
    timeout: float | None = None
    memory: int | None = None
    output: int | None = None

    @property
    def max_score(self) -> float:
        """The points of every part."""
        return float(sum(p.points for p in self.parts))

    def fingerprint(self) -> str:
        """A digest of the whole assignment: a result graded under another one is
        graded again."""
        text = json.dumps(dataclasses.asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _names(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(
        isinstance(v, str) and v.isidentifier() for v in value
    ):
        raise ValueError(f"{key} must be a list of module names, got {value!r}")
    return tuple(value)


def _number(value: Any, key: str, low: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
        raise ValueError(f"{key} must be a number >= {low:g}, got {value!r}")
    return float(value)


def _string(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} must be a non-empty string, got {value!r}")
    return value


def _flag(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{key} must be true or false, got {value!r}")
    return value


def _part(table: Any, where: str) -> Part:
    if not isinstance(table, dict):
        raise ValueError(f"{where} must be a table, got {table!r}")
    fields = {f.name for f in dataclasses.fields(Part)} | {"kind"}
    unknown = sorted(set(table) - fields)
    if unknown:
        raise ValueError(
            f"{where} has unknown keys {unknown}; expected some of {sorted(fields)}"
        )
    kind = table.get("kind", "function")
    if kind != "function":
        raise ValueError(
            f"{where}.kind must be 'function' (a gradient function), got {kind!r}"
        )
    values: dict[str, Any] = {}
    function = _string(table.get("function", table.get("name", "gradients")), where)
    values["function"] = function
    values["name"] = _string(table.get("name", function), f"{where}.name")
    if "points" in table:
        values["points"] = _number(table["points"], f"{where}.points", 0)
    for key in ("layout", "reduction", "suite"):
        if key in table:
            values[key] = _string(table[key], f"{where}.{key}")
    for key in ("per_example", "cost_keyword"):
        if key in table:
            values[key] = _flag(table[key], f"{where}.{key}")
    if "returns" in table:
        text = _string(table["returns"], f"{where}.returns")
        values["returns"] = tuple(p.strip() for p in text.split(","))
    if "l2" in table:
        values["l2"] = _number(table["l2"], f"{where}.l2", 0)
    if "cost" in table:
        cost = table["cost"]
        costs = (cost,) if isinstance(cost, str) else cost
        if (
            not isinstance(costs, list | tuple)
            or not costs
            or not all(c in backprop.COSTS for c in costs)
        ):
            raise ValueError(
                f"{where}.cost must be one or a list of {list(backprop.COSTS)}, "
                f"got {cost!r}"
            )
        values["cost"] = tuple(costs)
    if "activations" in table:
        given = table["activations"]
        names = (given,) if isinstance(given, str) else given
        if (
            not isinstance(names, list | tuple)
            or len(names) not in (1, 2)
            or not all(n in backprop.ACTIVATIONS for n in names)
        ):
            raise ValueError(
                f"{where}.activations must be one or a pair [hidden, output] of "
                f"{list(backprop.ACTIVATIONS)}, got {given!r}"
            )
        values["activations"] = given if isinstance(given, str) else tuple(given)
    part = Part(**values)
    if part.suite not in SUITES:
        raise ValueError(
            f"{where}.suite must be one of {sorted(SUITES)}, got {part.suite!r}"
        )
    try:  # the same validation as `backprop check`
        adapt(
            len,
            layout=part.layout,
            per_example=part.per_example,
            returns=part.returns,
            reduction=part.reduction,
        )
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    return part


def parse_assignment(data: dict[str, Any], where: str = "assignment") -> Assignment:
    """The :class:`Assignment` a parsed TOML document describes; ValueError naming
    the key at fault."""
    known = {"name", "file", "forbidden", "allowed", "limits", "parts"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(
            f"{where} has unknown keys {unknown}; expected some of {sorted(known)}"
        )
    values: dict[str, Any] = {}
    if "name" in data:
        values["name"] = _string(data["name"], f"{where}: name")
    if "file" in data:
        file = _string(data["file"], f"{where}: file")
        if Path(file).is_absolute() or ".." in Path(file).parts:
            raise ValueError(
                f"{where}: file must be a path inside the submission, got {file!r}"
            )
        values["file"] = file
    for key in ("forbidden", "allowed"):
        if key in data:
            values[key] = _names(data[key], f"{where}: {key}")
    limits = data.get("limits", {})
    if not isinstance(limits, dict) or set(limits) - {"timeout", "memory", "output"}:
        raise ValueError(
            f"{where}: [limits] takes timeout, memory and output, got {limits!r}"
        )
    if "timeout" in limits:
        values["timeout"] = _number(limits["timeout"], f"{where}: limits.timeout", 0.1)
    for key, low in (("memory", 256), ("output", 0)):
        if key in limits:
            values[key] = int(_number(limits[key], f"{where}: limits.{key}", low))
    if "parts" in data:
        tables = data["parts"]
        if not isinstance(tables, list) or not tables:
            raise ValueError(f"{where}: parts must be one or more [[parts]] tables")
        parts = tuple(_part(t, f"{where}: parts[{i}]") for i, t in enumerate(tables))
        names = [p.name for p in parts]
        if len(set(names)) != len(names):
            raise ValueError(f"{where}: two parts share a name: {names}")
        values["parts"] = parts
    return Assignment(**values)


def _toml() -> Any:
    for name in ("tomllib", "tomli"):  # tomllib from Python 3.11; tomli before
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError:
            continue
    raise ValueError(
        "reading an assignment file needs Python >= 3.11 or the tomli package "
        "(pip install tomli)"
    )


def load_assignment(path: str | Path) -> Assignment:
    """The :class:`Assignment` of a TOML file (see the module's docstring)."""
    path = Path(path)
    toml = _toml()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"assignment {path}: {exc.strerror}") from None
    try:
        data = toml.loads(text)
    except toml.TOMLDecodeError as exc:
        raise ValueError(f"assignment {path} is not valid TOML: {exc}") from None
    return parse_assignment(data, str(path))
