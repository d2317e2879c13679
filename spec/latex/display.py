r"""Displayed equations of the general statements, each with its proof's verdict.

A :class:`Display` is what a page shows: LaTeX rows aligned at ``&``, the calls of
:mod:`spec` they come from, and, for an identity, whether its proof held when the
rows were built.
"""

from __future__ import annotations

from dataclasses import dataclass

from spec.costs import COSTS
from spec.identities import prove_output_shortcut, prove_sigma_prime
from spec.latex.statements import (
    batch_equations,
    bp_equations,
    cost_equations,
    cross_entropy_shortcut,
    forward_equations,
    quadratic_shortcut_residual,
    sigma_prime_identity,
)
from spec.validation import validate_choice

__all__ = [
    "Display",
    "aligned",
    "display_batch",
    "display_bp",
    "display_cost",
    "display_cross_entropy_shortcut",
    "display_forward",
    "display_quadratic_residual",
    "display_sigma_prime",
]


@dataclass(frozen=True)
class Display:
    """One displayed equation: its rows, where they come from, a verdict.

    Attributes
    ----------
    rows : tuple of str
        LaTeX rows, aligned at ``&`` when there are several.
    source : str
        The calls of :mod:`spec` the rows come from, separated by ``"; "``.
    ok : bool
        False when a proof behind the rows failed (or a claim that must fail held).
    note : str
        What the proof found, or ``""``.
    """

    rows: tuple[str, ...]
    source: str
    ok: bool = True
    note: str = ""


def aligned(equation: str, tag: str = "") -> str:
    """``"lhs = rhs"`` as an aligned row ``"lhs &= rhs"``, with an optional tag.

    Parameters
    ----------
    equation : str
        LaTeX with one ``" = "``.
    tag : str, default ""
        Printed at the right as ``(tag)``.

    Returns
    -------
    str
    """
    lhs, sep, rhs = equation.partition(" = ")
    if not sep:
        raise ValueError(f"equation must read 'lhs = rhs', got {equation!r}")
    row = f"{lhs} &= {rhs}"
    return rf"{row} && \text{{({tag})}}" if tag else row


def _steps(chain: str) -> tuple[str, ...]:
    """``"a = b = c"`` as the rows ``"a &= b"``, ``"&= c"``."""
    first, *rest = chain.split(" = ")
    return (f"{first} &= {rest[0]}", *(f"&= {step}" for step in rest[1:]))


def display_forward() -> Display:
    r"""The forward pass, :math:`z^l = W^l a^{l-1} + b^l` and :math:`a^l = \sigma(z^l)`.

    Returns
    -------
    Display
    """
    forward = forward_equations()
    return Display(
        (rf"{forward['z']}, \qquad {forward['a']}",), "spec.latex.forward_equations()"
    )


def display_bp(which: str = "all") -> Display:
    """BP1–BP4 aligned and tagged, or one of them.

    Parameters
    ----------
    which : {"all", "BP1", "BP2", "BP3", "BP4"}, default "all"

    Returns
    -------
    Display
    """
    equations = bp_equations()
    validate_choice("which", which, ["all", *equations])
    if which != "all":
        return Display((equations[which],), f"spec.latex.bp_equations()[{which!r}]")
    return Display(
        tuple(aligned(text, name) for name, text in equations.items()),
        "spec.latex.bp_equations()",
    )


def display_batch() -> Display:
    """The mean cost of a batch and BP3, BP4 averaged over it.

    Returns
    -------
    Display
    """
    equations = batch_equations()
    rows = [aligned(equations["C"])]
    rows += [aligned(equations[n], f"{n}, batch") for n in ("BP3", "BP4")]
    return Display(tuple(rows), "spec.latex.batch_equations()")


def display_cost(cost: str) -> Display:
    r"""One per-example cost and its derivative :math:`\partial C/\partial a^L_j`.

    Parameters
    ----------
    cost : {"quadratic", "cross_entropy"}

    Returns
    -------
    Display
    """
    equations = cost_equations()[validate_choice("cost", cost, COSTS)]
    return Display(
        (aligned(equations["C"]), aligned(equations["dC/da"])),
        f"spec.latex.cost_equations()[{cost!r}]",
    )


def display_sigma_prime() -> Display:
    r""":math:`\sigma' = \sigma(1 - \sigma)` step by step, with its proof.

    Returns
    -------
    Display
        ``ok`` is the verdict of :func:`spec.prove_sigma_prime`.
    """
    result = prove_sigma_prime()
    return Display(
        _steps(sigma_prime_identity()),
        "spec.latex.sigma_prime_identity(); spec.prove_sigma_prime()",
        ok=result.proven,
        note=f"{'proven' if result.proven else 'NOT proven'} by {result.method}, "
        f"in {result.seconds:.2f} s",
    )


def display_cross_entropy_shortcut() -> Display:
    r""":math:`\delta^L_j = a^L_j - y_j` for the cross-entropy, with its proof.

    Returns
    -------
    Display
        ``ok`` is the verdict of :func:`spec.prove_output_shortcut`.
    """
    result = prove_output_shortcut("cross_entropy")
    return Display(
        _steps(cross_entropy_shortcut()),
        "spec.latex.cross_entropy_shortcut(); "
        "spec.prove_output_shortcut('cross_entropy')",
        ok=result.proven,
        note=f"{'proven' if result.proven else 'NOT proven'} for every output "
        f"neuron by {result.method}, in {result.seconds:.2f} s",
    )


def display_quadratic_residual() -> Display:
    """Why the shortcut fails for the quadratic cost, with a counter-example.

    Returns
    -------
    Display
        ``ok`` is True when :func:`spec.prove_output_shortcut` finds that the
        shortcut fails, as it must.
    """
    result = prove_output_shortcut("quadratic")
    note = (
        f"the shortcut {'holds' if result.proven else 'fails'}, as decided by "
        f"{result.method}, in {result.seconds:.2f} s"
    )
    if result.counterexample:
        c = result.counterexample
        # The target's key is the letter the proof gives targets.
        target = c["y"]
        note += (
            f"; at z = {c['z']:g}, y = {target:g}, BP1 gives δ = {c['lhs']:g} but "
            f"a − y = {c['rhs']:g}"
        )
    return Display(
        (quadratic_shortcut_residual(),),
        "spec.latex.quadratic_shortcut_residual(); "
        "spec.prove_output_shortcut('quadratic')",
        ok=not result.proven,
        note=note,
    )
