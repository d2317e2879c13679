r"""Learners' optimizers checked against the spec, under every known convention.

A learner writes the update rules in CS231n's shape,
``next_w, config = rule(w, dw, config)``, for ``sgd``, ``sgd_momentum``,
``rmsprop`` and ``adam``, keeping its state (``velocity``, ``cache``, ``m``,
``v``, ``t``) in ``config``. :func:`check_optimizer` drives such a rule along
several trajectories and compares every step with the spec's rules
(:mod:`spec.optimizers`), evaluated in float64:

- each trajectory is :data:`STEPS` calls from random parameters, the learning
  rate decaying by :data:`DECAY` per call and set through
  ``config["learning_rate"]`` between calls (so that the momentum conventions,
  equal for a constant learning rate, come apart);
- the gradients of each trajectory follow one *regime* of :data:`REGIMES`: random,
  tiny (where :math:`\epsilon` weighs), huge, sign-alternating, sparse with zeros
  (where a missing :math:`\epsilon` divides 0 by 0), constant (where a missing
  bias correction shows plainly); each in float64 and float32;
- the hyper-parameters are not the usual defaults (:data:`HYPER`), so a rule that
  ignores ``config`` and uses the defaults is seen.

Every call receives copies of ``w``, ``dw`` and ``config``; a rule that writes into
``w`` or ``dw`` is reported (:attr:`OptimizerReport.writes_inputs`). A rule that
raises is reported with the line that raised.

The verdict: the rule **matches a convention** (:data:`CONVENTIONS`: a correct
rule, whoever's convention it follows) when its parameters agree with that
convention's at every step of every trajectory; otherwise it is compared with the
deviations (:data:`DEVIATIONS`, each a rule of its own with a name and a title)
and the one it equals is named. Both lists are in
:mod:`spec.check.conformance.optimizer_mistakes`.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import functools
import importlib.util
import json
import linecache
import sys
import traceback
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.conformance.optimizer_mistakes import (
    CONFIG_SYMBOLS,
    CONVENTIONS,
    DEVIATIONS,
    HYPER,
    KINDS,
    Alternative,
)
from spec.optimizers import numeric_step

__all__ = [
    "CONVENTIONS",
    "DECAY",
    "DEVIATIONS",
    "HYPER",
    "KINDS",
    "REGIMES",
    "RTOL",
    "STEPS",
    "Alternative",
    "Crash",
    "OptimFileReport",
    "OptimizerReport",
    "TrajectoryResult",
    "check_optim_file",
    "check_optimizer",
    "format_optimizer_report",
    "optimizer_names",
]

#: Calls per trajectory: enough for Adam's bias correction to fade
#: (:math:`\beta_2^{60} \approx 0.55` at :math:`\beta_2 = 0.99`) and for a
#: state not carried, or a late ``t``, to show at every step.
STEPS = 60

#: The learning rate is multiplied by this between calls (0.96^60 ≈ 0.09): the
#: decay the momentum conventions disagree on.
DECAY = 0.96

#: The gradient regimes, each with why it is there.
REGIMES: dict[str, str] = {
    "random": "standard normal gradients: the common case",
    "tiny": "gradients of size 1e-5: the root of the second moment near epsilon, "
    "where inside and outside differ",
    "huge": "gradients of size 1e5: a rule that clips or overflows shows",
    "alternating": "the sign alternates at every step: momentum's memory shows",
    "sparse": "zero gradients for the first steps and 30 % zeros after: 0/0 where "
    "epsilon is missing",
    "constant": "one gradient repeated: Adam's corrected moments are exact, so a "
    "missing or misplaced bias correction shows from the first step",
}

#: Relative tolerance of a step, by the learner's dtype, against the largest
#: parameter of the step. Measured over 20 seeds with correct rules in every
#: convention (``tests/test_check_optimizer.py``): at most 1.9e-15 in float64 (60
#: steps of a few roundings each) and 1.1e-6 in float32 (the parameters round at
#: 6e-8 per step). Any two alternatives differ by at least 5.4e-5 on some float64
#: trajectory (AdamW against its decay applied after the step; every other pair by
#: more than 5e-3, in float32 too), so 1e-9 in float64 and 1e-4 in float32 leave
#: a margin of 10^5 and 90 above a correct rule's error.
RTOL = {"float64": 1e-9, "float32": 1e-4}

#: The shape of the parameter array: non-square, so a transposed array fails.
SHAPE = (4, 5)


# ------------------------------------------------------------------ trajectories


@dataclasses.dataclass(frozen=True)
class _Trajectory:
    regime: str
    dtype: str
    w0: NDArray
    grads: NDArray  # (STEPS, *SHAPE), in ``dtype``
    lrs: tuple[float, ...]

    @property
    def label(self) -> str:
        return f"{self.regime} {self.dtype}"


def _gradients(regime: str, rng: np.random.Generator) -> NDArray:
    shape = (STEPS, *SHAPE)
    if regime == "random":
        return rng.standard_normal(shape)
    if regime == "tiny":
        return 1e-5 * rng.standard_normal(shape)
    if regime == "huge":
        return 1e5 * rng.standard_normal(shape)
    if regime == "alternating":
        signs = (-1.0) ** np.arange(STEPS)
        base = np.abs(rng.standard_normal(SHAPE)) + 0.1
        return signs[:, None, None] * base + 0.05 * rng.standard_normal(shape)
    if regime == "sparse":
        g = rng.standard_normal(shape)
        g[rng.random(shape) < 0.3] = 0.0
        g[:3] = 0.0
        return g
    if regime == "constant":
        return np.broadcast_to(rng.standard_normal(SHAPE), shape).copy()
    raise ValueError(f"regime must be one of {list(REGIMES)}, got {regime!r}")


def _trajectories(kind: str, rng: np.random.Generator) -> list[_Trajectory]:
    lr0 = HYPER[kind]["learning_rate"]
    lrs = tuple(lr0 * DECAY**k for k in range(STEPS))
    out = []
    for regime in REGIMES:
        for dtype in ("float64", "float32"):
            w0 = rng.standard_normal(SHAPE).astype(dtype)
            grads = _gradients(regime, rng).astype(dtype)
            out.append(_Trajectory(regime, dtype, w0, grads, lrs))
    return out


def _reference(alt: Alternative, kind: str, traj: _Trajectory) -> NDArray:
    """The parameters of ``alt`` along ``traj``, float64, shape (STEPS + 1, *SHAPE);
    ``kind`` is a key of :data:`HYPER` (a CS231n name or ``"adam_weight_decay"``)."""
    hyper = {
        CONFIG_SYMBOLS[key]: value
        for key, value in HYPER[kind].items()
        if key != "learning_rate"
    }
    hyper.update(alt.fixed)
    theta = traj.w0.astype(np.float64)
    path = np.empty((STEPS + 1, *SHAPE))
    path[0] = theta
    state: dict[str, NDArray] = {}
    with np.errstate(all="ignore"):
        for k in range(STEPS):
            for name in alt.resets:
                state.pop(name, None)
            step_hyper = {"alpha": traj.lrs[k], **hyper}
            if "alpha" in alt.fixed:
                step_hyper["alpha"] = alt.fixed["alpha"]
            new = numeric_step(alt.rule, theta, traj.grads[k], state, step_hyper)
            theta = new["theta"]
            state = {n: new[n] for n in alt.rule.state}
            path[k + 1] = theta
    return path


@dataclasses.dataclass(frozen=True)
class Crash:
    """A call of the learner's rule that raised, or returned what is not
    ``(next_w, config)``.

    Attributes
    ----------
    problem : str
        ``"KeyError: 'velocity'"``, or what was wrong with the return value.
    call : str
        Which call: its number, the trajectory, the shapes and dtypes.
    path, number, source : str, int, str
        The line that raised (the deepest frame outside NumPy and the standard
        library); ``path`` is ``""`` when there is none (a wrong return value).
    """

    problem: str
    call: str
    path: str = ""
    number: int = 0
    source: str = ""

    @property
    def line(self) -> dict[str, Any] | None:
        """``{path, number, source}``, or ``None``."""
        if not self.path:
            return None
        return {"path": self.path, "number": self.number, "source": self.source}


class _Crashed(Exception):
    def __init__(self, crash: Crash) -> None:
        super().__init__(crash.problem)
        self.crash = crash


def _library_dirs() -> tuple[str, ...]:
    import sysconfig

    dirs = {str(Path(np.__file__).parent), sysconfig.get_paths()["stdlib"]}
    return tuple(d + "/" for d in dirs)


def _raising_line(exc: BaseException) -> tuple[str, int, str]:
    """The deepest frame of ``exc`` below this module that is the learner's."""
    frames = traceback.extract_tb(exc.__traceback__)[1:]  # [0] is our call
    library = _library_dirs()
    own = [f for f in frames if not f.filename.startswith(library)]
    frame = own[-1] if own else (frames[-1] if frames else None)
    if frame is None or frame.lineno is None:
        return "", 0, ""
    source = frame.line or linecache.getline(frame.filename, frame.lineno).strip()
    return frame.filename, frame.lineno, source


