"""The NumPy network: activations, costs, forward and backward passes."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from conftest import CENTRAL_RTOL

import backprop
from backprop.activations import sigmoid, sigmoid_prime


def _sigma(v: float) -> float:
    return 1 / (1 + math.exp(-v))


def test_sigmoid_is_stable_and_accurate_at_both_tails():
    z = np.array([-1e4, -745.0, -30.0, 0.0, 30.0, 745.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s, ds = sigmoid(z), sigmoid_prime(z)
        sc = sigmoid(z.astype(np.complex128))
    assert np.all(np.isfinite(s))
    assert np.all(np.isfinite(ds))
    assert s[0] == 0.0
    assert s[-1] == 1.0
    assert s[3] == 0.5
    # σ(−30) = e^−30 / (1 + e^−30) to full relative precision; σ'(±30) too.
    expected = math.exp(-30) / (1 + math.exp(-30))
    assert s[2] == pytest.approx(expected, rel=1e-15)
    assert ds[4] == pytest.approx(expected / (1 + math.exp(-30)), rel=1e-14)
    assert ds[2] == pytest.approx(ds[4], rel=1e-15)
    # atol covers σ(−745), a subnormal that expit flushes to 0.
    np.testing.assert_allclose(sc.real, s, rtol=1e-15, atol=1e-300)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_sigmoid_keeps_dtype(dtype):
    z = np.linspace(-5, 5, 7).astype(dtype)
    assert sigmoid(z).dtype == dtype
    assert sigmoid_prime(z).dtype == dtype


def test_complex_step_of_sigmoid_gives_its_derivative():
    z = np.linspace(-40, 40, 81)
    h = 1e-30
    np.testing.assert_allclose(
        sigmoid(z + 1j * h).imag / h, sigmoid_prime(z), rtol=1e-13, atol=0
    )


def test_cross_entropy_stays_finite_when_output_saturates():
    weights = [np.array([[1000.0], [-1000.0]])]
    biases = [np.zeros(2)]
    x = np.ones((1, 1))
    y = np.array([[0.0, 1.0]])  # maximally wrong: a^L = (1, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = backprop.mean_cost(weights, biases, x, y, cost="cross_entropy")
        gw, _ = backprop.gradients(weights, biases, x, y, cost="cross_entropy")
    assert c == pytest.approx(2000.0)
    assert np.all(np.isfinite(gw[0]))


def test_feedforward_shapes_and_values():
    weights, biases = backprop.init_params([3, 4, 2], rng=1)
    x = np.random.default_rng(2).random((5, 3))
    zs, activations = backprop.feedforward(weights, biases, x)
    assert [z.shape for z in zs] == [(5, 4), (5, 2)]
    assert [a.shape for a in activations] == [(5, 3), (5, 4), (5, 2)]
    # Row k of z^1 is W^1 x_k + b^1.
    np.testing.assert_allclose(
        zs[0][3], weights[0] @ x[3] + biases[0], rtol=0, atol=1e-15
    )
    np.testing.assert_allclose(activations[2], sigmoid(zs[1]), rtol=0, atol=0)


def _hand_gradients(weights, biases, x, y, cost):
    """∂C/∂w, ∂C/∂b of a 3-2-1 net, one example at a time, by the scalar chain rule.

    Written with plain floats and loops, independently of the code under test.
    """
    (w1, w2), (b1, b2) = weights, biases
    m = len(x)
    g_w1 = [[0.0] * 3 for _ in range(2)]
    g_b1 = [0.0] * 2
    g_w2 = [[0.0] * 2]
    g_b2 = [0.0]
    for xk, tk in zip(x, y, strict=True):
        z1 = [sum(w1[i][j] * xk[j] for j in range(3)) + b1[i] for i in range(2)]
        a1 = [_sigma(v) for v in z1]
        z2 = sum(w2[0][j] * a1[j] for j in range(2)) + b2[0]
        a2 = _sigma(z2)
        t = tk[0]
        # dC/dz2 for one example.
        d2 = (a2 - t) * a2 * (1 - a2) if cost == "quadratic" else a2 - t
        d1 = [w2[0][i] * d2 * a1[i] * (1 - a1[i]) for i in range(2)]
        g_b2[0] += d2 / m
        for j in range(2):
            g_w2[0][j] += d2 * a1[j] / m
        for i in range(2):
            g_b1[i] += d1[i] / m
            for j in range(3):
                g_w1[i][j] += d1[i] * xk[j] / m
    return [np.array(g_w1), np.array(g_w2)], [np.array(g_b1), np.array(g_b2)]


@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy"])
def test_worked_example_3_2_1(cost):
    weights = [
        np.array([[0.1, -0.2, 0.3], [-0.4, 0.5, -0.6]]),
        np.array([[0.7, -0.8]]),
    ]
    biases = [np.array([0.05, -0.05]), np.array([0.2])]
    x = np.array([[1.0, 0.5, -1.0], [0.0, 2.0, 1.0]])
    y = np.array([[1.0], [0.0]])
    expected_w, expected_b = _hand_gradients(weights, biases, x, y, cost)
    grad_w, grad_b = backprop.gradients(weights, biases, x, y, cost=cost)
    # Two float64 evaluations of the same formula in a different order: they
    # differ by a few ulps.
    for got, want in zip(grad_w + grad_b, expected_w + expected_b, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def _central_differences(weights, biases, x, y, cost):
    sizes = [weights[0].shape[1]] + [w.shape[0] for w in weights]
    theta = backprop.pack(weights, biases)
    out = np.empty_like(theta)
    for k in range(theta.size):
        h = np.finfo(theta.dtype).eps ** (1 / 3) * max(1.0, abs(theta[k]))
        up, down = theta.copy(), theta.copy()
        up[k] += h
        down[k] -= h
        f_up = backprop.mean_cost(*backprop.unpack(up, sizes), x, y, cost=cost)
        f_down = backprop.mean_cost(*backprop.unpack(down, sizes), x, y, cost=cost)
        out[k] = (f_up - f_down) / (up[k] - down[k])
    return out


@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy"])
@pytest.mark.parametrize("sizes", [[3, 2, 2], [2, 3, 2], [2, 2, 3], [3, 4, 2, 3]])
def test_gradcheck_backprop_matches_central_differences(sizes, cost):
    rng = np.random.default_rng(sum(sizes))
    weights, biases = backprop.init_params(sizes, rng=rng)
    x = rng.standard_normal((4, sizes[0]))
    y = rng.random((4, sizes[-1]))
    grad = backprop.pack(*backprop.gradients(weights, biases, x, y, cost=cost))
    numeric = _central_differences(weights, biases, x, y, cost)
    np.testing.assert_allclose(
        grad, numeric, rtol=CENTRAL_RTOL, atol=CENTRAL_RTOL * np.abs(numeric).max()
    )


def test_gradient_is_the_mean_over_the_batch():
    weights, biases = backprop.init_params([3, 2, 2], rng=3)
    rng = np.random.default_rng(4)
    x, y = rng.random((3, 3)), rng.random((3, 2))
    batch = backprop.pack(*backprop.gradients(weights, biases, x, y))
    rows = [
        backprop.pack(*backprop.gradients(weights, biases, x[k : k + 1], y[k : k + 1]))
        for k in range(3)
    ]
    np.testing.assert_allclose(batch, np.mean(rows, axis=0), rtol=1e-13, atol=1e-16)


def test_labels_are_one_hot_targets():
    weights, biases = backprop.init_params([4, 3], rng=0)
    x = np.random.default_rng(0).random((3, 4))
    labels = np.array([2, 0, 1])
    one_hot = np.eye(3)[labels]
    for a, b in zip(
        backprop.gradients(weights, biases, x, labels)[0],
        backprop.gradients(weights, biases, x, one_hot)[0],
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_is_preserved(dtype):
    weights, biases = backprop.init_params([5, 4, 3], rng=0, dtype=dtype)
    x = np.random.default_rng(0).random((6, 5))  # float64 input, cast to the params
    y = np.eye(3)[[0, 1, 2, 0, 1, 2]]
    zs, activations = backprop.feedforward(weights, biases, x)
    grad_w, grad_b = backprop.gradients(weights, biases, x, y)
    cost = backprop.mean_cost(weights, biases, x, y)
    arrays = [*zs, *activations, *grad_w, *grad_b]
    assert {a.dtype for a in arrays} == {np.dtype(dtype)}
    assert cost.dtype == np.dtype(dtype)
    new_w, new_b, _ = backprop.sgd(
        weights, biases, x, y, epochs=1, batch_size=4, lr=0.1
    )
    assert {p.dtype for p in new_w + new_b} == {np.dtype(dtype)}


def test_init_params_shapes_and_scaling():
    weights, biases = backprop.init_params([400, 30, 10], rng=0, init="scaled")
    assert [w.shape for w in weights] == [(30, 400), (10, 30)]
    assert [b.shape for b in biases] == [(30,), (10,)]
    assert np.std(weights[0]) == pytest.approx(1 / 20, rel=0.05)
    normal, _ = backprop.init_params([400, 30, 10], rng=0, init="normal")
    assert np.std(normal[0]) == pytest.approx(1.0, rel=0.05)
    w32, _ = backprop.init_params([400, 30, 10], rng=0, init="normal", dtype="float32")
    np.testing.assert_array_equal(w32[0], normal[0].astype(np.float32))


def test_pack_unpack_round_trip_and_names():
    sizes = [3, 2, 4]
    weights, biases = backprop.init_params(sizes, rng=5)
    theta = backprop.pack(weights, biases)
    assert theta.shape == (3 * 2 + 2 + 2 * 4 + 4,)
    w2, b2 = backprop.unpack(theta, sizes)
    for a, b in zip(weights + biases, w2 + b2, strict=True):
        np.testing.assert_array_equal(a, b)
    assert backprop.describe_index(sizes, 0) == "W^1[0,0]"
    assert backprop.describe_index(sizes, 5) == "W^1[1,2]"
    assert backprop.describe_index(sizes, 6) == "b^1[0]"
    assert backprop.describe_index(sizes, 8 + 3 * 2 + 1) == "W^2[3,1]"
    assert backprop.describe_index(sizes, theta.size - 1) == "b^2[3]"
    with pytest.raises(IndexError, match="outside the 20 parameters"):
        backprop.describe_index(sizes, 20)


def test_atomic_write_failure_leaves_old_file_and_no_temporary(tmp_path):
    from backprop.files import atomic_write

    target = tmp_path / "metrics.json"
    target.write_text("old")

    def write_then_fail():
        with atomic_write(target, "w") as fh:
            fh.write("partial")
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        write_then_fail()
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json"]


def test_atomic_write_rejects_unknown_mode(tmp_path):
    from backprop.files import atomic_write

    with pytest.raises(ValueError, match="mode must be 'w' or 'wb', got 'a'"):
        atomic_write(tmp_path / "x", "a").__enter__()


def test_forward_is_feedforward_without_the_checks():
    weights, biases = backprop.init_params([3, 4, 2], rng=0)
    x = np.random.default_rng(1).random((5, 3))
    for got, want in zip(
        backprop.forward(weights, biases, x),
        backprop.feedforward(weights, biases, x),
        strict=True,
    ):
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)


def test_cost_value_is_a_deprecated_mean_cost():
    weights, biases = backprop.init_params([3, 2], rng=0)
    x, y = np.ones((2, 3)), np.zeros((2, 2))
    with pytest.warns(DeprecationWarning, match="use backprop.mean_cost"):
        value = backprop.cost_value(weights, biases, x, y)
    assert value == backprop.mean_cost(weights, biases, x, y)
