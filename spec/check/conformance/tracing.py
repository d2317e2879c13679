r"""The line of a learner's file that computes a wrong value: :func:`trace_call`,
:func:`locate` and :func:`locate_crash`.

A part of the program is run once more on one case under :func:`sys.settrace`,
restricted to the frames of the learner's file. For every statement executed the
tracer records a :class:`Binding`: the values the statement reads (its *atoms*:
names, attributes and subscripts, evaluated just before it runs, arrays copied)
and the values it binds (its targets evaluated just after it runs, the items of an
``append``/``insert``, or the value it returns).

:func:`locate` walks back from a wrong result. The binding that produced a value
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

:func:`locate_crash` points a crash at the statement that raised, with the
quantities it read and their shapes; an ``IndexError`` on a list one item short
of one per layer at the loop that built it, and one on a loop variable at the
first or last value of its ``range`` at the ``for`` line.
"""

from __future__ import annotations

import ast
import dataclasses
import linecache
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Binding",
    "Located",
    "Trace",
    "label_of",
    "locate",
    "locate_crash",
    "trace_call",
]

#: Two arrays hold the same quantity when every entry agrees within this fraction
#: of the larger entry: far above float64 rounding in another order (~1e-15), far
#: below any mistake of the catalogue (off by a factor, a sign or a layer).
SAME_RTOL = 1e-7
#: Statements recorded in one traced call before the tracer stops recording: the
#: cases are small networks; a part that loops longer is not backpropagation.
MAX_BINDINGS = 20_000
_NESTED = 3  # depth of lists and tuples of arrays recorded


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


# -- the statements of a file ------------------------------------------------------


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


def _value_expr(node: ast.stmt) -> ast.expr | None:
    """The expression whose value the statement binds, for re-evaluation."""
    if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
        return node.value
    if isinstance(node, ast.AugAssign):
        load = _as_load(node.target)
        return ast.BinOp(left=load, op=node.op, right=node.value)
    if isinstance(node, ast.Return):
        return node.value
    call = _container_call(node)
    if call is not None and call.args:
        return call.args[-1]
    return None


def _container_call(node: ast.stmt) -> ast.Call | None:
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
    expr = _value_expr(node)
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


def _targets(node: ast.stmt) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, ast.AugAssign | ast.AnnAssign):
        return [node.target]
    if isinstance(node, ast.For):
        return [node.target]
    call = _container_call(node)
    if call is not None:
        assert isinstance(call.func, ast.Attribute)
        return [call.func.value]
    return []


# -- recording ---------------------------------------------------------------------


def _copy(value: Any, depth: int = 0) -> Any:
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True)
    if isinstance(value, list | tuple) and depth < _NESTED:
        return type(value)(_copy(v, depth + 1) for v in value)
    return value


