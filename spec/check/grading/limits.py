"""What a submission runs under and how its run can end: the resource
:class:`Limits`, a :class:`Stop` (a hang, an exit, a signal, a memory limit …) and
the exceptions that carry it, and the checks of what the child sends back."""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import math
import re
import signal
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "CHILD",
    "FORBIDDEN",
    "MB",
    "Limits",
    "Stop",
    "SubmissionRaised",
    "SubmissionStopped",
    "clean",
    "finite",
    "names",
    "raised",
    "signal_name",
]


#: The script the child runs.
CHILD = Path(__file__).with_name("child.py")


#: Modules a submission may not import unless an assignment says otherwise: the
#: project itself (its oracle would answer for the submission) and the autodiff
#: libraries (they would take the derivative the assignment asks for).
FORBIDDEN = ("spec", "backprop", "torch", "jax", "autograd")


MB = 1 << 20


@dataclasses.dataclass(frozen=True)
class Limits:
    """What a submission's child may use.

    Attributes
    ----------
    timeout : float
        Wall-clock seconds the child may take, its import and its calls together
        (the grader's own work between calls is not counted).
    memory : int
        Address space of the child in MB (``RLIMIT_AS``): an allocation past it
        raises ``MemoryError`` there.
    cpu : float or None
        CPU seconds of the child (``RLIMIT_CPU``); ``None``: one more than
        ``timeout``, so that the wall clock normally speaks first.
    output : int
        Bytes of the child's standard output and error kept; the rest is counted
        and dropped.
    file_size : int
        Largest file the child may write, in MB (``RLIMIT_FSIZE``): a write past it
        fails there (``OSError``, "File too large").
    reply : int
        Largest reply read from the child, in MB (a gradient is a few KB).
    """

    timeout: float = 60.0
    memory: int = 2048
    cpu: float | None = None
    output: int = 64 * 1024
    file_size: int = 64
    reply: int = 64

    def __post_init__(self) -> None:
        for name, low in (
            ("timeout", 0.1),
            ("memory", 256),  # the child's interpreter and NumPy need ~100 MB
            ("output", 0),
            ("file_size", 1),
            ("reply", 1),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{name} must be a number, got {value!r}")
            if not value >= low:
                raise ValueError(f"{name} must be at least {low}, got {value!r}")
        if self.cpu is not None and not self.cpu >= 1:
            raise ValueError(f"cpu must be at least 1 second or None, got {self.cpu!r}")

    @property
    def cpu_seconds(self) -> int:
        """The ``RLIMIT_CPU`` the child sets."""
        return math.ceil(self.timeout + 1 if self.cpu is None else self.cpu)


@dataclasses.dataclass(frozen=True)
class Stop:
    """Why a child stopped before its work was done.

    Attributes
    ----------
    verdict : {"timeout", "exit", "signal", "protocol"}
    detail : str
        In words, e.g. ``"ended its process with exit status 0 during the call"``.
    """

    verdict: str
    detail: str


class SubmissionStopped(Exception):
    """The child is gone (``stop`` says why); raised by every call after that."""

    def __init__(self, stop: Stop) -> None:
        super().__init__(stop.detail)
        self.stop = stop


class SubmissionRaised(Exception):
    """The submission's function raised in the child.

    The class of each instance is named after the child's exception (a subclass
    per name), so that ``f"{type(exc).__name__}: {exc}"`` reads as it would have
    in the submission's own process.

    Attributes
    ----------
    kind : str
        The name of the child's exception type, e.g. ``"ZeroDivisionError"``.
    message : str
    line : dict or None
        ``{"path", "number", "source"}`` of the last line of the submission in the
        traceback.
    """

    def __init__(self, kind: str, message: str, line: dict[str, Any] | None) -> None:
        super().__init__(message)
        self.kind, self.message, self.line = kind, message, line


_RAISED: dict[str, type[SubmissionRaised]] = {}


def clean(text: Any, limit: int) -> str:
    """``text`` from the child as a string that any file accepts: at most ``limit``
    characters, lone surrogates replaced."""
    return str(text)[:limit].encode("utf-8", "replace").decode("utf-8")


def raised(error: Any) -> SubmissionRaised:
    """The :class:`SubmissionRaised` for an ``error`` object of a reply, whatever it
    holds."""
    error = error if isinstance(error, dict) else {}
    kind = clean(error.get("type", "Exception"), 100)
    message = clean(error.get("message", ""), 4000)
    line = error.get("line")
    if not (
        isinstance(line, dict)
        and isinstance(line.get("path"), str)
        and type(line.get("number")) is int
        and isinstance(line.get("source"), str)
    ):
        line = None
    else:
        line = {
            "path": clean(line["path"], 300),
            "number": line["number"],
            "source": clean(line["source"], 500),
        }
    name = re.sub(r"\W", "_", kind)[:60] or "Exception"
    if not name[0].isalpha():
        name = "Exception_" + name
    cls = _RAISED.get(name)
    if cls is None:
        cls = type(name, (SubmissionRaised,), {"__module__": "submission"})
        # Also the built-in exception of that name where it can be, so that
        # ``except TypeError`` or ``getattr(..., default)`` treats it as in the
        # submission's own process.
        builtin = getattr(builtins, name, None)
        if isinstance(builtin, type) and issubclass(builtin, Exception):
            with contextlib.suppress(TypeError):
                both = type(
                    name, (SubmissionRaised, builtin), {"__module__": "submission"}
                )
                both(kind, message, line)  # its constructor takes ours
                cls = both
        _RAISED[name] = cls
    return cls(kind, message, line)


def names(value: Any) -> list[str]:
    """A reply's list of names, whatever the reply holds."""
    if not isinstance(value, list):
        return []
    return [clean(v, 100) for v in value[:1000] if isinstance(v, str)]


def finite(value: Any, depth: int = 0) -> bool:
    if isinstance(value, np.ndarray):
        return value.dtype.kind not in "fc" or bool(np.isfinite(value).all())
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list | tuple) and depth < 40:
        return all(finite(v, depth + 1) for v in value)
    if isinstance(value, dict) and depth < 40:
        return all(finite(v, depth + 1) for v in value.values())
    return True


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
