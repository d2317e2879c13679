"""The ``backprop check`` command.

:mod:`backprop.cli` finds them through the entry points of the group
``backprop.commands`` (declared in ``pyproject.toml``) and imports this module
only when it runs, so ``backprop train`` never imports :mod:`spec`. The
entry point registers its subcommand on the ``backprop`` parser and sets ``run``,
the function that executes it and returns the exit status.

``backprop check FILE.py`` checks a whole program (:func:`spec.check_program`:
every part it has, and the line of the file that is wrong);
``backprop check FILE.py:NAME`` one part of it (``Network.backprop``, a method of
a network the check builds) or a gradient function through :func:`spec.adapt`
and :func:`spec.check_implementation`. Exit status: 0 when conformant, 1 when
not, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import backprop
from spec.check.conformance.adapters import LAYOUTS, REDUCTIONS
from spec.check.conformance.layers import check_layers_file
from spec.check.conformance.layers.files import PAIRS
from spec.check.conformance.optimizers import (
    KINDS as OPTIMIZER_KINDS,
)
from spec.check.conformance.optimizers import (
    check_optim_file,
    check_optimizer,
    optimizer_names,
)
from spec.check.conformance.program.layouts import import_file, recognise
from spec.check.conformance.program.run import check_function, check_program, part_names
from spec.check.conformance.recurrent import check_recurrent_file
from spec.check.conformance.recurrent.run import recurrent_names
from spec.check.conformance.report import to_json, to_junit
from spec.check.conformance.suites import SUITES

__all__ = ["load_function", "register_check", "run_check"]


def _split_target(target: str) -> tuple[str, str]:
    """``(module, name)``; ``name`` is empty for a whole program."""
    module_part, sep, attr = target.rpartition(":")
    if not sep:
        return target, ""
    if not module_part or not attr:
        raise ValueError(
            f"expected FILE.py or FILE.py:NAME such as net.py:backprop, got {target!r}"
        )
    return module_part, attr


def load_function(target: str) -> Callable[..., Any]:
    """The function named by ``MODULE:FUNCTION``.

    ``MODULE`` is a path to a ``.py`` file (``tests/tutorial_net.py``; its folder is
    put on ``sys.path`` so that it can import its neighbours) or a dotted module
    name importable from the current directory. ``FUNCTION`` may be dotted
    (``Class.method``, for a static method). Raises ValueError naming what could
    not be found.
    """
    module_part, attr = _split_target(target)
    if not attr:
        raise ValueError(
            f"expected MODULE:FUNCTION such as net.py:backprop, got {target!r}"
        )
    module = import_file(module_part)
    obj: Any = module
    for name in attr.split("."):
        if not hasattr(obj, name):
            owners = [
                f"{module_part}:{k}.{attr}"
                for k, v in vars(module).items()
                if isinstance(v, type) and hasattr(v, attr)
            ]
            hint = f"; did you mean {' or '.join(owners)}?" if owners else ""
            raise ValueError(f"{module_part} has no attribute {attr!r}{hint}")
        obj = getattr(obj, name)
    if not callable(obj):
        raise ValueError(f"{target} is a {type(obj).__name__}, not a function")
    return obj


def _returns(text: str) -> tuple[str, str]:
    order = tuple(part.strip() for part in text.split(","))
    if order not in (("w", "b"), ("b", "w")):
        raise argparse.ArgumentTypeError(f"expected w,b or b,w, got {text!r}")
    return order


def _activations(text: str) -> str | tuple[str, str]:
    names = tuple(part.strip() for part in text.split(","))
    unknown = [n for n in names if n not in backprop.ACTIVATIONS]
    if len(names) not in (1, 2) or unknown:
        raise argparse.ArgumentTypeError(
            f"expected one activation or a pair HIDDEN,OUTPUT of "
            f"{', '.join(backprop.ACTIVATIONS)}, got {text!r}"
        )
    return names[0] if len(names) == 1 else (names[0], names[1])


def _l2(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def register_check(commands: Any) -> None:
    """Add ``backprop check`` to the subcommands of the ``backprop`` parser."""
    parser = commands.add_parser(
        "check",
        help="check your own program, or one gradient function, against the spec",
        description="Check a whole program (FILE.py: every part it has, and the "
        "line that is wrong), one part of it (FILE.py:Network.backprop), or a "
        "gradient function (FILE.py:FUNCTION) against the spec's oracle, and "
        "diagnose what is wrong. Exit status: 0 conformant, 1 not, 2 usage error.",
    )
    parser.add_argument(
        "target",
        metavar="FILE.py[:NAME]",
        help="e.g. net.py (the whole program), net.py:Network.backprop, "
        "net.py:gradients",
    )
    parser.add_argument(
        "--layout",
        choices=LAYOUTS,
        default="rows",
        help="rows: x is (m, n_0), biases (n,); columns: x is (n_0, m), biases (n, 1)",
    )
    parser.add_argument(
        "--per-example", action="store_true", help="FUNCTION takes one example"
    )
    parser.add_argument(
        "--returns",
        type=_returns,
        default=("w", "b"),
        metavar="{w,b|b,w}",
        help="the order of the pair FUNCTION returns (default w,b)",
    )
    parser.add_argument(
        "--reduction",
        choices=REDUCTIONS,
        default="mean",
        help="FUNCTION returns the gradient of the mean (default) or summed batch cost",
    )
    parser.add_argument(
        "--cost",
        choices=backprop.COSTS,
        action="append",
        help="a cost FUNCTION implements (repeat for several; default: every cost "
        "that makes sense on the output layer)",
    )
    parser.add_argument(
        "--activations",
        type=_activations,
        metavar="NAME|HIDDEN,OUTPUT",
        help="the network's activations, e.g. relu,softmax, passed to FUNCTION as "
        "activations= (default: the sigmoid everywhere, not passed)",
    )
    parser.add_argument(
        "--l2",
        type=_l2,
        default=0.0,
        metavar="L",
        help="lambda of the L2 term, passed to FUNCTION as l2= when not 0",
    )
    parser.add_argument(
        "--no-cost-keyword",
        action="store_true",
        help="call FUNCTION without cost= even if it takes it (by default cost= is "
        "passed where the signature takes it)",
    )
    parser.add_argument("--suite", choices=sorted(SUITES), default="standard")
    parser.add_argument("--seed", type=int, default=0, help="seed of the cases' data")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write a JSON report")
    parser.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML")
    parser.set_defaults(run=run_check)


def _adapter_flags(args: argparse.Namespace) -> list[str]:
    """The options of a gradient function's conventions that were given."""
    given = []
    if args.layout != "rows":
        given.append("--layout")
    if args.per_example:
        given.append("--per-example")
    if args.returns != ("w", "b"):
        given.append("--returns")
    if args.reduction != "mean":
        given.append("--reduction")
    if args.activations is not None:
        given.append("--activations")
    if args.l2:
        given.append("--l2")
    if args.suite != "standard":
        given.append("--suite")
    if args.cost:
        given.append("--cost")
    if args.no_cost_keyword:
        given.append("--no-cost-keyword")
    return given


