"""The submissions of a folder: each ``.py`` file, or each folder with one
(:func:`find_submissions`), as a :class:`Submission`."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

__all__ = [
    "IGNORED",
    "Submission",
    "find_submissions",
]


#: Files of a submission folder that are not looked at.
IGNORED = ("__pycache__",)


@dataclasses.dataclass(frozen=True)
class Submission:
    """One entry of the folder of submissions.

    Attributes
    ----------
    name : str
        The entry's name (``"ada.py"``, ``"ben"``): the submission's name on the
        grade sheets and the stem of its record.
    path : pathlib.Path
    module : str or None
        The file to import, relative to ``path`` when it is a folder.
    problem : str
        Why there is nothing to import (``""`` when there is).
    """

    name: str
    path: Path
    module: str | None
    problem: str = ""

    def digest(self) -> str:
        """A digest of the submission's files: a changed submission is regraded."""
        sha = hashlib.sha256()
        files = [self.path] if self.path.is_file() else sorted(self.path.rglob("*"))
        for file in files:
            if file.is_file() and not file.is_symlink():
                sha.update(str(file.relative_to(self.path.parent)).encode())
                sha.update(file.read_bytes())
        return sha.hexdigest()[:16]


def _python_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.suffix == ".py" and p.is_file())


def find_submissions(folder: str | Path, file: str | None = None) -> list[Submission]:
    """The submissions in ``folder``, by name; hidden entries are left out."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"DIR must be a folder of submissions, got {folder}")
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name in IGNORED:
            continue
        if entry.is_file():
            if entry.suffix == ".py":
                found.append(Submission(entry.name, entry, entry.name))
            else:
                problem = f"{entry.name} is not a Python file (.py)"
                found.append(Submission(entry.name, entry, None, problem))
            continue
        if not entry.is_dir():
            continue
        if file is not None:
            ok = (entry / file).is_file()
            problem = "" if ok else f"the folder has no {file}"
            found.append(Submission(entry.name, entry, file if ok else None, problem))
            continue
        names = _python_files(entry)
        if len(names) == 1:
            found.append(Submission(entry.name, entry, names[0]))
        else:
            problem = (
                "the folder holds no Python file"
                if not names
                else f"the folder holds {len(names)} Python files ({', '.join(names)})"
                "; the assignment's file = says which to import"
            )
            found.append(Submission(entry.name, entry, None, problem))
    return found
