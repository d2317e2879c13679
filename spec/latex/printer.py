r"""The notation printer: ``sympy.latex`` as these pages write the derivation."""

from __future__ import annotations

from typing import Any

from sympy.printing.latex import LatexPrinter

__all__ = ["latex"]


class _NotationPrinter(LatexPrinter):
    """``sympy.latex`` with the tutorial's notation for three constructs."""

    def _print_HadamardProduct(self, expr: Any) -> str:
        return r" \odot ".join(self.parenthesize(a, 60) for a in expr.args)

    def _print_Derivative(self, expr: Any) -> str:
        # ∂C/∂w rather than d/dw C, for the cost symbol C by one parameter.
        if expr.expr.is_Symbol and len(expr.variables) == 1:
            return (
                rf"\frac{{\partial {self._print(expr.expr)}}}"
                rf"{{\partial {self._print(expr.variables[0])}}}"
            )
        return str(super()._print_Derivative(expr))

    def _print_Indexed(self, expr: Any) -> str:
        # a^{l-1}_{k,j}, not {a^{l-1}}_{k,j}: the label already holds the layer.
        indices = ",".join(self._print(i) for i in expr.indices)
        return f"{expr.base.label}_{{{indices}}}"


def latex(expr: Any, **settings: Any) -> str:
    r"""``sympy.latex`` with :math:`\odot`, :math:`\partial C/\partial w`, :math:`\ln`
    and plain indexed symbols.

    Parameters
    ----------
    expr : sympy.Basic
    **settings
        Further ``sympy.latex`` settings.

    Returns
    -------
    str
    """
    return str(_NotationPrinter({"ln_notation": True, **settings}).doprint(expr))
