"""Mistakes seeded into the project's two whole programs, one line edited each.

Each :class:`ProgramMistake` replaces one line (or one piece of a line) of
``tutorial_program.py`` or ``nielsen_program.py``, the way a learner would get it
wrong, and says what a whole-program check must report: the part that fails, the
catalogue's name for the mistake (``None`` where no catalogue knows it), and the
line the report must point at (by default the edited one). The table covers every
catalogue entry that applies to a sigmoid network with one example per call,
mistakes the catalogue does not know, the activation functions, the one-hot
encoding, the forward pass, the minibatch step (no averaging, averaging twice,
wrong sign, L2 decay off) and loop bounds that crash.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

HERE = Path(__file__).parent
TUTORIAL = HERE / "tutorial_program.py"
NIELSEN = HERE / "nielsen_program.py"


@dataclasses.dataclass(frozen=True)
class ProgramMistake:
    """One edit of a program and what the check must say about it.

    Attributes
    ----------
    name : str
        Identifier of the seeded mistake.
    path : Path
        The program edited.
    old, new : str
        The text replaced (it must occur exactly once) and its replacement.
    part : str
        The part whose diagnosis is checked (it must fail).
    mistake : str or None
        The name the diagnosis must give, or ``None`` (none known).
    at : str or None
        A piece of the line the report must point at, in the edited file (by
        default ``new``'s first line).
    """

    name: str
    path: Path
    old: str
    new: str
    part: str
    mistake: str | None = None
    at: str | None = None

    def source(self) -> str:
        """The edited program."""
        text = self.path.read_text(encoding="utf-8")
        found = text.count(self.old)
        if found != 1:
            raise ValueError(
                f"seeded mistake {self.name}: {self.old!r} occurs {found} times in "
                f"{self.path.name}, expected once"
            )
        return text.replace(self.old, self.new)

    def write(self, directory: Path) -> Path:
        """The edited program written to ``directory``, named after the mistake."""
        path = directory / f"{self.path.stem}_{self.name}.py"
        path.write_text(self.source(), encoding="utf-8")
        return path

    def expected_lines(self) -> range:
        """The lines of the statement the report must point at (first to last)."""
        source = self.source()
        piece = self.at or self.new.strip().splitlines()[0].strip()
        if source.count(piece) != 1:
            raise ValueError(
                f"seeded mistake {self.name}: {piece!r} occurs {source.count(piece)} "
                "times in the edited program, expected once"
            )
        number = source[: source.index(piece)].count("\n") + 1
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.stmt):
                continue
            body = getattr(node, "body", None)
            if isinstance(body, list) and body:  # a compound statement: its header
                last = body[0].lineno - 1
            else:
                last = node.end_lineno or node.lineno
            if node.lineno <= number <= last:
                return range(node.lineno, last + 1)
        return range(number, number + 1)


def _t(name, old, new, part, mistake=None, at=None):
    return ProgramMistake(name, TUTORIAL, old, new, part, mistake, at)


def _n(name, old, new, part, mistake=None, at=None):
    return ProgramMistake(name, NIELSEN, old, new, part, mistake, at)


_T_BP2 = "delta = np.dot(next_layer.weights.T, delta) * activation_prime"
_T_PRIME = "activation_prime = self.layers[l].activation_prime(aggregations[l])"
_T_BP4 = "weight_gradients.append(np.outer(deltas[l], activations[l]))"
_N_BP2 = "delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp"
_N_BP4 = "nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())"
_N_W = "(1 - eta * (lmbda / n)) * w - (eta / len(mini_batch)) * nw"
_N_B = "b - (eta / len(mini_batch)) * nb\n"

SEEDED: tuple[ProgramMistake, ...] = (
    # -- the activation functions, the one-hot encoding, the forward pass ------
    _t(
        "sigmoid_sign",
        "return 1.0 / (1.0 + np.exp(-x))",
        "return 1.0 / (1.0 + np.exp(x))",
        "sigmoid",
    ),
    _t(
        "sigmoid_prime_of_z_as_a",
        "return s * (1.0 - s)",
        "return x * (1.0 - x)",
        "sigmoid_prime",
    ),
    _n(
        "sigmoid_prime_squared",
        "return sigmoid(z) * (1 - sigmoid(z))",
        "return sigmoid(z) * (1 - sigmoid(z) ** 2)",
        "sigmoid_prime",
    ),
    _t(
        "one_hot_off_by_one",
        "one_hot[y] = 1.0",
        "one_hot[y - 1] = 1.0",
        "to_one_hot",
        "one_hot_off_by_one",
    ),
    _t(
        "one_hot_width_fixed",
        "one_hot = np.zeros(k)",
        "one_hot = np.zeros(10)",
        "to_one_hot",
    ),
    _t(
        "forward_without_biases",
        "return np.dot(self.weights, data) + self.biases",
        "return np.dot(self.weights, data)",
        "Network.feedforward",
    ),
    _n(
        "forward_bias_subtracted",
        "a = sigmoid(np.dot(w, a) + b)",
        "a = sigmoid(np.dot(w, a) - b)",
        "Network.feedforward",
    ),
    _t(
        "predict_argmin",
        "return np.argmax(self.feedforward(x))",
        "return np.argmin(self.feedforward(x))",
        "Network.predict",
    ),
    _t(
        "evaluate_count",
        "return correct / len(X)",
        "return correct",
        "Network.evaluate",
    ),
    _n(
        "evaluate_fraction",
        "return sum(int(x == y) for (x, y) in results)",
        "return sum(int(x == y) for (x, y) in results) / len(test_data)",
        "Network.evaluate",
    ),
    _n(
        "cost_derivative_sign",
        "return output_activations - y",
        "return y - output_activations",
        "Network.cost_derivative",
    ),
    # -- backprop: the catalogue's entries ---------------------------------------
    _t(
        "sign_flip",
        "return a - target",
        "return target - a",
        "Network.backprop",
        "sign_flip",
    ),
    _t(
        "t_bp1_cross_entropy_stray_sigma_prime",
        "return a - target",
        "return (a - target) * sigmoid_prime(z)",
        "Network.backprop",
        "bp1_cross_entropy_stray_sigma_prime",
    ),
    _n(
        "n_bp1_cross_entropy_stray_sigma_prime",
        "        return a - y\n\n\nclass Network",
        "        return (a - y) * sigmoid_prime(z)\n\n\nclass Network",
        "Network.backprop",
        "bp1_cross_entropy_stray_sigma_prime",
        at="return (a - y) * sigmoid_prime(z)\n\n\nclass Network",
    ),
    _n(
        "bp1_quadratic_no_sigma_prime",
        "return (a - y) * sigmoid_prime(z)",
        "return a - y",
        "Network.backprop",
        "bp1_quadratic_no_sigma_prime",
        at="return a - y\n\n\nclass CrossEntropyCost",
    ),
    _n(
        "bp1_sigma_for_sigma_prime",
        "return (a - y) * sigmoid_prime(z)",
        "return (a - y) * sigmoid(z)",
        "Network.backprop",
        "bp1_sigma_for_sigma_prime",
    ),
    _n(
        "other_cost",
        "delta = self.cost.delta(zs[-1], activations[-1], y)",
        "delta = (QuadraticCost if self.cost is CrossEntropyCost else "
        "CrossEntropyCost).delta(zs[-1], activations[-1], y)",
        "Network.backprop",
        "other_cost",
    ),
    _t(
        "t_bp2_no_transpose",
        _T_BP2,
        "delta = np.dot(next_layer.weights, delta) * activation_prime",
        "Network.backprop",
        "bp2_no_transpose",
    ),
    _n(
        "n_bp2_no_transpose",
        _N_BP2,
        "delta = np.dot(self.weights[-l + 1], delta) * sp",
        "Network.backprop",
        "bp2_no_transpose",
    ),
    _t(
        "bp2_sigma_for_sigma_prime",
        _T_PRIME,
        "activation_prime = self.layers[l].activation(aggregations[l])",
        "Network.backprop",
        "bp2_sigma_for_sigma_prime",
    ),
    _t(
        "t_bp2_sigma_prime_of_a",
        _T_PRIME,
        "activation_prime = self.layers[l].activation_prime(activations[l + 1])",
        "Network.backprop",
        "bp2_sigma_prime_of_a",
    ),
    _n(
        "n_bp2_sigma_prime_of_a",
        "sp = sigmoid_prime(z)",
        "sp = sigmoid_prime(activations[-l])",
        "Network.backprop",
        "bp2_sigma_prime_of_a",
    ),
    _t(
        "t_bp2_z_of_next_layer",
        _T_PRIME,
        "activation_prime = self.layers[l].activation_prime(aggregations[l + 1])",
        "Network.backprop",
        "bp2_z_of_next_layer",
    ),
    _n(
        "n_bp2_z_of_next_layer",
        "z = zs[-l]\n",
        "z = zs[-l + 1]\n",
        "Network.backprop",
        "bp2_z_of_next_layer",
    ),
    _t(
        "bp2_sigma_prime_before_transpose",
        _T_BP2,
        "delta = np.dot(next_layer.weights.T, delta * "
        "self.layers[l + 1].activation_prime(aggregations[l + 1]))",
        "Network.backprop",
        "bp2_sigma_prime_before_transpose",
    ),
    _t(
        "t_bp4_activation_of_same_layer",
        _T_BP4,
        "weight_gradients.append(np.outer(deltas[l], activations[l + 1]))",
        "Network.backprop",
        "bp4_activation_of_same_layer",
    ),
    _n(
        "n_bp4_activation_of_same_layer",
        _N_BP4,
        "nabla_w[-l] = np.dot(delta, activations[-l].transpose())",
        "Network.backprop",
        None,  # the output layer's gradient, outside the loop, stays right
    ),
    _t(
        "bp4_transposed",
        _T_BP4,
        "weight_gradients.append(np.outer(activations[l], deltas[l]))",
        "Network.backprop",
        "bp4_transposed",
    ),
    _t(
        "bias_broadcast_scalar",
        "bias_gradients.append(deltas[l])",
        "bias_gradients.append(np.sum(deltas[l]))",
        "Network.backprop",
        "bias_broadcast_scalar",
    ),
    _t(
        "returns_biases_first",
        "return weight_gradients, bias_gradients",
        "return bias_gradients, weight_gradients",
        "Network.backprop",
        "returns_biases_first",
    ),
    _n(
        "hidden_loop_stops_early",
        "for l in range(2, self.num_layers):",
        "for l in range(2, self.num_layers - 1):",
        "Network.backprop",
        None,  # the output layer is done outside the loop: not the catalogue's
    ),
    # -- backprop: mistakes the catalogue does not know --------------------------
    _n(
        "bp1_delta_halved",
        "delta = self.cost.delta(zs[-1], activations[-1], y)",
        "delta = self.cost.delta(zs[-1], activations[-1], y) / 2",
        "Network.backprop",
    ),
    _t(
        "bp2_prime_of_the_weights",
        _T_BP2,
        "delta = np.dot(next_layer.weights.T, delta) * activation_prime * activation_prime",
        "Network.backprop",
    ),
    _n(
        "forward_z_without_bias_in_backprop",
        "z = np.dot(w, activation) + b",
        "z = np.dot(w, activation)",
        "Network.backprop",
    ),
    # -- loop bounds that crash --------------------------------------------------
    _t(
        "t_backward_loop_stops_early_crashes",
        "for l in range(len(self.layers) - 2, -1, -1):",
        "for l in range(len(self.layers) - 2, 0, -1):",
        "Network.backprop",
    ),
    _t(
        "t_gradient_loop_overruns",
        "for l in range(len(self.layers)):",
        "for l in range(len(self.layers) + 1):",
        "Network.backprop",
    ),
    _n(
        "n_backward_loop_overruns",
        "for l in range(2, self.num_layers):",
        "for l in range(2, self.num_layers + 1):",
        "Network.backprop",
    ),
    # -- the minibatch step --------------------------------------------------------
    _t(
        "t_step_no_averaging",
        "step = learning_rate / len(X)",
        "step = learning_rate",
        "Network.train_batch",
        "step_sum_not_mean",
    ),
    _t(
        "t_step_averaging_twice",
        "step = learning_rate / len(X)",
        "step = learning_rate / len(X) / len(X)",
        "Network.train_batch",
        "step_mean_twice",
    ),
    _t(
        "t_step_sign",
        "self.weights = self.weights - learning_rate * gradient",
        "self.weights = self.weights + learning_rate * gradient",
        "Network.train_batch",
    ),
    _n(
        "n_step_no_averaging",
        _N_W,
        "(1 - eta * (lmbda / n)) * w - eta * nw",
        "Network.update_mini_batch",
    ),
    _n(
        "n_step_sign",
        _N_B,
        "b + (eta / len(mini_batch)) * nb\n",
        "Network.update_mini_batch",
    ),
    _n(
        "n_step_l2_decay_off",
        _N_W,
        "w - (eta / len(mini_batch)) * nw",
        "Network.update_mini_batch",
        "step_no_weight_decay",
    ),
    _n(
        "n_step_decays_biases",
        _N_B,
        "(1 - eta * (lmbda / n)) * b - (eta / len(mini_batch)) * nb\n",
        "Network.update_mini_batch",
        "step_decays_biases",
    ),
)
