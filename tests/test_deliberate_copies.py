"""The deliberate copies held to each other.

``spec`` must not borrow ``backprop``'s code (the specification would then check
the implementation against itself), so three small things are written twice on
purpose: the resolution of ``activations=`` (:mod:`spec.layers` and
:mod:`backprop.layers`), the NumPy activations of the conformance battery's own
derivation (:mod:`spec.check.conformance.derivation`) and of :mod:`backprop`, and
the parser of layer widths of ``backprop prove`` (:mod:`spec.cli`) and of
``backprop train`` (:mod:`backprop.cli`). These tests keep each pair in step.
"""

from __future__ import annotations

import argparse

import numpy as np
import pytest

import backprop
import backprop.cli
import spec.cli
import spec.layers
from spec.check.conformance import derivation

#: ``activations=`` as users write it, valid and not, for 1 and 3 layers.
ACTIVATION_INPUTS = [
    None,
    "sigmoid",
    "tanh",
    "relu",
    "identity",
    "softmax",
    ("relu", "softmax"),
    ("tanh", "sigmoid"),
    ["relu", "tanh", "softmax"],
    np.array(["relu", "tanh", "softmax"]),
    np.array(["relu", "softmax"]),
    "foo",
    3,
    ("relu",),
    ("softmax", "softmax"),
    ("relu", "tanh", "identity", "sigmoid"),
    "",
    b"relu",
    ("relu", None),
    [],
]


def _outcome(resolve, activations, n_layers):
    """The names resolved, or the exception's type and message."""
    try:
        return tuple(getattr(a, "name", a) for a in resolve(activations, n_layers))
    except (TypeError, ValueError) as exc:
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize("n_layers", [1, 3])
@pytest.mark.parametrize("activations", ACTIVATION_INPUTS, ids=repr)
def test_spec_and_backprop_resolve_activations_alike(activations, n_layers):
    ours = _outcome(backprop.resolve_activations, activations, n_layers)
    theirs = _outcome(spec.layers.resolve_activations, activations, n_layers)
    assert ours == theirs


#: Pre-activations from the far tails to the kink: where the derivatives
#: underflow, where naive forms cancel (|z| ~ 20 for tanh', ~ 37 for sigma'),
#: and 0 itself.
GRID = np.concatenate(
    [
        -np.logspace(-8, np.log10(700.0), 200),
        [0.0],
        np.logspace(-8, np.log10(700.0), 200),
    ]
)

#: Both packages compute each function from an accurate closed form; different
#: but exact rearrangements differ in the last few bits only.
RTOL = 1e-13

ELEMENTWISE = [
    ("sigmoid", backprop.sigmoid, backprop.sigmoid_prime),
    ("tanh", backprop.tanh, backprop.tanh_prime),
    ("relu", backprop.relu, backprop.relu_prime),
    ("identity", backprop.identity, backprop.identity_prime),
]


@pytest.mark.parametrize(("name", "value", "prime"), ELEMENTWISE)
def test_derivation_activations_equal_backprop_on_the_tails(name, value, prime):
    ours = derivation.Derivation()
    np.testing.assert_allclose(ours.value(name, GRID), value(GRID), rtol=RTOL, atol=0)
    np.testing.assert_allclose(ours.prime(name, GRID), prime(GRID), rtol=RTOL, atol=0)


def test_derivation_softmax_equals_backprop_with_huge_logits():
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(size=(4, 5)), 300 * rng.normal(size=(4, 5))])
    g = rng.normal(size=z.shape)
    a = backprop.softmax(z)
    np.testing.assert_allclose(derivation.softmax(z), a, rtol=RTOL, atol=1e-300)
    np.testing.assert_allclose(
        derivation.Derivation().softmax_backward(a, g),
        backprop.softmax_backward(a, g),
        rtol=1e-12,  # a sum of n products: a few ulps of the largest term
        atol=1e-15,
    )


@pytest.mark.parametrize(
    "text", ["2,3,2", "784-200-10", "1,1", "2", "2,0,1", "2,x", "", "2,,3", "-2,3"]
)
def test_spec_and_backprop_parse_layer_widths_alike(text):
    def outcome(parse):
        try:
            return parse(text)
        except argparse.ArgumentTypeError:
            return "refused"

    assert outcome(spec.cli.parse_sizes) == outcome(backprop.cli.parse_sizes)
