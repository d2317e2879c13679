"""``spec-activation-page`` and ``spec-cost-page``: a page per activation and per
cost, generated from :mod:`spec` at build time.

Each directive writes the body of its page as reStructuredText, sections and all,
out of ``spec-equation`` and ``spec-proofs`` directives (:mod:`specdocs.equations`,
:mod:`specdocs.proofs`) and parses it in place: the definition, the declared
derivative and its proof (:func:`spec.prove_derivative`), the form BP1 takes, the
shortcut :math:`\\delta^L = a^L - y` where there is one and its failure where there
is none (:func:`spec.prove_output_shortcut`), and fixed-size proofs of BP1-BP4
(:func:`spec.prove_backprop`). ``.. spec-cost-page:: l2`` is the L2 term's page.
The equations are built by :mod:`spec.latex.layers`; a proof that fails fails the
build.
"""

from __future__ import annotations

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

from specdocs.render import COST_NAMES, note_source_dependencies

#: What each activation is, in a sentence or two (the formulas come from spec).
ABOUT = {
    "sigmoid": (
        "The logistic sigmoid, the tutorial's activation, with outputs in (0, 1). "
        "Its derivative is derived step by step in :doc:`/derivation/sigmoid`."
    ),
    "tanh": (
        "The hyperbolic tangent, a sigmoid rescaled to outputs in (-1, 1) and "
        r"centred at 0: :math:`\tanh z = 2\sigma(2z) - 1`."
    ),
    "relu": (
        "The rectifier: the identity for positive :math:`z`, 0 for negative. It has "
        "no derivative at :math:`z = 0`, so every statement about it below holds "
        "wherever no unit has :math:`z = 0` exactly. The oracle takes "
        r":math:`\operatorname{relu}'(0) = 0`, one of the one-sided derivatives, as "
        ":mod:`backprop` does; it is not analytic, so the complex step does not "
        "apply across the kink."
    ),
    "identity": "The identity: a linear layer, :math:`a^l = z^l`.",
    "softmax": (
        "Softmax normalises a whole layer into a probability distribution: every "
        r":math:`a_k > 0` and :math:`\sum_k a_k = 1`. It is for the output layer "
        "only (a hidden softmax layer is refused), and it is not elementwise: each "
        ":math:`a_k` depends on every :math:`z_i`, so its derivative is a Jacobian, "
        "written out here for a layer of three."
    ),
}

#: What each cost is, and what it needs of the output layer.
COST_ABOUT = {
    "quadratic": (
        "Half the squared distance between output and target. It makes sense for "
        "every output activation."
    ),
    "cross_entropy": (
        "The cross-entropy of independent binary outputs. Its "
        r":math:`\ln a_j` and :math:`\ln(1 - a_j)` need every output in (0, 1) on "
        "its own, so it takes a sigmoid output only (for softmax, use the "
        "log-likelihood); :doc:`/derivation/cost` derives it."
    ),
    "log_likelihood": (
        r"The negative log-likelihood :math:`C = -\ln a^L_y` of the true class "
        ":math:`y`, written for a one-hot target as a sum over the outputs. It is "
        "a cost only when the outputs are a probability distribution, so it takes "
        "a softmax output only."
    ),
}

_RULE = "-"


def _section(title: str, *body: str) -> list[str]:
    return [title, _RULE * len(title), "", *body, ""]


def _equation(name: str, **options: str) -> list[str]:
    lines = [f".. spec-equation:: {name}"]
    lines += [f"   :{key}: {value}" for key, value in options.items()]
    return [*lines, ""]


def _proofs(lines: list[str]) -> list[str]:
    return [".. spec-proofs::", "", *(f"   {line}" for line in lines), ""]


