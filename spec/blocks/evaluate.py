r"""The block formulas compiled to exact-enough ``mpmath`` evaluators.

A :class:`Formula` is one output array of a layer written as SymPy does in the
proofs: an expression in free index symbols, with ``Sum`` over symbolic bounds,
``Indexed`` arrays, ``Piecewise`` range conditions and Kronecker deltas, the sizes
and hyper-parameters left as symbols. :func:`compile_formulas` writes one Python
function for a set of formulas: each output entry is a loop over its indices, each
``Sum`` a memoised inner function of the indices it depends on (so a batch mean
that every entry of a column uses is summed once per column, not once per
entry), numbers and arrays as ``mpmath`` numbers at the precision in force.

The oracle (:func:`spec.blocks.layer_vjp`) evaluates the very expressions the
proofs of :mod:`spec.blocks` prove, at the sizes of its inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy

from spec.activations import relu, step

__all__ = ["Formula", "compile_formulas", "square_root"]


class square_root(sympy.Function):
    r"""The square root :math:`\sqrt{u}` of a normalisation, left unevaluated.

    Declared derivative :math:`1 / (2\sqrt{u})`; nothing else is assumed of it in
    the proofs (exact evaluation modulo a prime treats it as an uninterpreted
    function), so a backward formula proven with it holds for the real root.
    Written as a function rather than ``u**(1/2)``: modular evaluation has no
    non-integer powers.
    """

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        r""":math:`(\sqrt{u})' = 1 / (2 \sqrt{u})`."""
        if argindex != 1:
            raise sympy.core.function.ArgumentIndexError(self, argindex)
        return 1 / (2 * self)

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        power = "" if exp is None else f"^{{{exp}}}"
        return rf"\sqrt{{{printer._print(self.args[0])}}}{power}"


@dataclass(frozen=True)
class Formula:
    r"""One output array of a layer as a SymPy expression of its indices.

    Attributes
    ----------
    name : str
        ``"out"``, ``"dx"``, ``"dw"``, ...
    indices : tuple of sympy.Symbol
        The free index of each axis, in axis order.
    shape : tuple of sympy.Expr
        The length of each axis, in the size symbols.
    expr : sympy.Expr
        The entry at ``indices``.
    """

    name: str
    indices: tuple[sympy.Symbol, ...]
    shape: tuple[sympy.Expr, ...]
    expr: sympy.Expr

    def latex(self) -> str:
        """The formula as LaTeX, e.g. ``dx_{n', c', q, u} = \\sum ...``."""
        name = self.name.replace("_", r"\_")
        left = rf"\mathrm{{{name}}}"
        if self.indices:
            left += "_{" + ", ".join(sympy.latex(i) for i in self.indices) + "}"
        return f"{left} = {sympy.latex(self.expr)}"


def _relu(z: Any) -> Any:
    return z if z > 0 else mpmath.mpf(0)


def _step(z: Any) -> Any:
    # 0 at the kink, as the rectifier's and the hinge's subgradient of CS231n.
    return mpmath.mpf(1) if z > 0 else mpmath.mpf(0)


_FUNCTIONS: dict[type, str] = {
    sympy.exp: "exp",
    sympy.log: "log",
    square_root: "sqrt",
    relu: "relu",
    step: "step",
    sympy.Max: "max",
    sympy.Min: "min",
}
_NAMESPACE: dict[str, Any] = {
    "exp": mpmath.exp,
    "log": mpmath.log,
    "sqrt": mpmath.sqrt,
    "relu": _relu,
    "step": _step,
    "mpf": mpmath.mpf,
    "fsum": mpmath.fsum,
    "empty": np.empty,
    "ndindex": np.ndindex,
}
_RELATIONS = {
    sympy.GreaterThan: ">=",
    sympy.StrictGreaterThan: ">",
    sympy.LessThan: "<=",
    sympy.StrictLessThan: "<",
    sympy.Equality: "==",
    sympy.Unequality: "!=",
}


class _Writer:
    """Writes the Python source of :func:`compile_formulas`."""

    def __init__(
        self,
        arrays: Mapping[str, sympy.IndexedBase],
        scalars: Sequence[sympy.Symbol],
        formulas: Sequence[Formula],
    ) -> None:
        self.names: dict[sympy.Basic, str] = {}
        for k, name in enumerate(arrays):
            self.names[arrays[name].label] = f"A{k}"
        for k, s in enumerate(scalars):
            self.names[s] = f"c{k}"
        indices: set[sympy.Symbol] = set()
        for formula in formulas:
            indices.update(formula.indices)
            for node in sympy.preorder_traversal(formula.expr):
                if isinstance(node, sympy.Sum):
                    indices.update(limit[0] for limit in node.limits)
        for k, s in enumerate(sorted(indices, key=str)):
            self.names.setdefault(s, f"v{k}")
        self.indices = indices
        self.functions: list[str] = []
        self.sums: dict[sympy.Basic, str] = {}

    def index_key(self, node: sympy.Basic) -> list[sympy.Symbol]:
        free = [s for s in node.free_symbols if s in self.indices]
        return sorted(free, key=str)

    def code(self, node: sympy.Basic) -> str:
        if node in self.names:
            return self.names[node]
        if node is sympy.true:
            return "True"
        if node is sympy.false:
            return "False"
        if isinstance(node, sympy.Integer):
            return f"({int(node)})"
        if isinstance(node, sympy.Rational):
            return f"(mpf({node.p}) / {node.q})"
        if isinstance(node, sympy.Symbol):
            raise ValueError(f"free symbol {node} is neither an index nor a scalar")
        if isinstance(node, sympy.Indexed):
            arguments = ", ".join(self.code(i) for i in node.indices)
            return f"{self.names[node.base.label]}[{arguments}]"
        if node.is_Add:
            return "(" + " + ".join(self.code(a) for a in node.args) + ")"
        if node.is_Mul:
            return "(" + " * ".join(self.code(a) for a in node.args) + ")"
        if node.is_Pow and node.exp.is_Integer:
            if node.exp < 0:
                # mpf, so that an integer base gives no float64 reciprocal.
                return f"(mpf({self.code(node.base)}) ** ({int(node.exp)}))"
            return f"({self.code(node.base)} ** {int(node.exp)})"
        if isinstance(node, sympy.KroneckerDelta):
            a, b = (self.code(arg) for arg in node.args)
            return f"(1 if {a} == {b} else 0)"
        if isinstance(node, sympy.Piecewise):
            text = "0"
            for expr, cond in reversed(node.args):
                text = f"({self.code(expr)} if {self.code(cond)} else {text})"
            return text
        if type(node) in _RELATIONS:
            lhs, rhs = (self.code(arg) for arg in node.args)
            return f"({lhs} {_RELATIONS[type(node)]} {rhs})"
        if isinstance(node, sympy.And):
            return "(" + " and ".join(self.code(a) for a in node.args) + ")"
        if isinstance(node, sympy.Or):
            return "(" + " or ".join(self.code(a) for a in node.args) + ")"
        if isinstance(node, sympy.Not):
            return f"(not {self.code(node.args[0])})"
        if type(node) in _FUNCTIONS:
            arguments = ", ".join(self.code(a) for a in node.args)
            return f"{_FUNCTIONS[type(node)]}({arguments})"
        if isinstance(node, sympy.Sum):
            return self.sum(node)
        raise TypeError(f"cannot compile {node!r} (a {type(node).__name__})")

    def sum(self, node: sympy.Sum) -> str:
        key = self.index_key(node)
        arguments = ", ".join(self.names[s] for s in key)
        if node not in self.sums:
            name = f"S{len(self.sums)}"
            self.sums[node] = name
            generator = self.code(node.function)
            loops = " ".join(
                f"for {self.names[v]} in range({self.code(lo)}, {self.code(hi)} + 1)"
                for v, lo, hi in reversed(node.limits)
            )
            self.functions.append(
                "\n".join(
                    [
                        f"    memo_{name} = {{}}",
                        f"    def {name}({arguments}):",
                        f"        key = ({arguments}{',' if key else ''})",
                        f"        if key not in memo_{name}:",
                        f"            memo_{name}[key] = fsum({generator} {loops})",
                        f"        return memo_{name}[key]",
                    ]
                )
            )
        return f"{self.sums[node]}({arguments})"


def compile_formulas(
    formulas: Sequence[Formula],
    arrays: Mapping[str, sympy.IndexedBase],
    scalars: Sequence[sympy.Symbol],
) -> Callable[..., dict[str, np.ndarray]]:
    r"""One ``mpmath`` evaluator of several formulas of the same arrays.

    Parameters
    ----------
    formulas : sequence of Formula
    arrays : mapping of str to sympy.IndexedBase
        The input arrays by keyword name.
    scalars : sequence of sympy.Symbol
        The sizes and hyper-parameters (integers for sizes, strides, paddings;
        numbers for :math:`\varepsilon`, keep, margin).

    Returns
    -------
    callable
        ``f(arrays, scalars)``: ``arrays`` a dict of object arrays of ``mpmath``
        numbers (or of ints, for labels) by the names of ``arrays``, ``scalars``
        a dict from the symbols to their values; returns a dict of object arrays
        by formula name, computed at the precision in force.
    """
    writer = _Writer(arrays, scalars, formulas)
    body: list[str] = []
    for formula in formulas:
        shape = ", ".join(writer.code(n) for n in formula.shape)
        names = ", ".join(writer.names[i] for i in formula.indices)
        body += [
            f"    out_{formula.name} = empty(({shape}{',' if shape else ''}), object)",
            f"    for ({names}{',' if names else ''}) in ndindex(out_{formula.name}.shape):",
            f"        out_{formula.name}[{names or '()'}] = {writer.code(formula.expr)}",
        ]
    results = ", ".join(f"{f.name!r}: out_{f.name}" for f in formulas)
    parameters = [writer.names[arrays[n].label] for n in arrays]
    parameters += [writer.names[s] for s in scalars]
    source = "\n".join(
        [
            f"def f({', '.join(parameters)}):",
            *writer.functions,
            *body,
            f"    return {{{results}}}",
        ]
    )
    namespace = dict(_NAMESPACE)
    exec(compile(source, "<spec.blocks.evaluate>", "exec"), namespace)
    function = namespace["f"]
    keys = list(arrays)

    def evaluate(
        values: Mapping[str, np.ndarray], numbers: Mapping[sympy.Symbol, Any]
    ) -> dict[str, np.ndarray]:
        result: dict[str, np.ndarray] = function(
            *(values.get(key) for key in keys), *(numbers[s] for s in scalars)
        )
        return result

    return evaluate


@dataclass(frozen=True)
class Block:
    """A layer as the oracle evaluates it: its arrays, scalars and formulas.

    Attributes
    ----------
    kind : str
    arrays : dict of str to sympy.IndexedBase
        Inputs by keyword name, the upstream gradient as ``"dout"``.
    scalars : tuple of sympy.Symbol
        Sizes and hyper-parameters, bound by the layer's ``prepare``.
    forward : Formula
        ``out``.
    backward : tuple of Formula
        The gradients, named as :func:`spec.blocks.layer_vjp` returns them.
    """

    kind: str
    arrays: dict[str, sympy.IndexedBase]
    scalars: tuple[sympy.Symbol, ...]
    forward: Formula
    backward: tuple[Formula, ...]


@dataclass(frozen=True)
class Prepared:
    """A layer's inputs made ready for its :class:`Block`'s formulas.

    Attributes
    ----------
    arrays : dict of str to ndarray
        Float arrays (labels and masks as int arrays) by the block's names,
        reshaped as the formulas index them.
    numbers : dict of sympy.Symbol to int or float
        A value for every scalar of the block.
    shapes : dict of str to tuple of int
        The shape each result is given back in (e.g. ``dx`` as ``x`` was).
    variant : str
        ``""``, or the suffix of another block of the same layer (``":test"``
        for batch norm in test mode).
    """

    arrays: dict[str, np.ndarray]
    numbers: dict[sympy.Symbol, Any]
    shapes: dict[str, tuple[int, ...]]
    variant: str = ""