def _arrays(value: Any, depth: int = 0, scalars: bool = True) -> Iterator[NDArray]:
    """The float arrays in a value (lists and tuples opened; float scalars as 0-d
    arrays when ``scalars``)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fc" and value.size:
            yield value
    elif isinstance(value, float | np.floating) and scalars:
        yield np.asarray(value, dtype=np.float64)
    elif isinstance(value, list | tuple) and depth < _NESTED:
        for v in value:
            yield from _arrays(v, depth + 1, scalars)


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
                binding.outputs = [_copy(a) for a in _arrays(returned)]
            return
        call = _container_call(node)
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
                    binding.outputs += [_copy(a) for a in _arrays(value)]
                return
        for target in _targets(node):
            for sub in _flatten_targets(target):
                if isinstance(sub, ast.Subscript):  # an array written in place
                    ok, value = _evaluate(_as_load(sub.value), frame)
                    if ok and isinstance(value, np.ndarray):
                        binding.outputs += list(_arrays(_copy(value)))
                ok, value = _evaluate(_as_load(sub), frame)
                if not ok:
                    continue
                binding.outputs += [_copy(a) for a in _arrays(value)]
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


def _flatten_targets(target: ast.expr) -> list[ast.expr]:
    if isinstance(target, ast.Tuple | ast.List):
        return [t for e in target.elts for t in _flatten_targets(e)]
    if isinstance(target, ast.Starred):
        return _flatten_targets(target.value)
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


# -- the walk ----------------------------------------------------------------------


def _flat(a: Any) -> NDArray:
    return np.asarray(a, dtype=np.complex128).ravel()


def _same(a: Any, b: Any) -> bool:
    """Equal up to 1-D / column reshapes, to :data:`SAME_RTOL`."""
    a, b = np.asarray(a), np.asarray(b)
    if a.size != b.size or a.size == 0 or np.squeeze(a).shape != np.squeeze(b).shape:
        return False
    fa, fb = _flat(a), _flat(b)
    if not (np.all(np.isfinite(fa)) and np.all(np.isfinite(fb))):
        return False
    scale = max(float(np.abs(fa).max()), float(np.abs(fb).max()), 1e-300)
    return bool(np.all(np.abs(fa - fb) <= SAME_RTOL * scale))


def _identical(a: NDArray, b: NDArray) -> bool:
    return a.size == b.size and bool(np.array_equal(np.ravel(a), np.ravel(b)))


def label_of(value: Any, quantities: Mapping[str, NDArray]) -> str:
    """The name of the spec quantity ``value`` equals, or ``""``."""
    if isinstance(value, float | np.floating):
        value = np.asarray(value, dtype=np.float64)
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "fc":
        return ""
    for name, q in quantities.items():
        if _same(value, q):
            return name
    return ""


def _provenance(trace: Trace, value: NDArray, before: int) -> Binding | None:
    """The latest binding before ``before`` that bound exactly these bits."""
    for b in reversed(trace.bindings[:before]):
        if any(_identical(value, out) for out in b.outputs):
            return b
    return None


def _origin(
    trace: Trace, binding: Binding, atom: ast.expr, value: NDArray
) -> tuple[Binding, bool] | None:
    """Where the value an atom of ``binding`` read was computed: ``(b, False)``,
    a statement that bound it, or ``(b, True)`` when ``b`` is a caller's
    statement whose argument expression chose it (a parameter passed down)."""
    if isinstance(atom, ast.Name):
        name = atom.id
        for b in reversed(trace.bindings[: binding.index]):
            if b.call != binding.call:
                continue
            bound = {
                t.id
                for target in _targets(b.node)
                for t in _flatten_targets(target)
                if isinstance(t, ast.Name)
            }
            bound |= {w.id for w in _written_in_place(b) if isinstance(w, ast.Name)}
            if name in bound:
                if isinstance(b.node, ast.For):  # a loop variable: chosen where used
                    return None
                return b, False
        if name in binding.parameters and binding.parent is not None:
            caller = trace.bindings[binding.parent]
            value = np.asarray(value)
            for other, recorded in caller.atoms:
                arrays = list(_arrays(recorded, _NESTED))
                if len(arrays) == 1 and _identical(arrays[0], value):
                    if isinstance(other, ast.Name):
                        return _origin(trace, caller, other, value) or (caller, True)
                    return caller, True
            callee = _callee_return(trace, caller, value)  # an argument f(g(...))
            if callee is not None and callee.index < binding.index:
                return callee, False
            return caller, True
        return None
    found = _provenance(trace, value, binding.index)
    return (found, False) if found is not None else None


def _callee_return(trace: Trace, binding: Binding, value: NDArray) -> Binding | None:
    """The ``return`` of a function the statement called, that returned ``value``."""
    for b in trace.bindings[binding.index + 1 :]:
        if (
            b.parent == binding.index
            and isinstance(b.node, ast.Return)
            and any(_identical(value, out) for out in b.outputs)
        ):
            return b
    return None


def _evaluate_with(binding: Binding, replace: int, value: Any) -> Any:
    """The binding's value expression evaluated again, atom ``replace`` given
    ``value`` and the others their recorded values."""
    expr = _value_expr(binding.node)
    if expr is None:
        return None
    names: dict[str, Any] = {}
    mapping: dict[int, str] = {}
    for k, (atom, recorded) in enumerate(binding.atoms):
        mapping[id(atom)] = f"__atom_{k}"
        names[f"__atom_{k}"] = value if k == replace else recorded
    body = _rebuild(expr, mapping)
    ast.fix_missing_locations(body)
    namespace = dict(binding.globals)
    namespace.update(names)
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return eval(compile(body, "<again>", "eval"), namespace)
    except Exception:
        return None


def _rebuild(expr: ast.expr, mapping: dict[int, str]) -> ast.Expression:
    """A copy of ``expr`` with the atoms of ``mapping`` (by identity) as names."""

    def build(node: Any) -> Any:
        if isinstance(node, ast.AST):
            if id(node) in mapping:
                return ast.Name(mapping[id(node)], ast.Load())
            new = type(node)()
            for field, value in ast.iter_fields(node):
                setattr(new, field, build(value))
            for attr in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
                if hasattr(node, attr):
                    setattr(new, attr, getattr(node, attr))
            return new
        if isinstance(node, list):
            return [build(v) for v in node]
        return node

    return ast.Expression(body=build(expr))


def _fix(
    binding: Binding, k: int, quantities: Mapping[str, NDArray], needed: str = ""
) -> tuple[str, str] | None:
    """``(label, output label)`` when quantity ``label`` put in place of atom ``k``
    makes the statement's output a spec quantity (``needed``, where known) other
    than ``label`` itself (a statement that passes its input on fixes nothing)."""
    _, recorded = binding.atoms[k]
    if isinstance(recorded, float | np.floating):
        recorded = np.asarray(recorded, dtype=np.float64)
    if not isinstance(recorded, np.ndarray) or recorded.dtype.kind not in "fc":
        return None
    for name, q in quantities.items():
        if q.size != recorded.size or np.squeeze(q).shape != np.squeeze(recorded).shape:
            continue
        if _same(q, recorded) or not np.any(q):
            continue
        given = binding.atoms[k][1]
        replacement: Any = (
            float(q)
            if isinstance(given, float | np.floating)
            else np.asarray(q).reshape(recorded.shape)
        )
        again = _evaluate_with(binding, k, replacement)
        arrays = list(_arrays(again))
        if len(arrays) == 1:
            out = label_of(arrays[0], quantities)
            if (
                out
                and out != name
                and not _same(arrays[0], q)
                and (
                    not needed
                    or needed not in quantities
                    or _same(arrays[0], quantities[needed])
                )
            ):
                return name, out
    return None


def _reads(binding: Binding, value: NDArray, held: str) -> str:
    """``"reads `zs[l + 1]` = z^3"``: the caller's argument that passed ``value``."""
    for atom, recorded in binding.atoms:
        arrays = list(_arrays(recorded, _NESTED))
        if len(arrays) == 1 and _identical(arrays[0], np.asarray(value)):
            return f"reads `{ast.unparse(atom)}` = {held}"
    return held