def _describe_call(k: int, traj: _Trajectory) -> str:
    return (
        f"call {k + 1} of the {traj.label} trajectory (w and dw of shape "
        f"{SHAPE}, {traj.dtype}; learning_rate {traj.lrs[k]:.6g})"
    )


@dataclasses.dataclass
class _Run:
    path: NDArray
    writes: set[str]
    upcast: bool


def _run_learner(rule: Callable[..., Any], kind: str, traj: _Trajectory) -> _Run:
    """The learner's parameters along ``traj`` (float64 copy), or raise _Crashed."""
    config: dict[str, Any] = dict(HYPER[kind])
    w = traj.w0.copy()
    path = np.empty((STEPS + 1, *SHAPE))
    path[0] = w
    writes: set[str] = set()
    upcast = False
    for k in range(STEPS):
        config["learning_rate"] = traj.lrs[k]
        w_in, dw_in = w.copy(), traj.grads[k].copy()
        config_in = copy.deepcopy(config)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                out = rule(w_in, dw_in, config_in)
        except Exception as exc:  # the learner's code failed: a finding
            where = _raising_line(exc)
            problem = f"{type(exc).__name__}: {exc}"
            raise _Crashed(Crash(problem, _describe_call(k, traj), *where)) from None
        if not np.array_equal(w_in, w, equal_nan=True):
            writes.add("w")
        if not np.array_equal(dw_in, traj.grads[k], equal_nan=True):
            writes.add("dw")
        problem = _check_return(out)
        if problem:
            raise _Crashed(Crash(problem, _describe_call(k, traj)))
        next_w = np.asarray(out[0])
        upcast = upcast or next_w.dtype != w.dtype
        w = next_w.astype(traj.dtype, copy=True)
        config = copy.deepcopy(dict(out[1]))
        path[k + 1] = next_w.astype(np.float64)
    return _Run(path, writes, upcast)


