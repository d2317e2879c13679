"""BP1-BP4 proven for every size: the lemma table, its failures, its instances."""

from __future__ import annotations

import json
import random

import pytest
import sympy

import spec
from spec.costs import costs_for_output
from spec.general.lemmas import INDEX, phi, phi_prime
from spec.modular import MODULUS, evaluate_mod_p
from spec.recursion import VARIANTS

# The costs a sigmoid output takes (the log-likelihood needs softmax:
# tests/test_spec_activations*.py).
SIGMOID_COSTS = costs_for_output("sigmoid")

LEMMAS = ("S1", "S2", "S3", "BP1", "BP2", "BP3", "BP4", "batch mean")
WRONG = {
    "no_transpose": "BP2",
    "sigma_prime_wrong_layer": "BP2",
    "sum_not_mean": "batch mean",
}


@pytest.fixture(scope="module", params=SIGMOID_COSTS)
def proof(request):
    return spec.prove_general(cost=request.param)


def test_every_lemma_is_proven(proof):
    assert proof.proven, proof.table()
    for name in LEMMAS:
        lemma = proof.lemma(name)
        assert lemma.kind == "lemma"
        assert lemma.proven
        assert lemma.residual == 0 or all(r == 0 for r in lemma.residual)
        assert lemma.counterexample is None
    assert proof.failed == ()
    assert proof.broken_lemma is None


def test_instances_for_sigma_and_the_cost_are_proven(proof):
    rows = {lemma.name: lemma for lemma in proof.lemmas if lemma.kind == "instance"}
    assert set(rows) == {
        "phi = sigma",
        f"nabla_a C ({proof.cost})",
        f"BP1 ({proof.cost}, sigma)",
    }
    assert all(row.proven for row in rows.values())


def test_cross_entropy_instance_is_the_shortcut():
    delta = spec.prove_general(cost="cross_entropy").lemma("BP1 (cross_entropy, sigma)")
    z, y = (sympy.IndexedBase(n, real=True) for n in ("z^{L}", "y"))
    j = INDEX["j"]
    # BP1 (ln-derivative times sigma') reduces to a^L - y, for every width.
    assert sympy.cancel(delta.derived - (spec.sigma(z[j]) - y[j])) == 0


def test_chain_rule_is_the_one_assumption(proof):
    assumed = [lemma for lemma in proof.lemmas if lemma.kind == "assumption"]
    assert [lemma.name for lemma in assumed] == ["chain rule"]
    assert "assumed" in assumed[0].method
    induction = proof.lemma("induction")
    assert induction.uses == ("BP1", "BP2")
    assert "not machine-checked" in induction.method
    for name in ("BP1", "BP2", "BP3", "BP4"):
        assert "chain rule" in proof.lemma(name).uses


def test_structure_facts_are_sympys_derivatives():
    # The facts the issue quotes, computed here from the layer's definition.
    proof = spec.prove_general()
    s3 = proof.lemma("S3").derived
    [w] = [x for x in s3.atoms(sympy.Indexed) if str(x.base) == "W^{l+1}"]
    [z] = [x for x in s3.atoms(sympy.Indexed) if str(x.base) == "z^{l}"]
    assert s3 == w * phi_prime(z)
    assert phi(z).diff(z) == phi_prime(z)
    assert isinstance(proof.lemma("S1").derived, sympy.Mul)
    assert proof.lemma("S2").derived.func is sympy.KroneckerDelta


@pytest.mark.parametrize("cost", SIGMOID_COSTS)
@pytest.mark.parametrize(("variant", "lemma"), WRONG.items())
def test_wrong_recursion_fails_at_the_lemma_it_breaks(cost, variant, lemma):
    proof = spec.prove_general(cost=cost, variant=variant)
    assert not proof.proven
    assert proof.broken_lemma == lemma
    broken = proof.lemma(lemma)
    assert "REFUTED" in broken.method
    assert broken.counterexample["residual mod p"] != 0
    # Only the broken lemma and what rests on it fail.
    assert set(proof.failed) <= {lemma, "induction", "theorem"}
    assert f"fails at {lemma}" in proof.table()


