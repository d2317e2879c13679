r"""LaTeX of the derivation, generated from :mod:`spec` for the documentation.

Every function returns LaTeX without surrounding ``$`` or ``\[ \]``, printed by
``sympy.latex`` (through :func:`latex`) from the expressions the specification
uses: the costs from :mod:`spec.costs`, BP1–BP4 from :mod:`spec.recursion`, the
identities from :mod:`spec.identities`. Five modules:

- :mod:`spec.latex.printer`: :func:`latex`, the notation printer;
- :mod:`spec.latex.statements`: the general statements (forward pass, BP1–BP4,
  the batch, the costs, the identities) as LaTeX strings;
- :mod:`spec.latex.display`: those statements as displayed equations
  (:class:`Display`), with the verdicts of the proofs behind them;
- :mod:`spec.latex.instances`: the same equations written out for networks of
  given sizes;
- :mod:`spec.latex.layers`: the page of each activation and each cost
  (definition, derivative and its proof, BP1, the shortcut) and the L2 term.

The numeric worked example is :func:`spec.worked_example.worked_example`.
"""

from __future__ import annotations

from spec.latex.display import (
    Display,
    aligned,
    display_batch,
    display_bp,
    display_cost,
    display_cross_entropy_shortcut,
    display_forward,
    display_quadratic_residual,
    display_sigma_prime,
)
from spec.latex.instances import (
    abbreviate_z,
    display_bp1_network,
    display_bp2_network,
    display_bp3_network,
    display_bp4_network,
    display_direct,
    display_forward_network,
)
from spec.latex.layers import (
    display_activation,
    display_activation_bp1,
    display_activation_derivative,
    display_l2,
    display_shortcut,
)
from spec.latex.printer import latex
from spec.latex.statements import (
    batch_equations,
    bp_equations,
    cost_equations,
    cross_entropy_shortcut,
    forward_equations,
    quadratic_shortcut_residual,
    sigma_prime_identity,
)

__all__ = [
    "Display",
    "abbreviate_z",
    "aligned",
    "batch_equations",
    "bp_equations",
    "cost_equations",
    "cross_entropy_shortcut",
    "display_activation",
    "display_activation_bp1",
    "display_activation_derivative",
    "display_batch",
    "display_bp",
    "display_bp1_network",
    "display_bp2_network",
    "display_bp3_network",
    "display_bp4_network",
    "display_cost",
    "display_cross_entropy_shortcut",
    "display_direct",
    "display_forward",
    "display_forward_network",
    "display_l2",
    "display_quadratic_residual",
    "display_shortcut",
    "display_sigma_prime",
    "forward_equations",
    "latex",
    "quadratic_shortcut_residual",
    "sigma_prime_identity",
]
