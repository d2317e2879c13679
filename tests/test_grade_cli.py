"""``backprop grade`` as a command: options, exit status, grade sheets, resume,
Ctrl-C, the assignment file and the Gradescope autograder bundle."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
import zipfile
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from grade_submissions import CORRECT

import backprop.cli
from spec.check.grading import checks as checks_module
from spec.check.grading import grade as grade_module
from spec.check.grading.assignment import Part, load_assignment, parse_assignment
from spec.check.grading.cli import main, register_grade
from spec.check.grading.grade import find_submissions
from spec.check.grading.sheets import to_csv

ROOT = Path(__file__).resolve().parents[1]
#: A tutorial-style submission: one column example, returns (nabla_b, nabla_w).
TUTORIAL = """import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def backprop(weights, biases, x, y):
    activation, activations, zs = x, [x], []
    for b, w in zip(biases, weights):
        z = w @ activation + b
        zs.append(z)
        activation = sigmoid(z)
        activations.append(activation)
    delta = (activations[-1] - y) * activations[-1] * (1 - activations[-1])
    nabla_b, nabla_w = [delta], [delta @ activations[-2].T]
    for l in range(2, len(weights) + 1):
        s = activations[-l]
        delta = (weights[-l + 1].T @ delta) * s * (1 - s)
        nabla_b.insert(0, delta)
        nabla_w.insert(0, delta @ activations[-l - 1].T)
    return nabla_b, nabla_w
"""
ASSIGNMENT = """name = "Week 3"

[limits]
timeout = 20

[[parts]]
name = "backprop"
points = 6
layout = "columns"
per_example = true
returns = "b,w"
cost = "quadratic"
cost_keyword = false

