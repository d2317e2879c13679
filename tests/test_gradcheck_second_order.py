"""Second order: spec.check_hvp and spec.check_hessian, and the network's own H v.

The Hessian-vector product of backprop's mean cost by the complex step of
``backprop.gradients`` runs the complex branch of σ', which no first-order check
runs: a mutant of that branch is caught here.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SIGMOID_OUTPUT_COSTS

import backprop
import backprop.activations
import backprop.layers
import spec
from spec.check.derivatives.report import GradcheckError

pytestmark = pytest.mark.usefixtures("single_threaded_blas")

#: The complex step's imaginary step: far below every real scale of the network.
H = 1e-20


def quartic(x):
    return np.sum(np.sin(x) * x**2) + 0.25 * np.sum(x) ** 4


def quartic_grad(x):
    return np.cos(x) * x**2 + 2 * x * np.sin(x) + np.sum(x) ** 3


def quartic_hess(x):
    d = -np.sin(x) * x**2 + 4 * x * np.cos(x) + 2 * np.sin(x)
    return np.diag(d) + 3 * np.sum(x) ** 2 * np.ones((x.size, x.size))


def quartic_hess_wrong(x):
    d = -np.sin(x) * x**2 + 4 * x * np.cos(x) + 2 * np.sin(x)
    return np.diag(d) + 3 * np.sum(x) ** 2 * np.eye(x.size)  # the coupling lost


X = np.array([0.3, 1.2, -0.7, 0.4])


def hvp_of(hess):
    return lambda x, v: hess(x) @ v


@pytest.mark.parametrize("grad", [None, quartic_grad], ids=["numeric", "grad"])
@pytest.mark.parametrize("fast", [True, False])
def test_gradcheck_hvp_right_passes_wrong_fails(grad, fast):
    assert spec.check_hvp(quartic, hvp_of(quartic_hess), X, grad=grad, fast=fast)
    report = spec.check_hvp(
        quartic,
        hvp_of(quartic_hess_wrong),
        X,
        grad=grad,
        fast=fast,
        raise_on_failure=False,
    )
    assert not report.passed


def test_gradcheck_hvp_without_complex_uses_second_central_differences():
    def f(x):
        return np.sum(np.abs(x) ** 3)

    def hvp(x, v):
        return 6 * np.abs(x) * v

    report = spec.check_hvp(f, hvp, X, fast=False)
    assert report.method == "second_central"
    assert "central differences" in report.notes[0]
    with pytest.raises(GradcheckError, match="check_hvp failed"):
        spec.check_hvp(f, lambda x, v: 6 * x * v, X, fast=False)


def test_gradcheck_hessian_names_the_wrong_entries():
    assert spec.check_hessian(quartic, quartic_hess, X).passed
    report = spec.check_hessian(
        quartic, quartic_hess_wrong, X, raise_on_failure=False, n_worst=100
    )
    wrong = {e.name for e in report.worst}
    n = X.size
    assert wrong == {f"dg[{i}]/dx[{k}]" for i in range(n) for k in range(n) if i != k}


def test_gradcheck_hvp_taylor_needs_grad():
    report = spec.check_hvp(
        quartic, hvp_of(quartic_hess), X, grad=quartic_grad, method="taylor"
    )
    assert report.passed
    assert report.order > 1.5
    with pytest.raises(ValueError, match="needs grad="):
        spec.check_hvp(quartic, hvp_of(quartic_hess), X, method="taylor")


# -- the network's own second order ------------------------------------------------
def network():
    weights, biases = backprop.init_params([3, 4, 2], rng=0)
    rng = np.random.default_rng(1)
    return (weights, biases), rng.random((5, 3)), np.eye(2)[[0, 1, 1, 0, 1]]


def network_hvp(x, y, cost):
    def hvp(params, v):
        ws = [w + 1j * H * dw for w, dw in zip(params[0], v[0], strict=True)]
        bs = [b + 1j * H * db for b, db in zip(params[1], v[1], strict=True)]
        grad_w, grad_b = backprop.gradients(ws, bs, x, y, cost=cost)
        return [np.imag(g) / H for g in grad_w], [np.imag(g) / H for g in grad_b]

    return hvp


@pytest.mark.parametrize("cost", SIGMOID_OUTPUT_COSTS)
def test_gradcheck_network_hvp_by_complex_step_of_backprop(cost):
    params, x, y = network()

    def f(p):
        return backprop.mean_cost(p[0], p[1], x, y, cost=cost)

    report = spec.check_hvp(f, network_hvp(x, y, cost), params, fast=False)
    assert report.method == "central_of_complex"
    assert report.n_checked == 26 * 26


def test_gradcheck_network_hvp_catches_a_mutant_of_the_complex_sigma_prime(
    monkeypatch,
):
    params, x, y = network()
    real_prime = backprop.activations.sigmoid_prime

    def mutant(self, z):
        if np.iscomplexobj(z):  # drops the imaginary part: σ'' lost
            return real_prime(z.real).astype(z.dtype)
        return real_prime(z)

    def f(p):
        return backprop.mean_cost(p[0], p[1], x, y)

    hvp = network_hvp(x, y, "cross_entropy")
    monkeypatch.setattr(backprop.layers.Sigmoid, "prime", mutant)
    with pytest.raises(GradcheckError, match="check_hvp failed"):
        spec.check_hvp(f, hvp, params)
