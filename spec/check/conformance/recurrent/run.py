r"""Learners' recurrent layers checked, and their mistakes named.

:class:`RecurrentDerivation` re-derives the VJP of every recurrent layer in
float64 NumPy, one method per line of the textbook backward (CS231n's layout:
``Wx`` ``(D, H)`` or ``(D, 4H)``, sequences ``(N, T, D)``):

.. math::

    \delta_t &= \bar h_t \odot (1 - h_t^2),\quad
        \bar h_t = \bar\ell_t + \delta_{t+1} W_h^T && \text{(RNN, BPTT)} \\
    \bar W_h &= \textstyle\sum_t h_{t-1}^T \delta_t,\quad
        \bar W_x = \sum_t x_t^T \delta_t,\quad \bar b = \sum_{t,n} \delta_t \\
    \bar c &= \bar c_t + \bar h_t \odot o \odot (1 - \tanh^2 c_t),\quad
        \bar c_{t-1} = \bar c \odot f && \text{(LSTM)} \\
    \bar a &= [\bar c\, g\, i(1-i);\ \bar c\, c_{t-1} f(1-f);\
        \bar h_t \tanh(c_t)\, o(1-o);\ \bar c\, i(1-g^2)] && \text{(in the forward's gate order)} \\
    \bar W_v &= \textstyle\sum_{x_{n,t} = v} \bar{\text{out}}_{n,t} && \text{(embedding)} \\
    \bar x_{n,t} &= \tfrac{m_{n,t}}{N} (p_{n,t} - e_{y_{n,t}}) && \text{(temporal softmax loss)}

Each known mistake (:data:`RECURRENT_MISTAKES`) is a subclass overriding the one
method whose line it gets wrong, and carries its own ``name``, ``title``,
``equation`` and ``breaks`` (the line as it should read).
:func:`check_recurrent_layer` runs a learner's forward and backward (CS231n's
signatures, unmodified) on cases chosen to reveal the mistakes — T = 1 and
T > 1, N = 1 and N > 1, H ≠ D, repeated word indices, masks with zeros, large
upstream gradients, float32 and float64 — compares with the derivation, and
names the mistake whose derivation the wrong gradients equal on every case.

This module does not use :mod:`backprop`: the derivation is the spec's own (its
agreement with the proven recursion of :mod:`spec.blocks.recurrent` evaluated in
``mpmath`` is a test).
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import numpy as np
from numpy.typing import NDArray

from spec.check.conformance.recurrent.cases import TOLERANCE, Case, recurrent_cases
from spec.check.conformance.recurrent.derivation import (
    GATE_ORDERS,
    KINDS,
    OUTPUTS,
    RecurrentDerivation,
)
from spec.check.conformance.recurrent.mistakes import RECURRENT_MISTAKES

__all__ = [
    "CS231N_NAMES",
    "CaseVerdict",
    "RecurrentFileReport",
    "RecurrentLayerReport",
    "check_recurrent_file",
    "check_recurrent_layer",
    "check_recurrent_module",
    "recurrent_names",
]


@dataclass(frozen=True)
class CaseVerdict:
    """The verdict on one case: ``"pass"``, ``"wrong"``, ``"wrong forward"`` or ``"error"``."""

    case: Case
    verdict: str
    errors: dict[str, float] = field(default_factory=dict)
    message: str = ""


@dataclass(frozen=True)
class RecurrentLayerReport:
    """Outcome of :func:`check_recurrent_layer`.

    Attributes
    ----------
    kind : str
    verdict : {"conformant", "wrong", "error"}
    cases : tuple of CaseVerdict
    gate_order : tuple of str or None
        The LSTM forward's gate order as recognised (None for other kinds).
    mistake : str or None
        The named mistake whose derivation the gradients equal on every case.
    title, equation, breaks : str or None
        The mistake's, when named.
    """

    kind: str
    verdict: str
    cases: tuple[CaseVerdict, ...]
    gate_order: tuple[str, ...] | None
    mistake: str | None
    title: str | None
    equation: str | None
    breaks: str | None

    @property
    def ok(self) -> bool:
        """Whether the layer is conformant."""
        return self.verdict == "conformant"

    @property
    def passed(self) -> bool:
        """Whether the layer is conformant (as every report of the battery
        names it)."""
        return self.ok

    def __str__(self) -> str:
        return self.summary()

    def summary(self) -> str:
        """The report as text."""
        lines = [f"{self.kind}: {self.verdict}"]
        for c in self.cases:
            worst = max(c.errors.values(), default=0.0)
            line = f"  {c.verdict:13} {c.case.why} (worst relative error {worst:.1e})"
            lines.append(f"{line} {c.message}".rstrip())
        if self.mistake:
            lines.append(
                f"  mistake: {self.mistake} — {self.title} [{self.equation}: {self.breaks}]"
            )
        return "\n".join(lines)


def _call(
    kind: str,
    forward: Callable[..., Any],
    backward: Callable[..., Any] | None,
    inputs: Mapping[str, NDArray],
    dout: Any,
) -> tuple[Any, dict[str, NDArray]]:
    v = inputs
    if kind == "temporal_softmax_loss":
        loss, dx = forward(v["x"], v["y"], v["mask"])
        return loss, {"dx": np.asarray(dx)}
    if kind == "rnn_step":
        out, cache = forward(v["x"], v["prev_h"], v["Wx"], v["Wh"], v["b"])
    elif kind in ("rnn", "lstm"):
        out, cache = forward(v["x"], v["h0"], v["Wx"], v["Wh"], v["b"])
    elif kind == "lstm_step":
        next_h, next_c, cache = forward(
            v["x"], v["prev_h"], v["prev_c"], v["Wx"], v["Wh"], v["b"]
        )
        out = (next_h, next_c)
    elif kind == "word_embedding":
        out, cache = forward(v["x"], v["W"])
    else:
        out, cache = forward(v["x"], v["w"], v["b"])
    if backward is None:
        raise TypeError(f"kind {kind!r} needs a backward function")
    result = backward(*dout, cache) if kind == "lstm_step" else backward(dout, cache)
    if kind == "word_embedding":
        result = (result,)
    return out, {
        name: np.asarray(g) for name, g in zip(OUTPUTS[kind], result, strict=True)
    }


def _reference_forward(
    kind: str, v: Mapping[str, NDArray], order: Sequence[str]
) -> Any:
    d = RecurrentDerivation()
    if kind == "rnn_step":
        return d.rnn_step_forward(v["x"], v["prev_h"], v["Wx"], v["Wh"], v["b"])
    if kind == "lstm_step":
        h, c, _ = d.lstm_step_forward(
            v["x"], v["prev_h"], v["prev_c"], v["Wx"], v["Wh"], v["b"], order
        )
        return (h, c)
    if kind in ("rnn", "lstm"):
        hs, h, c = [], v["h0"], np.zeros_like(v["h0"])
        for t in range(v["x"].shape[1]):
            if kind == "rnn":
                h = d.rnn_step_forward(v["x"][:, t], h, v["Wx"], v["Wh"], v["b"])
            else:
                h, c, _ = d.lstm_step_forward(
                    v["x"][:, t], h, c, v["Wx"], v["Wh"], v["b"], order
                )
            hs.append(h)
        return np.stack(hs, axis=1)
    if kind == "word_embedding":
        return v["W"][v["x"]]
    if kind == "temporal_affine":
        return v["x"] @ v["w"] + v["b"]
    x, y, mask = v["x"], v["y"], v["mask"]
    log_p = x - x.max(axis=2, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=2, keepdims=True))
    return (
        -float((np.take_along_axis(log_p, y[..., None], 2)[..., 0] * mask).sum())
        / x.shape[0]
    )


def _relative(actual: Any, reference: Any) -> float:
    a = np.asarray(actual, dtype=np.float64)
    r = np.asarray(reference, dtype=np.float64)
    if a.shape != r.shape:
        return float("inf")
    if not np.all(np.isfinite(a)):
        return float("inf")
    scale = max(float(np.max(np.abs(r), initial=0.0)), 1e-300)
    return float(np.max(np.abs(a - r), initial=0.0)) / scale


def _forward_error(actual: Any, reference: Any) -> float:
    if isinstance(reference, tuple):
        if not isinstance(actual, tuple) or len(actual) != len(reference):
            return float("inf")
        return max(_relative(a, r) for a, r in zip(actual, reference, strict=True))
    return _relative(actual, reference)


def _agrees(actual: Any, reference: Any, tol: float) -> bool:
    return _forward_error(actual, reference) <= tol


def check_recurrent_layer(
    forward: Callable[..., Any],
    backward: Callable[..., Any] | None = None,
    *,
    kind: str,
    rng: int | np.random.Generator = 0,
    gate_order: Sequence[str] | None = None,
) -> RecurrentLayerReport:
    """Check a learner's recurrent layer (CS231n signatures) and name its mistake.

    Parameters
    ----------
    forward, backward : callable
        E.g. ``rnn_forward(x, h0, Wx, Wh, b) -> (h, cache)`` and
        ``rnn_backward(dh, cache) -> (dx, dh0, dWx, dWh, db)``;
        ``temporal_softmax_loss(x, y, mask) -> (loss, dx)`` has no backward.
    kind : str
        One of :data:`~spec.check.conformance.recurrent.derivation.KINDS`.
    rng : int or numpy.random.Generator, default 0
        Seeds the cases' inputs and random upstream gradients.
    gate_order : sequence of str or None
        The LSTM forward's gate order; ``None``: recognised among
        :data:`GATE_ORDERS` from the forward's output.

    Returns
    -------
    RecurrentLayerReport
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    reference = RecurrentDerivation()
    verdicts: list[CaseVerdict] = []
    observed: list[tuple[Case, dict[str, NDArray], Any, dict[str, NDArray]]] = []
    orders = (
        [tuple(gate_order)] if gate_order is not None else list(GATE_ORDERS.values())
    )
    order: tuple[str, ...] = orders[0]
    for index, (case, inputs, dout) in enumerate(recurrent_cases(kind, rng)):
        tol = TOLERANCE[case.dtype]
        try:
            out, grads = _call(kind, forward, backward, inputs, dout)
        except Exception as error:
            verdicts.append(
                CaseVerdict(case, "error", message=f"{type(error).__name__}: {error}")
            )
            continue
        f64 = {
            k: (a.astype(np.float64) if a.dtype.kind == "f" else a)
            for k, a in inputs.items()
        }
        d64 = (
            tuple(np.asarray(g, np.float64) for g in dout)
            if isinstance(dout, tuple)
            else (None if dout is None else np.asarray(dout, np.float64))
        )
        if index == 0 and kind.startswith("lstm") and gate_order is None:
            order = next(
                (
                    o
                    for o in orders
                    if _agrees(out, _reference_forward(kind, f64, o), tol)
                ),
                orders[0],
            )
        forward_error = _forward_error(out, _reference_forward(kind, f64, order))
        if forward_error > tol and kind != "temporal_softmax_loss":
            verdicts.append(CaseVerdict(case, "wrong forward", {"out": forward_error}))
            continue
        expected = reference.vjp(kind, f64, d64, order)
        errors = {name: _relative(grads[name], expected[name]) for name in expected}
        if kind == "temporal_softmax_loss":
            # A wrong loss value comes with its gradient's mistake: both are reported,
            # and the diagnosis goes by the gradient.
            errors["loss"] = forward_error
        verdict = "pass" if max(errors.values()) <= tol else "wrong"
        verdicts.append(CaseVerdict(case, verdict, errors))
        if case.dtype == "float64":
            observed.append((case, f64, d64, grads))
    bad = [v.verdict for v in verdicts if v.verdict != "pass"]
    verdict = "conformant" if not bad else ("error" if "error" in bad else "wrong")
    named = None
    if verdict == "wrong" and "wrong forward" not in bad:
        for mistake in RECURRENT_MISTAKES:
            if kind not in mistake.kinds:
                continue
            if all(
                all(
                    _relative(grads[name], g) <= TOLERANCE["float64"]
                    for name, g in mistake.vjp(kind, f64, d64, order).items()
                )
                for _, f64, d64, grads in observed
            ):
                named = mistake
                break
    return RecurrentLayerReport(
        kind=kind,
        verdict=verdict,
        cases=tuple(verdicts),
        gate_order=order if kind.startswith("lstm") else None,
        mistake=None if named is None else named.name,
        title=None if named is None else named.title,
        equation=None if named is None else named.equation,
        breaks=None if named is None else named.breaks,
    )


