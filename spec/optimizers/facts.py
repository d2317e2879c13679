r"""What is proven about the rules of :mod:`spec.optimizers.rules`, each a
:class:`Fact` (:func:`prove_optimizer_facts`): the two momentum conventions equal
for a constant learning rate and their exact difference under decay, Adam's bias
correction exact for a constant gradient, and Adam's TensorFlow form against the
paper's."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import sympy

from spec.optimizers.rules import SymbolicRule, get_rule, optimizer_symbol

__all__ = [
    "Fact",
    "adam_forms_difference",
    "momentum_difference",
    "prove_adam_bias_correction",
    "prove_adam_forms",
    "prove_momentum_conventions_equal",
    "prove_momentum_difference_under_decay",
    "prove_optimizer_facts",
]


@dataclasses.dataclass(frozen=True)
class Fact:
    r"""A proven statement about the rules.

    Attributes
    ----------
    name : str
        Identifier, e.g. ``"momentum_conventions_equal"``.
    claim : str
        The statement in words.
    proven : bool
        Whether every identity it rests on reduced to 0.
    method : str
        How it was decided.
    identities : tuple of str
        The identities shown to hold, in LaTeX.
    difference : sympy.Expr or None
        Where the fact is an exact difference, the expression proven equal to it.
    """

    name: str
    claim: str
    proven: bool
    method: str
    identities: tuple[str, ...]
    difference: sympy.Expr | None = None

    def __str__(self) -> str:
        word = "proven" if self.proven else "NOT proven"
        return f"{word}: {self.claim} ({self.method})"


def _zero(expr: sympy.Expr) -> bool:
    r"""Whether ``expr`` is identically 0.

    Powers with a symbolic exponent, :math:`\beta^{t + k}`, are written
    :math:`\beta^k P` with one positive symbol :math:`P = \beta^t` per base;
    each square root's argument is cancelled and factored (so that
    :math:`\sqrt{g^2 c / c}` is :math:`|g|`); the whole is then cancelled over a
    common denominator, which decides the equality of rational functions.
    """
    powers: dict[sympy.Expr, sympy.Symbol] = {}

    def split(e: sympy.Pow) -> sympy.Expr:
        k = e.exp.as_coeff_add()[0]
        rest = e.exp - k
        key = e.base**rest
        if key not in powers:
            powers[key] = sympy.Dummy(positive=True)
        return e.base**k * powers[key]

    expr = expr.replace(
        lambda e: e.is_Pow and e.base.is_Symbol and not e.exp.is_number,
        split,
    )
    expr = expr.replace(
        lambda e: e.is_Pow and e.exp == sympy.S.Half,
        lambda e: sympy.sqrt(sympy.factor(sympy.cancel(e.base))),
    )
    return bool(sympy.cancel(sympy.together(sympy.expand(expr))) == 0)


def _one_step(rule: SymbolicRule, values: Mapping[str, Any]) -> dict[str, sympy.Expr]:
    """``rule``'s updates with its symbols replaced by ``values`` (by name)."""
    table = {optimizer_symbol(n): v for n, v in values.items()}
    return {n: e.xreplace(table) for n, e in rule.updates}


def prove_momentum_conventions_equal() -> Fact:
    r"""With a constant learning rate, the PyTorch and CS231n momentum rules give
    the same parameters at every step, and :math:`v = -\alpha b`.

    By induction on the step: both start from :math:`v_0 = b_0 = 0` (so
    :math:`v_0 = -\alpha b_0`) and the same :math:`\theta_0`; if :math:`v =
    -\alpha b` before a step with the same :math:`\theta`, :math:`g`,
    :math:`\alpha`, :math:`\mu`, then after it :math:`v' + \alpha b' = 0` and
    :math:`\theta'_{\text{CS231n}} = \theta'_{\text{PyTorch}}`, each shown by
    expanding the rules' own expressions to 0.
    """
    theta, g, alpha, mu, b = (
        optimizer_symbol(n) for n in ("theta", "g", "alpha", "mu", "b")
    )
    common = {"theta": theta, "g": g, "alpha": alpha, "mu": mu}
    pytorch = _one_step(get_rule("momentum_pytorch"), {**common, "b": b})
    cs231n = _one_step(get_rule("momentum_cs231n"), {**common, "v": -alpha * b})
    velocity = cs231n["v"] + alpha * pytorch["b"]
    position = cs231n["theta"] - pytorch["theta"]
    return Fact(
        name="momentum_conventions_equal",
        claim="PyTorch's and CS231n's momentum give equal parameters at every step "
        "while the learning rate is constant, with v = -alpha b",
        proven=_zero(velocity) and _zero(position),
        method="induction on the step; the step's identities expanded to 0",
        identities=(
            r"v_0 = -\alpha b_0 = 0",
            r"v = -\alpha b \implies v' + \alpha b' = "
            + sympy.latex(sympy.expand(velocity)),
            r"v = -\alpha b \implies \theta'_{\mathrm{CS231n}} - "
            r"\theta'_{\mathrm{PyTorch}} = " + sympy.latex(sympy.expand(position)),
        ),
    )


