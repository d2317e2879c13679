"""The conformance battery beyond the sigmoid: tanh, ReLU and softmax layers, the
log-likelihood cost and L2, on a tutorial-style implementation and its seeded
mistakes (``tutorial_layers_net.py``, ``seeded_layer_mistakes.py``)."""

from __future__ import annotations

import numpy as np
import pytest
import tutorial_layers_net
from conftest import THOROUGH
from seeded_layer_mistakes import (
    AGAIN,
    NEW,
    RELU_PRIME_OF_A,
    RELU_SOFTMAX,
    TANH_SOFTMAX,
)
from seeded_mistakes import PER_EXAMPLE, SEEDED

import backprop
import spec
from spec.check.conformance import suites as battery
from spec.check.conformance.mistakes import MISTAKES

#: Seeds of the false-alarm test: 20 as for the sigmoid battery under the ``ci``
#: profile (CI), 5 in the inner loop of ``pytest -k gradcheck``.
N_SEEDS = 20 if THOROUGH else 5
#: A second seed for the seeded mistakes: the names must not depend on the data.
OTHER_SEED = 5
LAYERS_SUITE = {"suite": "layers", "l2": 0.05}
NETWORKS = {
    "relu-softmax-l2": RELU_SOFTMAX,
    "tanh-softmax-l2": TANH_SOFTMAX,
    "tanh": {"activations": "tanh"},
    "relu-sigmoid": {"activations": ("relu", "sigmoid")},
}


def _tutorial():
    return spec.adapt(tutorial_layers_net.gradients, **PER_EXAMPLE)


def _check(mistake, **kwargs):
    fn = getattr(mistake.load(), mistake.function)
    options = {**mistake.check_options, **kwargs}
    return spec.check_implementation(spec.adapt(fn, **PER_EXAMPLE), **options)


def test_gradcheck_conformance_layers_one_seeded_mistake_per_catalogue_entry():
    seeded = [m.name for m in SEEDED] + [m.name for m in NEW]
    assert sorted(seeded) == sorted(m.name for m in MISTAKES)


@pytest.mark.parametrize("network", NETWORKS, ids=str)
def test_gradcheck_conformance_layers_tutorial_net_is_conformant(network):
    report = spec.check_implementation(_tutorial(), **NETWORKS[network])
    assert report.passed, str(report)
    assert report.diagnosis is None
    assert report.warnings == ()


@pytest.mark.parametrize("network", ["relu-softmax-l2", "tanh-softmax-l2", "suite"])
@pytest.mark.parametrize("seed", range(N_SEEDS))
def test_gradcheck_conformance_layers_no_false_alarm(network, seed):
    options = LAYERS_SUITE if network == "suite" else NETWORKS[network]
    report = spec.check_implementation(_tutorial(), rng=seed, **options)
    assert report.passed, str(report)


@pytest.mark.parametrize("l2", [0.0, 0.05])
def test_gradcheck_conformance_layers_suite_mixes_layers(l2):
    calls = []

    def recording(weights, biases, x, y, cost="quadratic", **network):
        calls.append(network)
        return backprop.gradients(weights, biases, x, y, cost=cost, **network)

    report = spec.check_implementation(recording, suite="layers", l2=l2)
    assert report.passed, str(report)
    assert report.costs == ("quadratic", "cross_entropy", "log_likelihood")
    # One name per layer, as given, with hidden layers of different kinds.
    given = {c["activations"] for c in calls}
    assert all(isinstance(a, tuple) for a in given)
    assert ("relu", "tanh", "identity", "softmax") in given
    assert all(("l2" in c) == bool(l2) for c in calls)
    cases = [r.case for r in report.cases]
    assert {c.layers[-1] for c in cases} == {"softmax", "sigmoid", "tanh", "identity"}
    assert {c.reference for c in cases} == {"oracle", "central"}


def test_gradcheck_conformance_layers_suite_runs_the_rows_a_cost_fits():
    report = spec.check_implementation(
        backprop.gradients, suite="layers", cost="log_likelihood"
    )
    assert report.passed, str(report)
    assert {r.case.layers[-1] for r in report.cases} == {"softmax"}
    with pytest.raises(ValueError, match="sets each case's activations"):
        spec.check_implementation(
            backprop.gradients, suite="layers", activations="tanh"
        )


