"""spec.gradcheck on plain functions: methods, tolerances, reports and errors."""

from __future__ import annotations

import numpy as np
import pytest

import spec
from spec.check.derivatives.numeric import (
    central_gradient,
    complex_step_gradient,
    directional_derivative,
    richardson_gradient,
)
from spec.check.derivatives.options import default_tolerances
from spec.check.derivatives.report import GradcheckError, GradcheckReport

METHODS = ["central", "complex", "richardson"]

pytestmark = pytest.mark.usefixtures("single_threaded_blas")


def rosenbrock(t):
    return np.sum(100 * (t[1:] - t[:-1] ** 2) ** 2 + (1 - t[:-1]) ** 2)


def rosenbrock_grad(t):
    g = np.zeros_like(t)
    g[:-1] = -400 * t[:-1] * (t[1:] - t[:-1] ** 2) - 2 * (1 - t[:-1])
    g[1:] += 200 * (t[1:] - t[:-1] ** 2)
    return g


THETA = np.array([-1.2, 1.0, 0.5, 3.0, -0.25])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fast", [False, True])
def test_gradcheck_passes_a_correct_gradient(method, fast):
    report = spec.gradcheck(
        rosenbrock, rosenbrock_grad, THETA, method=method, fast=fast
    )
    assert isinstance(report, GradcheckReport)
    assert report.passed
    assert report.n_failed == 0
    assert report.max_rel_err < report.rtol


@pytest.mark.parametrize("method", METHODS)
def test_gradcheck_numeric_gradients_agree_with_the_formula(method):
    numeric = {
        "central": central_gradient,
        "complex": complex_step_gradient,
        "richardson": richardson_gradient,
    }[method](rosenbrock, THETA)
    # Measured: central 1e-8, Richardson 1e-11, complex 0 (relative to |g|max).
    bound = {"central": 1e-7, "richardson": 1e-9, "complex": 1e-14}[method]
    exact = rosenbrock_grad(THETA)
    assert np.abs(numeric - exact).max() <= bound * np.abs(exact).max()


@pytest.mark.parametrize("method", METHODS)
def test_gradcheck_directional_derivative_is_u_dot_grad(method):
    u = np.random.default_rng(0).standard_normal(THETA.size)
    u /= np.linalg.norm(u)
    d = directional_derivative(rosenbrock, THETA, u, method=method)
    expected = u @ rosenbrock_grad(THETA)
    assert d == pytest.approx(expected, rel=1e-6 if method == "central" else 1e-10)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fast", [False, True])
def test_gradcheck_rejects_a_wrong_entry_and_names_it(method, fast):
    def wrong(t):
        g = rosenbrock_grad(t)
        g[3] *= 1.001  # 0.1 % off in one entry
        return g

    names = [f"p{k}" for k in range(THETA.size)]
    with pytest.raises(GradcheckError) as info:
        spec.gradcheck(rosenbrock, wrong, THETA, method=method, fast=fast, names=names)
    report = info.value.report
    assert isinstance(info.value, AssertionError)
    assert not report.passed
    assert report.n_failed >= 1
    if not fast:
        assert report.n_failed == 1
        assert report.worst[0].name == "p3"
        assert "p3" in str(info.value)


def test_gradcheck_report_without_raising():
    report = spec.gradcheck(rosenbrock, lambda t: 0 * t, THETA, raise_on_failure=False)
    assert not report.passed
    assert report.n_failed == THETA.size
    assert "gradcheck failed" in str(report)


def test_gradcheck_message_lists_worst_entries_with_both_values():
    def wrong(t):
        return rosenbrock_grad(t) + np.array([0, 0, 2.0, 0, 0])

    with pytest.raises(GradcheckError) as info:
        spec.gradcheck(rosenbrock, wrong, THETA, method="complex")
    text = str(info.value)
    exact = rosenbrock_grad(THETA)[2]
    assert text.startswith("gradcheck failed: 1 of 5 gradient entries differ")
    assert "theta[2]" in text
    assert f"{exact + 2:.6e}" in text
    assert f"{exact:.6e}" in text
    assert "rtol = 1.0e-10" in text


