r"""The refinements of gradient descent, as pure functions over parameter trees.

A *parameter tree* is an array, or a dict, list or tuple of trees (the weights and
biases of :func:`backprop.init_params` as ``[weights, biases]``, a dict of named
arrays, ...). Every rule has the signature

.. code-block:: python

    new_params, new_state = rule(params, grads, state, lr=..., **hyper)

``grads`` has the structure of ``params``; ``state`` is ``None`` (or ``{}``) at the
first step and the returned ``new_state`` afterwards. Nothing is written in place:
the inputs are left as they came. The arithmetic keeps the parameters' dtype
(float32 stays float32): every hyper-parameter is a Python float.

The conventions follow PyTorch's ``torch.optim`` unless a keyword selects
another; :mod:`spec.optimizers` states each rule symbolically with the other
conventions beside it, and proves how they relate.

=================  ==================================================================
rule               update (:math:`g` the gradient, :math:`\alpha` the learning rate)
=================  ==================================================================
:func:`sgd`        :math:`\theta \leftarrow \theta - \alpha g`
:func:`momentum`   PyTorch :math:`b \leftarrow \mu b + g,\ \theta \leftarrow \theta - \alpha b`;
                   CS231n :math:`v \leftarrow \mu v - \alpha g,\ \theta \leftarrow \theta + v`
:func:`nesterov`   :math:`b \leftarrow \mu b + g,\ \theta \leftarrow \theta - \alpha (g + \mu b)`
:func:`adagrad`    :math:`s \leftarrow s + g^2,\ \theta \leftarrow \theta - \alpha g / (\sqrt{s} + \epsilon)`
:func:`rmsprop`    :math:`s \leftarrow \rho s + (1-\rho) g^2,\ \theta \leftarrow \theta - \alpha g / (\sqrt{s} + \epsilon)`
                   (or :math:`\sqrt{s + \epsilon}`, TensorFlow)
:func:`adam`       :math:`m, v` moving averages of :math:`g, g^2`, bias-corrected
:func:`adamw`      Adam with the weight decay decoupled from the gradient
=================  ==================================================================

Weight decay ``weight_decay`` :math:`= \lambda` is *coupled* in every rule but
:func:`adamw`: :math:`\lambda\theta` is added to the gradient, as the L2 term
``l2=`` of :func:`backprop.gradients` does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = [
    "OPTIMIZERS",
    "adagrad",
    "adam",
    "adamw",
    "get_optimizer",
    "momentum",
    "nesterov",
    "rmsprop",
    "sgd",
    "step_decay",
    "tree_map",
    "zeros_like_tree",
]

#: A parameter tree: an array, or a dict, list or tuple of trees.
Tree = Any
#: What a rule keeps between steps.
State = dict[str, Any]


def tree_map(fn: Callable[..., Any], tree: Tree, *rest: Tree) -> Tree:
    """Apply ``fn`` leaf by leaf to ``tree`` and the trees of the same structure
    in ``rest``; the result has ``tree``'s structure.

    Raises
    ------
    ValueError
        If a tree of ``rest`` differs in structure (keys, lengths) from ``tree``.
    """
    if isinstance(tree, Mapping):
        for other in rest:
            if not isinstance(other, Mapping) or set(other) != set(tree):
                raise ValueError(
                    f"trees differ: a dict with keys {sorted(tree)} against "
                    f"{_describe(other)}"
                )
        return {k: tree_map(fn, tree[k], *(o[k] for o in rest)) for k in tree}
    if isinstance(tree, list | tuple):
        for other in rest:
            if not isinstance(other, list | tuple) or len(other) != len(tree):
                raise ValueError(
                    f"trees differ: a sequence of {len(tree)} against "
                    f"{_describe(other)}"
                )
        out = [tree_map(fn, *items) for items in zip(tree, *rest, strict=True)]
        return out if isinstance(tree, list) else tuple(out)
    return fn(tree, *rest)


def _describe(tree: Tree) -> str:
    if isinstance(tree, Mapping):
        return f"a dict with keys {sorted(tree)}"
    if isinstance(tree, list | tuple):
        return f"a sequence of {len(tree)}"
    return f"a leaf of type {type(tree).__name__}"


def _leaf(p: Any) -> np.ndarray:
    """A leaf as a floating array (a copy is never needed: nothing is written)."""
    a = np.asarray(p)
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"parameters must be floating arrays, got dtype {a.dtype}")
    return a


def zeros_like_tree(tree: Tree) -> Tree:
    """A tree of zeros shaped and typed like ``tree``."""
    return tree_map(lambda p: np.zeros_like(_leaf(p)), tree)


def _hyper(
    name: str, value: Any, *, low: float = 0.0, below: float | None = None
) -> float:
    """A hyper-parameter as a Python float, so that float32 arrays stay float32."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if (
        not math.isfinite(value)
        or value < low
        or (below is not None and value >= below)
    ):
        upper = f" and < {below}" if below is not None else ""
        raise ValueError(f"{name} must be >= {low}{upper}, got {value!r}")
    return value


