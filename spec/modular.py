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
degrees met here. Evaluation visits each distinct subexpression once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import sympy

__all__ = ["MODULUS", "evaluate_mod_p"]

#: The Mersenne prime :math:`2^{61} - 1`.
MODULUS = 2**61 - 1


def _uninterpreted(name: str, args: tuple[int, ...], salt: bytes) -> int:
    digest = hashlib.blake2b(
        f"{name}({','.join(map(str, args))})".encode(), key=salt, digest_size=16
    ).digest()
    return int.from_bytes(digest, "little") % MODULUS


def evaluate_mod_p(
    exprs: Sequence[sympy.Expr], values: Mapping[sympy.Symbol, int], salt: bytes
) -> list[int]:
    """Evaluate expressions exactly modulo :data:`MODULUS`.

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
    # Keyed by id(): the nodes stay alive inside exprs, and id() costs far less
    # than hashing a SymPy tree.
    memo: dict[int, int] = {}

    def value(node: sympy.Basic) -> int:
        found = memo.get(id(node))
        if found is not None:
            return found
        if node.is_Symbol:
            result = values[node] % MODULUS
        elif node.is_Rational:
            result = node.p * pow(node.q, -1, MODULUS) % MODULUS
        elif node.is_Add:
            result = sum(value(arg) for arg in node.args) % MODULUS
        elif node.is_Mul:
            result = 1
            for arg in node.args:
                result = result * value(arg) % MODULUS
        elif node.is_Pow and node.exp.is_Integer:
            base = value(node.base)
            if base == 0 and node.exp < 0:
                raise ZeroDivisionError(f"denominator {node.base} is 0 modulo p")
            result = pow(base, int(node.exp), MODULUS)
        elif node.is_Function:
            args = tuple(value(arg) for arg in node.args)
            result = _uninterpreted(type(node).__name__, args, salt)
        else:
            raise TypeError(
                f"cannot evaluate {node!r} (a {type(node).__name__}) exactly modulo p"
            )
        memo[id(node)] = result
        return result

    return [value(expr) for expr in exprs]
