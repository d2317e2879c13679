"""The network's symbols, named as in the tutorial, and the sigmoid :math:`\\sigma`.

Every symbol of the specification comes from :func:`symbol`, so all of them are
real and named alike: ``w^{l}_{i,j}``, ``b^{l}_{i}``, ``x_{k,j}`` (row ``k`` of the
input batch), ``y_{k,i}`` (row ``k`` of the targets). The names are valid LaTeX, so
``sympy.latex`` prints them as the tutorial writes them.
"""

from __future__ import annotations

from typing import Any

import sympy
from sympy.core.function import ArgumentIndexError

__all__ = ["sigma", "sigma_prime", "symbol", "symbol_name"]


def symbol_name(letter: str, layer: int | str | None, index: tuple[int, ...]) -> str:
    """Name of a network symbol, e.g. ``w^{2}_{1,0}`` for :math:`w^2_{10}`.

    Parameters
    ----------
    letter : str
        ``"w"``, ``"b"``, ``"x"`` or ``"y"`` (any letter is accepted).
    layer : int, str or None
        Layer :math:`l` (superscript; ``"L"`` for a generic output layer);
        ``None`` for the inputs and targets.
    index : tuple of int
        Subscripts, 0-based like the arrays they correspond to.

    Returns
    -------
    str
    """
    superscript = "" if layer is None else f"^{{{layer}}}"
    return f"{letter}{superscript}_{{{','.join(map(str, index))}}}"


def symbol(letter: str, layer: int | str | None, *index: int) -> sympy.Symbol:
    """The one factory for the network's symbols (all real).

    Parameters
    ----------
    letter : str
        ``"w"`` (weight), ``"b"`` (bias), ``"x"`` (input), ``"y"`` (target),
        ``"z"`` (weighted input).
    layer : int, str or None
        Layer :math:`l` of a weight or bias (``"L"``: the output layer of any
        network); ``None`` for inputs and targets.
    *index : int
        0-based subscripts: ``(i, j)`` for :math:`w^l_{ij}`, ``(i,)`` for
        :math:`b^l_i`, ``(k, j)`` for row ``k`` of ``x`` or ``y``.

    Returns
    -------
    sympy.Symbol
        A real symbol named by :func:`symbol_name`.

    Examples
    --------
    >>> symbol("w", 2, 1, 0)
    w^{2}_{1,0}
    """
    return sympy.Symbol(symbol_name(letter, layer, index), real=True)


class sigma(sympy.Function):
    r"""Logistic sigmoid :math:`\sigma(z) = 1/(1 + e^{-z})`.

    Left unevaluated so that derivations stay readable and fast; its derivative is
    declared as :math:`\sigma' = \sigma(1 - \sigma)` (proven by
    :func:`spec.prove_sigma_prime`), and ``rewrite(sympy.exp)`` gives the explicit
    form.
    """

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        r""":math:`\sigma'(z) = \sigma(z)(1 - \sigma(z))`."""
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        return sigma_prime(self.args[0])

    def _eval_rewrite_as_exp(self, z: sympy.Expr, **kwargs: Any) -> sympy.Expr:
        return 1 / (1 + sympy.exp(-z))

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        power = "" if exp is None else f"^{{{exp}}}"
        return rf"\sigma{power}\left({printer._print(self.args[0])}\right)"


def sigma_prime(z: sympy.Expr) -> sympy.Expr:
    r"""The derivative :math:`\sigma'(z) = \sigma(z)(1 - \sigma(z))`.

    Parameters
    ----------
    z : sympy.Expr

    Returns
    -------
    sympy.Expr
        ``sigma(z) * (1 - sigma(z))``, the form both derivations use.
    """
    s = sigma(z)
    return s * (1 - s)
