r"""The catalogue of known layer mistakes, each a one-method override of the derivation.

Every entry of :data:`LAYER_MISTAKES` is a subclass of
:class:`~spec.check.conformance.layers.derivation.LayerDerivation` that replaces
the one line it gets wrong, and carries its own ``name``, the layer ``kinds`` it
concerns, the ``part`` of the layer (forward, backward, running statistics), a
``title`` in words and the line it ``breaks`` as it should read. The diagnosis
of :func:`spec.check_layer` evaluates every entry of the layer's kind on every
case and names the one whose outputs the learner's equal wherever their code
computes.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from spec.check.conformance.layers.derivation import LayerDerivation

__all__ = ["LAYER_MISTAKES", "LayerMistake", "mistakes_for"]

_NORMS = ("batchnorm", "spatial_batchnorm", "layernorm", "groupnorm")
_BATCH_NORMS = ("batchnorm", "spatial_batchnorm")


class LayerMistake(LayerDerivation):
    """A known mistake: the derivation with one line wrong, and what it is."""

    name: ClassVar[str] = ""
    kinds: ClassVar[tuple[str, ...]] = ()
    part: ClassVar[str] = "backward"
    title: ClassVar[str] = ""
    breaks: ClassVar[str] = ""


# -- convolution --------------------------------------------------------------
class ConvKernelFlipped(LayerMistake):
    name = "conv_dx_kernel_flipped"
    kinds = ("convolution",)
    title = (
        "the kernel flipped in dx (scattering w[f, :, ::-1, ::-1]; equally, dx as a "
        "correlation of dout with the unflipped kernel)"
    )
    breaks = "dx_pad[n, :, s*i:s*i+HH, s*j:s*j+WW] += w[f] * dout[n, f, i, j]"

    def conv_dx_kernel(self, w: NDArray) -> NDArray:
        return w[:, :, ::-1, ::-1]


class ConvDwWindowFlipped(LayerMistake):
    name = "conv_dw_window_flipped"
    kinds = ("convolution",)
    title = "dw from the input window flipped (as if the forward were a convolution)"
    breaks = "dw[f] += x_pad[n, :, s*i:s*i+HH, s*j:s*j+WW] * dout[n, f, i, j]"

    def conv_dw_window(self, window: NDArray) -> NDArray:
        return window[:, :, ::-1, ::-1]


class ConvStrideIgnored(LayerMistake):
    name = "conv_dx_stride_ignored"
    kinds = ("convolution",)
    title = "the stride ignored in dx: output position i scattered back at i, not s*i"
    breaks = "the window of output position i starts at s*i in dx_pad"

    def conv_dx_offset(self, i: int, stride: int) -> int:
        return i


class ConvPaddingNotCropped(LayerMistake):
    name = "conv_dx_padding_not_cropped"
    kinds = ("convolution",)
    title = "dx returned with the padding still on: (N, C, H + 2p, W + 2p)"
    breaks = "dx = dx_pad[:, :, pad:-pad, pad:-pad]"

    def conv_dx_crop(self, dxp: NDArray, pad: int) -> NDArray:
        return dxp


class ConvDbOneExample(LayerMistake):
    name = "conv_db_no_batch_sum"
    kinds = ("convolution",)
    title = (
        "db missing the sum over the batch: assigned per example, so only the "
        "last example's sum remains"
    )
    breaks = "db[f] = sum over n, i, j of dout[n, f, i, j]"

    def conv_db_batch(self, per_example: NDArray) -> NDArray:
        return per_example[-1]


class ConvDbOnePosition(LayerMistake):
    name = "conv_db_no_position_sum"
    kinds = ("convolution",)
    title = (
        "db missing the sum over output positions: only the last position's dout "
        "(summed over the batch)"
    )
    breaks = "db[f] = sum over n, i, j of dout[n, f, i, j]"

    def conv_db_positions(self, g: NDArray) -> NDArray:
        return g[:, :, -1, -1]


class ConvDwOneExample(LayerMistake):
    name = "conv_dw_no_batch_sum"
    kinds = ("convolution",)
    title = (
        "dw missing the sum over the batch: assigned per example, so only the last "
        "example's contribution remains"
    )
    breaks = "dw[f] = sum over n, i, j of x_pad[n, :, window(i, j)] * dout[n, f, i, j]"

    def conv_dw_batch(self, per_example: NDArray) -> NDArray:
        return per_example[-1]


class ConvDwBatchMean(LayerMistake):
    name = "conv_dw_batch_mean"
    kinds = ("convolution",)
    title = "dw averaged over the batch (divided by N) where the layer's VJP sums"
    breaks = "dw[f] = sum over n, i, j of x_pad[n, :, window(i, j)] * dout[n, f, i, j]"

    def conv_dw_batch(self, per_example: NDArray) -> NDArray:
        return per_example.mean(axis=0)


# -- pooling ------------------------------------------------------------------
class PoolOverwritten(LayerMistake):
    name = "pool_overlap_overwritten"
    kinds = ("max_pool", "average_pool")
    title = (
        "overlapping windows overwrite dx instead of accumulating into it "
        "(dx[window] = ... for dx[window] += ...)"
    )
    breaks = "dx[n, c, window(i, j)] += weights * dout[n, c, i, j]"

    def pool_accumulate(self, current: NDArray, contribution: NDArray) -> NDArray:
        return contribution


class PoolStrideIgnored(LayerMistake):
    name = "pool_dx_stride_ignored"
    kinds = ("max_pool", "average_pool")
    title = "the stride ignored in dx: output position i sent back to window i, not s*i"
    breaks = "the window of output position i starts at s*i"

    def pool_dx_offset(self, i: int, stride: int) -> int:
        return i


class MaxPoolTiesWhole(LayerMistake):
    name = "max_pool_ties_whole_gradient"
    kinds = ("max_pool",)
    title = (
        "every tied maximal position given the whole upstream gradient "
        "(mask = window == max): the weights sum to more than 1"
    )
    breaks = "weights >= 0 on the maximal positions, summing to 1"

    def max_pool_split(self, patch: NDArray) -> NDArray:
        return (patch == patch.max(axis=(2, 3), keepdims=True)).astype(np.float64)


class AveragePoolNotDivided(LayerMistake):
    name = "average_pool_not_divided"
    kinds = ("average_pool",)
    title = "average pooling's dx not divided by the window size"
    breaks = "dx[n, c, window(i, j)] += dout[n, c, i, j] / (ph * pw)"

    def average_pool_scale(self, ph: int, pw: int) -> float:
        return 1.0


# -- normalisation ------------------------------------------------------------
class NormNoMeanTerms(LayerMistake):
    name = "norm_dx_without_mean_terms"
    kinds = _NORMS
    title = "dx without the terms through the mean (the mean treated as a constant)"
    breaks = "dx = inv_std * (u - mean(u) - x_hat * mean(u * x_hat)), u = gamma * dout"

    def mean_term(self, u: NDArray, axis: Any) -> NDArray:
        return np.zeros_like(u.mean(axis=axis, keepdims=True))


class NormNoVarianceTerm(LayerMistake):
    name = "norm_dx_without_variance_term"
    kinds = _NORMS
    title = (
        "dx without the term through the variance (the variance treated as a "
        "constant); an all-ones dout hides it"
    )
    breaks = "dx = inv_std * (u - mean(u) - x_hat * mean(u * x_hat)), u = gamma * dout"

    def variance_term(self, u: NDArray, x_hat: NDArray, axis: Any) -> NDArray:
        return np.zeros_like(x_hat.mean(axis=axis, keepdims=True))


class NormStatisticsConstant(LayerMistake):
    name = "norm_dx_statistics_constant"
    kinds = _NORMS
    title = "dx = gamma * dout / sqrt(var + eps): mean and variance both treated as constants"
    breaks = "dx = inv_std * (u - mean(u) - x_hat * mean(u * x_hat)), u = gamma * dout"

    def normalise_dx(
        self, u: NDArray, x_hat: NDArray, inv_std: NDArray, axis: Any
    ) -> NDArray:
        return inv_std * u


class NormParametersWrongAxis(LayerMistake):
    name = "norm_dgamma_dbeta_wrong_axis"
    kinds = ("batchnorm", "layernorm")
    title = "dgamma and dbeta summed over the features (axis 1) instead of the batch"
    breaks = "dgamma = sum(dout * x_hat, axis=0); dbeta = sum(dout, axis=0)"

    def parameter_sum(self, values: NDArray) -> NDArray:
        return values.sum(axis=1)


class NormUnbiasedVariance(LayerMistake):
    name = "norm_unbiased_variance"
    kinds = _NORMS
    part = "forward"
    title = (
        "x normalised with the unbiased variance (ddof=1) where the biased one belongs"
    )
    breaks = "var = x.var(axis) (divided by the count)"

    def variance(self, x: NDArray, axis: Any) -> NDArray:
        return x.var(axis=axis, ddof=1, keepdims=True)


class RunningVarianceUnbiased(LayerMistake):
    name = "running_var_unbiased"
    kinds = _BATCH_NORMS
    part = "running statistics"
    title = "the running variance averages the unbiased batch variance (PyTorch's)"
    breaks = "running_var = momentum * running_var + (1 - momentum) * x.var(axis=0)"

    def running_variance(self, rows: NDArray, var: NDArray) -> NDArray:
        return rows.var(axis=0, ddof=1, keepdims=True)


class RunningMomentumSwapped(LayerMistake):
    name = "running_momentum_swapped"
    kinds = _BATCH_NORMS
    part = "running statistics"
    title = (
        "the momentum weighs the batch statistic instead of the old value "
        "(PyTorch's momentum=0.1 convention given CS231n's 0.9)"
    )
    breaks = "running = momentum * running + (1 - momentum) * batch"

    def running(self, old: NDArray, batch: NDArray, momentum: float) -> NDArray:
        return (1.0 - momentum) * old + momentum * batch


class TestModeBatchStatistics(LayerMistake):
    name = "test_mode_batch_statistics"
    kinds = _BATCH_NORMS
    part = "forward (test mode)"
    title = "test mode normalises with the batch statistics instead of the running ones"
    breaks = "out = gamma * (x - running_mean) / sqrt(running_var + eps) + beta"

    def test_statistics(
        self, rows: NDArray, running_mean: NDArray, running_var: NDArray
    ) -> tuple[NDArray, NDArray]:
        return rows.mean(axis=0), rows.var(axis=0)


class LayerNormBatchAxis(LayerMistake):
    name = "layernorm_over_batch_axis"
    kinds = ("layernorm",)
    part = "forward"
    title = "layer norm's statistics taken over the batch (axis 0), as batch norm's"
    breaks = "mean and var of each example over its features (axis 1)"

    def layernorm_axis(self) -> int:
        return 0


class SpatialReshapeNoTranspose(LayerMistake):
    name = "spatial_reshape_without_transpose"
    kinds = ("spatial_batchnorm",)
    part = "forward"
    title = (
        "x reshaped to (-1, C) without moving the channel axis last: the columns "
        "mix channels and positions"
    )
    breaks = "rows = x.transpose(0, 2, 3, 1).reshape(-1, C)"

    def channel_order(self) -> tuple[int, int, int, int]:
        return (0, 1, 2, 3)


# -- dropout ------------------------------------------------------------------
class DropoutPAsDrop(LayerMistake):
    name = "dropout_p_as_drop"
    kinds = ("dropout",)
    part = "forward"
    title = (
        "p read as the probability of dropping a unit (mask = rand >= p; the course's "
        "older convention), not of keeping it"
    )
    breaks = "mask = (rand < p) / p, p the probability of keeping"

    def dropout_keep(self, p: float) -> float:
        return 1.0 - p


class DropoutNoScaling(LayerMistake):
    name = "dropout_no_scaling"
    kinds = ("dropout",)
    part = "forward"
    title = "the kept units not scaled by 1/p (plain dropout, not inverted)"
    breaks = "mask = (rand < p) / p"

    def dropout_scale(self, p: float) -> float:
        return 1.0


class DropoutBackwardNoScaling(LayerMistake):
    name = "dropout_backward_no_scaling"
    kinds = ("dropout",)
    title = "the backward multiplies by the 0/1 mask, without the forward's 1/p"
    breaks = "dx = dout * mask, mask = (rand < p) / p as in the forward"

    def dropout_dx_scale(self, p: float) -> float:
        return 1.0


class DropoutAtTest(LayerMistake):
    name = "dropout_at_test_time"
    kinds = ("dropout",)
    part = "forward (test mode)"
    title = "dropout applied at test time too"
    breaks = "out = x in test mode"

    def dropout_test(
        self, x: NDArray, kept: NDArray, p: float
    ) -> tuple[NDArray, float]:
        return x * kept * self.dropout_scale(p), self.dropout_keep(p)


# -- affine, relu -------------------------------------------------------------
class AffineDxNotReshaped(LayerMistake):
    name = "affine_dx_not_reshaped"
    kinds = ("affine",)
    title = "dx left as (N, D) instead of x's own shape (N, d_1, ..., d_k)"
    breaks = "dx = (dout @ w.T).reshape(x.shape)"

    def affine_dx_shape(self, dx_rows: NDArray, x: NDArray) -> NDArray:
        return dx_rows


class AffineDbMean(LayerMistake):
    name = "affine_db_batch_mean"
    kinds = ("affine",)
    title = "db averaged over the batch (divided by N) where the layer's VJP sums"
    breaks = "db = dout.sum(axis=0)"

    def affine_db(self, g: NDArray) -> NDArray:
        return g.mean(axis=0)


class AffineDwTransposed(LayerMistake):
    name = "affine_dw_transposed"
    kinds = ("affine",)
    title = "dw transposed: dout.T @ x, shaped (M, D), for x.T @ dout"
    breaks = "dw = x.reshape(N, -1).T @ dout"

    def affine_dw(self, rows: NDArray, g: NDArray) -> NDArray:
        return g.T @ rows


class ReluMaskFromDout(LayerMistake):
    name = "relu_mask_from_dout"
    kinds = ("relu",)
    title = "the ReLU mask taken from dout > 0 instead of x > 0"
    breaks = "dx = dout * (x > 0)"

    def relu_dx(self, g: NDArray, x: NDArray) -> NDArray:
        return g * (g > 0)


# -- losses -------------------------------------------------------------------
class LossNotDivided(LayerMistake):
    name = "loss_not_divided_by_n"
    kinds = ("softmax_loss", "hinge_loss")
    part = "loss and dx"
    title = "the loss and its gradient summed over the examples, not divided by N"
    breaks = "loss = (1/N) sum_n loss_n; dx = (1/N) d(sum_n loss_n)"

    def loss_normaliser(self, n: int) -> float:
        return 1.0


class SoftmaxNotShifted(LayerMistake):
    name = "softmax_not_shifted"
    kinds = ("softmax_loss",)
    part = "loss and dx"
    title = "exp of the raw scores, not shifted by their maximum: overflow (inf, nan) on large scores"
    breaks = "p = exp(s - max s) / sum exp(s - max s)"

    def softmax_shift(self, scores: NDArray) -> NDArray:
        return np.zeros((len(scores), 1))


class HingeCountsCorrectClass(LayerMistake):
    name = "hinge_counts_correct_class"
    kinds = ("hinge_loss",)
    part = "loss"
    title = "the correct class's own margin (1) counted in the loss"
    breaks = "loss_n = sum over j != y_n of max(0, s_j - s_y + 1)"

    def hinge_margins(self, scores: NDArray, y: NDArray) -> NDArray:
        n = len(scores)
        return np.maximum(0.0, scores - scores[np.arange(n), y][:, None] + 1.0)


#: The known layer mistakes, in the order the diagnosis tries them.
LAYER_MISTAKES: tuple[LayerMistake, ...] = (
    ConvKernelFlipped(),
    ConvDwWindowFlipped(),
    ConvStrideIgnored(),
    ConvPaddingNotCropped(),
    ConvDbOneExample(),
    ConvDbOnePosition(),
    ConvDwOneExample(),
    ConvDwBatchMean(),
    PoolOverwritten(),
    PoolStrideIgnored(),
    MaxPoolTiesWhole(),
    AveragePoolNotDivided(),
    NormNoMeanTerms(),
    NormNoVarianceTerm(),
    NormStatisticsConstant(),
    NormParametersWrongAxis(),
    NormUnbiasedVariance(),
    RunningVarianceUnbiased(),
    RunningMomentumSwapped(),
    TestModeBatchStatistics(),
    LayerNormBatchAxis(),
    SpatialReshapeNoTranspose(),
    DropoutPAsDrop(),
    DropoutNoScaling(),
    DropoutBackwardNoScaling(),
    DropoutAtTest(),
    AffineDxNotReshaped(),
    AffineDbMean(),
    AffineDwTransposed(),
    ReluMaskFromDout(),
    LossNotDivided(),
    SoftmaxNotShifted(),
    HingeCountsCorrectClass(),
)


def mistakes_for(kind: str) -> tuple[LayerMistake, ...]:
    """The catalogue's entries for one layer kind."""
    return tuple(m for m in LAYER_MISTAKES if kind in m.kinds)
