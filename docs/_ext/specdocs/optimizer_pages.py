"""The reStructuredText of a page per optimizer, from :mod:`spec.optimizers`, and
``spec-optimizer-page``, the directive that parses it in place.

Each page shows the rule's update in every convention side by side (the
equations are the SymPy expressions of :data:`spec.optimizers.RULES`, printed
while the page is built), its state, the function of :mod:`backprop.optimizers`
that implements it, how ``check_optimizer`` tells the conventions apart, and the
proven facts that concern it (:func:`spec.optimizers.prove_optimizer_facts`), run
while the page is built: a fact that is not proven fails the build.

:func:`optimizer_page` needs no Sphinx, so tests reach it.
"""

from __future__ import annotations

from typing import Any

#: The families, their title and what each is, in a sentence or two.
FAMILIES: dict[str, tuple[str, str]] = {
    "sgd": (
        "Gradient descent",
        (
            "Every parameter moves against its gradient, scaled by the learning rate "
            r":math:`\alpha`. The L2 term :math:`\tfrac{\lambda}{2}\lVert\theta\rVert^2` "
            r"adds :math:`\lambda\theta` to the gradient (weight decay *coupled* to the "
            "gradient)."
        ),
    ),
    "momentum": (
        "Momentum",
        (
            "A velocity accumulates past steps, so that directions where the gradient "
            "keeps its sign speed up and those where it alternates cancel. The "
            "references keep the learning rate in different places: PyTorch outside "
            "the buffer, CS231n inside the velocity. They give the same parameters "
            "while the learning rate is constant, and different ones once it decays "
            "(the facts below)."
        ),
    ),
    "nesterov": (
        "Nesterov's momentum",
        (
            "Momentum whose step looks ahead along the new velocity (Sutskever et al., "
            "2013), written in the current parameters so that the gradient is taken "
            "where the parameters are."
        ),
    ),
    "adagrad": (
        "Adagrad",
        (
            "Each entry's step is divided by the root of the sum of its squared "
            "gradients so far: entries with large gradients slow down for good."
        ),
    ),
    "rmsprop": (
        "RMSProp",
        (
            "Adagrad's sum replaced by a moving average with decay rate :math:`\\rho`, "
            "so the scale adapts instead of only shrinking. PyTorch and CS231n add "
            r":math:`\epsilon` to the root, TensorFlow under it; they differ where the "
            r"moving average is comparable to :math:`\epsilon` (tiny gradients)."
        ),
    ),
    "adam": (
        "Adam",
        (
            "Moving averages of the gradient and its square, both corrected for their "
            "zero start (Kingma and Ba, 2015). The paper's Algorithm 1, PyTorch and "
            r"CS231n add :math:`\epsilon` to :math:`\sqrt{\hat v}`; TensorFlow folds "
            r"the corrections into :math:`\alpha_t` and adds :math:`\hat\epsilon` to "
            r":math:`\sqrt{v}`, which weighs :math:`\epsilon` more in the first steps "
            "(the facts below). With ``weight_decay`` the decay is coupled: "
            r":math:`\lambda\theta` enters the moments."
        ),
    ),
    "adamw": (
        "AdamW",
        (
            "Adam with the weight decay *decoupled* from the gradient (Loshchilov and "
            r"Hutter, 2019): the parameters shrink by :math:`1 - \alpha\lambda` and "
            r"then take Adam's step on the gradient alone, so :math:`\lambda\theta` "
            "never enters the moments and is not divided by their root."
        ),
    ),
}

#: The function of backprop.optimizers, and its keywords, for each rule.
IMPLEMENTED_BY = {
    "sgd": "``backprop.optimizers.sgd(params, grads, state, lr=...)``",
    "sgd_l2": "``backprop.optimizers.sgd(..., weight_decay=λ)``",
    "momentum_pytorch": "``backprop.optimizers.momentum(...)`` (the default)",
    "momentum_cs231n": '``backprop.optimizers.momentum(..., convention="cs231n")``',
    "momentum_ema": "``backprop.optimizers.momentum(..., dampening=μ)``",
    "nesterov_pytorch": "``backprop.optimizers.nesterov(...)``",
    "nesterov_cs231n": "the same parameters as ``nesterov`` while α is constant",
    "adagrad": "``backprop.optimizers.adagrad(...)``",
    "rmsprop_eps_outside": "``backprop.optimizers.rmsprop(...)`` (the default)",
    "rmsprop_eps_inside": '``backprop.optimizers.rmsprop(..., eps_placement="inside")``',
    "adam_paper": "``backprop.optimizers.adam(...)`` (the default)",
    "adam_tensorflow": '``backprop.optimizers.adam(..., form="tensorflow")``',
    "adam_l2": "``backprop.optimizers.adam(..., weight_decay=λ)``",
    "adamw": "``backprop.optimizers.adamw(..., weight_decay=λ)``",
}

#: How a learner's rule of the family is checked: the alternatives' kind, and the
#: call.
CHECKED_AS = {
    "sgd": ("sgd", 'check_optimizer(sgd, kind="sgd")'),
    "momentum": ("sgd_momentum", 'check_optimizer(sgd_momentum, kind="sgd_momentum")'),
    "rmsprop": ("rmsprop", 'check_optimizer(rmsprop, kind="rmsprop")'),
    "adam": ("adam", 'check_optimizer(adam, kind="adam")'),
    "adamw": (
        "adam_weight_decay",
        'check_optimizer(adam, kind="adam", weight_decay=True)',
    ),
}

