"""Learners' recurrent layers (CS231n's ``rnn_step_forward`` … ``lstm_backward``,
word embeddings, temporal affine and the temporal softmax loss) checked on cases
(:mod:`~spec.check.conformance.recurrent.cases`) against an independent derivation
of backpropagation through time
(:mod:`~spec.check.conformance.recurrent.derivation`), a failing one named by the
catalogue of :mod:`~spec.check.conformance.recurrent.mistakes`:
:func:`check_recurrent_layer` and, for a whole ``rnn_layers.py``,
:func:`check_recurrent_module` (:mod:`~spec.check.conformance.recurrent.run`).
"""

from __future__ import annotations

from spec.check.conformance.recurrent.mistakes import RECURRENT_MISTAKES
from spec.check.conformance.recurrent.run import (
    RecurrentFileReport,
    RecurrentLayerReport,
    check_recurrent_file,
    check_recurrent_layer,
    check_recurrent_module,
)

__all__ = [
    "RECURRENT_MISTAKES",
    "RecurrentFileReport",
    "RecurrentLayerReport",
    "check_recurrent_file",
    "check_recurrent_layer",
    "check_recurrent_module",
]
