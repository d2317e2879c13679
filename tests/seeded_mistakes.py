"""Known mistakes seeded into the tutorial-style implementation (:mod:`tutorial_net`).

Each :class:`SeededMistake` is a one-line edit of ``tutorial_net.py`` (or of the
file ``path``; a patched copy: the source text with one line replaced, loaded as
its own module), made the way a learner would make it, and names the catalogue entry
(:data:`spec.check.conformance.mistakes.MISTAKES`) the diagnosis must report. ``function`` is
the function of the copy to check, with the adapter options it needs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import ModuleType
from typing import Any

SOURCE = Path(__file__).with_name("tutorial_net.py")

#: How the tutorial's functions are plugged into the battery (spec.adapt options).
PER_EXAMPLE = {"layout": "columns", "per_example": True, "returns": ("b", "w")}
MINI_BATCH = {"layout": "columns", "per_example": False, "returns": ("b", "w")}


@dataclasses.dataclass(frozen=True)
class SeededMistake:
    """A line of ``tutorial_net.py`` replaced, and the mistake it makes."""

    name: str
    old: str
    new: str
    function: str = "gradients"
    count: int = 1
    path: Path = SOURCE

    @property
    def adapt_options(self) -> dict[str, Any]:
        """The :func:`spec.adapt` options of ``function``."""
        return PER_EXAMPLE if self.function == "gradients" else MINI_BATCH

    def source(self) -> str:
        """The edited source; the edit must hit ``count`` places exactly."""
        text = self.path.read_text()
        found = text.count(self.old)
        if found != self.count:
            raise ValueError(
                f"seeded mistake {self.name}: {self.old!r} occurs {found} times in "
                f"{self.path.name}, expected {self.count}"
            )
        return text.replace(self.old, self.new)

    def write(self, directory: Path) -> Path:
        """Write the edited copy to ``directory/<source name>_<name>.py``."""
        path = directory / f"{self.path.stem}_{self.name}.py"
        path.write_text(self.source())
        return path

    def load(self) -> ModuleType:
        """The edited copy as a module of its own."""
        name = f"{self.path.stem}_{self.name}"
        module = ModuleType(name)
        module.__file__ = str(self.path)
        exec(compile(self.source(), f"<{name}>", "exec"), module.__dict__)
        return module


_BP2 = "delta = np.dot(weights[-l + 1].transpose(), delta) * sp"
_BP4 = "nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())"

SEEDED: tuple[SeededMistake, ...] = (
    SeededMistake(
        "bp2_no_transpose", _BP2, "delta = np.dot(weights[-l + 1], delta) * sp"
    ),
    SeededMistake(
        "bp2_sigma_for_sigma_prime", "sp = sigmoid_prime(z)", "sp = sigmoid(z)"
    ),
    SeededMistake(
        "bp2_sigma_prime_of_a",
        "sp = sigmoid_prime(z)",
        "sp = sigmoid_prime(activations[-l])",
    ),
    SeededMistake("bp2_z_of_next_layer", "z = zs[-l]\n", "z = zs[-l + 1]\n"),
    SeededMistake(
        "bp2_sigma_prime_before_transpose",
        _BP2,
        "delta = np.dot(weights[-l + 1].transpose(), delta * sigmoid_prime(zs[-l + 1]))",
    ),
    SeededMistake(
        "bp1_sigma_for_sigma_prime",
        "return (a - y) * sigmoid_prime(z)",
        "return (a - y) * sigmoid(z)",
    ),
    SeededMistake(
        "bp1_quadratic_no_sigma_prime",
        "return (a - y) * sigmoid_prime(z)",
        "return a - y",
    ),
    SeededMistake(
        "bp1_cross_entropy_stray_sigma_prime",
        "return a - y\n",
        "return (a - y) * sigmoid_prime(z)\n",
    ),
    SeededMistake(
        "other_cost",
        '{"quadratic": QuadraticCost, "cross_entropy": CrossEntropyCost}',
        '{"quadratic": CrossEntropyCost, "cross_entropy": QuadraticCost}',
    ),
    SeededMistake(
        "sign_flip",
        "delta = COSTS[cost].delta(zs[-1], activations[-1], y)",
        "delta = COSTS[cost].delta(zs[-1], y, activations[-1])",
    ),
    SeededMistake(
        "bp4_activation_of_same_layer",
        _BP4,
        "nabla_w[-l] = np.dot(delta, activations[-l].transpose())",
    ),
    SeededMistake(
        "bp4_transposed",
        _BP4,
        "nabla_w[-l] = np.dot(activations[-l - 1], delta.transpose())",
    ),
    SeededMistake(
        "loop_stops_early",
        "for l in range(1, len(weights) + 1):",
        "for l in range(1, len(weights)):",
    ),
    SeededMistake(
        "sum_not_mean",
        "return ([nb / m for nb in nabla_b], [nw / m for nw in nabla_w])",
        "return (nabla_b, nabla_w)",
        function="mini_batch_gradients",
    ),
    SeededMistake(
        "bias_broadcast_scalar", "nabla_b[-l] = delta", "nabla_b[-l] = np.sum(delta)"
    ),
    SeededMistake(
        "returns_biases_first",
        "    return (nabla_b, nabla_w)\n\n\ndef mini",
        "    return (nabla_w, nabla_b)\n\n\ndef mini",
    ),
)

#: A mistake that crashes on every case: a name the learner never defined.
CRASHING = SeededMistake("crash", "sp = sigmoid_prime(z)", "sp = sigmoid_prim(z)")
