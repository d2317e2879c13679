"""What ``import spec`` loads: the symbolic half only; :mod:`spec.check` (and with
it :mod:`backprop` and array-api-compat) on first use of one of its names."""

from __future__ import annotations

import subprocess
import sys

import spec


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_import_spec_loads_neither_check_nor_backprop():
    code = (
        "import sys, spec\n"
        "r = spec.prove_backprop([2, 2], m=1)\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('spec.check', "
        "'backprop', 'array_api_compat')))\n"
        "print(r.proven, loaded)"
    )
    assert _run(code) == "True []"


def test_a_check_name_loads_its_room_on_first_use():
    code = (
        "import sys, spec\n"
        "f = spec.check_vjp\n"
        "print(f.__module__, 'spec.check.conformance.run' in sys.modules)"
    )
    assert _run(code) == "spec.check.derivatives.vjp False"


def test_every_name_of_spec_resolves():
    missing = [name for name in spec.__all__ if getattr(spec, name, None) is None]
    assert missing == []
    assert set(spec.__all__) <= set(dir(spec))