def test_gradcheck_conformance_layers_backprop_gradients_is_conformant():
    report = spec.check_implementation(backprop.gradients, **RELU_SOFTMAX)
    assert report.passed, str(report)
    assert report.costs == ("quadratic", "log_likelihood")
    assert "activations relu,softmax, l2 0.05, rng 0)" in str(report)
    assert "l2=0.05" in report.cases[0].case.name


def test_gradcheck_conformance_layers_covers_the_battery():
    report = spec.check_implementation(backprop.gradients, **RELU_SOFTMAX)
    cases = [r.case for r in report.cases]
    assert {c.cost for c in cases} == {"quadratic", "log_likelihood"}
    assert {c.dtype for c in cases} == {"float32", "float64"}
    assert {c.m for c in cases} >= {1, 2, 3}
    assert {len(c.sizes) - 1 for c in cases} == {1, 2, 3, 4}
    assert any(c.square for c in cases)
    assert any(not c.square for c in cases)
    # The oracle on the small nets; the larger one has ReLU: central differences.
    larger = [c for c in cases if c.label == "larger, numeric reference"]
    assert {c.reference for c in larger} == {"central"}
    assert {c.reference for c in cases if c not in larger} == {"oracle"}


def test_gradcheck_conformance_layers_relu_data_away_from_kinks_and_none_skipped():
    report = spec.check_implementation(backprop.gradients, **RELU_SOFTMAX)
    rng = np.random.default_rng(0)
    for result in report.cases:
        case = result.case
        data = battery.case_data(case, rng)
        if "relu" in case.layers:
            ws = [w.astype(float) for w in data.weights]
            bs = [b.astype(float) for b in data.biases]
            zs, _ = backprop.feedforward(ws, bs, data.x.astype(float), case.layers)
            hidden = np.concatenate([z.ravel() for z in zs[:-1]])
            assert np.abs(hidden).min() >= battery.KINK_MARGIN
        # The kink-aware engine (central differences, on the larger ReLU net)
        # found no entry at a kink: none was waved through.
        assert result.report is not None
        assert result.report.kinks == ()
        assert result.report.method == (
            "central" if case.reference == "central" else "reference"
        )
        assert result.report.n_checked == sum(
            w.size + b.size for w, b in zip(data.weights, data.biases, strict=True)
        )


def _references(activations, l2=0.0):
    cases = battery.suite("standard", ["quadratic"], activations, l2)
    return {c.label: c.reference for c in cases}


def test_gradcheck_conformance_layers_references():
    for activations in (None, "tanh", ("relu", "sigmoid"), ("relu", "identity")):
        for l2 in (0.0, 0.1):
            references = _references(activations, l2)
            assert references.pop("larger, numeric reference") == (
                "central" if "relu" in str(activations) else "complex"
            )
            assert set(references.values()) == {"oracle"}


def test_gradcheck_conformance_layers_oracle_reach_is_data(monkeypatch):
    # Where the oracle does not derive a network, the small cases fall back to the
    # complex step (analytic) or kink-aware central differences (ReLU).
    sigmoid_only = {"activations": ("sigmoid",), "l2": False}
    monkeypatch.setattr(battery, "ORACLE_COVERS", sigmoid_only)
    assert _references(None)["depth 2, non-square"] == "oracle"
    assert _references(None, 0.1)["depth 2, non-square"] == "complex"
    assert _references("tanh")["depth 2, non-square"] == "complex"
    assert _references(("relu", "sigmoid"))["depth 1"] == "oracle"
    assert _references(("relu", "sigmoid"))["depth 2, non-square"] == "central"
    relu = {"activations": ("relu", "softmax"), "l2": 0.05}
    report = spec.check_implementation(_tutorial(), **relu)
    assert report.passed, str(report)
    assert {r.case.reference for r in report.cases} == {"complex", "central"}
    mistake = next(m for m in NEW if m.name == "l2_on_biases")
    assert _check(mistake).diagnosis.mistake == "l2_on_biases"


def test_gradcheck_conformance_layers_keywords_passed_as_given():
    calls = []

    def recording(weights, biases, x, y, cost="quadratic", **network):
        calls.append(network)
        return backprop.gradients(weights, biases, x, y, cost=cost, **network)

    spec.check_implementation(recording, cost="quadratic")
    assert all(c == {} for c in calls)  # sigmoid defaults: nothing passed
    calls.clear()
    spec.check_implementation(recording, cost="quadratic", activations="tanh")
    assert all(c == {"activations": "tanh"} for c in calls)
    calls.clear()
    spec.check_implementation(
        recording, cost="log_likelihood", activations=["relu", "softmax"], l2=0.5
    )
    assert all(c == {"activations": ("relu", "softmax"), "l2": 0.5} for c in calls)


