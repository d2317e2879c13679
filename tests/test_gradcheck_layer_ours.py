"""Our own layers (:mod:`backprop.blocks`) through the learners' layer battery: the
project is the battery's first client. Each layer is called in CS231n's signature
by a thin adapter that maps the course's parameter dicts to our keywords; nothing
else is changed."""

from __future__ import annotations

from typing import Any

import pytest

import backprop.blocks as B
import spec

#: Seeds of the sweep: the battery's cases draw their data from the seed.
SEEDS = range(3)


def _batchnorm(forward: Any) -> Any:
    """CS231n's ``bn_param`` in, the running statistics written back into it."""

    def run(x: Any, gamma: Any, beta: Any, bn_param: dict[str, Any]) -> Any:
        out, cache = forward(
            x,
            gamma,
            beta,
            mode=bn_param.get("mode", "train"),
            eps=bn_param.get("eps", 1e-5),
            momentum=bn_param.get("momentum", 0.9),
            running_mean=bn_param.get("running_mean"),
            running_var=bn_param.get("running_var"),
        )
        bn_param["running_mean"] = cache["running_mean"]
        bn_param["running_var"] = cache["running_var"]
        return out, cache

    return run


def _pool(forward: Any) -> Any:
    def run(x: Any, pool_param: dict[str, Any]) -> Any:
        size = (pool_param["pool_height"], pool_param["pool_width"])
        return forward(x, size=size, stride=pool_param["stride"])

    return run


PAIRS: dict[str, tuple[Any, Any]] = {
    "affine": (B.affine_forward, B.affine_backward),
    "relu": (B.relu_forward, B.relu_backward),
    "convolution": (
        lambda x, w, b, p: B.convolution_forward(
            x, w, b, stride=p["stride"], padding=p["pad"]
        ),
        B.convolution_backward,
    ),
    "max_pool": (_pool(B.max_pool_forward), B.max_pool_backward),
    "average_pool": (_pool(B.average_pool_forward), B.average_pool_backward),
    "batchnorm": (_batchnorm(B.batchnorm_forward), B.batchnorm_backward),
    "spatial_batchnorm": (
        _batchnorm(B.spatial_batchnorm_forward),
        B.spatial_batchnorm_backward,
    ),
    "layernorm": (
        lambda x, g, b, p: B.layernorm_forward(x, g, b, eps=p.get("eps", 1e-5)),
        B.layernorm_backward,
    ),
    "groupnorm": (
        lambda x, g, b, G, p: B.groupnorm_forward(
            x, g, b, groups=G, eps=p.get("eps", 1e-5)
        ),
        B.groupnorm_backward,
    ),
    "dropout": (
        lambda x, p: B.dropout_forward(
            x, keep=p["p"], rng=p.get("seed"), train=p["mode"] == "train"
        ),
        B.dropout_backward,
    ),
    "softmax_loss": (B.softmax_loss, None),
    "hinge_loss": (B.hinge_loss, None),
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", sorted(PAIRS))
def test_gradcheck_our_layers_pass_the_layer_battery(kind, seed):
    forward, backward = PAIRS[kind]
    report = spec.check_layer(forward, backward, kind=kind, rng=seed)
    assert report.passed, str(report)
