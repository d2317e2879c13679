"""check_layer's rules: kinks and ties (never a false alarm), copies and in-place
writes, crashes reported with their line and shapes, the second opinion, the
report's JSON and JUnit forms, check_layers_file on odd files, bad arguments."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import cs231n_layers as lookalike
import numpy as np
import pytest

from spec.check.conformance.layers import check_layer
from spec.check.conformance.layers.files import check_layers_file

SEEDS = range(6)


def _pool_backward(split):
    """A max-pool backward giving each window's dout to its tied maxima by
    ``split(mask) -> weights`` (weights >= 0 summing to 1 over the mask)."""

    def backward(dout, cache):
        x, pool_param = cache
        ph, pw, s = (
            pool_param["pool_height"],
            pool_param["pool_width"],
            pool_param["stride"],
        )
        dx = np.zeros(x.shape)
        for n in range(dout.shape[0]):
            for c in range(dout.shape[1]):
                for i in range(dout.shape[2]):
                    for j in range(dout.shape[3]):
                        window = x[n, c, i * s : i * s + ph, j * s : j * s + pw]
                        weights = split(window == window.max())
                        dx[n, c, i * s : i * s + ph, j * s : j * s + pw] += (
                            weights * dout[n, c, i, j]
                        )
        return dx

    return backward


def _first(mask):
    w = np.zeros(mask.shape)
    w[np.unravel_index(np.argmax(mask), mask.shape)] = 1
    return w


def _last(mask):
    flat = mask.ravel()
    w = np.zeros(flat.shape)
    w[len(flat) - 1 - np.argmax(flat[::-1])] = 1
    return w.reshape(mask.shape)


def _even(mask):
    return mask / mask.sum()


_GENERATOR = np.random.default_rng(3)


def _random_convex(mask):
    w = _GENERATOR.random(mask.shape) * mask
    return w / w.sum()


@pytest.mark.parametrize(
    "split", [_first, _last, _even, _random_convex], ids=lambda f: f.__name__
)
@pytest.mark.parametrize("seed", SEEDS)
def test_gradcheck_layer_ties_any_subgradient_is_no_false_alarm(split, seed):
    report = check_layer(
        lookalike.max_pool_forward_naive,
        _pool_backward(split),
        kind="max_pool",
        rng=seed,
    )
    assert report.passed, str(report)


def test_gradcheck_layer_ties_weights_must_sum_to_one_and_stay_on_maxima():
    def half(mask):
        return 0.5 * _first(mask)

    def off_maximum(mask):
        return _first(~mask) if (~mask).any() else _first(mask)

    for split, words in ((half, "do not sum to 1"), (off_maximum, "not a maximum")):
        report = check_layer(
            lookalike.max_pool_forward_naive, _pool_backward(split), kind="max_pool"
        )
        assert not report.passed
        assert words in str(report)


def test_gradcheck_layer_relu_kink_accepts_any_value_between_0_and_dout():
    def relu_backward_ge(dout, cache):
        return dout * (cache >= 0)

    def relu_backward_half(dout, cache):
        return dout * ((cache > 0) + 0.5 * (cache == 0))

    for backward in (relu_backward_ge, relu_backward_half):
        assert check_layer(lookalike.relu_forward, backward, kind="relu").passed

    def relu_backward_double(dout, cache):
        return dout * ((cache > 0) + 2.0 * (cache == 0))

    report = check_layer(lookalike.relu_forward, relu_backward_double, kind="relu")
    assert not report.passed
    assert "outside the subdifferential" in str(report)


def test_gradcheck_layer_backward_writing_into_dout_is_a_finding():
    def relu_backward(dout, cache):
        dout[cache <= 0] = 0
        return dout

    report = check_layer(lookalike.relu_forward, relu_backward, kind="relu")
    assert not report.passed
    assert "relu_backward wrote into dout" in str(report)


def test_gradcheck_layer_crash_reported_with_its_line_and_shapes():
    def conv_backward(dout, cache):
        x, w, _, _ = cache
        return x @ w  # shapes do not fit

    report = check_layer(
        lookalike.conv_forward_naive, conv_backward, kind="convolution"
    )
    assert report.counts()["crashed"] == len(report.cases)
    first = report.cases[0]
    assert first.problem.startswith("ValueError")
    assert "test_gradcheck_layer_check.py:" in first.problem
    assert "return x @ w" in first.problem
    assert first.call.startswith(
        "conv_backward(dout (2, 3, 5, 5) float64, the cache of "
    )
    assert (
        "conv_forward_naive(x (2, 3, 5, 5) float64, w (3, 3, 3, 3) float64"
        in first.call
    )
    assert "conv_param {'stride': 1, 'pad': 1}" in first.call
    assert report.diagnosis is not None
    assert report.diagnosis.kind == "unnamed"


def test_gradcheck_layer_second_opinion_tells_a_wrong_forward():
    def leaky_forward(x):
        return np.where(x > 0, x, 0.1 * x), x

    report = check_layer(leaky_forward, lookalike.relu_backward, kind="relu")
    assert not report.passed
    assert report.cases[0].second_opinion > 1e-2
    assert "disagrees with a numeric VJP of your own forward" in str(report)


def test_gradcheck_layer_report_json_and_junit():
    def affine_backward(dout, cache):
        dx, dw, db = lookalike.affine_backward(dout, cache)
        return dx, dw, db / len(dout)

    report = check_layer(lookalike.affine_forward, affine_backward, kind="affine")
    data = json.loads(json.dumps(report.to_dict()))
    assert data["passed"] is False
    assert data["diagnosis"]["mistake"] == "affine_db_batch_mean"
    outputs = data["cases"][0]["outputs"]
    assert {o["name"] for o in outputs} == {"out", "dx", "dw", "db"}
    assert all(o["cs231n_rel_error"] is not None for o in outputs)
    suite = ElementTree.fromstring(report.to_junit())
    assert suite.get("tests") == str(len(report.cases))
    failures = suite.findall("testcase/failure")
    assert len(failures) == int(suite.get("failures")) >= 1
    assert "affine_db_batch_mean" in failures[0].text


def test_gradcheck_layer_check_layers_file_odd_files(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import numpy as np\nraise RuntimeError('oops')\n")
    report = check_layers_file(broken)
    assert not report.passed
    assert "RuntimeError: oops at line 2" in str(report)
    lonely = tmp_path / "lonely.py"
    lonely.write_text(
        "def conv_forward_naive(x, w, b, conv_param):\n    return x, None\n\n"
        "def affine_relu_forward(x, w, b):\n    return x, None\n"
    )
    report = check_layers_file(lonely)
    assert report.pairs == ()
    assert report.unpaired == ("conv_forward_naive",)
    assert "no CS231n layer functions found" in str(report)
    with pytest.raises(FileNotFoundError, match="path must name a Python file"):
        check_layers_file(tmp_path / "missing.py")


def test_gradcheck_layer_bad_arguments():
    with pytest.raises(ValueError, match="kind must be one of"):
        check_layer(lookalike.relu_forward, lookalike.relu_backward, kind="conv")
    with pytest.raises(ValueError, match="backward must be None"):
        check_layer(
            lookalike.softmax_loss, lookalike.relu_backward, kind="softmax_loss"
        )
    with pytest.raises(TypeError, match="backward must be callable"):
        check_layer(lookalike.relu_forward, None, kind="relu")
    with pytest.raises(TypeError, match="rng must be"):
        check_layer(
            lookalike.relu_forward, lookalike.relu_backward, kind="relu", rng=True
        )


def test_gradcheck_layer_file_report_as_junit(tmp_path):
    path = tmp_path / "layers.py"
    text = Path(lookalike.__file__).read_text()
    text = text.replace("db = np.sum(dout, axis=0)", "db = dout[0]")
    path.write_text(text)
    report = check_layers_file(path)
    root = ElementTree.fromstring(report.to_junit())
    suites = root.findall("testsuite")
    assert len(suites) == len(report.pairs) == 13
    failing = [s for s in suites if int(s.get("failures")) + int(s.get("errors"))]
    assert len(failing) == 1
    assert "affine" in failing[0].get("name")
    broken = tmp_path / "broken.py"
    broken.write_text("syntax error here\n")
    root = ElementTree.fromstring(check_layers_file(broken).to_junit())
    assert root.find("testsuite/testcase/error").text.startswith("SyntaxError")


def test_gradcheck_layer_forward_of_the_wrong_shape_is_reported():
    def affine_forward(x, w, b):
        out, cache = lookalike.affine_forward(x, w, b)
        return out.T, cache

    report = check_layer(affine_forward, lookalike.affine_backward, kind="affine")
    assert not report.passed
    assert "out (shape (5, 2), expected (2, 5))" in str(report)
