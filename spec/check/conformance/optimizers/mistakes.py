r"""The rules a learner's optimizer is compared with: the correct ones in every
convention (:data:`CONVENTIONS`) and the known mistakes (:data:`DEVIATIONS`), each
an :class:`Alternative` carrying its own name, title, the line it breaks, and its
update as a rule of :mod:`spec.optimizers` (the convention's own, or one written
here with one part changed, run with a state reset or a hyper-parameter fixed).

:mod:`spec.check.conformance.optimizers` runs them beside the learner's rule and
names the one it equals.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import sympy

from spec.optimizers import SymbolicRule, get_rule, make_rule

__all__ = [
    "CONFIG_SYMBOLS",
    "CONVENTIONS",
    "DEVIATIONS",
    "HYPER",
    "KINDS",
    "Alternative",
]

#: The CS231n rule names checked.
KINDS = ("sgd", "sgd_momentum", "rmsprop", "adam")

#: ``config`` as given at the first call: no value is CS231n's default (``momentum``
#: 0.9, ``decay_rate`` 0.99, ``beta1`` 0.9, ``beta2`` 0.999, ``epsilon`` 1e-8), so
#: that a rule which ignores ``config`` is seen. :math:`\epsilon = 10^{-6}` is
#: within a factor of ten of the tiny regime's root of the second moment, where its
#: placement matters.
HYPER: dict[str, dict[str, float]] = {
    "sgd": {"learning_rate": 0.05},
    "sgd_momentum": {"learning_rate": 0.05, "momentum": 0.8},
    "rmsprop": {"learning_rate": 0.01, "decay_rate": 0.9, "epsilon": 1e-6},
    "adam": {"learning_rate": 0.01, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6},
}
#: Adam checked with ``weight_decay=True``: :math:`\lambda = 0.1` shrinks the
#: parameters by 6 % over a trajectory, which coupled and decoupled decay weigh
#: differently.
HYPER["adam_weight_decay"] = {**HYPER["adam"], "weight_decay": 0.1}

#: ``config`` keys and the spec's symbol each one sets.
CONFIG_SYMBOLS = {
    "learning_rate": "alpha",
    "momentum": "mu",
    "decay_rate": "rho",
    "epsilon": "eps",
    "beta1": "beta1",
    "beta2": "beta2",
    "weight_decay": "lam",
}


@dataclasses.dataclass(frozen=True)
class Alternative:
    """A rule the learner's may equal: a convention, or a named deviation.

    Attributes
    ----------
    name : str
        Identifier, e.g. ``"adam_t_late"``.
    kind : str
        The CS231n rule it stands for (a key of :data:`~spec.check.conformance.optimizers.mistakes.KINDS`), or
        ``"adam_weight_decay"``: Adam checked with ``weight_decay=True``.
    title : str
        What it does, in words.
    breaks : str
        For a deviation, the line of the rule it gets wrong, as it should read;
        empty for a convention.
    rule : SymbolicRule
        Its update, symbolically.
    resets : tuple of str
        State not carried between calls: set back to 0 before every step.
    fixed : dict of str to float
        Hyper-parameters it does not read from ``config`` (``{"alpha": 0.05}`` for a
        learning rate kept from the first call).
    """

    name: str
    kind: str
    title: str
    breaks: str
    rule: SymbolicRule
    resets: tuple[str, ...] = ()
    fixed: Mapping[str, float] = dataclasses.field(default_factory=dict)


def _convention(name: str, kind: str, title: str, rule: str) -> Alternative:
    return Alternative(name, kind, title, "", get_rule(rule))


#: The correct rules, in every convention the references use.
CONVENTIONS: tuple[Alternative, ...] = (
    _convention("sgd", "sgd", "gradient descent: w - α dw", "sgd"),
    _convention(
        "momentum_cs231n",
        "sgd_momentum",
        "CS231n: v = μv - α dw; w + v (the learning rate inside the velocity)",
        "momentum_cs231n",
    ),
    _convention(
        "momentum_pytorch",
        "sgd_momentum",
        "PyTorch: b = μb + dw; w - αb (the learning rate outside the velocity)",
        "momentum_pytorch",
    ),
    _convention(
        "momentum_ema",
        "sgd_momentum",
        "moving average (deeplearning.ai; PyTorch with dampening = μ): "
        "b = μb + (1 - μ) dw; w - αb",
        "momentum_ema",
    ),
    _convention(
        "rmsprop_eps_outside",
        "rmsprop",
        "PyTorch, CS231n: w - α dw / (√cache + ε)",
        "rmsprop_eps_outside",
    ),
    _convention(
        "rmsprop_eps_inside",
        "rmsprop",
        "TensorFlow: w - α dw / √(cache + ε)",
        "rmsprop_eps_inside",
    ),
    _convention(
        "adam_paper",
        "adam",
        "the paper's Algorithm 1 (PyTorch, CS231n): w - α m̂ / (√v̂ + ε)",
        "adam_paper",
    ),
    _convention(
        "adam_tensorflow",
        "adam",
        "TensorFlow: α_t = α √(1 - β2^t) / (1 - β1^t); w - α_t m / (√v + ε)",
        "adam_tensorflow",
    ),
    _convention(
        "adam_l2",
        "adam_weight_decay",
        "weight decay coupled (L2 in the gradient; PyTorch's Adam(weight_decay=λ)): "
        "Adam on dw + λw",
        "adam_l2",
    ),
    _convention(
        "adamw",
        "adam_weight_decay",
        "weight decay decoupled (AdamW; PyTorch's AdamW): w (1 - αλ), then Adam's "
        "step on dw alone",
        "adamw",
    ),
)


def _deviation(
    name: str,
    kind: str,
    title: str,
    breaks: str,
    hyper: tuple[str, ...],
    state: tuple[str, ...],
    build: Callable[..., dict[str, Any]],
    resets: tuple[str, ...] = (),
    fixed: Mapping[str, float] | None = None,
) -> Alternative:
    rule = make_rule(name, kind, "deviation", title, hyper, state, build)
    return Alternative(name, kind, title, breaks, rule, resets, dict(fixed or {}))


def _with(base: str, name: str, title: str, breaks: str, **options: Any) -> Alternative:
    """A deviation that is a convention's rule run another way (state reset, a
    hyper-parameter fixed)."""
    conv = next(c for c in CONVENTIONS if c.name == base)
    return Alternative(name, conv.kind, title, breaks, conv.rule, **options)


_MOMENTUM = ("alpha", "mu")
_RMSPROP = ("alpha", "rho", "eps")
_ADAM = ("alpha", "beta1", "beta2", "eps")
_ADAM_STATE = ("m", "v", "t")
_ADAM_WD = (*_ADAM, "lam")
_DECAY_LINE = (
    "coupled: dw + λw into both moments; decoupled: w (1 - αλ) before the step"
)
_SGD_LINE = "w - α dw"
_MOMENTUM_LINE = "v = μv - α dw; next_w = w + v"
_CACHE_LINE = "cache = ρ cache + (1 - ρ) dw²"
_RMSPROP_LINE = "next_w = w - α dw / (√cache + ε)"
_T_LINE = "t = t + 1, before the bias correction uses it"
_M_LINE = "m = β1 m + (1 - β1) dw"
_V_LINE = "v = β2 v + (1 - β2) dw²"
_CORRECTION_LINE = "m̂ = m / (1 - β1^t), v̂ = v / (1 - β2^t)"
_ADAM_LINE = "next_w = w - α m̂ / (√v̂ + ε)"
_LR_LINE = "the learning rate read from config at every call"


def _adam_deviation(
    name: str,
    title: str,
    breaks: str,
    parts: Callable[..., dict[str, Any]],
    resets: tuple[str, ...] = (),
    fixed: Mapping[str, float] | None = None,
) -> Alternative:
    """An Adam deviation from ``parts(theta, g, alpha, beta1, beta2, eps, m, v,
    t)``, which returns the new state and theta."""
    return _deviation(
        name, "adam", title, breaks, _ADAM, _ADAM_STATE, parts, resets, fixed
    )


def _moments(
    g: Any, m: Any, v: Any, t: Any, beta1: Any, beta2: Any
) -> tuple[Any, Any, Any]:
    return beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g**2, t + 1


def _adam_with(
    *,
    t_used: Callable[[Any], Any] = lambda t1: t1,
    t_new: Callable[[Any], Any] = lambda t1: t1,
    m_new: Callable[..., Any] | None = None,
    v_new: Callable[..., Any] | None = None,
    correct: Callable[..., tuple[Any, Any]] | None = None,
    root: Callable[[Any, Any], Any] = lambda v_hat, eps: sympy.sqrt(v_hat) + eps,
    old_moments: bool = False,
) -> Callable[..., dict[str, Any]]:
    """Adam (the paper's form) with one part replaced; each argument a function
    of the symbols it needs."""

    def build(theta: Any, g: Any, alpha: Any, beta1: Any, beta2: Any, eps: Any, m: Any, v: Any, t: Any) -> dict[str, Any]:  # fmt: skip
        m1, v1, t1 = _moments(g, m, v, t, beta1, beta2)
        if m_new is not None:
            m1 = m_new(g, m, beta1, beta2)
        if v_new is not None:
            v1 = v_new(g, v, beta1, beta2)
        tu = t_used(t1)
        cm, cv = (1 - beta1**tu, 1 - beta2**tu)
        if correct is not None:
            cm, cv = correct(beta1, beta2, tu)
        mm, vv = (m, v) if old_moments else (m1, v1)
        return {
            "theta": theta - alpha * (mm / cm) / root(vv / cv, eps),
            "m": m1,
            "v": v1,
            "t": t_new(t1),
        }

    return build


#: The known deviations, in the order the diagnosis tries them; each a rule of its
#: own that a wrong learner's rule may equal at every step.
DEVIATIONS: tuple[Alternative, ...] = (
    _deviation(
        "sgd_ascent",
        "sgd",
        "the step's sign flipped: w + α dw (ascent)",
        _SGD_LINE,
        ("alpha",),
        (),
        lambda theta, g, alpha: {"theta": theta + alpha * g},
    ),
    _with(
        "sgd",
        "sgd_learning_rate_fixed",
        "the learning rate of the first call kept: later values of "
        "config['learning_rate'] ignored",
        _LR_LINE,
        fixed={"alpha": HYPER["sgd"]["learning_rate"]},
    ),
    _deviation(
        "momentum_ascent",
        "sgd_momentum",
        "the gradient's sign flipped in the velocity: v = μv + α dw; w + v",
        _MOMENTUM_LINE,
        _MOMENTUM,
        ("v",),
        lambda theta, g, alpha, mu, v: {
            "theta": theta + mu * v + alpha * g,
            "v": mu * v + alpha * g,
        },
    ),
    _deviation(
        "momentum_stale_velocity",
        "sgd_momentum",
        "the parameters moved by the previous step's velocity: w + v before v is "
        "updated",
        _MOMENTUM_LINE,
        _MOMENTUM,
        ("v",),
        lambda theta, g, alpha, mu, v: {"theta": theta + v, "v": mu * v - alpha * g},
    ),
    _deviation(
        "momentum_alpha_twice",
        "sgd_momentum",
        "the learning rate both inside and outside the velocity: v = μv + α dw; w - αv",
        _MOMENTUM_LINE,
        _MOMENTUM,
        ("v",),
        lambda theta, g, alpha, mu, v: {
            "theta": theta - alpha * (mu * v + alpha * g),
            "v": mu * v + alpha * g,
        },
    ),
    _with(
        "momentum_cs231n",
        "momentum_not_carried",
        "the velocity not carried between calls: a fresh zero velocity at every "
        "call (plain SGD)",
        "config['velocity'] = v, read back at the next call",
        resets=("v",),
    ),
    _with(
        "momentum_cs231n",
        "momentum_ignores_config",
        "config['momentum'] ignored: μ = 0.9 (CS231n's default) used",
        "μ = config['momentum']",
        fixed={"mu": 0.9},
    ),
    _with(
        "momentum_cs231n",
        "momentum_learning_rate_fixed",
        "the learning rate of the first call kept: later values of "
        "config['learning_rate'] ignored",
        _LR_LINE,
        fixed={"alpha": HYPER["sgd_momentum"]["learning_rate"]},
    ),
    Alternative(
        "momentum_nesterov",
        "sgd_momentum",
        "Nesterov's look-ahead (CS231n's notes) where plain momentum belongs: "
        "w - μv_prev + (1 + μ) v",
        _MOMENTUM_LINE,
        get_rule("nesterov_cs231n"),
    ),
    Alternative(
        "momentum_nesterov_pytorch",
        "sgd_momentum",
        "Nesterov's look-ahead (PyTorch's form) where plain momentum belongs: "
        "w - α (dw + μb)",
        _MOMENTUM_LINE,
        get_rule("nesterov_pytorch"),
    ),
    _deviation(
        "rmsprop_no_sqrt",
        "rmsprop",
        "the square root missing: w - α dw / (cache + ε)",
        _RMSPROP_LINE,
        _RMSPROP,
        ("s",),
        lambda theta, g, alpha, rho, eps, s: {
            "theta": theta - alpha * g / (rho * s + (1 - rho) * g**2 + eps),
            "s": rho * s + (1 - rho) * g**2,
        },
    ),
    _deviation(
        "rmsprop_cache_of_g",
        "rmsprop",
        "the cache averages dw, not dw²",
        _CACHE_LINE,
        _RMSPROP,
        ("s",),
        lambda theta, g, alpha, rho, eps, s: {
            "theta": theta - alpha * g / (sympy.sqrt(rho * s + (1 - rho) * g) + eps),
            "s": rho * s + (1 - rho) * g,
        },
    ),
    _deviation(
        "rmsprop_rho_swapped",
        "rmsprop",
        "the decay rate's weights swapped: cache = (1 - ρ) cache + ρ dw²",
        _CACHE_LINE,
        _RMSPROP,
        ("s",),
        lambda theta, g, alpha, rho, eps, s: {
            "theta": theta - alpha * g / (sympy.sqrt((1 - rho) * s + rho * g**2) + eps),
            "s": (1 - rho) * s + rho * g**2,
        },
    ),
    _deviation(
        "rmsprop_adagrad",
        "rmsprop",
        "Adagrad's sum where the moving average belongs: cache = cache + dw²",
        _CACHE_LINE,
        _RMSPROP,
        ("s",),
        lambda theta, g, alpha, rho, eps, s: {
            "theta": theta - alpha * g / (sympy.sqrt(s + g**2) + eps),
            "s": s + g**2,
        },
    ),
    _deviation(
        "rmsprop_no_one_minus_rho",
        "rmsprop",
        "the new square not weighted by 1 - ρ: cache = ρ cache + dw²",
        _CACHE_LINE,
        _RMSPROP,
        ("s",),
        lambda theta, g, alpha, rho, eps, s: {
            "theta": theta - alpha * g / (sympy.sqrt(rho * s + g**2) + eps),
            "s": rho * s + g**2,
        },
    ),
    _deviation(
        "rmsprop_stale_cache",
        "rmsprop",
        "the step divided by the previous call's cache (updated after the step)",
        _RMSPROP_LINE + ", with the cache of this call",
        _RMSPROP,
        ("s",),
        lambda theta, g, alpha, rho, eps, s: {
            "theta": theta - alpha * g / (sympy.sqrt(s) + eps),
            "s": rho * s + (1 - rho) * g**2,
        },
    ),
    _deviation(
        "rmsprop_no_eps",
        "rmsprop",
        "ε missing: w - α dw / √cache (0/0 where the cache is 0)",
        _RMSPROP_LINE,
        _RMSPROP,
        ("s",),
        lambda theta, g, alpha, rho, eps, s: {
            "theta": theta - alpha * g / sympy.sqrt(rho * s + (1 - rho) * g**2),
            "s": rho * s + (1 - rho) * g**2,
        },
    ),
    _with(
        "rmsprop_eps_outside",
        "rmsprop_not_carried",
        "the cache not carried between calls: a fresh zero cache at every call",
        "config['cache'] = cache, read back at the next call",
        resets=("s",),
    ),
    _with(
        "rmsprop_eps_outside",
        "rmsprop_ignores_config",
        "config['decay_rate'] ignored: ρ = 0.99 (CS231n's default) used",
        "ρ = config['decay_rate']",
        fixed={"rho": 0.99},
    ),
    _with(
        "rmsprop_eps_outside",
        "rmsprop_learning_rate_fixed",
        "the learning rate of the first call kept: later values of "
        "config['learning_rate'] ignored",
        _LR_LINE,
        fixed={"alpha": HYPER["rmsprop"]["learning_rate"]},
    ),
    _adam_deviation(
        "adam_t_late",
        "t incremented after the bias correction uses it (1 - β^0 = 0 at the first "
        "call)",
        _T_LINE,
        _adam_with(t_used=lambda t1: t1 - 1),
    ),
    _adam_deviation(
        "adam_t_not_incremented",
        "t not incremented, or not carried between calls: the bias correction of "
        "step 1 at every step",
        _T_LINE,
        _adam_with(t_new=lambda t1: t1 - 1),
    ),
    _adam_deviation(
        "adam_no_bias_correction",
        "the bias correction missing: w - α m / (√v + ε)",
        _CORRECTION_LINE,
        _adam_with(correct=lambda b1, b2, t: (1, 1)),
    ),
    _adam_deviation(
        "adam_bias_correction_m_only",
        "the bias correction applied to m only",
        _CORRECTION_LINE,
        _adam_with(correct=lambda b1, b2, t: (1 - b1**t, 1)),
    ),
    _adam_deviation(
        "adam_bias_correction_v_only",
        "the bias correction applied to v only",
        _CORRECTION_LINE,
        _adam_with(correct=lambda b1, b2, t: (1, 1 - b2**t)),
    ),
    _adam_deviation(
        "adam_bias_correction_swapped",
        "the bias corrections applied to the wrong moments: m / (1 - β2^t), "
        "v / (1 - β1^t)",
        _CORRECTION_LINE,
        _adam_with(correct=lambda b1, b2, t: (1 - b2**t, 1 - b1**t)),
    ),
    _adam_deviation(
        "adam_betas_swapped",
        "β1 and β2 swapped in the moments: m = β2 m + (1 - β2) dw, "
        "v = β1 v + (1 - β1) dw²",
        _M_LINE + ", " + _V_LINE,
        _adam_with(
            m_new=lambda g, m, b1, b2: b2 * m + (1 - b2) * g,
            v_new=lambda g, v, b1, b2: b1 * v + (1 - b1) * g**2,
        ),
    ),
    _adam_deviation(
        "adam_v_of_g",
        "the second moment averages dw, not dw²",
        _V_LINE,
        _adam_with(v_new=lambda g, v, b1, b2: b2 * v + (1 - b2) * g),
    ),
    _adam_deviation(
        "adam_m_no_one_minus_beta1",
        "the new gradient not weighted by 1 - β1: m = β1 m + dw",
        _M_LINE,
        _adam_with(m_new=lambda g, m, b1, b2: b1 * m + g),
    ),
    _adam_deviation(
        "adam_eps_inside_root",
        "ε inside the root: w - α m̂ / √(v̂ + ε)",
        _ADAM_LINE,
        _adam_with(root=lambda v_hat, eps: sympy.sqrt(v_hat + eps)),
    ),
    _adam_deviation(
        "adam_no_sqrt",
        "the square root missing: w - α m̂ / (v̂ + ε)",
        _ADAM_LINE,
        _adam_with(root=lambda v_hat, eps: v_hat + eps),
    ),
    _adam_deviation(
        "adam_stale_moments",
        "the step taken with the previous call's moments (m and v updated after "
        "the step)",
        _ADAM_LINE + ", with this call's m and v",
        _adam_with(old_moments=True),
    ),
    _with(
        "adam_paper",
        "adam_moments_not_carried",
        "m and v not carried between calls (t is): fresh zero moments at every call",
        "config['m'] = m, config['v'] = v, read back at the next call",
        resets=("m", "v"),
    ),
    _with(
        "adam_paper",
        "adam_state_not_carried",
        "no state carried between calls (m, v and t start afresh): every step "
        "α dw / (|dw| + ε)",
        "config['m'], config['v'], config['t'] read back at the next call",
        resets=("m", "v", "t"),
    ),
    _with(
        "adam_paper",
        "adam_ignores_config",
        "config['beta1'] and config['beta2'] ignored: CS231n's defaults 0.9 and "
        "0.999 used",
        "β1 = config['beta1'], β2 = config['beta2']",
        fixed={"beta1": 0.9, "beta2": 0.999},
    ),
    _with(
        "adam_paper",
        "adam_learning_rate_fixed",
        "the learning rate of the first call kept: later values of "
        "config['learning_rate'] ignored",
        _LR_LINE,
        fixed={"alpha": HYPER["adam"]["learning_rate"]},
    ),
    Alternative(
        "weight_decay_ignored",
        "adam_weight_decay",
        "config['weight_decay'] ignored: plain Adam",
        _DECAY_LINE,
        get_rule("adam_paper"),
    ),
    _deviation(
        "weight_decay_not_scaled",
        "adam_weight_decay",
        "the decoupled decay not scaled by the learning rate: w (1 - λ)",
        _DECAY_LINE,
        _ADAM_WD,
        _ADAM_STATE,
        lambda theta, g, alpha, beta1, beta2, eps, lam, m, v, t: _adam_with()(
            theta * (1 - lam), g, alpha, beta1, beta2, eps, m, v, t
        ),
    ),
    _deviation(
        "weight_decay_after_step",
        "adam_weight_decay",
        "the decoupled decay applied after Adam's step: (w - step)(1 - αλ)",
        _DECAY_LINE,
        _ADAM_WD,
        _ADAM_STATE,
        lambda theta, g, alpha, beta1, beta2, eps, lam, m, v, t: {
            **(new := _adam_with()(theta, g, alpha, beta1, beta2, eps, m, v, t)),
            "theta": new["theta"] * (1 - alpha * lam),
        },
    ),
)
