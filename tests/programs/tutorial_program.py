"""A learner's whole program in the tutorial's layout: layers, a network, training.

Module functions ``sigmoid``, ``sigmoid_prime`` and ``to_one_hot``; a ``Layer``
holding ``weights`` (size x input_size) and ``biases`` (size,); a ``Network`` built
with ``add_layer``, whose ``backprop(x, y)`` takes one 1-D example and an integer
label one-hot encoded to 10 outputs, and whose ``train_batch`` averages the
per-example gradients of a minibatch before one step. Nothing here uses
:mod:`backprop` or :mod:`spec`: it is code under test, and
``seeded_program_mistakes.py`` edits single lines of it.

Check it with::

    backprop check tests/programs/tutorial_program.py
"""

import numpy as np

N_CLASSES = 10


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def sigmoid_prime(x):
    s = sigmoid(x)
    return s * (1.0 - s)


def to_one_hot(y, k):
    one_hot = np.zeros(k)
    one_hot[y] = 1.0
    return one_hot


class Layer:
    def __init__(self, size, input_size, rng=None):
        rng = np.random.default_rng(rng)
        self.size = size
        self.input_size = input_size
        self.weights = rng.standard_normal((size, input_size))
        self.biases = rng.standard_normal(size)

    def aggregation(self, data):
        return np.dot(self.weights, data) + self.biases

    def activation(self, z):
        return sigmoid(z)

    def activation_prime(self, z):
        return sigmoid_prime(z)

    def forward(self, data):
        return self.activation(self.aggregation(data))

    def update_weights(self, gradient, learning_rate):
        self.weights = self.weights - learning_rate * gradient

    def update_biases(self, gradient, learning_rate):
        self.biases = self.biases - learning_rate * gradient


class Network:
    def __init__(self, input_dim, rng=None):
        self.input_dim = input_dim
        self.layers = []
        self.rng = np.random.default_rng(rng)

    def add_layer(self, size):
        input_size = self.layers[-1].size if self.layers else self.input_dim
        self.layers.append(Layer(size, input_size, self.rng))

    def feedforward(self, x):
        activation = x
        for layer in self.layers:
            activation = layer.forward(activation)
        return activation

    def predict(self, x):
        return np.argmax(self.feedforward(x))

    def evaluate(self, X, Y):
        correct = sum(self.predict(x) == y for x, y in zip(X, Y, strict=True))
        return correct / len(X)

    def train(self, X, Y, steps=30, learning_rate=0.3, batch_size=32):
        n = len(X)
        for _ in range(steps):
            order = self.rng.permutation(n)
            X, Y = X[order], Y[order]
            for start in range(0, n, batch_size):
                X_batch = X[start : start + batch_size]
                Y_batch = Y[start : start + batch_size]
                self.train_batch(X_batch, Y_batch, learning_rate)

    def train_batch(self, X, Y, learning_rate):
        weight_gradients = [np.zeros(layer.weights.shape) for layer in self.layers]
        bias_gradients = [np.zeros(layer.biases.shape) for layer in self.layers]
        for x, y in zip(X, Y, strict=True):
            new_weight_gradients, new_bias_gradients = self.backprop(x, y)
            weight_gradients = [
                wg + nwg
                for wg, nwg in zip(weight_gradients, new_weight_gradients, strict=True)
            ]
            bias_gradients = [
                bg + nbg
                for bg, nbg in zip(bias_gradients, new_bias_gradients, strict=True)
            ]
        step = learning_rate / len(X)  # the mean of the gradients, times the rate
        for layer, weight_gradient, bias_gradient in zip(
            self.layers, weight_gradients, bias_gradients, strict=True
        ):
            layer.update_weights(weight_gradient, step)
            layer.update_biases(bias_gradient, step)

    def backprop(self, x, y):
        aggregations = []
        activation = x
        activations = [activation]
        for layer in self.layers:
            aggregation = layer.aggregation(activation)
            aggregations.append(aggregation)
            activation = layer.activation(aggregation)
            activations.append(activation)
        target = to_one_hot(int(y), N_CLASSES)
        delta = self.get_output_delta(aggregations[-1], activations[-1], target)
        deltas = [delta]
        for l in range(len(self.layers) - 2, -1, -1):
            next_layer = self.layers[l + 1]
            activation_prime = self.layers[l].activation_prime(aggregations[l])
            delta = np.dot(next_layer.weights.T, delta) * activation_prime
            deltas.insert(0, delta)
        weight_gradients = []
        bias_gradients = []
        for l in range(len(self.layers)):
            weight_gradients.append(np.outer(deltas[l], activations[l]))
            bias_gradients.append(deltas[l])
        return weight_gradients, bias_gradients

    def get_output_delta(self, z, a, target):
        return a - target
