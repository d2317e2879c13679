"""The Gradescope autograder bundle: :func:`write_autograder`.

Gradescope runs each submission in a container of its own: ``setup.sh`` once, when
it builds the image (here: install this project from the wheel the bundle
carries), then ``run_autograder`` per submission, which must grade
``/autograder/submission`` and write ``/autograder/results/results.json``. Ours
copies the submission into a folder of one submission and runs ``backprop grade``
on it with the bundle's assignment and seed. ``AUTOGRADER_ROOT`` moves
``/autograder`` (for a test), ``PYTHON`` names the interpreter.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

__all__ = ["RUN_AUTOGRADER", "SETUP", "build_wheel", "project_root", "write_autograder"]

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder's image.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v python3 >/dev/null || ! python3 -m pip --version >/dev/null; then
    apt-get update && apt-get install -y python3 python3-pip
fi
python3 -m pip install {wheel}
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission: grade /autograder/submission into
# /autograder/results/results.json. AUTOGRADER_ROOT moves /autograder.
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{PYTHON:-python3}}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/submissions" "$ROOT/results"
cp -r "$ROOT/submission" "$WORK/submissions/submission"
"$PYTHON" -m spec.check.grading "$WORK/submissions" \\
    --assignment "$ROOT/source/assignment.toml" --seed {seed} --jobs 1 \\
    --json-dir "$WORK/records" --gradescope "$ROOT/results/results.json" \\
    --no-progress
"""

#: The assignment written when none is given: the defaults (see
#: :mod:`spec.check.grading.assignment`).
DEFAULT_ASSIGNMENT = """# The assignment graded by this bundle (see `backprop grade --help`).
name = "backprop"

[[parts]]
name = "gradients"
function = "gradients"
points = 1
"""


def project_root() -> Path:
    """The source tree of this project (holding ``pyproject.toml``); ValueError
    when the project was installed without it."""
    root = Path(__file__).resolve().parents[3]
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file() or 'name = "backprop-spec"' not in pyproject.read_text(
        encoding="utf-8"
    ):
        raise ValueError(
            "the bundle needs a wheel of backprop-spec, built from its source tree; "
            f"none found at {root}"
        )
    return root


def build_wheel(destination: Path) -> Path:
    """Build a wheel of this project into ``destination``; its path.

    The source is copied to a temporary folder first, so the build leaves nothing
    in the source tree.
    """
    root = project_root()
    with tempfile.TemporaryDirectory(prefix="backprop-wheel-") as temporary:
        source = Path(temporary) / "source"
        source.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            if (root / name).is_file():
                shutil.copy2(root / name, source / name)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        for package in ("backprop", "spec"):
            shutil.copytree(root / package, source / package, ignore=ignore)
        built = Path(temporary) / "wheel"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "--no-build-isolation",
                "--quiet",
                "--wheel-dir",
                str(built),
                str(source),
            ],
            check=True,
            stdin=subprocess.DEVNULL,
        )
        (wheel,) = built.glob("backprop_spec-*.whl")
        target = destination / wheel.name
        shutil.copy2(wheel, target)
    return target


def _write(path: Path, text: str, executable: bool = False) -> None:
    path.write_text(text, encoding="utf-8")
    if executable:
        path.chmod(0o755)


def write_autograder(
    folder: str | Path, *, seed: int, assignment: str | Path | None = None
) -> Path:
    """Write the Gradescope autograder bundle into ``folder``; the path of its zip.

    Parameters
    ----------
    folder : path
        Created if needed; receives ``setup.sh``, ``run_autograder``,
        ``assignment.toml``, the wheel, and ``autograder.zip`` of them all (the
        file to upload).
    seed : int
        The seed of the battery's cases for every submission graded by the bundle.
    assignment : path, optional
        The assignment file; default: one function ``gradients``, one point.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    wheel = build_wheel(folder)
    text = (
        DEFAULT_ASSIGNMENT
        if assignment is None
        else Path(assignment).read_text(encoding="utf-8")
    )
    _write(folder / "assignment.toml", text)
    _write(folder / "setup.sh", SETUP.format(wheel=wheel.name), executable=True)
    _write(folder / "run_autograder", RUN_AUTOGRADER.format(seed=seed), executable=True)
    bundle = folder / "autograder.zip"
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("setup.sh", "run_autograder", "assignment.toml", wheel.name):
            path = folder / name
            info = zipfile.ZipInfo(name)
            info.external_attr = (path.stat().st_mode & 0o777 | 0o100000) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return bundle
