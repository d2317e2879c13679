"""``spec-equation``: a displayed equation printed from :mod:`spec` at build time.

The equations themselves are built by :mod:`spec.latex` (where the tests reach
them); this module maps a directive's argument and options onto those builders.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

from specdocs.render import math_block, note_source_dependencies


def sizes(text: str) -> tuple[int, ...]:
    """``"2,3,2"`` as ``(2, 3, 2)``."""
    return tuple(int(n) for n in text.split(","))


def builders() -> dict[str, tuple[Callable[..., Any], dict[str, Any]]]:
    """Directive argument -> (builder of :mod:`spec.latex`, {option: converter})."""
    import spec.latex as sl

    return {
        "forward": (sl.display_forward, {}),
        "bp": (sl.display_bp, {"which": str}),
        "batch": (sl.display_batch, {}),
        "cost": (sl.display_cost, {"cost": str}),
        "sigma-prime": (sl.display_sigma_prime, {}),
        "cross-entropy-shortcut": (sl.display_cross_entropy_shortcut, {}),
        "quadratic-residual": (sl.display_quadratic_residual, {}),
        "forward-network": (sl.display_forward_network, {"sizes": sizes}),
        "bp1-network": (sl.display_bp1_network, {"cost": str}),
        "bp2-network": (sl.display_bp2_network, {"sizes": sizes}),
        "bp3-network": (sl.display_bp3_network, {"sizes": sizes, "m": int}),
        "bp4-network": (sl.display_bp4_network, {"sizes": sizes, "m": int}),
        "direct": (sl.display_direct, {"sizes": sizes, "cost": str}),
        "activation": (sl.display_activation, {"activation": str}),
        "activation-derivative": (
            sl.display_activation_derivative,
            {"activation": str},
        ),
        "activation-bp1": (sl.display_activation_bp1, {"activation": str}),
        "shortcut": (sl.display_shortcut, {"cost": str, "activation": str}),
        "l2": (sl.display_l2, {}),
    }


@functools.cache
def build_equation(name: str, options: tuple[tuple[str, str], ...]) -> Any:
    """The :class:`spec.latex.Display` ``name`` with ``options``, once per build."""
    builder, converters = builders()[name]
    given = dict(options)
    missing = set(converters) - set(given)
    unknown = set(given) - set(converters)
    if missing or unknown:
        raise ValueError(
            f"spec-equation {name} takes options {sorted(converters)}; "
            f"missing {sorted(missing)}, unknown {sorted(unknown)}"
        )
    return builder(**{k: converters[k](v) for k, v in given.items()})


class SpecEquation(SphinxDirective):
    """A displayed equation printed from spec's SymPy expressions at build time.

    The argument names the equation (a key of :func:`builders`); options give its
    sizes, cost or batch. A proof that fails (or a claim that should fail but holds)
    fails the build.
    """

    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {
        "sizes": directives.unchanged_required,
        "cost": directives.unchanged_required,
        "m": directives.unchanged_required,
        "which": directives.unchanged_required,
        "activation": directives.unchanged_required,
    }

    def run(self) -> list[nodes.Node]:
        note_source_dependencies(self.env)
        name = self.arguments[0]
        known = builders()
        if name not in known:
            raise self.error(
                f"unknown spec-equation {name!r}; known: {', '.join(known)}"
            )
        try:
            eq = build_equation(name, tuple(sorted(self.options.items())))
        except Exception:
            raise self.error(
                f"spec-equation {name}:\n{traceback.format_exc()}"
            ) from None
        if not eq.ok:
            raise self.error(f"spec-equation {name}: {eq.source}: {eq.note}")
        block = math_block(eq.rows, self.env.docname)
        block["classes"].append("spec-equation")
        source = nodes.paragraph(classes=["spec-source"])
        source += nodes.Text("From spec: ")
        for index, call in enumerate(eq.source.split("; ")):
            if index:
                source += nodes.Text(" and ")
            source += nodes.literal(call, call)
        if eq.note:
            source += nodes.Text(f": {eq.note}.")
        return [block, source]
