"""Grade a folder of submissions: :func:`grade_folder`, :func:`grade_submission`.

Each entry of the folder is one submission: a ``.py`` file, or a folder with one
(or the assignment's ``file``). Each part of the assignment runs in a child of its
own (:class:`~spec.check.grading.sandbox.Sandbox`) while the battery
(:func:`spec.check_implementation`), its references and its comparison run here.

Each submission's result is a record (a JSON object, :data:`SCHEMA`) written
atomically to the results folder as soon as it is graded, so that an interrupted
run keeps what it finished and the next run skips what was graded under the same
seed, assignment, limits and files. The run's seed is drawn fresh unless given,
and kept in the folder's ``.run.json`` for the runs that resume it.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import dataclasses
import hashlib
import json
import math
import multiprocessing
import os
import secrets
import signal
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from spec.check.grading.assignment import Assignment, Part
from spec.check.grading.checks import Outcome, run_check
from spec.check.grading.limits import Limits, SubmissionStopped
from spec.check.grading.sandbox import Sandbox
from spec.check.grading.submissions import Submission, find_submissions

__all__ = [
    "PR_SET_PDEATHSIG",
    "RUN_FILE",
    "SCHEMA",
    "VERDICTS",
    "GradeRun",
    "Settings",
    "Terminated",
    "grade_and_save",
    "grade_folder",
    "grade_part",
    "grade_submission",
    "record_path",
    "run_seed",
    "summary_table",
    "write_atomically",
]


#: Name and version of a record's layout.
SCHEMA = "backprop-spec/grade/1"


#: Every verdict of a part, in the order the grade sheets count them.
VERDICTS = (
    "passed",
    "wrong",
    "nan",
    "wrong shape",
    "wrong type",
    "crash",
    "memory",
    "timeout",
    "exit",
    "signal",
    "forbidden",
    "import error",
    "missing function",
    "no submission",
    "protocol",
    "grader error",
)


#: The run's seed and fingerprint, in the results folder (hidden: no submission's
#: record can have its name).
RUN_FILE = ".run.json"


#: prctl's option: a signal for the process when its parent ends.
PR_SET_PDEATHSIG = 1


def _first_line(text: str, width: int = 300) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def _missing(part: Part, box: Sandbox) -> list[str]:
    """The part's functions the submission does not define (``Class.method``
    by its class)."""
    return [f for f in part.functions if f.partition(".")[0] not in box.callables]


def _classify(
    part: Part, box: Sandbox, outcome: Outcome | str | None
) -> tuple[str, str, dict[str, Any] | None]:
    """The part's verdict, its detail in a sentence, and the line at fault."""
    if box.stop is not None:
        return box.stop.verdict, box.stop.detail, None
    if box.forbidden_used:
        return (
            "forbidden",
            f"uses a forbidden module: {', '.join(box.forbidden_used)}",
            None,
        )
    if box.import_error is not None:
        error = box.import_error
        verdict = "memory" if error.kind == "MemoryError" else "import error"
        return verdict, _first_line(f"{error.kind}: {error.message}"), error.line
    if isinstance(outcome, str):  # nothing the check can take
        return "missing function", _first_line(outcome), None
    if outcome is None:
        defined = ", ".join(box.callables[:12]) or "none"
        missing = ", ".join(_missing(part, box))
        return (
            "missing function",
            f"defines no function {missing} (its callables: {defined})",
            None,
        )
    if outcome.passed:
        return "passed", _first_line(outcome.detail), None
    line = outcome.line
    # A known mistake that agrees with every case, crashes included (its
    # derivation fails on the same shapes), says more than the crash.
    named = outcome.mistake is not None
    memory = any(e.kind == "MemoryError" for e in box.errors)
    if box.errors and (not named or memory):
        first = box.errors[0]
        detail = _first_line(f"{first.kind}: {first.message}")
        return "memory" if memory else "crash", detail, first.line
    if outcome.problem is not None:
        verdict, detail = outcome.problem
        return verdict, _first_line(detail), None
    if box.nonfinite:
        return "nan", "returned NaN or infinity; " + _first_line(outcome.detail), line
    if line is None and box.errors:
        line = box.errors[0].line
    return "wrong", _first_line(outcome.detail, 600), line


