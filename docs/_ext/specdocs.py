"""Sphinx extension: pages generated from :mod:`spec` and checked against :mod:`backprop`.

Directives
----------
``run-python``
    Run a block of Python at build time and show the code and what it printed.
    ``:expect: TEXT`` fails the build unless the output contains ``TEXT``, so the
    prose around an example cannot drift from what the example does.
``spec-equation``
    A displayed equation printed from :mod:`spec`'s SymPy expressions (BP1-BP4
    for a given network or cost, the costs and their derivatives, the direct
    derivative, the sigmoid and shortcut identities with their proofs).
``spec-proof`` / ``spec-proofs``
    Run :func:`spec.prove_backprop` for the given sizes, batch, cost and recursion
    and show what was proven, for which network, how, and how long it took (one
    proof as a block, or several as a table). A correct recursion that is not
    proven, or a wrong one that is, fails the build.
``worked-example``
    A small network with concrete numbers: forward values, the error of every
    layer and every gradient, computed by the oracle, then compared with
    :func:`backprop.gradients`; a difference above 1e-10 relative fails the build.
``source-code``
    The current source of a function of either package, less its docstring, so
    that "in the code" passages show the code as it is.
``presets-table``
    The training presets of ``backprop train``, read from the code.
``package-module``
    ``automodule`` of a submodule without the names its package re-exports, which
    the API reference documents under the package.
``nox-sessions``
    A table of the sessions in ``noxfile.py`` (name, whether plain ``nox`` runs it,
    the first paragraph of its docstring).

Build-level duties
------------------
- MathJax 3 is copied from ``specdocs_mathjax_dir`` (``npm ci`` in ``docs/``) into
  ``_static/mathjax`` of the HTML build, so no page needs a network.
- Every name in the ``__all__`` of each package in ``specdocs_api_packages`` must be
  documented in the API reference; a missing one is a warning (an error under ``-W``).
- A page that runs code depends on the source files of both packages, so changing
  the code rebuilds the pages generated from it.
- A docstring's reference to a name its package re-exports (``:func:`gradcheck```
  inside ``spec.gradcheck``) resolves to where the API reference documents it.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import functools
import importlib
import inspect
import io
import math
import os
import shutil
import sys
import textwrap
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import ExtensionError
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.parsing import nested_parse_to_nodes

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
#: The packages whose source a generated page depends on.
SOURCE_PACKAGES = ("backprop", "spec")
#: The parts of the MathJax distribution a page can load: the combined TeX/CHTML
#: component, its fonts, the TeX extensions it autoloads, and what the contextual
#: menu loads on request (accessibility, speech).
MATHJAX_PARTS = (
    "tex-chtml.js",
    "input/tex/extensions",
    "output/chtml/fonts/woff-v2",
    "a11y",
    "sre",
    "ui",
)


# --- helpers ----------------------------------------------------------------------------


def note_source_dependencies(env: BuildEnvironment) -> None:
    """Rebuild the current page whenever a source file of either package changes."""
    for package in SOURCE_PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            env.note_dependency(str(path))


def parse_arguments(text: str) -> dict[str, str]:
    """``"sizes=2,3,2 m=2 cost=quadratic"`` as ``{"sizes": "2,3,2", ...}``."""
    out: dict[str, str] = {}
    for item in text.split():
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise ValueError(f"expected key=value arguments, got {item!r} in {text!r}")
        out[key] = value
    return out


def literal(text: str, language: str = "text") -> nodes.literal_block:
    """A literal block of ``text``, highlighted as ``language``."""
    node = nodes.literal_block(text, text)
    node["language"] = language
    return node


# --- numbers, LaTeX and tables ---------------------------------------------------------


def fmt(value: float, digits: int = 6) -> str:
    """``value`` to ``digits`` significant digits, as LaTeX."""
    value = float(value)
    if value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value)))
    if -3 <= exponent < 4:
        return f"{value:.{max(0, digits - 1 - exponent)}f}"
    mantissa, power = f"{value:.{digits - 1}e}".split("e")
    return rf"{mantissa} \times 10^{{{int(power)}}}"


def math_block(rows: Sequence[str], docname: str) -> nodes.math_block:
    """One displayed equation, unnumbered; its rows are aligned at ``&``."""
    latex = (
        rows[0]
        if len(rows) == 1 and "&" not in rows[0]
        else (r"\begin{aligned} " + r" \\ ".join(rows) + r" \end{aligned}")
    )
    node = nodes.math_block(latex, latex, nowrap=False, number=None)
    node["docname"] = docname
    return node


def paragraph(directive: SphinxDirective, text: str) -> list[nodes.Node]:
    """One paragraph of inline reStructuredText (roles such as ``:math:`` work)."""
    text_nodes, messages = directive.state.inline_text(text, directive.lineno)
    return [nodes.paragraph("", "", *text_nodes), *messages]


def table(
    directive: SphinxDirective,
    header: Sequence[str] | None,
    rows: Sequence[Sequence[str]],
    widths: Sequence[int],
    classes: Sequence[str] = (),
) -> nodes.table:
    """A table whose cells are inline reStructuredText; ``header=None`` for none."""
    node = nodes.table(classes=list(classes))
    group = nodes.tgroup(cols=len(widths))
    node += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    body = nodes.tbody()
    if header is not None:
        head = nodes.thead()
        group += head
        head += make_row(directive, header)
    group += body
    for cells in rows:
        body += make_row(directive, cells)
    return node


def make_row(directive: SphinxDirective, cells: Sequence[str]) -> nodes.row:
    """A table row of inline reStructuredText cells."""
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        entry += paragraph(directive, cell)
        row += entry
    return row


# --- run-python ---------------------------------------------------------------------------


class RunPython(SphinxDirective):
    """Run Python at build time; show the code, then its output.

    The blocks of one page share a namespace, in page order. An exception, or an
    output without the ``:expect:`` text, fails the build.
    """

    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {
        "expect": directives.unchanged_required,
        "hide-code": directives.flag,
        "hide-output": directives.flag,
    }

    def run(self) -> list[nodes.Node]:
        note_source_dependencies(self.env)
        code = "\n".join(self.content)
        namespace = self.env.temp_data.setdefault("specdocs_namespace", {})
        where = f"{self.env.docname}:{self.lineno}"
        out = io.StringIO()
        old_columns = os.environ.get("COLUMNS")
        os.environ["COLUMNS"] = "76"  # argparse wraps help to the width of the page
        try:
            with contextlib.redirect_stdout(out):
                try:
                    exec(compile(code, where, "exec"), namespace)
                except SystemExit as exc:  # argparse's --help ends this way
                    if exc.code not in (0, None):
                        raise
        except BaseException:
            raise self.error(
                f"run-python block at {where} raised:\n{traceback.format_exc()}"
            ) from None
        finally:
            if old_columns is None:
                del os.environ["COLUMNS"]
            else:
                os.environ["COLUMNS"] = old_columns
        output = out.getvalue().rstrip()
        expect = self.options.get("expect")
        if expect is not None and expect not in output:
            raise self.error(
                f"run-python block at {where}: output lacks {expect!r}; it was:\n{output}"
            )
        result: list[nodes.Node] = []
        if "hide-code" not in self.options:
            result.append(literal(code, "python"))
        if "hide-output" not in self.options and output:
            block = literal(output)
            block["classes"].append("run-output")
            result.append(block)
        return result


# --- spec-proof and spec-proofs -------------------------------------------------------------

COST_NAMES = {"cross_entropy": "cross-entropy", "quadratic": "quadratic"}


@dataclasses.dataclass(frozen=True)
class ProofRequest:
    """One :func:`spec.prove_backprop` call, from ``key=value`` arguments."""

    sizes: tuple[int, ...]
    m: int = 1
    cost: str = "cross_entropy"
    variant: str = "correct"
    evaluations: int = 3
    seed: int = 0
    expect: str = ""  # "proven" or "disproven"; by default proven iff correct

    @classmethod
    def parse(cls, text: str) -> ProofRequest:
        """From ``"sizes=3,4,3,2 m=2 cost=cross_entropy [variant=...] ..."``."""
        args = parse_arguments(text)
        unknown = set(args) - {f.name for f in dataclasses.fields(cls)}
        if unknown or "sizes" not in args:
            raise ValueError(
                "spec-proof takes sizes=... and optionally m, cost, variant, "
                f"evaluations, seed, expect; got {text!r}"
            )
        request = cls(
            sizes=tuple(int(n) for n in args["sizes"].split(",")),
            m=int(args.get("m", 1)),
            cost=args.get("cost", "cross_entropy"),
            variant=args.get("variant", "correct"),
            evaluations=int(args.get("evaluations", 3)),
            seed=int(args.get("seed", 0)),
            expect=args.get("expect", ""),
        )
        if request.expect not in ("", "proven", "disproven"):
            raise ValueError(f"expect must be proven or disproven, got {text!r}")
        return request

    @property
    def expected(self) -> bool:
        """Whether the proof should succeed."""
        if self.expect:
            return self.expect == "proven"
        return self.variant == "correct"


@functools.cache
def run_proof(request: ProofRequest) -> Any:
    """:func:`spec.prove_backprop` for ``request``, once per build."""
    from spec.prove import prove_backprop

    return prove_backprop(
        request.sizes,
        request.m,
        request.cost,
        request.variant,
        evaluations=request.evaluations,
        seed=request.seed,
    )


def proof_or_error(directive: SphinxDirective, text: str) -> tuple[ProofRequest, Any]:
    """Run the proof described by ``text``; an unexpected outcome fails the build."""
    try:
        request = ProofRequest.parse(text)
        result = run_proof(request)
    except Exception as exc:
        raise directive.error(f"spec-proof {text!r}: {exc}") from None
    if result.proven != request.expected:
        raise directive.error(
            f"spec-proof {text!r}: expected "
            f"{'proven' if request.expected else 'disproven'}, got: {result}"
        )
    return request, result


def entry_math(label: str) -> str:
    r"""``"∂C/∂w^{2}_{1,0}"`` as inline math."""
    return rf":math:`\partial C / \partial {label.replace('∂C/∂', '')}`"


def mismatch_text(result: Any) -> str:
    """The entries that differ and a counter-example, as inline rST."""
    if result.proven:
        return "none"
    text = (
        f"{len(result.mismatches)} of {result.entries}, first "
        f"{entry_math(result.first_mismatch)}"
    )
    if result.counterexample:
        text += (
            f": direct derivative {result.counterexample['direct']:.6g}, recursion "
            f"{result.counterexample['recursion']:.6g} at a random real point"
        )
    return text


def recursion_name(variant: str) -> str:
    """The recursion a proof checked, as inline rST."""
    return "BP1–BP4" if variant == "correct" else f"``{variant}``"


class SpecProof(SphinxDirective):
    """Run :func:`spec.prove_backprop` at build time and show what it proved.

    The argument is ``sizes=3,4,3,2 m=2 cost=cross_entropy`` and optionally
    ``variant=`` (a wrong recursion, expected to fail), ``evaluations=``,
    ``seed=`` and ``expect=proven|disproven``.
    """

    required_arguments = 1
    final_argument_whitespace = True

    def run(self) -> list[nodes.Node]:
        note_source_dependencies(self.env)
        request, result = proof_or_error(self, self.arguments[0])
        from spec.recursion import VARIANTS

        what = "" if request.variant == "correct" else f" ({VARIANTS[request.variant]})"
        claim = (
            f"{recursion_name(request.variant)}{what} gives "
            f"the same :math:`\\partial C / \\partial w^l_{{ij}}` and "
            f":math:`\\partial C / \\partial b^l_i` as differentiating the mean "
            f"{COST_NAMES[result.cost]} cost directly, in every entry"
        )
        rows = [
            ("Claim", claim),
            (
                "Result",
                "**proven**" if result.proven else "**disproven**, as it should be",
            ),
            (
                "For",
                (
                    f"sizes {list(result.sizes)}, a batch of :math:`m = {result.m}`: "
                    f"{result.entries} gradient entries"
                ),
            ),
            (
                "How",
                (
                    f"both derivations evaluated exactly at {result.evaluations} random "
                    r"points modulo the prime :math:`p = 2^{61} - 1`, with "
                    r":math:`\sigma` and :math:`\ln` uninterpreted (seed "
                    f"{result.seed}); see :doc:`/derivation/proofs`"
                ),
            ),
            (
                "Time",
                (
                    f"{result.derive_seconds:.2f} s deriving, "
                    f"{result.check_seconds:.3f} s checking"
                ),
            ),
            ("Entries that differ", mismatch_text(result)),
        ]
        node = table(self, None, rows, (16, 84), ["spec-proof"])
        node["classes"].append("proven" if result.proven else "disproven")
        return [node]


class SpecProofs(SphinxDirective):
    """A table of proofs, one ``spec-proof`` argument per line of content."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        note_source_dependencies(self.env)
        rows = []
        for line in self.content:
            if not line.strip():
                continue
            request, result = proof_or_error(self, line)
            rows.append(
                (
                    recursion_name(request.variant),
                    "[" + ",".join(map(str, result.sizes)) + "]",
                    str(result.m),
                    COST_NAMES[result.cost],
                    str(result.entries),
                    "proven" if result.proven else "**disproven**",
                    f"{result.seconds:.2f} s",
                    mismatch_text(result),
                )
            )
        header = (
            "Recursion",
            "Sizes",
            ":math:`m`",
            "Cost",
            "Entries",
            "Result",
            "Time",
            "Entries that differ",
        )
        widths = (12, 12, 4, 12, 7, 10, 7, 36)
        return [table(self, header, rows, widths, ["spec-proofs"])]


