"""Which named layer mistake a failing layer is: the one of
:data:`~spec.check.conformance.layers.mistakes.LAYER_MISTAKES` whose derivation it
equals on every case; and where the course's own checks would have missed it."""

from __future__ import annotations

from spec.check.conformance.layers.compare import (
    Observation,
    compare_output,
    evaluate,
    output_checks,
    precision_of,
)
from spec.check.conformance.layers.derivation import LayerDerivation
from spec.check.conformance.layers.mistakes import mistakes_for
from spec.check.conformance.layers.report import (
    LayerCaseResult,
    LayerDiagnosis,
)

__all__ = [
    "coverage_warnings",
    "diagnose",
]


# -- diagnosis ------------------------------------------------------------------
def _agrees(derivation: LayerDerivation, o: Observation) -> bool:
    """The learner's outputs equal the derivation's on this case (every output
    that both have; at a kink, equal or both within the subdifferential)."""
    try:
        expected = evaluate(derivation, o.case, o.data, o.dout, o.observed)
        reference = evaluate(LayerDerivation(), o.case, o.data, o.dout, o.observed)
    except Exception:  # the mistake's derivation is undefined on these shapes
        return False
    checks = output_checks(
        expected, o.observed, o.case, o.data, o.dout, finite=False, exact=True
    )
    if all(c.passed for c in checks):
        return True
    if not (o.case.ties or o.case.zeros):
        return False
    # At a kink both may lie in the subdifferential without being equal.
    precision = precision_of(o.case, o.observed)
    exact = {k: v for k, v in expected.items() if k != "dx"}
    if not all(
        c.passed
        for c in output_checks(exact, o.observed, o.case, o.data, o.dout, finite=False)
    ):
        return False
    if "dx" not in o.observed:
        return False
    mine = compare_output(
        "dx", o.observed["dx"], reference["dx"], o.case, o.data, o.dout, precision
    )
    theirs = compare_output(
        "dx", expected["dx"], reference["dx"], o.case, o.data, o.dout, precision
    )
    return mine.passed and theirs.passed


def diagnose(kind: str, observations: list[Observation]) -> LayerDiagnosis:
    computed = [o for o in observations if o.observed]
    failing = [o for o in computed if not o.result.passed and o.result.wrong]
    wrong = tuple(dict.fromkeys(n for o in observations for n in o.result.wrong))
    matches = []
    if failing:
        for mistake in mistakes_for(kind):
            if all(_agrees(mistake, o) for o in computed):
                matches.append(mistake)
    if matches:
        first = matches[0]
        return LayerDiagnosis(
            "named",
            first.name,
            first.part,
            first.title,
            first.breaks,
            len(computed),
            also=tuple(m.name for m in matches[1:]),
            wrong=wrong,
        )
    bad = [o for o in observations if not o.result.passed]
    first_bad = bad[0].result
    title = f"first on case {first_bad.case.label}: {first_bad.detail()}"
    return LayerDiagnosis("unnamed", "", "", title, "", len(bad), wrong=wrong)


def coverage_warnings(results: list[LayerCaseResult]) -> tuple[str, ...]:
    if all(r.passed for r in results):
        return ()
    notes = []
    course = [r for r in results if r.case.course]
    if course and all(r.passed for r in course):
        notes.append(
            f"the course's own check configuration ({course[0].case.name}) passes: "
            "a numeric check there alone would not see this"
        )
    single = [r for r in results if r.case.shapes[0][1][0] == 1]
    if single and all(r.passed for r in single):
        notes.append(
            "every N = 1 case passes: checks with one example only would not see "
            "this; test with N >= 2"
        )
    return tuple(notes)
