"""``spec-block-proofs``: the proof table of :func:`spec.blocks.prove_blocks`, run
while the page is built, for every layer or the layers named as its arguments; a
row not proven fails the build."""

from __future__ import annotations

import functools
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.parsing import nested_parse_to_nodes


@functools.cache
def proofs_of(kind: str) -> Any:
    """:func:`spec.blocks.prove_blocks` of one layer, once per build (the index
    page's table and each layer's page share it)."""
    from spec.blocks import prove_blocks

    return prove_blocks([kind])


def proofs(kinds: tuple[str, ...]) -> Any:
    """The table of ``kinds`` (every layer when empty)."""
    from spec.blocks import BlockProofs
    from spec.blocks.theorems import PROVERS

    tables = [proofs_of(kind) for kind in kinds or tuple(PROVERS)]
    return BlockProofs(
        tuple(row for table in tables for row in table.rows),
        sum(table.seconds for table in tables),
    )


class SpecBlockProofs(SphinxDirective):
    """The table of the layers' backward proofs: status, scope, method."""

    optional_arguments = 10

    def run(self) -> list[nodes.Node]:
        table = proofs(tuple(self.arguments))
        failed = [f"{r.kind} {r.gradient}" for r in table.rows if not r.proven]
        if failed:
            raise self.error(f"spec-block-proofs: not proven: {', '.join(failed)}")
        lines = StringList(table.rst().splitlines(), source=self.get_source_info()[0])
        return nested_parse_to_nodes(self.state, lines)
