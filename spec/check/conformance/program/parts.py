"""The parts of a learner's program checked one by one: the activation and its
derivative, the one-hot encoding, ``feedforward``/``predict``/``evaluate``, the
costs, and ``backprop`` (through the battery)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.conformance.adapters import adapt
from spec.check.conformance.derivation import sigmoid, sigmoid_prime
from spec.check.conformance.program.layouts import (
    Program,
)
from spec.check.conformance.program.report import (
    PartCase,
    PartDiagnosis,
    PartResult,
    SourceLine,
)
from spec.check.conformance.program.tracing import trace_call
from spec.check.conformance.program.values import (
    GRID,
    backprop_quantities,
    close,
    draw,
    error,
    explain,
    forward,
    quiet,
    wrong_pairs,
)
from spec.check.conformance.report import ConformanceReport, case_detail
from spec.check.conformance.run import check_implementation

__all__ = [
    "FORWARD_HIDDEN",
    "activation_parts",
    "cost_parts",
    "forward_parts",
    "gradients_part",
    "one_hot_part",
]


def activation_parts(program: Program) -> list[PartResult]:
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
            got = quiet(fn, z.copy())
        except Exception as exc:
            case = PartCase(case_label, "crashed", error(exc))
        else:
            ok = close(got, want)
            err = _max_err(got, want)
            case = PartCase(case_label, "passed" if ok else "failed", err)
        diagnosis = None
        if case.verdict != "passed":
            trace = trace_call(fn, program.path, z.copy())
            line = explain(
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


def one_hot_part(program: Program) -> PartResult | None:
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
                got = quiet(fn, label, k)
            except Exception as exc:
                cases.append(PartCase(name, "crashed", error(exc)))
                first_wrong = first_wrong or (label, k)
                shifted["one_hot_off_by_one"] = False
                continue
            ok = close(got, want)
            cases.append(
                PartCase(
                    name,
                    "passed" if ok else "failed",
                    "" if ok else f"returned {np.asarray(got).ravel().tolist()}",
                )
            )
            if not ok:
                first_wrong = first_wrong or (label, k)
            off = any(close(got, np.eye(k)[(label + s) % k]) for s in (-1, 1))
            shifted["one_hot_off_by_one"] &= off
    diagnosis = None
    if first_wrong is not None:
        label, k = first_wrong
        trace = trace_call(fn, program.path, label, k)
        want = np.eye(k)[label]
        line = explain(
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


def forward_parts(program: Program, rng: np.random.Generator) -> list[PartResult]:
    out = 10 if program.layout == "tutorial" else 3
    nets = []
    for hidden in FORWARD_HIDDEN:
        sizes = (*hidden, out)
        ws, bs, x = draw(sizes, 4, rng)
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
            preds = [int(np.argmax(forward(ws, bs, row)[1][-1])) for row in x]
            try:
                net = program.build(ws, bs)
                if kind == "forward":
                    got = [
                        quiet(net.feedforward, program.example(row, np.zeros(out))[0])
                        for row in x
                    ]
                    want = [forward(ws, bs, row)[1][-1] for row in x]
                    ok = all(close(g, w) for g, w in zip(got, want, strict=True))
                    detail = "" if ok else "a^L differs from the spec's"
                elif kind == "predict":
                    got = [quiet(net.predict, row.copy()) for row in x]
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
                        got = quiet(net.evaluate, x.copy(), np.array(labels))
                        want_value: float = right / len(preds)
                    else:
                        data = [
                            (row.reshape(-1, 1), lab)
                            for row, lab in zip(x, labels, strict=True)
                        ]
                        got = quiet(net.evaluate, data)
                        want_value = right
                    ok = bool(np.isclose(float(got), want_value))
                    detail = "" if ok else f"returned {got!r}, expected {want_value!r}"
            except Exception as exc:
                cases.append(PartCase(label, "crashed", error(exc)))
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
                line = explain(
                    trace, wrong, q, sorted(program.suspects), sorted(program.verified)
                )
            elif kind == "predict":
                trace = trace_call(net.predict, program.path, x[0].copy())
                line = explain(
                    trace, [], q, sorted(program.suspects), sorted(program.verified)
                )
            elif program.layout == "tutorial":
                trace = trace_call(
                    net.evaluate, program.path, x.copy(), np.zeros(len(x), int)
                )
                line = explain(
                    trace, [], q, sorted(program.suspects), sorted(program.verified)
                )
            else:
                data = [(row.reshape(-1, 1), 0) for row in x]
                trace = trace_call(net.evaluate, program.path, data)
                line = explain(
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


def cost_parts(program: Program, rng: np.random.Generator) -> list[PartResult]:
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
            ws, bs, _ = draw((3, n), 1, rng)
            z = rng.standard_normal(n)
            a, y = sigmoid(z), rng.random(n)
            shape = (n,) if program.layout == "tutorial" else (n, 1)
            args = [v.reshape(shape) for v in (z, a, y)]
            want = want_fn(z, a, y)
            case_label = f"{n} outputs"
            try:
                net = program.build(ws, bs)
                got = quiet(call, net, *args)
            except Exception as exc:
                cases.append(PartCase(case_label, "crashed", error(exc)))
                first = first or (net, args, z, a, y)
                continue
            ok = close(got, want)
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
                explain(
                    trace, wrong, q, sorted(program.suspects), sorted(program.verified)
                ),
            )
        parts.append(PartResult(name, "cost", tuple(cases), diagnosis))
    return parts


def gradients_part(program: Program) -> PartResult:
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
        wrong = [] if trace.error is not None else wrong_pairs(trace.result, expected)
        line = explain(
            trace, wrong, q, sorted(program.suspects), sorted(program.verified)
        )
        if line is not None:
            return line
    return None
