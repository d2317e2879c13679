"""prove_general's instance rows for tanh, ReLU (z != 0) and the identity, and the
instantiated general formulas equal to the fixed-size derivation."""

from __future__ import annotations

import random

import pytest

import spec
from spec.modular import MODULUS, evaluate_mod_p

NEW = ("tanh", "relu", "identity")


@pytest.mark.parametrize("activation", NEW)
def test_general_proof_has_instance_rows_for_the_activation(activation):
    proof = spec.prove_general(cost="quadratic", activation=activation)
    assert proof.proven, proof.table()
    assert proof.lemma(f"phi = {activation}").proven
    assert proof.lemma(f"BP1 (quadratic, {activation})").proven
    assert proof.activation == activation


def test_relu_instance_is_stated_away_from_the_kink():
    row = spec.prove_general(cost="quadratic", activation="relu").lemma("phi = relu")
    assert "u != 0" in row.claim


@pytest.mark.parametrize(
    ("cost", "activation", "match"),
    [
        ("cross_entropy", "tanh", "needs a sigmoid output layer"),
        ("log_likelihood", "relu", "needs a softmax output layer"),
        ("quadratic", "softmax", "activation must be one of"),
    ],
)
def test_general_proof_refuses_what_makes_no_sense(cost, activation, match):
    with pytest.raises(ValueError, match=match):
        spec.prove_general(cost=cost, activation=activation)


def _residues(gradients, network, seed):
    rng = random.Random(seed)
    point = {s: rng.randrange(MODULUS) for s in (*network.parameters, *network.data)}
    return evaluate_mod_p([e for _, e in gradients.entries()], point, b"general")


@pytest.mark.parametrize("m", [1, 2])
@pytest.mark.parametrize("sizes", [(2, 3, 2), (3, 4, 3, 2)])
@pytest.mark.parametrize("activation", NEW)
def test_general_formulas_agree_with_the_direct_derivative(activation, sizes, m):
    # Exact comparison in Z_p at random points, functions uninterpreted, as
    # prove_backprop decides.
    proof = spec.prove_general(cost="quadratic", activation=activation)
    general = proof.instantiate(sizes, m)
    direct = spec.direct_gradients(sizes, m, "quadratic", activations=activation)
    network = spec.symbolic_network(sizes, m, activation)
    assert [label for label, _ in general.entries()] == [
        label for label, _ in direct.entries()
    ]
    for seed in range(2):
        assert _residues(general, network, seed) == _residues(direct, network, seed)