def test_every_wrong_variant_is_covered():
    assert set(WRONG) == set(VARIANTS) - {"correct"}


def _residues(gradients, network, seed):
    rng = random.Random(seed)
    point = {s: rng.randrange(MODULUS) for s in (*network.parameters, *network.data)}
    return evaluate_mod_p([e for _, e in gradients.entries()], point, b"general")


@pytest.mark.parametrize("m", [1, 2])
@pytest.mark.parametrize("sizes", [(2, 3, 2), (3, 4, 3, 2)])
def test_general_formulas_agree_with_the_fixed_size_proof(proof, sizes, m):
    # Exact comparison in Z_p at random points (sigma and ln uninterpreted), as
    # prove_backprop decides: the instantiated general formulas are the direct
    # derivative at these sizes, entry by entry.
    assert spec.prove_backprop(sizes, m=m, cost=proof.cost, seed=0).proven
    general = proof.instantiate(sizes, m)
    direct = spec.direct_gradients(sizes, m, proof.cost)
    network = spec.symbolic_network(sizes, m)
    labels = [label for label, _ in direct.entries()]
    assert [label for label, _ in general.entries()] == labels
    for seed in range(2):
        assert _residues(general, network, seed) == _residues(direct, network, seed)


def test_general_formulas_equal_the_direct_derivative_symbolically(proof):
    # On [2, 3, 2] the two are small enough for sympy.cancel: equal as rational
    # functions of the weights, inputs, targets and each sigma(z), entry by entry.
    general = proof.instantiate((2, 3, 2), 2)
    direct = spec.direct_gradients((2, 3, 2), 2, proof.cost)
    for (label, ours), (_, theirs) in zip(
        general.entries(), direct.entries(), strict=True
    ):
        assert sympy.cancel(ours - theirs) == 0, label


@pytest.mark.parametrize(
    ("variant", "sizes"),
    [
        ("no_transpose", (3, 2, 2)),
        ("sigma_prime_wrong_layer", (3, 4, 3, 2)),
        ("sum_not_mean", (2, 3, 2)),
    ],
)
def test_wrong_general_formulas_are_the_wrong_fixed_size_recursion(variant, sizes):
    proof = spec.prove_general(variant=variant)
    general = proof.instantiate(sizes, 2)
    network = spec.symbolic_network(sizes, 2)
    wrong = spec.recursion_gradients(sizes, 2, "cross_entropy", variant)
    direct = spec.direct_gradients(sizes, 2, "cross_entropy")
    assert _residues(general, network, 0) == _residues(wrong, network, 0)
    assert _residues(general, network, 0) != _residues(direct, network, 0)


def test_table_and_rows_render_the_same_lemmas(proof):
    rows = proof.rows()
    assert [row["name"] for row in rows] == [lemma.name for lemma in proof.lemmas]
    json.dumps(rows)  # data first: the rows serialise as they are
    text = str(proof)
    assert text == proof.table()
    for row in rows:
        assert row["name"] in text
        assert row["statement"].count("{") == row["statement"].count("}")
    assert text.splitlines()[-1].startswith("proven for every size")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cost": "hinge"}, "cost must be one of"),
        ({"activation": "softmax"}, "activation must be one of"),
        ({"variant": "nope"}, "variant must be one of"),
    ],
)
def test_prove_general_validates_its_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        spec.prove_general(**kwargs)


def test_lemma_lookup_names_the_rows():
    with pytest.raises(KeyError, match=r"no lemma 'BP5'.*'BP4'"):
        spec.prove_general().lemma("BP5")
    with pytest.raises(ValueError, match="no_transpose"):
        spec.prove_general(variant="no_transpose").instantiate((2, 3, 2))