# --- spec-equation -----------------------------------------------------------------------


def tex(expr: Any, **settings: Any) -> str:
    """LaTeX in the notation of these pages: :func:`spec.latex.latex`."""
    from spec.latex import latex

    return latex(expr, **settings)


def aligned(equation: str, tag: str = "") -> str:
    """``"lhs = rhs"`` as an aligned row ``"lhs &= rhs"``, with an optional tag."""
    lhs, sep, rhs = equation.partition(" = ")
    if not sep:
        raise ValueError(f"expected an equation 'lhs = rhs', got {equation!r}")
    row = f"{lhs} &= {rhs}"
    return rf"{row} && \text{{({tag})}}" if tag else row


def partial(label: str) -> str:
    """``"∂C/∂w^{2}_{1,0}"`` (spec's entry label) as a LaTeX fraction."""
    return rf"\frac{{\partial C}}{{\partial {label.replace('∂C/∂', '')}}}"


def abbreviate_z(
    net: Any, exprs: list[Any], k: int = 0, layers: int | None = None
) -> list[Any]:
    """Replace the weighted inputs of example ``k`` by symbols :math:`z^l_i`.

    Layer by layer from the first (to ``layers``, by default all), so that
    :math:`\\sigma(z^1_j)` inside :math:`z^2_i` is abbreviated before
    :math:`z^2_i` itself.
    """
    from spec.symbols import symbol

    done: dict[Any, Any] = {}
    for layer, z in enumerate(net.zs[:layers], start=1):
        step = {z[k, i].xreplace(done): symbol("z", layer, i) for i in range(z.cols)}
        exprs = [e.xreplace(step) for e in exprs]
        done.update(step)
    return exprs


