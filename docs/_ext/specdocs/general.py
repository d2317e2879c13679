"""Sphinx directives that run :func:`spec.prove_general` at build time.

``.. general-proof::`` shows the lemma table of the proof for every size: each
lemma's statement typeset from the LaTeX the proof printed, how it was
discharged, what it rests on and its time; the instance rows for every cost of a
sigmoid network and for each other elementwise activation (with the quadratic
cost, the one those outputs take).

``.. general-proof-variants::`` shows, for each wrong recursion of
:data:`spec.recursion.VARIANTS`, the lemma at which the general proof fails.

A correct recursion that does not prove, or a wrong one that does, fails the
build.
"""

from __future__ import annotations

import functools
from typing import Any

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from specdocs.render import note_source_dependencies

STATUS = {"assumption": "assumed", "induction": "argued"}


#: (cost, activation) of the instance rows shown: the sigmoid network's costs,
#: then each other elementwise activation with the quadratic cost.
INSTANCES = (
    ("quadratic", "sigmoid"),
    ("cross_entropy", "sigmoid"),
    ("quadratic", "tanh"),
    ("quadratic", "relu"),
    ("quadratic", "identity"),
)


@functools.cache
def proof(cost: str, variant: str = "correct", activation: str = "sigmoid") -> Any:
    """:func:`spec.prove_general` once per build and arguments."""
    from spec.general import prove_general

    return prove_general(cost=cost, activation=activation, variant=variant)


def cell(*children: nodes.Node | str) -> nodes.entry:
    """A table cell holding one paragraph of text and inline nodes."""
    paragraph = nodes.paragraph()
    for child in children:
        paragraph += nodes.Text(child) if isinstance(child, str) else child
    entry = nodes.entry()
    entry += paragraph
    return entry


def grid(
    header: tuple[str, ...], rows: list[list[nodes.entry]], widths: tuple[int, ...]
) -> nodes.table:
    """A docutils table with a header row."""
    table = nodes.table(classes=["general-proof"])
    group = nodes.tgroup(cols=len(widths))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    title = nodes.row()
    for text in header:
        title += cell(text)
    head += title
    body = nodes.tbody()
    group += body
    for entries in rows:
        row = nodes.row()
        for entry in entries:
            row += entry
        body += row
    return table


def lemma_row(lemma: Any) -> list[nodes.entry]:
    """Name, statement (math), how discharged (and what it rests on), status."""
    status = STATUS.get(lemma.kind, "proven" if lemma.proven else "FAILS")
    how = lemma.method + (f"; rests on {', '.join(lemma.uses)}" if lemma.uses else "")
    return [
        cell(nodes.strong(lemma.name, lemma.name)),
        cell(nodes.math(lemma.statement, rf"\displaystyle {lemma.statement}")),
        cell(how),
        cell(f"{status}, {lemma.seconds:.3f} s"),
    ]


class GeneralProofTable(SphinxDirective):
    """The lemma table of :func:`spec.prove_general`, instances for :data:`INSTANCES`."""

    def run(self) -> list[nodes.Node]:
        note_source_dependencies(self.env)
        proofs = []
        for cost, activation in INSTANCES:
            result = proof(cost, activation=activation)
            if not result.proven:
                raise self.error(
                    f"spec.prove_general(cost={cost!r}, activation={activation!r}) "
                    f"failed:\n{result}"
                )
            proofs.append(result)
        # The general rows once, then each cost's instances (the activation's once).
        lemmas = {lemma.name: lemma for result in proofs for lemma in result.lemmas}
        general = [lem for lem in proofs[0].lemmas if lem.kind != "instance"]
        instances = [lem for lem in lemmas.values() if lem.kind == "instance"]
        rows = [lemma_row(lemma) for lemma in (*general, *instances)]
        header = ("Row", "Statement", "How discharged", "Status, time")
        table = grid(header, rows, (12, 44, 30, 14))
        total = ", ".join(
            f"{result.seconds:.2f} s ({result.cost}, {result.activation})"
            for result in proofs
        )
        summary = nodes.paragraph(
            text=(
                f"spec.prove_general() at this build: proven for every size, in "
                f"{total}."
            )
        )
        return [table, summary]


class GeneralProofVariants(SphinxDirective):
    """Each wrong recursion and the lemma at which the general proof fails."""

    def run(self) -> list[nodes.Node]:
        note_source_dependencies(self.env)
        from spec.recursion import VARIANTS

        rows = []
        for variant, meaning in VARIANTS.items():
            if variant == "correct":
                continue
            result = proof("cross_entropy", variant)
            if result.proven or result.broken_lemma is None:
                raise self.error(f"wrong recursion {variant!r} was proven:\n{result}")
            lemma = result.lemma(result.broken_lemma)
            rows.append(
                [
                    cell(nodes.literal(variant, variant)),
                    cell(meaning),
                    cell(nodes.strong(lemma.name, lemma.name)),
                    cell(lemma.method),
                ]
            )
        header = ("Recursion", "What is wrong", "Fails at", "How")
        return [grid(header, rows, (16, 30, 10, 44))]
