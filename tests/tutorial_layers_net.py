"""A learner's backpropagation beyond the sigmoid, in the tutorial's style.

Tanh, ReLU, identity and sigmoid hidden layers, a softmax (or elementwise) output,
the quadratic, cross-entropy and log-likelihood costs, and L2 regularisation
(:math:`\\tfrac{\\lambda}{2} \\sum_l \\lVert W^l \\rVert^2` added to the mean
cost). One example per call, column vectors (``x`` of shape ``(n_0, 1)``, biases
of shape ``(n_l, 1)``), ``(nabla_b, nabla_w)`` returned. ``activations`` takes the
forms :func:`backprop.gradients` takes: one name for every layer, a pair
(hidden, output), or one name per layer. Nothing here uses :mod:`backprop` or
:mod:`spec`: it is code under test, and :mod:`seeded_layer_mistakes` edits single
lines of it to make the known mistakes.

Check it with::

    backprop check tests/tutorial_layers_net.py:gradients --per-example \\
        --layout columns --returns b,w --activations relu,softmax --l2 0.01
"""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


def tanh_prime(z):
    return 1 - np.tanh(z) ** 2


def relu(z):
    return np.maximum(z, 0)


def relu_prime(z):
    return (z > 0).astype(float)


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


def softmax_backward(z, g):
    """The softmax Jacobian diag(a) - a a^T times g."""
    a = softmax(z)
    return a * g - a * np.dot(a.transpose(), g)


# name: (phi, phi'); softmax has a Jacobian instead of phi'
LAYERS = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (np.tanh, tanh_prime),
    "relu": (relu, relu_prime),
    "identity": (lambda z: z, lambda z: np.ones(z.shape)),
    "softmax": (softmax, None),
}


def output_backward(name, z, g):
    """(da/dz)^T g for the output layer."""
    if name == "softmax":
        return softmax_backward(z, g)
    return g * LAYERS[name][1](z)


class QuadraticCost:
    @staticmethod
    def delta(name, z, a, y):
        return output_backward(name, z, a - y)


class CrossEntropyCost:
    @staticmethod
    def delta(name, z, a, y):
        return a - y


class LogLikelihoodCost:
    @staticmethod
    def delta(name, z, a, y):
        return a - y


COSTS = {
    "quadratic": QuadraticCost,
    "cross_entropy": CrossEntropyCost,
    "log_likelihood": LogLikelihoodCost,
}


def layer_names(activations, n_layers):
    if isinstance(activations, str):
        return [activations] * n_layers
    if len(activations) == n_layers:
        return list(activations)
    return [activations[0]] * (n_layers - 1) + [activations[1]]


def gradients(
    weights, biases, x, y, cost="cross_entropy", activations="sigmoid", l2=0.0
):
    """Return ``(nabla_b, nabla_w)``, the gradient of the cost of one example."""
    names = layer_names(activations, len(weights))
    nabla_b = [np.zeros(b.shape) for b in biases]
    nabla_w = [np.zeros(w.shape) for w in weights]
    activation = x
    acts = [x]  # activations, layer by layer
    zs = []  # z vectors, layer by layer
    for b, w, name in zip(biases, weights, names, strict=True):
        z = np.dot(w, activation) + b
        zs.append(z)
        activation = LAYERS[name][0](z)
        acts.append(activation)
    # l = 1 is the last layer, l = 2 the one before, and so on.
    delta = COSTS[cost].delta(names[-1], zs[-1], acts[-1], y)
    for l in range(1, len(weights) + 1):
        if l > 1:
            sp = LAYERS[names[-l]][1](zs[-l])
            delta = np.dot(weights[-l + 1].transpose(), delta) * sp
        nabla_b[-l] = delta
        nabla_w[-l] = np.dot(delta, acts[-l - 1].transpose())
    if l2:
        nabla_w = [nw + l2 * w for nw, w in zip(nabla_w, weights, strict=True)]
    return (nabla_b, nabla_w)
