r"""A part of a learner's program run under a tracer: :func:`trace_call` records
what each line read and bound, the :class:`Trace` that
:mod:`~spec.check.conformance.program.lines` walks back to the wrong line
(:func:`~spec.check.conformance.program.lines.locate`,
:func:`~spec.check.conformance.program.lines.locate_crash`).

A part of the program is run once more on one case under ``sys.settrace``,
restricted to the frames of the learner's file. For every statement executed the
tracer records a :class:`Binding`: the values the statement reads (its *atoms*:
names, attributes and subscripts, evaluated just before it runs, arrays copied)
and the values it binds (its targets evaluated just after it runs, the items of an
``append``/``insert``, or the value it returns).

:func:`~spec.check.conformance.program.lines.locate` walks back from a wrong result. The binding that produced a value
is the latest one that bound exactly those bits; from there the walk goes to any
input that equals none of the spec's intermediate quantities (:math:`z^l`,
:math:`a^l`, :math:`\delta^l`, :math:`\phi'(z^l)`, the one-hot target, the
gradients, …, compared up to 1-D / column reshapes). A statement whose inputs all
equal spec quantities while its output is wrong is the line — unless one input is
the *wrong* spec quantity: when putting another quantity of the same shape in
its place (the statement evaluated again) makes the output a spec quantity, the
walk goes on to where that input was chosen (``z = zs[-l + 1]`` for
:math:`z^{l+1}` where :math:`z^l` belongs), through function parameters to the
caller's argument. A value returned by a call goes into the called function when
that function was found wrong on its own (a *suspect*), or returned a value equal
to no spec quantity and was not found right (*verified*); otherwise the caller,
which chose the function or its arguments, is the line. A gradient left at the
zeros it was initialised with is pointed at the loop that should have filled it.

:func:`~spec.check.conformance.program.lines.locate_crash` points a crash at the statement that raised, with the
quantities it read and their shapes; an ``IndexError`` on a list one item short
of one per layer at the loop that built it, and one on a loop variable at the
first or last value of its ``range`` at the ``for`` line.
"""

from __future__ import annotations

import ast
import dataclasses
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "MAX_BINDINGS",
    "NESTED",
    "SAME_RTOL",
    "Binding",
    "Located",
    "Trace",
    "arrays_in",
    "assigned_targets",
    "container_call",
    "flatten_targets",
    "trace_call",
    "value_expr",
]


#: Two arrays hold the same quantity when every entry agrees within this fraction
#: of the larger entry: far above float64 rounding in another order (~1e-15), far
#: below any mistake of the catalogue (off by a factor, a sign or a layer).
SAME_RTOL = 1e-7


#: Statements recorded in one traced call before the tracer stops recording: the
#: cases are small networks; a part that loops longer is not backpropagation.
MAX_BINDINGS = 20_000


NESTED = 3  # depth of lists and tuples of arrays recorded


@dataclasses.dataclass
class Binding:
    """One execution of one statement of the learner's file.

    Attributes
    ----------
    index : int
        Order of execution.
    line : int
        First line of the statement.
    node : ast.stmt
        The statement.
    atoms : list of (ast.expr, object)
        What it read, evaluated before it ran (arrays copied).
    outputs : list of ndarray
        The arrays it bound (targets after it ran, appended items, the return value).
    scalars : dict of str to object
        Names it bound to other values (a ``for`` target's integer).
    sequence : list or None
        For a ``for`` over ``range(...)``, the values of the range.
    globals : dict
        The module namespace it ran in (to evaluate it again).
    call : int
        Which call of a function of the file it ran in (numbered from 0).
    parent : int or None
        The binding of the caller's statement during which that call ran (``None``
        for the call the trace began with, or a caller outside the file).
    parameters : tuple of str
        The parameters of the function it ran in.
    function : str
        That function's qualified name (``"Network.backprop"``).
    """

    index: int
    line: int
    node: ast.stmt
    atoms: list[tuple[ast.expr, Any]]
    outputs: list[NDArray] = dataclasses.field(default_factory=list)
    scalars: dict[str, Any] = dataclasses.field(default_factory=dict)
    sequence: list[Any] | None = None
    globals: dict[str, Any] = dataclasses.field(default_factory=dict)
    call: int = 0
    parent: int | None = None
    parameters: tuple[str, ...] = ()
    function: str = ""


