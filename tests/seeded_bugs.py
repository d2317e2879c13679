"""A catalogue of realistic backpropagation bugs, to prove the gradient checks find them.

Each :class:`SeededBug` replaces one function of :mod:`backprop` with a wrong
variant, by patching the name where it is looked up (``backprop.core`` imports
``bp2``, ``bp3``, ``bp4``, ``backward`` and ``weight_decay`` by name,
``backprop.costs`` imports ``bp1``, ``backprop.training`` imports ``backward`` and
``add_l2``; an activation's derivative is a method of its class in
:mod:`backprop.layers`). The real source is never edited: ``bug.apply(monkeypatch)`` patches
for one test, ``with bug.applied():`` anywhere else. The wrong variants accept
(and ignore) the optional buffers the real functions take (``out=``).

``kind`` says which check must catch the bug:

- ``"gradient"``: the gradient differs from the derivative of the cost
  (:func:`spec.check_network`, per entry and fast);
- ``"update"``: the gradient is right but the SGD step is not
  :math:`-\\alpha\\nabla C` (:func:`spec.check_descent`; no gradient check can);
- ``"epoch"``: the steps are right but an epoch does not use every example once
  (:func:`spec.check_sgd_epoch`);
- ``"oracle"``: cost and gradient are wrong *consistently*, so the gradient is the
  true derivative of the wrong cost; only the independent oracle
  (``spec.check_network(..., method="oracle")``) sees it.

``sizes`` and ``m`` are a network and batch size on which the bug runs without
raising: several bugs only run on square layers (and raise a shape error on
others), and a sum-for-mean bug hides at m = 1.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import backprop
import backprop.core
import backprop.costs
import backprop.equations
import backprop.layers
import backprop.network
import backprop.training
from backprop.activations import sigmoid, sigmoid_prime, softmax_backward
from backprop.layers import get_activation

Patch = tuple[Any, str, Any]


@dataclasses.dataclass(frozen=True)
class SeededBug:
    """One wrong variant of backprop and where it must be caught."""

    name: str
    description: str
    patches: tuple[Patch, ...]
    kind: str = "gradient"
    costs: tuple[str, ...] = ("quadratic", "cross_entropy")
    sizes: tuple[int, ...] = (3, 4, 2, 3)
    m: int = 3
    #: Regex the first named entry must match (the layer the bug is in).
    blames: str = r"^[Wb]\^\d"
    #: Runs on any shape (so also on the 784-200-10 network).
    any_shape: bool = True
    #: The network's activations (``activations=`` of backprop.gradients).
    activations: Any = None
    #: The network's L2 strength.
    l2: float = 0.0

    @property
    def analytic(self) -> bool:
        """Whether the complex step applies (no ReLU in the network)."""
        layers = backprop.resolve_activations(self.activations, len(self.sizes) - 1)
        return all(layer.analytic for layer in layers)

    def apply(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Install the bug for the duration of one test."""
        for target, attr, value in self.patches:
            monkeypatch.setattr(target, attr, value)

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        """Install the bug inside a ``with`` block (outside pytest)."""
        saved = [
            (target, attr, getattr(target, attr)) for target, attr, _ in self.patches
        ]
        try:
            for target, attr, value in self.patches:
                setattr(target, attr, value)
            yield
        finally:
            for target, attr, value in reversed(saved):
                setattr(target, attr, value)


def _everywhere(name: str, value: Callable[..., Any]) -> tuple[Patch, ...]:
    """Patch an equation in its module and wherever it was imported by name."""
    modules = {
        "bp1": (backprop.equations, backprop.costs),
        "bp2": (backprop.equations, backprop.core),
        "bp3": (backprop.equations, backprop.core),
        "bp4": (backprop.equations, backprop.core),
        "backward": (backprop.core, backprop.training),
        "add_l2": (backprop.core, backprop.training),
        "weight_decay": (backprop.equations, backprop.core),
    }[name]
    return tuple((module, name, value) for module in modules)


# -- wrong equations -------------------------------------------------------------