@pytest.mark.parametrize("mistake", NEW + AGAIN, ids=lambda m: m.name)
def test_gradcheck_conformance_layers_names_seeded_mistake(mistake):
    report = _check(mistake)
    assert not report.passed
    diagnosis = report.diagnosis
    assert diagnosis is not None
    assert (diagnosis.kind, diagnosis.mistake) == ("named", mistake.name), str(report)
    expected = next(m for m in MISTAKES if m.name == mistake.name)
    assert diagnosis.equation == expected.equation


@pytest.mark.parametrize("mistake", NEW, ids=lambda m: m.name)
def test_gradcheck_conformance_layers_names_seeded_mistake_on_layers_suite(mistake):
    fn = getattr(mistake.load(), mistake.function)
    report = spec.check_implementation(spec.adapt(fn, **PER_EXAMPLE), **LAYERS_SUITE)
    assert report.diagnosis is not None
    assert report.diagnosis.mistake == mistake.name, str(report)


@pytest.mark.parametrize("mistake", NEW, ids=lambda m: m.name)
def test_gradcheck_conformance_layers_names_seeded_mistake_on_other_data(mistake):
    report = _check(mistake, rng=OTHER_SEED)
    assert report.diagnosis is not None
    assert report.diagnosis.mistake == mistake.name, str(report)


def test_gradcheck_conformance_layers_softmax_jacobian_mistake_only_in_quadratic():
    mistake = next(m for m in NEW if m.name == "softmax_jacobian_no_outer_product")
    report = _check(mistake)
    failing = {r.case.cost for r in report.cases if not r.passed}
    # The log-likelihood's delta^L = a - y never applies the Jacobian.
    assert failing == {"quadratic"}


def test_gradcheck_conformance_layers_relu_prime_of_a_is_not_a_mistake():
    # relu(z) > 0 exactly where z > 0, so ReLU'(a) = ReLU'(z): conformant; the same
    # edit with tanh layers is the mistake bp2_sigma_prime_of_a (named above).
    report = _check(RELU_PRIME_OF_A)
    assert report.passed, str(report)


def test_gradcheck_conformance_layers_validates_arguments():
    with pytest.raises(ValueError, match="one name or a pair"):
        spec.check_implementation(backprop.gradients, activations=("relu",) * 3)
    with pytest.raises(ValueError, match="softmax is for the output layer only"):
        spec.check_implementation(backprop.gradients, activations="softmax")
    with pytest.raises(ValueError, match="'cross_entropy' needs a sigmoid output"):
        spec.check_implementation(
            backprop.gradients, cost="cross_entropy", activations=("relu", "softmax")
        )
    with pytest.raises(ValueError, match="l2 must be a number >= 0"):
        spec.check_implementation(backprop.gradients, l2=-1.0)


def _altered(change):
    def gradients(weights, biases, x, y, cost="quadratic", **network):
        grad_w, grad_b = backprop.gradients(weights, biases, x, y, cost=cost, **network)
        return change(grad_w, grad_b)

    return gradients


def test_gradcheck_conformance_layers_unknown_mistake_localised_to_bp4():
    half_output_weights = _altered(lambda gw, gb: ([*gw[:-1], gw[-1] / 2], gb))
    report = spec.check_implementation(half_output_weights, **RELU_SOFTMAX)
    diagnosis = report.diagnosis
    assert diagnosis is not None
    assert (diagnosis.kind, diagnosis.equation) == ("localised", "BP4")
    assert diagnosis.block_ratios[0][1] == pytest.approx(0.5)


def test_gradcheck_conformance_layers_constant_ratio_against_central_differences():
    # The ratio is judged with the tolerance of central differences on ReLU cases.
    tripled = _altered(lambda gw, gb: ([3 * g for g in gw], [3 * g for g in gb]))
    report = spec.check_implementation(tripled, **RELU_SOFTMAX)
    assert report.diagnosis is not None
    assert report.diagnosis.ratio == pytest.approx(3)


def test_gradcheck_conformance_layers_hidden_layer_localised_to_bp2():
    def half_first_layer(gw, gb):
        if len(gw) == 1:
            return gw, gb
        return [gw[0] / 2, *gw[1:]], [gb[0] / 2, *gb[1:]]

    report = spec.check_implementation(_altered(half_first_layer), **TANH_SOFTMAX)
    assert report.diagnosis is not None
    assert report.diagnosis.equation == "BP2"
