r"""The general statements of the derivation, as LaTeX printed from SymPy.

The equations use :math:`l` for a layer, :math:`i, j` for neurons and :math:`k` for
the example in a batch of :math:`m`; the costs and the identities are built from
the functions the derivations use (:mod:`spec.costs`, :mod:`spec.identities`).
"""

from __future__ import annotations

import sympy

from spec.costs import COSTS, cost_term, output_gradient
from spec.identities import prove_output_shortcut, prove_sigma_prime
from spec.latex.printer import latex
from spec.symbols import sigma, sigma_prime, symbol

__all__ = [
    "batch_equations",
    "bp_equations",
    "cost_equations",
    "cross_entropy_shortcut",
    "forward_equations",
    "quadratic_shortcut_residual",
    "sigma_prime_identity",
]


def _vector(name: str, rows: sympy.Symbol) -> sympy.MatrixSymbol:
    return sympy.MatrixSymbol(name, rows, 1)


_n_l, _n_prev, _n_L, _m = sympy.symbols(
    "n_l n_{l-1} n_L m", integer=True, positive=True
)
_i, _j, _k = sympy.symbols("i j k", integer=True)
_C = sympy.Symbol("C")


def forward_equations() -> dict[str, str]:
    r"""The forward pass.

    Returns
    -------
    dict of str to str
        ``"z"``: :math:`z^l = W^l a^{l-1} + b^l`; ``"a"``: :math:`a^l = \sigma(z^l)`.
    """
    w = sympy.MatrixSymbol("W^{l}", _n_l, _n_prev)
    z = sympy.Eq(
        _vector("z^{l}", _n_l), w * _vector("a^{l-1}", _n_prev) + _vector("b^{l}", _n_l)
    )
    a = sympy.Eq(sympy.Symbol("a^{l}"), sigma(sympy.Symbol("z^{l}")))
    return {"z": latex(z), "a": latex(a)}


def bp_equations() -> dict[str, str]:
    r"""The four equations of backpropagation, for one example.

    Returns
    -------
    dict of str to str
        ``"BP1"``: :math:`\delta^L = \nabla_a C \odot \sigma'(z^L)`;
        ``"BP2"``: :math:`\delta^l = ((W^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)`;
        ``"BP3"``: :math:`\partial C/\partial b^l_i = \delta^l_i`;
        ``"BP4"``: :math:`\partial C/\partial w^l_{ij} = a^{l-1}_j \delta^l_i`.
    """
    n_next = sympy.Symbol("n_{l+1}", integer=True, positive=True)
    bp1 = sympy.Eq(
        _vector(r"\delta^{L}", _n_L),
        sympy.HadamardProduct(
            _vector(r"\nabla_{a} C", _n_L), _vector(r"\sigma'\left(z^{L}\right)", _n_L)
        ),
    )
    bp2 = sympy.Eq(
        _vector(r"\delta^{l}", _n_l),
        sympy.HadamardProduct(
            sympy.MatrixSymbol("W^{l+1}", n_next, _n_l).T
            * _vector(r"\delta^{l+1}", n_next),
            _vector(r"\sigma'\left(z^{l}\right)", _n_l),
        ),
    )
    delta_i = sympy.Symbol(r"\delta^{l}_{i}")
    bp3 = sympy.Eq(sympy.Derivative(_C, sympy.Symbol("b^{l}_{i}")), delta_i)
    bp4 = sympy.Eq(
        sympy.Derivative(_C, sympy.Symbol("w^{l}_{ij}")),
        sympy.Symbol("a^{l-1}_{j}") * delta_i,
    )
    return {"BP1": latex(bp1), "BP2": latex(bp2), "BP3": latex(bp3), "BP4": latex(bp4)}


def batch_equations() -> dict[str, str]:
    r"""The batch cost and BP3, BP4 averaged over the :math:`m` examples.

    Returns
    -------
    dict of str to str
        ``"C"``: :math:`C = \frac1m \sum_k C_k`;
        ``"BP3"``: :math:`\partial C/\partial b^l_i = \frac1m \sum_k \delta^l_{k,i}`;
        ``"BP4"``: :math:`\partial C/\partial w^l_{ij} = \frac1m \sum_k
        a^{l-1}_{k,j} \delta^l_{k,i}`.
    """
    delta = sympy.IndexedBase(r"\delta^{l}")
    a_prev = sympy.IndexedBase("a^{l-1}")
    over_batch = (_k, 1, _m)
    cost = sympy.Eq(_C, sympy.Sum(sympy.IndexedBase("C")[_k], over_batch) / _m)
    bp3 = sympy.Eq(
        sympy.Derivative(_C, sympy.Symbol("b^{l}_{i}")),
        sympy.Sum(delta[_k, _i], over_batch) / _m,
    )
    bp4 = sympy.Eq(
        sympy.Derivative(_C, sympy.Symbol("w^{l}_{ij}")),
        sympy.Sum(a_prev[_k, _j] * delta[_k, _i], over_batch) / _m,
    )
    # long_frac_ratio=0 prints 1/m in front of the sum, as the tutorial writes it.
    return {
        name: latex(equation, long_frac_ratio=0)
        for name, equation in (("C", cost), ("BP3", bp3), ("BP4", bp4))
    }


