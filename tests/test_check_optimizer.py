"""check_optimizer and check_optim_file: learners' CS231n-style update rules against
every convention of the spec, their mistakes named."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cs231n_optim import adam, rmsprop, sgd, sgd_momentum
from seeded_optim_mistakes import SEEDED

from spec.check.conformance.optimizers import (
    CONVENTIONS,
    DEVIATIONS,
    KINDS,
    Alternative,
    check_optim_file,
    check_optimizer,
    optimizer_names,
)
from spec.check.conformance.optimizers.mistakes import CONFIG_SYMBOLS
from spec.optimizers import numeric_step

HERE = Path(__file__).parent


def _check(rule, kind, **kwargs):
    """check_optimizer, the kind ``"adam_weight_decay"`` being Adam with decay."""
    if kind == "adam_weight_decay":
        return check_optimizer(rule, kind="adam", weight_decay=True, **kwargs)
    return check_optimizer(rule, kind=kind, **kwargs)


#: Seeds of the false-alarm sweep over correct rules in every convention.
SEEDS = range(3)


def test_cs231n_lookalike_passes_with_its_conventions():
    report = check_optim_file(HERE / "cs231n_optim.py")
    assert report.passed
    assert report.missing == ()
    assert {r.kind: r.convention.name for r in report.reports} == {
        "sgd": "sgd",
        "sgd_momentum": "momentum_cs231n",
        "rmsprop": "rmsprop_eps_outside",
        "adam": "adam_paper",
    }
    for r in report.reports:
        assert not r.writes_inputs
        assert not r.upcast
        assert r.deviation is None
        # a conformant rule agrees step by step, in float64 to rounding
        assert all(
            t.first_mismatch is None and t.max_rel_err < 1e-13
            for t in r.trajectories
            if t.dtype == "float64"
        )
        assert len(r.trajectories) == 12
        assert all(t.steps >= 50 for t in r.trajectories)
    assert "4 of 4 optimizers pass" in str(report)


def test_seeded_optimizer_mistakes_all_flagged_and_named():
    flagged = named = 0
    table = []
    for rule, kind, expected in SEEDED:
        report = _check(rule, kind)
        flagged += not report.passed
        if expected.startswith("writes:"):
            got = "writes:" + ",".join(report.writes_inputs)
        else:
            got = report.deviation.name if report.deviation else report.verdict
        named += got == expected
        table.append((rule.__name__, expected, got))
    assert len(SEEDED) >= 15
    assert flagged == len(SEEDED), table
    assert named >= 0.9 * len(SEEDED), table
    # all of them, in fact: each deviation is told apart from every other
    assert named == len(SEEDED), table


def test_deviations_are_at_least_twelve_and_named_once():
    names = [d.name for d in DEVIATIONS]
    assert len(names) >= 12
    assert len(set(names)) == len(names)
    assert not set(names) & {c.name for c in CONVENTIONS}
    for d in DEVIATIONS:
        assert d.kind in (*KINDS, "adam_weight_decay")
        assert d.title
        assert d.breaks


def _learner(alt: Alternative):
    """A rule in CS231n's signature that runs ``alt`` through the spec, keeping
    its state in ``config`` in the dtype of ``w``."""
    keys = CONFIG_SYMBOLS

    def rule(w, dw, config):
        hyper = {keys[k]: v for k, v in config.items() if k in keys}
        hyper.update(alt.fixed)
        state = {
            n: config.get("state_" + n, 0.0)
            for n in alt.rule.state
            if n not in alt.resets
        }
        with np.errstate(all="ignore"):
            new = numeric_step(alt.rule, w, dw, state, hyper)
        for n in alt.rule.state:
            config["state_" + n] = new[n].astype(w.dtype)
        return new["theta"].astype(w.dtype), config

    return rule


@pytest.mark.parametrize("alt", CONVENTIONS + DEVIATIONS, ids=lambda a: a.name)
def test_every_alternative_is_recognised_as_itself(alt):
    """Each convention and each deviation, written as a learner's rule, is named
    as itself and as nothing else: none hides behind another on the trajectories."""
    report = _check(_learner(alt), alt.kind)
    found = report.convention or report.deviation
    assert found is not None
    assert found.name == alt.name
    assert report.also == ()
    assert report.verdict == ("conformant" if alt in CONVENTIONS else "deviates")


# Correct rules in other conventions, written as a learner might.


def momentum_pytorch(w, dw, config=None):
    config = {} if config is None else config
    b = config.get("velocity", np.zeros_like(w))
    b = config["momentum"] * b + dw
    config["velocity"] = b
    return w - config["learning_rate"] * b, config


def momentum_moving_average(w, dw, config=None):
    config = {} if config is None else config
    mu = config["momentum"]
    b = mu * config.get("velocity", np.zeros_like(w)) + (1 - mu) * dw
    config["velocity"] = b
    return w - config["learning_rate"] * b, config


def momentum_negated_velocity(w, dw, config=None):
    config = {} if config is None else config
    u = config["momentum"] * config.get("velocity", np.zeros_like(w))
    u = u + config["learning_rate"] * dw  # u = -v
    config["velocity"] = u
    return w - u, config


def momentum_in_place_state(w, dw, config=None):
    config = {} if config is None else config
    v = config.setdefault("velocity", np.zeros_like(w))
    v *= config["momentum"]  # writes into config's array: allowed
    v -= config["learning_rate"] * dw
    return w + v, config


def rmsprop_tensorflow(w, dw, config=None):
    config = {} if config is None else config
    rho = config["decay_rate"]
    cache = rho * config.get("cache", np.zeros_like(w)) + (1 - rho) * np.square(dw)
    config["cache"] = cache
    return w - config["learning_rate"] * dw / np.sqrt(cache + config["epsilon"]), config


def adam_tensorflow(w, dw, config=None):
    config = {} if config is None else config
    b1, b2, eps = config["beta1"], config["beta2"], config["epsilon"]
    t = config.get("t", 0) + 1
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
    lr_t = config["learning_rate"] * np.sqrt(1 - b2**t) / (1 - b1**t)
    config.update(m=m, v=v, t=t)
    return w - lr_t * m / (np.sqrt(v) + eps), config


def adam_running_powers(w, dw, config=None):
    """The paper's Adam with beta^t kept as running products, float64 state."""
    config = {} if config is None else config
    b1, b2 = config["beta1"], config["beta2"]
    p1 = config.get("beta1_t", 1.0) * b1
    p2 = config.get("beta2_t", 1.0) * b2
    m = b1 * config.get("m", np.zeros(w.shape)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros(w.shape)) + (1 - b2) * dw**2
    config.update(m=m, v=v, beta1_t=p1, beta2_t=p2)
    step = (
        config["learning_rate"]
        * (m / (1 - p1))
        / (np.sqrt(v / (1 - p2)) + config["epsilon"])
    )
    return w - step, config


