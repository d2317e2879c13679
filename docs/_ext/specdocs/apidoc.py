"""The API reference: ``package-module``, the coverage check, re-exported names."""

from __future__ import annotations

import importlib
import inspect
import sys
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.parsing import nested_parse_to_nodes

from specdocs.render import lookup

logger = logging.getLogger(__name__)


class PackageModule(SphinxDirective):
    """``automodule`` of a submodule, less the names its package re-exports.

    A re-exported name is documented once, under the package (``spec.gradcheck``
    rather than ``spec.gradcheck.gradcheck``); the submodule's page keeps its
    docstring and its own names. With ``:shadowed:`` (the package has a function
    of the module's name, as ``spec.gradcheck``) the module is not registered as a
    cross-reference target, so the two do not collide.
    """

    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {"shadowed": directives.flag}

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        package = name.rpartition(".")[0]
        importlib.import_module(name)
        module = sys.modules[name]
        exported = set(getattr(importlib.import_module(package), "__all__", ()))
        own = [n for n in getattr(module, "__all__", ()) if n not in exported]
        if "shadowed" not in self.options:
            lines = [f".. automodule:: {name}"]
            lines.append(f"   :members: {', '.join(own)}" if own else "   :no-members:")
        else:
            # The package re-exports a function of the module's own name: show the
            # module's docstring without registering the module as an object, and
            # document its own names one by one.
            lines = [f".. automodule:: {name}", "   :no-members:", "   :no-index:"]
            lines += ["", f".. currentmodule:: {name}", ""]
            for member in own:
                obj = getattr(module, member)
                kind = (
                    "class"
                    if inspect.isclass(obj)
                    else "function"
                    if inspect.isfunction(obj)
                    else "data"
                )
                lines.append(f".. auto{kind}:: {member}")
        return nested_parse_to_nodes(
            self.state, StringList(lines, source=self.get_source_info()[0])
        )


def check_api_coverage(app: Sphinx, env: BuildEnvironment) -> None:
    """Warn about every public name that the API reference does not document."""
    documented = set(env.get_domain("py").objects)  # type: ignore[attr-defined]
    for package in app.config.specdocs_api_packages:
        module = importlib.import_module(package)
        for name in getattr(module, "__all__", ()):
            full = f"{package}.{name}"
            if full in documented:
                continue
            if any(
                key.startswith(f"{package}.") and key.endswith(f".{name}")
                for key in documented
            ):
                continue
            logger.warning(
                "specdocs: %s is in %s.__all__ but not documented in the API reference",
                full,
                package,
            )


def resolve_reexport(
    app: Sphinx, env: BuildEnvironment, node: Any, contnode: nodes.Element
) -> nodes.Element | None:
    """Resolve a reference to a re-exported name to where it is documented.

    A docstring of ``spec.derive`` writes :func:`direct_gradients`, and one of
    ``spec.prove`` :data:`spec.recursion.VARIANTS`; the API reference documents both
    under the package, as ``spec.direct_gradients`` and ``spec.VARIANTS``. The
    reference is redirected when the package's name is the very same object.
    """
    if node.get("refdomain") != "py" or node.get("reftype") == "mod":
        return None
    target = node["reftarget"]
    module = node.get("py:module")
    name = target.rpartition(".")[2]
    domain = env.get_domain("py")
    for package in app.config.specdocs_api_packages:
        dotted = target if "." in target else f"{module or package}.{target}"
        if not dotted.startswith(f"{package}."):
            continue
        candidate = f"{package}.{name}"
        if candidate != dotted and name in getattr(
            sys.modules.get(package), "__all__", ()
        ):
            obj = lookup(dotted)
            if obj is None or obj is not getattr(sys.modules[package], name, None):
                continue
        else:
            # A docstring shown under the package names a sibling of its own
            # module: the one documented object of that name in the package.
            found = [
                key
                for key in domain.objects  # type: ignore[attr-defined]
                if key.startswith(f"{package}.") and key.endswith(f".{name}")
            ]
            if len(found) != 1:
                continue
            candidate = found[0]
        return domain.resolve_xref(
            env, node["refdoc"], app.builder, node["reftype"], candidate, node, contnode
        )
    return None