def cost_equations() -> dict[str, dict[str, str]]:
    r"""Both per-example costs and their gradients :math:`\partial C/\partial a^L_j`.

    Built from :func:`spec.costs.cost_term` and :func:`spec.costs.output_gradient`,
    the functions the derivations use.

    Returns
    -------
    dict of str to dict of str to str
        For ``"quadratic"`` and ``"cross_entropy"``: ``"C"``, the cost as a sum over
        the output neurons, and ``"dC/da"``, its derivative by :math:`a^L_j`.
    """
    a_j = sympy.IndexedBase("a^{L}")[_j]
    y_j = sympy.IndexedBase("y")[_j]
    equations = {}
    for cost in COSTS:
        c = sympy.Eq(_C, sympy.Sum(cost_term(cost, a_j, y_j), (_j, 1, _n_L)))
        gradient = sympy.Eq(
            sympy.Derivative(_C, sympy.Symbol("a^{L}_{j}")),
            output_gradient(cost, [a_j], [y_j])[0],
        )
        equations[cost] = {"C": latex(c), "dC/da": latex(gradient)}
    return equations


def sigma_prime_identity() -> str:
    r"""The proven identity :math:`\sigma'(z) = \sigma(z)(1 - \sigma(z))`.

    Returns
    -------
    str
        :math:`\frac{d}{dz}\sigma(z) = \frac{d}{dz}\frac{1}{1 + e^{-z}} =
        \frac{e^{-z}}{(1 + e^{-z})^2} = \sigma(z)(1 - \sigma(z))`, the middle
        steps as :func:`spec.prove_sigma_prime` computes them.
    """
    proof = prove_sigma_prime()
    z = proof.lhs[0].free_symbols.pop()
    steps = [
        sympy.Derivative(sigma(z), z),
        sympy.Derivative(sigma(z).rewrite(sympy.exp), z),
        proof.lhs[0],
        sigma_prime(z),
    ]
    return " = ".join(latex(step) for step in steps)


def _generic_output(expr: sympy.Expr, proof_rhs: sympy.Expr) -> sympy.Expr:
    """Rename output neuron 0 of :func:`spec.prove_output_shortcut` to neuron j.

    ``proof_rhs`` is the proof's :math:`a^L_0 - y_0`; its one symbol besides
    :math:`z^L_0` is the target, whatever the letter the proof gave it.
    """
    z = symbol("z", "L", 0)
    (target,) = proof_rhs.free_symbols - {z}
    return expr.xreplace(
        {
            z: sympy.Symbol("z^{L}_{j}", real=True),
            target: sympy.Symbol("y_{j}", real=True),
        }
    )


def cross_entropy_shortcut() -> str:
    r"""The proven shortcut :math:`\delta^L_j = a^L_j - y_j` for the cross-entropy.

    Returns
    -------
    str
        BP1 as built by the recursion, equated with :math:`\sigma(z^L_j) - y_j`
        (:func:`spec.prove_output_shortcut`).
    """
    proof = prove_output_shortcut("cross_entropy", n_L=1)
    return " = ".join(
        [
            r"\delta^{L}_{j}",
            latex(_generic_output(proof.lhs[0], proof.rhs[0])),
            latex(_generic_output(proof.rhs[0], proof.rhs[0])),
        ]
    )


def quadratic_shortcut_residual() -> str:
    r"""Why the shortcut fails for the quadratic cost: the non-zero residual.

    Returns
    -------
    str
        :math:`\delta^L_j - (a^L_j - y_j) = -(\sigma - y_j)(\sigma^2 - \sigma + 1)`
        with :math:`\sigma = \sigma(z^L_j)`, as factored by
        :func:`spec.prove_output_shortcut`; zero only where :math:`a^L_j = y_j`.
    """
    proof = prove_output_shortcut("quadratic", n_L=1)
    return r"\delta^{L}_{j} - \left(a^{L}_{j} - y_{j}\right) = " + latex(
        _generic_output(proof.residuals[0], proof.rhs[0])
    )
