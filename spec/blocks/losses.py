r"""The softmax and multiclass hinge losses, proven at fixed sizes.

Scores :math:`s` of shape :math:`(N, K)`, integer labels :math:`y_n \in \{0,
\dots, K-1\}`, the loss the *mean* over the :math:`N` examples; its gradient
times the scalar upstream gradient :math:`g` (1 for a loss at the top of the
graph):

.. math::

    L_{\text{softmax}} = \frac{1}{N} \sum_n \Bigl(\ln \sum_j e^{s_{n j}} -
    s_{n y_n}\Bigr), \qquad
    ds_{n j} = \frac{g}{N} \Bigl(\frac{e^{s_{n j}}}{\sum_k e^{s_{n k}}} -
    [j = y_n]\Bigr);

.. math::

    L_{\text{hinge}} = \frac{1}{N} \sum_n \sum_{j \ne y_n}
    \max(0,\, s_{n j} - s_{n y_n} + \Delta), \qquad
    ds_{n j} = \frac{g}{N} \Bigl([j \ne y_n] H(m_{n j}) - [j = y_n] \sum_{k \ne
    y_n} H(m_{n k})\Bigr),

:math:`m_{n j} = s_{n j} - s_{n y_n} + \Delta`, true wherever no margin is 0
(the oracle takes :math:`H(0) = 0`, CS231n's ``margins > 0``). The definitions
are unshifted; :math:`\ln \sum e^{s}` is invariant under :math:`s \to s - \max
s`, which an implementation needs against overflow and the oracle (``mpmath``,
unbounded exponents) does not. Proven equal to ``sympy.diff`` at fixed sizes
and labels, exactly modulo :math:`2^{61} - 1` with :math:`\exp, \ln`, relu and
the step uninterpreted, :math:`\Delta` symbolic (:func:`prove_losses`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy

from spec.activations import relu, step
from spec.blocks.evaluate import Block, Formula, Prepared
from spec.blocks.fixed import prove_fixed, vjp_case
from spec.blocks.proofs import BlockProof, array, index, size
from spec.blocks.validation import validate_array, validate_number
from spec.caching import cached

__all__ = [
    "MARGIN",
    "UPSTREAM",
    "forward",
    "hinge_block",
    "hinge_prepare",
    "prove_losses",
    "softmax_block",
    "softmax_prepare",
    "textbook",
]

N, K = size("N"), size("K")
#: The hinge's margin :math:`\Delta` and the scalar upstream gradient :math:`g`.
MARGIN = sympy.Symbol("Delta", real=True)
UPSTREAM = sympy.Symbol("g", real=True)
s = array("s")
y = sympy.IndexedBase("y", integer=True)
n, j, k = index("n"), index("j"), index("k")
n1, j1, k1 = index("n'"), index("j'"), index("k'")


def _margin(nn: Any, jj: Any) -> sympy.Expr:
    return s[nn, jj] - s[nn, y[nn]] + MARGIN


def forward(kind: str) -> Formula:
    """The loss (a 0-d formula) of ``"softmax_loss"`` or ``"hinge_loss"``."""
    if kind == "softmax_loss":
        per_example = (
            sympy.log(sympy.Sum(sympy.exp(s[n, j]), (j, 0, K - 1))) - s[n, y[n]]
        )
    else:
        per_example = sympy.Sum(
            (1 - sympy.KroneckerDelta(j, y[n])) * relu(_margin(n, j)), (j, 0, K - 1)
        )
    return Formula("out", (), (), sympy.Sum(per_example, (n, 0, N - 1)) / N)


def textbook(kind: str) -> Formula:
    """``dscores`` as the module docstring gives it."""
    if kind == "softmax_loss":
        probability = sympy.exp(s[n1, j1]) / sympy.Sum(
            sympy.exp(s[n1, k]), (k, 0, K - 1)
        )
        expr = UPSTREAM / N * (probability - sympy.KroneckerDelta(j1, y[n1]))
    else:
        others = sympy.Sum(
            (1 - sympy.KroneckerDelta(k, y[n1])) * step(_margin(n1, k)), (k, 0, K - 1)
        )
        expr = (
            UPSTREAM
            / N
            * (
                (1 - sympy.KroneckerDelta(j1, y[n1])) * step(_margin(n1, j1))
                - sympy.KroneckerDelta(j1, y[n1]) * others
            )
        )
    return Formula("dscores", (n1, j1), (N, K), expr)


#: Sizes and labels of the fixed-size proofs: N = 1 (where a sum-versus-mean
#: mistake hides), several examples, a label in every class.
PROOF_CASES = (
    ((1, 3), (1,)),
    ((2, 3), (2, 0)),
    ((3, 2), (0, 1, 1)),
    ((2, 4), (3, 3)),
)


def prove_losses(
    formulas: Mapping[str, Formula] | None = None, *, seed: int = 0
) -> tuple[BlockProof, ...]:
    """``dscores`` of both losses at the sizes and labels of ``PROOF_CASES``.

    Parameters
    ----------
    formulas : mapping of str to Formula, optional
        ``dscores`` by kind (``"softmax_loss"``, ``"hinge_loss"``); those of
        :func:`textbook` by default. A wrong one is reported as not proven.
    seed : int
        Seed of the random points.
    """
    chosen = (
        {kind: textbook(kind) for kind in ("softmax_loss", "hinge_loss")}
        if formulas is None
        else dict(formulas)
    )
    rows = []
    for kind in chosen:
        cases = []
        for (n_, k_), labels in PROOF_CASES:
            numbers: dict[Any, Any] = {N: n_, K: k_}
            numbers.update({y[e]: label for e, label in enumerate(labels)})
            text = f"N={n_}, K={k_}, y={list(labels)}"
            cases.append(
                (
                    text,
                    vjp_case(forward(kind), UPSTREAM, [(s, chosen[kind])], numbers),
                )
            )
        uninterpreted = "exp, ln" if kind == "softmax_loss" else "relu, H (relu' = H)"
        claim = (
            "dscores = g (softmax(s) - onehot(y)) / N"
            if kind == "softmax_loss"
            else "dscores = g ([j != y] H(margin) - [j = y] sum_k!=y H(margin)) / N, "
            "wherever no margin is 0"
        )
        rows.append(
            prove_fixed(
                kind,
                "dscores",
                claim,
                cases,
                "sympy.diff of the loss at each size; both sides evaluated exactly "
                f"modulo 2^61 - 1 at 2 random points, {uninterpreted} uninterpreted "
                "(Schwartz-Zippel)",
                seed=seed,
            )
        )
    return tuple(rows)


@cached(maxsize=8)
def _block(kind: str) -> Block:
    scalars: tuple[sympy.Symbol, ...] = (N, K, UPSTREAM)
    if kind == "hinge_loss":
        scalars += (MARGIN,)
    return Block(
        kind=kind,
        arrays={"scores": s, "y": y},
        scalars=scalars,
        forward=forward(kind),
        backward=(textbook(kind),),
    )


def softmax_block() -> Block:
    """The oracle's softmax-loss formulas."""
    return _block("softmax_loss")


