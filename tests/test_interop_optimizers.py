"""Our rules against ``torch.optim`` over 100 steps in float64 (``nox -s interop``).

Both sides start from the same parameters (a weight matrix and a bias, as a tree)
and, at every step, take the gradient of one quadratic-plus-noise cost at their own
parameters, :math:`g_k = H\\theta_k + r_k`, with the learning rate decaying by 0.97
per step (set in the optimizer's ``param_groups`` on PyTorch's side), so that the
state, the decay and the weight decay all enter.
"""

from __future__ import annotations

import numpy as np
import pytest

from backprop import optimizers as opt

pytestmark = pytest.mark.interop

STEPS = 100
#: Ours and PyTorch's order the same float64 operations differently (``lerp`` for
#: the moving average, ``addcdiv`` for the step), a few ulp per step; over 100
#: steps the relative difference stays near 1e-15, three decades under this.
RTOL = 1e-12

# (our rule, our keywords, torch.optim class name, its keywords)
CASES = [
    ("sgd", {}, "SGD", {}),
    ("sgd", {"weight_decay": 0.01}, "SGD", {"weight_decay": 0.01}),
    ("momentum", {"momentum": 0.9}, "SGD", {"momentum": 0.9}),
    ("momentum", {"momentum": 0.9, "weight_decay": 0.01}, "SGD", {"momentum": 0.9, "weight_decay": 0.01}),
    ("nesterov", {"momentum": 0.9}, "SGD", {"momentum": 0.9, "nesterov": True}),
    ("adagrad", {"eps": 1e-10}, "Adagrad", {"eps": 1e-10}),
    ("rmsprop", {"decay_rate": 0.99, "eps": 1e-8}, "RMSprop", {"alpha": 0.99, "eps": 1e-8}),
    ("adam", {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}, "Adam", {"betas": (0.9, 0.999), "eps": 1e-8}),
    ("adam", {"weight_decay": 0.01}, "Adam", {"weight_decay": 0.01}),
    ("adamw", {"weight_decay": 0.01}, "AdamW", {"weight_decay": 0.01}),
]  # fmt: skip


def _ids(case):
    ours, kwargs, _, _ = case
    return ours + ("_wd" if "weight_decay" in kwargs else "")


def max_relative_difference(case, steps=STEPS, seed=0):
    """The largest ``max |ours - torch| / max |torch|`` over the steps."""
    import torch  # nox -s interop installs it

    ours, kwargs, torch_name, torch_kwargs = case
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (3,)]
    start = [rng.standard_normal(s) for s in shapes]
    curvature = [0.5 + rng.random(s) for s in shapes]  # H: diagonal, positive
    noise = [[rng.standard_normal(s) for s in shapes] for _ in range(steps)]
    lr0 = 0.01 if torch_name in ("Adam", "AdamW", "RMSprop") else 0.05

    tensors = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in start]
    optimizer = getattr(torch.optim, torch_name)(tensors, lr=lr0, **torch_kwargs)
    rule = opt.get_optimizer(ours)
    params, state = [p.copy() for p in start], None
    worst = 0.0
    for k in range(steps):
        lr = lr0 * 0.97**k
        grads = [h * p + r for h, p, r in zip(curvature, params, noise[k], strict=True)]
        params, state = rule(params, grads, state, lr=lr, **kwargs)
        for group in optimizer.param_groups:
            group["lr"] = lr
        with torch.no_grad():
            for t, h, r in zip(tensors, curvature, noise[k], strict=True):
                t.grad = torch.tensor(h) * t.detach() + torch.tensor(r)
        optimizer.step()
        theirs = np.concatenate([t.detach().numpy().ravel() for t in tensors])
        mine = np.concatenate([p.ravel() for p in params])
        worst = max(worst, float(np.abs(mine - theirs).max() / np.abs(theirs).max()))
    return worst


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_rule_equals_torch_optim_over_100_steps(case):
    assert max_relative_difference(case) <= RTOL
