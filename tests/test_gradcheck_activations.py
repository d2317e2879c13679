"""Every activation/cost combination's gradient against the complex step or central
differences: non-square layers, m >= 2, float64 and float32, with and without L2.

Networks with ReLU are not analytic, so :func:`spec.check_network` checks them by
central differences; those are exact only away from the kinks, so the data here
are drawn until every ReLU input is at least :data:`KINK_MARGIN` from 0 (a
kink-aware check is a separate piece of work). Nothing is skipped: a seed that
never gives such a net fails the test.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import backprop
import spec
import spec.costs
from spec import GradcheckError

pytestmark = pytest.mark.usefixtures("single_threaded_blas")

HIDDEN = ("sigmoid", "tanh", "relu", "identity")
OUTPUTS = ("sigmoid", "tanh", "relu", "identity", "softmax")
#: The cost each output layer can be paired with (cross-entropy needs sigmoid
#: outputs, the log-likelihood a softmax; the quadratic cost takes any).
PAIRS = [(out, "quadratic") for out in OUTPUTS] + [
    ("sigmoid", "cross_entropy"),
    ("softmax", "log_likelihood"),
]
#: Non-square layers throughout, so that a misplaced transpose cannot cancel.
SIZES = (3, 5, 4, 2)
M = 3
#: Central differences use steps of ~1e-5 relative; 1e-3 keeps every step of every
#: ReLU input on one side of its kink.
KINK_MARGIN = 1e-3


def away_from_kinks(sizes, activations, m=M, seed=0, dtype="float64", tries=50):
    """A network and batch on which no ReLU input lies within KINK_MARGIN of 0."""
    layers = backprop.resolve_activations(activations, len(sizes) - 1)
    for attempt in range(tries):
        rng = np.random.default_rng([seed, attempt])
        weights, biases = backprop.init_params(sizes, rng=rng, dtype=dtype)
        x = rng.uniform(-2, 2, (m, sizes[0]))
        y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], m)]
        zs, _ = backprop.feedforward(weights, biases, x, activations)
        margins = [
            np.abs(z).min() for z, p in zip(zs, layers, strict=True) if p.name == "relu"
        ]
        if min(margins, default=np.inf) > KINK_MARGIN:
            return weights, biases, x, y
    raise AssertionError(f"no net away from the kinks in {tries} draws")


def combinations():
    return [
        pytest.param((hidden, out), cost, id=f"{hidden}-{out}-{cost}")
        for hidden in HIDDEN
        for out, cost in PAIRS
    ]


@pytest.mark.parametrize("l2", [0.0, 0.25])
@pytest.mark.parametrize(("activations", "cost"), combinations())
def test_gradcheck_every_combination_float64(activations, cost, l2):
    data = away_from_kinks(SIZES, activations)
    report = spec.check_network(*data, cost=cost, activations=activations, l2=l2)
    assert report.passed
    analytic = "relu" not in activations
    assert report.method == ("complex" if analytic else "central")


@pytest.mark.parametrize("l2", [0.0, 0.25])
@pytest.mark.parametrize(("activations", "cost"), combinations())
def test_gradcheck_every_combination_float32(activations, cost, l2):
    weights, biases, x, y = away_from_kinks(SIZES, activations, dtype="float32")
    grad_w, grad_b = backprop.gradients(
        weights, biases, x, y, cost=cost, activations=activations, l2=l2
    )
    assert {g.dtype for g in grad_w + grad_b} == {np.dtype(np.float32)}
    report = spec.check_network(
        weights, biases, x, y, cost=cost, activations=activations, l2=l2
    )
    assert report.passed


@pytest.mark.parametrize(
    ("activations", "cost"),
    [
        (("relu", "tanh", "softmax"), "log_likelihood"),
        (("tanh", "relu", "identity"), "quadratic"),
        (("identity", "sigmoid", "sigmoid"), "cross_entropy"),
    ],
)
def test_gradcheck_one_name_per_layer(activations, cost):
    data = away_from_kinks(SIZES, activations)
    assert spec.check_network(*data, cost=cost, activations=activations, l2=0.1).passed


def test_gradcheck_l2_is_lambda_w_and_leaves_the_biases():
    weights, biases, x, y = away_from_kinks(SIZES, ("tanh", "softmax"))
    kwargs = {"cost": "log_likelihood", "activations": ("tanh", "softmax")}
    plain_w, plain_b = backprop.gradients(weights, biases, x, y, **kwargs)
    decayed_w, decayed_b = backprop.gradients(weights, biases, x, y, **kwargs, l2=0.5)
    for g, h, w in zip(plain_w, decayed_w, weights, strict=True):
        # g and h differ by one rounding of the sum g + λw.
        np.testing.assert_allclose(h, g + 0.5 * w, rtol=1e-14, atol=1e-15)
    for g, h in zip(plain_b, decayed_b, strict=True):
        np.testing.assert_array_equal(g, h)
    c0 = backprop.mean_cost(weights, biases, x, y, **kwargs)
    c1 = backprop.mean_cost(weights, biases, x, y, **kwargs, l2=0.5)
    expected = 0.25 * sum((w * w).sum() for w in weights)
    np.testing.assert_allclose(c1 - c0, expected, rtol=1e-12)  # one subtraction


def test_gradcheck_softmax_log_likelihood_delta_is_a_minus_y():
    weights, biases, x, y = away_from_kinks(SIZES, ("tanh", "softmax"))
    layers = backprop.resolve_activations(("tanh", "softmax"), 3)
    zs, a = backprop.forward(weights, biases, x, layers)
    cost = backprop.get_cost("log_likelihood")
    np.testing.assert_array_equal(cost.delta(zs[-1], a[-1], y), a[-1] - y)
    # The general BP1 through the Jacobian gives the same, up to rounding.
    general = backprop.bp1(-y / a[-1], zs[-1], "softmax", a[-1])
    np.testing.assert_allclose(general, a[-1] - y, rtol=1e-12, atol=1e-15)


def test_gradcheck_complex_step_refused_with_relu():
    data = away_from_kinks(SIZES, ("relu", "softmax"))
    with pytest.raises(ValueError, match=r"method='complex' needs an analytic.*relu"):
        spec.check_network(
            *data,
            cost="log_likelihood",
            activations=("relu", "softmax"),
            method="complex",
        )


@pytest.mark.parametrize(("hidden", "output", "cost"), spec.costs.combinations())
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_gradcheck_every_combination_against_the_oracle(hidden, output, cost, l2):
    # The oracle evaluates the exact derivation at 50 digits; backprop's float64
    # gradient differs from it by rounding only (measured below 2e-15 of the
    # largest entry), so the reference tolerance of 1e-10 leaves a margin of
    # 1e4 while any wrong formula is off by O(1).
    sizes = (3, 4, 2) if output != "softmax" else (3, 4, 3)
    activations = (hidden, output)
    data = away_from_kinks(sizes, activations)
    report = spec.check_network(
        *data, cost=cost, activations=activations, l2=l2, method="oracle"
    )
    assert report.passed
    assert report.rtol == 1e-10


def test_gradcheck_wrong_tanh_caught_on_every_shape():
    # A user's gradient with tanh' = 1 - tanh, checked as an outside function.
    def wrong(weights, biases, x, y, cost, activations=None, l2=0.0):
        zs, a = backprop.feedforward(weights, biases, x, activations)
        delta = (a[-1] - y) * (1 - np.tanh(zs[-1]))
        grad_w, grad_b = [None] * 3, [None] * 3
        for l in range(3, 0, -1):
            if l < 3:
                delta = (delta @ weights[l]) * (1 - np.tanh(zs[l - 1]))
            grad_b[l - 1] = backprop.bp3(delta)
            grad_w[l - 1] = backprop.bp4(delta, a[l - 1])
        return grad_w, grad_b

    data = away_from_kinks(SIZES, "tanh")
    with pytest.raises(GradcheckError):
        spec.check_network(*data, cost="quadratic", activations="tanh", gradients=wrong)
    assert spec.check_network(*data, cost="quadratic", activations="tanh").passed


@given(
    widths=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    n_out=st.integers(2, 4),
    m=st.integers(2, 4),
    hidden=st.sampled_from(HIDDEN),
    pair=st.sampled_from(PAIRS),
    l2=st.sampled_from([0.0, 0.01, 1.0]),
    dtype=st.sampled_from(["float64", "float32"]),
    seed=st.integers(0, 2**16),
)
def test_gradcheck_random_networks(widths, n_out, m, hidden, pair, l2, dtype, seed):
    out, cost = pair
    sizes = (*widths, n_out)
    activations = (hidden, out)
    data = away_from_kinks(sizes, activations, m=m, seed=seed, dtype=dtype)
    assert spec.check_network(*data, cost=cost, activations=activations, l2=l2).passed
