"""``worked-example``: a small network with concrete numbers, checked at build time.

The numbers come from :func:`spec.worked_example.worked_example` (the oracle);
:mod:`specdocs.example_check` compares them with :func:`backprop.gradients`.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

from specdocs.example_check import (
    check_section,
    relative_difference,
    reproduce_section,
)
from specdocs.render import (
    fmt,
    math_block,
    note_source_dependencies,
    paragraph,
    parse_arguments,
    section,
)
from specdocs.vocabulary import COST_NAMES

#: Significant digits of the numbers shown.
EXAMPLE_DIGITS = 6


@functools.cache
def make_example(sizes: tuple[int, ...], m: int, cost: str, seed: int) -> Any:
    """:func:`spec.worked_example.worked_example`, once per build."""
    from spec.worked_example import worked_example

    return worked_example(sizes, m, cost, seed)


class WorkedExample(SphinxDirective):
    """A network with concrete numbers: forward pass, errors, gradients, checked.

    Argument: ``sizes=2,3,2 m=2 cost=cross_entropy seed=1``, passed to
    :func:`spec.worked_example.worked_example`, which computes every number with
    the oracle; option ``:lr:``, the learning rate of the descent step shown. The
    build fails when :func:`backprop.gradients` differs from the oracle by more
    than :data:`specdocs.example_check.EXAMPLE_RTOL` relative in any entry, or when
    the descent step does not lower the cost.
    """

    required_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar[dict[str, Any]] = {"lr": directives.positive_int}

    def run(self) -> list[nodes.Node]:
        note_source_dependencies(self.env)
        try:
            args = parse_arguments(self.arguments[0])
            sizes = tuple(int(n) for n in args["sizes"].split(","))
            m, cost, seed = int(args["m"]), args["cost"], int(args["seed"])
            ex = make_example(sizes, m, cost, seed)
            self.tex = ex.latex(EXAMPLE_DIGITS)
        except Exception:
            raise self.error(
                f"worked-example {self.arguments[0]!r}:\n{traceback.format_exc()}"
            ) from None
        call = f"worked_example({sizes}, m={m}, cost={cost!r}, seed={seed})"
        self.out: list[nodes.Node] = []
        self.network(ex)
        self.forward(ex)
        self.errors(ex)
        self.gradients(ex)
        try:
            self.out.append(check_section(self, ex, self.options.get("lr", 1)))
        except ValueError as exc:
            raise self.error(str(exc)) from None
        self.out.append(reproduce_section(self, call))
        return self.out

    def section(self, title: str, ident: str) -> nodes.section:
        sec = section(title, f"example-{ident}")
        self.out.append(sec)
        return sec

    def display(self, sec: nodes.section, rows: Sequence[str]) -> None:
        block = math_block(rows, self.env.docname)
        block["classes"].append("spec-equation")
        sec += block

    def pair(self, left: str, right: str, middle: str = "") -> str:
        """``left = (matrix)``, ``right = (matrix)`` as one aligned row."""
        return rf"{left} &= {self.tex[left]}, & {right} &= {middle}{self.tex[right]}"

    def network(self, ex: Any) -> None:
        sizes, L = ex.sizes, len(ex.sizes) - 1
        sec = self.section("The network and the batch", "network")
        layers = ", ".join(
            f"{n} neurons in layer {l}" for l, n in enumerate(sizes) if l
        )
        sec += paragraph(
            self,
            f"Layer sizes :math:`{list(sizes)}`: {sizes[0]} inputs, {layers}, so "
            f":math:`L = {L}`. No weight matrix is square, so a missing transpose "
            "would be a shape error rather than a silent mistake. Weights and "
            "biases drawn from :math:`\\mathcal{N}(0, 1)`:",
        )
        self.display(
            sec, [self.pair(f"W^{{{l}}}", f"b^{{{l}}}") for l in range(1, L + 1)]
        )
        sec += paragraph(
            self,
            f"A batch of :math:`m = {ex.m}` examples, one per column (column "
            ":math:`k` is example :math:`k`; the arrays of :mod:`backprop` hold "
            "the same numbers with one example per row), with one-hot targets and "
            f"the {COST_NAMES[ex.cost]} cost:",
        )
        self.display(sec, [self.pair("x", "y").replace("x &=", "x = a^{0} &=")])

    def forward(self, ex: Any) -> None:
        L = len(ex.sizes) - 1
        sec = self.section("Forward pass", "forward")
        sec += paragraph(
            self,
            r"Layer by layer, :math:`z^l = W^l a^{l-1} + b^l` and "
            r":math:`a^l = \sigma(z^l)`, one column per example:",
        )
        self.display(
            sec,
            [
                self.pair(f"z^{{{l}}}", f"a^{{{l}}}", rf"\sigma(z^{{{l}}}) = ")
                for l in range(1, L + 1)
            ],
        )

    def errors(self, ex: Any) -> None:
        sizes, L = ex.sizes, len(ex.sizes) - 1
        sec = self.section("Errors, layer by layer", "errors")
        text = (
            rf"BP1 gives the output error :math:`\delta^{{{L}}} = \nabla_a C \odot "
            rf"\sigma'(z^{{{L}}})`"
        )
        if ex.cost == "cross_entropy":
            if relative_difference(ex.deltas[-1], ex.activations[-1] - ex.y) > 1e-12:
                raise self.error("the output error differs from a^L - y")
            text += (
                rf", which for the cross-entropy equals :math:`a^{{{L}}} - y` "
                "(proved in :doc:`/derivation/cross-entropy`): subtract :math:`y` "
                rf"from :math:`a^{{{L}}}` above and compare"
            )
        sec += paragraph(self, text + ":")
        key = rf"\delta^{{{L}}}"
        self.display(sec, [rf"{key} = {self.tex[key]}"])
        if L == 1:
            return
        sec += paragraph(
            self,
            r"BP2 carries it back, :math:`\delta^l = ((W^{l+1})^T \delta^{l+1}) "
            r"\odot \sigma'(z^l)` with :math:`\sigma'(z) = \sigma(z)(1 - "
            rf"\sigma(z))`: the transpose turns the {sizes[-1]} entries of a column "
            rf"of :math:`\delta^{{{L}}}` into the {sizes[-2]} of a column of "
            rf":math:`\delta^{{{L - 1}}}`:",
        )
        keys = [rf"\delta^{{{l}}}" for l in range(L - 1, 0, -1)]
        self.display(sec, [rf"{k} &= {self.tex[k]}" for k in keys])

    def gradients(self, ex: Any) -> None:
        sizes, L, m = ex.sizes, len(ex.sizes) - 1, ex.m
        sec = self.section("Gradients", "gradients")
        sec += paragraph(
            self,
            r"BP3 and BP4, averaged over the batch: :math:`\partial C / \partial b^l "
            r"= \frac1m \sum_k \delta^l_k`, the mean of the columns of "
            r":math:`\delta^l`, and :math:`\partial C / \partial W^l = \frac1m "
            r"\sum_k \delta^l_k (a^{l-1}_k)^T`, a mean of outer products with the "
            r"shape of :math:`W^l`. The values are the oracle's, from "
            ":func:`spec.oracle_gradients`: the direct derivative of the composed "
            "cost, evaluated to 50 digits.",
        )
        self.display(
            sec,
            [
                self.pair(
                    rf"\frac{{\partial C}}{{\partial W^{{{l}}}}}",
                    rf"\frac{{\partial C}}{{\partial b^{{{l}}}}}",
                )
                for l in range(1, L + 1)
            ],
        )
        i, j = sizes[-1] - 1, 0
        terms = " + ".join(
            rf"({fmt(ex.deltas[-1][k, i])}) \cdot ({fmt(ex.activations[-2][k, j])})"
            for k in range(m)
        )
        entry = float(np.mean(ex.deltas[-1][:, i] * ex.activations[-2][:, j]))
        if relative_difference(entry, ex.grad_w[-1][i, j]) > 1e-12:
            raise self.error("BP4 by hand differs from the oracle's gradient entry")
        sec += paragraph(
            self,
            f"One entry by hand, :math:`i = {i}`, :math:`j = {j}` (counting from 0, "
            rf"as the arrays do), from row {i} of :math:`\delta^{{{L}}}` and row "
            rf"{j} of :math:`a^{{{L - 1}}}` above:",
        )
        self.display(
            sec,
            [
                (
                    rf"\frac{{\partial C}}{{\partial w^{{{L}}}_{{{i},{j}}}}} = "
                    rf"\frac1{{{m}}} \sum_{{k}} \delta^{{{L}}}_{{k,{i}}}\, "
                    rf"a^{{{L - 1}}}_{{k,{j}}} = \frac1{{{m}}} \left({terms}\right) = "
                    rf"{fmt(entry)}"
                )
            ],
        )
