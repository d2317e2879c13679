"""The outcome of :func:`spec.prove_backprop`, and how it states its claim."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ProofResult", "claim_text", "method_text"]


@dataclass(frozen=True)
class ProofResult:
    r"""Outcome of :func:`spec.prove_backprop`.

    Attributes
    ----------
    claim : str
        What was to be proven, in words.
    proven : bool
        Whether every entry of the recursion equals its direct derivative.
    sizes : tuple of int
    m : int
    cost : str
    variant : str
        The recursion checked (a key of :data:`spec.recursion.VARIANTS`).
    method : str
        How equality was decided.
    entries : int
        Number of gradient entries compared (the parameter count).
    evaluations : int
        Random points at which every entry was evaluated exactly.
    modulus : int
        Size of the field, :math:`2^{61} - 1`.
    seed : int
        Seed of the random points; pass it back to reproduce the run.
    derive_seconds : float
        Time spent deriving in this call (0 when both derivations were cached).
    check_seconds : float
        Time spent on the exact evaluations (and any counter-example).
    mismatches : tuple of str
        Labels of the entries that differ, in parameter order, e.g.
        ``"∂C/∂w^{2}_{1,0}"``; empty when proven.
    counterexample : dict of str to float or None
        For the first mismatch: ``{"direct": ..., "recursion": ...}``, both
        evaluated at a random real point (weights and biases from N(0, 1), inputs
        and targets uniform in [0, 1), drawn from ``seed``).
    activations : tuple of str
        The activation of each layer.
    l2 : bool
        Whether the cost had the L2 term (and BP4 its :math:`\lambda W`).
    """

    claim: str
    proven: bool
    sizes: tuple[int, ...]
    m: int
    cost: str
    variant: str
    method: str
    entries: int
    evaluations: int
    modulus: int
    seed: int
    derive_seconds: float
    check_seconds: float
    mismatches: tuple[str, ...]
    counterexample: dict[str, float] | None
    activations: tuple[str, ...] = ()
    l2: bool = False

    @property
    def first_mismatch(self) -> str | None:
        """The first entry that differs, or ``None``."""
        return self.mismatches[0] if self.mismatches else None

    @property
    def seconds(self) -> float:
        """Total time of the call."""
        return self.derive_seconds + self.check_seconds

    def __str__(self) -> str:
        if self.proven:
            return (
                f"proven: {self.claim} ({self.evaluations} exact evaluations modulo "
                f"2^61 - 1, {self.seconds:.2f} s)"
            )
        values = ""
        if self.counterexample is not None:
            values = (
                f" (direct {self.counterexample['direct']:.6g}, recursion "
                f"{self.counterexample['recursion']:.6g} at a random real point)"
            )
        return (
            f"NOT proven: {self.claim}; {len(self.mismatches)} of {self.entries} "
            f"entries differ, first {self.first_mismatch}{values}"
        )


#: Each activation's declared derivative, as the proof's method states it.
_DECLARED = {
    "sigmoid": "sigma' = sigma (1 - sigma)",
    "tanh": "tanh' = 1 - tanh^2",
    "relu": "relu' = H (the step)",
    "identity": "identity' = 1",
    "softmax": "d softmax_k/dz_i = a_k (delta_ki - a_i)",
}


def claim_text(
    recursion_name: str,
    cost: str,
    sizes: tuple[int, ...],
    m: int,
    names: tuple[str, ...],
    l2: bool,
) -> str:
    """What :func:`spec.prove_backprop` proves, in words."""
    penalty = " plus (lambda/2) sum ||W^l||^2" if l2 else ""
    layers = "" if set(names) == {"sigmoid"} else f", activations {list(names)}"
    kink = ", wherever no unit has z = 0" if "relu" in names else ""
    return (
        f"{recursion_name} equals the direct derivative of the mean {cost} cost"
        f"{penalty} for sizes {list(sizes)}{layers}, m = {m}, in every entry{kink}"
    )


def method_text(names: tuple[str, ...]) -> str:
    """How :func:`spec.prove_backprop` decides, naming the declared derivatives."""
    shown = {"sigmoid": "sigma", "relu": "relu, H", "identity": ""}
    functions = [f for f in (shown.get(n, n) for n in dict.fromkeys(names)) if f]
    declared = ", ".join(_DECLARED[n] for n in dict.fromkeys(names))
    before_ln = ", ".join(functions) + " and " if functions else ""
    return (
        "exact evaluation of both derivations at random points modulo the prime "
        f"2^61 - 1, {before_ln}ln uninterpreted, {declared} in both (Schwartz-Zippel)"
    )