def _json_ready(value: Any, depth: int = 0) -> Any:
    """``value`` with each infinite or NaN float written as ``None`` (a record is
    strict JSON; an error of ``inf`` is a rule that diverged)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if depth > 50:
        return value
    if isinstance(value, dict):
        return {k: _json_ready(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v, depth + 1) for v in value]
    return value


def _file(submission: Submission) -> Path:
    """The submission's file to import, here."""
    assert submission.module is not None
    if submission.path.is_dir():
        return submission.path / submission.module
    return submission.path


def grade_part(
    submission: Submission,
    part: Part,
    *,
    assignment: Assignment,
    seed: int,
    limits: Limits,
    isolate: bool = True,
) -> dict[str, Any]:
    """The record of one part of one submission (see :data:`SCHEMA`)."""
    start = time.perf_counter()
    record: dict[str, Any] = {
        "name": part.name,
        "kind": part.kind,
        "function": part.function,
        "points": part.points,
        "score": 0.0,
        "verdict": "no submission",
        "detail": submission.problem,
        "mistake": None,
        "equation": None,
        "line": None,
        "output": "",
        "output_truncated": False,
        "network": None,
        "processes": None,
        "notes": [],
        "report": None,
    }
    if submission.problem or submission.module is None:
        return record
    outcome: Outcome | str | None = None
    with Sandbox(
        submission.path,
        submission.module,
        limits=limits,
        forbidden=assignment.forbidden,
        allowed=assignment.allowed,
        isolate=isolate,
        label=submission.name,
    ) as box:
        usable = (
            box.stop is None
            and box.import_error is None
            and not box.forbidden_used
            and not _missing(part, box)
        )
        if usable:
            try:
                outcome = run_check(part, box, seed, _file(submission))
            except SubmissionStopped:  # a check that does not catch it: recorded
                outcome = None
    verdict, detail, line = _classify(part, box, outcome)
    notes = list(box.limit_problems)
    if box.mutated:
        notes.append("changes its array arguments in place")
    if box.output_truncated:
        notes.append(f"printed more than {limits.output} bytes; the rest was cut")
    found = outcome if isinstance(outcome, Outcome) else None
    record.update(
        score=part.points if verdict == "passed" else 0.0,
        verdict=verdict,
        detail=detail,
        mistake=found.mistake if found is not None else None,
        equation=found.equation if found is not None else None,
        line=line,
        output=box.output,
        output_truncated=box.output_truncated,
        network=box.network or None,
        processes=box.processes or None,
        notes=notes,
        report=_json_ready(found.report) if found is not None else None,
        seconds=round(time.perf_counter() - start, 3),
    )
    return record


