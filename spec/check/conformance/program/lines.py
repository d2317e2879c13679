"""The line of the learner's file that is wrong, found in a :class:`Trace`: from the
wrong array a part returned, back through the statements that produced it, to the
first whose inputs all hold the spec's quantities while its output holds none of
them (:func:`locate`); for a crash, the statement that raised and the quantity whose
shape was wrong (:func:`locate_crash`)."""

from __future__ import annotations

import ast
import linecache
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.conformance.program.tracing import (
    NESTED,
    SAME_RTOL,
    Binding,
    Located,
    Trace,
    arrays_in,
    assigned_targets,
    container_call,
    flatten_targets,
    value_expr,
)

__all__ = [
    "label_of",
    "locate",
    "locate_crash",
]


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
                for target in assigned_targets(b.node)
                for t in flatten_targets(target)
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
                arrays = list(arrays_in(recorded, NESTED))
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
    expr = value_expr(binding.node)
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
        arrays = list(arrays_in(again))
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
        arrays = list(arrays_in(recorded, NESTED))
        if len(arrays) == 1 and _identical(arrays[0], np.asarray(value)):
            return f"reads `{ast.unparse(atom)}` = {held}"
    return held


def _written_in_place(binding: Binding) -> list[ast.expr]:
    """The containers a statement writes items of (``v`` in ``v[i] = ...``)."""
    node = binding.node
    targets = (
        assigned_targets(node) if isinstance(node, ast.Assign | ast.AugAssign) else []
    )
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
        for a in arrays_in(recorded, scalars=scalars or items):
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
            expr = value_expr(binding.node)
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
    names = {t.id for t in assigned_targets(binding.node) if isinstance(t, ast.Name)}
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
                call = container_call(sub)
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
