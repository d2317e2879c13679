r"""The pages of each activation and each cost, as displayed equations from :mod:`spec`.

For an activation: its definition (the explicit form its SymPy function rewrites
to), its declared derivative, the proof of that declaration
(:func:`spec.prove_derivative`), and the form BP1 takes with it. For a cost: BP1
on each output it takes and whether the shortcut :math:`\delta^L = a^L - y` holds
there (:func:`spec.prove_output_shortcut`). And the L2 term with its gradient
(:func:`spec.prove_l2_term`). Each is a :class:`spec.latex.Display`, whose ``ok``
is the verdict of the proof behind it.
"""

from __future__ import annotations

from typing import Any

import sympy

from spec.activations import ACTIVATIONS, phi, phi_prime, relu, tanh
from spec.costs import l2_penalty
from spec.identities import prove_derivative, prove_l2_term, prove_output_shortcut
from spec.latex.display import Display
from spec.latex.printer import latex
from spec.recursion import bp1
from spec.symbols import sigma, symbol
from spec.validation import validate_choice

__all__ = [
    "display_activation",
    "display_activation_bp1",
    "display_activation_derivative",
    "display_l2",
    "display_shortcut",
]

_z = sympy.Symbol("z", real=True)
#: Width of the softmax layer written out on the pages.
_SOFTMAX_WIDTH = 3


def _layer(letter: str, n: int = _SOFTMAX_WIDTH) -> list[sympy.Symbol]:
    return [sympy.Symbol(f"{letter}_{{{i}}}", real=True) for i in range(n)]


def display_activation(activation: str) -> Display:
    r"""The definition of ``activation``: its SymPy function and the explicit form.

    Parameters
    ----------
    activation : {"sigmoid", "tanh", "relu", "identity", "softmax"}

    Returns
    -------
    Display
    """
    validate_choice("activation", activation, ACTIVATIONS)
    if activation == "softmax":
        z = _layer("z")
        rows = [
            rf"{latex(a_k)} &= {latex(a_k.rewrite(sympy.exp))}"
            for a_k in phi("softmax", z)
        ]
        return Display(tuple(rows), "spec.softmax(k, z_0, z_1, z_2).rewrite(exp)")
    if activation == "identity":
        return Display((r"\varphi(z) &= z",), "spec.activations.phi('identity', z)")
    function: Any = {"sigmoid": sigma, "tanh": tanh, "relu": relu}[activation]
    explicit = function(_z).rewrite(sympy.Max if activation == "relu" else sympy.exp)
    name = {"sigmoid": "sigma", "tanh": "tanh", "relu": "relu"}[activation]
    return Display(
        (rf"{latex(function(_z))} &= {latex(explicit)}",),
        f"spec.{name}(z).rewrite({'Max' if activation == 'relu' else 'exp'})",
    )


def display_activation_derivative(activation: str) -> Display:
    r"""The declared derivative of ``activation`` and the proof that it is right.

    Rows: the declared :math:`\varphi'` (for softmax the Jacobian
    :math:`\operatorname{diag}(a) - a a^T` of a layer of three, entry by entry),
    then the derivative of the explicit form as SymPy computes it.

    Returns
    -------
    Display
        ``ok`` is the verdict of :func:`spec.prove_derivative`.
    """
    validate_choice("activation", activation, ACTIVATIONS)
    result = prove_derivative(activation)
    if activation == "softmax":
        z = _layer("z")
        a = phi("softmax", z)
        jacobian = sympy.Matrix([[a_k.diff(z_i) for z_i in z] for a_k in a]).xreplace(
            dict(zip(a, _layer("a"), strict=True))
        )
        explicit = latex(a[0].rewrite(sympy.exp))
        rows = [
            r"\frac{\partial a_{k}}{\partial z_{i}} &= a_{k} \left(\delta_{ki} - a_{i}\right)",
            rf"\left(\frac{{\partial a_{{k}}}}{{\partial z_{{i}}}}\right) &= {latex(jacobian)}",
            rf"\frac{{\partial}}{{\partial z_{{0}}}} {explicit} &= {latex(result.lhs[0])}",
        ]
    elif activation == "relu":
        declared = latex(phi_prime("relu", _z))
        positive, negative = (latex(side) for side in result.lhs)
        rows = [
            rf"\frac{{d}}{{dz}} {latex(relu(_z))} &= {declared} \qquad (z \ne 0)",
            (
                rf"\frac{{d}}{{dz}} {latex(sympy.Max(_z, 0))} &= {positive} "
                rf"\quad (z > 0), \qquad {negative} \quad (z < 0)"
            ),
        ]
    elif activation == "identity":
        rows = [rf"\frac{{d}}{{dz}} z &= {latex(result.lhs[0])}"]
    else:
        function: Any = {"sigmoid": sigma, "tanh": tanh}[activation]
        value = function(_z)
        declared = latex(phi_prime(activation, _z))
        rows = [
            rf"\frac{{d}}{{dz}} {latex(value)} &= {declared}",
            rf"\frac{{d}}{{dz}} {latex(value.rewrite(sympy.exp))} &= "
            + latex(result.lhs[0]),
        ]
    verdict = "proven" if result.proven else "NOT proven"
    return Display(
        tuple(rows),
        f"spec.prove_derivative({activation!r})",
        ok=result.proven,
        note=f"{verdict}: {result.claim}, by {result.method}, in "
        f"{result.seconds:.2f} s",
    )


