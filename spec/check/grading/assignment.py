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

    [[parts]]
    kind = "program"         # the whole program (spec.check_program): the
    points = 5               # tutorial's or Nielsen's Network class

    [[parts]]
    kind = "layer"           # a CS231n layer pair (spec.check_layer)
    layer = "convolution"    # the kind of check_layer, recurrent ones included
    function = "conv_forward_naive"    # the forward; by default the course's
    backward = "conv_backward_naive"   # name for the kind (none for a loss)

    [[parts]]
    kind = "optimizer"       # a CS231n update rule (spec.check_optimizer)
    rule = "adam"            # sgd, sgd_momentum, rmsprop or adam
    function = "adam"        # by default the rule's name
    weight_decay = false

A part of kind ``"function"`` (the default) is a gradient function run through
:func:`spec.adapt` and :func:`spec.check_implementation` with these options; the
other kinds run the checks of ``backprop check`` on a program, a layer or a rule.
A part scores its points when the submission passes its check, 0 otherwise.
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
from spec.check.conformance.layers.files import PAIRS
from spec.check.conformance.optimizers.mistakes import KINDS as OPTIMIZER_KINDS
from spec.check.conformance.recurrent.run import CS231N_NAMES
from spec.check.conformance.suites import SUITES
from spec.check.grading.limits import FORBIDDEN, Limits

__all__ = [
    "KEYS",
    "LAYER_NAMES",
    "Assignment",
    "Part",
    "load_assignment",
    "parse_assignment",
]


#: Each kind of :func:`spec.check_layer` and the course's names of its forward
#: and backward (the first pair of each kind; ``None``: a loss, one function).
def _layer_names() -> dict[str, tuple[str, str | None]]:
    names: dict[str, tuple[str, str | None]] = {}
    for kind, forward, backward in PAIRS:
        names.setdefault(kind, (forward, backward))
    return {**names, **CS231N_NAMES}


LAYER_NAMES = _layer_names()


@dataclasses.dataclass(frozen=True)
class Part:
    """One graded part and the options of its check (those of ``backprop
    check``).

    ``kind`` is ``"function"`` (a gradient function: the options of
    :func:`spec.adapt` and :func:`spec.check_implementation`), ``"program"``
    (:func:`spec.check_program`), ``"layer"`` (:func:`spec.check_layer` of the
    kind ``layer`` on ``function`` and ``backward``) or ``"optimizer"``
    (:func:`spec.check_optimizer` of the kind ``rule`` on ``function``).
    """

    kind: str = "function"
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
    layer: str | None = None
    backward: str | None = None
    rule: str | None = None
    weight_decay: bool = False

    @property
    def functions(self) -> tuple[str, ...]:
        """The submission's functions the part calls (none for a program, whose
        check finds its own)."""
        if self.kind == "program":
            return ()
        if self.backward is not None:
            return (self.function, self.backward)
        return (self.function,)


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

    def limits(self, timeout: float | None = None, memory: int | None = None) -> Limits:
        """The limits of a run: ``timeout`` and ``memory`` where given (the
        command line's), else the ``[limits]`` table's, else the defaults."""
        values: dict[str, Any] = {
            "timeout": self.timeout if timeout is None else timeout,
            "memory": self.memory if memory is None else memory,
            "output": self.output,
        }
        return Limits(**{k: v for k, v in values.items() if v is not None})

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


#: The keys each kind of part takes, besides ``kind``, ``name`` and ``points``.
KEYS: dict[str, frozenset[str]] = {
    "function": frozenset(
        {
            "function",
            "layout",
            "per_example",
            "returns",
            "reduction",
            "cost",
            "cost_keyword",
            "activations",
            "l2",
            "suite",
        }
    ),
    "program": frozenset(),
    "layer": frozenset({"layer", "function", "backward"}),
    "optimizer": frozenset({"rule", "function", "weight_decay"}),
}


def _part(table: Any, where: str) -> Part:
    if not isinstance(table, dict):
        raise ValueError(f"{where} must be a table, got {table!r}")
    kind = table.get("kind", "function")
    if kind not in KEYS:
        raise ValueError(f"{where}.kind must be one of {list(KEYS)}, got {kind!r}")
    fields = KEYS[kind] | {"kind", "name", "points"}
    unknown = sorted(set(table) - fields)
    if unknown:
        raise ValueError(
            f"{where} has unknown keys {unknown} for a part of kind {kind!r}; "
            f"expected some of {sorted(fields)}"
        )
    values: dict[str, Any] = {"kind": kind}
    if "points" in table:
        values["points"] = _number(table["points"], f"{where}.points", 0)
    if kind == "program":
        values["function"] = "program"
    elif kind == "layer":
        values.update(_layer(table, where))
    elif kind == "optimizer":
        rule = table.get("rule", table.get("function"))
        if rule not in OPTIMIZER_KINDS:
            raise ValueError(
                f"{where}.rule must be one of {list(OPTIMIZER_KINDS)}, got {rule!r}"
            )
        values["rule"] = rule
        values["function"] = _string(table.get("function", rule), f"{where}.function")
        if "weight_decay" in table:
            decay = _flag(table["weight_decay"], f"{where}.weight_decay")
            if decay and rule != "adam":
                raise ValueError(
                    f"{where}.weight_decay = true is checked for rule 'adam', "
                    f"got rule {rule!r}"
                )
            values["weight_decay"] = decay
    else:
        values.update(_function_options(table, where))
    values["name"] = _string(table.get("name", values["function"]), f"{where}.name")
    return Part(**values)


def _layer(table: dict[str, Any], where: str) -> dict[str, Any]:
    layer = table.get("layer")
    if layer not in LAYER_NAMES:
        raise ValueError(
            f"{where}.layer must be one of {list(LAYER_NAMES)}, got {layer!r}"
        )
    forward, backward = LAYER_NAMES[layer]
    forward = _string(table.get("function", forward), f"{where}.function")
    if backward is None:
        if "backward" in table:
            raise ValueError(
                f"{where}: a {layer} returns (loss, dx) from one function; "
                f"backward must be left out, got {table['backward']!r}"
            )
    else:
        backward = _string(table.get("backward", backward), f"{where}.backward")
    return {"layer": layer, "function": forward, "backward": backward}


def _function_options(table: dict[str, Any], where: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    values["function"] = _string(
        table.get("function", table.get("name", "gradients")), where
    )
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
    suite = values.get("suite", "standard")
    if suite not in SUITES:
        raise ValueError(
            f"{where}.suite must be one of {sorted(SUITES)}, got {suite!r}"
        )
    try:  # the same validation as `backprop check`
        adapt(
            len,
            layout=values.get("layout", "rows"),
            per_example=values.get("per_example", False),
            returns=values.get("returns", ("w", "b")),
            reduction=values.get("reduction", "mean"),
        )
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    return values


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
