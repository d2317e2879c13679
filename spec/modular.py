r"""Exact evaluation of SymPy expressions in the field of residues modulo a prime.

Symbols take values in :math:`\mathbb{Z}_p` with :math:`p = 2^{61} - 1`; rational
numbers map to residues (:math:`q^{-1}` by Fermat); every function application
:math:`f(u)` (:math:`\sigma`, :math:`\ln`, :math:`\exp`, ...) is *uninterpreted*:
its value is a pseudo-random residue determined by :math:`f`, the value of
:math:`u` and a salt, so equal arguments give equal values and nothing else is
assumed about :math:`f`.

An identity that holds for every interpretation of the functions holds in
particular for the real ones. If two rational expressions differ as such, a random
point exposes the difference except with probability at most :math:`d/p`
(Schwartz–Zippel; :math:`d` the degree), i.e. about :math:`10^{-15}` for the
degrees met here. Evaluation visits each distinct subexpression once
(:class:`ModularProgram`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import sympy

from spec.graph import topological_order

__all__ = ["MODULUS", "ModularProgram", "evaluate_mod_p"]

#: The Mersenne prime :math:`2^{61} - 1`.
MODULUS = 2**61 - 1


def _uninterpreted(name: str, args: tuple[int, ...], salt: bytes) -> int:
    digest = hashlib.blake2b(
        f"{name}({','.join(map(str, args))})".encode(), key=salt, digest_size=16
    ).digest()
    return int.from_bytes(digest, "little") % MODULUS


_SYMBOL, _NUMBER, _ADD, _MUL, _POW, _FUNCTION = range(6)


class ModularProgram:
    """Expressions compiled once for exact evaluation modulo :data:`MODULUS`.

    The graph of ``exprs`` is flattened to a list of operations on the values of
    earlier ones (each distinct node once, arguments first); calling the program
    runs the list at one point. Evaluating many points, as a proof does, then
    walks no SymPy tree and hashes no node.

    Parameters
    ----------
    exprs : sequence of sympy.Expr
        Built from rational numbers, symbols, ``+``, ``*``, integer powers and
        function applications.

    Raises
    ------
    TypeError
        For a node that has no exact value (a float, a non-integer power, ...).
    """

    def __init__(self, exprs: Sequence[sympy.Expr]) -> None:
        position: dict[int, int] = {}
        operations: list[tuple[int, Any]] = []
        for node in topological_order(exprs):
            if node.is_Symbol:
                operation: tuple[int, Any] = (_SYMBOL, node)
            elif node.is_Rational:
                operation = (_NUMBER, node.p * pow(node.q, -1, MODULUS) % MODULUS)
            elif node.is_Add or node.is_Mul:
                code = _ADD if node.is_Add else _MUL
                operation = (code, tuple(position[id(arg)] for arg in node.args))
            elif node.is_Pow and node.exp.is_Integer:
                operation = (_POW, (position[id(node.base)], int(node.exp), node.base))
            elif node.is_Function:
                arguments = tuple(position[id(arg)] for arg in node.args)
                operation = (_FUNCTION, (type(node).__name__, arguments))
            else:
                raise TypeError(
                    f"cannot evaluate {node!r} (a {type(node).__name__}) exactly "
                    "modulo p"
                )
            position[id(node)] = len(operations)
            operations.append(operation)
        self._operations = operations
        self._outputs = [position[id(expr)] for expr in exprs]

    def __call__(self, values: Mapping[sympy.Symbol, int], salt: bytes) -> list[int]:
        """Residues of the expressions at ``values``, functions keyed by ``salt``.

        Raises
        ------
        ZeroDivisionError
            If a denominator vanishes at this point (choose another point).
        """
        result = [0] * len(self._operations)
        for k, (code, operand) in enumerate(self._operations):
            if code == _ADD:
                total = 0
                for j in operand:
                    total += result[j]
                result[k] = total % MODULUS
            elif code == _MUL:
                product = 1
                for j in operand:
                    product = product * result[j] % MODULUS
                result[k] = product
            elif code == _SYMBOL:
                result[k] = values[operand] % MODULUS
            elif code == _NUMBER:
                result[k] = operand
            elif code == _POW:
                j, exp, base = operand
                if result[j] == 0 and exp < 0:
                    raise ZeroDivisionError(f"denominator {base} is 0 modulo p")
                result[k] = pow(result[j], exp, MODULUS)
            else:
                name, arguments = operand
                args = tuple(result[j] for j in arguments)
                result[k] = _uninterpreted(name, args, salt)
        return [result[k] for k in self._outputs]


def evaluate_mod_p(
    exprs: Sequence[sympy.Expr], values: Mapping[sympy.Symbol, int], salt: bytes
) -> list[int]:
    """Evaluate expressions exactly modulo :data:`MODULUS` (at one point).

    ``ModularProgram(exprs)(values, salt)``; compile a :class:`ModularProgram`
    once to evaluate many points.

    Parameters
    ----------
    exprs : sequence of sympy.Expr
        Built from rational numbers, symbols, ``+``, ``*``, integer powers and
        function applications.
    values : mapping of sympy.Symbol to int
        A residue for every free symbol.
    salt : bytes
        Key (at most 64 bytes) that selects the interpretation of the functions.

    Returns
    -------
    list of int
        Residues in ``[0, MODULUS)``.

    Raises
    ------
    ZeroDivisionError
        If a denominator vanishes at this point (choose another point).
    TypeError
        For a node that has no exact value (a float, a non-integer power, ...).
    """
    return ModularProgram(exprs)(values, salt)
