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

import importlib
from typing import TYPE_CHECKING, Any

from spec.activations import ACTIVATIONS, relu, softmax, step, tanh
from spec.caching import clear_caches
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
from spec.identities import (
    IdentityResult,
    prove_derivative,
    prove_l2_term,
    prove_output_shortcut,
    prove_sigma_prime,
)
from spec.network import SymbolicNetwork, symbolic_network
from spec.oracle import oracle_gradients
from spec.prove import ProofResult, prove_backprop
from spec.recursion import VARIANTS
from spec.symbols import sigma, sigma_prime, symbol

if TYPE_CHECKING:
    from spec.check.conformance.adapters import ImplementationError, adapt
    from spec.check.conformance.layers import (
        LayerReport,
        check_layer,
        check_layers_file,
    )
    from spec.check.conformance.optimizers import OptimizerReport, check_optimizer
    from spec.check.conformance.program import ProgramReport, check_program
    from spec.check.conformance.report import CaseResult, ConformanceReport
    from spec.check.conformance.run import check_implementation
    from spec.check.derivatives.compare import compare_gradients
    from spec.check.derivatives.gradcheck import gradcheck
    from spec.check.derivatives.hvp import check_hessian, check_hvp
    from spec.check.derivatives.jacobian import check_jacobian
    from spec.check.derivatives.jvp import check_jvp
    from spec.check.derivatives.report import GradcheckError, GradcheckReport, Kink
    from spec.check.derivatives.taylor import TaylorReport, taylor_test
    from spec.check.derivatives.vjp import check_vjp
    from spec.check.network.descent import (
        DescentReport,
        EpochReport,
        check_descent,
        check_sgd_epoch,
    )
    from spec.check.network.gradient import check_network

#: The numeric checks, imported on first use (PEP 562): ``import spec`` alone
#: loads neither :mod:`spec.check` nor :mod:`backprop`.
_LAZY = {
    "ProgramReport": "spec.check.conformance.program",
    "check_program": "spec.check.conformance.program",
    "LayerReport": "spec.check.conformance.layers",
    "check_layer": "spec.check.conformance.layers",
    "check_layers_file": "spec.check.conformance.layers",
    "OptimizerReport": "spec.check.conformance.optimizers",
    "check_optimizer": "spec.check.conformance.optimizers",
    "DescentReport": "spec.check.network.descent",
    "EpochReport": "spec.check.network.descent",
    "check_descent": "spec.check.network.descent",
    "check_sgd_epoch": "spec.check.network.descent",
    "CaseResult": "spec.check.conformance.report",
    "ConformanceReport": "spec.check.conformance.report",
    "GradcheckError": "spec.check.derivatives.report",
    "GradcheckReport": "spec.check.derivatives.report",
    "ImplementationError": "spec.check.conformance.adapters",
    "Kink": "spec.check.derivatives.report",
    "TaylorReport": "spec.check.derivatives.taylor",
    "adapt": "spec.check.conformance.adapters",
    "check_hessian": "spec.check.derivatives.hvp",
    "check_hvp": "spec.check.derivatives.hvp",
    "check_implementation": "spec.check.conformance.run",
    "check_jacobian": "spec.check.derivatives.jacobian",
    "check_jvp": "spec.check.derivatives.jvp",
    "check_network": "spec.check.network.gradient",
    "check_vjp": "spec.check.derivatives.vjp",
    "compare_gradients": "spec.check.derivatives.compare",
    "gradcheck": "spec.check.derivatives.gradcheck",
    "taylor_test": "spec.check.derivatives.taylor",
}

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
    "LayerReport",
    "OptimizerReport",
    "ProgramReport",
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
    "check_layer",
    "check_layers_file",
    "check_network",
    "check_optimizer",
    "check_program",
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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'spec' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
