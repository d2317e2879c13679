"""Command line: ``backprop train`` and ``backprop evaluate``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``backprop`` command."""
    parser = argparse.ArgumentParser(
        prog="backprop",
        description="Train and evaluate sigmoid networks by backpropagation.",
    )
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``backprop`` command; returns the exit status."""
    parser = build_parser()
    parser.parse_args(argv)
    parser.print_help()
    return 0