def _check_return(out: Any) -> str:
    if not isinstance(out, tuple | list) or len(out) != 2:
        return f"returned {type(out).__name__}, expected the pair (next_w, config)"
    next_w, config = out
    try:
        array = np.asarray(next_w, dtype=np.float64)
    except (TypeError, ValueError):
        return f"next_w is a {type(next_w).__name__}, expected an array"
    if array.shape != SHAPE:
        return f"next_w has shape {array.shape}, expected {SHAPE}, the shape of w"
    if not isinstance(config, Mapping):
        return f"config returned is a {type(config).__name__}, expected a dict"
    return ""


@dataclasses.dataclass(frozen=True)
class _Agreement:
    ok: bool
    first: int | None  # the first call (1-based) that disagrees
    max_err: float  # the largest difference relative to the largest parameter


def _agree(claimed: NDArray, reference: NDArray, dtype: str) -> _Agreement:
    """Step by step, within :data:`RTOL` of the largest finite reference entry of
    the step; where the reference is not finite, the claimed entry must be the same
    non-finite value."""
    c = claimed[1:].reshape(claimed.shape[0] - 1, -1)
    r = reference[1:].reshape(c.shape)
    finite = np.isfinite(r)
    both = finite & np.isfinite(c)
    same = (np.isnan(c) & np.isnan(r)) | (c == r)
    nonfinite = np.any(~finite & ~same, axis=1) | np.any(finite & ~both, axis=1)
    scale = np.where(finite, np.abs(r), 0.0).max(axis=1)
    scale[scale == 0.0] = 1.0
    with np.errstate(invalid="ignore"):
        err = np.where(both, np.abs(c - r), 0.0).max(axis=1) / scale
    bad = nonfinite | ~(err <= RTOL[dtype])
    first = int(np.argmax(bad)) + 1 if bad.any() else None
    worst = float(np.inf) if nonfinite.any() else float(err.max(initial=0.0))
    return _Agreement(first is None, first, worst)