#: CS231n's function names in ``rnn_layers.py``, by kind: (forward, backward).
CS231N_NAMES: dict[str, tuple[str, str | None]] = {
    "rnn_step": ("rnn_step_forward", "rnn_step_backward"),
    "rnn": ("rnn_forward", "rnn_backward"),
    "lstm_step": ("lstm_step_forward", "lstm_step_backward"),
    "lstm": ("lstm_forward", "lstm_backward"),
    "word_embedding": ("word_embedding_forward", "word_embedding_backward"),
    "temporal_affine": ("temporal_affine_forward", "temporal_affine_backward"),
    "temporal_softmax_loss": ("temporal_softmax_loss", None),
}


def check_recurrent_module(
    namespace: Any, *, rng: int | np.random.Generator = 0
) -> list[RecurrentLayerReport]:
    """Check every recurrent layer a module defines under CS231n's names.

    Parameters
    ----------
    namespace : module or mapping of str to callable
        E.g. a learner's imported ``rnn_layers``; a kind is checked when both its
        forward and its backward (:data:`CS231N_NAMES`) are present.
    rng : int or numpy.random.Generator, default 0

    Returns
    -------
    list of RecurrentLayerReport
        One per kind found, in the order of :data:`CS231N_NAMES`.
    """
    lookup = namespace if isinstance(namespace, Mapping) else vars(namespace)
    reports = []
    for kind, (forward, backward) in CS231N_NAMES.items():
        if forward in lookup and (backward is None or backward in lookup):
            reports.append(
                check_recurrent_layer(
                    lookup[forward],
                    None if backward is None else lookup[backward],
                    kind=kind,
                    rng=rng,
                )
            )
    return reports