@dataclasses.dataclass(frozen=True)
class Settings:
    """What a run's records depend on, and where they go (sent to the workers)."""

    assignment: Assignment
    seed: int
    limits: Limits
    results: Path
    isolate: bool = True

    def fingerprint(self) -> str:
        text = json.dumps(
            [self.assignment.fingerprint(), self.seed, dataclasses.asdict(self.limits)],
            sort_keys=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def grade_submission(submission: Submission, settings: Settings) -> dict[str, Any]:
    """The record of a submission, every part graded (see :data:`SCHEMA`)."""
    start = time.perf_counter()
    parts = [
        grade_part(
            submission,
            part,
            assignment=settings.assignment,
            seed=settings.seed,
            limits=settings.limits,
            isolate=settings.isolate,
        )
        for part in settings.assignment.parts
    ]
    failed = [p["verdict"] for p in parts if p["verdict"] != "passed"]
    return {
        "schema": SCHEMA,
        "submission": submission.name,
        "assignment": settings.assignment.name,
        "seed": settings.seed,
        "fingerprint": settings.fingerprint(),
        "files": submission.digest(),
        "score": float(sum(p["score"] for p in parts)),
        "max_score": settings.assignment.max_score,
        "verdict": failed[0] if failed else "passed",
        "parts": parts,
        "seconds": round(time.perf_counter() - start, 3),
    }


def record_path(results: Path, name: str) -> Path:
    """Where the record of the submission ``name`` is written."""
    return results / f"{name}.json"


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees the old file or the whole
    new one, never a part (a temporary file, then a rename)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _grader_error(
    submission: Submission, settings: Settings, exc: Exception
) -> dict[str, Any]:
    """The record of a submission whose grading failed in the grader itself (a
    bug of ours, never the submission's doing: it is graded again next run)."""
    detail = f"the grader failed: {type(exc).__name__}: {exc}"
    parts: list[dict[str, Any]] = [
        {
            "name": part.name,
            "kind": part.kind,
            "function": part.function,
            "points": part.points,
            "score": 0.0,
            "verdict": "grader error",
            "detail": _first_line(detail),
            "mistake": None,
            "equation": None,
            "line": None,
            "output": "",
            "output_truncated": False,
            "network": None,
            "processes": None,
            "notes": [],
            "report": None,
        }
        for part in settings.assignment.parts
    ]
    return {
        "schema": SCHEMA,
        "submission": submission.name,
        "assignment": settings.assignment.name,
        "seed": settings.seed,
        "fingerprint": settings.fingerprint(),
        "files": submission.digest(),
        "score": 0.0,
        "max_score": settings.assignment.max_score,
        "verdict": "grader error",
        "parts": parts,
        "seconds": 0.0,
    }


def grade_and_save(submission: Submission, settings: Settings) -> dict[str, Any]:
    """Grade a submission and write its record (the work of one job)."""
    try:
        record = grade_submission(submission, settings)
    except Exception as exc:  # a bug of the grader: the other submissions go on
        record = _grader_error(submission, settings, exc)
    except Terminated:  # the sandbox is closed by now; the pool would go on
        os._exit(128 + signal.SIGTERM)
    text = json.dumps(record, indent=2, allow_nan=False) + "\n"
    write_atomically(record_path(settings.results, submission.name), text)
    return record


def _finished(submission: Submission, settings: Settings) -> dict[str, Any] | None:
    """The record of an earlier run that still holds, or None."""
    try:
        record = json.loads(record_path(settings.results, submission.name).read_text())
    except (OSError, ValueError):
        return None
    if (
        isinstance(record, dict)
        and record.get("schema") == SCHEMA
        and record.get("fingerprint") == settings.fingerprint()
        and record.get("files") == submission.digest()
        and record.get("verdict") != "grader error"
    ):
        return record
    return None


class Terminated(BaseException):
    """A worker was told to stop (SIGTERM); raised through its work so that its
    sandbox kills its child and removes its folder, then the worker exits."""


def _terminate(number: int, frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: the pool may send more
    raise Terminated


def _worker_start() -> None:
    # Ctrl-C reaches the grader, which stops the workers with SIGTERM: one signal,
    # so that a sandbox's cleanup is not itself interrupted.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _terminate)
    # Told to stop when the grader's process ends, however it ends (Linux).
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclasses.dataclass(frozen=True)
class GradeRun:
    """The outcome of :func:`grade_folder`.

    Attributes
    ----------
    seed : int
    records : tuple of dict
        One per submission graded or kept from an earlier run, by name; only those
        finished when the run was interrupted.
    graded, skipped : int
        Submissions graded by this run, and kept from an earlier one.
    interrupted : bool
        The run was stopped (Ctrl-C, or a worker killed from outside) before every
        submission was graded.
    total : int
        Submissions in the folder.
    """

    seed: int
    records: tuple[dict[str, Any], ...]
    graded: int
    skipped: int
    interrupted: bool
    total: int

    def counts(self) -> dict[str, int]:
        """Submissions per verdict."""
        return dict(Counter(r["verdict"] for r in self.records))


def run_seed(results: Path, seed: int | None, force: bool) -> tuple[int, bool]:
    """The run's seed and whether it resumes an earlier run: ``seed`` if given,
    else the seed of the run recorded in ``results`` (unless ``force``), else a
    fresh one."""
    if seed is not None:
        return seed, False
    if not force:
        with contextlib.suppress(OSError, ValueError, TypeError):
            earlier = json.loads((results / RUN_FILE).read_text())["seed"]
            if isinstance(earlier, int) and not isinstance(earlier, bool):
                return earlier, True
    return secrets.randbelow(2**32), False


def grade_folder(
    folder: str | Path,
    *,
    results: str | Path,
    assignment: Assignment | None = None,
    seed: int | None = None,
    limits: Limits | None = None,
    jobs: int = 1,
    force: bool = False,
    progress: bool = False,
    isolate: bool = True,
) -> GradeRun:
    """Grade every submission of ``folder``; each record is written to
    ``results`` as soon as it is graded.

    Parameters
    ----------
    folder : path
        The folder of submissions (:func:`find_submissions`).
    results : path
        Where the records go (created if needed); also what a later run resumes.
    assignment : Assignment, optional
        Default: one part, a function ``gradients`` in the project's convention.
    seed : int, optional
        The seed of the battery's cases, the same for every submission of the run.
        Default: the seed of the run recorded in ``results``, or a fresh one.
    limits : Limits, optional
        Default: the assignment's ``[limits]``, the defaults where it is silent.
    jobs : int
        Submissions graded at once, each in a worker process of its own.
    force : bool
        Grade again what an earlier run graded.
    progress : bool
        Show a progress bar with the count of each verdict.
    isolate : bool
        Give each child network and process namespaces of its own where the
        system allows them.

    Returns
    -------
    GradeRun
        On Ctrl-C, what finished, with ``interrupted`` set.
    """
    assignment = Assignment() if assignment is None else assignment
    limits = assignment.limits() if limits is None else limits
    value: Any = jobs  # any object may come; the hint is what is expected
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"jobs must be an integer >= 1, got {jobs!r}")
    submissions = find_submissions(folder, assignment.file)
    results = Path(results)
    results.mkdir(parents=True, exist_ok=True)
    for leftover in results.glob(".*.tmp"):  # from a run stopped mid-write
        leftover.unlink()
    seed, _ = run_seed(results, seed, force)
    settings = Settings(assignment, seed, limits, results.resolve(), isolate)
    write_atomically(
        results / RUN_FILE,
        json.dumps({"seed": seed, "fingerprint": settings.fingerprint()}) + "\n",
    )
    done: dict[str, dict[str, Any]] = {}
    if not force:
        for submission in submissions:
            record = _finished(submission, settings)
            if record is not None:
                done[submission.name] = record
    skipped = len(done)
    pending = [s for s in submissions if s.name not in done]
    counts = Counter(r["verdict"] for r in done.values())
    bar = tqdm(
        total=len(submissions),
        initial=skipped,
        desc="grading",
        unit="submission",
        disable=not progress,
    )

    def finish(record: dict[str, Any]) -> None:
        done[record["submission"]] = record
        counts[record["verdict"]] += 1
        bar.set_postfix({v: counts[v] for v in VERDICTS if counts[v]}, refresh=False)
        bar.update()

    interrupted = False
    try:
        if jobs == 1:
            for submission in pending:
                finish(grade_and_save(submission, settings))
        else:
            context = multiprocessing.get_context("spawn")
            before = set(multiprocessing.active_children())
            with concurrent.futures.ProcessPoolExecutor(
                jobs, context, initializer=_worker_start
            ) as pool:
                futures = [pool.submit(grade_and_save, s, settings) for s in pending]
                workers = set(multiprocessing.active_children()) - before
                try:
                    for future in concurrent.futures.as_completed(futures):
                        finish(future.result())
                except BaseException:
                    # Stop now, not after the submissions the workers hold: a
                    # worker's end kills its sandbox (PR_SET_PDEATHSIG), and a
                    # record half written is a temporary file, removed next run.
                    for worker in workers:
                        worker.terminate()
                    for worker in workers:  # each closes its sandbox, then ends
                        worker.join(timeout=10)
                    pool.shutdown(wait=True, cancel_futures=True)
                    raise
    except (KeyboardInterrupt, BrokenProcessPool):
        interrupted = True  # Ctrl-C, or a worker killed from outside
    finally:
        bar.close()
    records = tuple(done[s.name] for s in submissions if s.name in done)
    return GradeRun(
        seed=seed,
        records=records,
        graded=len(done) - skipped,
        skipped=skipped,
        interrupted=interrupted,
        total=len(submissions),
    )


def summary_table(records: Sequence[dict[str, Any]]) -> str:
    """The records as a table: submission, score, verdict, detail."""
    if not records:
        return "no submissions"
    width = max(len("submission"), *(len(r["submission"]) for r in records))
    lines = [f"{'submission':<{width}}  {'score':>9}  {'verdict':<16}  detail"]
    for r in records:
        failed = [p for p in r["parts"] if p["verdict"] != "passed"]
        first = failed[0] if failed else r["parts"][0]
        detail = first["detail"]
        if len(r["parts"]) > 1 and failed:
            detail = f"{first['name']}: {detail}"
        detail = detail if len(detail) <= 90 else detail[:89] + "…"
        score = f"{r['score']:g}/{r['max_score']:g}"
        lines.append(
            f"{r['submission']:<{width}}  {score:>9}  {r['verdict']:<16}  {detail}"
        )
    return "\n".join(lines)
