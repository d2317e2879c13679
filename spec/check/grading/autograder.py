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

import base64
import hashlib
import importlib.metadata
import zipfile
from pathlib import Path

__all__ = ["RUN_AUTOGRADER", "SETUP", "build_wheel", "write_autograder"]

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


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


def build_wheel(destination: Path) -> Path:
    """Write a wheel of the installed ``backprop-spec`` into ``destination``; its
    path.

    The wheel is assembled from what runs here: the ``backprop`` and ``spec``
    packages where Python imports them from (a source tree or site-packages) and
    the distribution's own metadata and entry points, so it needs neither pip nor
    a build backend, and works from an installed copy as from a checkout.
    """
    import backprop
    import spec

    dist = importlib.metadata.distribution("backprop-spec")
    version = dist.version
    info = f"backprop_spec-{version}.dist-info"
    files: dict[str, bytes] = {}
    for package in (backprop, spec):
        folder = Path(str(package.__file__)).parent
        for path in sorted(folder.rglob("*.py")):
            if "__pycache__" not in path.parts:
                files[path.relative_to(folder.parent).as_posix()] = path.read_bytes()
    files[f"{info}/METADATA"] = (dist.read_text("METADATA") or "").encode()
    files[f"{info}/entry_points.txt"] = (
        dist.read_text("entry_points.txt") or ""
    ).encode()
    files[f"{info}/top_level.txt"] = b"backprop\nspec\n"
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: backprop-spec\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n"
    )
    record = "".join(
        f"{name},{_record_hash(data)},{len(data)}\n" for name, data in files.items()
    )
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    target = destination / f"backprop_spec-{version}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in files.items():
            wheel.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
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