def _state(state: Mapping[str, Any] | None) -> dict[str, Any]:
    if state is None:
        return {}
    if not isinstance(state, Mapping):
        raise TypeError(
            f"state must be None or the dict a previous step returned, got "
            f"{type(state).__name__}"
        )
    return dict(state)


def _coupled(grads: Tree, params: Tree, weight_decay: float) -> Tree:
    r""":math:`g + \lambda\theta` (the L2 term in the gradient), or ``grads``."""

    def one(g: Any, p: Any) -> np.ndarray:
        g, p = _leaf(g), _leaf(p)
        if g.shape != p.shape:
            raise ValueError(
                f"grads must have the shapes of params, got {g.shape} for a "
                f"parameter of shape {p.shape}"
            )
        return g + weight_decay * p if weight_decay != 0.0 else g

    return tree_map(one, grads, params)


def sgd(
    params: Tree,
    grads: Tree,
    state: Mapping[str, Any] | None = None,
    *,
    lr: float,
    weight_decay: float = 0.0,
) -> tuple[Tree, State]:
    r"""Gradient descent: :math:`\theta \leftarrow \theta - \alpha g`.

    Parameters
    ----------
    params, grads : tree of arrays
        The parameters and the gradient of the cost, of one structure and shapes.
    state : dict or None
        Unused (SGD keeps none); accepted so that every rule is called alike.
    lr : float
        :math:`\alpha > 0`.
    weight_decay : float
        :math:`\lambda \ge 0`, added to the gradient as :math:`\lambda \theta`.

    Returns
    -------
    new_params : tree of arrays
    new_state : dict
        Empty.
    """
    lr = _hyper("lr", lr)
    g = _coupled(grads, params, _hyper("weight_decay", weight_decay))
    return tree_map(lambda p, gi: _leaf(p) - lr * gi, params, g), _state(state)


def momentum(
    params: Tree,
    grads: Tree,
    state: Mapping[str, Any] | None = None,
    *,
    lr: float,
    momentum: float = 0.9,
    convention: str = "pytorch",
    dampening: float = 0.0,
    weight_decay: float = 0.0,
) -> tuple[Tree, State]:
    r"""Gradient descent with momentum, in either convention.

    ``"pytorch"``: :math:`b \leftarrow \mu b + (1 - d) g`, :math:`\theta \leftarrow
    \theta - \alpha b` (PyTorch's first step sets :math:`b = g`, which is the
    same from :math:`b = 0` when :math:`d = 0`).

    ``"cs231n"``: :math:`v \leftarrow \mu v - \alpha g`, :math:`\theta \leftarrow
    \theta + v`.

    The two are equal while :math:`\alpha` is constant, with :math:`v = -\alpha b`
    (:func:`spec.optimizers.prove_momentum_conventions_equal`); once the learning
    rate changes between steps they differ.

    Parameters
    ----------
    params, grads : tree of arrays
    state : dict or None
        ``{"velocity": tree}`` from the previous step, or ``None`` at the first.
    lr : float
    momentum : float
        :math:`\mu \in [0, 1)`.
    convention : {"pytorch", "cs231n"}
    dampening : float
        :math:`d \in [0, 1)`, PyTorch convention only; :math:`d = \mu` is the moving
        average :math:`b \leftarrow \mu b + (1 - \mu) g` (deeplearning.ai's),
        from :math:`b = 0`. PyTorch's ``SGD`` sets :math:`b = g` at its first step
        whatever :math:`d`, so with :math:`d \ne 0` its first step is larger.
    weight_decay : float
        Coupled: :math:`g + \lambda\theta`.

    Returns
    -------
    new_params : tree of arrays
    new_state : dict
        ``{"velocity": tree}`` (:math:`b` or :math:`v`, by the convention).
    """
    lr = _hyper("lr", lr)
    mu = _hyper("momentum", momentum, below=1.0)
    d = _hyper("dampening", dampening, below=1.0)
    if convention not in ("pytorch", "cs231n"):
        raise ValueError(
            f"convention must be 'pytorch' or 'cs231n', got {convention!r}"
        )
    if convention == "cs231n" and d != 0.0:
        raise ValueError(f"dampening is PyTorch's; with 'cs231n' it must be 0, got {d}")
    g = _coupled(grads, params, _hyper("weight_decay", weight_decay))
    new = _state(state)
    velocity = new.get("velocity")
    if velocity is None:
        velocity = zeros_like_tree(params)
    if convention == "pytorch":
        b = tree_map(lambda bi, gi: mu * bi + (1.0 - d) * gi, velocity, g)
        new["velocity"] = b
        return tree_map(lambda p, bi: _leaf(p) - lr * bi, params, b), new
    v = tree_map(lambda vi, gi: mu * vi - lr * gi, velocity, g)
    new["velocity"] = v
    return tree_map(lambda p, vi: _leaf(p) + vi, params, v), new


