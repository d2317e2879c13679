r"""The conformance battery: :func:`check_implementation` and :class:`ConformanceReport`.

Every case of a suite (:mod:`spec.check.battery`) is run against its trusted
gradient; each ends *passed*, *failed* (a wrong value or shape) or *crashed* (the
code under test raised: a finding, reported with the shapes it was called with).
When any case does not pass, the diagnosis (:mod:`spec.check.diagnosis`) names the
known mistake the gradient equals on every case, or localises the first
implicated equation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

import backprop
from spec.check.adapters import ImplementationError, describe_call
from spec.check.battery import Case, CaseData, case_data, reference_gradient
from spec.check.battery import suite as suite_cases
from spec.check.compare import compare_gradients
from spec.check.conformance_report import CaseResult, ConformanceReport
from spec.check.diagnosis import diagnose, shape_warnings
from spec.check.findings import Observation
from spec.check.netcheck import network_blocks
from spec.check.options import default_tolerances
from spec.costs import costs_for_output

__all__ = ["check_implementation", "normalise"]

#: The costs of a sigmoid output layer, which the battery's networks have.
COSTS = costs_for_output("sigmoid")


def normalise(
    grad_w: Sequence[Any], grad_b: Sequence[Any], blocks: Sequence[Any]
) -> tuple[list[NDArray], str]:
    """The claimed arrays as floats in block order, and a problem ("" if none).

    A 0-d bias gradient is broadcast to its block's shape, as NumPy would in an
    update ``b - α g``; any other shape must be the block's.
    """
    if len(grad_w) != len(grad_b) or 2 * len(grad_w) != len(blocks):
        return [], (
            f"returned {len(grad_w)} weight and {len(grad_b)} bias gradients for a "
            f"network of {len(blocks) // 2} layers"
        )
    arrays, wrong = [], []
    for block, g in zip(blocks, [g for p in zip(grad_w, grad_b) for g in p]):  # noqa: B905
        a = np.asarray(g)
        if a.dtype.kind not in "biuf":
            return [], f"the gradient of {block.name} has dtype {a.dtype}, not real"
        if a.ndim == 0 and block.name.startswith("b"):
            a = np.broadcast_to(a, block.shape)
        if a.shape != block.shape:
            wrong.append(f"{block.name} has shape {a.shape}, expected {block.shape}")
        arrays.append(a)
    return arrays, "; ".join(wrong)


def _precision(case: Case, arrays: Sequence[NDArray]) -> str:
    """float32 when the data or any claimed array is (its tolerances apply)."""
    dtypes = [np.dtype(case.dtype), *(a.dtype for a in arrays)]
    low = any(d.kind == "f" and d.itemsize < 8 for d in dtypes)
    return "float32" if low else "float64"


def _run_case(
    gradients: Callable[..., Any], case: Case, data: CaseData
) -> tuple[CaseResult, Observation]:
    blocks = network_blocks(data.weights)
    try:
        grad_w, grad_b = gradients(
            data.weights, data.biases, data.x, data.y, cost=case.cost
        )
    except ImplementationError as exc:
        result = CaseResult(case, "crashed", problem=exc.error, call=exc.call)
        return result, Observation(case, data, "crashed", None, problem=exc.error)
    except Exception as exc:  # the code under test failed: a finding
        call = describe_call(data.weights, data.biases, data.x, data.y)
        result = CaseResult(
            case, "crashed", problem=f"{type(exc).__name__}: {exc}", call=call
        )
        return result, Observation(case, data, "crashed", None, problem=result.problem)
    arrays, problem = normalise(grad_w, grad_b, blocks)
    precision = _precision(case, arrays)
    rtol, atol = default_tolerances("reference", claimed_dtype=precision)
    ref_w, ref_b = reference_gradient(case, data)
    reference = [g for pair in zip(ref_w, ref_b, strict=True) for g in pair]
    if problem:
        wrong = tuple(b.name for b in blocks if b.name + " " in problem + " ")
        result = CaseResult(case, "failed", wrong, problem=problem)
    else:
        report = compare_gradients(
            np.concatenate([a.ravel() for a in arrays]),
            backprop.pack(ref_w, ref_b),
            names=functools.partial(backprop.describe_index, list(case.sizes)),
            rtol=rtol,
            atol=atol,
            blocks=blocks,
            raise_on_failure=False,
        )
        wrong = tuple(b.name for b in report.blocks if b.n_failed)
        verdict = "passed" if report.passed else "failed"
        result = CaseResult(case, verdict, wrong, report.max_rel_err, report=report)
    observation = Observation(
        case,
        data,
        result.verdict,
        arrays or None,
        reference,
        result.wrong_blocks,
        result.problem,
        precision,
    )
    return result, observation


def _target_name(gradients: Callable[..., Any]) -> str:
    fn = getattr(gradients, "__wrapped__", gradients)
    module = getattr(fn, "__module__", None)
    name = getattr(fn, "__qualname__", type(fn).__name__)
    return f"{module}:{name}" if module else name


def check_implementation(
    gradients: Callable[..., Any],
    *,
    cost: str | Sequence[str] = COSTS,
    suite: str = "standard",
    rng: int | np.random.Generator = 0,
) -> ConformanceReport:
    r"""Run the conformance battery on a gradient function, and diagnose it.

    Parameters
    ----------
    gradients : callable
        ``gradients(weights, biases, x, y, cost=...) -> (grad_w, grad_b)`` in the
        project's convention (:func:`backprop.gradients`); wrap any other
        convention with :func:`spec.adapt`.
    cost : str or sequence of str
        The cost(s) it implements; each case is run for each. All of
        :data:`spec.COSTS` by default.
    suite : {"standard"}
        The cases (:data:`spec.check.battery.SUITES`).
    rng : int or numpy.random.Generator
        Seed of the parameters and data of the cases.

    Returns
    -------
    ConformanceReport
        ``report.passed`` is the verdict; ``str(report)`` a table of the cases and
        the diagnosis.

    Examples
    --------
    >>> import backprop
    >>> check_implementation(backprop.gradients, cost="quadratic").passed
    True
    """
    costs = (cost,) if isinstance(cost, str) else tuple(cost)
    for c in costs:
        if c not in COSTS:  # the costs the oracle derives
            raise ValueError(f"cost must be among {list(COSTS)}, got {c!r}")
    if not costs:
        raise ValueError("cost must name at least one cost, got an empty sequence")
    if not callable(gradients):
        raise TypeError(f"gradients must be callable, got {type(gradients).__name__}")
    seed = rng if isinstance(rng, int) and not isinstance(rng, bool) else None
    generator = np.random.default_rng(rng)
    results, observations = [], []
    for case in suite_cases(suite, costs):
        data = case_data(case, generator)
        result, observation = _run_case(gradients, case, data)
        results.append(result)
        observations.append(observation)
    diagnosis = None if all(r.passed for r in results) else diagnose(observations)
    return ConformanceReport(
        target=_target_name(gradients),
        costs=costs,
        suite=suite,
        rng=seed,
        cases=tuple(results),
        diagnosis=diagnosis,
        warnings=shape_warnings(observations),
    )
