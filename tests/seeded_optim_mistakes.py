"""Mistakes learners make in CS231n's ``optim.py``, each seeded into a rule written
the way a learner would (``next_w, config = rule(w, dw, config)``), with the kind
it implements and the name :func:`spec.check.conformance.optimizers.check_optimizer`
must give it: a deviation of ``DEVIATIONS``, or ``"writes:dw"`` for a rule that
writes into its input. The kind ``"adam_weight_decay"`` is Adam checked with
``weight_decay=True``.
"""

import numpy as np


def _defaults(config, **defaults):
    config = {} if config is None else config
    for key, value in defaults.items():
        config.setdefault(key, value)
    return config


def sgd_plus(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2)
    return w + config["learning_rate"] * dw, config


def sgd_lr_cached(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2)
    config.setdefault("lr0", config["learning_rate"])  # read once, kept
    return w - config["lr0"] * dw, config


def sgd_in_place_dw(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2)
    dw *= config["learning_rate"]  # scales the caller's gradient
    return w - dw, config


def momentum_fresh_velocity(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    v = np.zeros_like(w)  # should come from config
    v = config["momentum"] * v - config["learning_rate"] * dw
    return w + v, config


def momentum_old_velocity(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    v = config.get("velocity", np.zeros_like(w))
    next_w = w + v  # moves before the velocity is updated
    config["velocity"] = config["momentum"] * v - config["learning_rate"] * dw
    return next_w, config


def momentum_hardcoded(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = 0.9 * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def momentum_mixed(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v + config["learning_rate"] * dw
    config["velocity"] = v
    return w - config["learning_rate"] * v, config


def rmsprop_no_root(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    cache = config.get("cache", np.zeros_like(w))
    cache = config["decay_rate"] * cache + (1 - config["decay_rate"]) * dw**2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (cache + config["epsilon"]), config


def rmsprop_swapped_decay(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    rho = config["decay_rate"]
    cache = (1 - rho) * config.get("cache", np.zeros_like(w)) + rho * dw * dw
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (
        np.sqrt(cache) + config["epsilon"]
    ), config


def rmsprop_without_eps(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    rho = config["decay_rate"]
    cache = rho * config.get("cache", np.zeros_like(w)) + (1 - rho) * dw**2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / np.sqrt(cache), config


def rmsprop_sum_of_squares(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    cache = config.get("cache", np.zeros_like(w)) + dw**2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (
        np.sqrt(cache) + config["epsilon"]
    ), config


def _adam_defaults(config):
    return _defaults(
        config,
        learning_rate=1e-3,
        beta1=0.9,
        beta2=0.999,
        epsilon=1e-8,
        m=None,
        v=None,
        t=0,
    )


def adam_t_after(w, dw, config=None):
    config = _adam_defaults(config)
    b1, b2, t = config["beta1"], config["beta2"], config["t"]
    m = b1 * (0 if config["m"] is None else config["m"]) + (1 - b1) * dw
    v = b2 * (0 if config["v"] is None else config["v"]) + (1 - b2) * dw**2
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    config.update(m=m, v=v, t=t + 1)  # t incremented after its use
    return w - config["learning_rate"] * m_hat / (
        np.sqrt(v_hat) + config["epsilon"]
    ), config


def adam_uncorrected(w, dw, config=None):
    config = _adam_defaults(config)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    m = b1 * (0 if config["m"] is None else config["m"]) + (1 - b1) * dw
    v = b2 * (0 if config["v"] is None else config["v"]) + (1 - b2) * dw**2
    config.update(m=m, v=v)
    return w - config["learning_rate"] * m / (np.sqrt(v) + config["epsilon"]), config


def adam_corrections_crossed(w, dw, config=None):
    config = _adam_defaults(config)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    t = config["t"]
    m = b1 * (0 if config["m"] is None else config["m"]) + (1 - b1) * dw
    v = b2 * (0 if config["v"] is None else config["v"]) + (1 - b2) * dw**2
    config.update(m=m, v=v)
    m_hat, v_hat = m / (1 - b2**t), v / (1 - b1**t)
    return w - config["learning_rate"] * m_hat / (
        np.sqrt(v_hat) + config["epsilon"]
    ), config


def adam_eps_under_root(w, dw, config=None):
    config = _adam_defaults(config)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    t = config["t"]
    m = b1 * (0 if config["m"] is None else config["m"]) + (1 - b1) * dw
    v = b2 * (0 if config["v"] is None else config["v"]) + (1 - b2) * dw**2
    config.update(m=m, v=v)
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    return w - config["learning_rate"] * m_hat / np.sqrt(
        v_hat + config["epsilon"]
    ), config


def adam_first_moment_only_corrected(w, dw, config=None):
    config = _adam_defaults(config)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    t = config["t"]
    m = b1 * (0 if config["m"] is None else config["m"]) + (1 - b1) * dw
    v = b2 * (0 if config["v"] is None else config["v"]) + (1 - b2) * dw**2
    config.update(m=m, v=v)
    m_hat = m / (1 - b1**t)
    return w - config["learning_rate"] * m_hat / (
        np.sqrt(v) + config["epsilon"]
    ), config


def adam_local_state(w, dw, config=None):
    config = _adam_defaults(config)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    t = config["t"]
    m = (1 - b1) * dw  # m and v start from zero at every call
    v = (1 - b2) * dw**2
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    return w - config["learning_rate"] * m_hat / (
        np.sqrt(v_hat) + config["epsilon"]
    ), config


def adam_default_betas(w, dw, config=None):
    config = _adam_defaults(config)
    b1, b2 = 0.9, 0.999  # config's betas ignored
    config["t"] += 1
    t = config["t"]
    m = b1 * (0 if config["m"] is None else config["m"]) + (1 - b1) * dw
    v = b2 * (0 if config["v"] is None else config["v"]) + (1 - b2) * dw**2
    config.update(m=m, v=v)
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    return w - config["learning_rate"] * m_hat / (
        np.sqrt(v_hat) + config["epsilon"]
    ), config


def adam_grad_not_squared(w, dw, config=None):
    config = _adam_defaults(config)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    t = config["t"]
    m = b1 * (0 if config["m"] is None else config["m"]) + (1 - b1) * dw
    v = b2 * (0 if config["v"] is None else config["v"]) + (1 - b2) * dw
    config.update(m=m, v=v)
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    return w - config["learning_rate"] * m_hat / (
        np.sqrt(v_hat) + config["epsilon"]
    ), config


def adamw_unscaled_decay(w, dw, config=None):
    config = _adam_defaults(config)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    t = config["t"]
    w = w * (1 - config["weight_decay"])  # the learning rate left out
    m = b1 * (0 if config["m"] is None else config["m"]) + (1 - b1) * dw
    v = b2 * (0 if config["v"] is None else config["v"]) + (1 - b2) * dw**2
    config.update(m=m, v=v)
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    return w - config["learning_rate"] * m_hat / (
        np.sqrt(v_hat) + config["epsilon"]
    ), config


def adamw_decay_last(w, dw, config=None):
    config = _adam_defaults(config)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    t = config["t"]
    m = b1 * (0 if config["m"] is None else config["m"]) + (1 - b1) * dw
    v = b2 * (0 if config["v"] is None else config["v"]) + (1 - b2) * dw**2
    config.update(m=m, v=v)
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    return next_w * (1 - config["learning_rate"] * config["weight_decay"]), config


#: (rule, kind, the name the check must give).
SEEDED = (
    (sgd_plus, "sgd", "sgd_ascent"),
    (sgd_lr_cached, "sgd", "sgd_learning_rate_fixed"),
    (sgd_in_place_dw, "sgd", "writes:dw"),
    (momentum_fresh_velocity, "sgd_momentum", "momentum_not_carried"),
    (momentum_old_velocity, "sgd_momentum", "momentum_stale_velocity"),
    (momentum_hardcoded, "sgd_momentum", "momentum_ignores_config"),
    (momentum_mixed, "sgd_momentum", "momentum_alpha_twice"),
    (rmsprop_no_root, "rmsprop", "rmsprop_no_sqrt"),
    (rmsprop_swapped_decay, "rmsprop", "rmsprop_rho_swapped"),
    (rmsprop_without_eps, "rmsprop", "rmsprop_no_eps"),
    (rmsprop_sum_of_squares, "rmsprop", "rmsprop_adagrad"),
    (adam_t_after, "adam", "adam_t_late"),
    (adam_uncorrected, "adam", "adam_no_bias_correction"),
    (adam_corrections_crossed, "adam", "adam_bias_correction_swapped"),
    (adam_eps_under_root, "adam", "adam_eps_inside_root"),
    (adam_first_moment_only_corrected, "adam", "adam_bias_correction_m_only"),
    (adam_local_state, "adam", "adam_moments_not_carried"),
    (adam_default_betas, "adam", "adam_ignores_config"),
    (adam_grad_not_squared, "adam", "adam_v_of_g"),
    (adamw_unscaled_decay, "adam_weight_decay", "weight_decay_not_scaled"),
    (adamw_decay_last, "adam_weight_decay", "weight_decay_after_step"),
)