def run_check(args: argparse.Namespace) -> int:
    """Execute ``backprop check``; the exit status."""
    for path in (args.json, args.junit):
        if path is not None and not path.resolve().parent.is_dir():
            raise ValueError(f"{path}: directory {path.parent} does not exist")
    module_part, attr = _split_target(args.target)
    report: Any
    kind = None if attr else file_kind(module_part)
    if kind is not None:
        flags = _adapter_flags(args)
        if flags:
            raise ValueError(
                f"{', '.join(flags)} describe a gradient function's conventions; "
                f"{args.target} holds CS231n-style {kind}, checked in their own "
                "signatures"
            )
        checks = {
            "layers": check_layers_file,
            "optimizers": check_optim_file,
            "recurrent layers": check_recurrent_file,
        }
        report = checks[kind](module_part, rng=args.seed)
    elif attr in OPTIMIZER_KINDS and attr in optimizer_names(module_part):
        report = check_optimizer(load_function(args.target), kind=attr, rng=args.seed)
    elif not attr or "." in attr or _is_part(module_part, attr):
        if attr and "." in attr:
            _require_part(module_part, attr, args.target)
        flags = _adapter_flags(args)
        if flags:
            raise ValueError(
                f"{', '.join(flags)} describe a gradient function's conventions; "
                f"{args.target} is checked as the program builds and calls it (its "
                "costs are those its classes implement)"
            )
        report = check_program(
            module_part,
            rng=args.seed,
            parts=[attr] if attr else None,
            name=args.target,
        )
    else:
        fn = load_function(args.target)
        report = check_function(
            fn,
            name=args.target,
            cost=tuple(args.cost) if args.cost else None,
            rng=args.seed,
            adapt_options={
                "layout": args.layout,
                "per_example": args.per_example,
                "returns": args.returns,
                "reduction": args.reduction,
                "cost_keyword": not args.no_cost_keyword,
            },
            suite=args.suite,
            activations=args.activations,
            l2=args.l2,
        )
    print(report)
    if args.json is not None:
        args.json.write_text(to_json(report), encoding="utf-8")
    if args.junit is not None:
        args.junit.write_text(to_junit(report), encoding="utf-8")
    return 0 if report.passed else 1