def adamw(w, dw, config=None):
    config = {} if config is None else config
    b1, b2, eps = config["beta1"], config["beta2"], config["epsilon"]
    t = config.get("t", 0) + 1
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw**2
    config.update(m=m, v=v, t=t)
    decayed = w * (1 - config["learning_rate"] * config["weight_decay"])
    step = (
        config["learning_rate"] * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    )
    return decayed - step, config


def adam_l2(w, dw, config=None):
    config = {} if config is None else config
    return adam(w, dw + config["weight_decay"] * w, config)


OTHER_CONVENTIONS = [
    (momentum_pytorch, "sgd_momentum", "momentum_pytorch"),
    (momentum_moving_average, "sgd_momentum", "momentum_ema"),
    (momentum_negated_velocity, "sgd_momentum", "momentum_cs231n"),
    (momentum_in_place_state, "sgd_momentum", "momentum_cs231n"),
    (rmsprop_tensorflow, "rmsprop", "rmsprop_eps_inside"),
    (adam_tensorflow, "adam", "adam_tensorflow"),
    (adam_running_powers, "adam", "adam_paper"),
    (sgd, "sgd", "sgd"),
    (sgd_momentum, "sgd_momentum", "momentum_cs231n"),
    (rmsprop, "rmsprop", "rmsprop_eps_outside"),
    (adam, "adam", "adam_paper"),
    (adamw, "adam_weight_decay", "adamw"),
    (adam_l2, "adam_weight_decay", "adam_l2"),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("rule", "kind", "convention"),
    OTHER_CONVENTIONS,
    ids=lambda x: getattr(x, "__name__", x),
)
def test_correct_rule_in_another_convention_is_never_called_wrong(
    rule, kind, convention, seed
):
    report = _check(rule, kind, rng=seed)
    assert report.passed, str(report)
    assert report.convention.name == convention
    assert f"matches convention {convention}" in report.message


@pytest.mark.parametrize(
    ("rule", "convention"),
    [(adamw, "adamw"), (adam_l2, "adam_l2")],
    ids=["adamw", "adam_l2"],
)
def test_weight_decay_coupled_and_decoupled_are_both_conventions(rule, convention):
    report = check_optimizer(rule, kind="adam", weight_decay=True)
    assert report.passed, str(report)
    assert report.convention.name == convention
    assert report.to_dict()["weight_decay"] is True


def test_weight_decay_ignored_is_named():
    report = check_optimizer(adam, kind="adam", weight_decay=True)
    assert report.deviation.name == "weight_decay_ignored"


