r"""LaTeX of the derivation, generated from :mod:`spec` for the documentation.

Every function returns LaTeX without surrounding ``$`` or ``\[ \]``, printed by
``sympy.latex`` (through :func:`latex`) from the expressions the specification uses:
the costs from :mod:`spec.cost`, BP1 from :mod:`spec.recursion`, the identities from
:mod:`spec.prove` and the worked example's numbers from the oracle. The equations
in general form use :math:`l` for a layer, :math:`i, j` for neurons and :math:`k`
for the example in a batch of :math:`m`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import numpy.typing as npt
import sympy
from sympy.printing.latex import LatexPrinter

from spec._checks import check_choice, check_int, check_sizes
from spec.cost import COSTS, cost_term, output_gradient
from spec.derive import direct_gradients
from spec.evaluate import mpmath_function
from spec.network import symbolic_network
from spec.oracle import oracle_gradients
from spec.prove import prove_output_shortcut, prove_sigma_prime
from spec.recursion import backpropagate
from spec.symbols import sigma, sigma_prime, symbol

__all__ = [
    "WorkedExample",
    "batch_equations",
    "bp_equations",
    "cost_equations",
    "cross_entropy_shortcut",
    "forward_equations",
    "latex",
    "quadratic_shortcut_residual",
    "sigma_prime_identity",
    "worked_example",
]

FloatArray = npt.NDArray[np.float64]


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

    Built from :func:`spec.cost.cost_term` and :func:`spec.cost.output_gradient`,
    the functions the derivations use.

    Returns
    -------
    dict of str to dict of str to str
        For ``"quadratic"`` and ``"cross_entropy"``: ``"C"``, the cost as a sum over
        the output neurons, and ``"dC/da"``, its derivative by :math:`a^L_j`.
    """
    a_j = sympy.IndexedBase("a^{L}")[_j]
    t_j = sympy.IndexedBase("t")[_j]
    equations = {}
    for cost in COSTS:
        c = sympy.Eq(_C, sympy.Sum(cost_term(cost, a_j, t_j), (_j, 1, _n_L)))
        gradient = sympy.Eq(
            sympy.Derivative(_C, sympy.Symbol("a^{L}_{j}")),
            output_gradient(cost, [a_j], [t_j])[0],
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


def _generic_output(expr: sympy.Expr) -> sympy.Expr:
    """Rename output neuron 0 of :func:`spec.prove_output_shortcut` to neuron j."""
    return expr.xreplace(
        {
            symbol("z", "L", 0): sympy.Symbol("z^{L}_{j}", real=True),
            symbol("t", None, 0): sympy.Symbol("t_{j}", real=True),
        }
    )


def cross_entropy_shortcut() -> str:
    r"""The proven shortcut :math:`\delta^L_j = a^L_j - t_j` for the cross-entropy.

    Returns
    -------
    str
        BP1 as built by the recursion, equated with :math:`\sigma(z^L_j) - t_j`
        (:func:`spec.prove_output_shortcut`).
    """
    proof = prove_output_shortcut("cross_entropy", n_L=1)
    return " = ".join(
        [
            r"\delta^{L}_{j}",
            latex(_generic_output(proof.lhs[0])),
            latex(_generic_output(proof.rhs[0])),
        ]
    )


def quadratic_shortcut_residual() -> str:
    r"""Why the shortcut fails for the quadratic cost: the non-zero residual.

    Returns
    -------
    str
        :math:`\delta^L_j - (a^L_j - t_j) = -(\sigma - t_j)(\sigma^2 - \sigma + 1)`
        with :math:`\sigma = \sigma(z^L_j)`, as factored by
        :func:`spec.prove_output_shortcut`; zero only where :math:`a^L_j = t_j`.
    """
    proof = prove_output_shortcut("quadratic", n_L=1)
    return r"\delta^{L}_{j} - \left(a^{L}_{j} - t_{j}\right) = " + latex(
        _generic_output(proof.residuals[0])
    )


@dataclass(frozen=True)
class WorkedExample:
    r"""Every number of one forward and backward pass, from the oracle.

    Lists are indexed by layer as in :class:`spec.SymbolicNetwork`: ``zs[l - 1]``
    is :math:`z^l`, ``activations[l]`` is :math:`a^l` (``activations[0]`` is
    ``x``), ``deltas[l - 1]`` is :math:`\delta^l`. Per-example quantities have one
    row per example, shape ``(m, n_l)``.

    Attributes
    ----------
    sizes : tuple of int
    m : int
    cost : str
    seed : int
    weights, biases, x, y : ndarray or list of ndarray
        The inputs: weights and biases from N(0, 1), ``x`` uniform in [0, 1),
        ``y`` one-hot.
    zs, activations, deltas : list of ndarray
        :math:`z^l`, :math:`a^l`, :math:`\delta^l`, evaluated at 50 digits.
    grad_w, grad_b : list of ndarray
        :func:`spec.oracle_gradients`.
    symbolic : dict of str to str
        LaTeX of a few entries as derived, keyed by the LaTeX of the quantity:
        :math:`\delta^L_0` from BP1 and the direct derivatives of
        :math:`\partial C/\partial b^L_0`, :math:`\partial C/\partial w^L_{00}` and
        :math:`\partial C/\partial w^1_{00}`, for example 0 when ``m = 1``.
    """

    sizes: tuple[int, ...]
    m: int
    cost: str
    seed: int
    weights: list[FloatArray]
    biases: list[FloatArray]
    x: FloatArray
    y: FloatArray
    zs: list[FloatArray]
    activations: list[FloatArray]
    deltas: list[FloatArray]
    grad_w: list[FloatArray]
    grad_b: list[FloatArray]
    symbolic: dict[str, str]

    def latex(self, digits: int = 4) -> dict[str, str]:
        r"""Every array as a LaTeX matrix, rounded to ``digits`` significant digits.

        Vectors are columns, one column per example: :math:`x`, :math:`t`,
        :math:`z^l`, :math:`a^l`, :math:`\delta^l` have shape ``(n_l, m)``.

        Parameters
        ----------
        digits : int, default 4

        Returns
        -------
        dict of str to str
            Keyed by the LaTeX of the quantity: ``"W^{1}"``, ``"b^{1}"``, ``"x"``,
            ``"t"``, ``"z^{1}"``, ``"a^{1}"``, ``"\delta^{1}"``,
            ``"\frac{\partial C}{\partial W^{1}}"``,
            ``"\frac{\partial C}{\partial b^{1}}"``, ... for every layer.
        """
        digits = check_int("digits", digits, 1)

        def matrix(array: FloatArray) -> str:
            table = np.atleast_2d(array)
            return latex(
                sympy.Matrix(
                    *table.shape,
                    [sympy.Float(float(v), digits) for v in table.ravel()],
                )
            )

        arrays = {"x": self.x.T, "t": self.y.T}
        for layer in range(1, len(self.sizes)):
            arrays |= {
                f"W^{{{layer}}}": self.weights[layer - 1],
                f"b^{{{layer}}}": self.biases[layer - 1][:, None],
                f"z^{{{layer}}}": self.zs[layer - 1].T,
                f"a^{{{layer}}}": self.activations[layer].T,
                rf"\delta^{{{layer}}}": self.deltas[layer - 1].T,
                rf"\frac{{\partial C}}{{\partial W^{{{layer}}}}}": self.grad_w[
                    layer - 1
                ],
                rf"\frac{{\partial C}}{{\partial b^{{{layer}}}}}": self.grad_b[
                    layer - 1
                ][:, None],
            }
        return {name: matrix(array) for name, array in arrays.items()}


def worked_example(
    sizes: Sequence[int] = (2, 3, 2),
    m: int = 1,
    cost: str = "cross_entropy",
    seed: int = 0,
) -> WorkedExample:
    r"""A small network worked through: forward values, errors and gradients.

    Parameters
    ----------
    sizes : sequence of int, default (2, 3, 2)
        Non-square by default, so that a missing transpose would show.
    m : int, default 1
    cost : {"cross_entropy", "quadratic"}, default "cross_entropy"
    seed : int, default 0
        Seed of ``numpy.random.default_rng`` for the parameters and data.

    Returns
    -------
    WorkedExample
        With ``m = 1``, ``deltas[l - 1][0]`` equals ``grad_b[l - 1]`` (BP3) and
        ``grad_w[l - 1]`` is ``outer(deltas[l - 1][0], activations[l - 1][0])``
        (BP4).
    """
    sizes = check_sizes(sizes)
    m = check_int("m", m, 1)
    check_choice("cost", cost, COSTS)
    seed = check_int("seed", seed, 0)
    rng = np.random.default_rng(seed)
    weights = [
        rng.standard_normal((n, n_prev)) for n_prev, n in itertools.pairwise(sizes)
    ]
    biases = [rng.standard_normal(n) for n in sizes[1:]]
    x = rng.random((m, sizes[0]))
    y = np.eye(sizes[-1])[rng.integers(sizes[-1], size=m)]
    grad_w, grad_b = oracle_gradients(weights, biases, x, y, cost)

    network = symbolic_network(sizes, m)
    deltas, _, _ = backpropagate(network, cost)
    layered = [*network.zs, *network.activations[1:], *deltas]
    function = mpmath_function(
        (*network.parameters, *network.data), [e for matrix in layered for e in matrix]
    )
    flat = [
        *(v for w, b in zip(weights, biases, strict=True) for v in (*w.ravel(), *b)),
        *x.ravel(),
        *y.ravel(),
    ]
    with mpmath.workdps(50):
        exact = function(*(mpmath.mpf(float(v)) for v in flat))
    values = iter(float(v) for v in exact)
    arrays = [
        np.array([next(values) for _ in range(len(matrix))]).reshape(matrix.shape)
        for matrix in layered
    ]
    L = len(sizes) - 1
    direct = direct_gradients(sizes, m, cost)
    symbolic = {
        rf"\delta^{{{L}}}_{{0}}": latex(deltas[-1][0, 0]),
        rf"\frac{{\partial C}}{{\partial b^{{{L}}}_{{0}}}}": latex(
            direct.biases[-1][0]
        ),
        rf"\frac{{\partial C}}{{\partial w^{{{L}}}_{{0,0}}}}": latex(
            direct.weights[-1][0, 0]
        ),
        r"\frac{\partial C}{\partial w^{1}_{0,0}}": latex(direct.weights[0][0, 0]),
    }
    return WorkedExample(
        sizes=sizes,
        m=m,
        cost=cost,
        seed=seed,
        weights=weights,
        biases=biases,
        x=x,
        y=y,
        zs=arrays[:L],
        activations=[x, *arrays[L : 2 * L]],
        deltas=arrays[2 * L :],
        grad_w=grad_w,
        grad_b=grad_b,
        symbolic=symbolic,
    )