def momentum_difference(steps: int) -> sympy.Expr:
    r"""The closed form of :math:`\theta^{\mathrm{CS231n}}_n -
    \theta^{\mathrm{PyTorch}}_n` after ``steps`` :math:`= n` steps from the same
    :math:`\theta_0` with learning rates :math:`\alpha_1, \dots, \alpha_n`:

    .. math:: \sum_{k=1}^{n} \sum_{j=1}^{k} \mu^{k-j} (\alpha_k - \alpha_j)\, g_j
    """
    mu = optimizer_symbol("mu")
    a = sympy.symbols(f"alpha_1:{steps + 1}", real=True)
    g = sympy.symbols(f"g_1:{steps + 1}", real=True)
    return sympy.Add(
        *(
            mu ** (k - j) * (a[k] - a[j]) * g[j]
            for k in range(steps)
            for j in range(k + 1)
        )
    )


def _momentum_induction_step() -> bool:
    r"""The induction step of :func:`prove_momentum_difference_under_decay`.

    With :math:`B_n = \sum_{j \le n} \mu^{n-j} g_j`, :math:`A_n = \sum_{j \le n}
    \mu^{n-j} \alpha_j g_j` and :math:`D_n` the double sum of
    :func:`momentum_difference`, splitting off the last term of each sum gives
    :math:`B_{n+1} = \mu B_n + g_{n+1}`, :math:`A_{n+1} = \mu A_n + \alpha_{n+1}
    g_{n+1}` and :math:`D_{n+1} = D_n + \alpha_{n+1} B_{n+1} - A_{n+1}`. If after
    :math:`n` steps :math:`b = B_n`, :math:`v = -A_n` and
    :math:`\theta^{\mathrm{CS231n}} = \theta^{\mathrm{PyTorch}} + D_n`, the
    rules' own step with :math:`\alpha_{n+1}, g_{n+1}` gives :math:`b' = B_{n+1}`,
    :math:`v' = -A_{n+1}` and the difference :math:`D_{n+1}`: three polynomial
    identities in the symbols :math:`A_n, B_n, D_n, \theta, \mu, \alpha_{n+1},
    g_{n+1}`, expanded to 0.
    """
    mu, theta, alpha, g = (optimizer_symbol(n) for n in ("mu", "theta", "alpha", "g"))
    a_n, b_n, d_n = sympy.symbols("A_n B_n D_n", real=True)
    b_next = mu * b_n + g
    a_next = mu * a_n + alpha * g
    d_next = d_n + alpha * b_next - a_next
    common = {"g": g, "alpha": alpha, "mu": mu}
    p = _one_step(get_rule("momentum_pytorch"), {**common, "theta": theta, "b": b_n})
    c = _one_step(
        get_rule("momentum_cs231n"), {**common, "theta": theta + d_n, "v": -a_n}
    )
    return (
        _zero(p["b"] - b_next)
        and _zero(c["v"] + a_next)
        and _zero(c["theta"] - p["theta"] - d_next)
    )