def _written_in_place(binding: Binding) -> list[ast.expr]:
    """The containers a statement writes items of (``v`` in ``v[i] = ...``)."""
    node = binding.node
    targets = _targets(node) if isinstance(node, ast.Assign | ast.AugAssign) else []
    return [
        sub.value
        for t in targets
        for sub in ast.walk(t)
        if isinstance(sub, ast.Subscript)
    ]


def _same_node(a: ast.expr, b: ast.expr) -> bool:
    return ast.unparse(a) == ast.unparse(b)


def _blame(
    trace: Trace,
    binding: Binding,
    value: NDArray,
    quantities: Mapping[str, NDArray],
    needed: str,
    seen: set[int],
    suspects: frozenset[str] = frozenset(),
    verified: frozenset[str] = frozenset(),
) -> tuple[Binding, str, str]:
    """The statement to blame for ``value``, which ``binding`` bound wrongly (a
    value equal to no spec quantity, or the wrong one): what it holds, and what
    belongs there."""
    seen.add(binding.index)
    holds = label_of(value, quantities)
    scalars = any(np.ndim(q) == 0 for q in quantities.values())
    written = _written_in_place(binding)
    # 1. An input equal to no spec quantity: the mistake is upstream.
    shape = quantities[needed].shape if needed in quantities else value.shape
    for k, (atom, recorded) in enumerate(binding.atoms):
        items = isinstance(recorded, list | tuple)
        for a in _arrays(recorded, scalars=scalars or items):
            if label_of(a, quantities):
                continue
            if any(_same_node(atom, w) for w in written) and (
                not isinstance(recorded, np.ndarray) or a.shape == shape
            ):
                continue  # what the statement writes into (a list, or a right array)
            if items:  # an item: where it was computed
                found = _provenance(trace, a, binding.index)
                origin = (found, False) if found is not None else None
            else:
                origin = _origin(trace, binding, atom, a)
            if origin is None or origin[0].index in seen:
                continue
            fix = _fix(binding, k, quantities, needed)
            expr = _value_expr(binding.node)
            passes = isinstance(expr, ast.Name | ast.Attribute | ast.Subscript)
            need = fix[0] if fix else (needed if passes else "")
            if origin[1]:
                return origin[0], "", need
            return _blame(
                trace, origin[0], a, quantities, need, seen, suspects, verified
            )
    # 2. An input that is the wrong spec quantity: the mistake is where it was chosen.
    for k, (atom, recorded) in enumerate(binding.atoms):
        fix = _fix(binding, k, quantities, needed)
        if fix is None:
            continue
        held = label_of(recorded, quantities)
        if isinstance(atom, ast.Name):
            origin = _origin(trace, binding, atom, recorded)
            if origin is not None and origin[0].index not in seen:
                value_ = (
                    np.asarray(recorded, dtype=float)
                    if not isinstance(recorded, np.ndarray)
                    else recorded
                )
                if origin[1]:
                    return origin[0], _reads(origin[0], value_, held), fix[0]
                return _blame(
                    trace,
                    origin[0],
                    value_,
                    quantities,
                    fix[0],
                    seen,
                    suspects,
                    verified,
                )
        return binding, f"reads `{ast.unparse(atom)}` = {held}", fix[0]
    # 3. A function it called that is itself wrong (its result, or an argument
    #    it computed for another call), or that returned the wrong value.
    for other in trace.bindings[binding.index + 1 :]:
        if (
            other.parent == binding.index
            and isinstance(other.node, ast.Return)
            and other.function in suspects
            and other.index not in seen
            and other.outputs
        ):
            return _blame(
                trace,
                other,
                other.outputs[0],
                quantities,
                "",
                seen,
                suspects,
                verified,
            )
    callee = _callee_return(trace, binding, value)
    if (
        callee is not None
        and callee.index not in seen
        and (
            callee.function in suspects
            or (not holds and callee.function not in verified)
        )
    ):
        return _blame(
            trace, callee, value, quantities, needed, seen, suspects, verified
        )
    return binding, holds, needed


