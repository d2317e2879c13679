"""A submission in a child process: :class:`Sandbox`, and :meth:`Sandbox.function`,
a proxy that calls the submission's function there.

The child (``child.py``) runs in its own session (so its whole
process group can be killed), in a fresh temporary working directory holding a
copy of the submission, with a trimmed environment, limits on its address space,
CPU time and file sizes, and no network where the system allows a namespace of its
own. The grader keeps the reference, the oracle and the comparison: it sends the
arguments of each call and reads back plain arrays
(:mod:`spec.check.grading.wire`, nothing in a reply runs code), under a wall clock
of its own. A timeout, an exit, a signal, a reply that does not follow the format:
each stops the child and is recorded as a :class:`Stop`; whatever the child sends,
the grader does not crash.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from spec.check.grading.limits import (
    CHILD,
    FORBIDDEN,
    MB,
    Limits,
    Stop,
    SubmissionRaised,
    SubmissionStopped,
    clean,
    finite,
    names,
    raised,
    signal_name,
)
from spec.check.grading.wire import (
    PREFIX,
    Handle,
    HandleType,
    WireError,
    decode,
    encode,
    frame_lengths,
)

__all__ = [
    "Sandbox",
]


def write_back(given: Any, after: Any) -> None:
    """Make the caller's argument ``given`` what the child's copy became:
    ``after``. A dict takes its items; an array (or a list or tuple of them) its
    values, where shape and dtype kind still agree; anything else is left."""
    if type(given) is dict and isinstance(after, dict):
        given.clear()
        given.update(after)
    elif isinstance(given, np.ndarray) and isinstance(after, np.ndarray):
        if given.shape == after.shape and given.flags.writeable:
            with contextlib.suppress(TypeError, ValueError):
                np.copyto(given, after, casting="same_kind")
    elif isinstance(given, list | tuple) and isinstance(after, list | tuple):
        for g, a in zip(given, after):  # noqa: B905
            write_back(g, a)


class Sandbox:
    """One submission in its own child process; a context manager.

    Parameters
    ----------
    source : pathlib.Path
        The submission: a ``.py`` file, or a folder copied whole.
    module : str, optional
        The file to import, relative to ``source`` when it is a folder.
    limits : Limits
    forbidden : sequence of str
        Top-level modules the submission may not import (default
        :data:`FORBIDDEN`); each attempt is recorded in ``forbidden_used``.
    allowed : sequence of str, optional
        When given, the only modules it may import besides the standard library,
        NumPy and its own files.
    isolate : bool
        Give the child a network namespace of its own (no network) where the
        system allows it; ``network`` says whether it did.
    label : str
        The submission's name, in the proxies' ``__module__``.

    Attributes
    ----------
    stop : Stop or None
        Why the child stopped, if it did.
    import_error : SubmissionRaised or None
        What importing the submission raised.
    callables : list of str
        The names of the module's callables, once it is imported.
    forbidden_used : list of str
        Forbidden modules it tried to import.
    mutated : bool
        Some call changed its array arguments in place (harmless to the grader,
        which sent copies).
    nonfinite : bool
        Some reply held NaN or an infinity.
    errors : list of SubmissionRaised
        What the submission's function raised, call after call (the first ten).
    network, processes : str
        ``"isolated"``, or why not; ``""`` until the child has said.
    """

    def __init__(
        self,
        source: Path,
        module: str | None = None,
        *,
        limits: Limits | None = None,
        forbidden: Sequence[str] = FORBIDDEN,
        allowed: Sequence[str] | None = None,
        isolate: bool = True,
        label: str = "submission",
    ) -> None:
        source = Path(source)
        if not source.exists():
            raise ValueError(f"source {source} does not exist")
        if module is None:
            if not source.is_file():
                raise ValueError(f"module must name the file to import in {source}")
            module = source.name
        self.source, self.module = source, module
        self.limits = Limits() if limits is None else limits
        self.forbidden = list(forbidden)
        self.allowed = None if allowed is None else list(allowed)
        self.isolate = isolate
        self.label = label
        self.stop: Stop | None = None
        self.import_error: SubmissionRaised | None = None
        self.callables: list[str] = []
        self.forbidden_used: list[str] = []
        self.mutated = False
        self.nonfinite = False
        self.network = ""
        self.processes = ""
        self.limit_problems: list[str] = []
        self._output = bytearray()
        self._dropped = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._root: Path | None = None
        self._request_fd = self._reply_fd = self._output_fd = -1
        self._deadline = 0.0
        self._budget = self.limits.timeout
        self.errors: list[SubmissionRaised] = []

    # -- life cycle ---------------------------------------------------------------
    def __enter__(self) -> Sandbox:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        """Copy the submission, start the child, and read how its import went."""
        self._root = Path(tempfile.mkdtemp(prefix="backprop-grade-"))
        work = self._root / "work"  # "../" from the child stays in the sandbox
        if self.source.is_dir():
            shutil.copytree(self.source, work, symlinks=True)
        else:
            work.mkdir()
            shutil.copy2(self.source, work / self.module)
        to_child, self._request_fd = os.pipe()
        self._reply_fd, from_child = os.pipe()
        config = {
            "read_fd": to_child,
            "write_fd": from_child,
            "file": self.module,
            "forbidden": self.forbidden,
            "allowed": self.allowed,
            "memory": self.limits.memory * MB,
            "cpu": self.limits.cpu_seconds,
            "fsize": self.limits.file_size * MB,
            "isolate": self.isolate,
            "parent": os.getpid(),
        }
        env = {
            "PATH": os.defpath,
            "HOME": str(work),
            "TMPDIR": str(work),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            # One BLAS thread: a gradient of a small network gains nothing from
            # more, and threads reserve address space the memory limit counts.
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        self._start_clock()
        try:
            self._process = subprocess.Popen(
                # -I: no PYTHON* variables, no user site, no script folder on the
                # path; -u: output unbuffered (kept up to an os._exit); -B: no .pyc
                [
                    sys.executable,
                    "-I",
                    "-u",
                    "-B",
                    "-X",
                    "utf8",
                    str(CHILD),
                    json.dumps(config),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=work,
                env=env,
                pass_fds=(to_child, from_child),
                start_new_session=True,
            )
        finally:
            os.close(to_child)
            os.close(from_child)
        assert self._process.stdout is not None
        self._output_fd = self._process.stdout.fileno()
        for fd in (self._request_fd, self._reply_fd, self._output_fd):
            os.set_blocking(fd, False)
        got = self._receive("import")
        self._stop_clock()
        if got is None:
            return
        hello, _ = got
        self.network = clean(hello.get("network", "unknown"), 300)
        self.processes = clean(hello.get("processes", "unknown"), 300)
        self.limit_problems = names(hello.get("limits"))
        self._note(hello)
        if hello.get("ok") is True:
            self.callables = names(hello.get("callables"))
        else:
            self.import_error = raised(hello.get("error"))

    def close(self) -> None:
        """End the child and every process of its group; remove its directory."""
        process = self._process
        try:
            if self._request_fd >= 0:
                os.close(self._request_fd)  # the child reads EOF and returns
                self._request_fd = -1
            if process is not None:
                # It exits at once, unless it left threads running.
                self._wait_exit(1.0)
        finally:  # even when interrupted: nothing of the child is left behind
            if process is not None:
                self._kill_group()
                process.wait()
                self._drain_output()
                if process.stdout is not None:
                    process.stdout.close()
                self._process = None
            if self._reply_fd >= 0:
                os.close(self._reply_fd)
                self._reply_fd = -1
            if self._root is not None:
                shutil.rmtree(self._root, ignore_errors=True)
                self._root = None

    # -- calls --------------------------------------------------------------------
    def function(self, name: str) -> Callable[..., Any]:
        """A proxy of the submission's function ``name`` (dotted names allowed):
        ``proxy(*args, **kwargs)`` sends the arguments to the child, calls the
        function there and returns what it returned, as plain arrays, lists,
        tuples, dicts, numbers and strings (anything else as an
        :class:`~spec.check.grading.wire.Opaque`).

        It raises :class:`SubmissionRaised` when the function raised, and
        :class:`SubmissionStopped` when the child is gone.
        """

        def proxy(*args: Any, **kwargs: Any) -> Any:
            return self.call(name, *args, **kwargs)

        proxy.__name__ = proxy.__qualname__ = name
        proxy.__module__ = self.label
        proxy.__doc__ = f"{name} of {self.label}, run in its sandbox"
        return proxy

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call the submission's ``name`` with the arguments; see :meth:`function`."""
        return self._call({"name": name}, {}, args, kwargs)

    def call_kept(self, target: Handle | HandleType, *args: Any, **kwargs: Any) -> Any:
        """Call a value the child kept (a method, a class, an object returned
        earlier) with the arguments; see :meth:`function`."""
        return self._call({}, {"target": target}, args, kwargs)

    def get(self, target: Handle | HandleType, name: str) -> Any:
        """The attribute ``name`` of a value the child kept."""
        result, _ = self._exchange("getattr", {}, {"target": target, "name": name})
        return result

    def set(self, target: Handle, name: str, value: Any) -> None:
        """Set the attribute ``name`` of a value the child kept."""
        self._exchange("setattr", {}, {"target": target, "name": name, "value": value})

    def describe(self, target: Handle) -> dict[str, Any]:
        """What the child says of a value it kept (see ``child.py``): its names,
        whether it is a class or callable, its parameters and, for a module or a
        class, its members."""
        result, _ = self._exchange("describe", {}, {"target": target})
        return result if isinstance(result, dict) else {}

    def _call(
        self,
        header: dict[str, Any],
        value: dict[str, Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        result, changed = self._exchange(
            "call", header, {**value, "args": args, "kwargs": kwargs}
        )
        # The arguments as the call left them (arrays written in place, a layer's
        # bn_param, an optimizer's config): put into the caller's own, so that a
        # check sees what it would see in-process.
        for position, after in changed if isinstance(changed, list) else []:
            given = (
                args[position]
                if type(position) is int and 0 <= position < len(args)
                else kwargs.get(position)
                if isinstance(position, str)
                else None
            )
            write_back(given, after)
        if not finite(result):
            self.nonfinite = True
        return result

    def _exchange(
        self, op: str, header: dict[str, Any], value: dict[str, Any]
    ) -> tuple[Any, Any]:
        """Send one request, and read its reply's value: a pair (what it
        returned, the arguments it changed, as the call left them)."""
        if self.stop is not None:
            raise SubmissionStopped(self.stop)
        if self._process is None or self.import_error is not None:
            raise RuntimeError("call needs a started sandbox whose import succeeded")
        frame = encode({"op": op, **header}, value)
        self._start_clock()
        got = self._receive("call") if self._send(frame) else None
        self._stop_clock()
        if got is None:
            raise SubmissionStopped(self.stop)  # type: ignore[arg-type]
        reply, returned = got
        self._note(reply)
        if reply.get("mutated") is True:
            self.mutated = True
        if reply.get("ok") is not True:
            error = raised(reply.get("error"))
            if op == "call" and len(self.errors) < 10:  # not a missing attribute
                self.errors.append(error)
            raise error
        if not (isinstance(returned, tuple) and len(returned) == 2):
            self._halt(
                Stop("protocol", "sent a reply that is not a (value, arguments) pair")
            )
            raise SubmissionStopped(self.stop)  # type: ignore[arg-type]
        return returned

    @property
    def output(self) -> str:
        """What the child printed (standard output and error), cut past the limit."""
        text = self._output.decode("utf-8", errors="replace")
        if self._dropped:
            text += f"\n[... {self._dropped} more bytes of output cut]"
        return text

    @property
    def output_truncated(self) -> bool:
        """Whether the child printed more than ``Limits.output`` bytes."""
        return self._dropped > 0

    # -- the pipes ----------------------------------------------------------------
    def _start_clock(self) -> None:
        """The clock runs while the child has the turn (its import, its calls), not
        while the grader computes its references between calls."""
        self._deadline = time.monotonic() + self._budget

    def _stop_clock(self) -> None:
        self._budget = max(0.0, self._deadline - time.monotonic())

    def _note(self, reply: dict[str, Any]) -> None:
        for name in names(reply.get("forbidden")):
            if name not in self.forbidden_used:
                self.forbidden_used.append(name)

    def _drain_output(self) -> bool:
        """Read what the child printed so far; True at end of file."""
        if self._output_fd < 0 or self._process is None:
            return True
        for _ in range(4096):  # at most 256 MB per visit; the child may print on
            try:
                chunk = os.read(self._output_fd, 65536)
            except BlockingIOError:
                return False
            except OSError:
                return True
            if not chunk:
                return True
            keep = max(0, self.limits.output - len(self._output))
            self._output += chunk[:keep]
            self._dropped += len(chunk) - min(keep, len(chunk))
        return False

    def _selector(self, fd: int, events: int) -> selectors.BaseSelector:
        selector = selectors.DefaultSelector()
        selector.register(fd, events, "pipe")
        selector.register(self._output_fd, selectors.EVENT_READ, "output")
        return selector

    def _send(self, frame: bytes) -> bool:
        """Write a request before the deadline; False if the child stopped."""
        data = memoryview(frame)
        with self._selector(self._request_fd, selectors.EVENT_WRITE) as selector:
            while data:
                remaining = self._deadline - time.monotonic()
                if remaining <= 0:
                    self._timeout()
                    return False
                for key, _ in selector.select(remaining):
                    if key.data == "output":
                        if self._drain_output():
                            selector.unregister(self._output_fd)
                        continue
                    try:
                        data = data[os.write(self._request_fd, data) :]
                    except BlockingIOError:
                        continue
                    except OSError as exc:
                        if exc.errno != errno.EPIPE:
                            raise
                        self._ended("call")
                        return False
        return True

    def _receive(self, phase: str) -> tuple[dict[str, Any], Any] | None:
        """The next reply, or None when the child stopped (see ``stop``)."""
        buffer = bytearray()
        lengths: tuple[int, int] | None = None
        with self._selector(self._reply_fd, selectors.EVENT_READ) as selector:
            while True:
                remaining = self._deadline - time.monotonic()
                if remaining <= 0:
                    self._timeout()
                    return None
                for key, _ in selector.select(remaining):
                    if key.data == "output":
                        if self._drain_output():
                            selector.unregister(self._output_fd)
                        continue
                    try:
                        chunk = os.read(self._reply_fd, 1 << 20)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        self._ended(phase)
                        return None
                    buffer += chunk
                    try:
                        if lengths is None and len(buffer) >= PREFIX.size:
                            lengths = frame_lengths(
                                bytes(buffer[: PREFIX.size]), self.limits.reply * MB
                            )
                        if lengths is None:
                            continue
                        end = PREFIX.size + lengths[0] + lengths[1]
                        if len(buffer) < end:
                            continue
                        if len(buffer) > end:
                            raise WireError("sent more than one reply per request")
                        middle = PREFIX.size + lengths[0]
                        header, value = decode(
                            bytes(buffer[PREFIX.size : middle]), bytes(buffer[middle:])
                        )
                    except WireError as exc:
                        self._halt(Stop("protocol", f"sent an unreadable reply: {exc}"))
                        return None
                    return header, value

    def _timeout(self) -> None:
        self._halt(
            Stop(
                "timeout",
                f"did not finish within the time limit of {self.limits.timeout:g} s; "
                "its processes were killed",
            )
        )

    def _ended(self, phase: str) -> None:
        """The child closed its end of the pipe: why."""
        during = "at import" if phase == "import" else "during a call"
        remaining = max(0.0, self._deadline - time.monotonic())
        status = self._wait_exit(remaining)
        if status is None:
            self._halt(Stop("protocol", f"closed its pipe to the grader {during}"))
            return
        if status >= 0:
            stop = Stop("exit", f"ended its process with exit status {status} {during}")
        elif -status == signal.SIGXCPU:
            stop = Stop(
                "timeout",
                f"used more than {self.limits.cpu_seconds} s of CPU time (SIGXCPU) "
                f"{during}",
            )
        elif -status == signal.SIGXFSZ:
            stop = Stop(
                "signal",
                f"wrote a file larger than {self.limits.file_size} MB (SIGXFSZ) "
                f"{during}",
            )
        else:
            stop = Stop("signal", f"was killed by {signal_name(-status)} {during}")
        self._halt(stop)

    def _wait_exit(self, timeout: float) -> int | None:
        """The child's status once it exits within ``timeout`` seconds (left
        unreaped, so that its process group still exists to be killed), or None."""
        process = self._process
        if process is None:
            return None
        if process.returncode is not None:
            return process.returncode
        end = time.monotonic() + timeout
        if not hasattr(os, "waitid"):  # reaped at once where waitid is missing
            try:
                return process.wait(timeout)
            except subprocess.TimeoutExpired:
                return None
        while True:
            try:
                info = os.waitid(
                    os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT
                )
            except ChildProcessError:
                return process.returncode
            if info is not None and info.si_pid:
                if info.si_code == os.CLD_EXITED:
                    return info.si_status
                return -info.si_status
            if time.monotonic() >= end:
                return None
            time.sleep(0.005)

    def _kill_group(self) -> None:
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._process.pid, signal.SIGKILL)

    def _halt(self, stop: Stop) -> None:
        """Record why the child stopped; kill its group and reap it."""
        if self.stop is None:
            self.stop = stop
        self._kill_group()
        if self._process is not None:
            self._process.wait()
        self._drain_output()
