r"""Check a learner's layer, forward and backward in the CS231n shape: :func:`check_layer`.

Every case of the layer's kind (:data:`~spec.check.conformance.layers.cases.LAYER_CASES`)
is run through the learner's own forward, whose cache goes to their backward
with a random upstream gradient; each gets copies of its inputs, and writing
into one is itself a finding. Every output (the forward's, batch norm's
running statistics, every gradient) is compared with the spec's own float64
derivation (:mod:`~spec.check.conformance.layers.derivation`) by the criterion below; where a case
fails, the diagnosis names the known mistake (:mod:`~spec.check.conformance.layers.mistakes`) whose
derivation the learner's outputs equal on every case where their code
computes. On float64 cases marked ``second_opinion`` the backward is also
compared with a numeric VJP of the learner's own forward, which tells a wrong
backward from a wrong forward. CS231n's relative error is reported beside our
criterion.

Criterion: an output passes when ``max |a - b| <= rtol * max(|a|max, |b|max,
1e-3)`` (largest error over the largest entry), shapes equal and every entry
finite, with ``rtol`` by precision (:data:`~spec.check.conformance.layers.compare.RTOL`). At a kink the rule is the
subdifferential: a max pooling window with tied maxima may split its upstream
gradient over them in any way (weights ≥ 0 summing to 1), a ReLU input exactly 0
may pass any fraction of it. Dropout's mask is read off the learner's output
(``out != 0``) and its kept fraction must fit the keep probability ``p``
(six binomial standard deviations).
"""

from __future__ import annotations

import contextlib
import copy
import math
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.conformance.layers.cases import (
    CaseInputs,
    LayerCase,
    case_data,
    cases_for,
    upstream,
)
from spec.check.conformance.layers.compare import (
    SCALE_FLOOR,
    Observation,
    as64,
    evaluate,
    output_checks,
    quiet,
)
from spec.check.conformance.layers.derivation import KINDS, LayerDerivation
from spec.check.conformance.layers.diagnosis import coverage_warnings, diagnose
from spec.check.conformance.layers.report import (
    LayerCaseResult,
    LayerReport,
    OutputCheck,
)
from spec.check.conformance.recurrent.derivation import KINDS as RECURRENT_KINDS
from spec.check.conformance.recurrent.run import (
    RecurrentLayerReport,
    check_recurrent_layer,
)

__all__ = [
    "ARGUMENTS",
    "BACKWARD_RETURNS",
    "LOSSES",
    "NUMERIC_STEP",
    "PIECEWISE_LINEAR",
    "PIECEWISE_LINEAR_STEP",
    "check_layer",
    "expected_shape",
]


#: Central differences for the second opinion: relative step. Smooth layers
#: (normalisation, softmax): 1e-5 balances truncation (h^2) and rounding (eps/h)
#: at ~1e-10. Piecewise-linear ones have no truncation error between kinks, so a
#: step of 1e-7 (rounding ~1e-9) makes crossing a kink (a near-tie of a max
#: pooling window, an input near 0 of a ReLU) 100 times rarer.
NUMERIC_STEP = 1e-5


PIECEWISE_LINEAR_STEP = 1e-7


PIECEWISE_LINEAR = (
    "affine",
    "relu",
    "convolution",
    "max_pool",
    "average_pool",
    "hinge_loss",
)


#: What each backward returns, in order.
BACKWARD_RETURNS: dict[str, tuple[str, ...]] = {
    "affine": ("dx", "dw", "db"),
    "relu": ("dx",),
    "convolution": ("dx", "dw", "db"),
    "max_pool": ("dx",),
    "average_pool": ("dx",),
    "batchnorm": ("dx", "dgamma", "dbeta"),
    "layernorm": ("dx", "dgamma", "dbeta"),
    "spatial_batchnorm": ("dx", "dgamma", "dbeta"),
    "groupnorm": ("dx", "dgamma", "dbeta"),
    "dropout": ("dx",),
}


LOSSES = ("softmax_loss", "hinge_loss")


_GRAD_OF = {"x": "dx", "w": "dw", "b": "db", "gamma": "dgamma", "beta": "dbeta"}