def hinge_block() -> Block:
    """The oracle's hinge-loss formulas."""
    return _block("hinge_loss")


def _prepare(
    kind: str, inputs: dict[str, Any], dout: Any, hyper: dict[str, Any]
) -> Prepared:
    scores = validate_array(inputs, "scores", 2, "shape (N, K)")
    if "y" not in inputs:
        raise ValueError("inputs must have the key 'y' (integer labels, shape (N,))")
    labels = np.asarray(inputs["y"])
    n_, k_ = scores.shape
    if labels.dtype.kind not in "iu" or labels.shape != (n_,):
        raise ValueError(
            f"inputs['y'] must be integer labels of shape ({n_},), got dtype "
            f"{labels.dtype} and shape {labels.shape}"
        )
    if np.any(labels < 0) or np.any(labels >= k_):
        raise ValueError(
            f"inputs['y'] must lie in [0, {k_ - 1}], got {labels.tolist()}"
        )
    upstream = (
        1.0
        if dout is None
        else validate_number(
            "dout", dout if np.ndim(dout) == 0 else np.nan, low=-np.inf, open_low=True
        )
    )
    numbers: dict[sympy.Symbol, Any] = {N: n_, K: k_, UPSTREAM: upstream}
    if kind == "hinge_loss":
        numbers[MARGIN] = validate_number(
            "margin", hyper.get("margin", 1.0), low=-np.inf, open_low=True
        )
    return Prepared(
        arrays={"scores": scores, "y": labels.astype(np.int64)},
        numbers=numbers,
        shapes={"out": (), "dscores": scores.shape},
    )


def softmax_prepare(
    inputs: dict[str, Any], dout: Any, hyper: dict[str, Any]
) -> Prepared:
    """Validate the scores, labels and the scalar upstream gradient."""
    return _prepare("softmax_loss", inputs, dout, hyper)


def hinge_prepare(inputs: dict[str, Any], dout: Any, hyper: dict[str, Any]) -> Prepared:
    """Validate the scores, labels, the margin and the scalar upstream gradient."""
    return _prepare("hinge_loss", inputs, dout, hyper)