class Equation:
    """Displayed rows (aligned at ``&``), the spec calls they come from, a verdict.

    ``source`` lists the calls, separated by ``"; "``; ``note`` says what a proof
    found; ``ok`` is False when the build must fail.
    """

    def __init__(
        self, rows: list[str], source: str, ok: bool = True, note: str = ""
    ) -> None:
        self.rows, self.source, self.ok, self.note = rows, source, ok, note


# General statements, as spec.latex exports them.


def eq_forward() -> Equation:
    from spec.latex import forward_equations

    forward = forward_equations()
    return Equation(
        [rf"{forward['z']}, \qquad {forward['a']}"], "spec.latex.forward_equations()"
    )


def eq_bp(which: str) -> Equation:
    from spec.latex import bp_equations

    equations = bp_equations()
    names = list(equations) if which == "all" else [which]
    unknown = set(names) - set(equations)
    if unknown:
        raise ValueError(f"which must be 'all' or one of {list(equations)}")
    if len(names) == 1:
        return Equation(
            [equations[names[0]]], f"spec.latex.bp_equations()[{names[0]!r}]"
        )
    return Equation(
        [aligned(equations[n], n) for n in names], "spec.latex.bp_equations()"
    )


def eq_batch() -> Equation:
    from spec.latex import batch_equations

    equations = batch_equations()
    rows = [aligned(equations["C"])]
    rows += [aligned(equations[n], f"{n}, batch") for n in ("BP3", "BP4")]
    return Equation(rows, "spec.latex.batch_equations()")


