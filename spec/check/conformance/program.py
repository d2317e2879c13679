r"""A learner's whole program checked as written: :func:`check_program`.

The check recognises which layout a file follows
(:data:`~spec.check.conformance.layouts.LAYOUTS`), builds its networks itself for
each case (the class's own constructor, then the case's parameters put where that
layout keeps them), and checks every part it finds:

==============  =============================================================
kind            what the part is held to
==============  =============================================================
``activation``  :math:`\sigma` and :math:`\sigma'` on a grid of :math:`z` in
                :math:`[-40, 40]` and the tails :math:`\pm 100, \pm 700`
``one_hot``     the encoding of every label :math:`0 \dots k-1`, :math:`k = 3, 10`
``forward``     ``feedforward`` against :math:`a^L` of the spec's forward pass
``predict``     ``predict`` against :math:`\arg\max a^L`
``evaluate``    ``evaluate`` against the fraction (tutorial) or count (Nielsen)
                of right predictions, on labels half of which are right
``cost``        the output error ``a - y`` (and each cost class's ``delta``
                and ``fn``)
``gradients``   ``backprop``: the conformance battery
                (:func:`spec.check_implementation`); integer labels one-hot
                to 10 outputs where the program takes them (``suite="labels"``)
``step``        one minibatch step: parameters after it against
                :math:`\theta - \alpha \cdot` the mean of the program's own
                per-example gradients (and :math:`W (1 - \alpha\lambda/n)` where the
                layout decays weights)
==============  =============================================================

For a wrong part the report names the mistake where a catalogue knows it (the
battery's for ``backprop``, :data:`STEP_MISTAKES` for the step, an off-by-one
one-hot encoding) and gives the line of the learner's file that computes the first
wrong value (:mod:`spec.check.conformance.tracing`), run once more on one case.
"""

from __future__ import annotations

import dataclasses
import inspect
import itertools
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

import backprop
from spec.check.conformance.adapters import adapt, takes_keyword
from spec.check.conformance.derivation import sigmoid, sigmoid_prime
from spec.check.conformance.layouts import (
    Program,
    gradient_function,
    import_file,
    recognise,
)
from spec.check.conformance.report import (
    ConformanceReport,
    PartCase,
    PartDiagnosis,
    PartResult,
    ProgramReport,
    SourceLine,
    case_detail,
)
from spec.check.conformance.run import check_implementation
from spec.check.conformance.tracing import (
    Located,
    Trace,
    locate,
    locate_crash,
    trace_call,
)