def prove_momentum_difference_under_decay(steps: int = 5) -> Fact:
    r"""When the learning rate changes between steps, the momentum conventions
    differ by exactly :func:`momentum_difference`, for every number of steps.

    By induction on the step (the step is checked on the rules themselves; the base case
    :math:`n = 0` has every sum empty and both states 0). As a check of the
    closed form itself, both rules are also run for ``steps`` steps with a symbol
    for every :math:`\alpha_k` and :math:`g_k`, and the difference of the final
    parameters minus the closed form expands to 0; the closed form is 0 when every
    :math:`\alpha_k` is equal, and not otherwise.
    """
    value: Any = steps  # any object may come; the hint is what is expected
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    mu, theta0 = optimizer_symbol("mu"), optimizer_symbol("theta")
    a = sympy.symbols(f"alpha_1:{steps + 1}", real=True)
    g = sympy.symbols(f"g_1:{steps + 1}", real=True)
    pytorch_rule, cs231n_rule = (
        get_rule("momentum_pytorch"),
        get_rule("momentum_cs231n"),
    )
    th_p, th_c = theta0, theta0
    b, v = sympy.Integer(0), sympy.Integer(0)
    for k in range(steps):
        p = _one_step(
            pytorch_rule, {"theta": th_p, "g": g[k], "alpha": a[k], "mu": mu, "b": b}
        )
        c = _one_step(
            cs231n_rule, {"theta": th_c, "g": g[k], "alpha": a[k], "mu": mu, "v": v}
        )
        th_p, b, th_c, v = p["theta"], p["b"], c["theta"], c["v"]
    closed = momentum_difference(steps)
    constant = closed.xreplace(dict.fromkeys(a, a[0]))
    proven = (
        _momentum_induction_step()
        and _zero(th_c - th_p - closed)
        and _zero(constant)
        and (steps == 1 or not _zero(closed))
    )
    return Fact(
        name="momentum_difference_under_decay",
        claim="after n steps with learning rates alpha_1..alpha_n, for every n, "
        "theta_CS231n - theta_PyTorch = sum_k sum_{j<=k} mu^(k-j) (alpha_k - "
        "alpha_j) g_j, which is 0 for a constant learning rate",
        proven=proven,
        method="induction on the step, the rules' one-step expressions expanded; "
        f"and {steps} steps of both rules with every alpha_k and g_k a symbol",
        identities=(
            (
                r"\theta^{\mathrm{CS231n}}_n - \theta^{\mathrm{PyTorch}}_n = "
                r"\sum_{k=1}^{n} \sum_{j=1}^{k} \mu^{k-j} (\alpha_k - \alpha_j)\, g_j"
            ),
            (
                r"b_n = \sum_{j=1}^{n} \mu^{n-j} g_j, \quad "
                r"v_n = -\sum_{j=1}^{n} \mu^{n-j} \alpha_j g_j"
            ),
        ),
        difference=closed,
    )


def prove_adam_bias_correction() -> Fact:
    r"""For a constant gradient :math:`g`, Adam's corrected moments are exact at
    every step: :math:`\hat m_t = g` and :math:`\hat v_t = g^2`.

    By induction on :math:`t`, with :math:`t` a symbol: :math:`m_0 = 0 = (1 -
    \beta_1^0) g`, and if :math:`m = (1 - \beta_1^t) g` then the rule's
    :math:`m' = (1 - \beta_1^{t+1}) g`; likewise :math:`v = (1 - \beta_2^t) g^2`.
    Dividing by the rule's corrections :math:`1 - \beta_1^{t+1}` and :math:`1 -
    \beta_2^{t+1}` gives :math:`g` and :math:`g^2`. By linearity the same holds in
    expectation for gradients of constant mean :math:`\mathbb{E}[g]` (and
    :math:`\mathbb{E}[g^2]`): the correction removes the bias toward the zero
    initialisation.
    """
    rule = get_rule("adam_paper")
    theta, g, t, b1, b2, eps, alpha = (
        optimizer_symbol(n)
        for n in ("theta", "g", "t", "beta1", "beta2", "eps", "alpha")
    )
    values = {
        "theta": theta,
        "g": g,
        "alpha": alpha,
        "beta1": b1,
        "beta2": b2,
        "eps": eps,
        "m": (1 - b1**t) * g,
        "v": (1 - b2**t) * g**2,
        "t": t,
    }
    new = _one_step(rule, values)
    m_ok = _zero(new["m"] - (1 - b1 ** new["t"]) * g)
    v_ok = _zero(new["v"] - (1 - b2 ** new["t"]) * g**2)
    # the rule's own step with the moments of the claim: theta - alpha g/(|g| + eps)
    gp = sympy.Symbol("g", positive=True)
    step = new["theta"].xreplace({g: gp}) - (theta - alpha * gp / (gp + eps))
    step_ok = _zero(step)
    return Fact(
        name="adam_bias_correction",
        claim="for a constant gradient g, Adam's bias-corrected moments are m_hat = g "
        "and v_hat = g^2 at every step t >= 1, so each step is "
        "alpha g / (|g| + eps)",
        proven=m_ok and v_ok and step_ok,
        method="induction on t with t a symbol; the rule's update cancelled to 0",
        identities=(
            r"m_t = (1 - \beta_1^t)\, g \implies m_{t+1} = (1 - \beta_1^{t+1})\, g",
            r"v_t = (1 - \beta_2^t)\, g^2 \implies v_{t+1} = (1 - \beta_2^{t+1})\, g^2",
            (
                r"\hat m_t = g,\quad \hat v_t = g^2,\quad \theta_t - \theta_{t+1} = "
                r"\frac{\alpha g}{|g| + \epsilon}"
            ),
        ),
    )