def eq_cost(cost: str) -> Equation:
    from spec.latex import cost_equations

    equations = cost_equations()[cost]
    return Equation(
        [aligned(equations["C"]), aligned(equations["dC/da"])],
        f"spec.latex.cost_equations()[{cost!r}]",
    )


def eq_sigma_prime() -> Equation:
    from spec.latex import sigma_prime_identity
    from spec.prove import prove_sigma_prime

    result = prove_sigma_prime()
    first, *rest = sigma_prime_identity().split(" = ")
    rows = [f"{first} &= {rest[0]}"] + [f"&= {step}" for step in rest[1:]]
    return Equation(
        rows,
        "spec.latex.sigma_prime_identity(); spec.prove_sigma_prime()",
        ok=result.proven,
        note=f"{'proven' if result.proven else 'NOT proven'} by {result.method}, "
        f"in {result.seconds:.2f} s",
    )


def eq_cross_entropy_shortcut() -> Equation:
    from spec.latex import cross_entropy_shortcut
    from spec.prove import prove_output_shortcut

    result = prove_output_shortcut("cross_entropy")
    first, *rest = cross_entropy_shortcut().split(" = ")
    rows = [f"{first} &= {rest[0]}"] + [f"&= {step}" for step in rest[1:]]
    return Equation(
        rows,
        "spec.latex.cross_entropy_shortcut(); "
        "spec.prove_output_shortcut('cross_entropy')",
        ok=result.proven,
        note=f"{'proven' if result.proven else 'NOT proven'} for every output "
        f"neuron by {result.method}, in {result.seconds:.2f} s",
    )


