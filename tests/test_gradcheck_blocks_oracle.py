"""Our NumPy layers (:mod:`backprop.blocks`) against the oracle of
:mod:`spec.blocks`: every backward equal, in float64, to the VJP the spec derives
and evaluates in ``mpmath``, on small cases with strides, paddings, overlapping
windows, non-square images and kernels and C != F."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import backprop.blocks as B
from spec.blocks import layer_vjp

#: Both sides are exact formulas in float64 (ours) and 50 digits rounded once
#: (the oracle): they differ by the rounding of sums of at most a few hundred
#: terms, ~1e-14 of the largest entry; 1e-10 leaves four orders of margin.
RTOL = 1e-10


def _case(
    kind: str, rng: np.random.Generator
) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """``(ours, inputs, hyper)``: our forward as a function of the inputs."""
    n = rng.standard_normal
    if kind == "affine":
        inputs = {"x": n((2, 3, 2)), "w": n((6, 4)), "b": n(4)}
        return (lambda i: B.affine_forward(i["x"], i["w"], i["b"])), inputs, {}
    if kind == "relu":
        x = n((3, 4))
        x[np.abs(x) < 0.1] = 0.5  # away from the kink
        return (lambda i: B.relu_forward(i["x"])), {"x": x}, {}
    if kind == "convolution":
        inputs = {"x": n((2, 3, 5, 6)), "w": n((4, 3, 3, 2)), "b": n(4)}
        hyper = {"stride": (2, 1), "padding": (1, 2)}
        return (
            (lambda i: B.convolution_forward(i["x"], i["w"], i["b"], **hyper)),
            inputs,
            hyper,
        )
    if kind in ("max_pool", "average_pool"):
        forward = B.max_pool_forward if kind == "max_pool" else B.average_pool_forward
        hyper = {"size": (3, 2), "stride": 2}  # overlapping rows
        return (lambda i: forward(i["x"], **hyper)), {"x": n((2, 2, 5, 6))}, hyper
    if kind in ("batchnorm", "layernorm"):
        forward = B.batchnorm_forward if kind == "batchnorm" else B.layernorm_forward
        inputs = {"x": n((5, 4)), "gamma": n(4), "beta": n(4)}
        return (
            (lambda i: forward(i["x"], i["gamma"], i["beta"], eps=1e-5)),
            inputs,
            {"eps": 1e-5},
        )
    if kind == "spatial_batchnorm":
        inputs = {"x": n((2, 3, 2, 2)), "gamma": n(3), "beta": n(3)}
        return (
            (
                lambda i: B.spatial_batchnorm_forward(
                    i["x"], i["gamma"], i["beta"], eps=1e-5
                )
            ),
            inputs,
            {"eps": 1e-5},
        )
    if kind == "groupnorm":
        inputs = {
            "x": n((2, 4, 2, 2)),
            "gamma": n((1, 4, 1, 1)),
            "beta": n((1, 4, 1, 1)),
        }
        hyper = {"groups": 2, "eps": 1e-5}
        return (
            (lambda i: B.groupnorm_forward(i["x"], i["gamma"], i["beta"], **hyper)),
            inputs,
            hyper,
        )
    if kind == "dropout":
        mask = rng.random((3, 4)) < 0.6
        hyper = {"mask": mask, "keep": 0.6}
        return (
            (lambda i: B.dropout_forward(i["x"], keep=0.6, mask=mask)),
            {"x": n((3, 4))},
            hyper,
        )
    raise AssertionError(kind)


LAYERS = ["affine", "relu", "convolution", "max_pool", "average_pool", "batchnorm",
          "layernorm", "spatial_batchnorm", "groupnorm", "dropout"]  # fmt: skip
GRADIENT_OF = {"x": "dx", "w": "dw", "b": "db", "gamma": "dgamma", "beta": "dbeta"}


@pytest.mark.parametrize("kind", LAYERS)
def test_gradcheck_blocks_equal_the_oracle(kind):
    rng = np.random.default_rng(7)
    forward, inputs, hyper = _case(kind, rng)
    out, cache = forward(inputs)
    dout = rng.standard_normal(np.shape(out))
    backward = getattr(
        B, {"convolution": "convolution_backward"}.get(kind, f"{kind}_backward")
    )
    ours = backward(dout, cache)
    ours = ours if isinstance(ours, tuple) else (ours,)
    oracle = layer_vjp(kind, inputs, dout, **hyper)
    names = [GRADIENT_OF[k] for k in inputs]
    assert len(ours) == len(names)
    for name, got in zip(names, ours, strict=True):
        want = oracle[name]
        scale = float(np.abs(want).max())
        np.testing.assert_allclose(got, want, rtol=0, atol=RTOL * scale, err_msg=name)


@pytest.mark.parametrize("kind", ["softmax_loss", "hinge_loss"])
def test_gradcheck_losses_equal_the_oracle(kind):
    rng = np.random.default_rng(8)
    scores, y = rng.standard_normal((4, 5)), rng.integers(5, size=4)
    _, dscores = getattr(B, kind)(scores, y)
    want = layer_vjp(kind, {"scores": scores, "y": y}, 1.0)["dscores"]
    scale = float(np.abs(want).max())
    np.testing.assert_allclose(dscores, want, rtol=0, atol=RTOL * scale)
