"""``spec-activation-page`` and ``spec-cost-page``: the directives that parse the
pages :mod:`specdocs.layer_pages` writes, a page per activation and per cost.
"""

from __future__ import annotations

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

from specdocs.layer_pages import activation_page, cost_page
from specdocs.render import note_source_dependencies


class _Page(SphinxDirective):
    required_arguments = 1

    def body(self, name: str) -> list[str]:
        raise NotImplementedError

    def run(self) -> list[nodes.Node]:
        note_source_dependencies(self.env)
        try:
            lines = self.body(self.arguments[0])
        except ValueError as exc:
            raise self.error(str(exc)) from None
        source = self.get_source_info()[0] or self.env.docname
        content = StringList(lines, source=source)
        node = nodes.container(classes=["spec-page"])
        nested_parse_with_titles(self.state, content, node)
        return node.children


class SpecActivationPage(_Page):
    """``.. spec-activation-page:: tanh``: the body of an activation's page."""

    def body(self, name: str) -> list[str]:
        return activation_page(name)


class SpecCostPage(_Page):
    """``.. spec-cost-page:: log_likelihood`` (or ``l2``): the body of a cost's page."""

    def body(self, name: str) -> list[str]:
        return cost_page(name)