def eq_quadratic_residual() -> Equation:
    from spec.latex import quadratic_shortcut_residual
    from spec.prove import prove_output_shortcut

    result = prove_output_shortcut("quadratic")
    note = (
        f"the shortcut {'holds' if result.proven else 'fails'}, as decided by "
        f"{result.method}, "
        f"in {result.seconds:.2f} s"
    )
    if result.counterexample:
        c = result.counterexample
        note += (
            f"; at z = {c['z']:g}, t = {c['t']:g}, BP1 gives δ = {c['lhs']:g} but "
            f"a − t = {c['rhs']:g}"
        )
    # The shortcut must fail for the quadratic cost.
    return Equation(
        [quadratic_shortcut_residual()],
        "spec.latex.quadratic_shortcut_residual(); "
        "spec.prove_output_shortcut('quadratic')",
        ok=not result.proven,
        note=note,
    )


# Instances for a given network, built from spec's symbolic objects.


def eq_forward_network(sizes: tuple[int, ...]) -> Equation:
    from spec.network import symbolic_network

    net = symbolic_network(sizes, 1)
    rows = [
        rf"z^{{1}}_{{{i}}} &= {tex(net.zs[0][0, i])}" for i in range(net.zs[0].cols)
    ]
    L = len(sizes) - 1
    # Every layer but the last abbreviated, to show the last composition.
    (a_out,) = abbreviate_z(net, [net.activations[-1][0, 0]], layers=L - 1)
    rows.append(rf"a^{{{L}}}_{{0}} &= {tex(a_out)}")
    return Equation(rows, f"spec.symbolic_network({list(sizes)}, m=1)")


def output_symbols(n: int) -> tuple[list[Any], list[Any]]:
    from spec.symbols import symbol

    return (
        [symbol("t", None, i) for i in range(n)],
        [symbol("z", "L", i) for i in range(n)],
    )


def eq_bp1_network(cost: str) -> Equation:
    from spec.cost import output_gradient
    from spec.recursion import bp1
    from spec.symbols import sigma

    t, z = output_symbols(2)
    delta = bp1(output_gradient(cost, [sigma(z_i) for z_i in z], t), z)
    rows = [rf"\delta^{{L}}_{{{i}}} &= {tex(d)}" for i, d in enumerate(delta)]
    return Equation(
        rows, f"spec.recursion.bp1(output_gradient({cost!r}, σ(z^L), t), z^L)"
    )


def eq_bp2_network(sizes: tuple[int, ...]) -> Equation:
    from spec.network import symbolic_network
    from spec.recursion import bp2
    from spec.symbols import symbol

    net = symbolic_network(sizes, 1)
    L = len(sizes) - 1
    w_next = net.weights[L - 1]
    delta_next = [symbol(r"\delta", L, i) for i in range(w_next.rows)]
    z = [symbol("z", L - 1, j) for j in range(w_next.cols)]
    rows = [
        rf"\delta^{{{L - 1}}}_{{{j}}} &= {tex(d)}"
        for j, d in enumerate(bp2(w_next, delta_next, z))
    ]
    return Equation(
        rows, f"spec.recursion.bp2(W^{L}, δ^{L}, z^{L - 1}) for sizes {list(sizes)}"
    )


def layer_symbols(sizes: tuple[int, ...], m: int) -> tuple[list[Any], list[Any]]:
    """:math:`a^{l-1}` and :math:`\\delta^l` of ``m`` examples, as symbol rows."""
    from spec.symbols import symbol

    n_in, n_out = sizes

    def index(k: int, i: int) -> tuple[int, ...]:
        return (k, i) if m > 1 else (i,)

    a_prev = [[symbol("a", "l-1", *index(k, j)) for j in range(n_in)] for k in range(m)]
    deltas = [
        [symbol(r"\delta", "l", *index(k, i)) for i in range(n_out)] for k in range(m)
    ]
    return a_prev, deltas


def eq_bp3_network(sizes: tuple[int, ...], m: int) -> Equation:
    import sympy

    from spec.recursion import bp3

    _, deltas = layer_symbols(sizes, m)
    # The common factor 1/m in front, as the batch equations write it.
    grad = bp3(deltas).applyfunc(sympy.factor_terms)
    rows = [
        rf"\frac{{\partial C}}{{\partial b^{{l}}_{{{i}}}}} &= "
        rf"{tex(grad[i], long_frac_ratio=0)}"
        for i in range(grad.rows)
    ]
    return Equation(rows, f"spec.recursion.bp3(δ^l) for {m} example(s)")


def eq_bp4_network(sizes: tuple[int, ...], m: int) -> Equation:
    import sympy

    from spec.recursion import bp4

    a_prev, deltas = layer_symbols(sizes, m)
    grad = bp4(a_prev, deltas).applyfunc(sympy.factor_terms)
    return Equation(
        [
            (
                rf"\frac{{\partial C}}{{\partial W^{{l}}}} &= "
                rf"{tex(grad, long_frac_ratio=0)}"
            )
        ],
        f"spec.recursion.bp4(a^(l-1), δ^l) for {m} example(s)",
    )


