r"""The structure facts (S1)–(S3), BP1–BP4 and the batch mean, for symbolic widths.

For one layer :math:`l` of any network, with :math:`z^l_i = \sum_k W^l_{ik}
a^{l-1}_k + b^l_i` and :math:`a^l_k = \varphi(z^l_k)`:

- (S1)–(S3) are the local derivatives :math:`\partial z^l_i / \partial W^l_{pq}`,
  :math:`\partial z^l_i / \partial b^l_p`, :math:`\partial z^{l+1}_i / \partial
  z^l_j`, computed by ``sympy.diff`` of the sums and ``doit``;
- BP1–BP4 are the chain rule (the one assumption) applied to them, each shown
  equal to the recursion's formula for the variant checked;
- the batch mean differentiates :math:`\frac1m \sum_e C_e` with :math:`m`
  symbolic, each :math:`\partial C_e / \partial W^l_{pq}` given by BP4.
"""

from __future__ import annotations

import sympy

from spec.general.lemmas import INDEX, SLACK, WIDTH, Lemma, base, decide, phi
from spec.general.lemmas import phi_prime as dphi

__all__ = ["BASES", "batch_mean", "bp1", "bp2", "bp3", "bp4", "s1", "s2", "s3"]

i, j, k, p, q, e = (INDEX[name] for name in "ijkpqe")
n_next, m = WIDTH["n_{l+1}"], WIDTH["m"]

#: The indexed quantities, named as in the notation.
BASES = {
    name: base(name)
    for name in (
        "W^{l}",
        "b^{l}",
        "a^{l-1}",
        "z^{l}",
        "W^{l+1}",
        "b^{l+1}",
        "z^{l+1}",
        r"\delta^{l}",
        r"\delta^{l+1}",
        r"\nabla_{a} C",
        "z^{L}",
    )
}
W, b, a_prev, z = (BASES[n] for n in ("W^{l}", "b^{l}", "a^{l-1}", "z^{l}"))
W_next, b_next, z_next = (BASES[n] for n in ("W^{l+1}", "b^{l+1}", "z^{l+1}"))
delta, delta_next = BASES[r"\delta^{l}"], BASES[r"\delta^{l+1}"]
nabla, z_L = BASES[r"\nabla_{a} C"], BASES["z^{L}"]

_DIFF = "sympy.diff of the symbolic sum, doit"
_CHAIN = "chain rule applied to {uses}, sum done by doit"


def _derived(structure: Lemma) -> sympy.Expr:
    if structure.derived is None:
        raise ValueError(f"lemma {structure.name} carries no derivative")
    return structure.derived


def _z(index: sympy.Symbol, range_of: sympy.Symbol) -> sympy.Expr:
    # z^l_index with the summation bound n_{l-1} = range_of + 1 + s.
    return sympy.Sum(W[index, k] * a_prev[k], (k, 0, range_of + SLACK)) + b[index]


def s1() -> Lemma:
    """(S1) :math:`\\partial z^l_i / \\partial W^l_{pq} = \\delta_{ip} a^{l-1}_q`."""
    return decide(
        "S1",
        "dz^l_i/dW^l_pq = [i = p] a^(l-1)_q for 0 <= q < n_(l-1)",
        r"\frac{\partial z^{l}_{i}}{\partial W^{l}_{pq}}",
        lambda: sympy.diff(_z(i, q), W[p, q]).doit(),
        sympy.KroneckerDelta(i, p) * a_prev[q],
        small={SLACK: 1},
        method=_DIFF,
    )


def s2() -> Lemma:
    """(S2) :math:`\\partial z^l_i / \\partial b^l_p = \\delta_{ip}`."""
    return decide(
        "S2",
        "dz^l_i/db^l_p = [i = p]",
        r"\frac{\partial z^{l}_{i}}{\partial b^{l}_{p}}",
        lambda: sympy.diff(_z(i, p), b[p]).doit(),
        sympy.KroneckerDelta(i, p),
        small={SLACK: 1},
        method=_DIFF,
    )


def s3() -> Lemma:
    """(S3) :math:`\\partial z^{l+1}_i / \\partial z^l_j = W^{l+1}_{ij} \\varphi'(z^l_j)`."""
    z_next_i = sympy.Sum(W_next[i, k] * phi(z[k]), (k, 0, j + SLACK)) + b_next[i]
    return decide(
        "S3",
        "dz^(l+1)_i/dz^l_j = W^(l+1)_ij phi'(z^l_j) for 0 <= j < n_l",
        r"\frac{\partial z^{l+1}_{i}}{\partial z^{l}_{j}}",
        lambda: sympy.diff(z_next_i, z[j]).doit(),
        W_next[i, j] * dphi(z[j]),
        small={SLACK: 1},
        method=_DIFF,
    )


def bp1() -> Lemma:
    """BP1 :math:`\\delta^L_j = (\\nabla_a C)_j \\varphi'(z^L_j)`."""
    return decide(
        "BP1",
        "delta^L_j = sum_i dC/da^L_i da^L_i/dz^L_j = (nabla_a C)_j phi'(z^L_j)",
        r"\delta^{L}_{j} = \sum_{i} \frac{\partial C}{\partial a^{L}_{i}} "
        r"\frac{\partial \varphi(z^{L}_{i})}{\partial z^{L}_{j}}",
        lambda: sympy.Sum(
            nabla[i] * sympy.diff(phi(z_L[i]), z_L[j]), (i, 0, j + SLACK)
        ).doit(),
        nabla[j] * dphi(z_L[j]),
        small={SLACK: 1},
        method=_CHAIN.format(uses="a^L_i = phi(z^L_i)"),
        uses=("chain rule",),
    )


