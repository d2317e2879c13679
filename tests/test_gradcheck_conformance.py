"""The conformance battery on a tutorial-style implementation and its seeded mistakes.

``tutorial_net.py`` is a learner's backprop (one example per call, column vectors,
``(nabla_b, nabla_w)``); ``seeded_mistakes.py`` edits one line of it per known
mistake. The battery must find every mistake and name it, and find nothing wrong
with the correct code whatever the seed.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import tutorial_net
from seeded_mistakes import CRASHING, PER_EXAMPLE, SEEDED

import backprop
import spec
from spec.check.conformance.mistakes import MISTAKES
from spec.check.conformance.report import to_json, to_junit

#: Seeds of the false-alarm test: the done-when criterion of the battery.
N_SEEDS = 20
#: A second seed for the seeded mistakes: the names must not depend on the data.
OTHER_SEED = 3


def _check(mistake, **kwargs):
    module = mistake.load()
    fn = getattr(module, mistake.function)
    return spec.check_implementation(spec.adapt(fn, **mistake.adapt_options), **kwargs)


def test_gradcheck_conformance_one_seeded_mistake_per_catalogue_entry():
    # The entries for other layers are seeded in seeded_layer_mistakes.py.
    names = [m.name for m in SEEDED]
    assert len(set(names)) == len(names)
    assert set(names) <= {m.name for m in MISTAKES}


def test_gradcheck_conformance_tutorial_net_is_conformant():
    report = spec.check_implementation(
        spec.adapt(tutorial_net.gradients, **PER_EXAMPLE)
    )
    assert report.passed, str(report)
    assert report.diagnosis is None
    assert report.warnings == ()
    assert "conformant: 20 of 20 cases passed" in str(report)


def test_gradcheck_conformance_mini_batch_function_is_conformant():
    options = {**PER_EXAMPLE, "per_example": False}
    report = spec.check_implementation(
        spec.adapt(tutorial_net.mini_batch_gradients, **options)
    )
    assert report.passed, str(report)


def test_gradcheck_conformance_backprop_gradients_is_conformant():
    report = spec.check_implementation(backprop.gradients)
    assert report.passed, str(report)
    assert report.target == "backprop.core:gradients"


@pytest.mark.parametrize("seed", range(N_SEEDS))
def test_gradcheck_conformance_no_false_alarm(seed):
    report = spec.check_implementation(
        spec.adapt(tutorial_net.gradients, **PER_EXAMPLE), rng=seed
    )
    assert report.passed, str(report)


@pytest.mark.parametrize("mistake", SEEDED, ids=lambda m: m.name)
def test_gradcheck_conformance_names_seeded_mistake(mistake):
    report = _check(mistake)
    assert not report.passed
    diagnosis = report.diagnosis
    assert diagnosis is not None
    assert diagnosis.kind == "named", str(report)
    assert diagnosis.mistake == mistake.name, str(report)
    expected = next(m for m in MISTAKES if m.name == mistake.name)
    assert diagnosis.equation == expected.equation
    n = len(report.cases)
    assert f"on all {n} cases" in diagnosis.message or (
        f"{n} of {n} cases agree" in diagnosis.message
    )


@pytest.mark.parametrize("mistake", SEEDED, ids=lambda m: m.name)
def test_gradcheck_conformance_names_seeded_mistake_on_other_data(mistake):
    report = _check(mistake, rng=OTHER_SEED)
    assert report.diagnosis is not None
    assert report.diagnosis.mistake == mistake.name, str(report)


def test_gradcheck_conformance_missing_transpose_crashes_off_square_and_warns():
    mistake = next(m for m in SEEDED if m.name == "bp2_no_transpose")
    report = _check(mistake)
    by_label = {r.case.label: r for r in report.cases}
    assert by_label["square layers"].verdict == "failed"
    assert by_label["depth 2, non-square"].verdict == "crashed"
    crash = by_label["depth 2, non-square"]
    assert "biases [(4, 1), (2, 1)], x (3, 1), y (2, 1)" in crash.call
    assert crash.problem.startswith("ValueError")
    assert any("non-square" in w for w in report.warnings)


def test_gradcheck_conformance_sum_not_mean_hides_at_m_1_and_warns():
    mistake = next(m for m in SEEDED if m.name == "sum_not_mean")
    report = _check(mistake)
    assert all(r.passed for r in report.cases if r.case.m == 1)
    assert any("m = 1" in w for w in report.warnings)


def test_gradcheck_conformance_crash_reported_as_crash():
    report = _check(CRASHING)
    counts = report.counts()
    # depth-1 cases never reach BP2, where the misspelt name is.
    assert counts == {"passed": 2, "failed": 0, "crashed": 18}
    assert report.diagnosis is not None
    assert report.diagnosis.kind == "localised"
    assert "NameError: name 'sigmoid_prim' is not defined" in report.diagnosis.message
    crashed = [r for r in report.cases if r.verdict == "crashed"]
    assert all(r.call.startswith("weights [") for r in crashed)


def test_gradcheck_conformance_unknown_mistake_is_localised_to_bp4():
    def half_weight_gradient(weights, biases, x, y, cost="cross_entropy"):
        grad_w, grad_b = backprop.gradients(weights, biases, x, y, cost=cost)
        return [*grad_w[:-1], grad_w[-1] / 2], grad_b

    report = spec.check_implementation(half_weight_gradient, cost="quadratic")
    diagnosis = report.diagnosis
    assert diagnosis is not None
    assert (diagnosis.kind, diagnosis.equation) == ("localised", "BP4")
    assert diagnosis.block_ratios[0][0].startswith("W^")
    assert diagnosis.block_ratios[0][1] == pytest.approx(0.5)


def test_gradcheck_conformance_constant_ratio_is_reported():
    def scaled(weights, biases, x, y, cost="cross_entropy"):
        grad_w, grad_b = backprop.gradients(weights, biases, x, y, cost=cost)
        return [3 * g for g in grad_w], [3 * g for g in grad_b]

    report = spec.check_implementation(scaled, cost="cross_entropy")
    diagnosis = report.diagnosis
    assert diagnosis is not None
    assert diagnosis.equation == "BP1/BP3"
    assert diagnosis.ratio == pytest.approx(3)
    assert "3 × the right one" in diagnosis.message


def test_gradcheck_conformance_hidden_bias_localised_to_bp3():
    def wrong_hidden_bias(weights, biases, x, y, cost="cross_entropy"):
        grad_w, grad_b = backprop.gradients(weights, biases, x, y, cost=cost)
        return grad_w, [grad_b[0] + 0.25, *grad_b[1:]]

    report = spec.check_implementation(wrong_hidden_bias, cost="quadratic")
    assert report.diagnosis is not None
    assert report.diagnosis.equation == "BP3"


def test_gradcheck_conformance_hidden_layer_localised_to_bp2():
    def half_hidden_delta(weights, biases, x, y, cost="cross_entropy"):
        grad_w, grad_b = backprop.gradients(weights, biases, x, y, cost=cost)
        if len(weights) == 1:
            return grad_w, grad_b
        return [grad_w[0] / 2, *grad_w[1:]], [grad_b[0] / 2, *grad_b[1:]]

    report = spec.check_implementation(half_hidden_delta, cost="quadratic")
    assert report.diagnosis is not None
    assert report.diagnosis.equation == "BP2"


def test_gradcheck_conformance_wrong_number_of_layers():
    def first_layer_only(weights, biases, x, y, cost="cross_entropy"):
        grad_w, grad_b = backprop.gradients(weights, biases, x, y, cost=cost)
        return grad_w[:1], grad_b[:1]

    report = spec.check_implementation(first_layer_only, cost="quadratic")
    depth_2 = next(r for r in report.cases if r.case.label == "depth 2, non-square")
    assert depth_2.verdict == "failed"
    assert depth_2.problem == (
        "returned 1 weight and 1 bias gradients for a network of 2 layers"
    )
    assert report.diagnosis is not None
    assert report.diagnosis.message.startswith("No value could be compared")


def test_gradcheck_conformance_report_as_json_and_junit():
    mistake = next(m for m in SEEDED if m.name == "sum_not_mean")
    report = _check(mistake)
    document = json.loads(to_json(report))
    assert document["diagnosis"]["mistake"] == "sum_not_mean"
    assert document["counts"] == report.counts()
    assert all(c["max_rel_err"] is not None for c in document["cases"])
    suite = ET.fromstring(to_junit(report)).find("testsuite")
    assert suite is not None
    assert len(suite.findall("testcase")) == len(report.cases)
    assert len(suite.findall("testcase/failure")) == report.counts()["failed"]


def test_gradcheck_conformance_validates_arguments():
    with pytest.raises(ValueError, match="cost must be among"):
        spec.check_implementation(backprop.gradients, cost="hinge")
    with pytest.raises(ValueError, match="suite must be one of"):
        spec.check_implementation(backprop.gradients, suite="huge")
    with pytest.raises(TypeError, match="gradients must be callable"):
        spec.check_implementation(np.zeros(3))
