"""backprop.optimizers: each rule against the spec's symbolic rule evaluated
numerically, on parameter trees, in float64 and float32."""

from __future__ import annotations

import numpy as np
import pytest

from backprop import optimizers as opt
from spec.optimizers import get_rule, numeric_step

#: Steps of each comparison, the learning rate decaying at each.
STEPS = 25
#: float64: ours and the spec's lambdified expressions round differently (e.g.
#: ``m / c1`` against ``m * (1/c1)``), a few ulp per step over 25 steps.
RTOL64 = 1e-12


def _tree(rng, dtype=np.float64):
    """A parameter tree of every container kind: dict, list, tuple, non-square."""
    return {
        "layers": [
            rng.standard_normal((3, 4)).astype(dtype),
            rng.standard_normal((3,)).astype(dtype),
        ],
        "extra": (rng.standard_normal((2, 5)).astype(dtype),),
    }


def _leaves(tree):
    return [*tree["layers"], *tree["extra"]]


# (our rule, its keywords, the spec's rule, the spec's hyper-parameters)
CASES = [
    (opt.sgd, {}, "sgd", {}),
    (opt.sgd, {"weight_decay": 0.1}, "sgd_l2", {"lam": 0.1}),
    (opt.momentum, {"momentum": 0.8}, "momentum_pytorch", {"mu": 0.8}),
    (opt.momentum, {"momentum": 0.8, "convention": "cs231n"}, "momentum_cs231n", {"mu": 0.8}),
    (opt.momentum, {"momentum": 0.8, "dampening": 0.8}, "momentum_ema", {"mu": 0.8}),
    (opt.nesterov, {"momentum": 0.7}, "nesterov_pytorch", {"mu": 0.7}),
    (opt.adagrad, {"eps": 1e-6}, "adagrad", {"eps": 1e-6}),
    (opt.rmsprop, {"decay_rate": 0.9, "eps": 1e-6}, "rmsprop_eps_outside", {"rho": 0.9, "eps": 1e-6}),
    (opt.rmsprop, {"decay_rate": 0.9, "eps": 1e-6, "eps_placement": "inside"}, "rmsprop_eps_inside", {"rho": 0.9, "eps": 1e-6}),
    (opt.adam, {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6}, "adam_paper", {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6}),
    (opt.adam, {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "form": "tensorflow"}, "adam_tensorflow", {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6}),
    (opt.adam, {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weight_decay": 0.05}, "adam_l2", {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "lam": 0.05}),
    (opt.adamw, {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weight_decay": 0.05}, "adamw", {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "lam": 0.05}),
]  # fmt: skip


def _ids(case):
    return case[2]


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_rule_equals_the_spec_along_a_trajectory(case):
    rule, kwargs, name, hyper = case
    spec_rule = get_rule(name)
    rng = np.random.default_rng(7)
    params = _tree(rng)
    ref = [p.copy() for p in _leaves(params)]
    ref_state = [{} for _ in ref]
    state = None
    for k in range(STEPS):
        lr = 0.05 * 0.9**k
        grads = _tree(rng)
        grads["layers"][0][0, 0] = 0.0  # a zero gradient: 0 / (0 + eps)
        params, state = rule(params, grads, state, lr=lr, **kwargs)
        for i, (p, g) in enumerate(zip(ref, _leaves(grads), strict=True)):
            new = numeric_step(spec_rule, p, g, ref_state[i], {"alpha": lr, **hyper})
            ref[i] = new["theta"]
            ref_state[i] = {s: new[s] for s in spec_rule.state}
        for ours, theirs in zip(_leaves(params), ref, strict=True):
            np.testing.assert_allclose(ours, theirs, rtol=RTOL64, atol=0)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_rule_keeps_float32_and_leaves_inputs_alone(case):
    rule, kwargs, _, _ = case
    rng = np.random.default_rng(3)
    params, grads = _tree(rng, np.float32), _tree(rng, np.float32)
    kept = [p.copy() for p in _leaves(params)], [g.copy() for g in _leaves(grads)]
    new, state = rule(params, grads, None, lr=0.01, **kwargs)
    new, state = rule(new, grads, state, lr=0.01, **kwargs)
    assert isinstance(new["layers"], list)
    assert isinstance(new["extra"], tuple)
    assert all(p.dtype == np.float32 for p in _leaves(new))
    for value in state.values():
        if not isinstance(value, int):
            assert all(p.dtype == np.float32 for p in _leaves(value))
    for before, after in zip(
        kept[0] + kept[1], _leaves(params) + _leaves(grads), strict=True
    ):
        np.testing.assert_array_equal(before, after)


def test_momentum_conventions_equal_for_a_constant_learning_rate():
    """The proven fact, numerically: v = -alpha b and equal parameters."""
    rng = np.random.default_rng(0)
    p_pt = p_cs = rng.standard_normal((4, 3))
    s_pt = s_cs = None
    for _ in range(30):
        g = rng.standard_normal((4, 3))
        p_pt, s_pt = opt.momentum(p_pt, g, s_pt, lr=0.1, momentum=0.9)
        p_cs, s_cs = opt.momentum(
            p_cs, g, s_cs, lr=0.1, momentum=0.9, convention="cs231n"
        )
    np.testing.assert_allclose(p_cs, p_pt, rtol=1e-12)
    np.testing.assert_allclose(s_cs["velocity"], -0.1 * s_pt["velocity"], rtol=1e-12)


def test_step_decay():
    assert opt.step_decay(0.1, 0) == 0.1
    assert opt.step_decay(0.1, 9, every=10) == 0.1
    assert opt.step_decay(0.1, 10, every=10) == pytest.approx(0.05)
    assert opt.step_decay(0.1, 25, factor=0.1, every=10) == pytest.approx(0.001)


def test_get_optimizer():
    assert opt.get_optimizer("adam") is opt.adam
    assert set(opt.OPTIMIZERS) == {
        "sgd",
        "momentum",
        "nesterov",
        "adagrad",
        "rmsprop",
        "adam",
        "adamw",
    }
    with pytest.raises(ValueError, match="optimizer must be one of"):
        opt.get_optimizer("nadam")


@pytest.mark.parametrize(
    ("call", "error", "text"),
    [
        (lambda p, g: opt.sgd(p, g, lr=-1.0), ValueError, "lr must be >= 0"),
        (lambda p, g: opt.sgd(p, g, lr="0.1"), TypeError, "lr must be a real number"),
        (lambda p, g: opt.momentum(p, g, lr=0.1, momentum=1.0), ValueError, "momentum must be >= 0.0 and < 1.0"),
        (lambda p, g: opt.momentum(p, g, lr=0.1, convention="keras"), ValueError, "convention must be"),
        (lambda p, g: opt.rmsprop(p, g, lr=0.1, eps_placement="under"), ValueError, "eps_placement must be"),
        (lambda p, g: opt.adam(p, g, lr=0.1, form="keras"), ValueError, "form must be"),
        (lambda p, g: opt.sgd(p, [g[0]], lr=0.1), ValueError, "trees differ"),
        (lambda p, g: opt.sgd(p, [g[0], g[1].T], lr=0.1), ValueError, "grads must have the shapes of params"),
        (lambda p, g: opt.sgd(p, g, "state", lr=0.1), TypeError, "state must be None"),
        (lambda p, g: opt.step_decay(0.1, -1), ValueError, "epoch must be an integer >= 0"),
        (lambda p, g: opt.step_decay(0.1, 1, factor=1.5), ValueError, "factor must be in"),
    ],
)  # fmt: skip
def test_bad_input_names_the_argument(call, error, text):
    rng = np.random.default_rng(0)
    params = [rng.standard_normal((2, 3)), rng.standard_normal((3, 2))]
    grads = [rng.standard_normal((2, 3)), rng.standard_normal((3, 2))]
    with pytest.raises(error, match=text):
        call(params, grads)


def test_integer_parameters_are_refused():
    with pytest.raises(TypeError, match="parameters must be floating arrays"):
        opt.sgd(np.arange(3), np.ones(3), lr=0.1)
