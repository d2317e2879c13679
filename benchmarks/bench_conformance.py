"""Time one run of the conformance battery (``spec.check_implementation``).

- cold: a fresh Python process, so the time includes deriving and compiling the
  oracle for every shape of the suite (the derivations are cached per shape after
  that), but not importing ``spec``;
- warm: the same run again in that process, every derivation cached;

for the tutorial-style implementation of ``tests/tutorial_net.py`` (one example
per call, plugged in with ``spec.adapt``), ``backprop.gradients``, and one
seeded mistake (the missing transpose, which also runs the diagnosis); then the
same beyond the sigmoid: ``tests/tutorial_layers_net.py`` and
``backprop.gradients`` on ReLU (central differences) and tanh (complex step)
networks with a softmax output and L2, and a seeded softmax-Jacobian mistake. The load
average is printed with the figures: on a busy machine they grow.

Run: ``python benchmarks/bench_conformance.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import sys, time
sys.path.insert(0, {tests!r})
import backprop, spec, tutorial_net, tutorial_layers_net
from seeded_mistakes import PER_EXAMPLE, SEEDED
from seeded_layer_mistakes import NEW

relu = {{"activations": ("relu", "softmax"), "l2": 0.01}}
tanh = {{"activations": ("tanh", "softmax"), "l2": 0.01}}

layers = spec.adapt(tutorial_layers_net.gradients, **PER_EXAMPLE)
targets = {{
    "tutorial_net.gradients (per example)": (
        spec.adapt(tutorial_net.gradients, **PER_EXAMPLE), {{}}
    ),
    "backprop.gradients": (backprop.gradients, {{}}),
    "seeded bp2_no_transpose + diagnosis": (
        spec.adapt(
            next(m for m in SEEDED if m.name == "bp2_no_transpose").load().gradients,
            **PER_EXAMPLE,
        ),
        {{}},
    ),
    "tutorial_layers_net relu,softmax l2": (layers, relu),
    "tutorial_layers_net tanh,softmax l2": (layers, tanh),
    "backprop.gradients relu,softmax l2": (backprop.gradients, relu),
    "seeded softmax Jacobian + diagnosis": (
        spec.adapt(NEW[0].load().gradients, **PER_EXAMPLE), relu
    ),
}}
fn, network = targets[{name!r}]
t0 = time.perf_counter()
spec.check_implementation(fn, **network)
cold = time.perf_counter() - t0
t0 = time.perf_counter()
spec.check_implementation(fn, **network)
print(cold, time.perf_counter() - t0)
"""

NAMES = (
    "tutorial_net.gradients (per example)",
    "backprop.gradients",
    "seeded bp2_no_transpose + diagnosis",
    "tutorial_layers_net relu,softmax l2",
    "tutorial_layers_net tanh,softmax l2",
    "backprop.gradients relu,softmax l2",
    "seeded softmax Jacobian + diagnosis",
)


def main() -> None:
    """Print the table."""
    load = os.getloadavg()
    print(
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores"
    )
    print(f"{'gradient function':<40} {'cold s':>8} {'warm s':>8}")
    for name in NAMES:
        code = CHILD.format(tests=str(ROOT / "tests"), name=name)
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
        cold, warm = (float(v) for v in out[-2:])
        print(f"{name:<40} {cold:>8.2f} {warm:>8.2f}")


if __name__ == "__main__":
    main()
