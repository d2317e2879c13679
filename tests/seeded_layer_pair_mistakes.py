"""Known mistakes seeded into the CS231n-style look-alike (``cs231n_layers.py``).

Each :class:`SeededPair` is a modified copy of the look-alike: one or a few
textual edits of one layer's functions, the pair of functions to check, and the
catalogue name the diagnosis must give (``None`` for the two seeded problems that
are findings, not catalogued mistakes: a seed ignored, an input written into).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import ModuleType

from spec.check.conformance.layers.files import load_layers_file

SOURCE = Path(__file__).with_name("cs231n_layers.py")


@dataclasses.dataclass(frozen=True)
class SeededPair:
    """A modified copy of the look-alike and what the check must say of it.

    Attributes
    ----------
    label : str
        Unique identifier of the seeded copy.
    expected : str or None
        The catalogue name the diagnosis must give, ``None`` if none applies.
    kind, forward, backward : str
        The pair to check (``backward`` ``None`` for a loss).
    edits : tuple of (str, str)
        Each ``(old, new)``: ``old`` occurs exactly once in the source.
    """

    label: str
    expected: str | None
    kind: str
    forward: str
    backward: str | None
    edits: tuple[tuple[str, str], ...]

    def source(self) -> str:
        """The look-alike with the edits applied."""
        text = SOURCE.read_text()
        for old, new in self.edits:
            count = text.count(old)
            if count != 1:
                raise ValueError(
                    f"{self.label}: {old!r} occurs {count} times, expected once"
                )
            text = text.replace(old, new)
        return text

    def load(self, directory: Path) -> ModuleType:
        """Write the modified copy into ``directory`` and import it."""
        path = directory / f"layers_{self.label}.py"
        path.write_text(self.source())
        return load_layers_file(path)


_CONV = ("convolution", "conv_forward_naive", "conv_backward_naive")
_MAX = ("max_pool", "max_pool_forward_naive", "max_pool_backward_naive")
_AVG = ("average_pool", "avg_pool_forward_naive", "avg_pool_backward_naive")
_BN = ("batchnorm", "batchnorm_forward", "batchnorm_backward")
_BN_ALT = ("batchnorm", "batchnorm_forward", "batchnorm_backward_alt")
_LN = ("layernorm", "layernorm_forward", "layernorm_backward")
_SBN = ("spatial_batchnorm", "spatial_batchnorm_forward", "spatial_batchnorm_backward")
_GN = ("groupnorm", "spatial_groupnorm_forward", "spatial_groupnorm_backward")
_DROP = ("dropout", "dropout_forward", "dropout_backward")
_AFFINE = ("affine", "affine_forward", "affine_backward")
_RELU = ("relu", "relu_forward", "relu_backward")
_SOFTMAX = ("softmax_loss", "softmax_loss", None)
_SVM = ("hinge_loss", "svm_loss", None)

_DX_SCATTER = "dx_pad[n, :, top : top + HH, left : left + WW] += w[f] * g"
_DW_GATHER = "dw[f] += x_pad[n, :, top : top + HH, left : left + WW] * g"
_G_LINE = "                    g = dout[n, f, i, j]\n"
_MAX_SCATTER = (
    "                    a, b = np.unravel_index(np.argmax(window), window.shape)\n"
    "                    dx[n, c, top + a, left + b] += dout[n, c, i, j]\n"
)
_RUNNING = (
    "        running_mean = momentum * running_mean + (1 - momentum) * mu\n"
    "        running_var = momentum * running_var + (1 - momentum) * var\n"
)
_LN_DX = (
    "    dx = D * dx_hat - dx_hat.sum(axis=1, keepdims=True)\n"
    "    dx -= x_hat * np.sum(dx_hat * x_hat, axis=1, keepdims=True)\n"
)
_MASK = "mask = (np.random.rand(*x.shape) < p) / p"
_SOFTMAX_N = (
    "    loss = -np.sum(log_probs[np.arange(N), y]) / N\n"
    "    dx = np.exp(log_probs)\n"
    "    dx[np.arange(N), y] -= 1\n"
    "    dx /= N\n"
)


def _seed(
    label: str, expected: str | None, pair: tuple, *edits: tuple[str, str]
) -> SeededPair:
    return SeededPair(label, expected, *pair, edits=edits)


#: The seeded copies, one or more per layer.
SEEDED_PAIRS: tuple[SeededPair, ...] = (
    _seed(
        "conv_kernel_flipped",
        "conv_dx_kernel_flipped",
        _CONV,
        (_DX_SCATTER, _DX_SCATTER.replace("w[f]", "w[f, :, ::-1, ::-1]")),
    ),
    _seed(
        "conv_dw_flipped",
        "conv_dw_window_flipped",
        _CONV,
        (_DW_GATHER, _DW_GATHER.replace("WW] * g", "WW][:, ::-1, ::-1] * g")),
    ),
    _seed(
        "conv_stride_ignored",
        "conv_dx_stride_ignored",
        _CONV,
        (_DX_SCATTER, "dx_pad[n, :, i : i + HH, j : j + WW] += w[f] * g"),
    ),
    _seed(
        "conv_padding_kept",
        "conv_dx_padding_not_cropped",
        _CONV,
        ("dx = dx_pad[:, :, pad : pad + H, pad : pad + W]", "dx = dx_pad"),
    ),
    _seed(
        "conv_db_last_example",
        "conv_db_no_batch_sum",
        _CONV,
        ("db[f] += g", "db[f] = np.sum(dout[n, f])"),
    ),
    _seed(
        "conv_db_last_position",
        "conv_db_no_position_sum",
        _CONV,
        ("db[f] += g", "db[f] = np.sum(dout[:, f, i, j])"),
    ),
    _seed(
        "conv_dw_last_example",
        "conv_dw_no_batch_sum",
        _CONV,
        (
            _G_LINE,
            _G_LINE + "                    if i == 0 and j == 0:\n"
            "                        dw[f] = 0\n",
        ),
    ),
    _seed(
        "conv_dw_mean",
        "conv_dw_batch_mean",
        _CONV,
        (
            "pad : pad + W]\n    return dx, dw, db",
            "pad : pad + W]\n    return dx, dw / N, db",
        ),
    ),
    _seed(
        "max_pool_overwrite",
        "pool_overlap_overwritten",
        _MAX,
        (
            _MAX_SCATTER,
            (
                "                    a, b = np.unravel_index(np.argmax(window), window.shape)\n"
                "                    mask = np.zeros(window.shape)\n"
                "                    mask[a, b] = 1\n"
                "                    dx[n, c, top : top + ph, left : left + pw] = mask * dout[n, c, i, j]\n"
            ),
        ),
    ),
    _seed(
        "max_pool_ties",
        "max_pool_ties_whole_gradient",
        _MAX,
        (
            _MAX_SCATTER,
            (
                "                    mask = window == np.max(window)\n"
                "                    dx[n, c, top : top + ph, left : left + pw] += mask * dout[n, c, i, j]\n"
            ),
        ),
    ),
    _seed(
        "max_pool_stride",
        "pool_dx_stride_ignored",
        _MAX,
        (
            (
                "                    top, left = i * stride, j * stride\n"
                "                    window = x[n, c,"
            ),
            (
                "                    top, left = i, j\n"
                "                    window = x[n, c,"
            ),
        ),
    ),
    _seed(
        "avg_pool_not_divided",
        "average_pool_not_divided",
        _AVG,
        ("share = dout[:, :, i, j] / (ph * pw)", "share = dout[:, :, i, j]"),
    ),
    _seed(
        "avg_pool_overwrite",
        "pool_overlap_overwritten",
        _AVG,
        (
            "left : left + pw] += share[:, :, None, None]",
            "left : left + pw] = share[:, :, None, None]",
        ),
    ),
    _seed(
        "bn_alt_no_mean_terms",
        "norm_dx_without_mean_terms",
        _BN_ALT,
        ("dx = N * dx_hat - dx_hat.sum(axis=0) - x_hat", "dx = N * dx_hat - x_hat"),
    ),
    _seed(
        "bn_no_variance_term",
        "norm_dx_without_variance_term",
        _BN,
        ("dx_mu = dx_hat / std + 2 * x_mu * dvar / N", "dx_mu = dx_hat / std"),
    ),
    _seed(
        "bn_statistics_constant",
        "norm_dx_statistics_constant",
        _BN,
        ("dx = dx_mu + dmu / N", "dx = dx_hat / std"),
    ),
    _seed(
        "bn_parameters_axis",
        "norm_dgamma_dbeta_wrong_axis",
        _BN,
        (
            (
                "    dbeta = dout.sum(axis=0)\n    dgamma = np.sum(dout * x_hat, axis=0)\n"
                "    dx_hat = dout * gamma\n    x_mu"
            ),
            (
                "    dbeta = dout.sum(axis=1)\n    dgamma = np.sum(dout * x_hat, axis=1)\n"
                "    dx_hat = dout * gamma\n    x_mu"
            ),
        ),
    ),
    _seed(
        "bn_unbiased",
        "norm_unbiased_variance",
        _BN_ALT,
        ("        var = x.var(axis=0)\n", "        var = x.var(axis=0, ddof=1)\n"),
    ),
    _seed(
        "bn_running_unbiased",
        "running_var_unbiased",
        _BN,
        ("(1 - momentum) * var\n", "(1 - momentum) * x.var(axis=0, ddof=1)\n"),
    ),
    _seed(
        "bn_momentum",
        "running_momentum_swapped",
        _BN,
        (
            _RUNNING,
            (
                "        running_mean = (1 - momentum) * running_mean + momentum * mu\n"
                "        running_var = (1 - momentum) * running_var + momentum * var\n"
            ),
        ),
    ),
    _seed(
        "bn_test_batch",
        "test_mode_batch_statistics",
        _BN,
        (
            "out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta",
            "out = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta",
        ),
    ),
    _seed(
        "ln_batch_axis",
        "layernorm_over_batch_axis",
        _LN,
        (
            "    mu = x.mean(axis=1, keepdims=True)\n    var = x.var(axis=1, keepdims=True)\n",
            "    mu = x.mean(axis=0, keepdims=True)\n    var = x.var(axis=0, keepdims=True)\n",
        ),
        ("    D = dout.shape[1]\n", "    D = dout.shape[0]\n"),
        (_LN_DX, _LN_DX.replace("axis=1", "axis=0")),
    ),
    _seed(
        "ln_no_mean_terms",
        "norm_dx_without_mean_terms",
        _LN,
        (_LN_DX, _LN_DX.replace(" - dx_hat.sum(axis=1, keepdims=True)", "")),
    ),
    _seed(
        "sbn_reshape",
        "spatial_reshape_without_transpose",
        _SBN,
        ("rows = x.transpose(0, 2, 3, 1).reshape(-1, C)", "rows = x.reshape(-1, C)"),
        (
            "out = out_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)",
            "out = out_rows.reshape(N, C, H, W)",
        ),
        (
            "rows = dout.transpose(0, 2, 3, 1).reshape(-1, C)",
            "rows = dout.reshape(-1, C)",
        ),
        (
            "dx = dx_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)",
            "dx = dx_rows.reshape(N, C, H, W)",
        ),
    ),
    _seed(
        "gn_no_variance_term",
        "norm_dx_without_variance_term",
        _GN,
        ("    dx -= x_hat_g * np.sum(dx_hat * x_hat_g, axis=2, keepdims=True)\n", ""),
    ),
    _seed(
        "dropout_drop",
        "dropout_p_as_drop",
        _DROP,
        (_MASK, "mask = (np.random.rand(*x.shape) >= p) / (1 - p)"),
    ),
    _seed(
        "dropout_unscaled",
        "dropout_no_scaling",
        _DROP,
        (_MASK, "mask = (np.random.rand(*x.shape) < p) * 1.0"),
    ),
    _seed(
        "dropout_backward_unscaled",
        "dropout_backward_no_scaling",
        _DROP,
        ("dx = dout * mask", "dx = dout * (mask > 0)"),
    ),
    _seed(
        "dropout_at_test",
        "dropout_at_test_time",
        _DROP,
        (
            '    elif mode == "test":\n        out = x\n',
            '    elif mode == "test":\n        out = x * (np.random.rand(*x.shape) < p) / p\n',
        ),
    ),
    _seed(
        "dropout_seed_ignored",
        None,
        _DROP,
        ('np.random.seed(dropout_param["seed"])', "pass"),
    ),
    _seed(
        "affine_dx_rows",
        "affine_dx_not_reshaped",
        _AFFINE,
        ("dx = dout.dot(w.T).reshape(x.shape)", "dx = dout.dot(w.T)"),
    ),
    _seed(
        "affine_db_mean",
        "affine_db_batch_mean",
        _AFFINE,
        ("db = np.sum(dout, axis=0)", "db = np.mean(dout, axis=0)"),
    ),
    _seed(
        "affine_dw_transposed",
        "affine_dw_transposed",
        _AFFINE,
        ("dw = rows.T.dot(dout)", "dw = dout.T.dot(rows)"),
    ),
    _seed(
        "relu_dout_mask",
        "relu_mask_from_dout",
        _RELU,
        ("dx = dout * (x > 0)", "dx = dout * (dout > 0)"),
    ),
    _seed(
        "relu_in_place",
        None,
        _RELU,
        ("    out = np.maximum(0, x)\n", "    out = x\n    out[out < 0] = 0\n"),
    ),
    _seed(
        "softmax_sum",
        "loss_not_divided_by_n",
        _SOFTMAX,
        (_SOFTMAX_N, _SOFTMAX_N.replace(" / N", "").replace("    dx /= N\n", "")),
    ),
    _seed(
        "softmax_unshifted",
        "softmax_not_shifted",
        _SOFTMAX,
        ("shifted = x - np.max(x, axis=1, keepdims=True)", "shifted = x"),
    ),
    _seed(
        "svm_correct_class",
        "hinge_counts_correct_class",
        _SVM,
        ("    margins[np.arange(N), y] = 0\n", ""),
    ),
    _seed(
        "svm_sum",
        "loss_not_divided_by_n",
        _SVM,
        ("loss = np.sum(margins) / N", "loss = np.sum(margins)"),
        (
            "    dx /= N\n    return loss, dx\n\n\ndef softmax_loss",
            "    return loss, dx\n\n\ndef softmax_loss",
        ),
    ),
)
