r"""Classification losses on class scores: softmax cross-entropy and multiclass hinge.

Each returns ``(loss, dscores)``: the mean over the N examples and its gradient
with respect to the scores, in the dtype of the scores.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from backprop.blocks.validation import float_array, labels_for

__all__ = ["hinge_loss", "softmax_loss"]


def softmax_loss(scores: NDArray[Any], y: Any) -> tuple[float, NDArray[Any]]:
    r"""Mean cross-entropy of the softmax of the scores, and its gradient.

    .. math::

        L = -\frac1N \sum_n \log \frac{e^{s_{n y_n}}}{\sum_j e^{s_{nj}}}, \qquad
        \frac{\partial L}{\partial s_{nj}} = \frac1N \big(\mathrm{softmax}(s_n)_j
        - [j = y_n]\big)

    The scores are shifted by their row maximum first, so large scores do not
    overflow.

    Parameters
    ----------
    scores : ndarray, shape (N, M)
    y : ndarray of int, shape (N,)
        Labels in 0..M-1.

    Returns
    -------
    loss : float
    dscores : ndarray, shape (N, M)
    """
    scores = float_array(scores, "scores", ndim=2)
    labels = labels_for(y, scores)
    n = scores.shape[0]
    if n == 0:
        raise ValueError("scores must hold at least one example (N >= 1), got N = 0")
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_p = shifted - log_z
    rows = np.arange(n)
    loss = -float(log_p[rows, labels].mean())
    dscores = np.exp(log_p)
    dscores[rows, labels] -= 1
    dscores /= scores.dtype.type(n)
    return loss, dscores


def hinge_loss(
    scores: NDArray[Any], y: Any, *, margin: float = 1.0
) -> tuple[float, NDArray[Any]]:
    r"""Mean multiclass hinge (SVM) loss, and its gradient.

    .. math::

        L = \frac1N \sum_n \sum_{j \ne y_n} \max(0,\ s_{nj} - s_{n y_n} + \Delta),

        \frac{\partial L}{\partial s_{nj}} = \frac1N [m_{nj} > 0]\ (j \ne y_n), \qquad
        \frac{\partial L}{\partial s_{n y_n}} = -\frac1N \sum_{j \ne y_n} [m_{nj} > 0]

    with :math:`m_{nj} = s_{nj} - s_{n y_n} + \Delta` and :math:`\Delta` =
    ``margin``. At :math:`m_{nj} = 0` (a kink) the term contributes 0, one
    element of its subdifferential.

    Parameters
    ----------
    scores : ndarray, shape (N, M)
    y : ndarray of int, shape (N,)
    margin : float, default 1.0

    Returns
    -------
    loss : float
    dscores : ndarray, shape (N, M)
    """
    scores = float_array(scores, "scores", ndim=2)
    labels = labels_for(y, scores)
    if isinstance(margin, bool) or not isinstance(margin, int | float | np.number):
        raise TypeError(f"margin must be a real number, got {margin!r}")
    n = scores.shape[0]
    if n == 0:
        raise ValueError("scores must hold at least one example (N >= 1), got N = 0")
    rows = np.arange(n)
    margins = scores - scores[rows, labels][:, None] + scores.dtype.type(margin)
    margins[rows, labels] = 0
    active = margins > 0
    loss = float(np.where(active, margins, 0).sum() / n)
    dscores = active.astype(scores.dtype)
    dscores[rows, labels] = -active.sum(axis=1)
    dscores /= scores.dtype.type(n)
    return loss, dscores
