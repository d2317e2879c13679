r"""Proofs: BP1–BP4 equal the direct derivative, for networks of given sizes.

:func:`prove_backprop` decides "recursion == direct derivative" for every gradient
entry by exact evaluation modulo :math:`p = 2^{61} - 1` (:mod:`spec.modular`):
sound, because an identity of rational expressions in uninterpreted
:math:`\sigma, \ln` holds for the real ones too; complete up to a probability of at
most :math:`(d/p)^k` after :math:`k` random points. ``sympy.simplify`` does not
finish past about 17 parameters; exact evaluation does, in less time than the
derivation it checks (measured in ``benchmarks/bench_proofs.py``).

A wrong recursion (:data:`spec.recursion.VARIANTS`) is reported as not proven, with
the entries that differ and a numeric counter-example. The identities about single
expressions are in :mod:`spec.identities`; the proof for every size in
:mod:`spec.general`.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np

from spec.costs import L2_SYMBOL
from spec.derive import (
    Gradients,
    direct_gradients,
    parameter_count,
    recursion_gradients,
    validate_network,
)
from spec.evaluate import mpmath_function
from spec.modular import MODULUS, ModularProgram
from spec.network import SymbolicNetwork, symbolic_network
from spec.recursion import validate_variant
from spec.validation import validate_int

__all__ = [
    "ProofResult",
    "claim_text",
    "method_text",
    "prove_backprop",
]


def _symbols(network: SymbolicNetwork, l2: bool) -> tuple[Any, ...]:
    """Every free symbol of the derivations: parameters, data, and lambda."""
    return (*network.parameters, *network.data, *((L2_SYMBOL,) if l2 else ()))


def _mismatches(
    network: SymbolicNetwork,
    l2: bool,
    direct: Gradients,
    recursion: Gradients,
    evaluations: int,
    rng: random.Random,
) -> list[str]:
    labels, direct_exprs = zip(*direct.entries(), strict=True)
    direct_program = ModularProgram(direct_exprs)
    recursion_program = ModularProgram([expr for _, expr in recursion.entries()])
    symbols = _symbols(network, l2)
    differ: set[str] = set()
    done = 0
    while done < evaluations:
        point = {s: rng.randrange(MODULUS) for s in symbols}
        salt = rng.randbytes(16)
        try:
            a = direct_program(point, salt)
            b = recursion_program(point, salt)
        except ZeroDivisionError:
            # The point lies on a pole of some entry (probability about 1/p):
            # it says nothing, so draw another.
            continue
        differ.update(label for label, u, v in zip(labels, a, b, strict=True) if u != v)
        done += 1
    return [label for label in labels if label in differ]


def _counterexample(
    network: SymbolicNetwork,
    l2: bool,
    direct: Gradients,
    recursion: Gradients,
    label: str,
    seed: int,
) -> dict[str, float]:
    pair = [
        next(expr for name, expr in gradients.entries() if name == label)
        for gradients in (direct, recursion)
    ]
    rng = np.random.default_rng(seed)
    values = [
        *rng.standard_normal(len(network.parameters)),
        *rng.random(len(network.data) + l2),
    ]
    function = mpmath_function(_symbols(network, l2), pair)
    with mpmath.workdps(50):
        exact = function(*(mpmath.mpf(float(v)) for v in values))
    return {"direct": float(exact[0]), "recursion": float(exact[1])}


def prove_backprop(
    sizes: Sequence[int],
    m: int = 1,
    cost: str = "cross_entropy",
    variant: str = "correct",
    *,
    activations: Any = None,
    l2: bool = False,
    evaluations: int = 3,
    seed: int | None = None,
) -> ProofResult:
    r"""Prove that the BP1–BP4 recursion equals the direct derivative, entry by entry.

    Both derivations (:func:`spec.direct_gradients`,
    :func:`spec.recursion_gradients`) of every :math:`\partial C/\partial w^l_{ij}`
    and :math:`\partial C/\partial b^l_i` of the mean cost are evaluated exactly at
    ``evaluations`` random points of :math:`\mathbb{Z}_p`, :math:`p = 2^{61} - 1`,
    with :math:`\sigma, \tanh, \operatorname{relu}, H, \operatorname{softmax}`
    and :math:`\ln` uninterpreted (:mod:`spec.modular`), each activation's
    derivative the one it declares (proven in :mod:`spec.identities`).
    Equal
    values at every point prove the identity except with probability at most
    :math:`(d/p)^{k}` (Schwartz–Zippel; degree :math:`d` in the hundreds at most,
    so below :math:`10^{-45}` for :math:`k = 3`). A difference at any point is a
    certain disproof.

    Parameters
    ----------
    sizes : sequence of int
        Layer sizes ``[n_0, ..., n_L]``.
    m : int, default 1
        Batch size. A batch sum-vs-mean error (``variant="sum_not_mean"``) hides at
        ``m = 1``.
    cost : {"cross_entropy", "quadratic", "log_likelihood"}, default "cross_entropy"
        The cross-entropy needs a sigmoid output, the log-likelihood a softmax
        one (:mod:`spec.layers`).
    variant : str, default "correct"
        The recursion to check: ``"correct"`` or a wrong one,
        ``"no_transpose"`` (square layers only), ``"sigma_prime_wrong_layer"``,
        ``"sum_not_mean"``; see :data:`spec.recursion.VARIANTS`.
    activations : None, str or sequence of str, optional
        The activation of each layer: one name for all, a pair (hidden, output),
        or one per layer (:mod:`spec.layers`); sigmoids by default. With
        ``"relu"`` the proof holds wherever no unit has :math:`z = 0`, where
        ReLU is differentiable with derivative :math:`H(z)`.
    l2 : bool, default False
        Add :math:`\tfrac{\lambda}{2} \sum_l \lVert W^l \rVert^2` to the cost
        and :math:`\lambda W^l` to BP4, :math:`\lambda` symbolic (so the proof
        holds for every :math:`\lambda`).
    evaluations : int, default 3
        Number of random points.
    seed : int or None, default None
        Seed of the points; ``None`` draws a fresh one (recorded in the result).

    Returns
    -------
    ProofResult

    Raises
    ------
    ValueError
        For invalid arguments, a combination of cost and activations that makes no
        sense (softmax in a hidden layer, the log-likelihood without a softmax
        output, ...), or a network too large to derive.

    Examples
    --------
    >>> prove_backprop([2, 3, 2], m=2).proven
    True
    >>> prove_backprop([3, 2, 2], m=2, variant="no_transpose").first_mismatch
    '∂C/∂w^{1}_{0,0}'
    >>> prove_backprop([2, 3, 2], m=2, cost="log_likelihood",
    ...                activations=("relu", "softmax"), l2=True).proven
    True
    """
    checked_sizes, checked_m, names, l2 = validate_network(
        sizes, m, cost, activations, l2
    )
    validate_variant(variant, checked_sizes)
    evaluations = validate_int("evaluations", evaluations, 1)
    seed = secrets.randbits(64) if seed is None else validate_int("seed", seed, 0)

    start = time.perf_counter()
    network = symbolic_network(checked_sizes, checked_m, names)
    direct = direct_gradients(checked_sizes, checked_m, cost, activations=names, l2=l2)
    recursion = recursion_gradients(
        checked_sizes, checked_m, cost, variant, activations=names, l2=l2
    )
    derived = time.perf_counter()
    mismatches = _mismatches(
        network, l2, direct, recursion, evaluations, random.Random(seed)
    )
    counterexample = (
        _counterexample(network, l2, direct, recursion, mismatches[0], seed)
        if mismatches
        else None
    )
    checked = time.perf_counter()

    recursion_name = "BP1-BP4" if variant == "correct" else f"BP1-BP4 ({variant})"
    return ProofResult(
        claim=claim_text(recursion_name, cost, checked_sizes, checked_m, names, l2),
        proven=not mismatches,
        sizes=checked_sizes,
        m=checked_m,
        cost=cost,
        variant=variant,
        method=method_text(names),
        entries=parameter_count(checked_sizes),
        evaluations=evaluations,
        modulus=MODULUS,
        seed=seed,
        derive_seconds=derived - start,
        check_seconds=checked - derived,
        mismatches=tuple(mismatches),
        counterexample=counterexample,
        activations=names,
        l2=l2,
    )


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
