r"""Instances of the general proof: :math:`\varphi = \sigma`, each cost's
:math:`\nabla_a C`, BP1 for both; and the general formulas at fixed sizes.

:func:`instantiate` builds every gradient entry of a network of given sizes from
the formulas the general lemmas proved (BP1, BP2, the batch mean, the instances),
so that they can be compared exactly with the fixed-size derivation
(:func:`spec.direct_gradients`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import sympy

from spec.costs import cost_term
from spec.derive import Gradients
from spec.general_layer import BASES
from spec.general_lemmas import INDEX, SLACK, WIDTH, Lemma, base, decide
from spec.general_lemmas import phi_prime as dphi
from spec.network import SymbolicNetwork, symbolic_network
from spec.symbols import sigma, sigma_prime

__all__ = ["activation_instance", "bp1_instance", "cost_instance", "instantiate"]

i, j, p, q, e = (INDEX[name] for name in "ijpqe")
u = sympy.Symbol("u", real=True)
A, Y = base("a^{L}"), base("y")
z_L, nabla = BASES["z^{L}"], BASES[r"\nabla_{a} C"]

#: :math:`(\nabla_a C)_j` of each cost, in :math:`a^L_j` and :math:`y_j`.
_NABLA = {
    "quadratic": A[j] - Y[j],
    "cross_entropy": (A[j] - Y[j]) / (A[j] * (1 - A[j])),
}
#: BP1 with :math:`a^L = \sigma(z^L)`, in closed form.
_DELTA_L = {
    "quadratic": (sigma(z_L[j]) - Y[j]) * sigma(z_L[j]) * (1 - sigma(z_L[j])),
    "cross_entropy": sigma(z_L[j]) - Y[j],
}


def activation_instance(activation: str) -> Lemma:
    r""":math:`\varphi = \sigma`: :math:`\sigma' = \sigma(1 - \sigma)` from the explicit
    form, the derivative every derivation declares (``sigma.fdiff``)."""
    if activation != "sigmoid":
        raise ValueError(f"activation must be 'sigmoid', got {activation!r}")
    return decide(
        "phi = sigma",
        "d/du 1/(1 + exp(-u)) = sigma(u) (1 - sigma(u)), the phi' of the instance",
        r"\varphi = \sigma:\ \frac{d}{du} \frac{1}{1 + e^{-u}}",
        lambda: sympy.diff(sigma(u).rewrite(sympy.exp), u),
        sigma_prime(u).rewrite(sympy.exp),
        small={},
        method="sympy.diff of the explicit sigmoid",
        kind="instance",
    )


def cost_instance(cost: str) -> Lemma:
    r""":math:`(\nabla_a C)_j` of ``cost``, differentiated from its sum over
    :math:`n_L` outputs with :math:`n_L` symbolic."""
    k = INDEX["k"]
    total = sympy.Sum(cost_term(cost, A[k], Y[k]), (k, 0, j + SLACK))
    name = cost.replace("_", r"\ ")
    return decide(
        f"nabla_a C ({cost})",
        f"d/da^L_j of the {cost} cost summed over n_L outputs",
        r"\frac{\partial C_{\mathrm{" + name + r"}}}{\partial a^{L}_{j}}",
        lambda: sympy.diff(total, A[j]).doit(),
        _NABLA[cost],
        small={SLACK: 1},
        method=f"sympy.diff of the {cost} cost summed over symbolic n_L",
        kind="instance",
    )


def bp1_instance(cost: str, bp1: Lemma, gradient: Lemma) -> Lemma:
    r"""BP1 for ``cost`` and :math:`\sigma`: :math:`\delta^L_j` in closed form."""
    delta_L, nabla_j = bp1.formula, gradient.formula
    if delta_L is None or nabla_j is None:
        raise ValueError("BP1 and the cost instance must carry their formulas")
    at_sigma = nabla_j.xreplace({A[j]: sigma(z_L[j])})
    return decide(
        f"BP1 ({cost}, sigma)",
        f"BP1 with phi = sigma and the {cost} cost",
        r"\delta^{L}_{j} = (\nabla_{a} C)_{j}\, \sigma'(z^{L}_{j})",
        lambda: delta_L.xreplace({nabla[j]: at_sigma}).replace(dphi, sigma_prime),
        _DELTA_L[cost],
        small={},
        method="BP1 with the two instances above",
        uses=("BP1", "phi = sigma", f"nabla_a C ({cost})"),
        kind="instance",
    )


def _fill(
    expr: sympy.Expr,
    at: Mapping[sympy.Symbol, int],
    lookup: Callable[[sympy.IndexedBase, tuple[int, ...]], sympy.Expr],
) -> sympy.Expr:
    """``expr`` at concrete widths and indices, each indexed entry looked up."""
    concrete = expr.subs(dict(at)).doit()
    return concrete.replace(
        lambda node: isinstance(node, sympy.Indexed),
        lambda node: lookup(node.base, tuple(int(x) for x in node.indices)),
    ).replace(dphi, sigma_prime)


def _lookup(
    net: SymbolicNetwork,
    deltas: Mapping[int, list[list[sympy.Expr]]],
    nabla_formula: sympy.Expr,
    layer: int,
    ex: int,
) -> Callable[[sympy.IndexedBase, tuple[int, ...]], sympy.Expr]:
    """The network's entry for each indexed quantity of BP1 and BP2 at ``layer``."""

    def entry(name: sympy.IndexedBase, index: tuple[int, ...]) -> sympy.Expr:
        label, first = str(name), index[0]
        if label == r"\nabla_{a} C":
            return _fill(nabla_formula, {j: first}, entry)
        table = {
            "y": lambda: net.y[ex, first],
            "a^{L}": lambda: net.activations[-1][ex, first],
            "z^{L}": lambda: net.zs[layer - 1][ex, first],
            "z^{l}": lambda: net.zs[layer - 1][ex, first],
            "z^{l+1}": lambda: net.zs[layer][ex, first],
            "W^{l+1}": lambda: net.weights[layer][index],  # W^{l+1}: 0-based [l]
            r"\delta^{l+1}": lambda: deltas[layer + 1][ex][first],
        }
        return table[label]()

    return entry