def _bp1_no_sigma_prime(nabla_a, z, activation="sigmoid", a=None):
    return nabla_a


def _bp1_sigma_prime_of_a(nabla_a, z, activation="sigmoid", a=None):
    return nabla_a * sigmoid_prime(sigmoid(z))


def _quadratic_delta_shortcut(self, z, a, y, output=None):
    return a - y


def _cross_entropy_delta_stray_sigma_prime(self, z, a, y, output=None):
    return (a - y) * sigmoid_prime(z)


def _cross_entropy_delta_sign(self, z, a, y, output=None):
    return y - a


def _log_likelihood_delta_stray_jacobian(self, z, a, y, output=None):
    # The shortcut a − y is already δ^L; applying the softmax Jacobian again is
    # the softmax analogue of the stray σ' above.
    return softmax_backward(a, a - y)


def _bp2_no_transpose(w_next, delta_next, z, activation="sigmoid"):
    return (delta_next @ w_next.T) * sigmoid_prime(z)


def _bp2_no_sigma_prime(w_next, delta_next, z, activation="sigmoid"):
    return delta_next @ w_next


def _bp2_prime_of_a(w_next, delta_next, z, activation="sigmoid"):
    # φ'(a) instead of φ'(z): wrong for the sigmoid and tanh, harmless for ReLU.
    phi = get_activation(activation)
    return (delta_next @ w_next) * phi.prime(phi.value(z))


def _sigmoid_prime_forgets_sigma(self, z):
    # σ'(z) written as a(1 − a) but fed z instead of a = σ(z).
    return z * (1 - z)


def _tanh_prime_without_square(self, z):
    # tanh' written as 1 − tanh instead of 1 − tanh².
    return 1 - np.tanh(z)


def _softmax_jacobian_diagonal_only(self, z, grad, a=None):
    # (diag(a) − a aᵀ) g without its − a aᵀ g: only the diagonal of the Jacobian.
    return backprop.softmax(z) * grad


def _add_l2_to_biases_too(grad_w, grad_b, weights, biases, l2):
    for g, p in zip([*grad_w, *grad_b], [*weights, *biases], strict=True):
        g += l2 * p


def _weight_decay_without_lambda(w, l2):
    return w


def _bp3_sum(delta):
    return delta.sum(axis=0)


def _bp3_wrong_axis(delta):
    return delta.mean(axis=1)


def _bp3_not_reduced(delta):
    return delta


def _bp3_first_example(delta):
    return delta[0]


def _bp4_sum(delta, a_prev, out=None):
    return delta.T @ a_prev


def _bp4_divides_by_width(delta, a_prev, out=None):
    return (delta.T @ a_prev) / delta.shape[1]


def _bp4_transposed(delta, a_prev, out=None):
    return (a_prev.T @ delta) / delta.shape[0]


def _backward(variant: str) -> Callable[..., Any]:
    """A backward pass with one wrong line, calling the (real) equations."""

    def backward(weights, zs, activations, y, cost, out=None, layers=None):
        n_layers = len(weights)
        layers = layers or ["sigmoid"] * n_layers
        grad_w = [np.zeros_like(w) for w in weights]
        grad_b = [np.zeros(w.shape[0], dtype=w.dtype) for w in weights]
        delta = cost.delta(zs[-1], activations[-1], y, get_activation(layers[-1]))
        stop = 0 if variant == "stops_early" else -1
        for l in range(n_layers - 1, stop, -1):
            if l < n_layers - 1:
                w_next = (
                    weights[l] if variant == "weight_off_by_one" else weights[l + 1]
                )
                delta = backprop.core.bp2(w_next, delta, zs[l], layers[l])
            a_prev = activations[l + 1] if variant == "a_l" else activations[l]
            grad_b[l] = backprop.core.bp3(delta)
            grad_w[l] = backprop.core.bp4(delta, a_prev)
        return grad_w, grad_b

    return backward


def _quadratic_value_no_half(self, z, a, y, output=None):
    d = a - y
    return (d * d).sum(axis=1).mean()