# ------------------------------------------------------------------ the report


@dataclasses.dataclass(frozen=True)
class TrajectoryResult:
    """One trajectory, compared with the rule the report names.

    Attributes
    ----------
    regime : str
        A key of :data:`REGIMES`.
    dtype : {"float64", "float32"}
    steps : int
    compared_with : str
        The alternative compared: the one matched, else the kind's first
        convention.
    first_mismatch : int or None
        The first call whose parameters differ from it, 1-based.
    max_rel_err : float
        The largest difference over the steps, relative to the largest
        parameter of the step (``inf`` where a non-finite value differs).
    """

    regime: str
    dtype: str
    steps: int
    compared_with: str
    first_mismatch: int | None
    max_rel_err: float


@dataclasses.dataclass(frozen=True)
class OptimizerReport:
    """What :func:`check_optimizer` found.

    Attributes
    ----------
    target : str
        The rule's name.
    kind : str
        A key of :data:`KINDS`.
    verdict : {"conformant", "deviates", "wrong", "crashed"}
        ``"conformant"``: it equals a convention at every step; ``"deviates"``: a
        named deviation; ``"wrong"``: neither; ``"crashed"``: a call raised or
        returned something other than ``(next_w, config)``.
    convention : Alternative or None
        The convention it matches.
    deviation : Alternative or None
        The deviation it equals (verdict ``"deviates"``).
    also : tuple of str
        Other alternatives it equals as well (indistinguishable on these
        trajectories).
    trajectories : tuple of TrajectoryResult
    writes_inputs : tuple of str
        ``"w"`` and/or ``"dw"`` when the rule wrote into them: a finding, as the
        caller's arrays change under it.
    upcast : bool
        Whether it returned another dtype than ``w``'s (float64 for float32).
    crash : Crash or None
    rng : int or None
        The seed, when one was given.
    weight_decay : bool
        Whether it was checked with ``config["weight_decay"]``.
    """

    target: str
    kind: str
    verdict: str
    convention: Alternative | None
    deviation: Alternative | None
    also: tuple[str, ...]
    trajectories: tuple[TrajectoryResult, ...]
    writes_inputs: tuple[str, ...] = ()
    upcast: bool = False
    crash: Crash | None = None
    rng: int | None = None
    weight_decay: bool = False

    @property
    def passed(self) -> bool:
        """A convention matched, and nothing written into the inputs."""
        return self.verdict == "conformant" and not self.writes_inputs

    @property
    def max_rel_err(self) -> float:
        """The largest difference from the compared rule over all trajectories."""
        return max((t.max_rel_err for t in self.trajectories), default=0.0)

    @property
    def message(self) -> str:
        """The verdict in a sentence or two."""
        return _message(self)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data: ``name``, ``kind``, ``verdict``,
        ``convention``, ``diagnosis`` (``mistake``, ``equation``, ``title``,
        ``line``) or null, and the details."""
        diagnosis: dict[str, Any] | None = None
        if self.deviation is not None:
            d = self.deviation
            diagnosis = {
                "mistake": d.name,
                "equation": d.breaks,
                "title": d.title,
                "line": None,
            }
        elif self.crash is not None:
            diagnosis = {
                "mistake": None,
                "equation": None,
                "title": self.crash.problem,
                "line": self.crash.line,
            }
        return {
            "name": self.target,
            "kind": self.kind,
            "verdict": self.verdict,
            "passed": self.passed,
            "convention": self.convention.name if self.convention else None,
            "diagnosis": diagnosis,
            "also": list(self.also),
            "writes_inputs": list(self.writes_inputs),
            "upcast": self.upcast,
            "crash_call": self.crash.call if self.crash else None,
            "trajectories": [
                {
                    "regime": t.regime,
                    "dtype": t.dtype,
                    "steps": t.steps,
                    "compared_with": t.compared_with,
                    "first_mismatch": t.first_mismatch,
                    "max_rel_err": t.max_rel_err
                    if np.isfinite(t.max_rel_err)
                    else None,
                }
                for t in self.trajectories
            ],
            "rng": self.rng,
            "weight_decay": self.weight_decay,
        }

    def __str__(self) -> str:
        return format_optimizer_report(self)


def _first_difference(trajectories: tuple[TrajectoryResult, ...]) -> str:
    for t in trajectories:
        if t.first_mismatch is not None:
            return (
                f"first at call {t.first_mismatch} of the {t.regime} {t.dtype} "
                f"trajectory ({REGIMES[t.regime].split(':')[0]})"
            )
    return ""


def _message(report: OptimizerReport) -> str:
    decay = ", with weight decay" if report.weight_decay else ""
    name = f"{report.target} ({report.kind}{decay})"
    if report.crash is not None:
        c = report.crash
        where = f" at {c.path}:{c.number}: {c.source}" if c.path else ""
        return f"{name} crashed: {c.problem}{where}, on {c.call}."
    if report.verdict == "conformant" and report.convention is not None:
        text = f"{name} matches convention {report.convention.name}: {report.convention.title}."
    elif report.deviation is not None:
        d = report.deviation
        text = (
            f"{name} deviates: {d.name}: {d.title}. It equals that rule at every "
            f"step of all {len(report.trajectories)} trajectories (the line it "
            f"breaks: {d.breaks})."
        )
        if report.also:
            text += f" Indistinguishable here from {', '.join(report.also)}."
    else:
        compared = report.trajectories[0].compared_with if report.trajectories else ""
        text = (
            f"{name} matches no convention and no known deviation; it differs from "
            f"{compared}, {_first_difference(report.trajectories)}."
        )
    if report.writes_inputs:
        text += (
            f" It writes into its input {' and '.join(report.writes_inputs)}: the "
            "caller's array changes under it."
        )
    return text


def format_optimizer_report(report: OptimizerReport) -> str:
    """The report as text: the verdict, then one line per trajectory."""
    lines = [report.message]
    if report.trajectories:
        lines.append(
            f"  {len(report.trajectories)} trajectories of {STEPS} calls, the "
            f"learning rate x{DECAY} per call; compared with "
            f"{report.trajectories[0].compared_with}:"
        )
        for t in report.trajectories:
            verdict = (
                "agrees"
                if t.first_mismatch is None
                else f"differs from call {t.first_mismatch}"
            )
            err = f"{t.max_rel_err:.1e}" if np.isfinite(t.max_rel_err) else "non-finite"
            lines.append(
                f"    {t.regime:<12}{t.dtype:<9}{verdict:<24}max rel. err. {err}"
            )
    if report.upcast:
        lines.append(
            "  note: it returns another dtype than w's (float32 in, float64 out)"
        )
    return "\n".join(lines)


# ------------------------------------------------------------------ the checks


def _seed(rng: Any) -> int | None:
    return rng if isinstance(rng, int) and not isinstance(rng, bool) else None


def _alternatives(kind: str) -> tuple[list[Alternative], list[Alternative]]:
    return (
        [c for c in CONVENTIONS if c.kind == kind],
        [d for d in DEVIATIONS if d.kind == kind],
    )


def _references(kind: str, trajectories: list[_Trajectory]) -> dict[str, list[NDArray]]:
    conventions, deviations = _alternatives(kind)
    return {
        alt.name: [_reference(alt, kind, t) for t in trajectories]
        for alt in (*conventions, *deviations)
    }


@functools.lru_cache(maxsize=16)
def _seeded_case(
    kind: str, seed: int
) -> tuple[list[_Trajectory], dict[str, list[NDArray]]]:
    """The trajectories of an integer seed and every alternative's parameters along
    them, computed once: they do not depend on the rule checked."""
    trajectories = _trajectories(kind, np.random.default_rng(seed))
    return trajectories, _references(kind, trajectories)


def check_optimizer(
    rule: Callable[..., Any],
    *,
    kind: str,
    rng: int | np.random.Generator = 0,
    weight_decay: bool = False,
) -> OptimizerReport:
    r"""Check a learner's update rule, in CS231n's signature, against the spec.

    Parameters
    ----------
    rule : callable
        ``next_w, config = rule(w, dw, config)``: ``w`` and ``dw`` arrays of one
        shape, ``config`` a dict with ``learning_rate`` and the rule's
        hyper-parameters (``momentum``; ``decay_rate``, ``epsilon``; ``beta1``,
        ``beta2``, ``epsilon``) at the first call, and whatever state the rule put
        in it (``velocity``, ``cache``, ``m``, ``v``, ``t``) at the next ones.
    kind : {"sgd", "sgd_momentum", "rmsprop", "adam"}
        Which rule it implements.
    rng : int or numpy.random.Generator
        Seed of the parameters and gradients of the trajectories.
    weight_decay : bool
        For ``kind="adam"``: ``config`` also holds ``weight_decay`` (:math:`\lambda
        = 0.1`), and the rule is compared with Adam with the decay coupled (L2 in
        the gradient) and decoupled (AdamW), and with the deviations of each.

    Returns
    -------
    OptimizerReport
        ``report.passed``, the convention matched or the deviation named;
        ``str(report)`` the text.

    Examples
    --------
    >>> def sgd(w, dw, config=None):
    ...     config = {} if config is None else config
    ...     config.setdefault("learning_rate", 1e-2)
    ...     return w - config["learning_rate"] * dw, config
    >>> check_optimizer(sgd, kind="sgd").verdict
    'conformant'
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)}, got {kind!r}")
    if not isinstance(weight_decay, bool):
        raise TypeError(f"weight_decay must be True or False, got {weight_decay!r}")
    if weight_decay and kind != "adam":
        raise ValueError(
            f"weight_decay=True is checked for kind 'adam' (coupled against "
            f"decoupled decay), got kind {kind!r}"
        )
    setting = "adam_weight_decay" if weight_decay else kind
    if not callable(rule):
        raise TypeError(f"rule must be callable, got {type(rule).__name__}")
    if not isinstance(rng, np.random.Generator) and (
        isinstance(rng, bool) or not isinstance(rng, int)
    ):
        raise TypeError(
            f"rng must be an int seed or a numpy.random.Generator, got {rng!r}"
        )
    name = getattr(rule, "__qualname__", getattr(rule, "__name__", repr(rule)))
    seed = _seed(rng)
    if seed is not None:
        trajectories, references = _seeded_case(setting, seed)
    else:
        trajectories = _trajectories(setting, np.random.default_rng(rng))
        references = _references(setting, trajectories)
    runs: list[_Run] = []
    try:
        for traj in trajectories:
            runs.append(_run_learner(rule, setting, traj))
    except _Crashed as crashed:
        return OptimizerReport(
            name,
            kind,
            "crashed",
            None,
            None,
            (),
            (),
            crash=crashed.crash,
            rng=_seed(rng),
            weight_decay=weight_decay,
        )
    conventions, deviations = _alternatives(setting)
    agreements = {
        alt.name: [
            _agree(run.path, path, traj.dtype)
            for run, traj, path in zip(
                runs, trajectories, references[alt.name], strict=True
            )
        ]
        for alt in (*conventions, *deviations)
    }
    matched = [
        a for a in (*conventions, *deviations) if all(x.ok for x in agreements[a.name])
    ]
    convention = next((a for a in matched if a in conventions), None)
    deviation = (
        None if convention else next((a for a in matched if a in deviations), None)
    )
    shown = convention or deviation or conventions[0]
    verdict = "conformant" if convention else "deviates" if deviation else "wrong"
    return OptimizerReport(
        target=name,
        kind=kind,
        verdict=verdict,
        convention=convention,
        deviation=deviation,
        also=tuple(a.name for a in matched if a is not shown),
        trajectories=tuple(
            TrajectoryResult(t.regime, t.dtype, STEPS, shown.name, x.first, x.max_err)
            for t, x in zip(trajectories, agreements[shown.name], strict=True)
        ),
        writes_inputs=tuple(n for n in ("w", "dw") if any(n in r.writes for r in runs)),
        upcast=any(r.upcast for r in runs),
        rng=_seed(rng),
        weight_decay=weight_decay,
    )


