"""One minibatch step of a learner's program (``train_batch``,
``update_mini_batch``): the parameters after it against θ − α · mean gradient (L2
decay where the layout has it), and the named step mistakes."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.conformance.program.layouts import (
    Program,
)
from spec.check.conformance.program.report import (
    PartCase,
    PartDiagnosis,
    PartResult,
)
from spec.check.conformance.program.tracing import trace_call
from spec.check.conformance.program.values import (
    LEARNING_RATE,
    LMBDA,
    N_TRAINING,
    backprop_quantities,
    close,
    draw,
    error,
    explain,
    quiet,
)

__all__ = [
    "STEP_HIDDEN",
    "STEP_MISTAKES",
    "StepMistake",
    "step_method",
    "step_part",
]


@dataclasses.dataclass(frozen=True)
class StepMistake:
    """A known mistake of the minibatch step: what the parameters become."""

    name: str
    title: str
    weights: Callable[[NDArray, NDArray, NDArray, float, int, float], NDArray]
    biases: Callable[[NDArray, NDArray, NDArray, float, int, float], NDArray]


def _right_w(
    w: NDArray, s: NDArray, g: NDArray, lr: float, m: int, decay: float
) -> NDArray:
    return decay * w - lr * s / m


def _right_b(
    b: NDArray, s: NDArray, g: NDArray, lr: float, m: int, decay: float
) -> NDArray:
    return b - lr * s / m


#: The known mistakes of a minibatch step. Arguments: the parameter, the sum of
#: the per-example gradients, their mean, the learning rate, m, the decay factor.
STEP_MISTAKES: tuple[StepMistake, ...] = (
    StepMistake(
        "step_sum_not_mean",
        "the step adds up the per-example gradients without dividing by the batch "
        "size m (m times too large)",
        lambda w, s, g, lr, m, d: d * w - lr * s,
        lambda b, s, g, lr, m, d: b - lr * s,
    ),
    StepMistake(
        "step_mean_twice",
        "the step divides by the batch size m twice",
        lambda w, s, g, lr, m, d: d * w - lr * s / m**2,
        lambda b, s, g, lr, m, d: b - lr * s / m**2,
    ),
    StepMistake(
        "step_sign_flipped",
        "the step climbs the gradient: θ + α·mean instead of θ − α·mean",
        lambda w, s, g, lr, m, d: d * w + lr * s / m,
        lambda b, s, g, lr, m, d: b + lr * s / m,
    ),
    StepMistake(
        "step_no_weight_decay",
        "the L2 weight decay W ← (1 − αλ/n) W is missing",
        lambda w, s, g, lr, m, d: w - lr * s / m,
        _right_b,
    ),
    StepMistake(
        "step_decays_biases",
        "the biases are decayed by (1 − αλ/n) as well: L2 applies to weights only",
        _right_w,
        lambda b, s, g, lr, m, d: d * b - lr * s / m,
    ),
    StepMistake(
        "step_learning_rate_ignored",
        "the learning rate is not applied: θ − mean gradient",
        lambda w, s, g, lr, m, d: d * w - s / m,
        lambda b, s, g, lr, m, d: b - s / m,
    ),
)


#: The networks of the step check: (widths less the output, batch size).
STEP_HIDDEN = (((3, 4), 3), ((2, 3, 4), 2))


def step_method(program: Program) -> str | None:
    name = "train_batch" if program.layout == "tutorial" else "update_mini_batch"
    return name if callable(getattr(program.network, name, None)) else None


def step_part(program: Program, rng: np.random.Generator) -> PartResult | None:
    method = step_method(program)
    if method is None:
        return None
    out = 10 if program.layout == "tutorial" else 3
    cost = program.costs()[-1]
    decays = (
        program.layout == "nielsen"
        and len(inspect.signature(getattr(program.network, method)).parameters) >= 5
    )
    decay = 1 - LEARNING_RATE * LMBDA / N_TRAINING if decays else 1.0
    cases: list[PartCase] = []
    matches = {m.name: True for m in STEP_MISTAKES if decays or "decay" not in m.name}
    first = None
    for hidden, m in STEP_HIDDEN:
        sizes = (*hidden, out)
        ws, bs, x = draw(sizes, m, rng)
        if program.layout == "tutorial":
            labels = rng.integers(out, size=m)
            ys = np.eye(out)[labels]
        else:
            ys = rng.random((m, out))
        label = f"{'-'.join(map(str, sizes))} m={m} lr={LEARNING_RATE:g}" + (
            f" lmbda={LMBDA:g} n={N_TRAINING}" if decays else ""
        )

        def call(net: Any, x: NDArray = x, ys: NDArray = ys) -> Any:
            if program.layout == "tutorial":
                return net.train_batch(x.copy(), np.argmax(ys, axis=1), LEARNING_RATE)
            batch = [
                program.example(row, yrow) for row, yrow in zip(x, ys, strict=True)
            ]
            if decays:
                return net.update_mini_batch(batch, LEARNING_RATE, LMBDA, N_TRAINING)
            return net.update_mini_batch(batch, LEARNING_RATE)

        try:  # the program's own per-example gradients, each on a fresh network
            own = [
                quiet(program.build(ws, bs, cost).backprop, *program.example(row, yrow))
                for row, yrow in zip(x, ys, strict=True)
            ]
            if program.returns() == ("b", "w"):
                own = [(g[1], g[0]) for g in own]
            if not _fits(own, ws, bs):  # judged against the spec's gradients then
                own = [
                    _spec_gradient(ws, bs, row, yrow, cost)
                    for row, yrow in zip(x, ys, strict=True)
                ]
            sum_w = [
                _total(np.asarray(g[0][l], float) for g in own) for l in range(len(ws))
            ]
            sum_b = [
                _total(np.asarray(g[1][l], float).ravel() for g in own)
                for l in range(len(ws))
            ]
        except Exception as exc:
            cases.append(
                PartCase(label, "crashed", f"Network.backprop raised {error(exc)}")
            )
            continue
        net = program.build(ws, bs, cost)
        try:
            quiet(call, net)
            new_w, new_b = program.params(net)
        except Exception as exc:
            cases.append(PartCase(label, "crashed", error(exc)))
            first = first or (ws, bs, x, ys, m, call, sum_w, sum_b, own)
            for name in matches:
                matches[name] = False
            continue
        want_w = [
            _right_w(w, s, s / m, LEARNING_RATE, m, decay)
            for w, s in zip(ws, sum_w, strict=True)
        ]
        want_b = [
            _right_b(b, s, s / m, LEARNING_RATE, m, decay)
            for b, s in zip(bs, sum_b, strict=True)
        ]
        ok = all(
            close(g, w) for g, w in zip(new_w + new_b, want_w + want_b, strict=False)
        ) and len(new_w) == len(ws)
        cases.append(
            PartCase(
                label,
                "passed" if ok else "failed",
                ""
                if ok
                else "parameters after the step differ from θ − α·mean gradient",
            )
        )
        if ok:
            continue
        first = first or (ws, bs, x, ys, m, call, sum_w, sum_b, own)
        for mistake in STEP_MISTAKES:
            if mistake.name not in matches:
                continue
            mw = [
                mistake.weights(w, s, s / m, LEARNING_RATE, m, decay)
                for w, s in zip(ws, sum_w, strict=True)
            ]
            mb = [
                mistake.biases(b, s, s / m, LEARNING_RATE, m, decay)
                for b, s in zip(bs, sum_b, strict=True)
            ]
            matches[mistake.name] &= len(new_w) == len(ws) and all(
                close(g, w) for g, w in zip(new_w + new_b, mw + mb, strict=True)
            )
    diagnosis = None
    if first is not None:
        ws, bs, x, ys, m, call, sum_w, sum_b, own = first
        named = next((mk for mk in STEP_MISTAKES if matches.get(mk.name)), None)
        q = _step_quantities(ws, bs, x, ys, m, sum_w, sum_b, own, decay)
        net = program.build(ws, bs, cost)
        trace = trace_call(call, program.path, net)
        wrong: list[tuple[NDArray, str]] = []
        if trace.error is None:
            new_w, new_b = program.params(net)
            for l, (g, w, s) in enumerate(zip(new_w, ws, sum_w, strict=False), 1):
                if not close(g, _right_w(w, s, s, LEARNING_RATE, m, decay)):
                    wrong.append((g, f"W^{l} after the step"))
            for l, (g, b, s) in enumerate(zip(new_b, bs, sum_b, strict=False), 1):
                if not close(g, _right_b(b, s, s, LEARNING_RATE, m, decay)):
                    wrong.append((g, f"b^{l} after the step"))
        line = explain(
            trace, wrong, q, sorted(program.suspects), sorted(program.verified)
        )
        title = (
            named.title
            if named
            else "the parameters after one step are not θ − α·(1/m) Σ_x ∇C_x"
            + (" with W decayed by (1 − αλ/n)" if decays else "")
        )
        diagnosis = PartDiagnosis(named.name if named else None, "step", title, line)
    return PartResult(f"Network.{method}", "step", tuple(cases), diagnosis)


def _total(arrays: Iterable[NDArray]) -> NDArray:
    """The sum of the arrays (of one shape)."""
    return np.sum(np.stack(list(arrays)), axis=0)


def _fits(own: Sequence[Any], ws: Sequence[NDArray], bs: Sequence[NDArray]) -> bool:
    """The per-example gradients have the shapes of the parameters."""
    try:
        return all(
            len(g[0]) == len(ws)
            and len(g[1]) == len(bs)
            and all(np.shape(a) == w.shape for a, w in zip(g[0], ws, strict=True))
            and all(np.size(a) == b.size for a, b in zip(g[1], bs, strict=True))
            for g in own
        )
    except TypeError:
        return False


def _spec_gradient(
    ws: Sequence[NDArray], bs: Sequence[NDArray], x: NDArray, y: NDArray, cost: str
) -> tuple[list[NDArray], list[NDArray]]:
    q = backprop_quantities(ws, bs, x, y, cost)
    n = len(ws)
    return [q[f"∂C/∂W^{l}"] for l in range(1, n + 1)], [
        q[f"∂C/∂b^{l}"] for l in range(1, n + 1)
    ]


def _step_quantities(
    ws: Sequence[NDArray],
    bs: Sequence[NDArray],
    x: NDArray,
    ys: NDArray,
    m: int,
    sum_w: Sequence[NDArray],
    sum_b: Sequence[NDArray],
    own: Sequence[Any],
    decay: float,
) -> dict[str, NDArray]:
    q: dict[str, NDArray] = {}
    for l, (w, b) in enumerate(zip(ws, bs, strict=True), 1):
        q[f"W^{l}"] = np.asarray(w, float)
        q[f"b^{l}"] = np.asarray(b, float).ravel()
    q["the inputs X"] = x
    for k in range(m):
        q[f"x of example {k + 1}"] = x[k]
        q[f"y of example {k + 1}"] = ys[k]
    for l in range(len(ws)):
        for k in range(m):
            q[f"∂C_{k + 1}/∂W^{l + 1}"] = np.asarray(own[k][0][l], float)
            q[f"∂C_{k + 1}/∂b^{l + 1}"] = np.asarray(own[k][1][l], float).ravel()
            if 0 < k < m - 1:
                q[f"Σ_(x ≤ {k + 1}) ∂C_x/∂W^{l + 1}"] = _total(
                    np.asarray(own[j][0][l], float) for j in range(k + 1)
                )
                q[f"Σ_(x ≤ {k + 1}) ∂C_x/∂b^{l + 1}"] = _total(
                    np.asarray(own[j][1][l], float).ravel() for j in range(k + 1)
                )
        q[f"Σ_x ∂C_x/∂W^{l + 1}"] = sum_w[l]
        q[f"Σ_x ∂C_x/∂b^{l + 1}"] = sum_b[l]
        q[f"∂C/∂W^{l + 1} (the mean)"] = sum_w[l] / m
        q[f"∂C/∂b^{l + 1} (the mean)"] = sum_b[l] / m
        q[f"α ∂C/∂W^{l + 1}"] = LEARNING_RATE * sum_w[l] / m
        q[f"α ∂C/∂b^{l + 1}"] = LEARNING_RATE * sum_b[l] / m
        q[f"W^{l + 1} after the step"] = _right_w(
            ws[l], sum_w[l], sum_w[l], LEARNING_RATE, m, decay
        )
        q[f"b^{l + 1} after the step"] = _right_b(
            bs[l], sum_b[l], sum_b[l], LEARNING_RATE, m, decay
        )
        if decay != 1:
            q[f"(1 − αλ/n) W^{l + 1}"] = decay * np.asarray(ws[l], float)
    scalars = {"α": LEARNING_RATE, "α/m": LEARNING_RATE / m, "1/m": 1 / m}
    if decay != 1:
        scalars.update(
            {
                "λ": LMBDA,
                "λ/n": LMBDA / N_TRAINING,
                "αλ/n": 1 - decay,
                "1 − αλ/n": decay,
            }
        )
    for name, value in scalars.items():
        q[name] = np.asarray(value, dtype=np.float64)
    return q
