"""The ``backprop grade`` command: :func:`register_grade` adds it to the
``backprop`` parser (an entry point of the group ``backprop.commands``);
``python -m spec.check.grading`` runs the same command on its own (:func:`main`).

Exit status: 0 when grading completed, whatever the grades; 2 on a usage error;
130 when interrupted (what finished is kept, and the same command grades the rest).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from spec.check.grading.assignment import Assignment, load_assignment
from spec.check.grading.autograder import write_autograder
from spec.check.grading.grade import (
    VERDICTS,
    find_submissions,
    grade_folder,
    run_seed,
    summary_table,
    write_atomically,
)
from spec.check.grading.sheets import to_csv, to_gradescope, to_junit

__all__ = ["DEFAULT_RESULTS", "add_arguments", "main", "register_grade", "run_grade"]

#: Where the per-submission results go without ``--json-dir``.
DEFAULT_RESULTS = Path("backprop-grade")
DESCRIPTION = (
    "Grade a folder of submissions (each a .py file or a folder with one) on the "
    "conformance battery, each in its own child process with time and memory "
    "limits, the comparison and the oracle kept in the grader. One JSON result "
    "per submission is written as it finishes; a second run resumes (same seed) "
    "unless --force. Exit status: 0 when grading completed, 2 usage error, "
    "130 interrupted."
)


def _cores() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def _positive(kind: type) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if not value > 0:
            raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
        return value

    parse.__name__ = kind.__name__
    return parse


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(
            f"expected an integer in [0, 2**32), got {text!r}"
        )
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``backprop grade``."""
    parser.add_argument(
        "folder", metavar="DIR", type=Path, nargs="?", help="the folder of submissions"
    )
    parser.add_argument(
        "--timeout",
        type=_positive(float),
        metavar="S",
        help="wall-clock seconds per submission and part (default 60)",
    )
    parser.add_argument(
        "--memory",
        type=_positive(int),
        metavar="MB",
        help="address-space limit of a submission's process (default 2048)",
    )
    parser.add_argument(
        "--jobs",
        type=_positive(int),
        default=_cores(),
        metavar="N",
        help="submissions graded at once (default: the number of cores)",
    )
    parser.add_argument(
        "--seed",
        type=_seed,
        metavar="N",
        help="seed of the cases, the same for every submission (default: a fresh "
        "one, printed; a resumed run keeps its own)",
    )
    parser.add_argument(
        "--assignment",
        type=Path,
        metavar="FILE.toml",
        help="the parts (gradient functions, whole programs, layers, update "
        "rules), their points, forbidden and allowed modules, limits (default: "
        "one function `gradients`, one point)",
    )
    parser.add_argument("--csv", type=Path, metavar="FILE", help="write a grade sheet")
    parser.add_argument(
        "--gradescope",
        type=Path,
        metavar="FILE",
        help="write Gradescope's results.json (DIR must hold one submission)",
    )
    parser.add_argument(
        "--junit-dir", type=Path, metavar="DIR", help="write JUnit XML per submission"
    )
    parser.add_argument(
        "--json-dir",
        type=Path,
        metavar="DIR",
        help=f"the JSON result of each submission, which a second run resumes from "
        f"(default ./{DEFAULT_RESULTS})",
    )
    parser.add_argument(
        "--force", action="store_true", help="grade again what was graded"
    )
    parser.add_argument(
        "--gradescope-autograder",
        type=Path,
        metavar="DIR",
        help="write the Gradescope autograder bundle into DIR (no grading)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def register_grade(commands: Any) -> None:
    """Add ``backprop grade`` to the subcommands of the ``backprop`` parser."""
    parser = commands.add_parser(
        "grade",
        help="grade a folder of submissions safely",
        description=DESCRIPTION,
    )
    add_arguments(parser)
    parser.set_defaults(run=run_grade)


def _writable(path: Path | None, option: str) -> None:
    if path is not None and not path.resolve().parent.is_dir():
        raise ValueError(f"{option} {path}: directory {path.parent} does not exist")


def run_grade(args: argparse.Namespace) -> int:
    """Execute ``backprop grade``; the exit status."""
    assignment = (
        load_assignment(args.assignment)
        if args.assignment is not None
        else Assignment()
    )
    if args.gradescope_autograder is not None:
        seed = args.seed if args.seed is not None else secrets.randbelow(2**32)
        bundle = write_autograder(
            args.gradescope_autograder, seed=seed, assignment=args.assignment
        )
        print(f"wrote {bundle} (seed {seed}): upload it as the autograder")
        return 0
    if args.folder is None:
        raise ValueError(
            "give DIR, the folder of submissions (or --gradescope-autograder)"
        )
    for path, option in ((args.csv, "--csv"), (args.gradescope, "--gradescope")):
        _writable(path, option)
    submissions = find_submissions(args.folder, assignment.file)
    if args.gradescope is not None and len(submissions) != 1:
        raise ValueError(
            f"--gradescope writes one submission's results.json; {args.folder} holds "
            f"{len(submissions)}"
        )
    limits = assignment.limits(args.timeout, args.memory)
    results = args.json_dir if args.json_dir is not None else DEFAULT_RESULTS
    seed, resumed = run_seed(results, args.seed, args.force)
    how = "resuming the run of" if resumed else "cases drawn from"
    print(
        f"backprop grade: {len(submissions)} submissions, {how} seed {seed} "
        f"(reproduce with --seed {seed}), {args.jobs} job{'s' if args.jobs > 1 else ''}",
        flush=True,
    )
    run = grade_folder(
        args.folder,
        results=results,
        assignment=assignment,
        seed=seed,
        limits=limits,
        jobs=args.jobs,
        force=args.force,
        progress=not args.no_progress,
    )
    print(summary_table(run.records))
    counts = run.counts()
    print(", ".join(f"{counts[v]} {v}" for v in VERDICTS if v in counts) or "nothing")
    for field, what in (
        ("network", "with the network"),
        ("processes", "beside the grader's processes"),
    ):
        reasons = {
            part.get(field)
            for record in run.records
            for part in record["parts"]
            if part.get(field) and part.get(field) != "isolated"
        }
        for reason in sorted(reasons):
            print(f"note: the submissions ran {what}: {reason}")
    if args.csv is not None:
        args.csv.write_text(to_csv(run.records), encoding="utf-8", errors="replace")
    if args.gradescope is not None and run.records:
        text = json.dumps(to_gradescope(run.records[0]), indent=2) + "\n"
        write_atomically(args.gradescope, text)
    if args.junit_dir is not None:
        args.junit_dir.mkdir(parents=True, exist_ok=True)
        for record in run.records:
            path = args.junit_dir / f"{record['submission']}.xml"
            path.write_text(to_junit(record), encoding="utf-8", errors="replace")
    print(
        f"results in {results}/ ({run.graded} graded, {run.skipped} kept from an "
        "earlier run)"
    )
    if run.interrupted:
        print(
            f"interrupted: {len(run.records)} of {run.total} graded; the same command "
            "grades the rest",
            file=sys.stderr,
        )
        return 130
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m spec.check.grading``: ``backprop grade`` on its own; the exit
    status."""
    parser = argparse.ArgumentParser(prog="backprop grade", description=DESCRIPTION)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run_grade(args)
    except (TypeError, ValueError) as exc:  # bad option values, found by the library
        print(f"backprop grade: error: {exc}", file=sys.stderr)
        return 2