#: The facts each page proves.
FACTS = {
    "momentum": (
        "prove_momentum_conventions_equal",
        "prove_momentum_difference_under_decay",
    ),
    "adam": ("prove_adam_bias_correction", "prove_adam_forms"),
}

_STATE_NAMES = {
    "b": "the momentum buffer :math:`b`",
    "v": "the velocity :math:`v`",
    "s": "the cache :math:`s` of squared gradients",
    "m": "the first moment :math:`m`",
    "t": "the step count :math:`t`",
}


def _text(title: str) -> str:
    """A title of :mod:`spec.check` as inline reST: ``|`` and ``*`` literal."""
    return title.replace("|", r"\|").replace("*", r"\*")


def _section(title: str, *body: str) -> list[str]:
    return [title, "-" * len(title), "", *body, ""]


def _math(lines: list[str]) -> list[str]:
    body = r" \\ ".join(line.replace(" = ", " &= ", 1) for line in lines)
    return [".. math::", "", rf"   \begin{{aligned}} {body} \end{{aligned}}", ""]


def _state(names: tuple[str, ...], family: str) -> str:
    if not names:
        return "No state."
    if family in ("adam", "adamw"):
        words = ["the first moment :math:`m`", "the second moment :math:`v`",
                 "the step count :math:`t`"]  # fmt: skip
    else:
        words = [_STATE_NAMES[n] for n in names]
    return "State: " + ", ".join(words) + ", each 0 before the first step."


def optimizer_page(family: str) -> list[str]:
    """The reST body of ``family``'s page: its conventions side by side, the
    state, the implementation, the check, and the proven facts."""
    import spec.optimizers as so

    if family not in FAMILIES:
        raise ValueError(f"family must be one of {list(FAMILIES)}, got {family!r}")
    _, about = FAMILIES[family]
    rules = [r for r in so.RULES if r.family == family]
    lines: list[str] = [about, ""]
    lines += [
        (
            "Each equation below is the SymPy expression of the rule in "
            ":data:`spec.optimizers.RULES`, printed while this page was built; primes "
            "mark the values after the step, and every rule is elementwise."
        ),
        "",
    ]
    for rule in rules:
        title = f"{rule.convention[0].upper()}{rule.convention[1:]}"
        lines += _section(
            title,
            f"``{rule.name}``: {rule.title}.",
            "",
            *_math(rule.latex()),
            _state(rule.state, family),
            "",
            f"Implemented by {IMPLEMENTED_BY[rule.name]}.",
        )
    if family in CHECKED_AS:
        from spec.check.conformance.optimizers import CONVENTIONS, DEVIATIONS

        kind, call = CHECKED_AS[family]
        conventions = ", ".join(f"``{c.name}``" for c in CONVENTIONS if c.kind == kind)
        deviations = [d for d in DEVIATIONS if d.kind == kind]
        lines += _section(
            "Checking a learner's rule",
            "A rule written in CS231n's signature ``rule(w, dw, config)`` is checked "
            f"by ``{call}`` (:doc:`/howto/check-your-optimizer`): it passes when it "
            f"matches one of the conventions {conventions} at every step of every "
            "trajectory, and otherwise the check names which of these "
            f"{len(deviations)} deviations it equals:",
            "",
            *(f"- ``{d.name}``: {_text(d.title)}." for d in deviations),
        )
    if family in FACTS:
        body: list[str] = []
        for name in FACTS[family]:
            fact = getattr(so, name)()
            if not fact.proven:
                raise ValueError(f"{name}: {fact}")
            body += [
                (
                    f"**{fact.claim[0].upper()}{fact.claim[1:]}.** Proven by "
                    f":func:`spec.optimizers.{name}` ({fact.method}):"
                ),
                "",
            ]
            for identity in fact.identities:
                body += [".. math::", "", f"   {identity}", ""]
        lines += _section("Proven facts", *body)
    return lines


def _directive() -> Any:
    from docutils import nodes
    from docutils.statemachine import StringList
    from sphinx.util.docutils import SphinxDirective
    from sphinx.util.nodes import nested_parse_with_titles

    from specdocs.render import note_source_dependencies

    class SpecOptimizerPage(SphinxDirective):
        """``.. spec-optimizer-page:: adam``: the body of an optimizer's page."""

        required_arguments = 1

        def run(self) -> list[nodes.Node]:
            note_source_dependencies(self.env)
            try:
                lines = optimizer_page(self.arguments[0])
            except ValueError as exc:
                raise self.error(str(exc)) from None
            source = self.get_source_info()[0] or self.env.docname
            node = nodes.container(classes=["spec-page"])
            nested_parse_with_titles(self.state, StringList(lines, source=source), node)
            return node.children

    return SpecOptimizerPage


def setup_directive(app: Any) -> None:
    """Register ``spec-optimizer-page`` (called from :func:`specdocs.setup`)."""
    app.add_directive("spec-optimizer-page", _directive())
