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
``w`` or ``dw`` is reported (``writes_inputs`` of :class:`~spec.check.conformance.optimizers.report.OptimizerReport`). A rule that
raises is reported with the line that raised.

The verdict: the rule **matches a convention** (:data:`CONVENTIONS`: a correct
rule, whoever's convention it follows) when its parameters agree with that
convention's at every step of every trajectory; otherwise it is compared with the
deviations (:data:`DEVIATIONS`, each a rule of its own with a name and a title)
and the one it equals is named. Both lists are in
:mod:`spec.check.conformance.optimizers.mistakes`.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import linecache
import traceback
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.conformance.optimizers.mistakes import (
    CONFIG_SYMBOLS,
    CONVENTIONS,
    DEVIATIONS,
    HYPER,
    KINDS,
    Alternative,
)
from spec.check.conformance.optimizers.report import (
    Crash,
    OptimizerReport,
    TrajectoryResult,
)
from spec.check.conformance.optimizers.trajectories import (
    RTOL,
    SHAPE,
    STEPS,
    Trajectory,
    draw_trajectories,
)
from spec.optimizers import numeric_step

__all__ = [
    "check_optimizer",
]


def _reference(alt: Alternative, kind: str, traj: Trajectory) -> NDArray:
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


def _describe_call(k: int, traj: Trajectory) -> str:
    return (
        f"call {k + 1} of the {traj.label} trajectory (w and dw of shape "
        f"{SHAPE}, {traj.dtype}; learning_rate {traj.lrs[k]:.6g})"
    )


@dataclasses.dataclass
class _Run:
    path: NDArray
    writes: set[str]
    upcast: bool


def _run_learner(rule: Callable[..., Any], kind: str, traj: Trajectory) -> _Run:
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
    """Step by step, within :data:`~spec.check.conformance.optimizers.trajectories.RTOL` of the largest finite reference entry of
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


def _seed(rng: Any) -> int | None:
    return rng if isinstance(rng, int) and not isinstance(rng, bool) else None


def _alternatives(kind: str) -> tuple[list[Alternative], list[Alternative]]:
    return (
        [c for c in CONVENTIONS if c.kind == kind],
        [d for d in DEVIATIONS if d.kind == kind],
    )


def _references(kind: str, trajectories: list[Trajectory]) -> dict[str, list[NDArray]]:
    conventions, deviations = _alternatives(kind)
    return {
        alt.name: [_reference(alt, kind, t) for t in trajectories]
        for alt in (*conventions, *deviations)
    }


@functools.lru_cache(maxsize=16)
def _seeded_case(
    kind: str, seed: int
) -> tuple[list[Trajectory], dict[str, list[NDArray]]]:
    """The trajectories of an integer seed and every alternative's parameters along
    them, computed once: they do not depend on the rule checked."""
    trajectories = draw_trajectories(kind, np.random.default_rng(seed))
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
        trajectories = draw_trajectories(setting, np.random.default_rng(rng))
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