__all__ = [
    "STEP_MISTAKES",
    "StepMistake",
    "backprop_quantities",
    "check_function",
    "check_program",
    "part_names",
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


# -- the spec's values -------------------------------------------------------------


def _forward(
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
    zs, acts = _forward(ws, bs, x)
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


def _close(got: Any, want: Any) -> bool:
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


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _quiet(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _draw(
    sizes: Sequence[int], m: int, rng: np.random.Generator
) -> tuple[list[NDArray], list[NDArray], NDArray]:
    ws = [rng.standard_normal((n, k)) for k, n in itertools.pairwise(sizes)]
    bs = [rng.standard_normal(n) for n in sizes[1:]]
    return ws, bs, rng.random((m, sizes[0]))


def _line(found: Located | None) -> SourceLine | None:
    if found is None:
        return None
    return SourceLine(found.path, found.number, found.source, found.explanation())


def _wrong_pairs(
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
        if not _close(g, want)
    ]


def _explain(
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


# -- the parts ---------------------------------------------------------------------


def _activation_parts(program: Program) -> list[PartResult]:
    parts = []
    z = GRID.copy()
    expected = {"sigmoid": sigmoid(z), "sigmoid_prime": sigmoid_prime(z)}
    quantities = {
        "σ(z)": sigmoid(z),
        "σ'(z)": sigmoid_prime(z),
        "z": z,
        "1 - σ(z)": sigmoid(-z),
    }
    for name, want in expected.items():
        fn = getattr(program.module, name, None)
        if not callable(fn):
            continue
        label = "σ(z)" if name == "sigmoid" else "σ'(z)"
        case_label = f"{len(z)} points of [-40, 40] and ±100, ±700"
        try:
            got = _quiet(fn, z.copy())
        except Exception as exc:
            case = PartCase(case_label, "crashed", _error(exc))
        else:
            ok = _close(got, want)
            err = _max_err(got, want)
            case = PartCase(case_label, "passed" if ok else "failed", err)
        diagnosis = None
        if case.verdict != "passed":
            trace = trace_call(fn, program.path, z.copy())
            line = _explain(
                trace,
                [(np.asarray(trace.result), label)] if trace.error is None else [],
                quantities,
            )
            diagnosis = PartDiagnosis(None, None, f"{name}(z) is not {label}", line)
        parts.append(PartResult(name, "activation", (case,), diagnosis))
    return parts


def _max_err(got: Any, want: NDArray) -> str:
    try:
        g = np.asarray(got, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return f"returned {type(got).__name__}"
    if g.size != want.size:
        return f"returned shape {np.shape(got)}, expected {want.shape}"
    with np.errstate(all="ignore"):
        err = float(np.nanmax(np.abs(g - want.ravel()))) if g.size else 0.0
    return f"max abs err {err:.1e}"


def _one_hot_part(program: Program) -> PartResult | None:
    fn = getattr(program.module, "to_one_hot", None)
    if not callable(fn):
        return None
    cases, first_wrong = [], None
    shifted = {"one_hot_off_by_one": True}
    for k in (3, 10):
        for label in range(k):
            want = np.eye(k)[label]
            name = f"label {label} of {k}"
            try:
                got = _quiet(fn, label, k)
            except Exception as exc:
                cases.append(PartCase(name, "crashed", _error(exc)))
                first_wrong = first_wrong or (label, k)
                shifted["one_hot_off_by_one"] = False
                continue
            ok = _close(got, want)
            cases.append(
                PartCase(
                    name,
                    "passed" if ok else "failed",
                    "" if ok else f"returned {np.asarray(got).ravel().tolist()}",
                )
            )
            if not ok:
                first_wrong = first_wrong or (label, k)
            off = any(_close(got, np.eye(k)[(label + s) % k]) for s in (-1, 1))
            shifted["one_hot_off_by_one"] &= off
    diagnosis = None
    if first_wrong is not None:
        label, k = first_wrong
        trace = trace_call(fn, program.path, label, k)
        want = np.eye(k)[label]
        line = _explain(
            trace,
            [(np.asarray(trace.result), f"e_{label}")] if trace.error is None else [],
            {f"e_{label}": want},
        )
        named = shifted["one_hot_off_by_one"]
        diagnosis = PartDiagnosis(
            "one_hot_off_by_one" if named else None,
            None,
            "the one-hot vector has its 1 one place off (label y encoded as y ± 1)"
            if named
            else "to_one_hot(y, k) is not the unit vector e_y of length k",
            line,
        )
    return PartResult("to_one_hot", "one_hot", tuple(cases), diagnosis)


#: The networks of the forward, predict and evaluate checks (widths less the output).
FORWARD_HIDDEN = ((3,), (3, 4), (2, 3, 4))


def _forward_parts(program: Program, rng: np.random.Generator) -> list[PartResult]:
    out = 10 if program.layout == "tutorial" else 3
    nets = []
    for hidden in FORWARD_HIDDEN:
        sizes = (*hidden, out)
        ws, bs, x = _draw(sizes, 4, rng)
        nets.append((sizes, ws, bs, x))
    parts = []
    net_class = program.network
    fns = [
        ("feedforward", "forward"),
        ("predict", "predict"),
        ("evaluate", "evaluate"),
    ]
    for method, kind in fns:
        if not callable(getattr(net_class, method, None)):
            continue
        cases, first = [], None
        for sizes, ws, bs, x in nets:
            label = "-".join(map(str, sizes))
            preds = [int(np.argmax(_forward(ws, bs, row)[1][-1])) for row in x]
            try:
                net = program.build(ws, bs)
                if kind == "forward":
                    got = [
                        _quiet(net.feedforward, program.example(row, np.zeros(out))[0])
                        for row in x
                    ]
                    want = [_forward(ws, bs, row)[1][-1] for row in x]
                    ok = all(_close(g, w) for g, w in zip(got, want, strict=True))
                    detail = "" if ok else "a^L differs from the spec's"
                elif kind == "predict":
                    got = [_quiet(net.predict, row.copy()) for row in x]
                    ok = [int(g) for g in got] == preds
                    detail = (
                        ""
                        if ok
                        else f"predicted {[int(g) for g in got]}, argmax a^L is {preds}"
                    )
                else:
                    labels = [
                        p if k % 2 == 0 else (p + 1) % out for k, p in enumerate(preds)
                    ]
                    right = sum(k % 2 == 0 for k in range(len(preds)))
                    if program.layout == "tutorial":
                        got = _quiet(net.evaluate, x.copy(), np.array(labels))
                        want_value: float = right / len(preds)
                    else:
                        data = [
                            (row.reshape(-1, 1), lab)
                            for row, lab in zip(x, labels, strict=True)
                        ]
                        got = _quiet(net.evaluate, data)
                        want_value = right
                    ok = bool(np.isclose(float(got), want_value))
                    detail = "" if ok else f"returned {got!r}, expected {want_value!r}"
            except Exception as exc:
                cases.append(PartCase(label, "crashed", _error(exc)))
                first = first or (ws, bs, x)
                continue
            cases.append(PartCase(label, "passed" if ok else "failed", detail))
            if not ok:
                first = first or (ws, bs, x)
        diagnosis = None
        if first is not None:
            ws, bs, x = first
            net = program.build(ws, bs)
            q = backprop_quantities(ws, bs, x[0], np.zeros(out), "cross_entropy")
            if kind == "forward":
                arg = program.example(x[0], np.zeros(out))[0]
                trace = trace_call(net.feedforward, program.path, arg)
                wrong = (
                    [(np.asarray(trace.result), f"a^{len(ws)}")]
                    if trace.error is None
                    else []
                )
                line = _explain(
                    trace, wrong, q, sorted(program.suspects), sorted(program.verified)
                )
            elif kind == "predict":
                trace = trace_call(net.predict, program.path, x[0].copy())
                line = _explain(
                    trace, [], q, sorted(program.suspects), sorted(program.verified)
                )
            elif program.layout == "tutorial":
                trace = trace_call(
                    net.evaluate, program.path, x.copy(), np.zeros(len(x), int)
                )
                line = _explain(
                    trace, [], q, sorted(program.suspects), sorted(program.verified)
                )
            else:
                data = [(row.reshape(-1, 1), 0) for row in x]
                trace = trace_call(net.evaluate, program.path, data)
                line = _explain(
                    trace, [], q, sorted(program.suspects), sorted(program.verified)
                )
            diagnosis = PartDiagnosis(
                None,
                None,
                f"Network.{method} differs from the spec's forward pass",
                line,
            )
        parts.append(PartResult(f"Network.{method}", kind, tuple(cases), diagnosis))
    return parts


def _cost_parts(program: Program, rng: np.random.Generator) -> list[PartResult]:
    """The output error and the cost classes."""
    checks: list[tuple[str, Callable[..., Any], Callable[..., Any], str]] = []
    net_class = program.network
    if program.layout == "tutorial" and callable(
        getattr(net_class, "get_output_delta", None)
    ):
        checks.append(
            (
                "Network.get_output_delta",
                lambda net, z, a, y: net.get_output_delta(z, a, y),
                lambda z, a, y: a - y,
                "a - y",
            )
        )
    if program.layout == "nielsen":
        if callable(getattr(net_class, "cost_derivative", None)):
            checks.append(
                (
                    "Network.cost_derivative",
                    lambda net, z, a, y: net.cost_derivative(a, y),
                    lambda z, a, y: a - y,
                    "a - y",
                )
            )
        for cost, cls in program.cost_classes().items():
            delta = (
                (lambda z, a, y: a - y)
                if cost == "cross_entropy"
                else (lambda z, a, y: (a - y) * sigmoid_prime(z))
            )
            checks.append(
                (
                    f"{cls.__name__}.delta",
                    lambda net, z, a, y, cls=cls: cls.delta(z, a, y),
                    delta,
                    "δ^L",
                )
            )
            if callable(getattr(cls, "fn", None)):
                value = (
                    (lambda z, a, y: np.sum(-y * np.log(a) - (1 - y) * np.log(1 - a)))
                    if cost == "cross_entropy"
                    else (lambda z, a, y: 0.5 * np.sum((a - y) ** 2))
                )
                checks.append(
                    (
                        f"{cls.__name__}.fn",
                        lambda net, z, a, y, cls=cls: cls.fn(a, y),
                        value,
                        "C",
                    )
                )
    parts = []
    for name, call, want_fn, label in checks:
        cases, first = [], None
        for n in (2, 4):
            ws, bs, _ = _draw((3, n), 1, rng)
            z = rng.standard_normal(n)
            a, y = sigmoid(z), rng.random(n)
            shape = (n,) if program.layout == "tutorial" else (n, 1)
            args = [v.reshape(shape) for v in (z, a, y)]
            want = want_fn(z, a, y)
            case_label = f"{n} outputs"
            try:
                net = program.build(ws, bs)
                got = _quiet(call, net, *args)
            except Exception as exc:
                cases.append(PartCase(case_label, "crashed", _error(exc)))
                first = first or (net, args, z, a, y)
                continue
            ok = _close(got, want)
            cases.append(
                PartCase(
                    case_label,
                    "passed" if ok else "failed",
                    "" if ok else _max_err(got, np.asarray(want, float)),
                )
            )
            if not ok:
                first = first or (net, args, z, a, y)
        diagnosis = None
        if first is not None:
            net, args, z, a, y = first
            q = {
                "a": a,
                "y": y,
                "z": z,
                "a - y": a - y,
                "σ'(z)": sigmoid_prime(z),
                "(a - y) σ'(z)": (a - y) * sigmoid_prime(z),
            }
            trace = trace_call(call, program.path, net, *args)
            wrong = (
                [(np.asarray(trace.result), label)]
                if trace.error is None and isinstance(trace.result, np.ndarray)
                else []
            )
            diagnosis = PartDiagnosis(
                None,
                "BP1" if label != "C" else None,
                f"{name} is not {label}",
                _explain(
                    trace, wrong, q, sorted(program.suspects), sorted(program.verified)
                ),
            )
        parts.append(PartResult(name, "cost", tuple(cases), diagnosis))
    return parts


def _gradients_part(program: Program) -> PartResult:
    """``Network.backprop`` through the battery."""
    calls: list[tuple[list[NDArray], list[NDArray], NDArray, NDArray, str]] = []
    order = program.returns()

    def one(
        weights: list[NDArray], biases: list[NDArray], x: NDArray, y: NDArray, cost: str
    ) -> Any:
        net = program.build(weights, biases, cost)
        return net.backprop(*program.example(x, y))

    layout = "rows" if program.layout == "tutorial" else "columns"
    adapted = adapt(one, layout=layout, per_example=True, returns=order)

    def gradients(
        weights: Any, biases: Any, x: Any, y: Any, cost: str = "cross_entropy"
    ) -> Any:
        calls.append(
            (
                [np.array(w) for w in weights],
                [np.array(b) for b in biases],
                np.array(x),
                np.array(y),
                cost,
            )
        )
        return adapted(weights, biases, x, y, cost=cost)

    suite = "labels" if program.layout == "tutorial" else "standard"
    report = check_implementation(
        gradients, cost=program.costs(), suite=suite, rng=program.rng
    )
    cases = tuple(
        PartCase(f"{r.case.label}: {r.case.name}", r.verdict, case_detail(r))
        for r in report.cases
    )
    diagnosis = None
    if not report.passed and report.diagnosis is not None:
        line = _backprop_line(program, report, calls)
        d = report.diagnosis
        diagnosis = PartDiagnosis(
            d.mistake or None, d.equation or None, d.message, line
        )
    return PartResult("Network.backprop", "gradients", cases, diagnosis, report)


def _backprop_line(
    program: Program, report: ConformanceReport, calls: list[Any]
) -> SourceLine | None:
    failing = [
        k
        for k, r in enumerate(report.cases)
        if not r.passed and r.case.dtype == "float64"
    ]
    failing.sort(key=lambda k: report.cases[k].verdict != "failed")
    for k in failing[:3]:
        ws, bs, x, y, cost = calls[k]
        net = program.build(ws, bs, cost)
        arg_x, arg_y = program.example(x[0], y[0])
        q = backprop_quantities(ws, bs, x[0], y[0], cost)
        n = len(ws)
        grads_w = [(q[f"∂C/∂W^{l}"], f"∂C/∂W^{l}") for l in range(1, n + 1)]
        grads_b = [(q[f"∂C/∂b^{l}"], f"∂C/∂b^{l}") for l in range(1, n + 1)]
        expected = (
            grads_w + grads_b if program.returns() == ("w", "b") else grads_b + grads_w
        )
        trace = trace_call(net.backprop, program.path, arg_x, arg_y)
        wrong = [] if trace.error is not None else _wrong_pairs(trace.result, expected)
        line = _explain(
            trace, wrong, q, sorted(program.suspects), sorted(program.verified)
        )
        if line is not None:
            return line
    return None


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


def _step_method(program: Program) -> str | None:
    name = "train_batch" if program.layout == "tutorial" else "update_mini_batch"
    return name if callable(getattr(program.network, name, None)) else None


def _step_part(program: Program, rng: np.random.Generator) -> PartResult | None:
    method = _step_method(program)
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
        ws, bs, x = _draw(sizes, m, rng)
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
                _quiet(
                    program.build(ws, bs, cost).backprop, *program.example(row, yrow)
                )
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
                PartCase(label, "crashed", f"Network.backprop raised {_error(exc)}")
            )
            continue
        net = program.build(ws, bs, cost)
        try:
            _quiet(call, net)
            new_w, new_b = program.params(net)
        except Exception as exc:
            cases.append(PartCase(label, "crashed", _error(exc)))
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
            _close(g, w) for g, w in zip(new_w + new_b, want_w + want_b, strict=False)
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
                _close(g, w) for g, w in zip(new_w + new_b, mw + mb, strict=True)
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
                if not _close(g, _right_w(w, s, s, LEARNING_RATE, m, decay)):
                    wrong.append((g, f"W^{l} after the step"))
            for l, (g, b, s) in enumerate(zip(new_b, bs, sum_b, strict=False), 1):
                if not _close(g, _right_b(b, s, s, LEARNING_RATE, m, decay)):
                    wrong.append((g, f"b^{l} after the step"))
        line = _explain(
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


# -- the whole program -------------------------------------------------------------


def _parts(
    program: Program, rng: np.random.Generator
) -> list[tuple[str, Callable[[], Any]]]:
    """The checks of each part, by part name, in the order they are run."""
    checks: list[tuple[str, Callable[[], Any]]] = []
    for name in ("sigmoid", "sigmoid_prime"):
        if callable(getattr(program.module, name, None)):
            checks.append((name, lambda: _activation_parts(program)))
    if callable(getattr(program.module, "to_one_hot", None)):
        checks.append(("to_one_hot", lambda: [_one_hot_part(program)]))
    for method in ("feedforward", "predict", "evaluate"):
        if callable(getattr(program.network, method, None)):
            checks.append((f"Network.{method}", lambda: _forward_parts(program, rng)))
    for name in _cost_names(program):
        checks.append((name, lambda: _cost_parts(program, rng)))
    checks.append(("Network.backprop", lambda: [_gradients_part(program)]))
    step = _step_method(program)
    if step is not None:
        checks.append((f"Network.{step}", lambda: [_step_part(program, rng)]))
    return checks


def _cost_names(program: Program) -> list[str]:
    names = []
    if program.layout == "tutorial" and callable(
        getattr(program.network, "get_output_delta", None)
    ):
        names.append("Network.get_output_delta")
    if program.layout == "nielsen":
        if callable(getattr(program.network, "cost_derivative", None)):
            names.append("Network.cost_derivative")
        for cls in program.cost_classes().values():
            names.append(f"{cls.__name__}.delta")
            if callable(getattr(cls, "fn", None)):
                names.append(f"{cls.__name__}.fn")
    return names


def part_names(module: ModuleType) -> list[str]:
    """The names of the parts :func:`check_program` would check in ``module``."""
    layout = recognise(module)
    if layout == "function":
        fn = gradient_function(module)
        return [getattr(fn, "__name__", "gradients")]
    program = Program(module, str(module.__file__), layout, 0)
    return [name for name, _ in _parts(program, np.random.default_rng(0))]


def check_function(
    fn: Callable[..., Any],
    *,
    name: str | None = None,
    cost: str | Sequence[str] | None = None,
    rng: int | np.random.Generator = 0,
    adapt_options: dict[str, Any] | None = None,
    **battery: Any,
) -> ConformanceReport:
    """The battery on a gradient function in any convention :func:`spec.adapt`
    takes; a function that takes no ``cost=`` is checked on the cost it
    implements (each fitting cost is tried, the first that passes is reported,
    else the one with most cases passed)."""
    options = dict(adapt_options or {})
    gradients = adapt(fn, **options)
    takes_cost = options.get("cost_keyword", True) and takes_keyword(fn, "cost")
    if cost is not None or takes_cost:
        report = check_implementation(gradients, cost=cost, rng=rng, **battery)
    else:
        reports = []
        for c in backprop.COSTS:
            try:
                report = check_implementation(gradients, cost=c, rng=rng, **battery)
            except ValueError:  # the cost fits no output layer of the suite
                continue
            if report.passed:
                break
            reports.append(report)
        else:
            report = max(reports, key=lambda r: r.counts()["passed"])
    target = (
        name or f"{getattr(fn, '__module__', '')}:{getattr(fn, '__qualname__', 'fn')}"
    )
    return dataclasses.replace(report, target=target)


def check_program(
    path_or_module: str | Path | ModuleType,
    *,
    rng: int | np.random.Generator = 0,
    parts: Sequence[str] | None = None,
    name: str | None = None,
) -> ProgramReport:
    r"""Check a learner's program as written: every part it has, and the line.

    Parameters
    ----------
    path_or_module : str, Path or module
        A ``.py`` file, a dotted module name, or an imported module, in one of
        the layouts of :data:`~spec.check.conformance.layouts.LAYOUTS` (the
        tutorial's, Nielsen's, or a ``gradients(weights, biases, x, y)``
        function).
    rng : int or numpy.random.Generator
        Seed of every case's parameters and data.
    parts : sequence of str, optional
        Only these parts (names as :func:`part_names` gives them, e.g.
        ``"Network.backprop"``); by default all.
    name : str, optional
        The program's name in the report (default: the path as given).

    Returns
    -------
    ProgramReport
        ``report.passed`` is the verdict; ``str(report)`` a table of the parts and,
        for each wrong one, the mistake and the line of the file that computes
        the first wrong value.

    Raises
    ------
    ValueError
        When the file does not import, follows no known layout (naming what it
        defines), or ``parts`` names a part it does not have.
    """
    if isinstance(path_or_module, ModuleType):
        module = path_or_module
        target = name or module.__name__
    else:
        module = import_file(str(path_or_module))
        target = name or str(path_or_module)
    layout = recognise(module)
    seed = rng if isinstance(rng, int) and not isinstance(rng, bool) else None
    generator = np.random.default_rng(rng)
    path = str(getattr(module, "__file__", "") or "")
    if layout == "function":
        fn = gradient_function(module)
        assert fn is not None
        report = check_function(fn, name=fn.__name__, rng=generator)
        cases = tuple(
            PartCase(f"{r.case.label}: {r.case.name}", r.verdict, case_detail(r))
            for r in report.cases
        )
        d = report.diagnosis
        diagnosis = (
            None
            if d is None
            else PartDiagnosis(d.mistake or None, d.equation or None, d.message, None)
        )
        part = PartResult(fn.__name__, "gradients", cases, diagnosis, report)
        return ProgramReport(target, layout, (part,), seed)
    program = Program(module, path, layout, generator)
    checks = _parts(program, generator)
    known = [n for n, _ in checks]
    if parts is not None:
        unknown = [p for p in parts if p not in known]
        if unknown:
            raise ValueError(
                f"parts must be among {known} (the parts of this {layout}-style "
                f"program), got {unknown}"
            )
    results: dict[str, PartResult] = {}
    for part_name, run in checks:  # one run may check several parts
        if (parts is not None and part_name not in parts) or part_name in results:
            continue
        for result in run() or []:
            if result is not None:
                results.setdefault(result.name, result)
                if not result.passed:
                    program.suspects.add(result.name)
                else:
                    program.verified.add(result.name)
    ordered = tuple(
        results[n]
        for n in dict.fromkeys(known)
        if n in results and (parts is None or n in parts)
    )
    return ProgramReport(target, layout, ordered, seed)