# -- calling the learner's code ---------------------------------------------------
def _param_dict(kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    keys = {
        "convolution": ("stride", "pad"),
        "max_pool": ("pool_height", "pool_width", "stride"),
        "average_pool": ("pool_height", "pool_width", "stride"),
        "batchnorm": ("mode", "eps", "momentum", "running_mean", "running_var"),
        "spatial_batchnorm": ("mode", "eps", "momentum", "running_mean", "running_var"),
        "layernorm": ("eps",),
        "groupnorm": ("eps",),
        "dropout": ("p", "mode", "seed"),
    }[kind]
    return {k: copy.deepcopy(params[k]) for k in keys}


def _forward_args(
    kind: str,
    given: Mapping[str, NDArray],
    param: dict[str, Any],
    params: Mapping[str, Any],
) -> tuple[Any, ...]:
    """The positional arguments of the CS231n forward of ``kind``."""
    x = given["x"]
    if kind == "affine":
        return (x, given["w"], given["b"])
    if kind == "relu":
        return (x,)
    if kind == "convolution":
        return (x, given["w"], given["b"], param)
    if kind in ("max_pool", "average_pool", "dropout"):
        return (x, param)
    if kind == "groupnorm":
        return (x, given["gamma"], given["beta"], int(params["G"]), param)
    if kind in LOSSES:
        return (x, given["y"])
    return (x, given["gamma"], given["beta"], param)


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.shape} {value.dtype}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_describe(v)}" for k, v in value.items()) + "}"
    return repr(value)


#: The CS231n names of each forward's arguments, for the description of a call.
ARGUMENTS = {
    "affine": ("x", "w", "b"),
    "relu": ("x",),
    "convolution": ("x", "w", "b", "conv_param"),
    "max_pool": ("x", "pool_param"),
    "average_pool": ("x", "pool_param"),
    "batchnorm": ("x", "gamma", "beta", "bn_param"),
    "spatial_batchnorm": ("x", "gamma", "beta", "bn_param"),
    "layernorm": ("x", "gamma", "beta", "ln_param"),
    "groupnorm": ("x", "gamma", "beta", "G", "gn_param"),
    "dropout": ("x", "dropout_param"),
    "softmax_loss": ("x", "y"),
    "hinge_loss": ("x", "y"),
}


def _describe_call(name: str, kind: str, args: tuple[Any, ...]) -> str:
    """``"conv_forward_naive(x (2, 3, 5, 5) float64, w ..., conv_param {...})"``."""
    parts = [
        f"{label} {_describe(a)}"
        for label, a in zip(ARGUMENTS[kind], args, strict=True)
    ]
    return f"{name}(" + ", ".join(parts) + ")"


def _function_name(fn: Callable[..., Any] | None) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


def _crash(exc: BaseException, functions: tuple[Callable[..., Any] | None, ...]) -> str:
    """What was raised, and the line of the learner's code that raised it."""
    frames = traceback.extract_tb(exc.__traceback__)
    files = {
        getattr(getattr(f, "__code__", None), "co_filename", None) for f in functions
    }
    theirs = [f for f in frames if f.filename in files] or frames[1:] or frames
    text = f"{type(exc).__name__}: {exc}"
    if theirs:
        last = theirs[-1]
        text += f" at {Path(last.filename).name}:{last.lineno} in {last.name}"
        if last.line:
            text += f" ({last.line.strip()})"
    return text


