"""spec.optimizers: the symbolic rules, and the proven facts, checked both ways:
the proofs hold, and numerically the rules behave as the facts say."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from spec.optimizers import (
    RULES,
    Fact,
    adam_forms_difference,
    get_rule,
    make_rule,
    momentum_difference,
    numeric_step,
    optimizer_symbol,
    prove_adam_bias_correction,
    prove_adam_forms,
    prove_momentum_conventions_equal,
    prove_momentum_difference_under_decay,
    prove_optimizer_facts,
    step_decay,
)

#: float64 evaluations of one formula two ways (a few roundings each).
RTOL = 1e-12


def _run(rule, theta, grads, lrs, hyper):
    state = {}
    for g, lr in zip(grads, lrs, strict=True):
        new = numeric_step(rule, theta, g, state, {"alpha": lr, **hyper})
        theta = new["theta"]
        state = {n: new[n] for n in rule.state}
    return theta, state


@pytest.mark.parametrize(
    "prove",
    [
        prove_momentum_conventions_equal,
        prove_momentum_difference_under_decay,
        prove_adam_bias_correction,
        prove_adam_forms,
    ],
)
def test_fact_is_proven(prove):
    fact = prove()
    assert isinstance(fact, Fact)
    assert fact.proven, str(fact)
    assert str(fact).startswith("proven: ")
    assert fact.identities


def test_all_facts_in_order():
    names = [f.name for f in prove_optimizer_facts()]
    assert names == [
        "momentum_conventions_equal",
        "momentum_difference_under_decay",
        "adam_bias_correction",
        "adam_forms",
    ]


@pytest.mark.parametrize("steps", [1, 2, 4])
def test_momentum_difference_is_proven_for_other_lengths(steps):
    assert prove_momentum_difference_under_decay(steps).proven


def test_momentum_difference_is_not_vacuous():
    """The closed form is not 0 once the learning rates differ."""
    closed = momentum_difference(3)
    alphas = sympy.symbols("alpha_1:4", real=True)
    assert sympy.expand(closed) != 0
    assert sympy.expand(closed.xreplace(dict.fromkeys(alphas, alphas[0]))) == 0


def test_momentum_difference_numerically():
    rng = np.random.default_rng(1)
    n, mu = 6, 0.85
    grads = rng.standard_normal((n, 5))
    lrs = 0.1 * 0.7 ** np.arange(n)
    theta0 = rng.standard_normal(5)
    th_pt, _ = _run(get_rule("momentum_pytorch"), theta0, grads, lrs, {"mu": mu})
    th_cs, _ = _run(get_rule("momentum_cs231n"), theta0, grads, lrs, {"mu": mu})
    closed = sum(
        mu ** (k - j) * (lrs[k] - lrs[j]) * grads[j]
        for k in range(n)
        for j in range(k + 1)
    )
    np.testing.assert_allclose(th_cs - th_pt, closed, rtol=1e-10, atol=1e-15)
    assert np.abs(closed).max() > 1e-3  # the decay does separate them


def test_adam_bias_correction_numerically():
    """A constant gradient moves every entry by alpha g / (|g| + eps) at every step."""
    rule = get_rule("adam_paper")
    hyper = {"alpha": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6}
    g = np.array([3.0, -1e-4, 0.5])
    theta, state = np.zeros(3), {}
    for _ in range(20):
        new = numeric_step(rule, theta, g, state, hyper)
        np.testing.assert_allclose(
            theta - new["theta"], 0.01 * g / (np.abs(g) + 1e-6), rtol=RTOL
        )
        theta, state = new["theta"], {n: new[n] for n in rule.state}


def test_adam_forms_difference_numerically():
    rng = np.random.default_rng(2)
    hyper = {"alpha": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-3}
    state = {"m": rng.standard_normal(4), "v": rng.random(4), "t": np.full(4, 3.0)}
    theta, g = rng.standard_normal(4), rng.standard_normal(4)
    paper = numeric_step(get_rule("adam_paper"), theta, g, state, hyper)
    tf = numeric_step(get_rule("adam_tensorflow"), theta, g, state, hyper)
    t1 = 4
    c1, c2 = 1 - 0.8**t1, 1 - 0.99**t1
    diff = adam_forms_difference()
    by_name = {str(s): s for s in diff.free_symbols}
    formula = sympy.lambdify(
        [
            by_name[n]
            for n in (r"\alpha", r"\epsilon", "m'", r"\sqrt{v'}", "c_1", "c_2")
        ],
        diff,
    )
    expected = formula(0.01, 1e-3, paper["m"], np.sqrt(paper["v"]), c1, c2)
    np.testing.assert_allclose(paper["theta"] - tf["theta"], expected, rtol=1e-9)
    zero = numeric_step(get_rule("adam_paper"), theta, g, state, {**hyper, "eps": 0.0})
    zero_tf = numeric_step(
        get_rule("adam_tensorflow"), theta, g, state, {**hyper, "eps": 0.0}
    )
    np.testing.assert_allclose(zero["theta"], zero_tf["theta"], rtol=RTOL)


def test_rules_are_listed_with_their_latex():
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))
    for rule in RULES:
        lines = rule.latex()
        assert lines[-1].startswith(r"\theta' = ")
        assert len(lines) == 1 + len(rule.state)
    assert get_rule("momentum_pytorch").latex() == [
        r"b' = \mu b + g",
        r"\theta' = - \alpha b' + \theta",
    ]


def test_step_decay_symbolic():
    a0, gamma = sympy.symbols("alpha_0 gamma", positive=True)
    assert step_decay(a0, sympy.Integer(25), gamma, 10) == a0 * gamma**2
    epoch = sympy.Symbol("e", integer=True, nonnegative=True)
    assert step_decay(a0, epoch, gamma, 10) == a0 * gamma ** sympy.floor(epoch / 10)


def test_bad_names():
    with pytest.raises(ValueError, match="rule must be one of"):
        get_rule("nadam")
    with pytest.raises(ValueError, match="name must be one of"):
        optimizer_symbol("omega")
    with pytest.raises(ValueError, match="build must return theta and"):
        make_rule(
            "x",
            "sgd",
            "",
            "",
            ("alpha",),
            ("v",),
            lambda theta, g, alpha, v: {"theta": theta},
        )
    with pytest.raises(ValueError, match="hyper must give"):
        numeric_step(get_rule("sgd"), np.zeros(2), np.zeros(2), None, {})
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        prove_momentum_difference_under_decay(0)
