r"""The rules, each a :class:`SymbolicRule`: one step as SymPy expressions of the
parameter :math:`\theta`, the gradient :math:`g`, the hyper-parameters and the state
the rule keeps between steps; :data:`RULES` in every convention the references
use, side by side; :func:`numeric_step` evaluates one with NumPy (float64)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import sympy

__all__ = [
    "RULES",
    "SymbolicRule",
    "get_rule",
    "make_rule",
    "numeric_step",
    "optimizer_symbol",
    "step_decay",
]


#: The symbols' names and their LaTeX.
_NAMES = {
    "theta": r"\theta",
    "g": "g",
    "alpha": r"\alpha",
    "mu": r"\mu",
    "rho": r"\rho",
    "eps": r"\epsilon",
    "beta1": r"\beta_1",
    "beta2": r"\beta_2",
    "lam": r"\lambda",
    "v": "v",
    "b": "b",
    "s": "s",
    "m": "m",
    "t": "t",
}


@functools.cache
def optimizer_symbol(name: str) -> sympy.Symbol:
    r"""The one factory of the optimizers' symbols (all real).

    Parameters
    ----------
    name : str
        ``"theta"`` (a parameter), ``"g"`` (its gradient), the hyper-parameters
        ``"alpha"``, ``"mu"``, ``"rho"``, ``"eps"``, ``"beta1"``, ``"beta2"``,
        ``"lam"``, or a state: ``"v"`` (CS231n's velocity, Adam's second moment),
        ``"b"`` (PyTorch's momentum buffer), ``"s"`` (a cache of squares),
        ``"m"`` (Adam's first moment), ``"t"`` (the step count).

    Returns
    -------
    sympy.Symbol
        Printed by :func:`sympy.latex` as the docs write it (``\beta_1``, ...).
    """
    if name not in _NAMES:
        raise ValueError(f"name must be one of {sorted(_NAMES)}, got {name!r}")
    return sympy.Symbol(_NAMES[name], real=True)


def _s(name: str) -> sympy.Symbol:
    return optimizer_symbol(name)


@dataclasses.dataclass(frozen=True)
class SymbolicRule:
    r"""One step of an optimizer, symbolically.

    Attributes
    ----------
    name : str
        Identifier, e.g. ``"momentum_cs231n"``.
    family : str
        ``"sgd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``, ``"rmsprop"``,
        ``"adam"`` or ``"adamw"``.
    convention : str
        Whose convention: ``"PyTorch"``, ``"CS231n"``, ``"TensorFlow"``, ...
    title : str
        The update in words.
    hyper : tuple of str
        The hyper-parameters' names (keys of :func:`optimizer_symbol`).
    state : tuple of str
        The state's names, each 0 before the first step.
    updates : tuple of (str, sympy.Expr)
        ``("theta", ...)`` first, then each state's new value, every expression in
        the *old* values of :math:`\theta`, :math:`g`, the hyper-parameters and
        the state.
    """

    name: str
    family: str
    convention: str
    title: str
    hyper: tuple[str, ...]
    state: tuple[str, ...]
    updates: tuple[tuple[str, sympy.Expr], ...]

    @property
    def new(self) -> dict[str, sympy.Expr]:
        """The updates as a dict (``"theta"`` and each state)."""
        return dict(self.updates)

    def latex(self) -> list[str]:
        r"""The update as LaTeX lines, the state first, then :math:`\theta` written
        in the new state (primed), e.g. ``\theta \leftarrow \theta - \alpha b'``."""
        primed = {
            expr: sympy.Symbol(_NAMES[name] + "'", real=True)
            for name, expr in self.updates[1:]
            if expr != _s(name)
        }
        theta = self.updates[0][1]
        for expr, symbol in primed.items():
            theta = theta.subs(expr, symbol)
        lines = [
            f"{_NAMES[name]}' = {sympy.latex(expr)}" for name, expr in self.updates[1:]
        ]
        return [*lines, f"\\theta' = {sympy.latex(theta)}"]


def make_rule(
    name: str,
    family: str,
    convention: str,
    title: str,
    hyper: tuple[str, ...],
    state: tuple[str, ...],
    build: Callable[..., dict[str, sympy.Expr]],
) -> SymbolicRule:
    """A :class:`SymbolicRule` from ``build(**symbols)``, which returns the new
    ``theta`` and state as expressions of the old symbols (passed by name)."""
    symbols = {n: _s(n) for n in ("theta", "g", *hyper, *state)}
    new = build(**symbols)
    if set(new) != {"theta", *state}:
        raise ValueError(
            f"rule {name}: build must return theta and {list(state)}, got {sorted(new)}"
        )
    updates = (
        ("theta", sympy.sympify(new["theta"])),
        *tuple((k, sympy.sympify(new[k])) for k in state),
    )
    return SymbolicRule(name, family, convention, title, hyper, state, updates)


def _adam_moments(g: Any, m: Any, v: Any, t: Any, beta1: Any, beta2: Any) -> Any:
    return t + 1, beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g**2


def _adam_paper(
    theta: Any,
    g: Any,
    alpha: Any,
    beta1: Any,
    beta2: Any,
    eps: Any,
    m: Any,
    v: Any,
    t: Any,
) -> dict[str, Any]:
    t1, m1, v1 = _adam_moments(g, m, v, t, beta1, beta2)
    m_hat = m1 / (1 - beta1**t1)
    v_hat = v1 / (1 - beta2**t1)
    return {
        "theta": theta - alpha * m_hat / (sympy.sqrt(v_hat) + eps),
        "m": m1,
        "v": v1,
        "t": t1,
    }


def _adam_tensorflow(
    theta: Any,
    g: Any,
    alpha: Any,
    beta1: Any,
    beta2: Any,
    eps: Any,
    m: Any,
    v: Any,
    t: Any,
) -> dict[str, Any]:
    t1, m1, v1 = _adam_moments(g, m, v, t, beta1, beta2)
    alpha_t = alpha * sympy.sqrt(1 - beta2**t1) / (1 - beta1**t1)
    return {
        "theta": theta - alpha_t * m1 / (sympy.sqrt(v1) + eps),
        "m": m1,
        "v": v1,
        "t": t1,
    }


def _adamw(
    theta: Any,
    g: Any,
    alpha: Any,
    beta1: Any,
    beta2: Any,
    eps: Any,
    lam: Any,
    m: Any,
    v: Any,
    t: Any,
) -> dict[str, Any]:
    step = _adam_paper(theta * (1 - alpha * lam), g, alpha, beta1, beta2, eps, m, v, t)
    return step


_ADAM_HYPER = ("alpha", "beta1", "beta2", "eps")


#: Every rule in every convention, side by side.
RULES: tuple[SymbolicRule, ...] = (
    make_rule(
        "sgd",
        "sgd",
        "every reference",
        "gradient descent",
        ("alpha",),
        (),
        lambda theta, g, alpha: {"theta": theta - alpha * g},
    ),
    make_rule(
        "sgd_l2",
        "sgd",
        "coupled weight decay (L2 in the gradient)",
        "gradient descent on the cost plus (λ/2)θ²",
        ("alpha", "lam"),
        (),
        lambda theta, g, alpha, lam: {"theta": theta - alpha * (g + lam * theta)},
    ),
    make_rule(
        "momentum_pytorch",
        "momentum",
        "PyTorch",
        "the buffer accumulates gradients; the learning rate scales the step",
        ("alpha", "mu"),
        ("b",),
        lambda theta, g, alpha, mu, b: {
            "theta": theta - alpha * (mu * b + g),
            "b": mu * b + g,
        },
    ),
    make_rule(
        "momentum_cs231n",
        "momentum",
        "CS231n",
        "the velocity accumulates learning-rate-scaled steps",
        ("alpha", "mu"),
        ("v",),
        lambda theta, g, alpha, mu, v: {
            "theta": theta + mu * v - alpha * g,
            "v": mu * v - alpha * g,
        },
    ),
    make_rule(
        "momentum_ema",
        "momentum",
        "moving average (deeplearning.ai; PyTorch with dampening = μ)",
        "the buffer is a moving average of the gradients",
        ("alpha", "mu"),
        ("b",),
        lambda theta, g, alpha, mu, b: {
            "theta": theta - alpha * (mu * b + (1 - mu) * g),
            "b": mu * b + (1 - mu) * g,
        },
    ),
    make_rule(
        "nesterov_pytorch",
        "nesterov",
        "PyTorch",
        "the step looks ahead along the new buffer",
        ("alpha", "mu"),
        ("b",),
        lambda theta, g, alpha, mu, b: {
            "theta": theta - alpha * (g + mu * (mu * b + g)),
            "b": mu * b + g,
        },
    ),
    make_rule(
        "nesterov_cs231n",
        "nesterov",
        "CS231n notes",
        "the velocity's look-ahead, written in the current parameters",
        ("alpha", "mu"),
        ("v",),
        lambda theta, g, alpha, mu, v: {
            "theta": theta - mu * v + (1 + mu) * (mu * v - alpha * g),
            "v": mu * v - alpha * g,
        },
    ),
    make_rule(
        "adagrad",
        "adagrad",
        "PyTorch",
        "each entry's step divided by the root of its summed squared gradients",
        ("alpha", "eps"),
        ("s",),
        lambda theta, g, alpha, eps, s: {
            "theta": theta - alpha * g / (sympy.sqrt(s + g**2) + eps),
            "s": s + g**2,
        },
    ),
    make_rule(
        "rmsprop_eps_outside",
        "rmsprop",
        "PyTorch, CS231n (ε outside the root)",
        "the step divided by the root of a moving average of squares, plus ε",
        ("alpha", "rho", "eps"),
        ("s",),
        lambda theta, g, alpha, rho, eps, s: {
            "theta": theta - alpha * g / (sympy.sqrt(rho * s + (1 - rho) * g**2) + eps),
            "s": rho * s + (1 - rho) * g**2,
        },
    ),
    make_rule(
        "rmsprop_eps_inside",
        "rmsprop",
        "TensorFlow (ε inside the root)",
        "the step divided by the root of a moving average of squares plus ε",
        ("alpha", "rho", "eps"),
        ("s",),
        lambda theta, g, alpha, rho, eps, s: {
            "theta": theta - alpha * g / sympy.sqrt(rho * s + (1 - rho) * g**2 + eps),
            "s": rho * s + (1 - rho) * g**2,
        },
    ),
    make_rule(
        "adam_paper",
        "adam",
        "paper (Algorithm 1), PyTorch, CS231n",
        "bias-corrected moments; ε added to the root of the corrected second moment",
        _ADAM_HYPER,
        ("m", "v", "t"),
        _adam_paper,
    ),
    make_rule(
        "adam_tensorflow",
        "adam",
        "TensorFlow (ApplyAdam)",
        "the bias correction folded into α_t; ε added to the root of the raw "
        "second moment",
        _ADAM_HYPER,
        ("m", "v", "t"),
        _adam_tensorflow,
    ),
    make_rule(
        "adam_l2",
        "adam",
        "coupled weight decay (Adam with L2 in the gradient)",
        "Adam on the gradient plus λθ",
        (*_ADAM_HYPER, "lam"),
        ("m", "v", "t"),
        lambda theta, g, alpha, beta1, beta2, eps, lam, m, v, t: _adam_paper(
            theta, g + lam * theta, alpha, beta1, beta2, eps, m, v, t
        ),
    ),
    make_rule(
        "adamw",
        "adamw",
        "decoupled weight decay (AdamW, PyTorch)",
        "the parameters shrink by 1 - αλ, then Adam's step on the gradient alone",
        (*_ADAM_HYPER, "lam"),
        ("m", "v", "t"),
        _adamw,
    ),
)


def get_rule(name: str) -> SymbolicRule:
    """The rule of :data:`RULES` called ``name``."""
    for rule in RULES:
        if rule.name == name:
            return rule
    raise ValueError(f"rule must be one of {[r.name for r in RULES]}, got {name!r}")


@functools.lru_cache(maxsize=256)
def _compiled(rule: SymbolicRule) -> Callable[..., Any]:
    args = [_s(n) for n in ("theta", "g", *rule.hyper, *rule.state)]
    return sympy.lambdify(args, [e for _, e in rule.updates], modules="numpy")


def numeric_step(
    rule: SymbolicRule,
    theta: Any,
    g: Any,
    state: Mapping[str, Any] | None,
    hyper: Mapping[str, float],
) -> dict[str, np.ndarray]:
    r"""One step of ``rule`` evaluated in float64 NumPy, elementwise.

    Parameters
    ----------
    rule : SymbolicRule
    theta, g : array_like
        The parameters and gradient, of one shape.
    state : mapping or None
        The rule's state by name (``None``: the initial state, every entry 0).
    hyper : mapping of str to float
        A value for each name of ``rule.hyper``.

    Returns
    -------
    dict of str to numpy.ndarray
        ``"theta"`` and each state, new, of the shape of ``theta`` (float64).
    """
    missing = [h for h in rule.hyper if h not in hyper]
    if missing:
        raise ValueError(f"hyper must give {list(rule.hyper)}, missing {missing}")
    theta = np.asarray(theta, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    state = state or {}
    values = [np.asarray(state.get(n, 0.0), dtype=np.float64) for n in rule.state]
    out = _compiled(rule)(theta, g, *(float(hyper[h]) for h in rule.hyper), *values)
    return {
        name: np.broadcast_to(np.asarray(value, dtype=np.float64), theta.shape).copy()
        for (name, _), value in zip(rule.updates, out, strict=True)
    }


def step_decay(
    alpha0: sympy.Expr, epoch: sympy.Expr, factor: sympy.Expr, every: int
) -> sympy.Expr:
    r"""Step decay :math:`\alpha_e = \alpha_0 \gamma^{\lfloor e / k \rfloor}`."""
    return alpha0 * factor ** sympy.floor(epoch / every)
