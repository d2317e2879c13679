"""The specification of backpropagation: derived from the chain rule, proven, and
used as the exact oracle for :mod:`backprop`.

``spec`` builds a sigmoid network from SymPy symbols (:func:`symbolic_network`),
derives every gradient entry twice, by direct differentiation of the composed mean
cost (:func:`direct_gradients`) and by the BP1–BP4 recursion
(:func:`recursion_gradients`), proves the two equal (:func:`prove_backprop`) and
evaluates the derivation in high precision (:func:`oracle_gradients`).
:mod:`spec.latex` exports the equations for the documentation.

``spec`` never imports ``backprop``'s formulas.
"""

from __future__ import annotations

from spec.cost import COSTS
from spec.derive import (
    DERIVATION_LIMIT,
    Gradients,
    clear_caches,
    differentiate,
    direct_gradients,
    parameter_count,
    recursion_gradients,
)
from spec.network import SymbolicNetwork, symbolic_network
from spec.oracle import oracle_gradients
from spec.prove import (
    IdentityResult,
    ProofResult,
    prove_backprop,
    prove_output_shortcut,
    prove_sigma_prime,
)
from spec.recursion import VARIANTS
from spec.symbols import sigma, sigma_prime, symbol

__all__ = [
    "COSTS",
    "DERIVATION_LIMIT",
    "VARIANTS",
    "Gradients",
    "IdentityResult",
    "ProofResult",
    "SymbolicNetwork",
    "clear_caches",
    "differentiate",
    "direct_gradients",
    "oracle_gradients",
    "parameter_count",
    "prove_backprop",
    "prove_output_shortcut",
    "prove_sigma_prime",
    "recursion_gradients",
    "sigma",
    "sigma_prime",
    "symbol",
    "symbolic_network",
]

# --- Numeric gradient checks (spec/gradcheck.py, spec/finite_diff*.py) ---------
# Owned by the gradient-check module; its exports are appended below.
from spec.gradcheck import (
    DescentReport,
    EpochReport,
    GradcheckError,
    GradcheckReport,
    check_descent,
    check_network,
    check_sgd_epoch,
    compare_gradients,
    gradcheck,
)

__all__ += [
    "DescentReport",
    "EpochReport",
    "GradcheckError",
    "GradcheckReport",
    "check_descent",
    "check_network",
    "check_sgd_epoch",
    "compare_gradients",
    "gradcheck",
]
# --- end of numeric gradient checks ---------------------------------------------
