r"""The cases of the layer battery: one table, each row saying why it exists.

:data:`LAYER_CASES` holds, per layer kind, the shapes and CS231n parameters of
every case. Together they cover stride 1 and 2, padding 0, 1 and 2, non-square
images and kernels, :math:`C \ne F`, :math:`N = 1` and :math:`N > 1`,
overlapping pooling windows, ties, exact zeros at the ReLU's kink, large scores,
test mode, and float32 beside float64. One row per kind is marked ``course``:
the configuration the course's own numeric check uses, so the report can say
when that check alone would not have seen a mistake. :func:`case_data` draws a
case's inputs and its upstream gradient (random normal, never all ones).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "LAYER_CASES",
    "CaseInputs",
    "LayerCase",
    "case_data",
    "cases_for",
    "upstream",
]


@dataclasses.dataclass(frozen=True)
class LayerCase:
    """One configuration a layer is run on.

    Attributes
    ----------
    kind : str
        The layer kind (a key of
        :data:`~spec.check.conformance.layers.derivation.KINDS`).
    label : str
        Short identifier, unique within the kind.
    why : str
        What this case exists to catch.
    shapes : tuple of (str, tuple of int)
        The shape of each input by CS231n's name (``x``, ``w``; for a loss ``x``
        is the scores and ``y`` follows from it).
    params : tuple of (str, Any)
        The CS231n parameters (``stride``, ``pad``, ``pool_height``, ``p`` …).
    dtype : {"float64", "float32"}
    mode : {"train", "test"}
        For batch norm and dropout.
    ties : bool
        Integer-valued input: max pooling windows with tied maxima.
    zeros : bool
        Some inputs exactly 0 (the ReLU's kink).
    large : bool
        Scores near 1000: a loss that does not shift them overflows.
    second_opinion : bool
        Also compare the backward with a numeric VJP of the learner's forward.
    course : bool
        The configuration of the course's own gradient check.
    """

    kind: str
    label: str
    why: str
    shapes: tuple[tuple[str, tuple[int, ...]], ...]
    params: tuple[tuple[str, Any], ...] = ()
    dtype: str = "float64"
    mode: str = "train"
    ties: bool = False
    zeros: bool = False
    large: bool = False
    second_opinion: bool = False
    course: bool = False

    @property
    def name(self) -> str:
        """``"x (2, 3, 5, 5), w (3, 3, 3, 3), stride 1, pad 1, float64"``."""
        parts = [f"{k} {v}" for k, v in self.shapes]
        parts += [f"{k} {v}" for k, v in self.params]
        if self.mode != "train":
            parts.append(f"{self.mode} mode")
        return ", ".join([*parts, self.dtype])


def _conv(
    label: str,
    why: str,
    x: tuple[int, ...],
    w: tuple[int, ...],
    stride: int,
    pad: int,
    **flags: Any,
) -> LayerCase:
    shapes = (("x", x), ("w", w), ("b", (w[0],)))
    return LayerCase(
        "convolution", label, why, shapes, (("stride", stride), ("pad", pad)), **flags
    )


def _pool(
    kind: str,
    label: str,
    why: str,
    x: tuple[int, ...],
    window: tuple[int, int],
    stride: int,
    **flags: Any,
) -> LayerCase:
    params = (("pool_height", window[0]), ("pool_width", window[1]), ("stride", stride))
    return LayerCase(kind, label, why, (("x", x),), params, **flags)


def _norm(
    kind: str, label: str, why: str, x: tuple[int, ...], **flags: Any
) -> LayerCase:
    """A normalisation case; gamma and beta shaped as CS231n's for that kind."""
    params: tuple[tuple[str, Any], ...] = (("eps", 1e-5),)
    groups = flags.pop("groups", None)
    if kind == "groupnorm":
        param_shape: tuple[int, ...] = (1, x[1], 1, 1)
        params += (("G", groups),)
    elif kind == "spatial_batchnorm":
        param_shape = (x[1],)
    else:
        param_shape = (x[1],)
    if kind in ("batchnorm", "spatial_batchnorm"):
        # CS231n's default momentum, given explicitly: it weighs the old value.
        params += (("momentum", 0.9),)
    shapes = (("x", x), ("gamma", param_shape), ("beta", param_shape))
    return LayerCase(kind, label, why, shapes, params, **flags)


def _pools(kind: str) -> tuple[LayerCase, ...]:
    return (
        _pool(
            kind,
            "2x2-s2",
            "the course's check: 2x2 windows, stride 2, no overlap",
            (2, 3, 4, 4),
            (2, 2),
            2,
            course=True,
        ),
        _pool(
            kind,
            "3x2-s1-overlap",
            "overlapping non-square windows: dx must "
            "accumulate over the windows sharing a position",
            (2, 2, 7, 6),
            (3, 2),
            1,
            second_opinion=True,
        ),
        _pool(
            kind,
            "3x3-s2-overlap-n1",
            "overlap with stride 2 (stride in dx), N = 1",
            (1, 3, 7, 5),
            (3, 3),
            2,
        ),
        _pool(
            kind,
            "2x3-s1-f32",
            "overlapping windows in float32",
            (2, 2, 6, 5),
            (2, 3),
            1,
            dtype="float32",
        ),
        _pool(
            kind,
            "2x2-s2-ties",
            "integer inputs: tied maxima in most windows (any "
            "split of dout over them, weights >= 0 summing to 1, is right)",
            (2, 3, 6, 6),
            (2, 2),
            2,
            ties=True,
        ),
        _pool(
            kind,
            "3x3-s3-ties-f32",
            "ties in 3x3 windows, float32",
            (3, 2, 6, 9),
            (3, 3),
            3,
            ties=True,
            dtype="float32",
        ),
    )


def _dropout(
    label: str, why: str, x: tuple[int, ...], p: float, **flags: Any
) -> LayerCase:
    return LayerCase("dropout", label, why, (("x", x),), (("p", p),), **flags)


def _loss(
    kind: str, label: str, why: str, n: int, classes: int, **flags: Any
) -> LayerCase:
    return LayerCase(kind, label, why, (("x", (n, classes)),), **flags)


#: Every case, by kind, in the order they run.
LAYER_CASES: dict[str, tuple[LayerCase, ...]] = {
    "affine": (
        LayerCase(
            "affine",
            "nd-input",
            "x (N, d1, d2) read as (N, D): dx in x's shape",
            (("x", (2, 3, 4)), ("w", (12, 5)), ("b", (5,))),
            second_opinion=True,
            course=True,
        ),
        LayerCase(
            "affine",
            "n1",
            "N = 1: a missing sum over the batch hides here",
            (("x", (1, 6)), ("w", (6, 3)), ("b", (3,))),
        ),
        LayerCase(
            "affine",
            "square-f32",
            "D = M (a transposed dw has the right shape), float32",
            (("x", (4, 2, 3)), ("w", (6, 6)), ("b", (6,))),
            dtype="float32",
        ),
    ),
    "relu": (
        LayerCase(
            "relu",
            "nd",
            "random signs",
            (("x", (3, 4, 5)),),
            second_opinion=True,
            course=True,
        ),
        LayerCase(
            "relu",
            "zeros",
            "inputs exactly 0: any dx between 0 and dout there",
            (("x", (2, 6)),),
            zeros=True,
        ),
        LayerCase("relu", "f32", "float32", (("x", (4, 5)),), dtype="float32"),
    ),
    "convolution": (
        _conv(
            "s1-p1-course",
            "the course's check: stride 1, pad 1, square, C = F",
            (2, 3, 5, 5),
            (3, 3, 3, 3),
            1,
            1,
            course=True,
        ),
        _conv(
            "s2-p0",
            "stride 2 (stride in dx), non-square image and kernel, C != F",
            (2, 2, 7, 6),
            (3, 2, 3, 2),
            2,
            0,
            second_opinion=True,
        ),
        _conv(
            "s2-p2-n1",
            "pad 2 (cropping dx), stride 2, N = 1",
            (1, 3, 6, 5),
            (2, 3, 2, 3),
            2,
            2,
        ),
        _conv(
            "s1-p2-f32",
            "pad 2 with stride 1, F > C, float32",
            (3, 2, 5, 4),
            (4, 2, 3, 2),
            1,
            2,
            dtype="float32",
        ),
        _conv(
            "s2-p1-f32",
            "stride 2, pad 1, wide image, float32",
            (2, 3, 5, 7),
            (2, 3, 3, 3),
            2,
            1,
            dtype="float32",
        ),
    ),
    "max_pool": _pools("max_pool"),
    "average_pool": _pools("average_pool"),
    "batchnorm": (
        _norm(
            "batchnorm",
            "n8-d5",
            "N != D, shifted and scaled data: the mean terms "
            "matter, running statistics from non-zero values",
            (8, 5),
            second_opinion=True,
            course=True,
        ),
        _norm(
            "batchnorm",
            "square",
            "N = D: dgamma over the wrong axis has the right shape here",
            (5, 5),
        ),
        _norm("batchnorm", "n16-f32", "float32", (16, 3), dtype="float32"),
        _norm(
            "batchnorm",
            "test",
            "test mode: the running statistics, not the batch's",
            (6, 4),
            mode="test",
        ),
        _norm(
            "batchnorm",
            "test-f32",
            "test mode, float32",
            (5, 3),
            mode="test",
            dtype="float32",
        ),
    ),
    "layernorm": (
        _norm("layernorm", "n4-d6", "N != D", (4, 6), second_opinion=True, course=True),
        _norm(
            "layernorm", "n1", "N = 1 (fine for layer norm, unlike batch norm)", (1, 5)
        ),
        _norm("layernorm", "square", "N = D", (6, 6)),
        _norm("layernorm", "f32", "float32", (7, 4), dtype="float32"),
    ),
    "spatial_batchnorm": (
        _norm(
            "spatial_batchnorm",
            "c3",
            "H != W, C = 3: a reshape without moving the channel axis mixes channels",
            (2, 3, 4, 5),
            second_opinion=True,
            course=True,
        ),
        _norm("spatial_batchnorm", "f32", "float32", (3, 2, 3, 3), dtype="float32"),
        _norm("spatial_batchnorm", "test", "test mode", (2, 3, 4, 5), mode="test"),
    ),
    "groupnorm": (
        _norm(
            "groupnorm",
            "g2",
            "two groups of three channels",
            (2, 6, 3, 4),
            groups=2,
            second_opinion=True,
            course=True,
        ),
        _norm(
            "groupnorm", "g4-n1", "one channel per group, N = 1", (1, 4, 2, 3), groups=4
        ),
        _norm(
            "groupnorm",
            "g3-f32",
            "three groups, float32",
            (3, 6, 2, 2),
            groups=3,
            dtype="float32",
        ),
    ),
    "dropout": (
        _dropout(
            "p075",
            "p = 0.75 (keep): the kept fraction tells keep from drop",
            (40, 50),
            0.75,
            course=True,
        ),
        _dropout("p06-f32", "p = 0.6, float32", (25, 40), 0.6, dtype="float32"),
        _dropout("n1", "N = 1", (1, 1000), 0.8),
        _dropout("test", "test mode: the identity", (30, 40), 0.75, mode="test"),
    ),
    "softmax_loss": (
        _loss("softmax_loss", "n5", "N > 1", 5, 4, second_opinion=True, course=True),
        _loss("softmax_loss", "n1", "N = 1: not dividing by N hides here", 1, 3),
        _loss(
            "softmax_loss",
            "large",
            "scores near 1000: exp overflows unless shifted",
            6,
            5,
            large=True,
        ),
        _loss("softmax_loss", "f32", "float32", 8, 10, dtype="float32"),
    ),
    "hinge_loss": (
        _loss("hinge_loss", "n5", "N > 1", 5, 4, second_opinion=True, course=True),
        _loss("hinge_loss", "n1", "N = 1", 1, 3),
        _loss("hinge_loss", "f32", "float32", 8, 10, dtype="float32"),
    ),
}


def cases_for(kind: str) -> tuple[LayerCase, ...]:
    """The cases of one kind; ``ValueError`` for an unknown kind."""
    if kind not in LAYER_CASES:
        raise ValueError(f"kind must be one of {list(LAYER_CASES)}, got {kind!r}")
    return LAYER_CASES[kind]


@dataclasses.dataclass(frozen=True)
class CaseInputs:
    """A case's data: inputs and CS231n parameters in the case's dtype, and dout.

    ``dout`` is ``None`` for a loss (its upstream gradient is the scalar 1) and
    is drawn after the forward's output shape is known otherwise
    (:func:`upstream`).
    """

    inputs: dict[str, NDArray]
    params: dict[str, Any]


def case_data(case: LayerCase, rng: np.random.Generator) -> CaseInputs:
    """Draw the inputs and parameters of ``case`` (see :class:`CaseInputs`)."""
    dtype = np.dtype(case.dtype)
    shapes = dict(case.shapes)
    inputs: dict[str, NDArray] = {}
    for name, shape in shapes.items():
        inputs[name] = rng.standard_normal(shape)
    x = inputs["x"]
    if case.ties:
        # Values 0, 1, 2: most windows hold their maximum more than once.
        x = rng.integers(0, 3, size=x.shape).astype(np.float64)
    if case.zeros:
        x = np.where(rng.random(x.shape) < 0.3, 0.0, x)
    if case.kind in ("batchnorm", "spatial_batchnorm", "layernorm", "groupnorm"):
        # Away from mean 0 and variance 1, so that every term of dx is exercised.
        x = 1.5 + 2.0 * x
    if case.kind in ("softmax_loss", "hinge_loss"):
        x = 3.0 * x + (1000.0 if case.large else 0.0)
        inputs["y"] = rng.integers(0, x.shape[1], size=len(x))
    inputs["x"] = x
    params = dict(case.params)
    if case.kind in ("batchnorm", "spatial_batchnorm"):
        n_features = shapes["x"][1]
        params["mode"] = case.mode
        params["running_mean"] = rng.standard_normal(n_features).astype(dtype)
        params["running_var"] = rng.uniform(0.5, 2.0, n_features).astype(dtype)
    if case.kind == "dropout":
        params["mode"] = case.mode
        params["seed"] = int(rng.integers(0, 2**31 - 1))
    cast = {k: (v if k == "y" else v.astype(dtype)) for k, v in inputs.items()}
    return CaseInputs(cast, params)


def upstream(shape: tuple[int, ...], dtype: str, rng: np.random.Generator) -> NDArray:
    """A random upstream gradient, standard normal: never all ones, under which
    batch norm's dx is zero whatever the code."""
    return rng.standard_normal(shape).astype(dtype)
