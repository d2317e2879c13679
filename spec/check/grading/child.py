"""The child process of ``backprop grade``: it imports one submission and runs its
functions on the inputs the grader sends, nothing else.

Run as a script, ``python -I child.py CONFIG`` (CONFIG a JSON object: the two pipe
descriptors, the submission's file, the limits, the forbidden and allowed modules),
in its own session and a fresh temporary working directory. It imports only the
standard library and NumPy, and :mod:`spec.check.grading.wire` by path: never
:mod:`spec` or :mod:`backprop`, so the process that runs the submission holds no
reference gradient, no oracle and no comparison.

In order, before the submission's code runs: death with the grader's process
(``PR_SET_PDEATHSIG``, Linux); where the system allows, a network namespace of its
own (``unshare(CLONE_NEWNET)``) and a process namespace of its own (the submission
runs as its pid 2: it can see and signal none of the grader's processes, and what
it starts dies with it); the resource limits
(``RLIMIT_AS``, ``RLIMIT_CPU``, ``RLIMIT_FSIZE``, no core files), NumPy, then a gate
on ``sys.meta_path`` that refuses the forbidden modules and records each attempt.
Then it imports the submission, replies with what happened, and answers one call
per request until the grader closes the pipe.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.abc
import importlib.util
import inspect
import json
import os
import resource
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

CLONE_NEWNET = 0x40000000
CLONE_NEWPID = 0x20000000
PR_SET_PDEATHSIG = 1


def _unshare(flag: int) -> str:
    """``"isolated"``, or why the process could not get a namespace of its own."""
    unshare = getattr(os, "unshare", None)
    if unshare is not None:
        try:
            unshare(flag)
        except OSError as exc:
            return f"not isolated: unshare: {exc.strerror}"
        return "isolated"
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(flag) != 0:
            return f"not isolated: unshare: {os.strerror(ctypes.get_errno())}"
    except (OSError, AttributeError) as exc:
        return f"not isolated: {exc}"
    return "isolated"


def _close(fds: tuple[int, ...]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


def _wait(pid: int) -> int:
    """The wait status of the process ``pid``, once it ends."""
    while True:
        try:
            return os.waitpid(pid, 0)[1]
        except InterruptedError:
            continue


def _end_as(status: int) -> None:
    """End this process as a wait ``status`` says (its exit status or its signal),
    so that the grader sees the submission's end; never returns."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        with contextlib.suppress(OSError, ValueError):  # SIGKILL has no handler
            signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)


def _isolate_processes(pipes: tuple[int, ...]) -> str:
    """Run the rest in a process namespace of its own, where it sees and can signal
    none of the grader's processes, and where everything it starts dies with it.

    The process here waits and ends as the submission ended; so does the
    namespace's first process (pid 1, which no signal from inside can kill, and
    which cannot kill itself either: it hands the status on through a pipe); the
    submission runs in pid 2. The relays close the grader's pipes and the output,
    so that the grader sees their end when the submission's process ends.
    """
    status = _unshare(CLONE_NEWPID)
    if status != "isolated":
        return status
    inner_read, inner_write = os.pipe()
    first = os.fork()
    if first:
        _close((0, 1, 2, *pipes, inner_write))
        ended = _wait(first)
        handed = os.read(inner_read, 4)
        _end_as(int.from_bytes(handed, "big") if len(handed) == 4 else ended)
    os.close(inner_read)
    _die_with(0)
    second = os.fork()
    if second:
        _close((0, 1, 2, *pipes))
        os.write(inner_write, _wait(second).to_bytes(4, "big"))
        os._exit(0)
    os.close(inner_write)
    _die_with(0)
    return status