def _quadratic_delta_doubled(self, z, a, y, output=None):
    return 2 * (a - y) * sigmoid_prime(z)


def _value_sum_not_mean(self, z, a, y):
    d = a - y
    return (d * d).sum() / 2


# -- wrong updates and epochs ----------------------------------------------------


def _update_wrong_sign(params, grads, lr):
    for p, g in zip(params, grads, strict=True):
        p += lr * g


def _sgd_step_skips_biases(
    weights, biases, x, y, lr, cost, grad_w_buffers=None, layers=None, l2=0.0
):
    zs, activations = backprop.core.forward(weights, biases, x, layers)
    grad_w, _ = backprop.core.backward(weights, zs, activations, y, cost, layers=layers)
    backprop.training.update(weights, grad_w, lr)


def _epochs_variant(variant: str) -> Callable[..., Any]:
    """The epoch loop of :func:`backprop.sgd` with one wrong line.

    Replaces ``backprop.training._epochs``, so the real validation still runs first.
    """

    def epochs_loop(
        ws,
        bs,
        x,
        y,
        epochs,
        batch_size,
        lr,
        cost_fn,
        gen,
        callback,
        progress,
        layers=None,
        l2=0.0,
    ):
        ws, bs = [w.copy() for w in ws], [b.copy() for b in bs]
        n = x.shape[0]
        # Bug: a last, partial batch is dropped.
        stop = n - batch_size + 1 if variant == "drops_last" else n
        history = []
        for epoch in range(1, epochs + 1):
            t0 = time.perf_counter()
            if variant == "with_replacement":
                order = gen.integers(0, n, n)  # Bug: sampled with replacement.
            else:
                order = gen.permutation(n)
            extra = 1 if variant == "overlapping" else 0  # Bug: off-by-one slice.
            for start in range(0, stop, batch_size):
                batch = order[start : start + batch_size + extra]
                backprop.training.sgd_step(
                    ws, bs, x[batch], y[batch], lr, cost_fn, None, layers, l2
                )
            history.append({"epoch": epoch, "seconds": time.perf_counter() - t0})
            if callback is not None and callback(epoch, ws, bs):
                break
        return ws, bs, history

    return epochs_loop


SQUARE = (2, 3, 3, 3)  # hidden and output widths equal: transposes and shifts run