@dataclasses.dataclass
class Trace:
    """The bindings of one traced call, its result, and what it raised."""

    path: str
    bindings: list[Binding]
    result: Any = None
    error: BaseException | None = None
    raised_at: Binding | None = None


@dataclasses.dataclass(frozen=True)
class Located:
    """The line found, and what it holds.

    Attributes
    ----------
    path : str
    number : int
    source : str
        The statement's first line, stripped.
    holds : str
        The spec quantity the line's value equals (``"φ'(z^3)"``), or the input
        it reads that is the wrong quantity (``"reads `zs[l + 1]` = z^3"``), or
        ``""``.
    needed : str
        The spec quantity that belongs there, where the walk found it, or ``""``.
    note : str
        For a crash: the quantities the line read and their shapes.
    """

    path: str
    number: int
    source: str
    holds: str = ""
    needed: str = ""
    note: str = ""

    def explanation(self) -> str:
        """``"holds φ'(z^3); φ'(z^2) belongs there"``, ``"reads `zs[l + 1]` =
        z^3; z^2 belongs there"``, or what a crash raised."""
        parts = []
        if self.holds:
            reads = self.holds.startswith("reads ")
            parts.append(self.holds if reads else f"holds {self.holds}")
        elif not self.note:
            parts.append("holds a value equal to none of the spec's quantities")
        if self.needed:
            parts.append(f"{self.needed} belongs there")
        if self.note:
            parts.append(self.note)
        return "; ".join(parts)


def _statements(path: str) -> dict[int, ast.stmt]:
    """The innermost statement at each line (a compound statement's header lines
    map to it)."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    at: dict[int, ast.stmt] = {}

    def visit(stmts: Sequence[ast.stmt]) -> None:
        for s in stmts:
            body = getattr(s, "body", None)
            if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                visit(s.body)
                continue
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                for n in range(s.lineno, body[0].lineno):
                    at[n] = s
                for field in ("body", "orelse", "finalbody"):
                    visit(getattr(s, field, []) or [])
                for handler in getattr(s, "handlers", []) or []:
                    visit(handler.body)
            else:
                for n in range(s.lineno, (s.end_lineno or s.lineno) + 1):
                    at[n] = s

    visit(tree.body)
    return at


def _bound_in_comprehensions(node: ast.AST) -> set[str]:
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.comprehension):
            names |= {n.id for n in ast.walk(sub.target) if isinstance(n, ast.Name)}
        elif isinstance(sub, ast.Lambda):
            names |= {a.arg for a in sub.args.args}
    return names


def _atoms(expr: ast.AST) -> list[ast.expr]:
    """The maximal names, attributes and subscripts an expression reads, and the
    names inside subscripts (loop indices)."""
    local = _bound_in_comprehensions(expr)
    found: list[ast.expr] = []

    def root(node: ast.expr) -> str:
        while isinstance(node, ast.Attribute | ast.Subscript):
            node = node.value
        return node.id if isinstance(node, ast.Name) else ""

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Name | ast.Attribute | ast.Subscript) and isinstance(
            getattr(node, "ctx", None), ast.Load
        ):
            name = root(node)
            if name and name not in local:
                found.append(node)
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Subscript):
                        visit(sub.slice)
                return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(expr)
    return found


def value_expr(node: ast.stmt) -> ast.expr | None:
    """The expression whose value the statement binds, for re-evaluation."""
    if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
        return node.value
    if isinstance(node, ast.AugAssign):
        load = _as_load(node.target)
        return ast.BinOp(left=load, op=node.op, right=node.value)
    if isinstance(node, ast.Return):
        return node.value
    call = container_call(node)
    if call is not None and call.args:
        return call.args[-1]
    return None


def container_call(node: ast.stmt) -> ast.Call | None:
    if (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr in ("append", "insert", "extend")
    ):
        return node.value
    return None


def _as_load(node: ast.expr) -> ast.expr:
    copy = ast.parse(ast.unparse(node), mode="eval").body
    return copy


def _inputs(node: ast.stmt) -> list[ast.expr]:
    if isinstance(node, ast.For):
        return _atoms(node.iter)
    if isinstance(node, ast.If | ast.While):
        return _atoms(node.test)
    expr = value_expr(node)
    atoms = _atoms(expr) if expr is not None else []
    if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for t in targets:  # the indices of subscript targets, and the container
            for sub in ast.walk(t):
                if isinstance(sub, ast.Subscript):
                    atoms += _atoms(sub.slice)
                    atoms += _atoms(_as_load(sub.value))
    if isinstance(node, ast.Expr) and expr is None:
        atoms = _atoms(node.value)
    return atoms


def assigned_targets(node: ast.stmt) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, ast.AugAssign | ast.AnnAssign):
        return [node.target]
    if isinstance(node, ast.For):
        return [node.target]
    call = container_call(node)
    if call is not None:
        assert isinstance(call.func, ast.Attribute)
        return [call.func.value]
    return []


def _copy(value: Any, depth: int = 0) -> Any:
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True)
    if isinstance(value, list | tuple) and depth < NESTED:
        return type(value)(_copy(v, depth + 1) for v in value)
    return value


def arrays_in(value: Any, depth: int = 0, scalars: bool = True) -> Iterator[NDArray]:
    """The float arrays in a value (lists and tuples opened; float scalars as 0-d
    arrays when ``scalars``)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fc" and value.size:
            yield value
    elif isinstance(value, float | np.floating) and scalars:
        yield np.asarray(value, dtype=np.float64)
    elif isinstance(value, list | tuple) and depth < NESTED:
        for v in value:
            yield from arrays_in(v, depth + 1, scalars)


