"""``spec.check_network`` on ``backprop``'s own ReLU networks with units at z = 0.

Central differences straddle ReLU's kink there; the check must report those
entries as at a kink and pass ``backprop.gradients`` (whose ReLU' is the step
with relu'(0) = 0, one of the one-sided derivatives), with no false failure,
and still catch a wrong ReLU derivative.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop
import backprop.layers
import spec

pytestmark = pytest.mark.usefixtures("single_threaded_blas")


def net_at_kinks(seed: int, sizes: tuple[int, ...], m: int):
    """A ReLU-hidden, sigmoid-output net whose unit j of layer 1 is at z = 0 for
    example j (to rounding, far inside any difference step)."""
    rng = np.random.default_rng(seed)
    weights, biases = backprop.init_params(list(sizes), rng=rng)
    x = rng.standard_normal((m, sizes[0]))
    for j in range(min(m, sizes[1])):
        biases[0][j] = -(weights[0][j] @ x[j])
    y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], m)]
    return weights, biases, x, y


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    sizes=st.sampled_from([(3, 4, 2), (2, 3, 3, 2), (4, 2, 3)]),
    m=st.integers(1, 4),
)
def test_gradcheck_relu_network_at_kinks_has_no_false_failure(seed, sizes, m):
    weights, biases, x, y = net_at_kinks(seed, sizes, m)
    report = spec.check_network(
        weights, biases, x, y, activations=("relu", "sigmoid"), cost="cross_entropy"
    )
    assert report.passed


def test_gradcheck_relu_network_reports_the_kinks():
    weights, biases, x, y = net_at_kinks(0, (3, 4, 2), 3)
    report = spec.check_network(
        weights, biases, x, y, activations=("relu", "sigmoid"), cost="cross_entropy"
    )
    assert report.passed
    text = str(report)
    assert "b^1[0] at a kink: claimed value" in text
    assert "within the one-sided derivatives" in text


def test_gradcheck_relu_network_catches_a_wrong_relu_derivative(monkeypatch):
    weights, biases, x, y = net_at_kinks(1, (3, 4, 2), 3)

    def half_slope(self, z):  # ReLU' as 1/2 where it is 1: wrong off the kinks
        return 0.5 * (z > 0).astype(z.dtype)

    monkeypatch.setattr(backprop.layers.ReLU, "prime", half_slope)
    with pytest.raises(spec.GradcheckError, match="gradcheck failed"):
        spec.check_network(
            weights,
            biases,
            x,
            y,
            activations=("relu", "sigmoid"),
            cost="cross_entropy",
        )
