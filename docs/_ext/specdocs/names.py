"""``notation-names``: the glossary of :mod:`specdocs.glossary`, checked and shown.

The build fails, listing every drift, when a name of the glossary is missing from
the code or the two packages disagree (see :func:`specdocs.drift.check_glossary`).
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from specdocs import drift, glossary
from specdocs.drift import check_glossary, import_object, required_parameters
from specdocs.glossary import COST_FORMULAS, QUANTITIES, Name, Quantity
from specdocs.render import note_source_dependencies, paragraph, table


def name_cell(quantity: Quantity, names: tuple[Name, ...]) -> str:
    """The names of one package as inline rST; an equation with its parameters."""
    cells = []
    for name in names:
        if quantity.signature is not None:
            params = ", ".join(required_parameters(import_object(name.obj)))
            cells.append(
                f"``{name.shown}({params})`` in ``{name.obj.rsplit('.', 1)[0]}``"
            )
        elif name.param:
            cells.append(f"``{name.shown}``, of ``{name.obj}``")
        else:
            cells.append(f"``{name.obj}``")
    return "; ".join(cells)


class NotationNames(SphinxDirective):
    """Tables of the notation's quantities and costs with their names in the code.

    Every name is looked up in the code when the page is built; a drift fails the
    build with the list of what differs.
    """

    def run(self) -> list[nodes.Node]:
        note_source_dependencies(self.env)
        for module in (glossary, drift):
            self.env.note_dependency(str(module.__file__))
        problems = check_glossary()
        if problems:
            raise self.error(
                "notation-names: the code has drifted from the glossary "
                "(docs/_ext/specdocs/glossary.py):\n"
                + "\n".join(f"  - {p}" for p in problems)
            )
        rows = [
            (
                f":math:`{q.symbol}`",
                q.meaning,
                name_cell(q, q.backprop),
                name_cell(q, q.spec),
            )
            for q in QUANTITIES
        ]
        quantities = table(
            self,
            ("Symbol", "Quantity", "In ``backprop``", "In ``spec``"),
            rows,
            (10, 30, 30, 30),
            ["notation-names"],
        )
        costs = import_object("spec.COSTS")
        cost_rows = [
            (f"``{name!r}``", f":math:`{formula}`")
            for name, formula in COST_FORMULAS
            if name in costs
        ]
        cost_table = table(
            self,
            ("Name in ``COSTS``", "Per-example cost"),
            cost_rows,
            (25, 75),
            ["notation-costs"],
        )
        intro: list[Any] = paragraph(
            self,
            "Both packages name each cost alike, in ``backprop.COSTS`` and "
            "``spec.COSTS`` (tuples of the same names, in the same order):",
        )
        return [quantities, *intro, cost_table]