def nesterov(
    params: Tree,
    grads: Tree,
    state: Mapping[str, Any] | None = None,
    *,
    lr: float,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
) -> tuple[Tree, State]:
    r"""Nesterov's momentum in PyTorch's form: :math:`b \leftarrow \mu b + g`,
    :math:`\theta \leftarrow \theta - \alpha (g + \mu b)`.

    The gradient is taken at the parameters, and the step looks ahead along the
    new velocity (Sutskever et al., 2013, rewritten in the current parameters).

    Returns
    -------
    new_params : tree of arrays
    new_state : dict
        ``{"velocity": tree}``.
    """
    lr = _hyper("lr", lr)
    mu = _hyper("momentum", momentum, below=1.0)
    g = _coupled(grads, params, _hyper("weight_decay", weight_decay))
    new = _state(state)
    velocity = new.get("velocity")
    if velocity is None:
        velocity = zeros_like_tree(params)
    b = tree_map(lambda bi, gi: mu * bi + gi, velocity, g)
    new["velocity"] = b
    return tree_map(lambda p, gi, bi: _leaf(p) - lr * (gi + mu * bi), params, g, b), new


def adagrad(
    params: Tree,
    grads: Tree,
    state: Mapping[str, Any] | None = None,
    *,
    lr: float,
    eps: float = 1e-10,
    weight_decay: float = 0.0,
) -> tuple[Tree, State]:
    r"""Adagrad: :math:`s \leftarrow s + g^2`, :math:`\theta \leftarrow \theta -
    \alpha g / (\sqrt{s} + \epsilon)` (PyTorch's default :math:`\epsilon = 10^{-10}`).

    Returns
    -------
    new_params : tree of arrays
    new_state : dict
        ``{"sum": tree}``.
    """
    lr = _hyper("lr", lr)
    eps = _hyper("eps", eps)
    g = _coupled(grads, params, _hyper("weight_decay", weight_decay))
    new = _state(state)
    total = new.get("sum")
    if total is None:
        total = zeros_like_tree(params)
    s = tree_map(lambda si, gi: si + gi * gi, total, g)
    new["sum"] = s
    step = tree_map(
        lambda p, gi, si: _leaf(p) - lr * gi / (np.sqrt(si) + eps), params, g, s
    )
    return step, new