def test_weight_decay_only_for_adam():
    with pytest.raises(
        ValueError, match="weight_decay=True is checked for kind 'adam'"
    ):
        check_optimizer(sgd, kind="sgd", weight_decay=True)


def test_upcast_is_noted_not_flagged():
    report = check_optimizer(adam_running_powers, kind="adam")
    assert report.passed
    assert report.upcast
    assert "float64 out" in str(report)


def crashing_momentum(w, dw, config=None):
    velocity = config["velocity"]  # never set: KeyError at the first call
    return w + velocity, config


def test_crash_is_reported_with_its_line():
    report = check_optimizer(crashing_momentum, kind="sgd_momentum")
    assert report.verdict == "crashed"
    assert not report.passed
    crash = report.crash
    assert crash.problem == "KeyError: 'velocity'"
    assert crash.path == __file__
    assert (
        crash.source
        == 'velocity = config["velocity"]  # never set: KeyError at the first call'
    )
    lines = Path(__file__).read_text(encoding="utf-8").splitlines()
    assert lines[crash.number - 1].strip() == crash.source
    assert "call 1 of the random float64 trajectory" in crash.call
    assert f"{Path(__file__).name}" in report.message
    assert report.to_dict()["diagnosis"]["line"] == {
        "path": crash.path,
        "number": crash.number,
        "source": crash.source,
    }


def test_wrong_return_is_reported():
    report = check_optimizer(lambda w, dw, config: w - 0.1 * dw, kind="sgd")
    assert report.verdict == "crashed"
    assert "expected the pair (next_w, config)" in report.crash.problem
    assert report.crash.line is None


def test_rule_matching_nothing_is_wrong_with_its_first_difference():
    def sgd_scaled(w, dw, config):
        return w - 1.5 * config["learning_rate"] * dw, config

    report = check_optimizer(sgd_scaled, kind="sgd")
    assert report.verdict == "wrong"
    assert report.deviation is None
    assert report.convention is None
    assert report.trajectories[0].first_mismatch == 1
    assert "matches no convention and no known deviation" in report.message
    assert "first at call 1 of the random float64 trajectory" in report.message


def test_report_as_json():
    seeded = {rule.__name__: (rule, kind) for rule, kind, _ in SEEDED}
    rule, kind = seeded["adam_t_after"]
    data = _check(rule, kind).to_dict()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text)["diagnosis"]["mistake"] == "adam_t_late"
    assert data["verdict"] == "deviates"
    assert set(data["diagnosis"]) == {"mistake", "equation", "title", "line"}


def test_every_call_gets_copies():
    seen = []

    def sgd_keeping(w, dw, config):
        seen.append((w, dw, config))
        return w - config["learning_rate"] * dw, config

    check_optimizer(sgd_keeping, kind="sgd")
    ids = [id(x) for call in seen for x in call]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"kind": "nadam"}, ValueError, "kind must be one of"),
        ({"kind": "sgd", "rng": 1.5}, TypeError, "rng must be an int seed"),
    ],
)
def test_bad_arguments(kwargs, error, text):
    with pytest.raises(error, match=text):
        check_optimizer(sgd, **kwargs)


def test_rule_must_be_callable():
    with pytest.raises(TypeError, match="rule must be callable, got int"):
        check_optimizer(3, kind="sgd")


def test_check_optim_file_lists_missing_names(tmp_path):
    path = tmp_path / "optim.py"
    path.write_text(
        "def sgd(w, dw, config=None):\n"
        "    return w - config['learning_rate'] * dw, config\n",
        encoding="utf-8",
    )
    report = check_optim_file(path)
    assert report.passed
    assert [r.kind for r in report.reports] == ["sgd"]
    assert report.missing == ("sgd_momentum", "rmsprop", "adam")
    assert json.loads(report.to_json())["missing"] == list(report.missing)


def test_check_optim_file_refuses_what_it_cannot_check(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        check_optim_file(tmp_path / "absent.py")
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="defines none of"):
        check_optim_file(empty)
    broken = tmp_path / "broken.py"
    broken.write_text("import not_a_module_anywhere\n", encoding="utf-8")
    with pytest.raises(ValueError, match="cannot import"):
        check_optim_file(broken)


def test_optimizer_names_are_read_without_running_the_file(tmp_path):
    assert optimizer_names(HERE / "cs231n_optim.py") == KINDS
    assert optimizer_names(HERE / "tutorial_net.py") == ()
    path = tmp_path / "optim.py"
    path.write_text(
        "raise SystemExit\nfrom mine import adam\nsgd = adam\n", encoding="utf-8"
    )
    assert optimizer_names(path) == ("sgd", "adam")
    broken = tmp_path / "broken.py"
    broken.write_text("def (:\n", encoding="utf-8")
    with pytest.raises(ValueError, match="cannot read"):
        optimizer_names(broken)
