"""The specification of backpropagation: derived from the chain rule, proven, and
used as the exact oracle for :mod:`backprop`.

``spec`` builds a network from SymPy symbols (:func:`symbolic_network`; sigmoid
layers by default, or tanh, ReLU, identity and a softmax output,
:mod:`spec.activations`),
derives every gradient entry twice, by direct differentiation of the composed mean
cost (:func:`direct_gradients`) and by the BP1–BP4 recursion
(:func:`recursion_gradients`), proves the two equal (:func:`prove_backprop`) and
evaluates the derivation in high precision (:func:`oracle_gradients`).
:mod:`spec.latex` exports the equations for the documentation.

Two halves: the symbolic specification (every module but :mod:`spec.check`), which
imports nothing of :mod:`backprop`, and :mod:`spec.check`, the numeric checks that
hold :mod:`backprop`, or anyone's code, to it.
"""

from __future__ import annotations

from spec.activations import ACTIVATIONS, relu, softmax, step, tanh
from spec.caching import clear_caches
from spec.check.adapters import ImplementationError, adapt
from spec.check.compare import compare_gradients
from spec.check.conformance import check_implementation
from spec.check.conformance_report import CaseResult, ConformanceReport
from spec.check.gradcheck import gradcheck
from spec.check.hvp import check_hessian, check_hvp
from spec.check.jacobian import check_jacobian
from spec.check.jvp import check_jvp
from spec.check.netcheck import check_network
from spec.check.report import GradcheckError, GradcheckReport, Kink
from spec.check.sgdcheck import check_descent, check_sgd_epoch
from spec.check.sgdreports import DescentReport, EpochReport
from spec.check.taylor import TaylorReport, taylor_test
from spec.check.vjp import check_vjp
from spec.costs import COSTS, L2_SYMBOL, mean_cost
from spec.derive import (
    DERIVATION_LIMIT,
    Gradients,
    differentiate,
    direct_gradients,
    parameter_count,
    recursion_gradients,
)
from spec.general import GeneralProof, prove_general
from spec.identities import IdentityResult, prove_output_shortcut, prove_sigma_prime
from spec.identities_activations import prove_derivative, prove_l2_term
from spec.network import SymbolicNetwork, symbolic_network
from spec.oracle import oracle_gradients
from spec.prove import ProofResult, prove_backprop
from spec.recursion import VARIANTS
from spec.symbols import sigma, sigma_prime, symbol

__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "DERIVATION_LIMIT",
    "L2_SYMBOL",
    "VARIANTS",
    "CaseResult",
    "ConformanceReport",
    "DescentReport",
    "EpochReport",
    "GeneralProof",
    "GradcheckError",
    "GradcheckReport",
    "Gradients",
    "IdentityResult",
    "ImplementationError",
    "Kink",
    "ProofResult",
    "SymbolicNetwork",
    "TaylorReport",
    "adapt",
    "check_descent",
    "check_hessian",
    "check_hvp",
    "check_implementation",
    "check_jacobian",
    "check_jvp",
    "check_network",
    "check_sgd_epoch",
    "check_vjp",
    "clear_caches",
    "compare_gradients",
    "differentiate",
    "direct_gradients",
    "gradcheck",
    "mean_cost",
    "oracle_gradients",
    "parameter_count",
    "prove_backprop",
    "prove_derivative",
    "prove_general",
    "prove_l2_term",
    "prove_output_shortcut",
    "prove_sigma_prime",
    "recursion_gradients",
    "relu",
    "sigma",
    "sigma_prime",
    "softmax",
    "step",
    "symbol",
    "symbolic_network",
    "tanh",
    "taylor_test",
]
