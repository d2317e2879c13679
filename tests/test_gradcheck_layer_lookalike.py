"""The layer battery on the project's CS231n-style look-alike (``cs231n_layers.py``):
every pair recognised and conformant, with no false alarm over many seeds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import THOROUGH

from spec.check.conformance.layers.cases import LAYER_CASES
from spec.check.conformance.layers.files import PAIRS, check_layers_file

LOOKALIKE = Path(__file__).with_name("cs231n_layers.py")
#: Seeds of the false-alarm sweep: 20 under the ``ci`` profile, 5 in the inner
#: loop of ``pytest -k gradcheck`` (one seed checks all 13 pairs in ~2 s).
N_SEEDS = 20 if THOROUGH else 5


def test_gradcheck_layer_lookalike_every_pair_recognised_and_conformant():
    report = check_layers_file(LOOKALIKE)
    assert report.load_error == ""
    assert report.unpaired == ()
    assert [p.forward for p, _ in report.pairs] == [f for _, f, _ in PAIRS]
    assert report.passed, str(report)
    assert all(r.diagnosis is None and r.warnings == () for _, r in report.pairs)
    assert str(report).startswith(f"{LOOKALIKE}: 13 of 13 layer pairs conformant")
    assert json.loads(json.dumps(report.to_dict()))["passed"] is True


def test_gradcheck_layer_lookalike_float64_agrees_to_1e_10():
    report = check_layers_file(LOOKALIKE)
    for _, r in report.pairs:
        for case in r.cases:
            for output in case.outputs:
                if case.case.dtype == "float64" and output.name != "keep":
                    assert output.rel_err <= 1e-13, (r.target, case.case.label, output)


def test_gradcheck_layer_lookalike_backward_agrees_with_its_own_forward():
    report = check_layers_file(LOOKALIKE)
    opinions = [c.second_opinion for _, r in report.pairs for c in r.cases]
    measured = [o for o in opinions if o is not None]
    assert len(measured) >= 10
    assert max(measured) <= 1e-6


@pytest.mark.parametrize("seed", range(N_SEEDS))
def test_gradcheck_layer_lookalike_no_false_alarm(seed):
    report = check_layers_file(LOOKALIKE, rng=seed)
    assert report.passed, str(report)


def test_gradcheck_layer_cases_cover_the_configurations_asked_for():
    cases = [c for kind in LAYER_CASES.values() for c in kind]
    conv = [dict(c.params) | dict(c.shapes) for c in LAYER_CASES["convolution"]]
    assert {c["stride"] for c in conv} == {1, 2}
    assert {c["pad"] for c in conv} == {0, 1, 2}
    assert any(c["x"][2] != c["x"][3] and c["w"][2] != c["w"][3] for c in conv)
    assert any(c["x"][1] != c["w"][0] for c in conv)
    assert {c["x"][0] == 1 for c in conv} == {True, False}
    pools = [dict(c.params) for c in LAYER_CASES["max_pool"]]
    assert any(p["stride"] < max(p["pool_height"], p["pool_width"]) for p in pools)
    assert any(c.ties for c in LAYER_CASES["max_pool"])
    assert {c.dtype for c in cases} == {"float32", "float64"}
    for kind, kind_cases in LAYER_CASES.items():
        assert {c.dtype for c in kind_cases} == {"float32", "float64"}, kind
        assert sum(c.course for c in kind_cases) == 1, kind
        assert len({c.label for c in kind_cases}) == len(kind_cases), kind
        assert all(c.why for c in kind_cases), kind
    assert any(c.mode == "test" for c in LAYER_CASES["batchnorm"])
    assert any(c.mode == "test" for c in LAYER_CASES["dropout"])
