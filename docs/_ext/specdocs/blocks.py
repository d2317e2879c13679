"""``spec-block-proofs``: the proof table of :func:`spec.blocks.prove_blocks`, run
while the page is built; a row not proven fails the build."""

from __future__ import annotations

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.parsing import nested_parse_to_nodes


class SpecBlockProofs(SphinxDirective):
    """The table of every layer's backward proof: status, scope, method."""

    def run(self) -> list[nodes.Node]:
        from spec.blocks import prove_blocks

        proofs = prove_blocks()
        failed = [f"{r.kind} {r.gradient}" for r in proofs.rows if not r.proven]
        if failed:
            raise self.error(f"spec-block-proofs: not proven: {', '.join(failed)}")
        lines = StringList(proofs.rst().splitlines(), source=self.get_source_info()[0])
        return nested_parse_to_nodes(self.state, lines)