def _start(trace: Trace, value: NDArray) -> Binding | None:
    """The binding of the traced call's frame (or the latest) that bound ``value``."""
    return _provenance(trace, value, len(trace.bindings))


def _located(
    trace: Trace, binding: Binding, holds: str, needed: str, note: str = ""
) -> Located:
    end = binding.node.end_lineno or binding.line
    if isinstance(binding.node, ast.For | ast.While | ast.If):
        end = binding.line
    source = " ".join(
        linecache.getline(trace.path, n).strip() for n in range(binding.line, end + 1)
    )
    source = (
        source.replace("( ", "(")
        .replace("[ ", "[")
        .replace(" )", ")")
        .replace(" ]", "]")
    )
    return Located(trace.path, binding.line, source, holds, needed, note)


def _zeros_loop(trace: Trace, binding: Binding) -> Binding | None:
    """For a gradient left at the zeros it was initialised with: the ``for`` that
    fills the other items of that list, whose range stops short."""
    names = {t.id for t in _targets(binding.node) if isinstance(t, ast.Name)}
    for other in trace.bindings:
        node = other.node
        if not isinstance(node, ast.For):
            continue
        for sub in ast.walk(node):
            if (
                isinstance(sub, ast.Subscript)
                and isinstance(sub.ctx, ast.Store)
                and isinstance(sub.value, ast.Name)
                and sub.value.id in names
            ):
                return other
    return None


