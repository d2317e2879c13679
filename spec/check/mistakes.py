r"""The catalogue of known backpropagation mistakes, each an alternative derivation.

Each entry of :data:`MISTAKES` is a :class:`Mistake`: a name, the equation it
breaks, the line of the derivation it gets wrong, and a
:class:`~spec.check.derivation.Derivation` with that one line replaced
(:mod:`spec.check.alternatives`). The
diagnosis (:mod:`spec.check.diagnosis`) evaluates every entry on every case of the
battery and names the one that the failing gradient equals everywhere.

In the titles, :math:`\sigma` and :math:`\sigma'` stand for the layer's own
activation and its derivative (the sigmoid in the tutorial's network): each
derivation uses :math:`\phi_l`, so a mistake is recognised in tanh, ReLU and
identity layers as well.
"""

from __future__ import annotations

import dataclasses

from spec.check import alternatives as alt
from spec.check.derivation import Derivation

__all__ = ["MISTAKES", "Mistake"]


@dataclasses.dataclass(frozen=True)
class Mistake:
    """A known mistake: where it is, what it gets wrong, and its derivation.

    Attributes
    ----------
    name : str
        Identifier, e.g. ``"bp2_no_transpose"``.
    equation : str
        The equation it breaks: ``"BP1"`` … ``"BP4"``, or ``"return"``.
    title : str
        What is wrong, in words.
    breaks : str
        The line of the derivation it gets wrong, as it should read.
    derivation : Derivation
        The derivation with the mistake applied.
    """

    name: str
    equation: str
    title: str
    breaks: str
    derivation: Derivation


_BP1 = r"δ^L = ∇_a C ⊙ σ'(z^L)"
_BP1_Q = r"δ^L = (a^L - y) ⊙ σ'(z^L) (quadratic)"
_BP1_CE = r"δ^L = a^L - y (cross-entropy: σ'(z^L) cancels)"
_BP2 = r"δ^l = ((W^{l+1})^T δ^{l+1}) ⊙ σ'(z^l)"
_BP3 = r"∂C/∂b^l = (1/m) Σ_x δ^{x,l}"
_BP4 = r"∂C/∂W^l = (1/m) Σ_x δ^{x,l} (a^{x,l-1})^T"
_SOFTMAX = r"δ^L = (diag(a^L) - a^L (a^L)^T) ∇_a C (softmax output)"
_TANH = r"tanh'(z) = 1 - tanh²(z)"
_L2 = r"∂C/∂W^l = (1/m) Σ_x δ^{x,l} (a^{x,l-1})^T + λ W^l; ∂C/∂b^l has no L2 term"