def rmsprop(
    params: Tree,
    grads: Tree,
    state: Mapping[str, Any] | None = None,
    *,
    lr: float,
    decay_rate: float = 0.99,
    eps: float = 1e-8,
    eps_placement: str = "outside",
    weight_decay: float = 0.0,
) -> tuple[Tree, State]:
    r"""RMSProp: :math:`s \leftarrow \rho s + (1 - \rho) g^2`, then

    ``"outside"`` (PyTorch, CS231n): :math:`\theta \leftarrow \theta - \alpha g /
    (\sqrt{s} + \epsilon)`; ``"inside"`` (TensorFlow): :math:`\theta \leftarrow
    \theta - \alpha g / \sqrt{s + \epsilon}`.

    Parameters
    ----------
    decay_rate : float
        :math:`\rho \in [0, 1)` (PyTorch's ``alpha``, CS231n's ``decay_rate``).
    eps_placement : {"outside", "inside"}
        Where :math:`\epsilon` is added: to the root or under it.

    Returns
    -------
    new_params : tree of arrays
    new_state : dict
        ``{"cache": tree}``.
    """
    lr = _hyper("lr", lr)
    rho = _hyper("decay_rate", decay_rate, below=1.0)
    eps = _hyper("eps", eps)
    if eps_placement not in ("outside", "inside"):
        raise ValueError(
            f"eps_placement must be 'outside' or 'inside', got {eps_placement!r}"
        )
    g = _coupled(grads, params, _hyper("weight_decay", weight_decay))
    new = _state(state)
    cache = new.get("cache")
    if cache is None:
        cache = zeros_like_tree(params)
    s = tree_map(lambda si, gi: rho * si + (1.0 - rho) * (gi * gi), cache, g)
    new["cache"] = s
    if eps_placement == "outside":
        root: Callable[[Any], Any] = lambda si: np.sqrt(si) + eps  # noqa: E731
    else:
        root = lambda si: np.sqrt(si + eps)  # noqa: E731
    return tree_map(lambda p, gi, si: _leaf(p) - lr * gi / root(si), params, g, s), new


def _adam_moments(
    g: Tree, new: dict[str, Any], params: Tree, beta1: float, beta2: float
) -> tuple[Tree, Tree, int]:
    """Advance ``t``, :math:`m` and :math:`v` (stored in ``new``)."""
    t = int(new.get("t", 0)) + 1
    m = new.get("m")
    v = new.get("v")
    if m is None:
        m = zeros_like_tree(params)
    if v is None:
        v = zeros_like_tree(params)
    m = tree_map(lambda mi, gi: beta1 * mi + (1.0 - beta1) * gi, m, g)
    v = tree_map(lambda vi, gi: beta2 * vi + (1.0 - beta2) * (gi * gi), v, g)
    new.update(m=m, v=v, t=t)
    return m, v, t


def adam(
    params: Tree,
    grads: Tree,
    state: Mapping[str, Any] | None = None,
    *,
    lr: float,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    form: str = "paper",
    weight_decay: float = 0.0,
) -> tuple[Tree, State]:
    r"""Adam (Kingma and Ba, 2015), in the paper's form or TensorFlow's.

    :math:`t \leftarrow t + 1`, :math:`m \leftarrow \beta_1 m + (1 - \beta_1) g`,
    :math:`v \leftarrow \beta_2 v + (1 - \beta_2) g^2`, then

    ``"paper"`` (Algorithm 1, PyTorch, CS231n): :math:`\hat m = m / (1 -
    \beta_1^t)`, :math:`\hat v = v / (1 - \beta_2^t)`, :math:`\theta \leftarrow
    \theta - \alpha \hat m / (\sqrt{\hat v} + \epsilon)`;

    ``"tensorflow"`` (``ApplyAdam``): :math:`\alpha_t = \alpha \sqrt{1 -
    \beta_2^t} / (1 - \beta_1^t)`, :math:`\theta \leftarrow \theta - \alpha_t m /
    (\sqrt{v} + \hat\epsilon)`. The two are equal when :math:`\epsilon = 0`
    (:func:`spec.optimizers.prove_adam_forms`).

    Parameters
    ----------
    beta1, beta2 : float
        In :math:`[0, 1)`.
    form : {"paper", "tensorflow"}
    weight_decay : float
        Coupled (:math:`g + \lambda\theta`); see :func:`adamw` for decoupled.

    Returns
    -------
    new_params : tree of arrays
    new_state : dict
        ``{"m": tree, "v": tree, "t": int}``.
    """
    lr = _hyper("lr", lr)
    beta1 = _hyper("beta1", beta1, below=1.0)
    beta2 = _hyper("beta2", beta2, below=1.0)
    eps = _hyper("eps", eps)
    if form not in ("paper", "tensorflow"):
        raise ValueError(f"form must be 'paper' or 'tensorflow', got {form!r}")
    g = _coupled(grads, params, _hyper("weight_decay", weight_decay))
    new = _state(state)
    m, v, t = _adam_moments(g, new, params, beta1, beta2)
    return _adam_step(params, m, v, t, lr, beta1, beta2, eps, form), new


