"""The ``backprop prove`` command: the symbolic half's own command line.

:mod:`backprop.cli` finds it through the entry point ``prove`` of the group
``backprop.commands`` (declared in ``pyproject.toml``) and imports this module only
when it runs. ``backprop prove SIZES`` prints :func:`spec.prove_backprop`'s result,
``backprop prove --general`` :func:`spec.prove_general`'s: exit status 0 proven,
1 not, 2 for a usage error. Like the rest of the symbolic half, it imports nothing
of :mod:`backprop`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from spec.costs import costs_for_output
from spec.general import GeneralProof, prove_general
from spec.prove import ProofResult, prove_backprop
from spec.validation import validate_sizes

__all__ = ["parse_sizes", "register_prove", "run_prove"]

#: The costs ``backprop prove`` offers: those of a sigmoid output layer.
COSTS = costs_for_output("sigmoid")


def parse_sizes(text: str) -> tuple[int, ...]:
    """Layer widths from the command line, ``"2,3,2"`` or ``"2-3-2"``.

    The same syntax as :func:`backprop.cli.parse_sizes` (a test holds the two
    to it); a bad value is an ``argparse.ArgumentTypeError``, which argparse
    reports as a usage error.
    """
    try:
        return validate_sizes([int(n) for n in text.replace("-", ",").split(",")])
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(
            f"expected at least two widths >= 1 such as 2,3,2, got {text!r}"
        ) from None


def register_prove(commands: Any) -> None:
    """Add ``backprop prove`` to the subcommands of the ``backprop`` parser."""
    parser = commands.add_parser(
        "prove",
        help="prove BP1-BP4 equal to the chain rule for a network",
        description="Derive the gradient of the mean cost of a sigmoid network of "
        "the given widths twice, directly and by BP1-BP4, and prove the two equal "
        "by exact evaluation; with --general, prove BP1-BP4 for every width, depth "
        "and batch size at once and print the lemma table. Exit status: 0 proven, "
        "1 not, 2 usage error.",
    )
    parser.add_argument(
        "sizes", type=parse_sizes, metavar="SIZES", nargs="?", help="e.g. 2,3,2"
    )
    parser.add_argument(
        "--general",
        action="store_true",
        help="prove for symbolic widths and batch size instead of one SIZES",
    )
    parser.add_argument(
        "--m", type=int, default=2, help="examples per batch (default 2)"
    )
    parser.add_argument("--cost", choices=COSTS, default="cross_entropy")
    parser.set_defaults(run=run_prove)


def _proof(args: argparse.Namespace) -> ProofResult | GeneralProof:
    """The proof the arguments ask for (one per kind of claim)."""
    if args.general:
        return prove_general(cost=args.cost)
    return prove_backprop(args.sizes, m=args.m, cost=args.cost)


def run_prove(args: argparse.Namespace) -> int:
    """Execute ``backprop prove``; the exit status."""
    if args.general == (args.sizes is not None):
        print(
            "backprop prove: error: give either SIZES (such as 2,3,2) or --general",
            file=sys.stderr,
        )
        return 2
    result = _proof(args)
    print(result)
    return 0 if result.proven else 1
