"""What a learner's program is held to: the spec's quantities of a case (z^l, a^l,
δ^l, φ'(z^l), ∇_a C, the gradients: :func:`backprop_quantities`), the criterion of
equality and the shared helpers of the part checks."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.conformance.derivation import sigmoid, sigmoid_prime
from spec.check.conformance.program.lines import locate, locate_crash
from spec.check.conformance.program.report import (
    SourceLine,
)
from spec.check.conformance.program.tracing import Located, Trace

__all__ = [
    "ATOL",
    "GRID",
    "LEARNING_RATE",
    "LMBDA",
    "N_TRAINING",
    "RTOL",
    "backprop_quantities",
    "close",
    "draw",
    "error",
    "explain",
    "forward",
    "quiet",
    "wrong_pairs",
]


#: Values of one minibatch step: a learning rate that is not 1 (so that one
#: ignored is seen), L2 strength and training-set size giving a decay of
#: 1 - 0.37 * 2 / 50 = 0.9852, far from 1 at the step's tolerance.
LEARNING_RATE = 0.37


LMBDA = 2.0


N_TRAINING = 50


#: A part's value equals the spec's when every entry is within this fraction of
#: the largest (plus ATOL): float64 rounding in another order is ~1e-15; float32
#: data are not used outside the battery.
RTOL = 1e-9


#: Absolute floor, for entries that cancel to about 0 (sigmoid's tails: 1 - σ(40)
#: is 0 in float64 while σ'(40) = 4e-18).
ATOL = 1e-12


#: The grid of the activation checks: the body, and tails where a naive formula
#: overflows (exp(700) ~ 1e304 still fits a float64).
GRID = np.concatenate([np.linspace(-40.0, 40.0, 321), [-700.0, -100.0, 100.0, 700.0]])


def forward(
    ws: Sequence[NDArray], bs: Sequence[NDArray], x: NDArray
) -> tuple[list[NDArray], list[NDArray]]:
    """``zs, activations`` of one 1-D example, float64, sigmoid layers."""
    zs, acts = [], [np.asarray(x, dtype=np.float64).ravel()]
    for w, b in zip(ws, bs, strict=True):
        zs.append(np.asarray(w, float) @ acts[-1] + np.asarray(b, float).ravel())
        acts.append(sigmoid(zs[-1]))
    return zs, acts


def backprop_quantities(
    ws: Sequence[NDArray], bs: Sequence[NDArray], x: NDArray, y: NDArray, cost: str
) -> dict[str, NDArray]:
    r"""The spec's intermediate quantities of one example, by name: the
    parameters, :math:`x`, the target, :math:`z^l`, :math:`a^l`,
    :math:`\sigma'(z^l)`, :math:`\delta^l`, :math:`\nabla_a C` and the gradients
    (sigmoid layers, 1-D vectors)."""
    zs, acts = forward(ws, bs, x)
    n = len(ws)
    y = np.asarray(y, dtype=np.float64).ravel()
    q: dict[str, NDArray] = {}
    for l in range(1, n + 1):
        q[f"W^{l}"] = np.asarray(ws[l - 1], float)
        q[f"(W^{l})^T"] = np.asarray(ws[l - 1], float).T
        q[f"b^{l}"] = np.asarray(bs[l - 1], float).ravel()
    q["x"] = acts[0]
    q["the target y"] = y
    for l in range(1, n + 1):
        q[f"z^{l}"] = zs[l - 1]
        q[f"a^{l}"] = acts[l]
        q[f"σ'(z^{l})"] = sigmoid_prime(zs[l - 1])
    grad_a = acts[-1] - y
    delta = grad_a if cost != "quadratic" else grad_a * sigmoid_prime(zs[-1])
    deltas = [delta]
    for l in range(n - 1, 0, -1):
        deltas.insert(
            0, (np.asarray(ws[l], float).T @ deltas[0]) * sigmoid_prime(zs[l - 1])
        )
    for l in range(1, n + 1):
        q[f"δ^{l}"] = deltas[l - 1]
    for l in range(1, n):  # BP2 in two statements: the product before the σ'
        q[f"(W^{l + 1})^T δ^{l + 1}"] = np.asarray(ws[l], float).T @ deltas[l]
    q["∇_a C = a^L - y"] = grad_a
    for l in range(1, n + 1):
        q[f"∂C/∂W^{l}"] = np.outer(deltas[l - 1], acts[l - 1])
        q[f"∂C/∂b^{l}"] = deltas[l - 1]
    return q


def close(got: Any, want: Any) -> bool:
    """Same values up to 1-D / column reshapes, to :data:`RTOL` and :data:`ATOL`."""
    try:
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    w = np.asarray(want, dtype=np.float64)
    if g.size != w.size or np.squeeze(g).shape != np.squeeze(w).shape:
        return False
    if not np.all(np.isfinite(g)):
        return False
    scale = max(float(np.abs(w).max(initial=0)), 1.0)
    return bool(np.all(np.abs(g.ravel() - w.ravel()) <= ATOL + RTOL * scale))


def error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def quiet(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def draw(
    sizes: Sequence[int], m: int, rng: np.random.Generator
) -> tuple[list[NDArray], list[NDArray], NDArray]:
    ws = [rng.standard_normal((n, k)) for k, n in itertools.pairwise(sizes)]
    bs = [rng.standard_normal(n) for n in sizes[1:]]
    return ws, bs, rng.random((m, sizes[0]))


def _line(found: Located | None) -> SourceLine | None:
    if found is None:
        return None
    return SourceLine(found.path, found.number, found.source, found.explanation())


def wrong_pairs(
    result: Any, expected: Sequence[tuple[NDArray, str]]
) -> list[tuple[NDArray, str]]:
    """The returned arrays (in order) that differ from the expected ones."""
    got: list[Any] = []
    for item in result if isinstance(result, list | tuple) else [result]:
        if isinstance(item, list | tuple):
            got += list(item)
        else:
            got.append(item)
    got = [np.asarray(g) for g in got if isinstance(g, np.ndarray | np.generic | float)]
    if len(got) != len(expected):
        return [(g, "") for g in got]
    return [
        (g, label)
        for g, (want, label) in zip(got, expected, strict=True)
        if not close(g, want)
    ]


def explain(
    trace: Trace,
    wrong: Sequence[tuple[NDArray, str]],
    q: dict[str, NDArray],
    suspects: Sequence[str] = (),
    verified: Sequence[str] = (),
) -> SourceLine | None:
    """The line for a traced part: where it crashed, or its first wrong value."""
    if trace.error is not None:
        n_layers = sum(1 for k in q if k.startswith("W^") and k[2:].isdigit())
        return _line(locate_crash(trace, q, n_layers or None))
    return _line(locate(trace, wrong, q, suspects, verified))