def test_gradcheck_blocks_are_summarised_and_probed_separately():
    blocks = {"first": slice(0, 2), "second": slice(2, 5)}

    def wrong(t):
        return rosenbrock_grad(t) + np.array([0, 0, 0, 1.0, 0])

    for fast in (False, True):
        with pytest.raises(GradcheckError) as info:
            spec.gradcheck(rosenbrock, wrong, THETA, blocks=blocks, fast=fast)
        summary = {b.name: b.n_failed for b in info.value.report.blocks}
        assert summary["first"] == 0
        assert summary["second"] >= 1
        assert "second" in str(info.value)


def test_gradcheck_stationary_point_is_not_a_false_alarm():
    # At the minimum f = 0 and the gradient is 0: only the absolute floor remains.
    minimum = np.ones(5)
    for method in ("complex", "richardson"):
        assert spec.gradcheck(
            rosenbrock, rosenbrock_grad, minimum, method=method
        ).passed
    # Central differences keep their truncation error h^2 f(3)/6 ~ 1e-8 there,
    # which neither |f| nor the gradient bounds: it needs an explicit atol.
    with pytest.raises(GradcheckError):
        spec.gradcheck(rosenbrock, rosenbrock_grad, minimum)
    assert spec.gradcheck(rosenbrock, rosenbrock_grad, minimum, atol=1e-6).passed


def test_gradcheck_accepts_any_shape_and_names_by_index():
    theta = np.arange(6.0).reshape(2, 3) / 7

    def f(t):
        return np.sum(np.sin(t) * t)

    def wrong(t):
        g = np.sin(t) + t * np.cos(t)
        g[1, 2] += 1
        return g

    with pytest.raises(GradcheckError, match=r"theta\[1,2\]"):
        spec.gradcheck(f, wrong, theta)


def test_gradcheck_float32_gradient_gets_a_float32_tolerance():
    theta = THETA.astype(np.float32)
    report = spec.gradcheck(
        rosenbrock, lambda t: rosenbrock_grad(t.astype(np.float32)), theta
    )
    assert report.dtype == "float32"
    assert report.rtol == pytest.approx(2**10 * np.finfo(np.float32).eps)


def test_gradcheck_default_tolerances():
    assert default_tolerances("central") == (1e-6, 2**10 * np.finfo(float).eps)
    assert default_tolerances("complex", f_value=3.0)[1] == pytest.approx(3e-10)
    assert default_tolerances("central", f_dtype=np.float32)[0] == 1e-2
    assert default_tolerances("reference")[0] == 1e-10


def test_gradcheck_complex_method_needs_complex_arithmetic():
    with pytest.raises(TypeError, match="method='central'"):
        spec.gradcheck(
            lambda t: float(np.sum(t.real**2)), lambda t: 2 * t, THETA, method="complex"
        )


def test_gradcheck_wrong_shape_is_a_failure_that_says_so():
    with pytest.raises(GradcheckError, match=r"shape \(4,\); expected \(5,\)"):
        spec.gradcheck(rosenbrock, lambda t: rosenbrock_grad(t)[:4], THETA)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"method": "forward"}, ValueError, "method must be one of"),
        ({"fast": True, "n_directions": 0}, ValueError, "n_directions must be >= 1"),
        ({"names": ["a", "b"]}, ValueError, "names must hold 5 names"),
        ({"blocks": {"a": slice(0, 2)}}, ValueError, "cover every entry"),
    ],
)
def test_gradcheck_argument_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        spec.gradcheck(rosenbrock, rosenbrock_grad, THETA, **kwargs)


def test_gradcheck_non_scalar_or_non_finite_f():
    with pytest.raises(ValueError, match="f must return a scalar"):
        spec.gradcheck(lambda t: t, rosenbrock_grad, THETA)
    with pytest.raises(ValueError, match="not finite"):
        spec.gradcheck(lambda t: np.sum(t) * np.inf, rosenbrock_grad, THETA)
    with pytest.raises(TypeError, match="real floating"):
        spec.gradcheck(rosenbrock, rosenbrock_grad, THETA.astype(complex))


def test_gradcheck_compare_gradients_to_a_reference():
    exact = rosenbrock_grad(THETA)
    assert spec.compare_gradients(exact * (1 + 1e-14), exact).passed
    with pytest.raises(GradcheckError, match="differ from the reference"):
        spec.compare_gradients(exact * (1 + 1e-6), exact)