def instantiate(lemmas: Mapping[str, Lemma], sizes: Sequence[int], m: int) -> Gradients:
    """Every gradient entry of ``sizes`` at batch size ``m`` from the general formulas.

    Parameters
    ----------
    lemmas : mapping of str to Lemma
        The rows of a :class:`spec.general.GeneralProof`, by name.
    sizes : sequence of int
        Layer sizes ``[n_0, ..., n_L]``.
    m : int

    Returns
    -------
    Gradients
        Shaped as :func:`spec.direct_gradients`'s: ``weights[l - 1]`` shape
        ``(n_l, n_{l-1})``, ``biases[l - 1]`` shape ``(n_l, 1)``.
    """
    net = symbolic_network(sizes, m)
    nabla_lemma = next(l for n, l in lemmas.items() if n.startswith("nabla_a C"))
    bp1, bp2, batch = (lemmas[n].formula for n in ("BP1", "BP2", "batch mean"))
    nabla_formula = nabla_lemma.formula
    if bp1 is None or bp2 is None or batch is None or nabla_formula is None:
        raise ValueError("the lemmas must carry their formulas")
    # deltas[l][ex][jj] is δ^l of example ex, neuron jj (l counts from 1).
    deltas: dict[int, list[list[sympy.Expr]]] = {}
    for layer in range(net.L, 0, -1):
        formula, at = bp1, {}
        if layer < net.L:
            formula, at = bp2, {WIDTH["n_{l+1}"]: sizes[layer + 1]}
        deltas[layer] = [
            [
                _fill(
                    formula,
                    {**at, j: jj},
                    _lookup(net, deltas, nabla_formula, layer, ex),
                )
                for jj in range(sizes[layer])
            ]
            for ex in range(m)
        ]

    def mean(layer: int, row: int, pp: int, qq: int) -> sympy.Expr:
        def entry(name: sympy.IndexedBase, index: tuple[int, ...]) -> sympy.Expr:
            ex, neuron = index
            if str(name) == r"\delta^{l}":
                return deltas[layer][ex][neuron]
            return net.activations[layer - 1][ex, neuron]

        return _fill(batch[row], {WIDTH["m"]: m, p: pp, q: qq}, entry)

    layers = range(1, net.L + 1)
    return Gradients(
        tuple(
            sympy.ImmutableMatrix(
                sizes[l], sizes[l - 1], lambda pp, qq, l=l: mean(l, 1, pp, qq)
            )
            for l in layers
        ),
        tuple(
            sympy.ImmutableMatrix(sizes[l], 1, lambda pp, _, l=l: mean(l, 0, pp, 0))
            for l in layers
        ),
    )
