"""``backprop grade`` on a folder of hostile and broken submissions beside correct
ones: each gets its own verdict, the correct ones keep full marks, the grader
neither crashes nor hangs, and nothing is written outside the output folders."""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

import pytest
from grade_submissions import HOSTILE, correct_function, hard_coded, write_submissions

import spec
from spec.check.grading.grade import grade_folder
from spec.check.grading.limits import Limits

#: The run's seed: not 0, the seed the hard-coded submission learnt its answers on.
SEED = 20261203
#: Short enough for a quick test, long enough for a child to start NumPy and answer
#: the battery's 20 calls on a busy machine (measured ~0.3 s).
LIMITS = Limits(timeout=5, memory=1024)


def answers_of_seed_0() -> list:
    """What the correct function returns on the battery of seed 0, call by call."""
    calls: list = []
    right = correct_function()

    def recorder(*args, **kwargs):
        calls.append(right(*args, **kwargs))
        return calls[-1]

    assert spec.check_implementation(recorder, rng=0).passed
    return calls


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file()
        else "folder"
        for p in sorted(folder.rglob("*"))
    }


def _sandboxes() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("backprop-grade-*")}


def _processes(pattern: bytes) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if pattern in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("grading")
    folder = root / "submissions"
    expected = write_submissions(folder, answers_of_seed_0(), Path(spec.__file__))
    before = _digest(folder)
    sandboxes = _sandboxes()
    run = grade_folder(
        folder, results=root / "results", seed=SEED, limits=LIMITS, jobs=2
    )
    return {
        "root": root,
        "folder": folder,
        "expected": expected,
        "run": run,
        "records": {r["submission"]: r for r in run.records},
        "before": before,
        "sandboxes": sandboxes,
    }


def test_grade_hostile_folder_is_large_enough(graded):
    hostile = [n for n, v in graded["expected"].items() if n in HOSTILE]
    assert len(hostile) >= 25
    assert graded["run"].total == len(graded["expected"])
    assert not graded["run"].interrupted


@pytest.mark.parametrize("name", [*HOSTILE, "ada.py", "Zoë Ünal-Ørsted.py", "team"])
def test_grade_hostile_verdict(graded, name):
    record = graded["records"][name]
    expected = graded["expected"][name]
    assert record["verdict"] == expected, record["parts"][0]["detail"]
    part = record["parts"][0]
    assert part["verdict"] == expected
    assert part["detail"]
    if expected == "passed":
        assert record["score"] == record["max_score"] == 1.0
        assert part["report"]["conformant"]
    else:
        assert record["score"] == 0.0


def test_grade_hostile_records_on_disk(graded):
    results = graded["root"] / "results"
    for name, record in graded["records"].items():
        on_disk = json.loads((results / f"{name}.json").read_text(encoding="utf-8"))
        assert on_disk == record
        assert on_disk["seed"] == SEED


def test_grade_hostile_details_name_the_cause(graded):
    records = graded["records"]

    def detail(name):
        return records[name]["parts"][0]["detail"]

    assert "time limit of 5 s" in detail("infinite_loop.py")
    assert "exit status 0 at import" in detail("os_exit_at_import.py")
    assert "exit status 0 during a call" in detail("sys_exit_in_call.py")
    assert "SIGKILL" in detail("sigkill_in_call.py")
    assert detail("allocates_20GB_in_call.py").startswith("MemoryError")
    assert detail("imports_spec_oracle.py") == "uses a forbidden module: spec"
    assert detail("imports_backprop_in_call.py") == "uses a forbidden module: backprop"
    assert detail("loads_spec_by_path.py") == "uses a forbidden module: spec"
    assert detail("raises.py") == "ZeroDivisionError: oops"
    line = records["raises.py"]["parts"][0]["line"]
    assert line["path"] == "raises.py"
    assert "raise ZeroDivisionError" in line["source"]
    assert records["syntax_error.py"]["parts"][0]["line"]["number"] == 1
    assert "returned NoneType" in detail("returns_none.py")
    assert "returned Gradients" in detail("returns_own_object.py")
    assert "shape" in detail("returns_wrong_shapes.py")
    assert "unreadable reply" in detail("writes_garbage_to_pipes.py")
    assert "allowed" in detail("replies_160MB.py")
    assert "no Python file" in detail("empty_folder")


def test_grade_hostile_output_is_cut(graded):
    part = graded["records"]["prints_50MB.py"]["parts"][0]
    assert part["output_truncated"]
    assert len(part["output"]) < LIMITS.output + 200
    assert "more bytes of output cut" in part["output"]


def test_grade_hostile_mutation_is_noted(graded):
    part = graded["records"]["mutates_inputs.py"]["parts"][0]
    assert any("in place" in note for note in part["notes"])
    assert "wrote into its arguments weights, biases, x, y" in part["detail"]
    assert not graded["records"]["ada.py"]["parts"][0]["notes"]


def test_grade_hostile_monkeypatching_numpy_names_the_mistake(graded):
    part = graded["records"]["monkeypatches_numpy.py"]["parts"][0]
    assert part["report"]["diagnosis"] is not None
    assert part["report"]["counts"]["failed"] == len(part["report"]["cases"])


def test_grade_hostile_nothing_written_outside(graded):
    assert _digest(graded["folder"]) == graded["before"]
    assert sorted(p.name for p in graded["root"].iterdir()) == [
        "results",
        "submissions",
    ]
    results = graded["root"] / "results"
    names = {p.name for p in results.iterdir()}
    assert names == {f"{n}.json" for n in graded["expected"]} | {".run.json"}
    assert _sandboxes() <= graded["sandboxes"]
    assert not Path("~/escape.txt").expanduser().exists()
    assert not (Path(tempfile.gettempdir()) / "escape.txt").exists()


def test_grade_hostile_process_group_is_killed(graded):
    assert _processes(b"sleep\x004242") == []


def test_grade_hostile_hard_coded_answers_pass_only_their_seed(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    (folder / "learnt.py").write_text(hard_coded(answers_of_seed_0()))
    on_0 = grade_folder(folder, results=tmp_path / "r0", seed=0, limits=LIMITS)
    on_1 = grade_folder(folder, results=tmp_path / "r1", seed=1, limits=LIMITS)
    assert on_0.records[0]["verdict"] == "passed"
    assert on_1.records[0]["verdict"] == "wrong"


@pytest.mark.parametrize("field", ["network", "processes"])
def test_grade_hostile_isolation_is_had_or_said(graded, field):
    said = {
        p[field]
        for r in graded["records"].values()
        for p in r["parts"]
        if p[field] is not None
    }
    assert said
    assert all(n == "isolated" or n.startswith("not isolated") for n in said)
