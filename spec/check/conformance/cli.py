"""The ``backprop check`` command.

:mod:`backprop.cli` finds them through the entry points of the group
``backprop.commands`` (declared in ``pyproject.toml``) and imports this module
only when it runs, so ``backprop train`` never imports :mod:`spec`. The
entry point registers its subcommand on the ``backprop`` parser and sets ``run``,
the function that executes it and returns the exit status.

``backprop check MODULE:FUNCTION`` runs :func:`spec.check_implementation` on a
gradient function (through :func:`spec.adapt`): exit status 0 when conformant, 1
when not, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import backprop
from spec.check.conformance.adapters import LAYOUTS, REDUCTIONS, adapt
from spec.check.conformance.report import to_json, to_junit
from spec.check.conformance.run import check_implementation
from spec.check.conformance.suites import SUITES

__all__ = ["load_function", "register_check", "run_check"]


def _on_path(folder: Path) -> None:
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def load_function(target: str) -> Callable[..., Any]:
    """The function named by ``MODULE:FUNCTION``.

    ``MODULE`` is a path to a ``.py`` file (``tests/tutorial_net.py``; its folder is
    put on ``sys.path`` so that it can import its neighbours) or a dotted module
    name importable from the current directory. ``FUNCTION`` may be dotted
    (``Class.method``). Raises ValueError naming what could not be found.
    """
    module_part, sep, attr = target.rpartition(":")
    if not sep or not module_part or not attr:
        raise ValueError(
            f"expected MODULE:FUNCTION such as net.py:backprop, got {target!r}"
        )
    path = Path(module_part)
    try:
        if path.suffix == ".py" or "/" in module_part:
            if not path.is_file():
                raise ValueError(f"{module_part}: no such file")
            _on_path(path.resolve().parent)
            spec_ = importlib.util.spec_from_file_location(path.stem, path)
            if spec_ is None or spec_.loader is None:
                raise ValueError(f"{module_part}: not a Python module")
            module = importlib.util.module_from_spec(spec_)
            sys.modules[path.stem] = module
            spec_.loader.exec_module(module)
        else:
            _on_path(Path.cwd())
            module = importlib.import_module(module_part)
    except ValueError:
        raise
    except Exception as exc:  # the module under test does not import: say why
        raise ValueError(
            f"cannot import {module_part}: {type(exc).__name__}: {exc}"
        ) from None
    obj: Any = module
    for name in attr.split("."):
        if not hasattr(obj, name):
            raise ValueError(f"{module_part} has no attribute {attr!r}")
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
        help="run the conformance battery on your own backprop",
        description="Check a gradient function against the spec's oracle on a "
        "battery of networks, and diagnose what is wrong. Exit status: 0 "
        "conformant, 1 not, 2 usage error.",
    )
    parser.add_argument(
        "target", metavar="MODULE:FUNCTION", help="e.g. net.py:backprop"
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
        help="call FUNCTION without cost= (it implements one cost)",
    )
    parser.add_argument("--suite", choices=sorted(SUITES), default="standard")
    parser.add_argument("--seed", type=int, default=0, help="seed of the cases' data")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write a JSON report")
    parser.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML")
    parser.set_defaults(run=run_check)


def run_check(args: argparse.Namespace) -> int:
    """Execute ``backprop check``; the exit status."""
    for path in (args.json, args.junit):
        if path is not None and not path.resolve().parent.is_dir():
            raise ValueError(f"{path}: directory {path.parent} does not exist")
    fn = load_function(args.target)
    gradients = adapt(
        fn,
        layout=args.layout,
        per_example=args.per_example,
        returns=args.returns,
        reduction=args.reduction,
        cost_keyword=not args.no_cost_keyword,
    )
    report = check_implementation(
        gradients,
        cost=tuple(args.cost) if args.cost else None,
        suite=args.suite,
        rng=args.seed,
        activations=args.activations,
        l2=args.l2,
    )
    print(report)
    if args.json is not None:
        args.json.write_text(to_json(report), encoding="utf-8")
    if args.junit is not None:
        args.junit.write_text(to_junit(report), encoding="utf-8")
    return 0 if report.passed else 1
