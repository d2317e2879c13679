"""Every check CI runs is a nox session; plain ``nox`` runs the default ones."""

from __future__ import annotations

import nox

nox.needs_version = ">=2024.4.15"
# uv makes warm runs fast; fall back to virtualenv where uv is not installed.
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.error_on_external_run = True
nox.options.sessions = ["lint", "typecheck", "tests"]

PYPROJECT = nox.project.load_toml("pyproject.toml")


def _group(name: str) -> list[str]:
    return list(nox.project.dependency_groups(PYPROJECT, name))


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff lint and format check."""
    session.install(*_group("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Mypy on both packages."""
    session.install(".", *_group("typecheck"))
    session.run("mypy")


@nox.session
def tests(session: nox.Session) -> None:
    """Unit, property and gradient-check tests (everything but MNIST)."""
    session.install(".", *_group("test"))
    session.run("pytest", "-m", "not mnist", *session.posargs)


@nox.session
def gradcheck(session: nox.Session) -> None:
    """Only the gradient checks: ``pytest -k gradcheck``."""
    session.install(".", *_group("test"))
    session.run("pytest", "-k", "gradcheck", *session.posargs)