[[parts]]
name = "vectorised"
function = "gradients"
points = 4
"""


def _grade(argv, capsys):
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def folder(tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    (submissions / "ada.py").write_text(CORRECT)
    (submissions / "ben.py").write_text(
        CORRECT.replace("(delta @ weights[l])", "(delta @ weights[l] * 2)")
    )
    (submissions / "=cmd.py").write_text("import os\nos._exit(3)\n")
    return submissions


def test_grade_cli_grades_and_writes_sheets(folder, tmp_path, capsys):
    out_csv, junit, results = tmp_path / "g.csv", tmp_path / "junit", tmp_path / "res"
    status, out, _ = _grade(
        [
            folder,
            "--seed",
            7,
            "--jobs",
            1,
            "--timeout",
            20,
            "--no-progress",
            "--csv",
            out_csv,
            "--junit-dir",
            junit,
            "--json-dir",
            results,
        ],
        capsys,
    )
    assert status == 0
    assert "cases drawn from seed 7 (reproduce with --seed 7)" in out
    assert "1 passed, 1 wrong, 1 exit" in out
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text())))
    by_name = {r["submission"]: r for r in rows}
    assert set(by_name) == {"ada.py", "ben.py", "'=cmd.py"}  # no formula
    assert by_name["ada.py"]["score"] == "1"
    assert by_name["ben.py"]["gradients: verdict"] == "wrong"
    assert by_name["ben.py"]["gradients: equation"].startswith("BP2")
    assert by_name["'=cmd.py"]["gradients: verdict"] == "exit"
    tree = ET.parse(junit / "ben.py.xml")
    assert tree.find(".//failure").get("type") == "wrong"
    assert ET.parse(junit / "=cmd.py.xml").find(".//error").get("type") == "exit"
    record = json.loads((results / "ada.py.json").read_text())
    assert record["schema"] == "backprop-spec/grade/1"
    assert record["parts"][0]["report"]["schema"].startswith(
        "backprop-spec/conformance"
    )
    assert record["parts"][0]["report"]["rng"] == 7


def test_grade_cli_resumes_unless_forced(folder, tmp_path, capsys):
    results = tmp_path / "res"
    base = [
        folder,
        "--jobs",
        1,
        "--timeout",
        20,
        "--no-progress",
        "--json-dir",
        results,
    ]
    _grade(base, capsys)
    seed = json.loads((results / ".run.json").read_text())["seed"]
    first = json.loads((results / "ben.py.json").read_text())
    status, out, _ = _grade(base, capsys)
    assert status == 0
    assert f"resuming the run of seed {seed}" in out
    assert "0 graded, 3 kept from an earlier run" in out
    (folder / "ben.py").write_text(CORRECT)  # a changed submission is graded again
    status, out, _ = _grade(base, capsys)
    assert "1 graded, 2 kept" in out
    assert json.loads((results / "ben.py.json").read_text())["verdict"] == "passed"
    assert first["verdict"] == "wrong"
    status, out, _ = _grade([*base, "--force"], capsys)
    assert "3 graded, 0 kept" in out
    assert f"seed {seed}" not in out.splitlines()[0]  # a fresh seed


def test_grade_a_grader_failure_stops_one_submission_only(
    folder, tmp_path, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug of the grader")

    monkeypatch.setattr(checks_module, "check_implementation", broken)
    run = grade_module.grade_folder(folder, results=tmp_path / "r", seed=3)
    verdicts = {r["submission"]: r["verdict"] for r in run.records}
    assert verdicts == {
        "=cmd.py": "exit",
        "ada.py": "grader error",
        "ben.py": "grader error",
    }
    assert "a bug of the grader" in run.records[1]["parts"][0]["detail"]
    monkeypatch.undo()
    again = grade_module.grade_folder(folder, results=tmp_path / "r", seed=3)
    assert (again.graded, again.skipped) == (2, 1)
    assert again.counts() == {"exit": 1, "passed": 1, "wrong": 1}


def test_grade_cli_same_seed_same_cases(folder, tmp_path, capsys):
    reports = []
    for name in ("a", "b"):
        _grade(
            [
                folder,
                "--seed",
                11,
                "--jobs",
                1,
                "--no-progress",
                "--json-dir",
                tmp_path / name,
            ],
            capsys,
        )
        record = json.loads((tmp_path / name / "ben.py.json").read_text())
        reports.append(record["parts"][0]["report"]["cases"])
    assert reports[0] == reports[1]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give DIR"),
        (["{missing}"], "must be a folder"),
        (["{folder}", "--csv", "{tmp}/no/such/g.csv"], "does not exist"),
        (["{folder}", "--gradescope", "{tmp}/r.json"], "holds 3"),
        (["{folder}", "--assignment", "{tmp}/none.toml"], "No such file"),
        (["{folder}", "--memory", "100"], "memory must be at least 256"),
    ],
)
def test_grade_cli_usage_errors_exit_2(argv, message, folder, tmp_path, capsys):
    filled = [
        a.format(folder=folder, tmp=tmp_path, missing=tmp_path / "missing")
        for a in argv
    ]
    status, _, err = _grade(filled, capsys)
    assert status == 2
    assert message in err


def test_grade_cli_bad_option_values_exit_2(folder, capsys):
    for argv in (["--jobs", "0"], ["--timeout", "-1"], ["--seed", "x"]):
        with pytest.raises(SystemExit) as caught:
            main([str(folder), *argv])
        assert caught.value.code == 2
    assert "expected" in capsys.readouterr().err


def test_grade_cli_registers_on_the_backprop_parser():
    parser = argparse.ArgumentParser(prog="backprop")
    commands = parser.add_subparsers(dest="command")
    register_grade(commands)
    args = parser.parse_args(["grade", "subs", "--jobs", "3", "--gradescope", "r.json"])
    assert args.folder == Path("subs")
    assert args.jobs == 3
    assert args.timeout is None  # the assignment's, else 60
    assert args.run.__name__ == "run_grade"


def test_grade_cli_assignment_parts_and_points(tmp_path, capsys):
    submissions = tmp_path / "submissions"
    (submissions / "cy").mkdir(parents=True)
    (submissions / "cy" / "net.py").write_text(TUTORIAL + "\n" + CORRECT)
    (submissions / "dee.py").write_text(TUTORIAL)
    assignment = tmp_path / "a.toml"
    assignment.write_text(ASSIGNMENT)
    out_csv = tmp_path / "g.csv"
    status, _out, _ = _grade(
        [
            submissions,
            "--assignment",
            assignment,
            "--csv",
            out_csv,
            "--jobs",
            1,
            "--no-progress",
            "--json-dir",
            tmp_path / "r",
        ],
        capsys,
    )
    assert status == 0
    rows = {
        r["submission"]: r for r in csv.DictReader(io.StringIO(out_csv.read_text()))
    }
    assert rows["cy"]["score"] == "10"
    assert rows["cy"]["max_score"] == "10"
    assert rows["dee.py"]["score"] == "6"
    assert rows["dee.py"]["vectorised: verdict"] == "missing function"
    assert rows["dee.py"]["backprop: verdict"] == "passed"


def test_grade_assignment_errors_name_the_key(tmp_path):
    with pytest.raises(ValueError, match=r"parts\[0\] has unknown keys \['layuot'\]"):
        parse_assignment({"parts": [{"name": "f", "layuot": "rows"}]})
    with pytest.raises(ValueError, match="layout must be one of"):
        parse_assignment({"parts": [{"name": "f", "layout": "diagonal"}]})
    with pytest.raises(ValueError, match="cost must be one or a list"):
        parse_assignment({"parts": [{"name": "f", "cost": "hinge"}]})
    with pytest.raises(ValueError, match="two parts share a name"):
        parse_assignment({"parts": [{"name": "f"}, {"name": "f"}]})
    with pytest.raises(ValueError, match="file must be a path inside"):
        parse_assignment({"file": "../x.py"})
    with pytest.raises(
        ValueError,
        match=r"kind must be one of \['function', 'program', 'layer', 'optimizer'\], got 'oracle'",
    ):
        parse_assignment({"parts": [{"name": "f", "kind": "oracle"}]})
    bad = tmp_path / "bad.toml"
    bad.write_text("name = ")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_assignment(bad)
    parsed = parse_assignment({"forbidden": ["torch"], "parts": [{"name": "g"}]})
    assert parsed.parts == (Part(name="g", function="g"),)
    assert parsed.forbidden == ("torch",)


def test_grade_find_submissions(tmp_path):
    (tmp_path / "two").mkdir()
    (tmp_path / "two" / "a.py").write_text("")
    (tmp_path / "two" / "b.py").write_text("")
    (tmp_path / ".hidden.py").write_text("")
    (tmp_path / "__pycache__").mkdir()
    found = {s.name: s for s in find_submissions(tmp_path)}
    assert set(found) == {"two"}
    assert "2 Python files (a.py, b.py)" in found["two"].problem
    assert find_submissions(tmp_path, "b.py")[0].module == "b.py"


def test_grade_csv_quotes_what_submissions_write():
    record = {
        "submission": "+x",
        "score": 0.0,
        "max_score": 1.0,
        "verdict": "crash",
        "parts": [
            {
                "name": "f",
                "verdict": "crash",
                "score": 0.0,
                "mistake": None,
                "equation": None,
                "line": {"path": "x.py", "number": 3, "source": "=1+1"},
                "detail": '@SUM(A1), "quoted"\nnew line',
            }
        ],
    }
    row = list(csv.reader(io.StringIO(to_csv([record]))))[1]
    assert row[0] == "'+x"
    assert row[-2] == "x.py:3: =1+1"
    assert row[-1] == "'" + record["parts"][0]["detail"]


def _child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("jobs", [1, 2])
def test_grade_cli_ctrl_c_keeps_what_finished(tmp_path, jobs):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    (submissions / "a_quick.py").write_text(CORRECT)
    for k in range(4):
        (submissions / f"b_slow_{k}.py").write_text(
            "import time\ntime.sleep(600)\n" + CORRECT
        )
    results = tmp_path / "res"
    sandboxes = set(Path(tempfile.gettempdir()).glob("backprop-grade-*"))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "spec.check.grading",
            str(submissions),
            "--jobs",
            str(jobs),
            "--timeout",
            "120",
            "--no-progress",
            "--json-dir",
            str(results),
        ],
        cwd=tmp_path,
        env=_child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        # As from a terminal: a run started in the background (nohup, `&`) has
        # SIGINT ignored, and its children inherit that.
        preexec_fn=_interruptible,
    )
    deadline = time.monotonic() + 60
    while not (results / "a_quick.py.json").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # the slow one is running
    os.killpg(process.pid, signal.SIGINT)  # the terminal's Ctrl-C
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err.decode()
    assert b"interrupted: 1 of 5 graded" in err
    assert sorted(p.name for p in results.iterdir()) == [".run.json", "a_quick.py.json"]
    assert b"a_quick.py" in out
    time.sleep(0.5)  # a killed child's exit reaches /proc
    assert not _running(b'"file": "b_slow_')  # no sandbox is left
    # Nor its folder; other graders on the machine (another test run) come and
    # go meanwhile: a folder that stays for 10 s is one this run left.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        left = set(Path(tempfile.gettempdir()).glob("backprop-grade-*")) - sandboxes
        if not left:
            break
        time.sleep(0.2)
    assert not left


def _running(pattern: bytes) -> list[int]:
    """The processes whose command line holds ``pattern``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if pattern in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_grade_gradescope_bundle_runs_with_redirected_root(tmp_path, capsys):
    bundle = tmp_path / "bundle"
    assignment = tmp_path / "a.toml"
    assignment.write_text(ASSIGNMENT)
    status, out, _ = _grade(
        ["--gradescope-autograder", bundle, "--assignment", assignment, "--seed", 5],
        capsys,
    )
    assert status == 0
    assert "seed 5" in out
    with zipfile.ZipFile(bundle / "autograder.zip") as archive:
        names = set(archive.namelist())
        wheel = next(n for n in names if n.endswith(".whl"))
        assert {"setup.sh", "run_autograder", "assignment.toml"} <= names
        assert archive.getinfo("run_autograder").external_attr >> 16 & 0o111
        root = tmp_path / "autograder"
        archive.extractall(root / "source")
    assert wheel.startswith("backprop_spec-")
    assert wheel in (root / "source" / "setup.sh").read_text()
    with zipfile.ZipFile(root / "source" / wheel) as built:
        assert "spec/check/grading/child.py" in built.namelist()
    (root / "submission").mkdir()
    (root / "submission" / "network.py").write_text(TUTORIAL)
    run = root / "source" / "run_autograder"
    run.chmod(0o755)
    finished = subprocess.run(
        [str(run)],
        env={**_child_env(), "AUTOGRADER_ROOT": str(root), "PYTHON": sys.executable},
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr.decode()
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 6
    tests = {t["name"]: t for t in results["tests"]}
    assert set(tests) == {"backprop", "vectorised"}
    assert tests["backprop"]["max_score"] == 6
    assert tests["backprop"]["score"] == 6
    assert tests["vectorised"]["score"] == 0
    assert "defines no function gradients" in tests["vectorised"]["output"]
    assert all(t["visibility"] == "visible" for t in results["tests"])
    assert "seed 5" in results["output"]
    assert sorted(p.name for p in root.iterdir()) == ["results", "source", "submission"]


def test_grade_through_the_backprop_command(folder, tmp_path, monkeypatch, capsys):
    """The ``backprop.commands`` entry point of pyproject.toml, as installed."""
    grade = EntryPoint(
        name="grade",
        value="spec.check.grading.cli:register_grade",
        group="backprop.commands",
    )
    monkeypatch.setattr(backprop.cli, "entry_points", lambda group: [grade])
    status = backprop.cli.main(
        [
            "grade",
            str(folder),
            "--jobs",
            "1",
            "--seed",
            "4",
            "--no-progress",
            "--json-dir",
            str(tmp_path / "r"),
        ]
    )
    assert status == 0
    assert "1 passed, 1 wrong, 1 exit" in capsys.readouterr().out
    assert backprop.cli.main(["grade", str(tmp_path / "missing")]) == 2
