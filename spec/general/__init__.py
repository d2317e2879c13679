r"""BP1–BP4 proven for every depth, width and batch size: :func:`prove_general`.

:mod:`spec.general.proof` holds the induction over depth and its result,
:mod:`spec.general.lemmas` the lemma record and its SymPy machinery,
:mod:`spec.general.layer` the local derivatives of one layer with symbolic widths,
and :mod:`spec.general.instances` the rows for each activation and cost.
"""

from __future__ import annotations

from spec.general.proof import ACTIVATIONS, GeneralProof, prove_general

__all__ = ["ACTIVATIONS", "GeneralProof", "prove_general"]
