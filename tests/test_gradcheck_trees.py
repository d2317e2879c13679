"""Parameter trees, other array libraries, the Taylor test, spec.testing and
spec.strategies."""

from __future__ import annotations

import subprocess
import sys

import array_api_strict
import numpy as np
import pytest
from hypothesis import given

import backprop
import spec
from spec.check.derivatives.trees import flatten
from spec.strategies import arrays_for, networks, parameter_trees
from spec.testing import (
    assert_gradient,
    assert_hvp,
    assert_jacobian,
    assert_jvp,
    assert_vjp,
)

pytestmark = pytest.mark.usefixtures("single_threaded_blas")


def tree_f(p):
    return np.sum(np.sin(p["W1"]) * p["b"][0][:, None]) + np.sum(p["b"][1] ** 2)


def tree_grad(p):
    return {
        "W1": np.cos(p["W1"]) * p["b"][0][:, None],
        "b": [np.sum(np.sin(p["W1"]), axis=1), 2 * p["b"][1]],
    }


def tree_point():
    rng = np.random.default_rng(0)
    return {"W1": rng.standard_normal((3, 4)), "b": [rng.standard_normal(3), 0.7]}


def test_gradcheck_tree_entries_named_by_path():
    _, treedef = flatten(tree_point(), "params")
    assert treedef.name(11) == 'params["W1"][2, 3]'
    assert treedef.name(12) == 'params["b"][0][0]'
    assert treedef.name(15) == 'params["b"][1]'


def test_gradcheck_tree_gradient_right_and_wrong():
    report = spec.gradcheck(tree_f, tree_grad, tree_point(), method="auto")
    assert report.passed
    assert report.method == "complex"

    def wrong(p):
        g = tree_grad(p)
        g["W1"] = g["W1"].copy()
        g["W1"][2, 3] *= 1.01
        return g

    with pytest.raises(spec.GradcheckError, match=r'theta\["W1"\]\[2, 3\]'):
        spec.gradcheck(tree_f, wrong, tree_point())
    report = spec.gradcheck(
        tree_f, wrong, tree_point(), names="params", raise_on_failure=False
    )
    assert [e.name for e in report.worst] == ['params["W1"][2, 3]']


def test_gradcheck_list_of_arrays_is_a_tree():
    x = [np.array([1.0, 2.0]), np.array([[0.5]])]

    def f(t):
        return np.sum(t[0] ** 2) * t[1][0, 0]

    def grad(t):
        return [2 * t[0] * t[1][0, 0], np.array([[np.sum(t[0] ** 2)]])]

    report = spec.gradcheck(f, grad, x, raise_on_failure=False)
    assert report.passed
    wrong = spec.gradcheck(
        f, lambda t: [grad(t)[0], 2 * grad(t)[1]], x, raise_on_failure=False
    )
    assert [e.name for e in wrong.worst] == ["theta[1][0, 0]"]


def test_gradcheck_tree_of_the_wrong_structure_is_a_failed_check():
    with pytest.raises(spec.GradcheckError, match="structure of theta"):
        spec.gradcheck(tree_f, lambda p: {"W1": p["W1"]}, tree_point())
    with pytest.raises(spec.GradcheckError, match=r'grad\(theta\)\["W1"\] must have'):
        spec.gradcheck(
            tree_f, lambda p: {**tree_grad(p), "W1": p["W1"][:2]}, tree_point()
        )


def test_gradcheck_calls_f_with_the_library_it_was_given():
    seen = set()

    def f(x):
        seen.add(type(x).__module__.split(".")[0])
        xp = array_api_strict
        return xp.sum(xp.exp(x))

    x = array_api_strict.asarray([0.1, -0.4, 0.9])
    report = spec.gradcheck(f, lambda x: array_api_strict.exp(x), x, method="auto")
    assert report.passed
    assert seen == {"array_api_strict"}
    assert report.method == "complex"


def test_gradcheck_float32_input_says_the_reference_is_in_higher_precision():
    x = np.array([0.3, -1.2, 2.0], dtype=np.float32)
    report = spec.check_vjp(np.tanh, lambda x, v: v * (1 - np.tanh(x) ** 2), x)
    assert report.passed
    assert report.dtype == "float32"
    assert any("higher precision than f's float32" in n for n in report.notes)
    # float32 claimed values: at least 2**10 ulps of float32 (see the docs page)
    assert report.rtol >= 2**10 * np.finfo(np.float32).eps


def test_gradcheck_vjp_with_a_given_cotangent_and_jvp_with_a_given_tangent():
    x = np.array([0.3, -1.2, 2.0])
    v = np.array([1.0, 0.0, -2.0])
    assert spec.check_vjp(np.sin, lambda x, v: np.cos(x) * v, x, v=v).passed
    report = spec.check_jvp(np.sin, lambda x, u: np.cos(x) * u, x, u=3 * v)
    assert report.passed
    assert report.n_checked == 3
    with pytest.raises(ValueError, match="v must have the shape of f"):
        spec.check_vjp(np.sin, lambda x, v: v, x, v=np.ones(2))