def file_kind(path: str) -> str | None:
    """``"recurrent layers"`` for a file that defines a CS231n recurrent layer,
    ``"layers"`` for one that defines a CS231n layer pair's forward,
    ``"optimizers"`` for one that defines a CS231n update rule, else ``None`` (a
    program or a gradient function); read without running the file."""
    file = Path(path)
    if file.suffix != ".py" or not file.is_file():
        return None
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError):
        return None  # the program check reports why it does not import
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    if recurrent_names(file):
        return "recurrent layers"
    if defined & {forward for _, forward, _ in PAIRS}:
        return "layers"
    if optimizer_names(file):
        return "optimizers"
    return None


def _is_part(module_part: str, attr: str) -> bool:
    """Whether ``attr`` names a part of a program in a known layout (a module
    function such as ``sigmoid`` of a tutorial-style file)."""
    module = import_file(module_part)
    try:
        layout = recognise(module)
    except ValueError:
        return False
    return layout != "function" and attr in part_names(module)


def _require_part(module_part: str, attr: str, target: str) -> None:
    """A ``Class.method`` target must be a part of a program whose network the
    check can build; otherwise a usage error saying how to name it."""
    module = import_file(module_part)
    cls_name, _, method = attr.partition(".")
    cls = getattr(module, cls_name, None)
    if cls is None or not callable(getattr(cls, method, None)):
        raise ValueError(f"{module_part} has no attribute {attr!r}")
    try:
        layout = recognise(module)
        names = part_names(module) if layout != "function" else []
    except ValueError:
        layout, names = "", []
    if attr in names:
        return
    if isinstance(getattr(cls, "__dict__", {}).get(method), staticmethod):
        raise ValueError(
            f"{target} is a static method: name it as a function of the conventions "
            f"of spec.adapt with --layout/--per-example/--returns, or check the "
            f"whole program with {module_part}"
        )
    known = ", ".join(names)
    raise ValueError(
        f"{target} is a method of {cls_name}, and the check cannot build a "
        f"{cls_name} to call it on"
        + (
            f" ({layout}-style program: its parts are {known})"
            if names
            else " (the file follows none of the layouts the check knows)"
        )
        + f"; check the whole program with `backprop check {module_part}`, or "
        f"name a function FILE.py:FUNCTION(weights, biases, x, y)"
    )
