"""The derivative-check catalogue through PyTorch's gradcheck and ours, side by side.

Every case of ``tests/catalogue.py`` (nine hand-written derivatives, each right and
subtly wrong) becomes a ``torch.autograd.Function`` whose backward is the case's
VJP, with PyTorch tensors as inputs, in float64 and in float32. Each is checked by

- ``torch.autograd.gradcheck`` with its defaults (``fast_mode`` False and True),
- ``torch.autograd.gradgradcheck`` (second order: the backward differentiated),
- ``spec.check_vjp`` on the same tensors (entry mode and ``fast=True``),
- ``spec.check_hvp`` of ``<w, f>`` with ``grad=`` the case's VJP and the
  Hessian-vector product taken from the backward by autograd (as gradgradcheck).

For each: whether it *caught* the case (reported a failure), and the time per
check, best of ``--repeat``. A right derivative caught is a false alarm.

Run (PyTorch needed: ``pip install torch==2.13.0``, plain pip):
``python benchmarks/bench_checks.py [--repeat 3] [--out benchmarks/results/bench_checks.txt]``
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import array_api_compat.torch as xp
from catalogue import CASES, Case, _leaves, _rebuild, vjp_of
from torch.autograd.gradcheck import GradcheckError

import spec


def function_of(case: Case, jac: Callable[[Any], Any], template: Any) -> Any:
    """``case.f`` as a torch Function of the leaves, with the case's VJP as backward."""
    vjp = vjp_of(jac)

    class CaseFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, *leaves: torch.Tensor) -> torch.Tensor:
            ctx.save_for_backward(*leaves)
            return case.f(_rebuild(template, iter(leaves)))

        @staticmethod
        def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[torch.Tensor, ...]:
            leaves = ctx.saved_tensors
            grads = _leaves(vjp(_rebuild(template, iter(leaves)), grad_out))
            return tuple(g.to(t.dtype) for g, t in zip(grads, leaves, strict=True))

    return CaseFunction.apply


def timed(repeat: int, fn: Callable[[], bool]) -> tuple[str, float]:
    """``(verdict, seconds)``: ``fn()`` returns True when the check caught the case;
    ``"error"`` when the checker itself raised (not a verdict on the derivative)."""
    best, verdict = float("inf"), "passed"
    for _ in range(repeat):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns on float32 inputs
            try:
                verdict = "CAUGHT" if fn() else "passed"
            except GradcheckError:
                verdict = "CAUGHT"
            except (RuntimeError, TypeError, ValueError):
                verdict = "error"
        best = min(best, time.perf_counter() - t0)
    return verdict, best


def checks(case: Case, wrong: bool, dtype: str) -> dict[str, Callable[[], bool]]:
    jac = case.wrong if wrong else case.jac
    tree = case.point(xp, dtype)
    leaves = [t.detach().clone().requires_grad_(True) for t in _leaves(tree)]
    fn = function_of(case, jac, tree)
    vjp = vjp_of(jac)
    w = torch.as_tensor(
        np.random.default_rng(5).standard_normal(tuple(case.f(tree).shape)),
        dtype=case.f(tree).dtype,
    )

    def scalar(x: Any) -> torch.Tensor:
        return torch.sum(w.to(case.f(x).dtype) * case.f(x))

    def grad(x: Any) -> Any:
        return vjp(x, w)

    def hvp(x: Any, v: Any) -> Any:
        xs = [t.detach().clone().requires_grad_(True) for t in _leaves(x)]
        g = _leaves(vjp(_rebuild(x, iter(xs)), w))
        dot = sum(
            torch.sum(a * b.to(a.dtype)) for a, b in zip(g, _leaves(v), strict=True)
        )
        if not dot.requires_grad:  # a piecewise-constant derivative: H v = 0
            return _rebuild(x, iter(torch.zeros_like(t) for t in xs))
        out = torch.autograd.grad(dot, xs, allow_unused=True)
        return _rebuild(
            x,
            iter(
                torch.zeros_like(t) if o is None else o.detach()
                for o, t in zip(out, xs, strict=True)
            ),
        )

    def ours(**kw: Any) -> bool:
        report = spec.check_vjp(case.f, vjp, tree, v=w, raise_on_failure=False, **kw)
        return not report.passed

    return {
        "torch gc": lambda: (
            not torch.autograd.gradcheck(fn, tuple(leaves), raise_exception=False)
        ),
        "torch gc fast": lambda: (
            not torch.autograd.gradcheck(
                fn, tuple(leaves), fast_mode=True, raise_exception=False
            )
        ),
        "ours": lambda: ours(),
        "ours fast": lambda: ours(fast=True),
        "torch ggc": lambda: (
            not torch.autograd.gradgradcheck(fn, tuple(leaves), raise_exception=False)
        ),
        "ours hvp": lambda: (
            not spec.check_hvp(
                scalar, hvp, tree, grad=grad, raise_on_failure=False
            ).passed
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of N")
    parser.add_argument("--out", type=Path, default=None, help="also write here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    names = list(checks(CASES[0], False, "float64"))
    header = (
        f"torch {torch.__version__}; caught = the check reported a failure "
        f"(on a right derivative: a false alarm); ms = best of {args.repeat}, "
        "one thread"
    )
    lines = [
        header,
        "",
        f"{'case':12} {'deriv':5} {'dtype':7} " + " ".join(f"{n:>16}" for n in names),
    ]
    totals: dict[tuple[str, str, str], int] = {}
    errors: dict[tuple[str, str, str], int] = {}
    for dtype in ("float64", "float32"):
        for case in CASES:
            for wrong in (False, True):
                cells = []
                for name, fn in checks(case, wrong, dtype).items():
                    verdict, seconds = timed(args.repeat, fn)
                    key = (name, dtype, "wrong" if wrong else "right")
                    totals[key] = totals.get(key, 0) + int(verdict == "CAUGHT")
                    errors[key] = errors.get(key, 0) + int(verdict == "error")
                    cells.append(f"{verdict:>6} {seconds * 1e3:7.1f}ms")
                label = "wrong" if wrong else "right"
                lines.append(
                    f"{case.name:12} {label:5} {dtype:7} "
                    + " ".join(f"{c:>16}" for c in cells)
                )
    n = len(CASES)
    lines += ["", "Totals: wrong derivatives caught / false alarms on right ones"]
    for dtype in ("float64", "float32"):
        lines.append(f"  {dtype}:")
        for nm in names:
            wrong_key, right_key = (nm, dtype, "wrong"), (nm, dtype, "right")
            lines.append(
                f"    {nm:14} {totals[wrong_key]}/{n} wrong caught, "
                f"{totals[right_key]}/{n} false alarms, "
                f"{errors[wrong_key] + errors[right_key]} errors"
            )
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