def _die_with(parent: int) -> None:
    """Be killed when the parent process ends, however it ends (Linux); exit at
    once if it has ended already (``parent`` is its pid as seen from here: 0 from
    inside a process namespace for a parent outside it)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if parent and os.getppid() != parent:  # it ended before the line above
        os._exit(1)


def _limit(name: str, soft: int, hard: int) -> str:
    try:
        resource.setrlimit(getattr(resource, name), (soft, hard))
    except (ValueError, OSError, AttributeError) as exc:
        return f"{name} not set: {exc}"
    return ""


class Gate(importlib.abc.MetaPathFinder):
    """Refuses the forbidden top-level modules, and with an allow-list, any module
    outside it, the standard library, NumPy and the submission's own files."""

    def __init__(
        self, forbidden: list[str], allowed: list[str] | None, folder: Path
    ) -> None:
        self.forbidden = set(forbidden)
        self.allowed = None if allowed is None else set(allowed)
        self.folder = folder
        self.loaded = {name.partition(".")[0] for name in sys.modules}
        self.attempts: list[str] = []

    def permits(self, top: str) -> bool:
        if top in self.forbidden:
            return False
        if self.allowed is None or top in self.allowed or top in self.loaded:
            return True
        if top in sys.stdlib_module_names or top == "numpy":
            return True
        return (self.folder / f"{top}.py").is_file() or (self.folder / top).is_dir()

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        top = fullname.partition(".")[0]
        if self.permits(top):
            return None
        self.record(top)
        raise ModuleNotFoundError(f"uses a forbidden module: {top}", name=fullname)

    def record(self, top: str) -> None:
        if top not in self.attempts:
            self.attempts.append(top)


def _origins(names: list[str]) -> list[tuple[str, str]]:
    """Where the forbidden modules live, ``(name, path)``, found without importing
    them: a package's folder, or a module's file."""
    places = []
    for name in names:
        try:
            found = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if found is None:
            continue
        for place in found.submodule_search_locations or [found.origin or ""]:
            if place and Path(place).is_absolute():
                places.append((name, str(place)))
    return places


#: This script's own folder: it and the wire format it loads by path sit inside the
#: forbidden ``spec`` package, and are not the submission's use of it.
OWN = str(Path(__file__).resolve().parent)


#: The entries of ``sys.modules`` already scanned, as (name, id of the module).
SCANNED: set[tuple[str, int]] = set()


def _scan(gate: Gate, origins: list[tuple[str, str]]) -> None:
    """Record forbidden modules present by name or by file, however they came
    (each entry of ``sys.modules`` looked at once: a call costs microseconds)."""
    for key, module in list(sys.modules.items()):
        seen = (str(key), id(module))
        if seen in SCANNED:
            continue
        SCANNED.add(seen)
        top = str(key).partition(".")[0]
        if top in gate.forbidden:
            gate.record(top)
            continue
        try:
            where = str(getattr(module, "__file__", "") or "")
        except Exception:
            continue
        if where and str(Path(where).resolve().parent) == OWN:
            continue
        for name, place in origins:
            if where == place or where.startswith(place + os.sep):
                gate.record(name)


def _line(tb: Any, folder: Path) -> dict[str, Any] | None:
    """The last line of the traceback inside the submission's folder."""
    found = None
    for frame in traceback.extract_tb(tb):
        try:
            path = Path(frame.filename).resolve()
        except (OSError, ValueError):
            continue
        if folder in path.parents:
            found = {
                "path": str(path.relative_to(folder)),
                "number": frame.lineno,
                "source": (frame.line or "")[:500],
            }
    return found


def _error(exc: BaseException, folder: Path) -> dict[str, Any]:
    try:
        message = str(exc)[:4000]
    except Exception:
        message = "(its message could not be printed)"
    line: dict[str, Any] | None
    if isinstance(exc, SyntaxError) and exc.lineno is not None:
        line = {
            "path": Path(exc.filename or "").name,
            "number": exc.lineno,
            "source": (exc.text or "").strip()[:500],
        }
    else:
        line = _line(exc.__traceback__, folder)
    return {"type": type(exc).__name__[:100], "message": message, "line": line}


def _copies(value: Any, np: Any, depth: int = 0) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list | tuple) and depth < 8:
        return [_copies(v, np, depth + 1) for v in value]
    return None


def _changed(before: Any, after: Any, np: Any) -> bool:
    if isinstance(before, np.ndarray):
        return not (
            isinstance(after, np.ndarray)
            and before.shape == after.shape
            and np.array_equal(before, after, equal_nan=before.dtype.kind in "fc")
        )
    if isinstance(before, list):
        return not isinstance(after, list | tuple) or any(
            _changed(b, a, np)
            for b, a in zip(before, after)  # noqa: B905
        )
    return False


