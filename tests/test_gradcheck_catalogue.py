"""The derivative checks on a catalogue of hand-written derivatives, right and wrong.

Each case of ``catalogue.py`` is checked in every form (Jacobian, VJP, JVP, the
gradient of a scalar, the Taylor test), in entry and fast mode: every right
derivative passes, every wrong one fails, and in entry mode the entries named
wrong are exactly those where the wrong derivative differs from the right one.
All random choices are seeded; fast mode's false-alarm probability per compared
item is below 3.1e-8 (spec.check.derivatives.tangents), and its seeds here are fixed.

The ``library`` fixture runs the catalogue on NumPy and on ``array-api-strict``;
``nox -s interop`` adds PyTorch tensors (marker ``interop``).
"""

from __future__ import annotations

import array_api_strict
import numpy as np
import pytest
from catalogue import CASES, Case, jvp_of, vjp_of

import spec
from spec.check.derivatives.arrays import to_numpy
from spec.check.derivatives.report import GradcheckReport
from spec.check.derivatives.tangents import output_namer
from spec.check.derivatives.trees import flatten, flatten_like

pytestmark = pytest.mark.usefixtures("single_threaded_blas")

LIBRARIES = [
    pytest.param(np, id="numpy"),
    pytest.param(array_api_strict, id="array_api_strict"),
    pytest.param("torch", id="torch", marks=pytest.mark.interop),
]
#: A difference between the right and the wrong derivative counts as a wrong entry
#: above this fraction of the largest entry; the catalogue's wrong entries differ by
#: 1e-2 or more, the others by rounding (below 1e-14).
WRONG = 1e-6
#: The forms each case is checked in, with fast mode or not (the Taylor test has none).
FORMS = [
    pytest.param(form, fast, id=f"{form}{'-fast' if fast else ''}")
    for form in ("jacobian", "vjp", "jvp", "gradient")
    for fast in (False, True)
] + [pytest.param("taylor", False, id="taylor")]


@pytest.fixture(params=LIBRARIES)
def xp(request):
    if request.param == "torch":
        import array_api_compat.torch as xp_torch  # nox -s interop installs torch

        return xp_torch
    return request.param


def dtype_of(case: Case) -> str:
    return "float32" if case.float32 else "float64"


def numpy_jacobian(case: Case, jac, x) -> np.ndarray:
    """``jac(x)`` as one (m, n) float64 NumPy matrix over flat entries."""
    _, treedef = flatten(x)
    out = to_numpy(case.f(x)).shape
    return flatten_like(jac(x), treedef, "jac", extra=out).reshape(-1, treedef.size)


def wrong_entries(matrix: np.ndarray) -> np.ndarray:
    return np.abs(matrix) > WRONG * np.abs(matrix).max()


def failed_names(report: GradcheckReport) -> set[str]:
    return {e.name for e in report.worst if not e.passed} | {
        k.name for k in report.kinks if not k.passed
    }


def cotangent(case: Case, x) -> np.ndarray:
    """The fixed cotangent of the VJP and gradient forms (seeded)."""
    return np.random.default_rng(5).standard_normal(to_numpy(case.f(x)).shape)


def run(case: Case, form: str, xp, *, wrong: bool, fast: bool):
    x = case.point(xp, dtype_of(case))
    jac = case.wrong if wrong else case.jac
    common = {"raise_on_failure": False, "n_worst": 1000, "rng": 3}
    if form == "jacobian":
        return spec.check_jacobian(case.f, jac, x, fast=fast, **common)
    if form == "vjp":
        v = xp.asarray(cotangent(case, x))
        return spec.check_vjp(case.f, vjp_of(jac), x, v=v, fast=fast, **common)
    if form == "jvp":
        return spec.check_jvp(case.f, jvp_of(jac), x, fast=fast, **common)
    if form == "gradient":  # of <w, f(x)>, whose gradient is the VJP of w
        if case.scalar:
            return spec.gradcheck(case.f, jac, x, method="auto", fast=fast, **common)
        w = xp.asarray(cotangent(case, x))
        return spec.gradcheck(
            lambda x: xp.sum(w * case.f(x)),
            lambda x: vjp_of(jac)(x, w),
            x,
            method="auto",
            fast=fast,
            **common,
        )
    if case.scalar:
        return spec.gradcheck(case.f, jac, x, method="taylor", **common)
    return spec.check_jvp(case.f, jvp_of(jac), x, method="taylor", **common)


@pytest.mark.parametrize(("form", "fast"), FORMS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_gradcheck_catalogue_right_derivatives_pass(case, form, fast, xp):
    report = run(case, form, xp, wrong=False, fast=fast)
    assert report.passed, str(report)


@pytest.mark.parametrize(("form", "fast"), FORMS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_gradcheck_catalogue_wrong_derivatives_fail(case, form, fast, xp):
    report = run(case, form, xp, wrong=True, fast=fast)
    assert not report.passed, str(report)
    if fast or form == "taylor":
        return  # fast mode names blocks and directions; the Taylor test, an order
    x = case.point(np, dtype_of(case))
    error = numpy_jacobian(case, case.wrong, x) - numpy_jacobian(case, case.jac, x)
    _, treedef = flatten(x)
    out_shape = np.shape(case.f(x))
    out = output_namer(out_shape)
    if case.scalar and form in ("vjp", "gradient"):
        root = "theta" if form == "gradient" else "x"
        expected = {
            root + treedef.name(k)[1:] for k in np.flatnonzero(wrong_entries(error[0]))
        }
    elif form in ("vjp", "gradient"):
        v = cotangent(case, x).reshape(-1)
        root = "theta" if form == "gradient" else "x"
        expected = {
            root + treedef.name(k)[1:] for k in np.flatnonzero(wrong_entries(v @ error))
        }
    elif case.scalar:
        expected = {treedef.name(k) for k in np.flatnonzero(wrong_entries(error[0]))}
    else:
        rows, cols = np.nonzero(wrong_entries(error))
        expected = {
            f"d{out(i)}/d{treedef.name(k)}" for i, k in zip(rows, cols, strict=True)
        }
    assert failed_names(report) == expected, str(report)