def bp2_formula(variant: str) -> sympy.Expr:
    """The recursion's :math:`\\delta^l_j`, correct or a wrong ``variant``."""
    if variant == "no_transpose":  # defined when W^{l+1} is square
        return sympy.Sum(W_next[j, i] * delta_next[i], (i, 0, n_next - 1)) * dphi(z[j])
    if variant == "sigma_prime_wrong_layer":
        return sympy.Sum(
            W_next[i, j] * delta_next[i] * dphi(z_next[i]), (i, 0, n_next - 1)
        )
    return sympy.Sum(W_next[i, j] * delta_next[i], (i, 0, n_next - 1)) * dphi(z[j])


def bp2(structure: Lemma, variant: str, seed: int) -> Lemma:
    """BP2 :math:`\\delta^l_j = \\sum_i W^{l+1}_{ij} \\delta^{l+1}_i \\varphi'(z^l_j)`."""
    return decide(
        "BP2",
        "delta^l_j = sum_i delta^(l+1)_i dz^(l+1)_i/dz^l_j "
        "= (sum_i W^(l+1)_ij delta^(l+1)_i) phi'(z^l_j)",
        r"\delta^{l}_{j} = \sum_{i} \delta^{l+1}_{i} "
        r"\frac{\partial z^{l+1}_{i}}{\partial z^{l}_{j}}",
        lambda: sympy.Sum(delta_next[i] * _derived(structure), (i, 0, n_next - 1)),
        bp2_formula(variant),
        small={n_next: 2, j: 0},
        method=_CHAIN.format(uses="S3"),
        uses=("chain rule", "S3"),
        seed=seed,
    )


def bp3(structure: Lemma) -> Lemma:
    """BP3 :math:`\\partial C / \\partial b^l_p = \\delta^l_p`."""
    return decide(
        "BP3",
        "dC/db^l_p = sum_i delta^l_i dz^l_i/db^l_p = delta^l_p",
        r"\frac{\partial C}{\partial b^{l}_{p}} = \sum_{i} \delta^{l}_{i} "
        r"\frac{\partial z^{l}_{i}}{\partial b^{l}_{p}}",
        lambda: sympy.Sum(delta[i] * _derived(structure), (i, 0, p + SLACK)).doit(),
        delta[p],
        small={SLACK: 1},
        method=_CHAIN.format(uses="S2"),
        uses=("chain rule", "S2"),
    )


def bp4(structure: Lemma) -> Lemma:
    """BP4 :math:`\\partial C / \\partial W^l_{pq} = \\delta^l_p a^{l-1}_q`."""
    return decide(
        "BP4",
        "dC/dW^l_pq = sum_i delta^l_i dz^l_i/dW^l_pq = delta^l_p a^(l-1)_q",
        r"\frac{\partial C}{\partial W^{l}_{pq}} = \sum_{i} \delta^{l}_{i} "
        r"\frac{\partial z^{l}_{i}}{\partial W^{l}_{pq}}",
        lambda: sympy.Sum(delta[i] * _derived(structure), (i, 0, p + SLACK)).doit(),
        delta[p] * a_prev[q],
        small={SLACK: 1},
        method=_CHAIN.format(uses="S1"),
        uses=("chain rule", "S1"),
    )


def batch_formula(variant: str) -> sympy.ImmutableMatrix:
    """The recursion's :math:`(\\partial C/\\partial b^l_p, \\partial C/\\partial W^l_{pq})`."""
    scale = sympy.S.One if variant == "sum_not_mean" else 1 / m
    return sympy.ImmutableMatrix(
        [
            scale * sympy.Sum(delta[e, p], (e, 0, m - 1)),
            scale * sympy.Sum(delta[e, p] * a_prev[e, q], (e, 0, m - 1)),
        ]
    )


def _batch_derived() -> sympy.ImmutableMatrix:
    # C = (1/m) sum_e C_e, each C_e a function of the parameter; BP3 and BP4 give
    # dC_e/db^l_p = delta^l_{e,p} and dC_e/dW^l_pq = delta^l_{e,p} a^(l-1)_{e,q}.
    per_example = sympy.Function("C")
    rows = []
    for parameter, by_example in (
        (b[p], lambda ex: delta[ex, p]),
        (W[p, q], lambda ex: delta[ex, p] * a_prev[ex, q]),
    ):
        cost = sympy.Sum(per_example(e, parameter), (e, 0, m - 1)) / m
        rows.append(
            sympy.diff(cost, parameter).replace(
                lambda node: isinstance(node, sympy.Derivative),
                lambda node, by_example=by_example: by_example(node.expr.args[0]),
            )
        )
    return sympy.ImmutableMatrix(rows)


def batch_mean(variant: str, seed: int) -> Lemma:
    """The batch mean: :math:`\\partial C/\\partial W^l = \\frac1m \\sum_e \\delta_e a_e^T`."""
    return decide(
        "batch mean",
        "d/d(b^l_p, W^l_pq) of (1/m) sum_e C_e = (1/m) sum_e (delta^l_ep, "
        "delta^l_ep a^(l-1)_eq), m symbolic",
        r"\frac{\partial}{\partial (b^{l}_{p}, W^{l}_{pq})} \frac{1}{m} "
        r"\sum_{e=0}^{m-1} C_{e}",
        _batch_derived,
        batch_formula(variant),
        small={m: 2},
        method="sympy.diff under the sum over m, dC_e from BP3, BP4",
        uses=("BP3", "BP4"),
        seed=seed,
    )
