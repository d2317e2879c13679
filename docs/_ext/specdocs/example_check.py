"""The worked example checked against :mod:`backprop`: gradients and one descent step."""

from __future__ import annotations

from typing import Any

import numpy as np
from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from specdocs.render import fmt, literal, paragraph, section, table

#: Largest relative difference allowed between backprop and the oracle.
EXAMPLE_RTOL = 1e-10


def relative_difference(claimed: Any, reference: Any) -> float:
    """Largest entrywise ``|claimed - reference| / |reference|`` (inf where 0 ≠ 0)."""
    claimed, reference = np.asarray(claimed), np.asarray(reference)
    diff = np.abs(claimed - reference)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(
            reference != 0, diff / np.abs(reference), np.where(diff > 0, np.inf, 0.0)
        )
    return float(rel.max())


def check_section(directive: SphinxDirective, ex: Any, lr: float) -> nodes.section:
    """``backprop.gradients`` against the oracle, then one step of descent.

    Raises ``ValueError`` when a gradient entry differs by more than
    :data:`EXAMPLE_RTOL` relative, or when the step does not lower the cost.
    """
    import backprop

    L = len(ex.sizes) - 1
    sec = section("Checked against backprop", "example-check")
    grad_w, grad_b = backprop.gradients(ex.weights, ex.biases, ex.x, ex.y, cost=ex.cost)
    rows, failures = [], []
    for l in range(1, L + 1):
        for name, claimed, ref in (
            (f"W^{{{l}}}", grad_w[l - 1], ex.grad_w[l - 1]),
            (f"b^{{{l}}}", grad_b[l - 1], ex.grad_b[l - 1]),
        ):
            rel = relative_difference(claimed, ref)
            if not rel <= EXAMPLE_RTOL:
                failures.append(f"{name}: {rel:.3g}")
            rows.append(
                (
                    rf":math:`\partial C / \partial {name}`",
                    "×".join(map(str, ref.shape)),
                    f"{rel:.1e}",
                )
            )
    if failures:
        raise ValueError(
            "backprop.gradients differs from the oracle by more than "
            f"{EXAMPLE_RTOL:g} relative: " + ", ".join(failures)
        )
    sec += paragraph(
        directive,
        ":func:`backprop.gradients`, the vectorised NumPy implementation, "
        "computed the same gradients in float64 when this page was built. The "
        "build fails if any entry differs from the oracle's by more than "
        ":math:`10^{-10}` relative. The largest relative differences were:",
    )
    sec += table(
        directive,
        ("Gradient", "Shape", "Largest relative difference"),
        rows,
        (30, 12, 40),
        ["worked-example-check"],
    )
    cost = ex.cost
    before = float(backprop.mean_cost(ex.weights, ex.biases, ex.x, ex.y, cost))
    stepped_w = [w - lr * g for w, g in zip(ex.weights, ex.grad_w, strict=True)]
    stepped_b = [b - lr * g for b, g in zip(ex.biases, ex.grad_b, strict=True)]
    after = float(backprop.mean_cost(stepped_w, stepped_b, ex.x, ex.y, cost))
    if not after < before:
        raise ValueError(f"a descent step raised the cost: {before} -> {after}")
    sec += paragraph(
        directive,
        rf"One step of gradient descent with learning rate :math:`\alpha = {lr}`, "
        r":math:`W^l \leftarrow W^l - \alpha\, \partial C / \partial W^l` and "
        r"likewise for :math:`b^l`, lowers the batch cost "
        f"(:func:`backprop.mean_cost`) from :math:`{fmt(before)}` to "
        f":math:`{fmt(after)}`. A sign error in the update would pass every "
        "gradient check and fail this one.",
    )
    return sec


def reproduce_section(directive: SphinxDirective, call: str) -> nodes.section:
    """The Python that gives the same numbers."""
    sec = section("Reproduce it", "example-reproduce")
    sec += paragraph(directive, "The same numbers, from Python:")
    code = (
        "import backprop\n"
        "from spec.worked_example import worked_example\n\n"
        f"ex = {call}\n"
        "ex.weights, ex.biases, ex.x, ex.y  # the network and the batch\n"
        "ex.zs, ex.activations, ex.deltas   # forward values and errors\n"
        "ex.grad_w, ex.grad_b               # the oracle's gradients\n"
        "grad_w, grad_b = backprop.gradients(ex.weights, ex.biases, ex.x, ex.y, "
        "cost=ex.cost)"
    )
    sec += literal(code, "python")
    return sec