def test_gradcheck_taylor_test_orders():
    x = np.array([0.3, 1.2, -0.7])

    def f(x):
        return np.sum(np.sin(x) * x**2)

    def grad(x):
        return np.cos(x) * x**2 + 2 * x * np.sin(x)

    def hvp(x, v):
        return (-np.sin(x) * x**2 + 4 * x * np.cos(x) + 2 * np.sin(x)) * v

    right = spec.taylor_test(f, grad, x)
    assert right.passed
    assert abs(right.order - 2) < 0.1  # a clean h^2 remainder: slope 2.00
    assert abs(spec.taylor_test(f, grad, x, hvp=hvp).order - 3) < 0.1
    wrong = spec.taylor_test(f, lambda x: grad(x) * 1.001, x, raise_on_failure=False)
    assert not wrong.passed
    assert abs(wrong.order - 1) < 0.1
    assert "order 1.00" in str(wrong)
    # float32: rounding is 2^29 times coarser; the fit uses the steps above it
    assert spec.taylor_test(f, grad, x.astype(np.float32)).passed


def test_gradcheck_testing_assertions():
    x = np.array([0.3, -1.2, 2.0])
    assert_gradient(lambda x: np.sum(x**3), lambda x: 3 * x**2, x)
    assert_jacobian(np.sin, lambda x: np.diag(np.cos(x)), x)
    assert_vjp(np.sin, lambda x, v: np.cos(x) * v, x)
    assert_jvp(np.sin, lambda x, u: np.cos(x) * u, x)
    assert_hvp(lambda x: np.sum(x**3), lambda x, v: 6 * x * v, x)
    with pytest.raises(AssertionError, match="check_vjp failed"):
        assert_vjp(np.sin, lambda x, v: np.sin(x) * v, x)
    with pytest.raises(TypeError, match="always raise"):
        assert_jvp(np.sin, lambda x, u: u, x, raise_on_failure=False)


def softplus_sum(x):
    return np.sum(np.logaddexp(0, x))


def softplus_grad(x):
    return 1 / (1 + np.exp(-x))


@given(arrays_for(softplus_sum))
def test_gradcheck_property_softplus_over_random_arrays(x):
    assert_gradient(softplus_sum, softplus_grad, x)


def _squares(tree):
    if isinstance(tree, dict):
        return sum(_squares(v) for v in tree.values())
    if isinstance(tree, list):
        return sum(_squares(v) for v in tree)
    return np.sum(np.asarray(tree) ** 2)


def _doubled(tree):
    if isinstance(tree, dict):
        return {k: _doubled(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_doubled(v) for v in tree]
    return 2 * np.asarray(tree)


@given(parameter_trees())
def test_gradcheck_property_sum_of_squares_over_random_trees(tree):
    assert_gradient(_squares, _doubled, tree)


@given(networks())
def test_gradcheck_property_backprop_over_random_networks(sample):
    spec.check_network(sample.weights, sample.biases, sample.x, sample.y)


def test_gradcheck_import_spec_needs_no_hypothesis():
    code = "import sys, spec, spec.testing; print('hypothesis' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_gradcheck_network_tree_of_weights_and_biases():
    weights, biases = backprop.init_params([2, 3, 2], rng=0)
    x = np.random.default_rng(1).random((4, 2))
    y = np.eye(2)[[0, 1, 1, 0]]

    def f(p):
        return backprop.mean_cost(p[0], p[1], x, y)

    def grad(p):
        return backprop.gradients(p[0], p[1], x, y)

    report = spec.gradcheck(f, grad, (weights, biases), method="auto")
    assert report.passed
    assert [b.name for b in report.blocks] == [
        "theta[0][0]",
        "theta[0][1]",
        "theta[1][0]",
        "theta[1][1]",
    ]


def test_gradcheck_a_float32_computation_behind_float64_values_is_detected():
    def loss(x):  # the float() of a float32 computation, as a training loop logs it
        return float(np.sum(np.tanh(x.astype(np.float32)) ** 2))

    def grad(x):
        t = np.tanh(x)
        return 2 * t * (1 - t**2)

    x = np.array([0.3, -1.2, 2.0])
    report = spec.gradcheck(loss, grad, x, method="auto")
    assert report.passed, str(report)
    assert any("ignores input changes" in note for note in report.notes)
    # float32 steps: central differences at eps_64^(1/3) would be noise here
    assert report.rtol >= 1e-2 or report.method == "complex"
