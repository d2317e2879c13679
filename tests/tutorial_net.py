"""A learner's backpropagation, written the way the tutorial writes it.

One example per call, column vectors (``x`` of shape ``(n_0, 1)``, biases of shape
``(n_l, 1)``), ``(nabla_b, nabla_w)`` returned, and a minibatch function that sums
the per-example gradients and divides by the batch size, as the tutorial's
training loop does. Nothing here uses :mod:`backprop` or :mod:`spec`: it is the
code under test of the conformance battery, and :mod:`seeded_mistakes` edits
single lines of it to make the known mistakes.

Check it with::

    backprop check tests/tutorial_net.py:gradients --per-example --layout columns --returns b,w
"""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


class QuadraticCost:
    @staticmethod
    def delta(z, a, y):
        return (a - y) * sigmoid_prime(z)


class CrossEntropyCost:
    @staticmethod
    def delta(z, a, y):
        return a - y


COSTS = {"quadratic": QuadraticCost, "cross_entropy": CrossEntropyCost}


def gradients(weights, biases, x, y, cost="cross_entropy"):
    """Return ``(nabla_b, nabla_w)``, the gradient of the cost of one example."""
    nabla_b = [np.zeros(b.shape) for b in biases]
    nabla_w = [np.zeros(w.shape) for w in weights]
    activation = x
    activations = [x]  # layer by layer
    zs = []  # z vectors, layer by layer
    for b, w in zip(biases, weights, strict=True):
        z = np.dot(w, activation) + b
        zs.append(z)
        activation = sigmoid(z)
        activations.append(activation)
    # l = 1 is the last layer, l = 2 the one before, and so on.
    delta = COSTS[cost].delta(zs[-1], activations[-1], y)
    for l in range(1, len(weights) + 1):
        if l > 1:
            z = zs[-l]
            sp = sigmoid_prime(z)
            delta = np.dot(weights[-l + 1].transpose(), delta) * sp
        nabla_b[-l] = delta
        nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
    return (nabla_b, nabla_w)


def mini_batch_gradients(weights, biases, x, y, cost="cross_entropy"):
    """The mean of :func:`gradients` over the columns of ``x`` and ``y``."""
    m = x.shape[1]
    nabla_b = [np.zeros(b.shape) for b in biases]
    nabla_w = [np.zeros(w.shape) for w in weights]
    for k in range(m):
        delta_nabla_b, delta_nabla_w = gradients(
            weights, biases, x[:, k : k + 1], y[:, k : k + 1], cost
        )
        nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b, strict=True)]
        nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w, strict=True)]
    return ([nb / m for nb in nabla_b], [nw / m for nw in nabla_w])