def _shortcuts(activation: str, costs: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for cost in costs:
        out += [
            f"**{COST_NAMES[cost].capitalize()} cost on {activation} outputs.**",
            "",
            *_equation("shortcut", cost=cost, activation=activation),
        ]
    return out


def activation_page(activation: str) -> list[str]:
    """The reST body of ``activation``'s page."""
    from spec.activations import ACTIVATIONS, ELEMENTWISE
    from spec.costs import costs_for_output

    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    costs = costs_for_output(activation)
    if activation in ELEMENTWISE:
        bp2 = (
            "In a hidden layer BP2 multiplies by the same derivative, "
            r":math:`\delta^l = \left((W^{l+1})^T \delta^{l+1}\right) \odot "
            r"\varphi_l'(z^l)`, each layer with its own :math:`\varphi_l'`."
        )
        proofs = [
            f"sizes=3,4,3,2 m={m} cost=quadratic activations={activation}"
            for m in (1, 2, 3)
        ]
    else:
        bp2 = (
            r"This is BP1 in its general form :math:`\delta^L = (\partial a^L / "
            r"\partial z^L)^T \nabla_a C`: the Jacobian is symmetric, so "
            r":math:`\delta^L = a^L \odot \left(\nabla_a C - (a^L \cdot \nabla_a C)"
            r"\right)`, a product that never builds the matrix."
        )
        proofs = [
            f"sizes=3,4,3,2 m={m} cost={cost} activations=tanh,softmax"
            for cost in costs
            for m in (1, 2, 3)
        ]
    return [
        ABOUT[activation],
        "",
        *_section("Definition", *_equation("activation", activation=activation)),
        *_section(
            "Its derivative, proven",
            "The derivative :mod:`spec` declares (both of its derivations "
            "differentiate through it), then the derivative of the explicit form "
            "as SymPy computes it; the two are proven equal when this page is built.",
            "",
            *_equation("activation-derivative", activation=activation),
        ),
        *_section(
            "The form BP1 takes",
            r"With :math:`\partial C / \partial a^L_j` left general, as "
            ":func:`spec.recursion.bp1` builds it for an output layer of this "
            "activation:",
            "",
            *_equation("activation-bp1", activation=activation),
            bp2,
        ),
        *_section(
            "The shortcut",
            r"Whether BP1 reduces to :math:`\delta^L = a^L - y` for each cost this "
            "output takes: the residual is 0 where the shortcut is proven.",
            "",
            *_shortcuts(activation, costs),
        ),
        *_section(
            "BP1-BP4 proven at fixed sizes",
            *_proofs(proofs),
        ),
    ]


def cost_page(cost: str) -> list[str]:
    """The reST body of ``cost``'s page (``"l2"``: the L2 term's)."""
    from spec.activations import ACTIVATIONS
    from spec.costs import COSTS, costs_for_output

    if cost == "l2":
        return l2_page()
    if cost not in COSTS:
        raise ValueError(f"cost must be one of {COSTS} or 'l2', got {cost!r}")
    outputs = [a for a in ACTIVATIONS if cost in costs_for_output(a)]
    shown = [a for a in outputs if a in ("sigmoid", "softmax", "identity")]
    out: list[str] = []
    for output in shown:
        out += [
            f"**On {output} outputs.**",
            "",
            *_equation("shortcut", cost=cost, activation=output),
        ]
    hidden = {"sigmoid": "relu", "softmax": "relu", "identity": "tanh"}
    proofs = [
        f"sizes=3,4,3,2 m={m} cost={cost} activations={hidden[output]},{output}"
        for output in shown
        for m in (1, 2, 3)
    ]
    return [
        COST_ABOUT[cost],
        "",
        *_section(
            "Definition and derivative",
            "Per example, as a sum over the output neurons, and its derivative by "
            r"one output, :math:`(\nabla_a C)_j`:",
            "",
            *_equation("cost", cost=cost),
        ),
        *_section(
            "The outputs it takes",
            ", ".join(f"``{a}``" for a in outputs)
            + ". Any other output activation is refused with a ``ValueError`` "
            "naming the cost and the activation.",
        ),
        *_section(
            "BP1 and the shortcut",
            r"BP1 for this cost, and whether it reduces to :math:`\delta^L = a^L - y`"
            " (residual 0):",
            "",
            *out,
        ),
        *_section("BP1-BP4 proven at fixed sizes", *_proofs(proofs)),
    ]


def l2_page() -> list[str]:
    """The reST body of the L2 term's page."""
    proofs = [
        f"sizes=3,4,3,2 m={m} cost={cost} activations={acts} l2=true"
        for cost, acts in (
            ("cross_entropy", "relu,sigmoid"),
            ("log_likelihood", "tanh,softmax"),
        )
        for m in (1, 2, 3)
    ]
    return [
        (
            r"L2 regularisation adds :math:`\tfrac{\lambda}{2} \sum_l \lVert W^l "
            r"\rVert^2` to the mean cost of the batch, with :math:`\lambda \ge 0`; "
            "the biases are not decayed."
        ),
        "",
        *_section(
            "Its gradient, proven",
            *_equation("l2"),
            "Differentiation is linear, so the regularised gradient is BP4's plus "
            r":math:`\lambda w^l_{ij}`, and BP3's unchanged. The proofs below keep "
            r":math:`\lambda` a symbol, so they hold for every :math:`\lambda`.",
        ),
        *_section(
            "Relation to the per-epoch form",
            r"Nielsen writes :math:`C = C_0 + \frac{\lambda}{2n} \sum_w w^2` with "
            ":math:`n` the size of the training set, and his update decays each "
            r"weight by :math:`\eta \lambda / n` per minibatch step. Here the L2 "
            "term is added to the batch mean, so the decay per step is "
            r":math:`\eta \lambda`: the two agree when :math:`\lambda` here is "
            r"Nielsen's :math:`\lambda / n` (see :doc:`/derivation/minibatch`).",
        ),
        *_section("BP1-BP4 proven with the L2 term", *_proofs(proofs)),
    ]


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