def _evaluate(node: ast.expr, frame: FrameType) -> tuple[bool, Any]:
    code = compile(ast.Expression(body=node), "<atom>", "eval")
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return True, eval(code, frame.f_globals, dict(frame.f_locals))
    except Exception:
        return False, None


class _Recorder:
    def __init__(self, path: str) -> None:
        self.path = str(Path(path).resolve())
        self.statements = _statements(self.path)
        self.bindings: list[Binding] = []
        self.pending: dict[int, tuple[Binding, int]] = {}
        self.raised_at: Binding | None = None
        self.calls: dict[int, tuple[int, int | None]] = {}
        self.files: dict[str, bool] = {}

    def global_trace(self, frame: FrameType, event: str, arg: Any) -> Any:
        code = frame.f_code
        if code.co_name.startswith("<") or not self._ours(code.co_filename):
            return None
        caller, parent = frame.f_back, None
        while caller is not None and parent is None:
            entry = self.pending.get(id(caller))
            parent = entry[0].index if entry is not None else None
            caller = caller.f_back
        self.calls[id(frame)] = (len(self.calls), parent)
        return self.local_trace

    def _ours(self, filename: str) -> bool:
        known = self.files.get(filename)
        if known is None:
            known = self.files[filename] = str(Path(filename).resolve()) == self.path
        return known

    def _finish(
        self, frame: FrameType, returned: Any = None, ret: bool = False
    ) -> None:
        entry = self.pending.pop(id(frame), None)
        if entry is None:
            return
        binding, _ = entry
        node = binding.node
        if isinstance(node, ast.Return):
            if ret:
                binding.outputs = [_copy(a) for a in arrays_in(returned)]
            return
        call = container_call(node)
        if call is not None:  # the item added, not the whole list again
            assert isinstance(call.func, ast.Attribute)
            receiver = ast.unparse(call.func.value)
            where = "-1" if call.func.attr == "append" else None
            if call.func.attr == "insert" and binding.atoms:
                where = ast.unparse(call.args[0])
            if where is not None:
                item = ast.parse(f"({receiver})[{where}]", mode="eval").body
                ok, value = _evaluate(item, frame)
                if ok:
                    binding.outputs += [_copy(a) for a in arrays_in(value)]
                return
        for target in assigned_targets(node):
            for sub in flatten_targets(target):
                if isinstance(sub, ast.Subscript):  # an array written in place
                    ok, value = _evaluate(_as_load(sub.value), frame)
                    if ok and isinstance(value, np.ndarray):
                        binding.outputs += list(arrays_in(_copy(value)))
                ok, value = _evaluate(_as_load(sub), frame)
                if not ok:
                    continue
                binding.outputs += [_copy(a) for a in arrays_in(value)]
                if isinstance(sub, ast.Name) and not isinstance(value, np.ndarray):
                    binding.scalars[sub.id] = value

    def local_trace(self, frame: FrameType, event: str, arg: Any) -> Any:
        if len(self.bindings) > MAX_BINDINGS:
            return None
        if event == "line":
            node = self.statements.get(frame.f_lineno)
            entry = self.pending.get(id(frame))
            if (
                entry is not None
                and node is entry[0].node
                and not isinstance(node, ast.For | ast.While)
                and (frame.f_lineno != node.lineno or frame.f_lineno == entry[1])
            ):
                # Another line of the same statement, or a jump back within it (a
                # comprehension's loop, inlined into the frame since Python 3.12);
                # a loop header that comes again is the next iteration.
                self.pending[id(frame)] = (entry[0], frame.f_lineno)
                return self.local_trace
            self._finish(frame)
            if node is None:
                return self.local_trace
            atoms = []
            for atom in _inputs(node):
                ok, value = _evaluate(atom, frame)
                if ok:
                    atoms.append((atom, _copy(value)))
                elif isinstance(atom, ast.Subscript):  # the container it will fail on
                    ok, value = _evaluate(atom.value, frame)
                    if ok:
                        atoms.append((atom.value, _copy(value)))
            call, parent = self.calls.get(id(frame), (-1, None))
            code = frame.f_code
            binding = Binding(
                len(self.bindings),
                node.lineno,
                node,
                atoms,
                globals=frame.f_globals,
                call=call,
                parent=parent,
                parameters=code.co_varnames[
                    : code.co_argcount + code.co_kwonlyargcount
                ],
                function=getattr(code, "co_qualname", code.co_name),
            )
            if isinstance(node, ast.For) and _is_range(node.iter):
                ok, value = _evaluate(node.iter, frame)
                if ok:
                    binding.sequence = list(value)
            self.bindings.append(binding)
            self.pending[id(frame)] = (binding, frame.f_lineno)
        elif event == "return":
            self._finish(frame, arg, ret=True)
        elif event == "exception" and self.raised_at is None:
            entry = self.pending.get(id(frame))
            if entry is not None:
                self.raised_at = entry[0]
        return self.local_trace


def flatten_targets(target: ast.expr) -> list[ast.expr]:
    if isinstance(target, ast.Tuple | ast.List):
        return [t for e in target.elts for t in flatten_targets(e)]
    if isinstance(target, ast.Starred):
        return flatten_targets(target.value)
    return [target]


def _is_range(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "range"
    )


def trace_call(
    fn: Callable[..., Any], path: str | Path, *args: Any, **kwargs: Any
) -> Trace:
    """Call ``fn(*args, **kwargs)`` recording the statements it runs in ``path``.

    Returns
    -------
    Trace
        The bindings, the result, and the exception it raised (not re-raised).
    """
    recorder = _Recorder(str(path))
    previous = sys.gettrace()
    result, error = None, None
    sys.settrace(recorder.global_trace)
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = fn(*args, **kwargs)
    except Exception as exc:  # the code under test failed: located below
        error = exc
    finally:
        sys.settrace(previous)
    for frame_id in list(recorder.pending):
        recorder.pending.pop(frame_id)
    return Trace(recorder.path, recorder.bindings, result, error, recorder.raised_at)
