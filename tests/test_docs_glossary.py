"""The glossary check of the docs ("Notation and names in the code"), on fakes.

``specdocs.drift.check_glossary`` fails the docs build when the names of
``backprop`` and ``spec`` drift apart; here it is handed fake packages, aligned
and then broken one way at a time, so its comparison logic is tested whatever
state the real packages are in.
"""

from __future__ import annotations

import dataclasses
import importlib
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "_ext"))
drift = importlib.import_module("specdocs.drift")


def bp1(nabla_a, z):
    return nabla_a, z


def bp2(w_next, delta_next, z):
    return w_next, delta_next, z


def bp3(delta, *, batch="mean"):
    return delta, batch


def bp4(delta, a_prev, out=None):
    return delta, a_prev, out


def bp4_swapped(a_prev, deltas):
    return a_prev, deltas


def gradients(weights, biases, x, y, cost="cross_entropy"):
    return weights, biases, x, y, cost


def backward(weights, zs, activations, y, cost):
    return weights, zs, activations, y, cost


def function():
    return None


@dataclasses.dataclass
class Network:
    weights: Any
    biases: Any
    x: Any
    y: Any
    zs: Any
    activations: Any


def aligned() -> dict[str, Any]:
    """Fake objects for every name of the glossary, agreeing with it."""
    costs = ("quadratic", "cross_entropy")
    return {
        "backprop.gradients": gradients,
        "backprop.backward": backward,
        "backprop.mean_cost": function,
        "backprop.COSTS": costs,
        "backprop.costs": SimpleNamespace(),
        "backprop.sigmoid": function,
        "backprop.sigmoid_prime": function,
        "spec.oracle_gradients": gradients,
        "spec.SymbolicNetwork": Network,
        "spec.costs.mean_cost": function,
        "spec.COSTS": costs,
        "spec.costs": SimpleNamespace(),
        "spec.sigma": function,
        "spec.sigma_prime": function,
        **{
            f"{pkg}.bp{n}": f
            for n, f in enumerate((bp1, bp2, bp3, bp4), start=1)
            for pkg in ("backprop.equations", "spec.recursion")
        },
    }


def resolver(objects: dict[str, Any]):
    def resolve(dotted: str) -> Any:
        if dotted not in objects:
            raise LookupError(f"no object {dotted}")
        return objects[dotted]

    return resolve


def check(**changes: Any) -> list[str]:
    objects = aligned()
    for key, value in changes.items():
        dotted = key.replace("__", ".")
        if value is None:
            del objects[dotted]
        else:
            objects[dotted] = value
    return drift.check_glossary(resolver(objects))


def test_aligned_packages_pass():
    assert check() == []


def test_every_glossary_name_is_looked_up():
    looked_up = []

    def resolve(dotted: str) -> Any:
        looked_up.append(dotted)
        return resolver(aligned())(dotted)

    drift.check_glossary(resolve)
    assert set(looked_up) == set(aligned())


def test_swapped_bp4_arguments_fail_naming_both_signatures():
    (problem,) = [p for p in check(spec__recursion__bp4=bp4_swapped) if "BP4" in p]
    assert problem == (
        "BP4: backprop.equations.bp4 takes (delta, a_prev); spec.recursion.bp4 "
        "takes (a_prev, deltas); both must take the notation's (delta, a_prev), "
        "in order"
    )


def test_same_but_wrong_names_in_both_packages_fail():
    def bp1_old(grad_a, z_L):
        return grad_a, z_L

    problems = check(backprop__equations__bp1=bp1_old, spec__recursion__bp1=bp1_old)
    assert any(
        p.startswith("BP1: ") and "the notation's (nabla_a, z)" in p for p in problems
    )
    # nabla_a is also the glossary's name for ∇_a C, an argument of bp1.
    missing = (
        "backprop.equations.bp1 takes no parameter 'nabla_a'; it takes (grad_a, z_L)"
    )
    assert missing in problems


def test_defaults_and_keyword_only_options_are_each_packages_own():
    # bp4's out= and bp3's batch= differ between the packages without a drift.
    assert drift.required_parameters(bp4) == ("delta", "a_prev")
    assert drift.required_parameters(bp3) == ("delta",)


def test_missing_module_and_function_fail():
    problems = check(spec__costs=None, backprop__mean_cost=None)
    assert "spec.costs does not exist (no object spec.costs)" in problems
    assert "backprop.mean_cost does not exist (no object backprop.mean_cost)" in (
        problems
    )


def test_missing_parameter_fails():
    @dataclasses.dataclass
    class OldNetwork:
        weights: Any
        biases: Any
        x: Any
        t: Any
        zs: Any
        activations: Any

    problems = check(spec__SymbolicNetwork=OldNetwork)
    assert problems == [
        (
            "spec.SymbolicNetwork takes no parameter 'y'; it takes "
            "(weights, biases, x, t, zs, activations)"
        )
    ]


def test_costs_must_be_equal_tuples_of_names():
    as_dict = {"quadratic": object(), "cross_entropy": object()}
    problems = check(backprop__COSTS=as_dict)
    assert problems == [
        (
            "backprop.COSTS must be a tuple of cost names, got a dict of "
            "['quadratic', 'cross_entropy']"
        )
    ]
    problems = check(spec__COSTS=("cross_entropy", "quadratic"))
    assert problems == [
        (
            "backprop.COSTS and spec.COSTS name different costs: backprop.COSTS = "
            "('quadratic', 'cross_entropy') vs spec.COSTS = ('cross_entropy', "
            "'quadratic')"
        )
    ]
    problems = check(backprop__COSTS=("quadratic",), spec__COSTS=("quadratic",))
    assert problems == [
        "backprop.COSTS lacks the documented costs ['cross_entropy']",
        "spec.COSTS lacks the documented costs ['cross_entropy']",
    ]


@pytest.mark.parametrize(
    ("dotted", "message"),
    [
        ("backprop.no_such_name", "backprop has no attribute 'no_such_name'"),
        ("spec.no_such_module.f", "spec has no attribute 'no_such_module'"),
        ("no_such_package_xyz.f", "no module 'no_such_package_xyz'"),
    ],
)
def test_import_object_names_what_is_missing(dotted, message):
    with pytest.raises(LookupError, match=message):
        drift.import_object(dotted)


def test_import_object_finds_functions_and_modules():
    import backprop.equations

    assert drift.import_object("backprop.equations") is backprop.equations
    assert drift.import_object("backprop.equations.bp1") is backprop.equations.bp1


def test_glossary_imports_without_sphinx():
    # The tests session installs no Sphinx; the glossary and its package must not
    # need it.
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import specdocs.drift; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sphinx', 'docutils')))"
    )
    ext = str(Path(__file__).resolve().parents[1] / "docs" / "_ext")
    done = subprocess.run(
        [sys.executable, "-c", code, ext], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