def adam_forms_difference() -> sympy.Expr:
    r"""The exact difference of one step, :math:`\theta'_{\text{paper}} -
    \theta'_{\text{TensorFlow}}`, from the same :math:`(\theta, m, v, t)` with
    :math:`c_1 = 1 - \beta_1^{t+1}`, :math:`c_2 = 1 - \beta_2^{t+1}` and the new
    moments :math:`m', v' > 0`:

    .. math:: \frac{\alpha\, m' \sqrt{c_2}}{c_1}\,
              \frac{\epsilon\,(\sqrt{c_2} - 1)}
                   {(\sqrt{v'} + \sqrt{c_2}\,\epsilon)(\sqrt{v'} + \epsilon)}

    It is 0 when :math:`\epsilon = 0`, and otherwise of the sign of
    :math:`-m'`: the paper's step is the larger, and the gap is widest at small
    :math:`t`, where :math:`\sqrt{c_2}` is far from 1.
    """
    alpha, eps = optimizer_symbol("alpha"), optimizer_symbol("eps")
    m1, r = sympy.Symbol("m'", real=True), sympy.Symbol(r"\sqrt{v'}", positive=True)
    c1, c2 = sympy.Symbol("c_1", positive=True), sympy.Symbol("c_2", positive=True)
    rc2 = sympy.sqrt(c2)
    return alpha * m1 * rc2 / c1 * eps * (rc2 - 1) / ((r + rc2 * eps) * (r + eps))


def prove_adam_forms() -> Fact:
    r"""TensorFlow's Adam equals the paper's when :math:`\epsilon = 0`; otherwise
    their steps differ by exactly :func:`adam_forms_difference`, and
    TensorFlow's :math:`\hat\epsilon` is the paper's :math:`\epsilon =
    \hat\epsilon / \sqrt{1 - \beta_2^t}` (larger early on).

    Decided on the rules' own expressions, with the new moments, the root of the
    second moment and the corrections as positive symbols, by cancelling to 0.
    """
    paper, tf = get_rule("adam_paper"), get_rule("adam_tensorflow")
    theta, g, alpha, b1, b2, eps, m, v, t = (
        optimizer_symbol(n)
        for n in ("theta", "g", "alpha", "beta1", "beta2", "eps", "m", "v", "t")
    )
    values = {"theta": theta, "g": g, "alpha": alpha, "beta1": b1, "beta2": b2,
              "eps": eps, "m": m, "v": v, "t": t}  # fmt: skip
    step_p, step_t = _one_step(paper, values), _one_step(tf, values)
    # name the new moments and corrections, so that the root is of a positive symbol
    m1, r = sympy.Symbol("m'", real=True), sympy.Symbol(r"\sqrt{v'}", positive=True)
    c1, c2 = sympy.Symbol("c_1", positive=True), sympy.Symbol("c_2", positive=True)
    renamed = {
        step_p["m"]: m1,
        step_p["v"]: r**2,
        1 - b1 ** step_p["t"]: c1,
        1 - b2 ** step_p["t"]: c2,
    }

    def named(expr: sympy.Expr) -> sympy.Expr:
        return sympy.powdenest(expr.subs(renamed), force=True)

    diff = named(step_p["theta"]) - named(step_t["theta"])
    equal_at_zero = _zero(diff.subs(eps, 0))
    exact = _zero(diff - adam_forms_difference())
    # TensorFlow's eps_hat is the paper's eps = eps_hat / sqrt(c2)
    rescaled = named(step_p["theta"]).subs(eps, eps / sympy.sqrt(c2))
    same_eps = _zero(rescaled - named(step_t["theta"]))
    return Fact(
        name="adam_forms",
        claim="TensorFlow's Adam (bias correction folded into alpha_t, eps on sqrt(v)) "
        "equals the paper's when eps = 0; otherwise the steps differ by the exact "
        "difference shown, and TensorFlow's eps_hat acts as the paper's "
        "eps_hat / sqrt(1 - beta2^t)",
        proven=equal_at_zero and exact and same_eps,
        method="the rules' one-step expressions, cancelled to 0 over a common "
        "denominator",
        identities=(
            r"\theta'_{\mathrm{paper}} - \theta'_{\mathrm{TF}}\big|_{\epsilon = 0} = 0",
            r"\theta'_{\mathrm{paper}} - \theta'_{\mathrm{TF}} = "
            + sympy.latex(adam_forms_difference()),
            (
                r"\theta'_{\mathrm{TF}}(\hat\epsilon) = \theta'_{\mathrm{paper}}"
                r"(\epsilon = \hat\epsilon / \sqrt{c_2})"
            ),
        ),
        difference=adam_forms_difference(),
    )


def prove_optimizer_facts() -> tuple[Fact, ...]:
    """Every proven fact of this module, in the order the docs show them."""
    return (
        prove_momentum_conventions_equal(),
        prove_momentum_difference_under_decay(),
        prove_adam_bias_correction(),
        prove_adam_forms(),
    )
