r"""Instances of the general proof: :math:`\varphi = \sigma` (or tanh, ReLU for
:math:`z \ne 0`, the identity), each cost's :math:`\nabla_a C`, BP1 for the pair;
and the general formulas at fixed sizes.

:func:`instantiate` builds every gradient entry of a network of given sizes from
the formulas the general lemmas proved (BP1, BP2, the batch mean, the instances),
so that they can be compared exactly with the fixed-size derivation
(:func:`spec.direct_gradients`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import sympy

from spec.activations import phi_prime as declared_prime
from spec.activations import relu, step, tanh
from spec.costs import cost_term
from spec.derive import Gradients
from spec.general.layer import BASES
from spec.general.lemmas import INDEX, SLACK, WIDTH, Lemma, base, decide
from spec.general.lemmas import phi_prime as dphi
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
    r""":math:`\varphi` of the instance: its derivative from the explicit form equals
    the one every derivation declares (``fdiff``): :math:`\sigma' = \sigma(1 -
    \sigma)`, :math:`\tanh' = 1 - \tanh^2`, :math:`\operatorname{relu}' = H`
    (for :math:`u \ne 0`), :math:`1` for the identity."""
    if activation == "sigmoid":
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
    if activation == "tanh":
        return decide(
            "phi = tanh",
            "d/du (e^u - e^-u)/(e^u + e^-u) = 1 - tanh(u)^2, the phi' of the instance",
            r"\varphi = \tanh:\ \frac{d}{du} \frac{e^{u} - e^{-u}}{e^{u} + e^{-u}}",
            lambda: sympy.diff(tanh(u).rewrite(sympy.exp), u),
            declared_prime("tanh", u).rewrite(sympy.exp),
            small={},
            method="sympy.diff of the explicit tanh",
            kind="instance",
        )
    if activation == "relu":
        return decide(
            "phi = relu",
            "d/du max(u, 0) = H(u) for u != 0, the phi' of the instance",
            r"\varphi = \operatorname{relu}\ (u \ne 0):\ \frac{d}{du} \max(u, 0)",
            lambda: sympy.diff(relu(u).rewrite(sympy.Max), u),
            step(u).rewrite(sympy.Heaviside),
            small={},
            method="sympy.diff of max(u, 0); the two agree wherever u != 0",
            kind="instance",
        )
    if activation == "identity":
        return decide(
            "phi = identity",
            "d/du u = 1, the phi' of the instance",
            r"\varphi = \mathrm{id}:\ \frac{d}{du} u",
            lambda: sympy.diff(u, u),
            sympy.S.One,
            small={},
            method="sympy.diff",
            kind="instance",
        )
    raise ValueError(
        "activation must be one of 'sigmoid', 'tanh', 'relu', 'identity' (the "
        f"elementwise ones), got {activation!r}"
    )


def _phi(activation: str, z: sympy.Expr) -> sympy.Expr:
    return {"sigmoid": sigma, "tanh": tanh, "relu": relu}.get(activation, lambda v: v)(
        z
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


def bp1_instance(
    cost: str, bp1: Lemma, gradient: Lemma, activation: str = "sigmoid"
) -> Lemma:
    r"""BP1 for ``cost`` and :math:`\varphi`: :math:`\delta^L_j` in closed form."""
    delta_L, nabla_j = bp1.formula, gradient.formula
    if delta_L is None or nabla_j is None:
        raise ValueError("BP1 and the cost instance must carry their formulas")
    at_phi = nabla_j.xreplace({A[j]: _phi(activation, z_L[j])})
    if activation == "sigmoid":
        name, prime, closed = "sigma", r"\sigma'", _DELTA_L[cost]
    else:
        # Only the quadratic cost takes these outputs: (phi(z) - y) phi'(z).
        name, prime = activation, r"\varphi'"
        closed = (_phi(activation, z_L[j]) - Y[j]) * declared_prime(activation, z_L[j])
    return decide(
        f"BP1 ({cost}, {name})",
        f"BP1 with phi = {name} and the {cost} cost",
        rf"\delta^{{L}}_{{j}} = (\nabla_{{a}} C)_{{j}}\, {prime}(z^{{L}}_{{j}})",
        lambda: delta_L.xreplace({nabla[j]: at_phi}).replace(
            dphi, lambda v: declared_prime(activation, v)
        ),
        closed,
        small={},
        method="BP1 with the two instances above",
        uses=("BP1", f"phi = {name}", f"nabla_a C ({cost})"),
        kind="instance",
    )


def _fill(
    expr: sympy.Expr,
    at: Mapping[sympy.Symbol, int],
    lookup: Callable[[sympy.IndexedBase, tuple[int, ...]], sympy.Expr],
    activation: str = "sigmoid",
) -> sympy.Expr:
    """``expr`` at concrete widths and indices, each indexed entry looked up."""
    concrete = expr.subs(dict(at)).doit()
    return concrete.replace(
        lambda node: isinstance(node, sympy.Indexed),
        lambda node: lookup(node.base, tuple(int(x) for x in node.indices)),
    ).replace(dphi, lambda v: declared_prime(activation, v))


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


def instantiate(
    lemmas: Mapping[str, Lemma],
    sizes: Sequence[int],
    m: int,
    activation: str = "sigmoid",
) -> Gradients:
    """Every gradient entry of ``sizes`` at batch size ``m`` from the general formulas.

    Parameters
    ----------
    lemmas : mapping of str to Lemma
        The rows of a :class:`spec.general.GeneralProof`, by name.
    sizes : sequence of int
        Layer sizes ``[n_0, ..., n_L]``.
    m : int
    activation : str, default "sigmoid"
        The elementwise :math:`\\varphi` of every layer.

    Returns
    -------
    Gradients
        Shaped as :func:`spec.direct_gradients`'s: ``weights[l - 1]`` shape
        ``(n_l, n_{l-1})``, ``biases[l - 1]`` shape ``(n_l, 1)``.
    """
    net = symbolic_network(sizes, m, activation)
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
                    activation,
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
