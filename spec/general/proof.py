r"""BP1–BP4 proven for every depth, width and batch size: :func:`prove_general`.

The proof is a table of lemmas (:mod:`spec.general.layer`,
:mod:`spec.general.instances`), each computed by SymPy with the widths
:math:`n_{l-1}, n_l, n_{l+1}` and the batch size :math:`m` as positive integer
symbols, and an induction over depth that combines them:

- *assumption*: the chain rule of several variables;
- (S1)–(S3): the local derivatives of one layer;
- BP1 (base of the induction, :math:`l = L`), BP2 (its step, :math:`l + 1 \to
  l`), BP3, BP4: the chain rule applied to (S1)–(S3), equal to the recursion;
- the batch mean, with :math:`m` symbolic;
- instances: :math:`\varphi = \sigma`, the cost's :math:`\nabla_a C`, BP1 for both.

A wrong recursion (:data:`spec.recursion.VARIANTS`) fails at the lemma it breaks.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from spec.costs import COSTS
from spec.derive import Gradients
from spec.general.instances import (
    activation_instance,
    bp1_instance,
    cost_instance,
    instantiate,
)
from spec.general.layer import batch_mean, bp1, bp2, bp3, bp4, s1, s2, s3
from spec.general.lemmas import Lemma
from spec.layers import validate_combination
from spec.recursion import VARIANTS, validate_variant
from spec.validation import validate_choice, validate_int, validate_sizes

__all__ = ["ACTIVATIONS", "GeneralProof", "prove_general"]

#: Activations the general proof has an instance for: the elementwise ones (the
#: general rows hold for any differentiable elementwise phi; ReLU for z != 0).
ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")

CHAIN_RULE = Lemma(
    name="chain rule",
    claim=(
        "if C depends on u only through v, dC/du_j = sum_i dC/dv_i dv_i/du_j "
        "(the one assumption)"
    ),
    statement=(
        r"\frac{\partial C}{\partial u_{j}} = \sum_{i} "
        r"\frac{\partial C}{\partial v_{i}} \frac{\partial v_{i}}{\partial u_{j}}"
    ),
    kind="assumption",
    proven=True,
    method="assumed, not proven here",
)


def _induction(rows: dict[str, Lemma]) -> tuple[Lemma, Lemma]:
    base, step = rows["BP1"], rows["BP2"]
    induction = Lemma(
        name="induction",
        claim=(
            "for every depth L and every l = L, ..., 1: delta^l = dC/dz^l "
            "(base l = L: BP1; step l + 1 -> l: BP2, as C depends on z^l only "
            "through z^(l+1))"
        ),
        statement=(
            r"\forall L \ge 1,\ \forall l \in \{1, \dots, L\}:\ "
            r"\delta^{l} = \frac{\partial C}{\partial z^{l}}"
        ),
        kind="induction",
        proven=base.proven and step.proven,
        method=(
            "induction on L - l, argued from the rows: base BP1, step BP2 "
            "(the induction itself is not machine-checked)"
        ),
        uses=("BP1", "BP2"),
    )
    parts = ("induction", "BP3", "BP4", "batch mean")
    theorem = Lemma(
        name="theorem",
        claim=(
            "for every L, n_0, ..., n_L and m: BP1-BP4 with the batch mean give "
            "dC/dW^l and dC/db^l of the mean cost"
        ),
        statement=(
            r"\frac{\partial C}{\partial W^{l}} = \frac{1}{m} \sum_{e} "
            r"\delta^{l}_{e} (a^{l-1}_{e})^{T},\ "
            r"\frac{\partial C}{\partial b^{l}} = \frac{1}{m} \sum_{e} "
            r"\delta^{l}_{e}"
        ),
        kind="induction",
        proven=induction.proven and all(rows[name].proven for name in parts[1:]),
        method="the induction, then BP3, BP4 per example and the batch mean",
        uses=parts,
    )
    return induction, theorem


@dataclass(frozen=True)
class GeneralProof:
    """Outcome of :func:`prove_general`: the lemma table.

    Attributes
    ----------
    cost : str
    activation : str
    variant : str
        The recursion checked (a key of :data:`spec.recursion.VARIANTS`).
    lemmas : tuple of Lemma
        The rows, in the order of the argument.
    seconds : float
        Time of the whole proof.
    """

    cost: str
    activation: str
    variant: str
    lemmas: tuple[Lemma, ...]
    seconds: float

    @property
    def proven(self) -> bool:
        """Whether every row holds (the assumption is taken as given)."""
        return all(lemma.proven for lemma in self.lemmas)

    @property
    def failed(self) -> tuple[str, ...]:
        """Names of the rows that do not hold, lemmas before what rests on them."""
        return tuple(lemma.name for lemma in self.lemmas if not lemma.proven)

    @property
    def broken_lemma(self) -> str | None:
        """The first lemma (not the induction built on it) that fails, or ``None``."""
        return next(
            (
                lemma.name
                for lemma in self.lemmas
                if not lemma.proven and lemma.kind != "induction"
            ),
            None,
        )

    def lemma(self, name: str) -> Lemma:
        """The row called ``name`` (``"S1"``, ``"BP2"``, ``"batch mean"``, ...)."""
        for lemma in self.lemmas:
            if lemma.name == name:
                return lemma
        names = ", ".join(repr(lemma.name) for lemma in self.lemmas)
        raise KeyError(f"no lemma {name!r}; the rows are {names}")

    def rows(self) -> list[dict[str, Any]]:
        """The table as data: one dict per row, JSON-ready.

        Keys: ``name``, ``kind``, ``claim``, ``statement`` (LaTeX), ``proven``,
        ``method``, ``uses`` (list of names), ``seconds``, ``counterexample``.
        """
        return [
            {
                "name": lemma.name,
                "kind": lemma.kind,
                "claim": lemma.claim,
                "statement": lemma.statement,
                "proven": lemma.proven,
                "method": lemma.method,
                "uses": list(lemma.uses),
                "seconds": lemma.seconds,
                "counterexample": lemma.counterexample,
            }
            for lemma in self.lemmas
        ]

    def table(self) -> str:
        """The lemma table as plain text, one row per lemma, then the verdict."""
        width = max(len(lemma.name) for lemma in self.lemmas)
        title = (
            f"BP1-BP4 for every size: cost {self.cost}, activation "
            f"{self.activation}, recursion {self.variant}"
        )
        lines = [
            title,
            f"{'lemma':{width}}  {'status':9}  {'seconds':>7}  how",
        ]
        for lemma in self.lemmas:
            status = {
                "assumption": "assumed",
                "induction": "argued" if lemma.proven else "FAILS",
            }.get(lemma.kind, "proven" if lemma.proven else "FAILS")
            lines.append(
                f"{lemma.name:{width}}  {status:9}  {lemma.seconds:7.3f}  "
                f"{lemma.method}"
            )
        verdict = (
            f"proven for every size ({self.seconds:.2f} s)"
            if self.proven
            else f"NOT proven: fails at {self.broken_lemma}"
        )
        return "\n".join([*lines, verdict])

    def __str__(self) -> str:
        return self.table()

    def instantiate(self, sizes: Sequence[int], m: int = 1) -> Gradients:
        """The gradients of a network of ``sizes`` built from the general formulas.

        Parameters
        ----------
        sizes : sequence of int
            Layer sizes ``[n_0, ..., n_L]``.
        m : int, default 1

        Returns
        -------
        Gradients
            Comparable entry by entry with :func:`spec.direct_gradients` (for
            ``variant="correct"``) or :func:`spec.recursion_gradients`.
        """
        checked = validate_sizes(sizes)
        validate_variant(self.variant, checked)
        rows = {lemma.name: lemma for lemma in self.lemmas}
        return instantiate(rows, checked, validate_int("m", m, 1), self.activation)


def prove_general(
    cost: str = "cross_entropy",
    activation: str = "sigmoid",
    variant: str = "correct",
    *,
    seed: int = 0,
) -> GeneralProof:
    r"""Prove BP1–BP4 for every depth, every width and every batch size.

    Parameters
    ----------
    cost : {"cross_entropy", "quadratic"}, default "cross_entropy"
        The cost of the instance rows; the general rows hold for any cost whose
        :math:`\nabla_a C` exists.
    activation : {"sigmoid", "tanh", "relu", "identity"}, default "sigmoid"
        The activation of the instance rows; the general rows hold for any
        differentiable elementwise :math:`\varphi` (ReLU: wherever no unit has
        :math:`z = 0`). The cross-entropy needs the sigmoid (as in
        :mod:`spec.layers`); softmax is not elementwise, and its networks are
        proven at fixed sizes (:func:`spec.prove_backprop`).
    variant : str, default "correct"
        The recursion to check, a key of :data:`spec.recursion.VARIANTS`; a wrong
        one fails at the lemma it breaks (``no_transpose`` is stated for a
        square :math:`W^{l+1}`, the only shape where it is defined).
    seed : int, default 0
        Seed of the random point that refutes a failing lemma.

    Returns
    -------
    GeneralProof
        ``proven``, the rows (``lemmas``, ``rows()``), ``table()``.

    Examples
    --------
    >>> proof = prove_general(cost="quadratic")
    >>> proof.proven, proof.lemma("BP2").proven
    (True, True)
    >>> prove_general(variant="sum_not_mean").broken_lemma
    'batch mean'
    """
    validate_choice("cost", cost, COSTS)
    validate_choice("activation", activation, ACTIVATIONS)
    validate_combination(cost, activation)
    validate_choice("variant", variant, tuple(VARIANTS))
    seed = validate_int("seed", seed, 0)
    start = time.perf_counter()
    structure = {lemma.name: lemma for lemma in (s1(), s2(), s3())}
    rows = {"chain rule": CHAIN_RULE, **structure, "BP1": bp1()}
    rows["BP2"] = bp2(structure["S3"], variant, seed)
    rows["BP3"] = bp3(structure["S2"])
    rows["BP4"] = bp4(structure["S1"])
    rows["batch mean"] = batch_mean(variant, seed)
    induction, theorem = _induction(rows)
    rows["induction"], rows["theorem"] = induction, theorem
    sigma_row = activation_instance(activation)
    gradient_row = cost_instance(cost)
    delta_row = bp1_instance(cost, rows["BP1"], gradient_row, activation)
    for row in (sigma_row, gradient_row, delta_row):
        rows[row.name] = row
    return GeneralProof(
        cost, activation, variant, tuple(rows.values()), time.perf_counter() - start
    )