def _adam_step(
    params: Tree,
    m: Tree,
    v: Tree,
    t: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    form: str,
) -> Tree:
    c1 = 1.0 - beta1**t
    c2 = 1.0 - beta2**t
    if form == "paper":
        return tree_map(
            lambda p, mi, vi: _leaf(p) - lr * (mi / c1) / (np.sqrt(vi / c2) + eps),
            params,
            m,
            v,
        )
    lr_t = lr * math.sqrt(c2) / c1
    return tree_map(
        lambda p, mi, vi: _leaf(p) - lr_t * mi / (np.sqrt(vi) + eps), params, m, v
    )


def adamw(
    params: Tree,
    grads: Tree,
    state: Mapping[str, Any] | None = None,
    *,
    lr: float,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.01,
) -> tuple[Tree, State]:
    r"""AdamW (Loshchilov and Hutter, 2019): the decay *decoupled* from the moments.

    :math:`\theta \leftarrow (1 - \alpha\lambda)\, \theta`, then the step of
    :func:`adam` (paper form) with the gradient :math:`g` alone, so that
    :math:`\lambda\theta` never enters :math:`m` or :math:`v` (as in PyTorch's
    ``AdamW``, where the decay is scaled by the learning rate).

    Returns
    -------
    new_params : tree of arrays
    new_state : dict
        ``{"m": tree, "v": tree, "t": int}``.
    """
    lr = _hyper("lr", lr)
    beta1 = _hyper("beta1", beta1, below=1.0)
    beta2 = _hyper("beta2", beta2, below=1.0)
    eps = _hyper("eps", eps)
    lam = _hyper("weight_decay", weight_decay)
    g = _coupled(grads, params, 0.0)
    new = _state(state)
    m, v, t = _adam_moments(g, new, params, beta1, beta2)
    decayed = tree_map(lambda p: _leaf(p) * (1.0 - lr * lam), params)
    return _adam_step(decayed, m, v, t, lr, beta1, beta2, eps, "paper"), new


def step_decay(lr: float, epoch: int, *, factor: float = 0.5, every: int = 10) -> float:
    r"""Step learning-rate decay: :math:`\alpha_e = \alpha_0\, \gamma^{\lfloor e / k
    \rfloor}` for epoch :math:`e \ge 0` (PyTorch's ``StepLR``).

    Parameters
    ----------
    lr : float
        :math:`\alpha_0 > 0`.
    epoch : int
        :math:`e \ge 0`, counted from 0.
    factor : float
        :math:`\gamma \in (0, 1]`.
    every : int
        :math:`k \ge 1` epochs between decays.
    """
    lr = _hyper("lr", lr)
    factor = _hyper("factor", factor)
    if not 0.0 < factor <= 1.0:
        raise ValueError(f"factor must be in (0, 1], got {factor!r}")
    checked: tuple[tuple[str, Any, int], ...] = (
        ("epoch", epoch, 0),
        ("every", every, 1),
    )
    for name, value, low in checked:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | np.integer)
            or value < low
        ):
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return lr * factor ** (int(epoch) // int(every))


#: The rules by name (``backprop train --optimizer NAME``).
OPTIMIZERS: dict[str, Callable[..., tuple[Tree, State]]] = {
    "sgd": sgd,
    "momentum": momentum,
    "nesterov": nesterov,
    "adagrad": adagrad,
    "rmsprop": rmsprop,
    "adam": adam,
    "adamw": adamw,
}


def get_optimizer(name: str) -> Callable[..., tuple[Tree, State]]:
    """The rule called ``name`` (a key of :data:`OPTIMIZERS`)."""
    try:
        return OPTIMIZERS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"optimizer must be one of {sorted(OPTIMIZERS)}, got {name!r}"
        ) from None
