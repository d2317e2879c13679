r"""Every layer's forward and backward re-derived in float64 NumPy, one method per line.

:class:`LayerDerivation` is the reference of :func:`spec.check_layer`: for each
layer kind it computes what the learner's forward must return (the output, and
batch norm's running statistics) and the vector-Jacobian product their backward
must return for a given upstream gradient. It is written here from each layer's
definition, by loops over output positions that read like the textbook
backward, and does not use :mod:`backprop`:

- convolution (cross-correlation, zero padding :math:`p`, stride :math:`s`):
  :math:`y_{n f i j} = b_f + \sum_{c a b} w_{f c a b}\, \tilde x_{n c,\, s i + a,\,
  s j + b}` where :math:`\tilde x` is the padded input, so every upstream entry
  :math:`g_{n f i j}` scatters back as :math:`g_{n f i j} w_{f c a b}` into
  :math:`\tilde x` at offset :math:`(s i, s j)`; the padding is then cropped.
  :math:`\partial w_{f c a b} = \sum_{n i j} g_{n f i j} \tilde x_{n c,\, s i + a,\,
  s j + b}` and :math:`\partial b_f = \sum_{n i j} g_{n f i j}`;
- max pooling sends each upstream entry to the maximal position of its window
  (the first in row-major order at a tie; any split with weights :math:`\ge 0`
  summing to 1 is a subgradient, and :mod:`~spec.check.conformance.layers.compare` accepts exactly those),
  accumulating over overlapping windows; average pooling spreads it as
  :math:`g / (h w)`;
- normalisation (batch, layer, spatial batch, group norm) over the axes of its
  statistics: with :math:`\hat x = (x - \mu) / \sqrt{v + \epsilon}` (biased
  :math:`v`) and :math:`\gamma`-scaled upstream :math:`u = \gamma g`,
  :math:`\partial x = (v + \epsilon)^{-1/2} (u - \overline{u} - \hat x\,
  \overline{u \hat x})`, bars being means over the statistics' axes; the running
  statistics follow CS231n: :math:`r \leftarrow m\, r + (1 - m)\, \text{batch}`
  with :math:`m = 0.9` weighing the old value;
- inverted dropout with keep probability :math:`p`: :math:`y = x \odot k / p`
  for the kept set :math:`k` (the learner's own, read off their output), the
  identity at test time;
- the softmax loss :math:`-\frac1N \sum_n \log \operatorname{softmax}(s_n)_{y_n}`
  (scores shifted by their maximum) and the multiclass hinge loss
  :math:`\frac1N \sum_n \sum_{j \ne y_n} \max(0, s_{n j} - s_{n y_n} + 1)`.

A known mistake (:mod:`~spec.check.conformance.layers.mistakes`) is a subclass overriding the one
method whose line it gets wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["KINDS", "LayerDerivation"]

#: The layer kinds, with the outputs each is checked on (forward first).
KINDS: dict[str, tuple[str, ...]] = {
    "affine": ("out", "dx", "dw", "db"),
    "relu": ("out", "dx"),
    "convolution": ("out", "dx", "dw", "db"),
    "max_pool": ("out", "dx"),
    "average_pool": ("out", "dx"),
    "batchnorm": ("out", "running_mean", "running_var", "dx", "dgamma", "dbeta"),
    "layernorm": ("out", "dx", "dgamma", "dbeta"),
    "spatial_batchnorm": (
        "out",
        "running_mean",
        "running_var",
        "dx",
        "dgamma",
        "dbeta",
    ),
    "groupnorm": ("out", "dx", "dgamma", "dbeta"),
    "dropout": ("out", "keep", "dx"),
    "softmax_loss": ("loss", "dx"),
    "hinge_loss": ("loss", "dx"),
}

Arrays = dict[str, NDArray]


class LayerDerivation:
    """The reference forward and backward of every layer kind (float64).

    :meth:`evaluate` dispatches on the kind; the other methods are the lines of
    the derivations, each overridable by a mistake.
    """

    # -- dispatch -------------------------------------------------------------
    def evaluate(
        self,
        kind: str,
        inputs: Mapping[str, NDArray],
        hyper: Mapping[str, Any],
        dout: NDArray | None,
        observed: Mapping[str, Any],
    ) -> Arrays:
        """The outputs of ``kind`` (keys of :data:`KINDS` that apply).

        Parameters
        ----------
        kind : str
            A key of :data:`KINDS`.
        inputs : mapping
            Float64 arrays by CS231n's names: ``x`` (and ``w``, ``b``, ``gamma``,
            ``beta``, or the labels ``y`` of a loss).
        hyper : mapping
            The CS231n parameters of the case (``stride``, ``pad``,
            ``pool_height``, ``pool_width``, ``eps``, ``momentum``,
            ``running_mean``, ``running_var``, ``mode``, ``p``, ``G``).
        dout : ndarray or None
            The upstream gradient, shaped as the output (``None`` for a loss).
        observed : mapping
            What the learner's forward revealed that the derivation needs: the
            kept set ``kept`` (bool, shaped as ``x``) of dropout.

        Returns
        -------
        dict of str to ndarray
        """
        x = np.asarray(inputs["x"], dtype=np.float64)
        if kind == "affine":
            return self.affine(x, inputs["w"], inputs["b"], dout)
        if kind == "relu":
            return self.relu(x, dout)
        if kind == "convolution":
            return self.convolution(
                x,
                inputs["w"],
                inputs["b"],
                int(hyper["stride"]),
                int(hyper["pad"]),
                dout,
            )
        if kind in ("max_pool", "average_pool"):
            window = (int(hyper["pool_height"]), int(hyper["pool_width"]))
            return self.pool(kind, x, window, int(hyper["stride"]), dout)
        if kind in ("batchnorm", "spatial_batchnorm"):
            return self.batchnorm(kind, x, inputs["gamma"], inputs["beta"], hyper, dout)
        if kind == "layernorm":
            return self.layernorm(x, inputs["gamma"], inputs["beta"], hyper, dout)
        if kind == "groupnorm":
            return self.groupnorm(x, inputs["gamma"], inputs["beta"], hyper, dout)
        if kind == "dropout":
            return self.dropout(x, float(hyper["p"]), hyper["mode"], dout, observed)
        if kind == "softmax_loss":
            return self.softmax_loss(x, np.asarray(inputs["y"]))
        if kind == "hinge_loss":
            return self.hinge_loss(x, np.asarray(inputs["y"]))
        raise ValueError(f"kind must be one of {list(KINDS)}, got {kind!r}")

    # -- affine ---------------------------------------------------------------
    def affine(self, x: NDArray, w: NDArray, b: NDArray, dout: Any) -> Arrays:
        """:math:`y = x_{(N, D)} w + b`; :math:`\\partial x = g w^T` (in x's shape),
        :math:`\\partial w = x^T g`, :math:`\\partial b = \\sum_n g_n`."""
        rows = x.reshape(len(x), -1)
        g = np.asarray(dout, dtype=np.float64)
        return {
            "out": rows @ w + b,
            "dx": self.affine_dx_shape(g @ w.T, x),
            "dw": self.affine_dw(rows, g),
            "db": self.affine_db(g),
        }

    def affine_dx_shape(self, dx_rows: NDArray, x: NDArray) -> NDArray:
        """``dx = (dout @ w.T).reshape(x.shape)``."""
        return dx_rows.reshape(x.shape)

    def affine_dw(self, rows: NDArray, g: NDArray) -> NDArray:
        """``dw = x.reshape(N, -1).T @ dout``."""
        return rows.T @ g

    def affine_db(self, g: NDArray) -> NDArray:
        """``db = dout.sum(axis=0)``."""
        return g.sum(axis=0)

    # -- relu -----------------------------------------------------------------
    def relu(self, x: NDArray, dout: Any) -> Arrays:
        """:math:`y = \\max(0, x)`, :math:`\\partial x = g\\,[x > 0]`."""
        return {"out": np.maximum(x, 0.0), "dx": self.relu_dx(np.asarray(dout), x)}

    def relu_dx(self, g: NDArray, x: NDArray) -> NDArray:
        """``dx = dout * (x > 0)`` (at x = 0 any value between 0 and dout)."""
        return g * (x > 0)

    # -- convolution ----------------------------------------------------------
    def convolution(
        self, x: NDArray, w: NDArray, b: NDArray, stride: int, pad: int, dout: Any
    ) -> Arrays:
        """The cross-correlation's output, :math:`\\partial x`, :math:`\\partial w`,
        :math:`\\partial b` (module docstring)."""
        w = np.asarray(w, dtype=np.float64)
        n_filters, _, hh, ww = w.shape
        xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        rows = 1 + (xp.shape[2] - hh) // stride
        cols = 1 + (xp.shape[3] - ww) // stride
        out = np.empty((len(x), n_filters, rows, cols))
        for i in range(rows):
            for j in range(cols):
                window = xp[
                    :, :, i * stride : i * stride + hh, j * stride : j * stride + ww
                ]
                out[:, :, i, j] = np.einsum("ncab,fcab->nf", window, w) + b
        g = np.asarray(dout, dtype=np.float64)
        return {
            "out": out,
            "dx": self.conv_dx(g, xp, w, stride, pad),
            "dw": self.conv_dw(g, xp, w, stride),
            "db": self.conv_db(g),
        }

    def conv_dx(
        self, g: NDArray, xp: NDArray, w: NDArray, stride: int, pad: int
    ) -> NDArray:
        """Scatter every :math:`g_{nfij} w_{f\\cdot}` into the padded input, then crop."""
        kernel = self.conv_dx_kernel(w)
        hh, ww = w.shape[2:]
        dxp = np.zeros_like(xp)
        for i in range(g.shape[2]):
            for j in range(g.shape[3]):
                r, c = self.conv_dx_offset(i, stride), self.conv_dx_offset(j, stride)
                dxp[:, :, r : r + hh, c : c + ww] += np.einsum(
                    "nf,fcab->ncab", g[:, :, i, j], kernel
                )
        return self.conv_dx_crop(dxp, pad)

    def conv_dx_kernel(self, w: NDArray) -> NDArray:
        """``dx_pad[n, :, s*i:s*i+HH, s*j:s*j+WW] += w[f] * dout[n, f, i, j]``: the
        kernel as it is, not flipped (a correlation's adjoint)."""
        return w

    def conv_dx_offset(self, i: int, stride: int) -> int:
        """The window of output position ``i`` starts at ``stride * i``."""
        return i * stride

    def conv_dx_crop(self, dxp: NDArray, pad: int) -> NDArray:
        """``dx = dx_pad[:, :, pad:-pad, pad:-pad]``: the padding cropped."""
        return dxp[:, :, pad : dxp.shape[2] - pad, pad : dxp.shape[3] - pad]

    def conv_dw(self, g: NDArray, xp: NDArray, w: NDArray, stride: int) -> NDArray:
        """``dw[f] = sum_{n,i,j} dout[n, f, i, j] * x_pad[n, :, window(i, j)]``."""
        hh, ww = w.shape[2:]
        per_example = np.zeros((len(xp), *w.shape))
        for i in range(g.shape[2]):
            for j in range(g.shape[3]):
                window = xp[
                    :, :, i * stride : i * stride + hh, j * stride : j * stride + ww
                ]
                per_example += np.einsum(
                    "nf,ncab->nfcab", g[:, :, i, j], self.conv_dw_window(window)
                )
        return self.conv_dw_batch(per_example)

    def conv_dw_window(self, window: NDArray) -> NDArray:
        """The input window as it is (the kernel was not flipped in the forward)."""
        return window

    def conv_dw_batch(self, per_example: NDArray) -> NDArray:
        """``dw`` summed over the examples of the batch."""
        return per_example.sum(axis=0)

    def conv_db(self, g: NDArray) -> NDArray:
        """``db[f] = sum_{n,i,j} dout[n, f, i, j]``."""
        return self.conv_db_batch(self.conv_db_positions(g))

    def conv_db_positions(self, g: NDArray) -> NDArray:
        """Per example and filter, the sum over the output positions, (N, F)."""
        return g.sum(axis=(2, 3))

    def conv_db_batch(self, per_example: NDArray) -> NDArray:
        """The per-example sums added over the batch, (F,)."""
        return per_example.sum(axis=0)

    # -- pooling --------------------------------------------------------------
    def pool(
        self, kind: str, x: NDArray, window: tuple[int, int], stride: int, dout: Any
    ) -> Arrays:
        """Max or average pooling's output and :math:`\\partial x`."""
        ph, pw = window
        rows = 1 + (x.shape[2] - ph) // stride
        cols = 1 + (x.shape[3] - pw) // stride
        out = np.empty((*x.shape[:2], rows, cols))
        for i in range(rows):
            for j in range(cols):
                patch = x[
                    :, :, i * stride : i * stride + ph, j * stride : j * stride + pw
                ]
                reduce = np.max if kind == "max_pool" else np.mean
                out[:, :, i, j] = reduce(patch, axis=(2, 3))
        g = np.asarray(dout, dtype=np.float64)
        dx = np.zeros_like(x)
        for i in range(rows):
            for j in range(cols):
                r = self.pool_dx_offset(i, stride)
                c = self.pool_dx_offset(j, stride)
                patch = x[:, :, r : r + ph, c : c + pw]
                if kind == "max_pool":
                    weights = self.max_pool_split(patch)
                else:
                    weights = np.full(patch.shape, self.average_pool_scale(ph, pw))
                contribution = weights * g[:, :, i, j, None, None]
                dx[:, :, r : r + ph, c : c + pw] = self.pool_accumulate(
                    dx[:, :, r : r + ph, c : c + pw], contribution
                )
        return {"out": out, "dx": dx}

    def pool_dx_offset(self, i: int, stride: int) -> int:
        """The window of output position ``i`` starts at ``stride * i``."""
        return i * stride

    def max_pool_split(self, patch: NDArray) -> NDArray:
        """Weight 1 on the first maximal position of each window, 0 elsewhere."""
        n, c, ph, pw = patch.shape
        first = patch.reshape(n, c, -1).argmax(axis=2)
        weights = np.zeros((n, c, ph * pw))
        np.put_along_axis(weights, first[:, :, None], 1.0, axis=2)
        return weights.reshape(patch.shape)

    def average_pool_scale(self, ph: int, pw: int) -> float:
        """Each position of the window receives ``dout / (ph * pw)``."""
        return 1.0 / (ph * pw)

    def pool_accumulate(self, current: NDArray, contribution: NDArray) -> NDArray:
        """``dx[window] += contribution``: overlapping windows add up."""
        return current + contribution

    # -- normalisation --------------------------------------------------------
    def variance(self, x: NDArray, axis: Any) -> NDArray:
        """The biased variance, ``x.var(axis)`` (divided by the count, not count - 1)."""
        return x.var(axis=axis, keepdims=True)

    def normalise(
        self, x: NDArray, axis: Any, eps: float
    ) -> tuple[NDArray, NDArray, NDArray, NDArray]:
        """``(x_hat, 1/sqrt(var + eps), mean, var)`` over ``axis`` (kept dims)."""
        mean = x.mean(axis=axis, keepdims=True)
        var = self.variance(x, axis)
        inv_std = 1.0 / np.sqrt(var + eps)
        return (x - mean) * inv_std, inv_std, mean, var

    def normalise_dx(
        self, u: NDArray, x_hat: NDArray, inv_std: NDArray, axis: Any
    ) -> NDArray:
        """``dx = inv_std * (u - mean(u) - x_hat * mean(u * x_hat))`` with u = gamma *
        dout, means over the statistics' axis."""
        return inv_std * (
            u - self.mean_term(u, axis) - x_hat * self.variance_term(u, x_hat, axis)
        )

    def mean_term(self, u: NDArray, axis: Any) -> NDArray:
        """The path through the mean: ``mean(gamma * dout)``."""
        return u.mean(axis=axis, keepdims=True)

    def variance_term(self, u: NDArray, x_hat: NDArray, axis: Any) -> NDArray:
        """The path through the variance: ``mean(gamma * dout * x_hat)``."""
        return (u * x_hat).mean(axis=axis, keepdims=True)

    def parameter_sum(self, values: NDArray) -> NDArray:
        """``dgamma = sum(dout * x_hat, axis=0)``, ``dbeta = sum(dout, axis=0)``."""
        return values.sum(axis=0)

    def running(self, old: NDArray, batch: NDArray, momentum: float) -> NDArray:
        """``running = momentum * running + (1 - momentum) * batch``."""
        return momentum * old + (1.0 - momentum) * batch

    def running_variance(self, rows: NDArray, var: NDArray) -> NDArray:
        """The batch variance the running average takes: the biased one."""
        return var

    def test_statistics(
        self, rows: NDArray, running_mean: NDArray, running_var: NDArray
    ) -> tuple[NDArray, NDArray]:
        """At test time the running mean and variance, not the batch's."""
        return running_mean, running_var

    def channel_order(self) -> tuple[int, int, int, int]:
        """Spatial batch norm moves the channel axis last before the (-1, C) reshape."""
        return (0, 2, 3, 1)

    def batchnorm(
        self,
        kind: str,
        x: NDArray,
        gamma: NDArray,
        beta: NDArray,
        hyper: Mapping[str, Any],
        dout: Any,
    ) -> Arrays:
        """Batch norm on (N, D), or spatial batch norm on (N, C, H, W) as batch norm
        of the (N H W, C) rows."""
        order = self.channel_order() if kind == "spatial_batchnorm" else None
        rows = x if order is None else x.transpose(order).reshape(-1, x.shape[1])
        gamma = np.asarray(gamma, dtype=np.float64)
        beta = np.asarray(beta, dtype=np.float64)
        eps = float(hyper["eps"])
        rm = np.asarray(hyper["running_mean"], dtype=np.float64)
        rv = np.asarray(hyper["running_var"], dtype=np.float64)

        def back(rows_out: NDArray) -> NDArray:
            if order is None:
                return rows_out
            moved = tuple(x.shape[k] for k in order)
            return rows_out.reshape(moved).transpose(np.argsort(order))

        if hyper["mode"] == "test":
            mean, var = self.test_statistics(rows, rm, rv)
            return {"out": back(gamma * (rows - mean) / np.sqrt(var + eps) + beta)}
        x_hat, inv_std, mean, var = self.normalise(rows, 0, eps)
        momentum = float(hyper["momentum"])
        result = {
            "out": back(gamma * x_hat + beta),
            "running_mean": self.running(rm, mean[0], momentum),
            "running_var": self.running(
                rv, self.running_variance(rows, var)[0], momentum
            ),
        }
        g = np.asarray(dout, dtype=np.float64)
        g_rows = g if order is None else g.transpose(order).reshape(-1, x.shape[1])
        result["dx"] = back(self.normalise_dx(gamma * g_rows, x_hat, inv_std, 0))
        result["dgamma"] = self.parameter_sum(g_rows * x_hat)
        result["dbeta"] = self.parameter_sum(g_rows)
        return result

    def layernorm_axis(self) -> int:
        """Layer norm's statistics are over the features of each example (axis 1)."""
        return 1

    def layernorm(
        self,
        x: NDArray,
        gamma: NDArray,
        beta: NDArray,
        hyper: Mapping[str, Any],
        dout: Any,
    ) -> Arrays:
        """Layer norm on (N, D): each example normalised over its features."""
        axis = self.layernorm_axis()
        x_hat, inv_std, _, _ = self.normalise(x, axis, float(hyper["eps"]))
        g = np.asarray(dout, dtype=np.float64)
        return {
            "out": gamma * x_hat + beta,
            "dx": self.normalise_dx(gamma * g, x_hat, inv_std, axis),
            "dgamma": self.parameter_sum(g * x_hat),
            "dbeta": self.parameter_sum(g),
        }

    def groupnorm(
        self,
        x: NDArray,
        gamma: NDArray,
        beta: NDArray,
        hyper: Mapping[str, Any],
        dout: Any,
    ) -> Arrays:
        """Group norm on (N, C, H, W), gamma/beta (1, C, 1, 1): each example's G
        groups of C/G channels normalised over their channels and positions."""
        groups = int(hyper["G"])
        n = len(x)
        x_hat_g, inv_std, _, _ = self.normalise(
            x.reshape(n, groups, -1), 2, float(hyper["eps"])
        )
        x_hat = x_hat_g.reshape(x.shape)
        gamma = np.asarray(gamma, dtype=np.float64)
        g = np.asarray(dout, dtype=np.float64)
        u = (gamma * g).reshape(n, groups, -1)
        dx = self.normalise_dx(u, x_hat_g, inv_std, 2).reshape(x.shape)
        return {
            "out": gamma * x_hat + beta,
            "dx": dx,
            "dgamma": (g * x_hat).sum(axis=(0, 2, 3), keepdims=True),
            "dbeta": g.sum(axis=(0, 2, 3), keepdims=True),
        }

    # -- dropout --------------------------------------------------------------
    def dropout(
        self, x: NDArray, p: float, mode: str, dout: Any, observed: Mapping[str, Any]
    ) -> Arrays:
        """Inverted dropout on the learner's kept set; ``keep`` is the probability
        of keeping a unit that the kept fraction must fit."""
        kept = np.asarray(observed["kept"], dtype=bool)
        g = np.asarray(dout, dtype=np.float64)
        if mode == "test":
            out, keep = self.dropout_test(x, kept, p)
            return {"out": out, "keep": np.array(keep), "dx": g}
        scale = self.dropout_scale(p)
        return {
            "out": x * kept * scale,
            "keep": np.array(self.dropout_keep(p)),
            "dx": g * kept * self.dropout_dx_scale(p),
        }

    def dropout_keep(self, p: float) -> float:
        """``p`` is the probability of keeping a unit: ``mask = rand < p``."""
        return p

    def dropout_scale(self, p: float) -> float:
        """The kept units are scaled by ``1 / keep`` (inverted dropout)."""
        return 1.0 / self.dropout_keep(p)

    def dropout_dx_scale(self, p: float) -> float:
        """The backward applies the same scaled mask: ``dx = dout * mask``."""
        return self.dropout_scale(p)

    def dropout_test(
        self, x: NDArray, kept: NDArray, p: float
    ) -> tuple[NDArray, float]:
        """At test time ``out = x``: every unit kept, none scaled."""
        return x, 1.0

    # -- losses ---------------------------------------------------------------
    def loss_normaliser(self, n: int) -> float:
        """The loss and its gradient are means over the N examples."""
        return float(n)

    def softmax_shift(self, scores: NDArray) -> NDArray:
        """The scores shifted by their row maximum before ``exp``."""
        return scores.max(axis=1, keepdims=True)

    def softmax_loss(self, scores: NDArray, y: NDArray) -> Arrays:
        """:math:`-\\frac1N \\sum_n \\log p_{n y_n}`, :math:`\\partial s = (p -
        \\text{onehot}(y)) / N`."""
        n = len(scores)
        shifted = scores - self.softmax_shift(scores)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        norm = self.loss_normaliser(n)
        dx = np.exp(log_p)
        dx[np.arange(n), y] -= 1.0
        return {"loss": np.array(-log_p[np.arange(n), y].sum() / norm), "dx": dx / norm}

    def hinge_margins(self, scores: NDArray, y: NDArray) -> NDArray:
        """``max(0, s_j - s_y + 1)`` with the correct class's own margin set to 0."""
        n = len(scores)
        margins = np.maximum(0.0, scores - scores[np.arange(n), y][:, None] + 1.0)
        margins[np.arange(n), y] = 0.0
        return margins

    def hinge_loss(self, scores: NDArray, y: NDArray) -> Arrays:
        """The multiclass hinge loss and its gradient (kinks have probability 0)."""
        n = len(scores)
        margins = self.hinge_margins(scores, y)
        norm = self.loss_normaliser(n)
        positive = (margins > 0).astype(np.float64)
        positive[np.arange(n), y] = 0.0
        dx = positive.copy()
        dx[np.arange(n), y] -= positive.sum(axis=1)
        return {"loss": np.array(margins.sum() / norm), "dx": dx / norm}
