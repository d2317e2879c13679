"""backprop.blocks.losses: softmax cross-entropy and the multiclass hinge loss."""

from __future__ import annotations

import numpy as np
import pytest

import spec
from backprop.blocks import hinge_loss, softmax_loss

LOSSES = {"softmax": softmax_loss, "hinge": hinge_loss}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("n", [1, 4])
@pytest.mark.parametrize("kind", LOSSES)
def test_gradcheck_loss(kind, n, dtype):
    loss = LOSSES[kind]
    rng = np.random.default_rng(n)
    scores = rng.standard_normal((n, 5)).astype(dtype)
    y = rng.integers(0, 5, n)
    # The hinge is piecewise linear: central differences, and seeded scores with
    # no margin within the step (~6e-6) of zero. The softmax loss is smooth.
    method = "richardson" if kind == "softmax" and dtype == "float64" else "central"
    report = spec.gradcheck(
        lambda s: loss(s, y)[0], lambda s: loss(s, y)[1], scores, method=method
    )
    assert report.passed


def test_softmax_loss_value_and_large_scores():
    scores = np.array([[1000.0, 0.0, -1000.0], [2.0, 2.0, 2.0]])
    loss, dscores = softmax_loss(scores, np.array([0, 1]))
    # Row 1: -log 1 = 0; row 2: -log(1/3). Mean over the two rows.
    assert loss == pytest.approx(np.log(3) / 2, rel=1e-15)
    np.testing.assert_allclose(dscores[1], [1 / 6, -1 / 3, 1 / 6], rtol=1e-15)
    assert np.isfinite(dscores).all()
    _loss32, d32 = softmax_loss(scores.astype(np.float32), np.array([0, 1]))
    assert d32.dtype == np.float32


def test_hinge_loss_value():
    scores = np.array([[3.0, 1.0, 2.5], [0.0, 0.0, 0.0]])
    loss, dscores = hinge_loss(scores, np.array([0, 2]))
    # Row 1: max(0, 1-3+1) + max(0, 2.5-3+1) = 0.5; row 2: 1 + 1 = 2.
    assert loss == pytest.approx(1.25, rel=1e-15)
    np.testing.assert_array_equal(dscores, [[-0.5, 0.0, 0.5], [0.5, 0.5, -1.0]])


@pytest.mark.parametrize("kind", LOSSES)
def test_bad_labels_name_the_argument(kind):
    scores = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"y must hold labels in 0..2"):
        LOSSES[kind](scores, np.array([0, 3]))
    with pytest.raises(ValueError, match=r"y must have shape \(2,\)"):
        LOSSES[kind](scores, np.array([0]))
    with pytest.raises(TypeError, match="y must be integer labels"):
        LOSSES[kind](scores, np.array([0.0, 1.0]))