def display_activation_bp1(activation: str) -> Display:
    r"""The form BP1 takes when ``activation`` is the output layer's.

    With :math:`g_j = \partial C / \partial a^L_j` left general:
    :math:`\delta^L_j = g_j \varphi'(z^L_j)`, or for softmax
    :math:`\delta^L_j = a^L_j (g_j - \sum_k a^L_k g_k)`, as
    :func:`spec.recursion.bp1` builds it.

    Returns
    -------
    Display
    """
    validate_choice("activation", activation, ACTIVATIONS)
    n = _SOFTMAX_WIDTH if activation == "softmax" else 1
    z = [symbol("z", "L", j) for j in range(n)]
    g = [
        sympy.Symbol(rf"\frac{{\partial C}}{{\partial a^{{L}}_{{{j}}}}}")
        for j in range(n)
    ]
    delta = bp1(g, z, activation)
    shown = {
        a_k: sympy.Symbol(f"a^{{L}}_{{{k}}}")
        for k, a_k in enumerate(phi(activation, z))
    }
    if activation != "softmax":
        shown = {}
    rows = [
        rf"\delta^{{L}}_{{{j}}} &= {latex(d.xreplace(shown))}"
        for j, d in enumerate(delta)
    ]
    return Display(tuple(rows), f"spec.recursion.bp1(nabla_a, z^L, {activation!r})")


def display_shortcut(cost: str, activation: str) -> Display:
    r"""BP1 for ``cost`` on ``activation`` outputs and whether :math:`\delta^L = a^L - y`.

    Rows: :math:`\delta^L_0` as BP1 builds it, then the residual
    :math:`\delta^L_0 - (a^L_0 - y_0)` (0 when the shortcut is proven).

    Returns
    -------
    Display
        ``ok`` is always True: the verdict is data (``note``), as both outcomes
        are theorems; a combination that makes no sense raises.
    """
    n = _SOFTMAX_WIDTH if activation == "softmax" else 1
    result = prove_output_shortcut(cost, n_L=n, activation=activation)
    a = phi(activation, [symbol("z", "L", j) for j in range(n)])
    shown = {a_k: sympy.Symbol(f"a^{{L}}_{{{k}}}") for k, a_k in enumerate(a)}
    residual = latex(result.residuals[0].xreplace(shown))
    rows = [
        rf"\delta^{{L}}_{{0}} &= {latex(result.lhs[0].xreplace(shown))}",
        rf"\delta^{{L}}_{{0}} - \left(a^{{L}}_{{0}} - y_{{0}}\right) &= {residual}",
    ]
    verdict = "proven" if result.proven else "FALSE"
    note = f"{verdict}: {result.claim} ({result.method}, {result.seconds:.2f} s)"
    if result.counterexample:
        c = result.counterexample
        point = ", ".join(
            f"{k} = {v:g}" for k, v in c.items() if k not in ("lhs", "rhs")
        )
        note += f"; at {point}, BP1 gives δ = {c['lhs']:g} but a − y = {c['rhs']:g}"
    return Display(
        tuple(rows),
        f"spec.prove_output_shortcut({cost!r}, activation={activation!r})",
        note=note,
    )


def display_l2() -> Display:
    r"""The L2 term and its gradient, :math:`\lambda w^l_{ij}` for weights, 0 for biases.

    Returns
    -------
    Display
        ``ok`` is the verdict of :func:`spec.prove_l2_term`.
    """
    result = prove_l2_term((1, 2, 1))
    w = sympy.Symbol("w^{l}_{ij}", real=True)
    b = sympy.Symbol("b^{l}_{i}", real=True)
    term = sympy.Symbol(r"\frac{\lambda}{2} \sum_{l} \lVert W^{l} \rVert^{2}")
    penalty = l2_penalty([sympy.Matrix([[w]])])
    by_w, by_b = (latex(sympy.diff(penalty, p)) for p in (w, b))
    rows = [
        rf"{latex(term)} &= {latex(penalty)} + \dots",
        rf"\frac{{\partial}}{{\partial w^{{l}}_{{ij}}}} {latex(term)} &= {by_w}",
        rf"\frac{{\partial}}{{\partial b^{{l}}_{{i}}}} {latex(term)} &= {by_b}",
    ]
    verdict = "proven" if result.proven else "NOT proven"
    return Display(
        tuple(rows),
        "spec.prove_l2_term((1, 2, 1))",
        ok=result.proven,
        note=f"{verdict}: {result.claim}, by {result.method}",
    )
