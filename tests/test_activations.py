"""The activations and their derivatives: values, tails, dtypes, complex step; the
``activations=`` forms; the combinations refused; the log-likelihood cost; He init;
a network's activations through save and load."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import backprop
from backprop.layers import resolve_activations

mpmath.mp.dps = 40
ELEMENTWISE = [
    (backprop.sigmoid, backprop.sigmoid_prime),
    (backprop.tanh, backprop.tanh_prime),
    (backprop.identity, backprop.identity_prime),
]
#: A few ulps of float64: the accuracy of a correctly written closed form.
REL_ULPS = 8 * np.finfo(np.float64).eps


def _rel_err(got, exact):
    return abs(float(got) - float(exact)) / abs(float(exact))


@pytest.mark.parametrize("z", [-40.0, -20.0, -10.0, -1.0, 0.5, 3.0, 10.0, 20.0, 40.0])
def test_tanh_prime_accurate_in_relative_terms_at_the_tails(z):
    exact = 1 / mpmath.cosh(mpmath.mpf(z)) ** 2
    assert _rel_err(backprop.tanh_prime(np.array(z)), exact) < REL_ULPS
    # The textbook 1 - tanh^2 loses everything by |z| = 20 (why it is not used).
    if abs(z) >= 20:
        assert 1 - np.tanh(z) ** 2 == 0.0


@pytest.mark.parametrize("z", [-30.0, -5.0, 0.25, 5.0, 30.0])
def test_tanh_accurate_in_relative_terms(z):
    assert _rel_err(backprop.tanh(np.array(z)), mpmath.tanh(mpmath.mpf(z))) < REL_ULPS


@pytest.mark.parametrize(("phi", "phi_prime"), ELEMENTWISE)
def test_gradcheck_complex_step_through_each_analytic_activation(phi, phi_prime):
    z = np.linspace(-30, 30, 61) + 0.1
    h = 1e-30
    step = phi(z.astype(np.complex128) + 1j * h).imag / h
    # The complex step has no cancellation: agreement to rounding.
    np.testing.assert_allclose(step, phi_prime(z), rtol=1e-13, atol=0)


def test_gradcheck_complex_step_through_softmax_gives_its_jacobian():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 5, (2, 4))
    a = backprop.softmax(z)
    h = 1e-30
    for j in range(4):
        dz = np.zeros((2, 4), dtype=np.complex128)
        dz[:, j] = 1j * h
        column = backprop.softmax(z + dz).imag / h
        e_j = np.eye(4)[j]
        exact = a * (e_j - a[:, [j]])  # column j of diag(a) - a a^T
        np.testing.assert_allclose(column, exact, rtol=1e-13, atol=1e-300)


def test_gradcheck_softmax_backward_is_the_jacobian_product():
    rng = np.random.default_rng(1)
    a = backprop.softmax(rng.normal(size=(3, 5)))
    g = rng.normal(size=(3, 5))
    for k in range(3):
        jac = np.diag(a[k]) - np.outer(a[k], a[k])
        got = backprop.softmax_backward(a, g)[k]
        np.testing.assert_allclose(got, jac.T @ g[k], rtol=1e-13, atol=1e-16)


def test_softmax_stable_for_large_inputs():
    z = np.array([[1000.0, 0.0, -1000.0], [-1e4, -1e4, -1e4 + 1]])
    a = backprop.softmax(z)
    assert np.all(np.isfinite(a))
    np.testing.assert_allclose(a.sum(axis=1), 1, rtol=1e-15)
    np.testing.assert_allclose(a[0], [1, np.exp(-1000), 0], rtol=1e-15, atol=0)
    ls = backprop.log_softmax(z)
    assert ls[0, 2] == pytest.approx(-2000)  # exact where a underflows to 0


def test_relu_and_its_step():
    z = np.array([-2.0, -0.0, 0.0, 1e-300, 3.0])
    np.testing.assert_array_equal(backprop.relu(z), [0, 0, 0, 1e-300, 3])
    np.testing.assert_array_equal(backprop.relu_prime(z), [0, 0, 0, 1, 1])
    # Computed from a = relu(z) the step is unchanged: relu(z) > 0 iff z > 0.
    np.testing.assert_array_equal(
        backprop.relu_prime(backprop.relu(z)), [0, 0, 0, 1, 1]
    )
    assert not backprop.get_activation("relu").analytic


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
@pytest.mark.parametrize(
    "fn",
    [
        backprop.tanh,
        backprop.tanh_prime,
        backprop.relu,
        backprop.relu_prime,
        backprop.identity,
        backprop.identity_prime,
        backprop.softmax,
        backprop.log_softmax,
    ],
)
def test_dtype_preserved(fn, dtype):
    z = np.linspace(-3, 3, 12).reshape(3, 4).astype(dtype)
    assert fn(z).dtype == dtype


def test_activations_forms():
    def names(acts, n):
        return [p.name for p in resolve_activations(acts, n)]

    assert names(None, 3) == ["sigmoid"] * 3
    assert names("tanh", 2) == ["tanh", "tanh"]
    assert names(("relu", "softmax"), 4) == ["relu", "relu", "relu", "softmax"]
    assert names(("relu", "tanh", "softmax"), 3) == ["relu", "tanh", "softmax"]
    # L = 2: the pair and the per-layer reading agree; L = 1: the pair's hidden
    # name has no layer.
    assert names(("tanh", "softmax"), 2) == ["tanh", "softmax"]
    assert names(("relu", "softmax"), 1) == ["softmax"]


@pytest.mark.parametrize(
    ("activations", "n", "error", "message"),
    [
        (
            ("relu", "softmax", "tanh"),
            3,
            ValueError,
            r"softmax is for the output layer only, got it for hidden layer 2",
        ),
        ("softmax", 2, ValueError, r"softmax is for the output layer only"),
        (("relu", "swish"), 2, ValueError, r"activation must be one of .*got 'swish'"),
        (
            ("relu",) * 3,
            4,
            ValueError,
            r"one activation per layer \(4 names\) or a pair",
        ),
        (3, 2, TypeError, r"activations must be a name"),
    ],
)
def test_bad_activations(activations, n, error, message):
    with pytest.raises(error, match=message):
        resolve_activations(activations, n)


@pytest.mark.parametrize(
    ("cost", "activations", "message"),
    [
        (
            "log_likelihood",
            None,
            r"cost 'log_likelihood' needs a softmax output layer, got the 'sigmoid'",
        ),
        (
            "log_likelihood",
            ("relu", "identity"),
            r"needs a softmax output layer, got the 'identity'",
        ),
        (
            "cross_entropy",
            ("relu", "softmax"),
            r"cost 'cross_entropy' needs a sigmoid output layer, got the 'softmax'.*log_likelihood",
        ),
        ("cross_entropy", "tanh", r"needs a sigmoid output layer, got the 'tanh'"),
    ],
)
def test_nonsense_combinations_name_both(cost, activations, message):
    weights, biases = backprop.init_params([3, 4, 2], rng=0)
    x, y = np.ones((2, 3)), np.eye(2)
    for call in (backprop.gradients, backprop.mean_cost):
        with pytest.raises(ValueError, match=message):
            call(weights, biases, x, y, cost=cost, activations=activations)
    with pytest.raises(ValueError, match=message):
        backprop.Network([3, 4, 2], cost=cost, activations=activations)


def test_log_likelihood_is_minus_ln_a_y():
    weights, biases = backprop.init_params([3, 4, 3], rng=0)
    x = np.random.default_rng(2).random((4, 3))
    labels = np.array([0, 2, 1, 2])
    acts = ("tanh", "softmax")
    _, a = backprop.feedforward(weights, biases, x, acts)
    expected = -np.log(a[-1][np.arange(4), labels]).mean()
    got = backprop.mean_cost(weights, biases, x, labels, "log_likelihood", acts)
    assert got == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("value", [-0.1, float("nan"), float("inf")])
def test_bad_l2(value):
    weights, biases = backprop.init_params([3, 2], rng=0)
    with pytest.raises(ValueError, match=r"l2 must be a finite number >= 0"):
        backprop.gradients(weights, biases, np.ones((1, 3)), np.eye(2)[:1], l2=value)
    with pytest.raises(TypeError, match=r"l2 must be a real number"):
        backprop.gradients(weights, biases, np.ones((1, 3)), np.eye(2)[:1], l2="0.1")


def test_he_init():
    weights, biases = backprop.init_params(
        [400, 300, 10], rng=0, init="he", dtype="float32"
    )
    assert weights[0].dtype == np.float32
    assert np.std(weights[0]) == pytest.approx(
        np.sqrt(2 / 400), rel=0.02
    )  # 120 000 draws
    assert all(not b.any() for b in biases)


def test_network_keeps_its_activations_through_save_and_load(tmp_path):
    net = backprop.Network(
        [4, 5, 3],
        activations=("relu", "softmax"),
        cost="log_likelihood",
        l2=0.01,
        rng=1,
    )
    assert net.activations == ("relu", "softmax")
    loaded = backprop.Network.load(net.save(tmp_path / "net.npz"))
    assert loaded.activations == ("relu", "softmax")
    assert loaded.cost_name == "log_likelihood"
    assert loaded.l2 == 0.01
    x = np.random.default_rng(0).random((6, 4))
    np.testing.assert_array_equal(loaded.feedforward(x), net.feedforward(x))
    np.testing.assert_allclose(net.feedforward(x).sum(axis=1), 1, rtol=1e-15)
    assert "activations=('relu', 'softmax')" in repr(net)


def test_sigmoid_network_file_is_still_the_first_format(tmp_path):
    # Readers of the first format see exactly what they saw before.
    path = backprop.Network([4, 3], rng=0).save(tmp_path / "net.npz")
    with np.load(path) as data:
        assert str(data["format"]) == "backprop-spec network v1"
        assert "activations" not in data.files
    assert backprop.Network.load(path).activations == ("sigmoid",)


def test_sgd_with_relu_softmax_and_l2_lowers_the_cost():
    rng = np.random.default_rng(0)
    x = rng.random((60, 5))
    labels = (x[:, 0] > x[:, 1]).astype(int)
    kwargs = {"cost": "log_likelihood", "activations": ("relu", "softmax"), "l2": 1e-3}
    weights, biases = backprop.init_params([5, 8, 2], rng=1, init="he")
    before = backprop.mean_cost(weights, biases, x, labels, **kwargs)
    ws, bs, _ = backprop.sgd(
        weights, biases, x, labels, epochs=20, batch_size=6, lr=0.3, rng=2, **kwargs
    )
    assert backprop.mean_cost(ws, bs, x, labels, **kwargs) < 0.5 * before


def test_log_likelihood_saturated_onto_its_target_keeps_relative_accuracy():
    # a_0 = 1 - 4.46e-18 rounds to 1: a - y would give 0 and ln a would give 0.
    z, y = np.array([[40.0, 0.0, -3.0]]), np.array([[1.0, 0.0, 0.0]])
    e = [mpmath.exp(mpmath.mpf(v)) for v in (40, 0, -3)]
    exact = -(e[1] + e[2]) / sum(e)  # δ_0 = a_0 - 1, and ln a_0 to first order
    cost = backprop.get_cost("log_likelihood")
    delta = cost.delta(z, backprop.softmax(z), y)
    assert _rel_err(delta[0, 0], exact) < REL_ULPS
    assert _rel_err(backprop.log_softmax(z)[0, 0], mpmath.log(e[0] / sum(e))) < REL_ULPS
    assert (
        _rel_err(cost.value(z, backprop.softmax(z), y), -mpmath.log(e[0] / sum(e)))
        < REL_ULPS
    )