BUGS: tuple[SeededBug, ...] = (
    SeededBug(
        "bp1_missing_sigma_prime",
        "BP1 without σ'(z^L): δ^L = ∇_a C",
        _everywhere("bp1", _bp1_no_sigma_prime),
        costs=("quadratic",),
    ),
    SeededBug(
        "bp1_sigma_prime_of_a",
        "BP1 with σ' evaluated at a^L instead of z^L",
        _everywhere("bp1", _bp1_sigma_prime_of_a),
        costs=("quadratic",),
    ),
    SeededBug(
        "quadratic_delta_missing_sigma_prime",
        "quadratic cost given the cross-entropy shortcut δ^L = a^L − t",
        ((backprop.costs.QuadraticCost, "delta", _quadratic_delta_shortcut),),
        costs=("quadratic",),
    ),
    SeededBug(
        "cross_entropy_delta_stray_sigma_prime",
        "cross-entropy δ^L = (a^L − t) ⊙ σ'(z^L), a σ' that cancels in the proof",
        (
            (
                backprop.costs.CrossEntropyCost,
                "delta",
                _cross_entropy_delta_stray_sigma_prime,
            ),
        ),
        costs=("cross_entropy",),
    ),
    SeededBug(
        "cross_entropy_delta_sign",
        "cross-entropy δ^L = t − a^L (sign flipped)",
        ((backprop.costs.CrossEntropyCost, "delta", _cross_entropy_delta_sign),),
        costs=("cross_entropy",),
    ),
    SeededBug(
        "bp2_no_transpose",
        "BP2 with W^{l+1} where (W^{l+1})ᵀ belongs (runs only on square layers)",
        _everywhere("bp2", _bp2_no_transpose),
        sizes=SQUARE,
        blames=r"^[Wb]\^[12]\[",
        any_shape=False,
    ),
    SeededBug(
        "bp2_missing_sigma_prime",
        "BP2 without ⊙ σ'(z^l)",
        _everywhere("bp2", _bp2_no_sigma_prime),
        blames=r"^[Wb]\^[12]\[",
    ),
    SeededBug(
        "bp2_sigma_prime_of_a",
        "BP2 with σ' evaluated at a^l instead of z^l",
        _everywhere("bp2", _bp2_prime_of_a),
        blames=r"^[Wb]\^[12]\[",
    ),
    SeededBug(
        "sigmoid_prime_of_z_not_a",
        "σ'(z) computed as z(1 − z), the a(1 − a) formula fed z",
        ((backprop.layers.Sigmoid, "prime", _sigmoid_prime_forgets_sigma),),
    ),
    # -- activations other than the sigmoid, the softmax output, L2 ---------------
    SeededBug(
        "tanh_prime_without_square",
        "tanh'(z) as 1 − tanh(z) instead of 1 − tanh²(z)",
        ((backprop.layers.Tanh, "prime", _tanh_prime_without_square),),
        costs=("quadratic",),
        activations="tanh",
    ),
    SeededBug(
        "bp2_tanh_prime_of_a",
        "BP2 with tanh' evaluated at a^l instead of z^l",
        _everywhere("bp2", _bp2_prime_of_a),
        costs=("quadratic", "log_likelihood"),
        activations=("tanh", "softmax"),
        blames=r"^[Wb]\^[12]\[",
    ),
    SeededBug(
        "softmax_jacobian_without_aat",
        "softmax Jacobian applied as diag(a), without its − a aᵀ",
        ((backprop.layers.Softmax, "backward", _softmax_jacobian_diagonal_only),),
        costs=("quadratic",),
        activations=("tanh", "softmax"),
    ),
    SeededBug(
        "log_likelihood_delta_stray_jacobian",
        "log-likelihood δ^L = (diag(a) − a aᵀ)(a − y): the shortcut, then the "
        "Jacobian again",
        (
            (
                backprop.costs.LogLikelihoodCost,
                "delta",
                _log_likelihood_delta_stray_jacobian,
            ),
        ),
        costs=("log_likelihood",),
        activations=("relu", "softmax"),
    ),
    SeededBug(
        "l2_decays_biases",
        "L2 adds λ b^l to the bias gradients, though the cost decays only weights",
        _everywhere("add_l2", _add_l2_to_biases_too),
        costs=("quadratic", "log_likelihood"),
        activations=("relu", "softmax"),
        l2=0.3,
        blames=r"^b\^",
    ),
    SeededBug(
        "l2_without_lambda",
        "L2 adds W^l to the weight gradients instead of λ W^l",
        _everywhere("weight_decay", _weight_decay_without_lambda),
        costs=("quadratic", "cross_entropy"),
        activations=("tanh", "sigmoid"),
        l2=0.3,
        blames=r"^W\^",
    ),
    SeededBug(
        "bp3_sum_not_mean",
        "BP3 sums the batch instead of averaging it (hides at m = 1)",
        _everywhere("bp3", _bp3_sum),
        blames=r"^b\^",
    ),
    SeededBug(
        "bp3_mean_over_wrong_axis",
        "BP3 averages over neurons instead of examples (runs when m = n_l)",
        _everywhere("bp3", _bp3_wrong_axis),
        sizes=(2, 3, 3),
        m=3,
        blames=r"^b\^",
        any_shape=False,
    ),
    SeededBug(
        "bp3_not_reduced",
        "BP3 returns δ^l for every example, not reduced over the batch",
        _everywhere("bp3", _bp3_not_reduced),
        blames=r"^b\^",
        any_shape=False,  # caught as a shape error on every network
    ),
    SeededBug(
        "bp3_first_example_only",
        "BP3 takes the first example's δ^l instead of the batch mean",
        _everywhere("bp3", _bp3_first_example),
        blames=r"^b\^",
    ),
    SeededBug(
        "bp4_sum_not_mean",
        "BP4 sums the batch instead of averaging it (hides at m = 1)",
        _everywhere("bp4", _bp4_sum),
        blames=r"^W\^",
    ),
    SeededBug(
        "bp4_divides_by_width",
        "BP4 divides by n_l (the wrong axis) instead of m",
        _everywhere("bp4", _bp4_divides_by_width),
        blames=r"^W\^",
    ),
    SeededBug(
        "bp4_transposed",
        "BP4 as a^{l-1}ᵀ δ^l, the transpose misplaced (runs only on square layers)",
        _everywhere("bp4", _bp4_transposed),
        sizes=(3, 3, 3),
        blames=r"^W\^",
        any_shape=False,
    ),
    SeededBug(
        "bp4_uses_a_l",
        "BP4 with a^l instead of a^{l-1} (runs only on equal widths)",
        _everywhere("backward", _backward("a_l")),
        sizes=(3, 3, 3, 3),
        blames=r"^W\^",
        any_shape=False,
    ),
    SeededBug(
        "backward_weight_off_by_one",
        "BP2 with W^l instead of W^{l+1}: off by one layer (runs on equal widths)",
        _everywhere("backward", _backward("weight_off_by_one")),
        sizes=(3, 3, 3, 3),
        blames=r"^[Wb]\^[12]\[",
        any_shape=False,
    ),
    SeededBug(
        "backward_loop_stops_early",
        "the backward loop stops before layer 1, leaving its gradient zero",
        _everywhere("backward", _backward("stops_early")),
        blames=r"^[Wb]\^1\[",
    ),
    SeededBug(
        "quadratic_value_missing_half",
        "quadratic cost value ‖a − t‖² without the ½ its δ^L assumes",
        ((backprop.costs.QuadraticCost, "value", _quadratic_value_no_half),),
        costs=("quadratic",),
    ),
    SeededBug(
        "cost_value_sum_not_mean",
        "batch cost summed instead of averaged (hides at m = 1)",
        ((backprop.costs.QuadraticCost, "value", _value_sum_not_mean),),
        costs=("quadratic",),
    ),
    SeededBug(
        "quadratic_cost_without_half_consistently",
        "quadratic cost ‖a − t‖² without ½, and δ^L = 2(a − t) ⊙ σ' to match",
        (
            (backprop.costs.QuadraticCost, "value", _quadratic_value_no_half),
            (backprop.costs.QuadraticCost, "delta", _quadratic_delta_doubled),
        ),
        kind="oracle",
        costs=("quadratic",),
    ),
    SeededBug(
        "update_wrong_sign",
        "the update adds the gradient: w ← w + α ∂C/∂w",
        ((backprop.training, "update", _update_wrong_sign),),
        kind="update",
    ),
    SeededBug(
        "sgd_step_skips_biases",
        "the SGD step updates the weights but not the biases",
        ((backprop.training, "sgd_step", _sgd_step_skips_biases),),
        kind="update",
    ),
    SeededBug(
        "sgd_drops_last_batch",
        "the last, partial minibatch of an epoch is dropped",
        ((backprop.training, "_epochs", _epochs_variant("drops_last")),),
        kind="epoch",
    ),
    SeededBug(
        "sgd_overlapping_batches",
        "batches sliced [start : start + size + 1]: boundary examples used twice",
        ((backprop.training, "_epochs", _epochs_variant("overlapping")),),
        kind="epoch",
    ),
    SeededBug(
        "sgd_samples_with_replacement",
        "each epoch draws examples with replacement: some twice, some never",
        ((backprop.training, "_epochs", _epochs_variant("with_replacement")),),
        kind="epoch",
    ),
)

BY_NAME = {bug.name: bug for bug in BUGS}


def bugs(kind: str) -> list[Any]:
    """The bugs of one kind, as pytest params with readable ids."""
    return [pytest.param(b, id=b.name) for b in BUGS if b.kind == kind]
