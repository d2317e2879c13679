r"""The refinements of gradient descent, specified symbolically, and what is proven
about them.

Each rule is a :class:`SymbolicRule`: one step, as SymPy expressions of the
parameter :math:`\theta`, the gradient :math:`g`, the hyper-parameters and the
state the rule keeps between steps (velocity, cache, moments, step count). The
rules are elementwise, so a symbol stands for any one entry of a parameter array.
:data:`RULES` holds every rule in every convention the references use, side by
side; :func:`numeric_step` evaluates one with NumPy (float64).

:mod:`spec.optimizers.rules` holds the rules, :mod:`spec.optimizers.facts` the
**proven facts** (:func:`prove_optimizer_facts`), each a :class:`Fact`:

- the two momentum conventions are equal for a constant learning rate, with
  :math:`v = -\alpha b` (:func:`prove_momentum_conventions_equal`, by induction on
  the step), and their exact difference once :math:`\alpha` changes
  (:func:`prove_momentum_difference_under_decay`);
- Adam's bias correction is exact for a constant gradient: :math:`\hat m_t = g`
  and :math:`\hat v_t = g^2` at every step (:func:`prove_adam_bias_correction`);
- the TensorFlow form of Adam equals the paper's when :math:`\epsilon = 0`, and
  their exact difference otherwise (:func:`prove_adam_forms`).

This package imports nothing of :mod:`backprop` or :mod:`spec.check`.
"""

from __future__ import annotations

from spec.optimizers.facts import (
    Fact,
    adam_forms_difference,
    momentum_difference,
    prove_adam_bias_correction,
    prove_adam_forms,
    prove_momentum_conventions_equal,
    prove_momentum_difference_under_decay,
    prove_optimizer_facts,
)
from spec.optimizers.rules import (
    RULES,
    SymbolicRule,
    get_rule,
    make_rule,
    numeric_step,
    optimizer_symbol,
    step_decay,
)

__all__ = [
    "RULES",
    "Fact",
    "SymbolicRule",
    "adam_forms_difference",
    "get_rule",
    "make_rule",
    "momentum_difference",
    "numeric_step",
    "optimizer_symbol",
    "prove_adam_bias_correction",
    "prove_adam_forms",
    "prove_momentum_conventions_equal",
    "prove_momentum_difference_under_decay",
    "prove_optimizer_facts",
    "step_decay",
]