def eq_direct(sizes: tuple[int, ...], cost: str) -> Equation:
    from spec.cost import mean_cost
    from spec.derive import direct_gradients
    from spec.network import symbolic_network

    net = symbolic_network(sizes, 1)
    labels, exprs = zip(*direct_gradients(sizes, 1, cost).entries(), strict=True)
    rows = [rf"C &= {tex(mean_cost(net, cost))}"]
    rows += [
        rf"{partial(label)} &= {tex(e)}"
        for label, e in zip(labels, abbreviate_z(net, list(exprs)), strict=True)
    ]
    return Equation(rows, f"spec.direct_gradients({list(sizes)}, m=1, cost={cost!r})")


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in text.split(","))


#: name -> (builder, {option: converter})
EQUATIONS: dict[str, tuple[Any, dict[str, Any]]] = {
    "forward": (eq_forward, {}),
    "bp": (eq_bp, {"which": str}),
    "batch": (eq_batch, {}),
    "cost": (eq_cost, {"cost": str}),
    "sigma-prime": (eq_sigma_prime, {}),
    "cross-entropy-shortcut": (eq_cross_entropy_shortcut, {}),
    "quadratic-residual": (eq_quadratic_residual, {}),
    "forward-network": (eq_forward_network, {"sizes": _sizes}),
    "bp1-network": (eq_bp1_network, {"cost": str}),
    "bp2-network": (eq_bp2_network, {"sizes": _sizes}),
    "bp3-network": (eq_bp3_network, {"sizes": _sizes, "m": int}),
    "bp4-network": (eq_bp4_network, {"sizes": _sizes, "m": int}),
    "direct": (eq_direct, {"sizes": _sizes, "cost": str}),
}