#: The known mistakes, in the order the diagnosis tries them.
MISTAKES: tuple[Mistake, ...] = (
    Mistake(
        "bp2_no_transpose",
        "BP2",
        "the transpose of W^{l+1} is missing",
        _BP2,
        alt.NoTranspose(),
    ),
    Mistake(
        "bp2_sigma_for_sigma_prime",
        "BP2",
        "σ(z^l) where σ'(z^l) belongs",
        _BP2,
        alt.Bp2SigmaForSigmaPrime(),
    ),
    Mistake(
        "bp2_sigma_prime_of_a",
        "BP2",
        "σ' evaluated at a^l instead of z^l",
        _BP2,
        alt.Bp2SigmaPrimeOfA(),
    ),
    Mistake(
        "bp2_z_of_next_layer",
        "BP2",
        "σ'(z^{l+1}) where σ'(z^l) belongs (z taken one layer off)",
        _BP2,
        alt.Bp2ZOfNextLayer(),
    ),
    Mistake(
        "bp2_sigma_prime_before_transpose",
        "BP2",
        "σ'(z^{l+1}) applied to δ^{l+1} before the transpose, instead of σ'(z^l) "
        "after it",
        _BP2,
        alt.Bp2SigmaPrimeBeforeTranspose(),
    ),
    Mistake(
        "bp1_sigma_for_sigma_prime",
        "BP1",
        "σ(z^L) where σ'(z^L) belongs (quadratic cost)",
        _BP1_Q,
        alt.Bp1SigmaForSigmaPrime(),
    ),
    Mistake(
        "bp1_quadratic_no_sigma_prime",
        "BP1",
        "the quadratic cost's δ^L without σ'(z^L) (the a^L - y of cross-entropy or "
        "the log-likelihood used for the quadratic cost, as when cost= is ignored)",
        _BP1_Q,
        alt.Bp1QuadraticNoSigmaPrime(),
    ),
    Mistake(
        "bp1_cross_entropy_stray_sigma_prime",
        "BP1",
        "the cross-entropy δ^L with a stray σ'(z^L) (the quadratic δ^L used for "
        "cross-entropy, as when cost= is ignored)",
        _BP1_CE,
        alt.Bp1CrossEntropyStraySigmaPrime(),
    ),
    Mistake(
        "other_cost",
        "BP1",
        "each cost's δ^L swapped for the other cost's (cost= read the wrong way; "
        "for a softmax output, quadratic and log-likelihood swapped)",
        _BP1,
        alt.OtherCost(),
    ),
    Mistake(
        "sign_flip",
        "BP1",
        "the sign of ∇_a C flipped (y - a^L for a^L - y): every entry negated",
        _BP1,
        alt.SignFlip(),
    ),
    Mistake(
        "bp4_activation_of_same_layer",
        "BP4",
        "a^l where a^{l-1} belongs (activations[-l] for activations[-l-1])",
        _BP4,
        alt.Bp4ActivationOfSameLayer(),
    ),
    Mistake(
        "bp4_transposed",
        "BP4",
        "the weight gradient transposed: a^{l-1} (δ^l)^T for δ^l (a^{l-1})^T",
        _BP4,
        alt.Bp4Transposed(),
    ),
    Mistake(
        "loop_stops_early",
        "BP2",
        "the backward loop stops one layer early: ∂C/∂W^1 and ∂C/∂b^1 stay zero",
        _BP2 + ", for l = L-1 down to 1",
        alt.LoopStopsEarly(),
    ),
    Mistake(
        "sum_not_mean",
        "BP3",
        "the gradients summed over the batch instead of averaged (m times too "
        "large); declare reduction='sum' if that is your convention",
        _BP3 + "; " + _BP4,
        alt.SumNotMean(),
    ),
    Mistake(
        "bias_broadcast_scalar",
        "BP3",
        "the bias gradient reduced to one number (summed over the units as well "
        "as the examples) and broadcast to every unit",
        _BP3,
        alt.BiasScalar(),
    ),
    Mistake(
        "returns_biases_first",
        "return",
        "(grad_b, grad_w) returned where (grad_w, grad_b) belongs; declare "
        "returns=('b', 'w') if that is your order",
        "gradients(...) returns (∂C/∂W, ∂C/∂b)",
        alt.ReturnsBiasesFirst(),
    ),
    Mistake(
        "softmax_jacobian_no_outer_product",
        "BP1",
        "the softmax Jacobian taken as diag(a^L): its - a^L (a^L)^T dropped",
        _SOFTMAX,
        alt.SoftmaxNoOuterProduct(),
    ),
    Mistake(
        "softmax_jacobian_diagonal_only",
        "BP1",
        "softmax treated as elementwise with derivative a^L (1 - a^L): the diagonal "
        "of its Jacobian only",
        _SOFTMAX,
        alt.SoftmaxDiagonalOnly(),
    ),
    Mistake(
        "tanh_prime_one_minus_tanh",
        "BP2",
        "tanh'(z) taken as 1 - tanh(z) instead of 1 - tanh²(z)",
        _TANH,
        alt.TanhPrimeOneMinusTanh(),
    ),
    Mistake(
        "l2_on_biases",
        "BP3",
        "the L2 term λ b^l added to the bias gradients: biases are not decayed",
        _L2,
        alt.L2OnBiases(),
    ),
    Mistake(
        "l2_without_lambda",
        "BP4",
        "the L2 term added as W^l, without its factor λ",
        _L2,
        alt.L2WithoutLambda(),
    ),
)
