"""backprop.blocks.dropout: inverted dropout, keep = probability of keeping."""

from __future__ import annotations

import numpy as np
import pytest

import spec
from backprop.blocks import dropout_backward, dropout_forward


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("keep", [0.3, 0.8, 1.0])
def test_gradcheck_dropout_with_a_given_mask(keep, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 2)).astype(dtype)
    mask = rng.random(x.shape) < keep

    def vjp(x, v):
        return dropout_backward(v, dropout_forward(x, keep=keep, mask=mask)[1])

    method = "richardson" if dtype == "float64" else "central"  # linear in x
    report = spec.check_vjp(
        lambda x: dropout_forward(x, keep=keep, mask=mask)[0],
        vjp,
        x,
        method=method,
        rng=1,
    )
    assert report.passed


def test_training_scales_the_kept_units_and_test_time_is_the_identity():
    x = np.random.default_rng(1).standard_normal((200, 500))
    out, cache = dropout_forward(x, keep=0.25, rng=7)
    kept = out != 0
    np.testing.assert_allclose(out[kept], x[kept] / 0.25, rtol=1e-15)
    # 100 000 Bernoulli(0.25) draws: the kept fraction's std is 0.0014; 5 sigma.
    assert abs(kept.mean() - 0.25) < 0.007
    dout = np.random.default_rng(2).standard_normal(x.shape)
    np.testing.assert_allclose(
        dropout_backward(dout, cache), dout * kept / 0.25, rtol=1e-15
    )
    test_out, test_cache = dropout_forward(x, keep=0.25, train=False)
    np.testing.assert_array_equal(test_out, x)
    np.testing.assert_array_equal(dropout_backward(dout, test_cache), dout)


def test_the_same_seed_gives_the_same_mask():
    x = np.ones((4, 5), dtype=np.float32)
    a, _ = dropout_forward(x, keep=0.5, rng=3)
    b, _ = dropout_forward(x, keep=0.5, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32


def test_bad_input_names_the_argument():
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"keep must be > 0 and <= 1.0"):
        dropout_forward(x, keep=1.5, rng=0)
    with pytest.raises(ValueError, match="rng must be a seed"):
        dropout_forward(x, keep=0.5)
    with pytest.raises(ValueError, match="mask must have the shape of x"):
        dropout_forward(x, keep=0.5, mask=np.ones((3, 2), bool))
    with pytest.raises(ValueError, match="mask must hold only 0 and 1"):
        dropout_forward(x, keep=0.5, mask=np.full((2, 3), 2))