def locate(
    trace: Trace,
    wrong: Sequence[tuple[NDArray, str]],
    quantities: Mapping[str, NDArray],
    suspects: Sequence[str] = (),
    verified: Sequence[str] = (),
) -> Located | None:
    """The first line that computes a wrong value.

    Parameters
    ----------
    trace : Trace
        The traced call of the part.
    wrong : sequence of (ndarray, str)
        The wrong results (as the part returned or left them) and the spec
        quantity each should equal.
    quantities : mapping of str to ndarray
        The spec's intermediate quantities on the traced case, by name.
    suspects : sequence of str
        Functions of the file found wrong on their own (qualified names): the
        walk goes into them when a call of theirs returned the wrong value; into
        others it does not (their caller chose the wrong function or argument).
    verified : sequence of str
        Functions found right on their own: the walk does not go into them; into
        a function neither suspect nor verified it goes when the value it returned
        equals no spec quantity.

    Returns
    -------
    Located or None
        ``None`` when no statement of the file bound a wrong value; for a wrong
        value that is not an array (a label, a count), the ``return`` of the
        traced call.
    """
    found: list[tuple[Binding, str, str]] = []
    for value, needed in wrong:
        value = np.asarray(value)
        start = _start(trace, value)
        if start is None:
            continue
        f = _blame(
            trace,
            start,
            value,
            quantities,
            needed,
            set(),
            frozenset(suspects),
            frozenset(verified),
        )
        binding, holds, _ = f
        if not np.any(value) and not holds:
            loop = _zeros_loop(trace, binding)
            if loop is not None:
                f = (loop, "", "")
        found.append(f)
    if not found:
        if wrong:
            return None
        top = [
            b for b in trace.bindings if b.call == 0 and isinstance(b.node, ast.Return)
        ]
        return _located(trace, top[-1], "", "") if top else None
    binding, holds, needed = min(found, key=lambda f: f[0].index)
    return _located(trace, binding, holds, needed)


def _shapes(binding: Binding, quantities: Mapping[str, NDArray]) -> str:
    parts = []
    for atom, value in binding.atoms:
        if isinstance(value, np.ndarray):
            label = label_of(value, quantities)
            held = f" holds {label}" if label else ""
            parts.append(f"{ast.unparse(atom)}{held}, shape {value.shape}")
    return "; ".join(parts)


def locate_crash(
    trace: Trace, quantities: Mapping[str, NDArray], n_layers: int | None = None
) -> Located | None:
    """The line that raised, with what it read; for an ``IndexError`` on a list,
    the ``for`` that built it one item short (a list that should hold one item
    per layer and does not), or the enclosing ``for`` whose range it overran (at
    the first or last value of its range)."""
    binding = trace.raised_at
    if binding is None or trace.error is None:
        return None
    error = f"{type(trace.error).__name__}: {trace.error}"
    if isinstance(trace.error, IndexError):
        where = f"raised {error} at line {binding.line}"
        for atom, value in binding.atoms:
            if not isinstance(atom, ast.Name) or not isinstance(value, list):
                continue
            if n_layers is not None and len(value) != n_layers:
                builder = _builder_loop(trace, binding, atom.id)
                if builder is not None:
                    note = f"{atom.id} has {len(value)} items for {n_layers} layers; {where}"
                    return _located(trace, builder, "", "", note)
        loop = _overrun_loop(trace, binding)
        if loop is not None:
            return _located(trace, loop, "", "", f"{where}, in the loop's body")
    shapes = _shapes(binding, quantities)
    note = f"raised {error}" + (f" ({shapes})" if shapes else "")
    return _located(trace, binding, "", "", note)


def _builder_loop(trace: Trace, binding: Binding, name: str) -> Binding | None:
    """The ``for`` of the same call whose body adds items to the list ``name``."""
    for other in trace.bindings[: binding.index]:
        if other.call != binding.call or not isinstance(other.node, ast.For):
            continue
        for sub in ast.walk(other.node):
            if isinstance(sub, ast.stmt):
                call = _container_call(sub)
                if (
                    call is not None
                    and isinstance(call.func, ast.Attribute)
                    and isinstance(call.func.value, ast.Name)
                    and call.func.value.id == name
                ):
                    return other
    return None


def _overrun_loop(trace: Trace, binding: Binding) -> Binding | None:
    """The enclosing ``for`` over a range, at its first or last value, whose
    variable the raising statement reads."""
    read = {
        n.id
        for atom, _ in binding.atoms
        for n in ast.walk(atom)
        if isinstance(n, ast.Name)
    }
    for other in reversed(trace.bindings[: binding.index]):
        node = other.node
        if other.call != binding.call:
            continue
        if not isinstance(node, ast.For) or other.sequence is None:
            continue
        if not (node.lineno < binding.line <= (node.end_lineno or node.lineno)):
            continue
        for name in set(other.scalars) & read:
            value = other.scalars[name]
            if other.sequence and value in (other.sequence[0], other.sequence[-1]):
                return other
        return None
    return None