@dataclass(frozen=True)
class RecurrentFileReport:
    """Outcome of :func:`check_recurrent_file`: one :class:`RecurrentLayerReport`
    per recurrent layer a learner's ``rnn_layers.py`` defines."""

    path: str
    reports: tuple[RecurrentLayerReport, ...]

    @property
    def passed(self) -> bool:
        """Every layer found is conformant."""
        return all(r.ok for r in self.reports)

    def __str__(self) -> str:
        ok = sum(r.ok for r in self.reports)
        head = f"{self.path}: {ok} of {len(self.reports)} recurrent layers conformant"
        return "\n".join([head, *(r.summary() for r in self.reports)])

    def to_dict(self) -> dict[str, Any]:
        """Plain data: one target per layer (``name``, ``kind``, ``verdict``,
        ``diagnosis``), as the JSON reports of ``backprop check``."""
        verdicts = {"conformant": "passed", "wrong": "failed", "error": "crashed"}
        return {
            "path": self.path,
            "passed": self.passed,
            "targets": [
                {
                    "name": f"{self.path}:{r.kind}",
                    "kind": r.kind,
                    "verdict": verdicts.get(r.verdict, r.verdict),
                    "diagnosis": None
                    if r.mistake is None
                    else {
                        "mistake": r.mistake,
                        "equation": r.equation,
                        "title": r.title,
                        "line": None,
                    },
                }
                for r in self.reports
            ],
        }

    def to_junit(self) -> str:
        """JUnit XML: one ``<testcase>`` per layer and case."""
        cases = [(r, c) for r in self.reports for c in r.cases]
        failed = sum(c.verdict != "pass" for _, c in cases)
        attrs = {"name": f"backprop check {self.path}", "tests": str(len(cases))}
        root = ElementTree.Element("testsuites", {**attrs, "failures": str(failed)})
        suite = ElementTree.SubElement(
            root, "testsuite", {**attrs, "failures": str(failed)}
        )
        for r, c in cases:
            case = ElementTree.SubElement(
                suite, "testcase", classname=f"{self.path}:{r.kind}", name=c.case.why
            )
            if c.verdict != "pass":
                failure = ElementTree.SubElement(case, "failure", message=c.verdict)
                failure.text = r.summary()
        ElementTree.indent(root)
        return ElementTree.tostring(root, encoding="unicode", xml_declaration=True)


def recurrent_names(path: str | Path) -> tuple[str, ...]:
    """The CS231n recurrent forward names a Python file defines at its top level,
    read without running it."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    return tuple(f for f, _ in CS231N_NAMES.values() if f in defined)


def check_recurrent_file(
    path: str | Path, *, rng: int | np.random.Generator = 0
) -> RecurrentFileReport:
    """Import a learner's ``rnn_layers.py`` and check every recurrent layer it
    defines (:func:`check_recurrent_module`)."""
    file = Path(path)
    spec_ = importlib.util.spec_from_file_location(file.stem, file)
    if spec_ is None or spec_.loader is None:
        raise ValueError(f"path must name a Python file, got {str(path)!r}")
    module = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(module)
    reports = check_recurrent_module(module, rng=rng)
    return RecurrentFileReport(str(path), tuple(reports))