class _Crash(Exception):
    def __init__(self, problem: str, call: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.call = call


def _written(before: Mapping[str, NDArray], after: Mapping[str, Any]) -> list[str]:
    """The names whose arrays changed."""
    return [
        k
        for k, v in before.items()
        if not np.array_equal(v, np.asarray(after[k]), equal_nan=True)
    ]


def expected_shape(case: LayerCase) -> tuple[int, ...]:
    """The shape the forward's output must have."""
    shapes = dict(case.shapes)
    params = dict(case.params)
    x = shapes["x"]
    if case.kind == "affine":
        return (x[0], shapes["w"][1])
    if case.kind == "convolution":
        s, p = params["stride"], params["pad"]
        hh, ww = shapes["w"][2:]
        return (
            x[0],
            shapes["w"][0],
            1 + (x[2] + 2 * p - hh) // s,
            1 + (x[3] + 2 * p - ww) // s,
        )
    if case.kind in ("max_pool", "average_pool"):
        s = params["stride"]
        ph, pw = params["pool_height"], params["pool_width"]
        return (*x[:2], 1 + (x[2] - ph) // s, 1 + (x[3] - pw) // s)
    if case.kind in LOSSES:
        return ()
    return x


def _run(
    forward: Callable[..., Any],
    backward: Callable[..., Any] | None,
    case: LayerCase,
    data: CaseInputs,
    rng: np.random.Generator,
) -> tuple[dict[str, Any], list[str], NDArray | None]:
    """Call the learner's code on one case: what it returned (by output name), the
    findings, and the upstream gradient given (``None`` for a loss).

    Raises :class:`_Crash` when their code raises or returns the wrong structure.
    """
    kind = case.kind
    functions = (forward, backward)
    given = {k: v.copy() for k, v in data.inputs.items()}
    param = (
        _param_dict(kind, data.params)
        if kind not in ("affine", "relu", *LOSSES)
        else {}
    )
    args = _forward_args(kind, given, param, data.params)
    call = _describe_call(_function_name(forward), kind, args)
    try:
        with quiet():
            result = forward(*args)
    except Exception as exc:  # the code under test failed: a finding
        raise _Crash(_crash(exc, functions), call) from None
    if not isinstance(result, tuple | list) or len(result) != 2:
        raise _Crash(
            f"{_function_name(forward)} returned {type(result).__name__}; expected a "
            f"pair ({'loss, dx' if kind in LOSSES else 'out, cache'})",
            call,
        )
    findings = [
        f"{_function_name(forward)} wrote into {k}"
        for k in _written(data.inputs, given)
    ]
    observed: dict[str, Any] = {}
    if kind in LOSSES:
        loss, dx = result
        observed["loss"] = (
            np.asarray(loss, dtype=np.float64).reshape(())
            if np.size(loss) == 1
            else np.asarray(loss)
        )
        observed["dx"] = np.asarray(dx)
        return observed, findings, None
    out, cache = result
    observed["out"] = np.asarray(out)
    if kind in ("batchnorm", "spatial_batchnorm") and case.mode == "train":
        for name in ("running_mean", "running_var"):
            if name in param:
                observed[name] = np.asarray(param[name])
    if kind == "dropout":
        kept = observed["out"] != 0
        observed["kept"] = kept
        observed["keep"] = np.array(kept.mean() if kept.size else math.nan)
        if case.mode == "train":
            again = {k: v.copy() for k, v in data.inputs.items()}
            with contextlib.suppress(Exception), quiet():
                repeat = forward(again["x"], _param_dict(kind, data.params))
                if not np.array_equal(np.asarray(repeat[0]), observed["out"]):
                    findings.append(
                        f"{_function_name(forward)} draws a different mask for the same "
                        "seed: dropout_param['seed'] is not used (np.random.seed(seed))"
                    )
    if backward is None or (
        kind in ("batchnorm", "spatial_batchnorm") and case.mode == "test"
    ):
        return observed, findings, None
    dout = upstream(expected_shape(case), case.dtype, rng)
    dout_given = dout.copy()
    call = (
        f"{_function_name(backward)}(dout {_describe(dout_given)}, the cache of {call})"
    )
    try:
        with quiet():
            grads = backward(dout_given, cache)
    except Exception as exc:  # the code under test failed: a finding
        raise _Crash(_crash(exc, functions), call) from None
    names = BACKWARD_RETURNS[kind]
    if len(names) == 1:
        grads = (grads,)
    if not isinstance(grads, tuple | list) or len(grads) != len(names):
        raise _Crash(
            f"{_function_name(backward)} returned {type(grads).__name__}; expected "
            f"({', '.join(names)})",
            call,
        )
    if not np.array_equal(dout, dout_given):
        findings.append(f"{_function_name(backward)} wrote into dout")
    findings += [
        f"{_function_name(backward)} wrote into {k} (held in the cache)"
        for k in _written(data.inputs, given)
        if f"{_function_name(forward)} wrote into {k}" not in findings
    ]
    for name, g in zip(names, grads, strict=True):
        observed[name] = np.asarray(g)
    return observed, findings, dout


def _second_opinion(
    forward: Callable[..., Any],
    case: LayerCase,
    data: CaseInputs,
    dout: NDArray | None,
    observed: Mapping[str, Any],
) -> float | None:
    """The learner's backward against central differences of their forward."""
    worst = 0.0
    try:
        for name, grad in _GRAD_OF.items():
            if name not in data.inputs or grad not in observed:
                continue
            theta = as64(data.inputs[name])
            numeric = np.empty_like(theta)
            for index in np.ndindex(theta.shape):
                step_size = (
                    PIECEWISE_LINEAR_STEP
                    if case.kind in PIECEWISE_LINEAR
                    else NUMERIC_STEP
                )
                h = step_size * max(1.0, abs(theta[index]))
                values = []
                for step in (h, -h):
                    given = {k: v.copy() for k, v in data.inputs.items()}
                    given[name] = theta.copy()
                    given[name][index] += step
                    param = (
                        _param_dict(case.kind, data.params)
                        if case.kind not in ("affine", "relu", *LOSSES)
                        else {}
                    )
                    with quiet():
                        result = forward(
                            *_forward_args(case.kind, given, param, data.params)
                        )
                    first = as64(result[0])
                    values.append(
                        float(first) if dout is None else float(np.sum(first * dout))
                    )
                numeric[index] = (values[0] - values[1]) / (2 * h)
            claimed = as64(observed[grad])
            if claimed.shape != numeric.shape:
                return math.inf
            scale = max(
                float(np.abs(numeric).max(initial=0)),
                float(np.abs(claimed).max(initial=0)),
                SCALE_FLOOR,
            )
            worst = max(worst, float(np.abs(claimed - numeric).max(initial=0)) / scale)
    except Exception:  # their forward raised on a perturbed input: no opinion
        return None
    return worst


def _run_case(
    forward: Callable[..., Any],
    backward: Callable[..., Any] | None,
    case: LayerCase,
    data: CaseInputs,
    rng: np.random.Generator,
) -> Observation:
    try:
        observed, findings, dout = _run(forward, backward, case, data, rng)
    except _Crash as crash:
        result = LayerCaseResult(
            case, "crashed", problem=crash.problem, call=crash.call
        )
        return Observation(case, data, {}, None, result)
    try:
        expected = evaluate(LayerDerivation(), case, data, dout, observed)
    except (ValueError, IndexError) as exc:  # e.g. dropout's output not shaped as x
        findings.append(f"could not be compared ({exc})")
        expected = {}
    checks = output_checks(expected, observed, case, data, dout)
    if (
        "out" in observed
        and np.shape(observed["out"]) != expected_shape(case)
        and not checks
    ):
        checks = [
            OutputCheck(
                "out",
                False,
                problem=f"shape {np.shape(observed['out'])}, expected {expected_shape(case)}",
            )
        ]
    opinion = None
    if (
        case.second_opinion
        and case.dtype == "float64"
        and (dout is not None or case.kind in LOSSES)
    ):
        opinion = _second_opinion(forward, case, data, dout, observed)
    ok = all(c.passed for c in checks) and not findings
    result = LayerCaseResult(
        case,
        "passed" if ok else "failed",
        tuple(checks),
        tuple(findings),
        second_opinion=opinion,
    )
    return Observation(case, data, observed, dout, result)


def _target(forward: Callable[..., Any], backward: Callable[..., Any] | None) -> str:
    module = getattr(forward, "__module__", None)
    names = _function_name(forward)
    if backward is not None:
        names += f" / {_function_name(backward)}"
    return f"{module}:{names}" if module else names


def check_layer(
    forward: Callable[..., Any],
    backward: Callable[..., Any] | None,
    *,
    kind: str,
    rng: int | np.random.Generator = 0,
) -> LayerReport | RecurrentLayerReport:
    r"""Run a learner's layer through the layer battery, and diagnose it.

    Parameters
    ----------
    forward : callable
        The forward in the CS231n signature of ``kind``, returning ``(out,
        cache)``: ``affine_forward(x, w, b)``, ``relu_forward(x)``,
        ``conv_forward_naive(x, w, b, conv_param)`` (``stride``, ``pad``),
        ``max_pool_forward_naive(x, pool_param)`` (``pool_height``,
        ``pool_width``, ``stride``; likewise ``"average_pool"``),
        ``batchnorm_forward(x, gamma, beta, bn_param)`` (``mode``, ``eps``,
        ``momentum``, ``running_mean``, ``running_var``; the updated running
        statistics read back from ``bn_param``), ``layernorm_forward(x, gamma,
        beta, ln_param)``, ``spatial_batchnorm_forward(x, gamma, beta,
        bn_param)``, ``spatial_groupnorm_forward(x, gamma, beta, G, gn_param)``,
        ``dropout_forward(x, dropout_param)`` (``p`` the keep probability,
        ``mode``, ``seed``); for a loss, ``softmax_loss(x, y)`` or
        ``svm_loss(x, y)`` returning ``(loss, dx)``.
    backward : callable or None
        ``backward(dout, cache)`` returning the VJP (``dx``; ``dx, dw, db``;
        ``dx, dgamma, dbeta``); ``None`` for a loss.
    kind : str
        One of ``"affine"``, ``"relu"``, ``"convolution"``, ``"max_pool"``,
        ``"average_pool"``, ``"batchnorm"``, ``"layernorm"``,
        ``"spatial_batchnorm"``, ``"groupnorm"``, ``"dropout"``,
        ``"softmax_loss"``, ``"hinge_loss"``; or a recurrent kind
        (``"rnn_step"``, ``"rnn"``, ``"lstm_step"``, ``"lstm"``,
        ``"word_embedding"``, ``"temporal_affine"``, ``"temporal_softmax_loss"``),
        handed to
        :func:`~spec.check.conformance.recurrent.run.check_recurrent_layer`.
    rng : int or numpy.random.Generator
        Seed of the cases' data and upstream gradients.

    Returns
    -------
    LayerReport or RecurrentLayerReport
        ``report.passed`` is the verdict, ``str(report)`` a table of the cases
        with the diagnosis; like :func:`spec.check_implementation`, a failing
        layer is reported, not raised.

    Examples
    --------
    >>> import numpy as np
    >>> def relu_forward(x):
    ...     return np.maximum(x, 0), x
    >>> def relu_backward(dout, x):
    ...     return dout * (x > 0)
    >>> check_layer(relu_forward, relu_backward, kind="relu").passed
    True
    """
    if kind in RECURRENT_KINDS:
        return check_recurrent_layer(forward, backward, kind=kind, rng=rng)
    if kind not in KINDS:
        raise ValueError(
            f"kind must be one of {[*KINDS, *RECURRENT_KINDS]}, got {kind!r}"
        )
    if not callable(forward):
        raise TypeError(f"forward must be callable, got {type(forward).__name__}")
    if kind in LOSSES:
        if backward is not None:
            raise ValueError(
                f"a {kind} returns (loss, dx) from one function: backward must be "
                f"None, got {_function_name(backward)}"
            )
    elif not callable(backward):
        raise TypeError(
            f"backward must be callable for kind {kind!r}, got {type(backward).__name__}"
        )
    if isinstance(rng, bool) or not isinstance(rng, int | np.random.Generator):
        raise TypeError(
            f"rng must be an int seed or a numpy.random.Generator, got {rng!r}"
        )
    seed = rng if isinstance(rng, int) else None
    generator = np.random.default_rng(rng)
    observations = []
    for case in cases_for(kind):
        data = case_data(case, generator)
        observations.append(_run_case(forward, backward, case, data, generator))
    results = [o.result for o in observations]
    diagnosis = None if all(r.passed for r in results) else diagnose(kind, observations)
    return LayerReport(
        target=_target(forward, backward),
        kind=kind,
        rng=seed,
        cases=tuple(results),
        diagnosis=diagnosis,
        warnings=coverage_warnings(results),
    )
