"""The catalogue of layer mistakes and the seeded copies of the look-alike: every
seeded mistake flagged, (nearly) every one named, and the all-ones upstream
gradient shown to hide what the battery's random one finds."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import THOROUGH
from seeded_layer_pair_mistakes import SEEDED_PAIRS, SeededPair

from spec.check.conformance.layers import check_layer, expected_shape
from spec.check.conformance.layers.cases import LAYER_CASES, case_data, upstream
from spec.check.conformance.layers.derivation import LayerDerivation
from spec.check.conformance.layers.mistakes import LAYER_MISTAKES, mistakes_for

#: A second seed under the ``ci`` profile: the names must not depend on the data.
SEEDS = (0, 5) if THOROUGH else (0,)


def _check(seeded: SeededPair, directory, rng=0):
    module = seeded.load(directory)
    backward = None if seeded.backward is None else getattr(module, seeded.backward)
    return check_layer(
        getattr(module, seeded.forward), backward, kind=seeded.kind, rng=rng
    )


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Each seeded copy's report, by (label, seed), computed once per module."""
    directory = tmp_path_factory.mktemp("seeded")
    done: dict[tuple[str, int], object] = {}

    def report(seeded: SeededPair, seed: int = 0):
        key = (seeded.label, seed)
        if key not in done:
            done[key] = _check(seeded, directory, rng=seed)
        return done[key]

    return report


def test_gradcheck_layer_catalogue_is_complete_and_named_once():
    names = [m.name for m in LAYER_MISTAKES]
    assert len(names) >= 20
    assert len(set(names)) == len(names)
    for m in LAYER_MISTAKES:
        assert all((m.kinds, m.title, m.breaks, m.part)), m.name
    assert {s.expected for s in SEEDED_PAIRS} - {None} == set(names)


@pytest.mark.parametrize("mistake", LAYER_MISTAKES, ids=lambda m: m.name)
def test_gradcheck_layer_every_mistake_differs_from_the_derivation_somewhere(mistake):
    """A mistake equal to the right derivation on every case could never be named."""
    rng = np.random.default_rng(0)
    differs = False
    for kind in mistake.kinds:
        for case in LAYER_CASES[kind]:
            data = case_data(case, rng)
            inputs = {
                k: (v if k == "y" else v.astype(np.float64))
                for k, v in data.inputs.items()
            }
            dout = (
                None
                if kind in ("softmax_loss", "hinge_loss")
                else upstream(expected_shape(case), "float64", rng)
            )
            observed = {"kept": rng.random(inputs["x"].shape) < 0.7}
            with np.errstate(all="ignore"):
                right = LayerDerivation().evaluate(
                    kind, inputs, data.params, dout, observed
                )
                wrong = mistake.evaluate(kind, inputs, data.params, dout, observed)
            for name, value in right.items():
                other = wrong[name]
                if other.shape != value.shape or not np.allclose(
                    other, value, rtol=1e-6
                ):
                    differs = True
    assert differs


def test_gradcheck_layer_seeded_mistakes_are_at_least_25():
    assert len(SEEDED_PAIRS) >= 25
    assert len({s.label for s in SEEDED_PAIRS}) == len(SEEDED_PAIRS)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("seeded", SEEDED_PAIRS, ids=lambda s: s.label)
def test_gradcheck_layer_seeded_mistake_flagged_and_named(seeded, seed, reports):
    report = reports(seeded, seed)
    assert not report.passed, str(report)
    assert report.diagnosis is not None
    if seeded.expected is None:
        assert report.diagnosis.kind == "unnamed", str(report)
    else:
        assert report.diagnosis.mistake == seeded.expected, str(report)
        assert seeded.expected in str(report)


def test_gradcheck_layer_seeded_all_flagged_and_at_least_90_percent_named(reports):
    flagged = named = 0
    for seeded in SEEDED_PAIRS:
        report = reports(seeded)
        flagged += not report.passed
        diagnosis = report.diagnosis
        named += diagnosis is not None and diagnosis.mistake == seeded.expected
    assert flagged == len(SEEDED_PAIRS)
    assert named >= 0.9 * len(SEEDED_PAIRS)


def test_gradcheck_layer_findings_name_the_problem(reports):
    by_label = {s.label: s for s in SEEDED_PAIRS}
    seed_report = reports(by_label["dropout_seed_ignored"])
    assert "dropout_param['seed'] is not used" in str(seed_report)
    in_place = reports(by_label["relu_in_place"])
    assert "relu_forward wrote into x" in str(in_place)


def test_gradcheck_layer_all_ones_upstream_gradient_hides_a_batchnorm_mistake(tmp_path):
    """Under dout = 1 batch norm's dx is 0 whatever gamma, x: the mistake that
    drops the variance term gives 0 too, so a check with all-ones passes it; the
    battery's random dout does not."""
    (case,) = [c for c in LAYER_CASES["batchnorm"] if c.label == "n8-d5"]
    data = case_data(case, np.random.default_rng(0))
    inputs = {k: v.astype(np.float64) for k, v in data.inputs.items()}
    ones = np.ones(inputs["x"].shape)
    (mistake,) = [
        m
        for m in mistakes_for("batchnorm")
        if m.name == "norm_dx_without_variance_term"
    ]
    right = LayerDerivation().evaluate("batchnorm", inputs, data.params, ones, {})
    wrong = mistake.evaluate("batchnorm", inputs, data.params, ones, {})
    assert np.abs(right["dx"]).max() < 1e-12
    assert np.abs(wrong["dx"]).max() < 1e-12
    random = np.random.default_rng(1).standard_normal(inputs["x"].shape)
    right = LayerDerivation().evaluate("batchnorm", inputs, data.params, random, {})
    wrong = mistake.evaluate("batchnorm", inputs, data.params, random, {})
    assert np.abs(right["dx"] - wrong["dx"]).max() > 1e-2 * np.abs(right["dx"]).max()
    (seeded,) = [s for s in SEEDED_PAIRS if s.label == "bn_no_variance_term"]
    module = seeded.load(tmp_path)
    cache = module.batchnorm_forward(
        data.inputs["x"], data.inputs["gamma"], data.inputs["beta"], {"mode": "train"}
    )[1]
    assert np.abs(module.batchnorm_backward(ones, cache)[0]).max() < 1e-12
    report = check_layer(
        module.batchnorm_forward, module.batchnorm_backward, kind="batchnorm"
    )
    assert not report.passed
    assert report.diagnosis.mistake == "norm_dx_without_variance_term"