class Channel:
    """The two pipes to the grader."""

    def __init__(self, read_fd: int, write_fd: int, wire: Any) -> None:
        self.read_fd, self.write_fd, self.wire = read_fd, write_fd, wire
        self.resolve: Any = None  # the kept values, once the submission is in

    def _read_exactly(self, n: int) -> bytes:
        chunks, size = [], 0
        while size < n:
            chunk = os.read(self.read_fd, min(n - size, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)

    def receive(self) -> tuple[dict[str, Any], Any]:
        prefix = self._read_exactly(self.wire.PREFIX.size)
        header_length, payload_length = self.wire.frame_lengths(prefix, 1 << 40)
        header = self._read_exactly(header_length)
        return self.wire.decode(
            header, self._read_exactly(payload_length), self.resolve
        )

    def send(self, header: dict[str, Any], value: Any = None) -> None:
        self.write(self.wire.encode(header, value))

    def write(self, frame: bytes) -> None:
        data = memoryview(frame)
        while data:
            data = data[os.write(self.write_fd, data) :]


def _resolve(module: Any, name: str) -> Any:
    obj = module
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


#: The requests the child answers: call a function of the submission (by name)
#: or a value it kept (``target``), read or set an attribute of a kept value, and
#: describe a kept value (what a stand-in of it in the grader needs).
OPS = ("call", "getattr", "setattr", "describe")


class Kept:
    """The values the child keeps for the grader, numbered: the submission's
    module (number 0), and whatever a reply held that cannot travel."""

    def __init__(self, module: Any) -> None:
        self.values: list[Any] = [module]
        self.numbers: dict[int, int] = {id(module): 0}

    def keep(self, value: Any) -> int:
        number = self.numbers.get(id(value))
        if number is None:  # kept for good: ids stay unique while it lives
            number = self.numbers[id(value)] = len(self.values)
            self.values.append(value)
        return number

    def resolve(self, number: int) -> Any:
        if not 0 <= number < len(self.values):
            raise LookupError(f"no value number {number}")
        return self.values[number]


def _parameters(fn: Any) -> list[list[Any]] | None:
    """``fn``'s parameters: name, kind and whether it has a default."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    return [
        [p.name, int(p.kind), p.default is not p.empty]
        for p in signature.parameters.values()
    ]


def _describe(value: Any) -> dict[str, Any]:
    """What the grader's stand-in of ``value`` needs: its names, whether it is a
    class or callable, its signature, and for a module or a class its public
    names (with the signature of each callable)."""
    found: dict[str, Any] = {
        "type": type(value).__name__,
        "name": str(getattr(value, "__name__", "")),
        "qualname": str(getattr(value, "__qualname__", "")),
        "module": str(getattr(value, "__module__", "")),
        "class": isinstance(value, type),
        "callable": callable(value),
        "parameters": _parameters(value) if callable(value) else None,
    }
    if isinstance(value, type) or inspect.ismodule(value):
        members: dict[str, Any] = {}
        for name in dir(value):
            if name.startswith("__"):
                continue
            with contextlib.suppress(Exception):
                member = getattr(value, name)
                members[name] = {
                    "class": isinstance(member, type),
                    "callable": callable(member),
                    "module": str(getattr(member, "__module__", "")),
                    "parameters": _parameters(member) if callable(member) else None,
                }
        found["members"] = members
    return found


def main(argv: list[str]) -> int:
    config = json.loads(argv[1])
    _die_with(config["parent"])
    isolate = config["isolate"]
    network = _unshare(CLONE_NEWNET) if isolate else "not isolated"
    pipes = (config["read_fd"], config["write_fd"])
    processes = _isolate_processes(pipes) if isolate else "not isolated"
    memory, cpu, fsize = config["memory"], config["cpu"], config["fsize"]
    problems = [
        _limit("RLIMIT_AS", memory, memory),
        # SIGXCPU at the soft limit, SIGKILL a second later.
        _limit("RLIMIT_CPU", cpu, cpu + 1),
        _limit("RLIMIT_FSIZE", fsize, fsize),
        _limit("RLIMIT_CORE", 0, 0),
    ]
    import numpy as np

    here = Path(__file__).resolve().parent
    wire_spec = importlib.util.spec_from_file_location(
        "backprop_grade_wire", here / "wire.py"
    )
    assert wire_spec is not None
    assert wire_spec.loader is not None
    wire = importlib.util.module_from_spec(wire_spec)
    sys.modules["backprop_grade_wire"] = wire
    wire_spec.loader.exec_module(wire)
    channel = Channel(config["read_fd"], config["write_fd"], wire)

    folder = Path.cwd().resolve()
    origins = _origins(config["forbidden"])
    gate = Gate(config["forbidden"], config["allowed"], folder)
    sys.meta_path.insert(0, gate)
    sys.path.insert(0, str(folder))
    sys.argv = [config["file"]]

    info = {
        "network": network,
        "processes": processes,
        "limits": [p for p in problems if p],
    }
    found = importlib.util.spec_from_file_location(
        "submission", folder / config["file"]
    )
    if found is None or found.loader is None:
        channel.send(
            {
                "ok": False,
                "error": {
                    "type": "ImportError",
                    "message": "not a Python module",
                    "line": None,
                },
                **info,
            }
        )
        return 0
    module = importlib.util.module_from_spec(found)
    sys.modules["submission"] = module
    try:
        found.loader.exec_module(module)
    except SystemExit:
        raise
    except BaseException as exc:  # the submission does not import: a finding
        _scan(gate, origins)
        channel.send(
            {
                "ok": False,
                "error": _error(exc, folder),
                "forbidden": gate.attempts,
                **info,
            }
        )
        return 0
    _scan(gate, origins)
    names = []
    for name in list(vars(module)):
        with contextlib.suppress(Exception):
            if callable(vars(module)[name]):
                names.append(str(name))
    channel.send({"ok": True, "callables": names, "forbidden": gate.attempts, **info})

    kept = Kept(module)
    channel.resolve = kept.resolve
    while True:
        try:
            request, call = channel.receive()
        except EOFError:
            return 0
        except (wire.WireError, LookupError):
            return 0  # the grader sent what it never sends: end
        op = request.get("op")
        if op not in OPS or not isinstance(call, dict):
            return 0
        args, kwargs = call.get("args", []), call.get("kwargs", {})
        before = _copies(args, np)
        try:
            if op == "describe":
                result: Any = _describe(call.get("target"))
            elif op == "getattr":
                result = getattr(call.get("target"), str(call.get("name")))
            elif op == "setattr":
                setattr(call.get("target"), str(call.get("name")), call.get("value"))
                result = None
            else:
                fn = (
                    call["target"]
                    if "target" in call
                    else _resolve(module, str(request.get("name")))
                )
                result = fn(*args, **kwargs)
        except SystemExit:
            raise
        except BaseException as exc:  # the submission raised: a finding
            _scan(gate, origins)
            channel.send(
                {"ok": False, "error": _error(exc, folder), "forbidden": gate.attempts}
            )
            continue
        _scan(gate, origins)
        # The arguments it changed go back as they are now: arrays written in
        # place, a layer's running statistics in ``bn_param``, an optimizer's
        # state in ``config``; the grader puts them into its own.
        after = [
            [i, a]
            for i, (b, a) in enumerate(zip(before, args))  # noqa: B905
            if type(a) is dict or _changed(b, a, np)
        ]
        after += [[k, a] for k, a in kwargs.items() if type(a) is dict]
        mutated = any(type(a) is not dict for _, a in after)
        try:
            reply = wire.encode(
                {"ok": True, "forbidden": gate.attempts, "mutated": mutated},
                (result, after),
                kept.keep,
            )
        except Exception as exc:  # a value whose own methods raise when read
            error = {
                "type": "TypeError",
                "message": f"returned a value that cannot be sent: {exc!r:.300}",
                "line": None,
            }
            channel.send({"ok": False, "error": error, "forbidden": gate.attempts})
            continue
        channel.write(reply)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
