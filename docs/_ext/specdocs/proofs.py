"""``spec-proof`` and ``spec-proofs``: proofs run at build time, shown as tables."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from specdocs.render import COST_NAMES, note_source_dependencies, parse_arguments, table


@dataclasses.dataclass(frozen=True)
class ProofRequest:
    """One :func:`spec.prove_backprop` call, from ``key=value`` arguments."""

    sizes: tuple[int, ...]
    m: int = 1
    cost: str = "cross_entropy"
    variant: str = "correct"
    activations: tuple[str, ...] = ()  # () for sigmoids; one name or one per layer
    l2: bool = False
    evaluations: int = 3
    seed: int = 0
    expect: str = ""  # "proven" or "disproven"; by default proven iff correct

    @classmethod
    def parse(cls, text: str) -> ProofRequest:
        """From ``"sizes=3,4,3,2 m=2 cost=cross_entropy [variant=...] ..."``.

        ``activations=relu,softmax`` names them as :func:`spec.prove_backprop`
        takes them (a pair, or one per layer); ``l2=true`` adds the L2 term.
        """
        args = parse_arguments(text)
        unknown = set(args) - {f.name for f in dataclasses.fields(cls)}
        if unknown or "sizes" not in args:
            raise ValueError(
                "spec-proof takes sizes=... and optionally m, cost, variant, "
                f"activations, l2, evaluations, seed, expect; got {text!r}"
            )
        request = cls(
            sizes=tuple(int(n) for n in args["sizes"].split(",")),
            m=int(args.get("m", 1)),
            cost=args.get("cost", "cross_entropy"),
            variant=args.get("variant", "correct"),
            activations=tuple(filter(None, args.get("activations", "").split(","))),
            l2=args.get("l2", "false") == "true",
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
        # One name is every layer's, as prove_backprop reads a single string.
        activations=(
            request.activations[0]
            if len(request.activations) == 1
            else request.activations or None
        ),
        l2=request.l2,
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


#: How a proof's table names each activation's function.
FUNCTION_MATH = {
    "sigmoid": r":math:`\sigma`",
    "tanh": r":math:`\tanh`",
    "relu": r":math:`\operatorname{relu}` and its step :math:`H`",
    "softmax": r":math:`\operatorname{softmax}`",
}


def layers(result: Any) -> tuple[str, ...]:
    """The activation of each layer of a proof's network."""
    return tuple(result.activations) or ("sigmoid",) * (len(result.sizes) - 1)


def uninterpreted(result: Any) -> str:
    """The functions a proof leaves uninterpreted, as inline rST."""
    names = [
        FUNCTION_MATH[n] for n in dict.fromkeys(layers(result)) if n in FUNCTION_MATH
    ]
    return ", ".join([*names, r":math:`\ln`"]) if names else r":math:`\ln`"


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
        penalty = r" plus the L2 term, :math:`\lambda` symbolic," if result.l2 else ""
        claim = (
            f"{recursion_name(request.variant)}{what} gives "
            f"the same :math:`\\partial C / \\partial w^l_{{ij}}` and "
            f":math:`\\partial C / \\partial b^l_i` as differentiating the mean "
            f"{COST_NAMES[result.cost]} cost{penalty} directly, in every entry"
            + (
                ", wherever no unit has :math:`z = 0`"
                if "relu" in layers(result)
                else ""
            )
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
                    f"sizes {list(result.sizes)}, activations "
                    f"{', '.join(layers(result))}, a batch of :math:`m = {result.m}`: "
                    f"{result.entries} gradient entries"
                ),
            ),
            (
                "How",
                (
                    f"both derivations evaluated exactly at {result.evaluations} random "
                    r"points modulo the prime :math:`p = 2^{61} - 1`, with "
                    f"{uninterpreted(result)} uninterpreted (seed "
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
                    COST_NAMES[result.cost] + (" + L2" if result.l2 else ""),
                    "/".join(layers(result)),
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
            "Activations",
            "Entries",
            "Result",
            "Time",
            "Entries that differ",
        )
        widths = (12, 12, 4, 12, 14, 7, 10, 7, 22)
        return [table(self, header, rows, widths, ["spec-proofs"])]
