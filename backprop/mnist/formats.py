"""The MNIST file formats: IDX files and Nielsen's ``mnist.pkl.gz``, read and checked.

Every reader checks what it reads against what the format promises (magic numbers,
header sizes, shapes, label and pixel ranges) and raises :class:`MNISTError`
naming the file and the problem.
"""

from __future__ import annotations

import gzip
import io
import pickle
import zlib
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "EXPECTED_SIZES",
    "IDX_FILES",
    "MNIST",
    "MNISTError",
    "load_idx_dir",
    "parse_pickle",
    "read_bytes",
]

#: Rows of train + validation and of test in the pinned pickle.
EXPECTED_SIZES = (60_000, 10_000)
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_IMAGE_MAGIC, _LABEL_MAGIC = 2051, 2049
_SIDE = 28


class MNISTError(RuntimeError):
    """MNIST could not be found, fetched or read; the message says how to fix it."""


class MNIST(NamedTuple):
    """The 60 000 training and 10 000 test images, one image per row.

    Attributes
    ----------
    x_train : ndarray, shape (60000, 784)
        Pixels in [0, 1], floating dtype.
    y_train : ndarray of int64, shape (60000,)
        Digits 0..9.
    x_test : ndarray, shape (10000, 784)
    y_test : ndarray of int64, shape (10000,)
    """

    x_train: NDArray[np.floating[Any]]
    y_train: NDArray[np.int64]
    x_test: NDArray[np.floating[Any]]
    y_test: NDArray[np.int64]


def read_bytes(path: Path, gunzip: bool = False) -> bytes:
    """The bytes of ``path``, gunzipped if asked; any failure as :class:`MNISTError`."""
    try:
        data = path.read_bytes()
        return gzip.decompress(data) if gunzip else data
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise MNISTError(f"cannot read {path}: {exc}.") from exc


def read_idx(path: Path, magic: int) -> NDArray[np.uint8]:
    """Read one IDX file, checking its header against its contents."""
    data = read_bytes(path, gunzip=path.suffix == ".gz")
    ndim = 3 if magic == _IMAGE_MAGIC else 1
    header = 4 + 4 * ndim
    if len(data) < header:
        raise MNISTError(f"{path} is truncated: {len(data)} bytes.")
    found, *dims = (int(v) for v in np.frombuffer(data, ">u4", 1 + ndim))
    if found != magic:
        raise MNISTError(
            f"{path} has magic number {found}, expected {magic} "
            f"({'images' if magic == _IMAGE_MAGIC else 'labels'}); is the file "
            "swapped or not an IDX file?"
        )
    if ndim == 3 and dims[1:] != [_SIDE, _SIDE]:
        raise MNISTError(f"{path} holds {dims[1]}x{dims[2]} images, expected 28x28.")
    expected = header + int(np.prod(dims))
    if len(data) != expected:
        raise MNISTError(
            f"{path} has {len(data)} bytes but its header promises {expected} "
            "(truncated or corrupted download?)."
        )
    return np.frombuffer(data, np.uint8, offset=header).reshape(dims[0], -1)


def load_idx_dir(directory: Path, dt: np.dtype[Any]) -> MNIST:
    """Both splits from a directory of the four IDX files, pixels scaled to [0, 1]."""
    arrays = []
    for split, names in IDX_FILES.items():
        paths = []
        for name in names:
            hits = [
                directory / n for n in (name, name + ".gz") if (directory / n).is_file()
            ]
            if not hits:
                raise MNISTError(
                    f"{directory} has no {name} (or {name}.gz); found "
                    f"{sorted(p.name for p in directory.iterdir()) or 'nothing'}."
                )
            paths.append(hits[0])
        images = read_idx(paths[0], _IMAGE_MAGIC)
        labels = read_idx(paths[1], _LABEL_MAGIC).ravel()
        if len(images) != len(labels):
            raise MNISTError(
                f"{split} split: {len(images)} images in {paths[0].name} but "
                f"{len(labels)} labels in {paths[1].name}."
            )
        if labels.size and labels.max() > 9:
            raise MNISTError(f"{paths[1]} has label {labels.max()}, expected 0..9.")
        x = images.astype(dt)
        x /= 255
        arrays += [x, labels.astype(np.int64)]
    return MNIST(*arrays)


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickle numpy arrays and nothing else, so a tampered file cannot run code."""

    _reconstruct = np.empty(0).__reduce__()[0]  # numpy's own, under any version
    _allowed: ClassVar[dict[tuple[str, str], Any]] = {
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,  # numpy 1 pickles
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,  # numpy 2 pickles
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._allowed[module, name]
        except KeyError:
            raise pickle.UnpicklingError(f"refused global {module}.{name}") from None


def parse_pickle(blob: bytes, what: str, dt: np.dtype[Any]) -> MNIST:
    """Nielsen's pickle (train, validation, test), train and validation joined."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(blob)) as f:
            # latin1 reads the Python 2 byte strings that hold the array data.
            splits = _ArrayUnpickler(f, encoding="latin1").load()
        (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = splits
        parts = [np.asarray(a) for a in (x_tr, x_va, x_te, y_tr, y_va, y_te)]
    except Exception as exc:  # anything a malformed pickle can raise
        raise MNISTError(
            f"{what} is not a valid MNIST pickle: {type(exc).__name__}: {exc}."
        ) from exc
    xs, ys = parts[:3], parts[3:]
    problem = None
    if any(x.ndim != 2 or x.shape[1] != 784 or x.dtype.kind != "f" for x in xs):
        problem = "images must be floating arrays with 784 columns"
    elif any(
        y.shape != x.shape[:1] or y.dtype.kind not in "iu"
        for x, y in zip(xs, ys, strict=True)
    ):
        problem = "labels must be 1-D integer arrays, one per image"
    elif (len(xs[0]) + len(xs[1]), len(xs[2])) != EXPECTED_SIZES:
        sizes = (len(xs[0]) + len(xs[1]), len(xs[2]))
        problem = f"(train + validation, test) sizes {sizes}, expected {EXPECTED_SIZES}"
    elif any(y.size and (y.min() < 0 or y.max() > 9) for y in ys):
        problem = "labels must be in 0..9"
    elif any(x.size and (x.min() < 0 or x.max() > 1) for x in xs):
        problem = "pixels must be in [0, 1]"
    if problem:
        raise MNISTError(f"{what} is not a valid MNIST pickle: {problem}.")
    return MNIST(
        np.concatenate(xs[:2], dtype=dt),
        np.concatenate(ys[:2]).astype(np.int64, copy=False),
        xs[2].astype(dt, copy=False),
        ys[2].astype(np.int64, copy=False),
    )