@dataclasses.dataclass(frozen=True)
class OptimFileReport:
    """What :func:`check_optim_file` found: one report per rule of the file.

    Attributes
    ----------
    path : str
    reports : tuple of OptimizerReport
        In the order of :data:`KINDS`.
    missing : tuple of str
        The CS231n names the file does not define.
    """

    path: str
    reports: tuple[OptimizerReport, ...]
    missing: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """Every rule found passed."""
        return all(r.passed for r in self.reports)

    def to_dict(self) -> dict[str, Any]:
        """Plain data: the path, one object per rule, the names missing."""
        return {
            "path": self.path,
            "passed": self.passed,
            "targets": [r.to_dict() for r in self.reports],
            "missing": list(self.missing),
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON."""
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    def __str__(self) -> str:
        counts = sum(r.passed for r in self.reports)
        head = f"{self.path}: {counts} of {len(self.reports)} optimizers pass"
        if self.missing:
            head += f" (not defined: {', '.join(self.missing)})"
        return "\n\n".join([head, *(str(r) for r in self.reports)])


def _load(path: Path) -> Any:
    folder = str(path.resolve().parent)
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    try:
        spec_ = importlib.util.spec_from_file_location(path.stem, path)
        if spec_ is None or spec_.loader is None:
            raise ValueError(f"{path}: not a Python module")
        module = importlib.util.module_from_spec(spec_)
        spec_.loader.exec_module(module)
    except ValueError:
        raise
    except Exception as exc:  # the file under test does not import: say why
        raise ValueError(f"cannot import {path}: {type(exc).__name__}: {exc}") from None
    finally:
        if added:
            sys.path.remove(folder)
    return module


def optimizer_names(path: str | Path) -> tuple[str, ...]:
    """The CS231n rule names (``sgd``, ``sgd_momentum``, ``rmsprop``, ``adam``) that
    the Python file ``path`` defines at its top level, read without running it (so
    that ``backprop check FILE.py`` can tell an ``optim.py`` from other files).

    Raises
    ------
    ValueError
        If the file cannot be read or parsed.
    """
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=str(path))
    except (OSError, UnicodeDecodeError, SyntaxError) as exc:
        raise ValueError(f"cannot read {path}: {type(exc).__name__}: {exc}") from None
    defined = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            defined.add(node.name)
        elif isinstance(node, ast.Assign):
            defined.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom | ast.Import):
            defined.update((a.asname or a.name).split(".")[0] for a in node.names)
    return tuple(k for k in KINDS if k in defined)


def check_optim_file(
    path: str | Path, *, rng: int | np.random.Generator = 0
) -> OptimFileReport:
    """Check every CS231n rule (``sgd``, ``sgd_momentum``, ``rmsprop``, ``adam``)
    that the Python file ``path`` defines.

    Raises
    ------
    ValueError
        If the file does not exist, does not import, or defines none of them.
    """
    file = Path(path)
    if not file.is_file():
        raise ValueError(
            f"path must be a Python file, got {str(path)!r} (no such file)"
        )
    module = _load(file)
    found = [k for k in KINDS if callable(getattr(module, k, None))]
    if not found:
        raise ValueError(
            f"{path} defines none of {list(KINDS)} (CS231n's optimizer names)"
        )
    reports = tuple(check_optimizer(getattr(module, k), kind=k, rng=rng) for k in found)
    missing = tuple(k for k in KINDS if k not in found)
    return OptimFileReport(str(path), reports, missing)
