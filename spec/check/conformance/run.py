r"""Run the conformance battery on a gradient function: :func:`check_implementation`.

Every case of a suite (:mod:`spec.check.conformance.suites`) is run against its trusted
gradient; each ends *passed*, *failed* (a wrong value or shape) or *crashed* (the
code under test raised: a finding, reported with the shapes it was called with),
one :class:`~spec.check.conformance.report.CaseResult` each, gathered in a
:class:`~spec.check.conformance.report.ConformanceReport`.
When any case does not pass, the diagnosis (:mod:`spec.check.conformance.diagnosis`) names the
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
from spec.check.conformance.adapters import (
    ImplementationError,
    call_with_copies,
    describe_call,
)
from spec.check.conformance.diagnosis import diagnose, shape_warnings
from spec.check.conformance.report import CaseResult, ConformanceReport
from spec.check.conformance.suites import (
    Case,
    CaseData,
    case_data,
    layer_names,
    own_activations,
    reference_function,
    reference_gradient,
)
from spec.check.conformance.suites import suite as suite_cases
from spec.check.derivatives.compare import compare_gradients
from spec.check.derivatives.gradcheck import check_claimed_gradient
from spec.check.derivatives.options import CheckOptions, default_tolerances
from spec.check.derivatives.report import Block, GradcheckReport
from spec.check.network.convention import interleave, network_blocks

__all__ = ["check_implementation", "normalise"]


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
    for block, g in zip(blocks, interleave(grad_w, grad_b), strict=True):
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


def _run_case(gradients: Callable[..., Any], case: Case, data: CaseData) -> CaseResult:
    """Call the code under test on one case and hold what it returns to the
    case's reference: the one record of the case, for the report and the
    diagnosis."""
    blocks = network_blocks(data.weights)
    try:
        # On copies: the reference below is computed from the case's own data.
        grad_w, grad_b = call_with_copies(
            gradients,
            data.weights,
            data.biases,
            data.x,
            data.y,
            cost=case.cost,
            **case.network,
        )
    except ImplementationError as exc:
        return CaseResult(case, "crashed", problem=exc.error, call=exc.call, data=data)
    except Exception as exc:  # the code under test failed: a finding
        call = describe_call(data.weights, data.biases, data.x, data.y)
        problem = f"{type(exc).__name__}: {exc}"
        return CaseResult(case, "crashed", problem=problem, call=call, data=data)
    arrays, problem = normalise(grad_w, grad_b, blocks)
    precision = _precision(case, arrays)
    reference = interleave(*reference_gradient(case, data))
    claimed = arrays or None
    if problem:
        return CaseResult(
            case,
            "failed",
            tuple(b.name for b in blocks if b.name + " " in problem + " "),
            problem=problem,
            data=data,
            claimed=claimed,
            reference=reference,
            precision=precision,
        )
    report = _compare(case, data, arrays, reference, blocks, precision)
    return CaseResult(
        case,
        "passed" if report.passed else "failed",
        tuple(b.name for b in report.blocks if b.n_failed),
        report.max_rel_err,
        report=report,
        data=data,
        claimed=claimed,
        reference=reference,
        precision=precision,
    )


def _compare(
    case: Case,
    data: CaseData,
    arrays: Sequence[NDArray],
    reference: Sequence[NDArray],
    blocks: Sequence[Block],
    precision: str,
) -> GradcheckReport:
    """The entry-by-entry comparison with the tolerances of the case's reference:
    those of ``precision`` against the oracle or the complex step; the kink-aware
    engine of central differences (and its own tolerances) where that is the
    reference."""
    claimed = np.concatenate([a.ravel() for a in arrays])
    names = functools.partial(backprop.describe_index, list(case.sizes))
    if case.reference == "central":
        f, theta = reference_function(case, data)
        options = CheckOptions(method="central", raise_on_failure=False)
        return check_claimed_gradient(
            f, claimed, theta, options, names=names, blocks=blocks
        )
    rtol, atol = default_tolerances("reference", claimed_dtype=precision)
    return compare_gradients(
        claimed,
        np.concatenate([r.ravel() for r in reference]),
        names=names,
        rtol=rtol,
        atol=atol,
        blocks=blocks,
        raise_on_failure=False,
    )


def _costs(cost: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """The declared costs, validated; ``None`` for every cost that fits."""
    if cost is None:
        return None
    costs = (cost,) if isinstance(cost, str) else tuple(cost)
    for c in costs:
        if c not in backprop.COSTS:
            raise ValueError(f"cost must be among {list(backprop.COSTS)}, got {c!r}")
    if not costs:
        raise ValueError("cost must name at least one cost, got an empty sequence")
    return costs


def _target_name(gradients: Callable[..., Any]) -> str:
    fn = getattr(gradients, "__wrapped__", gradients)
    module = getattr(fn, "__module__", None)
    name = getattr(fn, "__qualname__", type(fn).__name__)
    return f"{module}:{name}" if module else name


def check_implementation(
    gradients: Callable[..., Any],
    *,
    cost: str | Sequence[str] | None = None,
    suite: str = "standard",
    rng: int | np.random.Generator = 0,
    activations: str | Sequence[str] | None = None,
    l2: float = 0.0,
) -> ConformanceReport:
    r"""Run the conformance battery on a gradient function, and diagnose it.

    Parameters
    ----------
    gradients : callable
        ``gradients(weights, biases, x, y, cost=...) -> (grad_w, grad_b)`` in the
        project's convention (:func:`backprop.gradients`), also given
        ``activations=`` and ``l2=`` where those are not the defaults; wrap any
        other convention with :func:`spec.adapt`.
    cost : str or sequence of str, optional
        The cost(s) it implements; each case is run for each. By default every
        cost of :data:`backprop.COSTS` that makes sense on the output layer
        (quadratic and cross-entropy on a sigmoid, quadratic and the
        log-likelihood on a softmax, quadratic on any other).
    suite : {"standard", "layers"}
        The cases (:data:`spec.check.conformance.suites.SUITES`): ``"standard"`` with the
        declared ``activations``; ``"layers"`` with each case's own, one name per
        layer (tanh, ReLU, identity and sigmoid hidden layers mixed, softmax,
        sigmoid, tanh and identity outputs), for a function that takes any
        ``activations=`` as :func:`backprop.gradients` does.
    rng : int or numpy.random.Generator
        Seed of the parameters and data of the cases.
    activations : str or pair of str, optional
        The network's activations, one name for every layer or a pair (hidden,
        output), as :func:`backprop.gradients` takes them; passed on as given to
        ``gradients`` on every case (not with ``suite="layers"``). ``None`` (the sigmoid everywhere) is not
        passed on, so a sigmoid-only function needs no such argument.
    l2 : float, default 0.0
        :math:`\lambda` of the L2 term :math:`\tfrac{\lambda}{2} \sum_l \lVert W^l
        \rVert^2`; passed on as ``l2=`` when not 0.

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
    if activations is not None and not isinstance(activations, str):
        activations = tuple(activations)
        if len(activations) != 2:
            raise ValueError(
                f"activations must be one name or a pair (hidden, output), so that "
                f"networks of every depth can run, got {activations!r}"
            )
    if activations is not None and own_activations(suite):
        raise ValueError(
            f"suite {suite!r} sets each case's activations; give activations= "
            f"with another suite, got {activations!r}"
        )
    layer_names(activations, 2)  # validates the names (a hidden softmax is refused)
    costs = _costs(cost)
    value: Any = l2  # any object may come; the hint is what is expected
    if isinstance(value, bool) or not isinstance(value, int | float) or not l2 >= 0:
        raise ValueError(f"l2 must be a number >= 0, got {l2!r}")
    if not callable(gradients):
        raise TypeError(f"gradients must be callable, got {type(gradients).__name__}")
    seed = rng if isinstance(rng, int) and not isinstance(rng, bool) else None
    generator = np.random.default_rng(rng)
    cases = suite_cases(suite, costs, activations, float(l2))
    if not cases:
        raise ValueError(f"cost {costs!r} fits no output layer of suite {suite!r}")
    results = [_run_case(gradients, case, case_data(case, generator)) for case in cases]
    diagnosis = None if all(r.passed for r in results) else diagnose(results)
    return ConformanceReport(
        target=_target_name(gradients),
        costs=tuple(dict.fromkeys(c.cost for c in cases)),
        suite=suite,
        rng=seed,
        cases=tuple(results),
        diagnosis=diagnosis,
        warnings=shape_warnings(results),
        activations=activations,
        l2=float(l2),
    )