@functools.cache
def build_equation(name: str, options: tuple[tuple[str, str], ...]) -> Equation:
    """The equation ``name`` with ``options``, built from spec once per build."""
    builder, converters = EQUATIONS[name]
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

    The argument names the equation (a key of :data:`EQUATIONS`); options give its
    sizes, cost or batch. A proof that fails (or a claim that should fail but holds)
    fails the build.
    """

    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {
        "sizes": directives.unchanged_required,
        "cost": directives.unchanged_required,
        "m": directives.unchanged_required,
        "which": directives.unchanged_required,
    }

    def run(self) -> list[nodes.Node]:
        note_source_dependencies(self.env)
        name = self.arguments[0]
        if name not in EQUATIONS:
            raise self.error(
                f"unknown spec-equation {name!r}; known: {', '.join(EQUATIONS)}"
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


# --- worked-example ---------------------------------------------------------------------

#: Largest relative difference allowed between backprop and the oracle.
EXAMPLE_RTOL = 1e-10
#: Significant digits of the numbers shown.
EXAMPLE_DIGITS = 6


@functools.cache
def make_example(sizes: tuple[int, ...], m: int, cost: str, seed: int) -> Any:
    """:func:`spec.worked_example.worked_example`, once per build."""
    from spec.worked_example import worked_example

    return worked_example(sizes, m, cost, seed)


def relative_difference(claimed: Any, reference: Any) -> float:
    """Largest entrywise ``|claimed - reference| / |reference|`` (inf where 0 ≠ 0)."""
    claimed, reference = np.asarray(claimed), np.asarray(reference)
    diff = np.abs(claimed - reference)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(
            reference != 0, diff / np.abs(reference), np.where(diff > 0, np.inf, 0.0)
        )
    return float(rel.max())


class WorkedExample(SphinxDirective):
    """A network with concrete numbers: forward pass, errors, gradients, checked.

    Argument: ``sizes=2,3,2 m=2 cost=cross_entropy seed=1``, passed to
    :func:`spec.worked_example.worked_example`, which computes every number with the
    oracle; option ``:lr:``, the learning rate of the descent step shown. The build
    fails when :func:`backprop.gradients` differs from the oracle by more than
    :data:`EXAMPLE_RTOL` relative in any entry, or when the descent step does not
    lower the cost.
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
        self.call = f"spec.worked_example.worked_example({sizes}, m={m}, cost={cost!r}, seed={seed})"
        self.out: list[nodes.Node] = []
        self.network(ex)
        self.forward(ex)
        self.errors(ex)
        self.gradients(ex)
        self.check(ex)
        self.reproduce(ex)
        return self.out

    def section(self, title: str, ident: str) -> nodes.section:
        sec = nodes.section(ids=[f"example-{ident}"], names=[title.lower()])
        sec += nodes.title(title, title)
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
                raise self.error("the output error differs from a^L - t")
            text += (
                rf", which for the cross-entropy equals :math:`a^{{{L}}} - t` "
                "(proved in :doc:`/derivation/cross-entropy`): subtract :math:`t` "
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

    def check(self, ex: Any) -> None:
        import backprop

        L = len(ex.sizes) - 1
        sec = self.section("Checked against backprop", "check")
        grad_w, grad_b = backprop.gradients(
            ex.weights, ex.biases, ex.x, ex.y, cost=ex.cost
        )
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
            raise self.error(
                "backprop.gradients differs from the oracle by more than "
                f"{EXAMPLE_RTOL:g} relative: " + ", ".join(failures)
            )
        sec += paragraph(
            self,
            ":func:`backprop.gradients`, the vectorised NumPy implementation, "
            "computed the same gradients in float64 when this page was built. The "
            "build fails if any entry differs from the oracle's by more than "
            ":math:`10^{-10}` relative. The largest relative differences were:",
        )
        sec += table(
            self,
            ("Gradient", "Shape", "Largest relative difference"),
            rows,
            (30, 12, 40),
            ["worked-example-check"],
        )
        lr = self.options.get("lr", 1)
        cost = ex.cost
        before = float(backprop.cost_value(ex.weights, ex.biases, ex.x, ex.y, cost))
        stepped_w = [w - lr * g for w, g in zip(ex.weights, ex.grad_w, strict=True)]
        stepped_b = [b - lr * g for b, g in zip(ex.biases, ex.grad_b, strict=True)]
        after = float(backprop.cost_value(stepped_w, stepped_b, ex.x, ex.y, cost))
        if not after < before:
            raise self.error(f"a descent step raised the cost: {before} -> {after}")
        sec += paragraph(
            self,
            rf"One step of gradient descent with learning rate :math:`\alpha = {lr}`, "
            r":math:`W^l \leftarrow W^l - \alpha\, \partial C / \partial W^l` and "
            r"likewise for :math:`b^l`, lowers the batch cost "
            f"(:func:`backprop.cost_value`) from :math:`{fmt(before)}` to "
            f":math:`{fmt(after)}`. A sign error in the update would pass every "
            "gradient check and fail this one.",
        )

    def reproduce(self, ex: Any) -> None:
        sec = self.section("Reproduce it", "reproduce")
        sec += paragraph(self, "The same numbers, from Python:")
        code = (
            "import backprop\n"
            "from spec.worked_example import worked_example\n\n"
            f"ex = {self.call.removeprefix('spec.worked_example.')}\n"
            "ex.weights, ex.biases, ex.x, ex.y  # the network and the batch\n"
            "ex.zs, ex.activations, ex.deltas   # forward values and errors\n"
            "ex.grad_w, ex.grad_b               # the oracle's gradients\n"
            "grad_w, grad_b = backprop.gradients(ex.weights, ex.biases, ex.x, ex.y, "
            "cost=ex.cost)"
        )
        sec += literal(code, "python")


# --- nox-sessions ---------------------------------------------------------------------


def nox_sessions(noxfile: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """The sessions of ``noxfile`` with their docstrings, and the default ones.

    Read with :mod:`ast`, so the table is the noxfile's own word.
    """
    tree = ast.parse(noxfile.read_text(encoding="utf-8"))
    sessions: list[tuple[str, str]] = []
    defaults: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            ast.unparse(target) == "nox.options.sessions" for target in node.targets
        ):
            defaults = list(ast.literal_eval(node.value))
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            if ast.unparse(call.func if call else decorator) != "nox.session":
                continue
            name = node.name
            for keyword in call.keywords if call else ():
                if keyword.arg == "name":
                    name = ast.literal_eval(keyword.value)
            doc = ast.get_docstring(node) or ""
            sessions.append((name, doc.split("\n\n")[0].replace("\n", " ")))
    return sessions, defaults


class NoxSessions(SphinxDirective):
    """A table of the project's nox sessions, read from ``noxfile.py``."""

    def run(self) -> list[nodes.Node]:
        noxfile = ROOT / "noxfile.py"
        self.env.note_dependency(str(noxfile))
        sessions, defaults = nox_sessions(noxfile)
        if not sessions:
            raise self.error(f"no nox sessions found in {noxfile}")
        rows = [
            (f"``nox -s {name}``", "yes" if name in defaults else "no", doc)
            for name, doc in sessions
        ]
        header = ("Session", "In plain ``nox``", "What it does")
        return [table(self, header, rows, (22, 10, 68), ["nox-sessions"])]


# --- source-code -----------------------------------------------------------------------


def source_without_docstring(obj: Any) -> tuple[str, str, int]:
    """The source of a function or method, less its docstring; file and first line."""
    lines, first = inspect.getsourcelines(obj)
    text = textwrap.dedent("".join(lines))
    (node,) = ast.parse(text).body
    if not isinstance(node, ast.FunctionDef):
        raise TypeError(f"{obj!r} is not a function")
    body = node.body
    kept = text.splitlines()
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        header = kept[: body[0].lineno - 1]
        kept = header + kept[body[0].end_lineno :]
    path = Path(inspect.getsourcefile(obj) or "").resolve()
    return "\n".join(kept), path.relative_to(ROOT).as_posix(), first


class SourceCode(SphinxDirective):
    """The current source of a function of either package, without its docstring.

    Quoting the code by hand would drift from it; this shows what the code is
    when the page is built.
    """

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        note_source_dependencies(self.env)
        dotted = self.arguments[0]
        try:
            importlib.import_module(dotted.split(".")[0])
            obj = lookup(dotted)
            if obj is None:
                raise LookupError(f"no object {dotted}")
            code, path, first = source_without_docstring(obj)
        except Exception as exc:
            raise self.error(f"source-code {dotted}: {exc}") from None
        block = literal(code, "python")
        block["classes"].append("source-code")
        caption = nodes.paragraph(classes=["source-caption"])
        caption += nodes.Text("From ")
        caption += nodes.literal(path, path)
        caption += nodes.Text(f", line {first}:")
        return [caption, block]


# --- presets-table ----------------------------------------------------------------------


class PresetsTable(SphinxDirective):
    """The training presets of ``backprop train``, read from :mod:`backprop.presets`."""

    def run(self) -> list[nodes.Node]:
        note_source_dependencies(self.env)
        from backprop.presets import PRESETS

        rows = [
            (
                f"``{name}``",
                "-".join(map(str, preset.sizes)),
                COST_NAMES.get(preset.cost, preset.cost),
                str(preset.batch_size),
                f"{preset.lr:g}",
                f"``{preset.init}``",
                preset.dtype,
                str(preset.epochs),
            )
            for name, preset in sorted(PRESETS.items())
        ]
        header = (
            "Preset",
            "Sizes",
            "Cost",
            "Batch",
            r":math:`\alpha`",
            "Init",
            "Dtype",
            "Epochs",
        )
        widths = (12, 14, 14, 7, 6, 10, 9, 7)
        return [table(self, header, rows, widths, ["presets"])]


# --- package-module ------------------------------------------------------------------


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


# --- build-level duties -------------------------------------------------------------------


def check_mathjax(app: Sphinx) -> None:
    """Fail early, with the fix, when the HTML build has no MathJax to copy."""
    if app.builder.format != "html":
        return
    source = Path(app.config.specdocs_mathjax_dir)
    missing = [p for p in MATHJAX_PARTS if not (source / p).exists()]
    if missing:
        raise ExtensionError(
            f"MathJax is missing from {source} ({', '.join(missing)}); install it "
            f"with `npm ci --prefix docs` (the nox session `docs` does this)"
        )


def copy_mathjax(app: Sphinx, exception: BaseException | None) -> None:
    """Copy MathJax into ``_static/mathjax`` of a finished HTML build."""
    if exception is not None or app.builder.format != "html":
        return
    source = Path(app.config.specdocs_mathjax_dir)
    target = Path(app.outdir) / "_static" / "mathjax"
    started = time.perf_counter()
    for part in MATHJAX_PARTS:
        src, dst = source / part, target / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)
    logger.info(
        "specdocs: MathJax copied to %s in %.1f s",
        target,
        time.perf_counter() - started,
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


def lookup(dotted: str) -> Any:
    """The object a dotted name refers to, or ``None``."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module = sys.modules.get(".".join(parts[:cut]))
        if module is None:
            continue
        obj: Any = module
        for attr in parts[cut:]:
            obj = getattr(obj, attr, None)
        return obj
    return None


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


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives, configuration values and build hooks."""
    app.add_config_value("specdocs_mathjax_dir", "", "html", types=frozenset({str}))
    app.add_config_value("specdocs_api_packages", [], "env", types=frozenset({list}))
    app.add_directive("run-python", RunPython)
    app.add_directive("nox-sessions", NoxSessions)
    app.add_directive("spec-proof", SpecProof)
    app.add_directive("spec-proofs", SpecProofs)
    app.add_directive("worked-example", WorkedExample)
    app.add_directive("spec-equation", SpecEquation)
    app.add_directive("package-module", PackageModule)
    app.add_directive("source-code", SourceCode)
    app.add_directive("presets-table", PresetsTable)
    app.connect("builder-inited", check_mathjax)
    app.connect("build-finished", copy_mathjax)
    app.connect("env-check-consistency", check_api_coverage)
    app.connect("missing-reference", resolve_reexport)
    return {"version": "1", "parallel_read_safe": False, "parallel_write_safe": True}
