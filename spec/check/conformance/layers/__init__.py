"""Learners' layers, ``out, cache = forward(x, …)`` and ``dx, … = backward(dout,
cache)`` with CS231n's names and signatures, checked on cases chosen to reveal the
known mistakes (:func:`check_layer`, a whole ``layers.py`` by
:func:`check_layers_file`).

:mod:`~spec.check.conformance.layers.cases` holds the cases as a table,
:mod:`~spec.check.conformance.layers.derivation` the reference (an independent
float64 derivation of every layer's VJP), :mod:`~spec.check.conformance.layers.mistakes`
the named mistakes (each a one-method override of it),
:mod:`~spec.check.conformance.layers.run` calls the learner's code,
:mod:`~spec.check.conformance.layers.compare` holds it to the reference,
:mod:`~spec.check.conformance.layers.diagnosis` names the mistake,
:mod:`~spec.check.conformance.layers.report` renders the verdict and
:mod:`~spec.check.conformance.layers.files` finds the pairs in a file.
"""

from __future__ import annotations

from spec.check.conformance.layers.files import LayersFileReport, check_layers_file
from spec.check.conformance.layers.report import LayerReport
from spec.check.conformance.layers.run import check_layer, expected_shape

__all__ = [
    "LayerReport",
    "LayersFileReport",
    "check_layer",
    "check_layers_file",
    "expected_shape",
]
