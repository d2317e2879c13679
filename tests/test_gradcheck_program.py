"""Whole programs checked as written (spec.check_program, backprop check FILE.py):
the project's tutorial-style and Nielsen-style programs conformant in every part,
their seeded mistakes flagged, named and pointed at their line, and the command
line's handling of programs, parts and functions."""

from __future__ import annotations

import functools
import json
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from conftest import THOROUGH

import backprop
import spec
from backprop.cli import main
from spec.check.conformance.mistakes import MISTAKES
from spec.check.conformance.program import check_program
from spec.check.conformance.report import SCHEMA

PROGRAMS = Path(__file__).parent / "programs"
sys.path.insert(0, str(PROGRAMS))
from seeded_program_mistakes import SEEDED, ProgramMistake  # noqa: E402

TUTORIAL = str(PROGRAMS / "tutorial_program.py")
NIELSEN = str(PROGRAMS / "nielsen_program.py")
#: Seeds of the false-alarm sweep: 20 under the ``ci`` profile, 2 in the inner loop.
N_SEEDS = 20 if THOROUGH else 2
#: Catalogue entries no seeded program mistake can make, and why.
NOT_APPLICABLE = {
    "sum_not_mean": "backprop takes one example: there is no batch to sum",
    "loop_stops_early": "both programs compute the output layer outside the "
    "backward loop, so a short loop leaves layer 1 at zero only below depth 2 "
    "(seeded as hidden_loop_stops_early, not this entry)",
    "softmax_jacobian_no_outer_product": "sigmoid outputs",
    "softmax_jacobian_diagonal_only": "sigmoid outputs",
    "tanh_prime_one_minus_tanh": "sigmoid layers",
    "l2_on_biases": "the L2 term is in the step, not in backprop",
    "l2_without_lambda": "the L2 term is in the step, not in backprop",
}
#: Of the seeded mistakes, the fraction the report must point at their exact line
#: (the others at a line that uses the wrong value).
EXACT_FRACTION = 0.9


@pytest.mark.parametrize("path", [TUTORIAL, NIELSEN], ids=["tutorial", "nielsen"])
@pytest.mark.parametrize("seed", range(N_SEEDS))
def test_gradcheck_program_conformant_in_every_part(path, seed):
    report = check_program(path, rng=seed)
    assert report.passed, str(report)
    assert all(p.diagnosis is None for p in report.parts)
    kinds = {p.kind for p in report.parts}
    assert {"activation", "forward", "evaluate", "cost", "gradients", "step"} <= kinds


def test_gradcheck_program_recognises_both_layouts():
    tutorial, nielsen = check_program(TUTORIAL), check_program(NIELSEN)
    assert (tutorial.layout, nielsen.layout) == ("tutorial", "nielsen")
    assert [p.name for p in tutorial.parts] == [
        "sigmoid",
        "sigmoid_prime",
        "to_one_hot",
        "Network.feedforward",
        "Network.predict",
        "Network.evaluate",
        "Network.get_output_delta",
        "Network.backprop",
        "Network.train_batch",
    ]
    backprop_part = next(p for p in tutorial.parts if p.kind == "gradients")
    # Integer labels one-hot to the 10 outputs the program fixes.
    assert backprop_part.conformance is not None
    assert backprop_part.conformance.suite == "labels"
    assert {r.case.sizes[-1] for r in backprop_part.conformance.cases} == {10}
    step = next(p for p in nielsen.parts if p.kind == "step")
    assert step.name == "Network.update_mini_batch"
    assert all("lmbda" in c.label for c in step.cases)  # the L2 decay is checked


@functools.cache
def _checked(mistake: ProgramMistake):
    directory = Path(tempfile.mkdtemp(prefix="seeded_program_"))
    return check_program(mistake.write(directory))


def test_gradcheck_program_seeded_table_is_large_and_covers_every_kind():
    assert len(SEEDED) >= 30
    assert len({m.name for m in SEEDED}) == len(SEEDED)
    parts = {m.part for m in SEEDED}
    assert {
        "sigmoid",
        "sigmoid_prime",
        "to_one_hot",
        "Network.backprop",
        "Network.train_batch",
        "Network.update_mini_batch",
    } <= parts
    named = {m.mistake for m in SEEDED if m.part == "Network.backprop"} - {None}
    unknown = [m for m in SEEDED if m.part == "Network.backprop" and m.mistake is None]
    # Every catalogue entry that a sigmoid program taking one example per call can
    # make is seeded; the others are not mistakes such programs can make.
    assert named | set(NOT_APPLICABLE) == {m.name for m in MISTAKES}
    assert not named & set(NOT_APPLICABLE)
    assert len(unknown) >= 3


@pytest.mark.parametrize("mistake", SEEDED, ids=lambda m: m.name)
def test_gradcheck_program_seeded_mistake_flagged_and_named(mistake):
    report = _checked(mistake)
    assert not report.passed
    part = next(p for p in report.parts if p.name == mistake.part)
    assert not part.passed, str(report)
    assert part.diagnosis is not None
    assert part.diagnosis.mistake == mistake.mistake, str(report)
    line = part.diagnosis.line
    assert line is not None, str(report)
    source = mistake.source().splitlines()
    assert 1 <= line.number <= len(source)
    assert line.source.startswith(source[line.number - 1].strip())


def test_gradcheck_program_seeded_mistakes_pointed_at_their_line():
    exact, other = [], []
    for mistake in SEEDED:
        part = next(p for p in _checked(mistake).parts if p.name == mistake.part)
        assert part.diagnosis is not None
        assert part.diagnosis.line is not None
        found = part.diagnosis.line.number
        (exact if found in mistake.expected_lines() else other).append(
            (mistake.name, found)
        )
    assert len(exact) >= EXACT_FRACTION * len(SEEDED), other


def test_gradcheck_program_line_says_what_it_holds():
    mistake = next(m for m in SEEDED if m.name == "n_bp2_z_of_next_layer")
    line = next(p for p in _checked(mistake).parts if p.kind == "gradients")
    assert line.diagnosis is not None
    assert line.diagnosis.line is not None
    assert line.diagnosis.line.source == "z = zs[-l + 1]"
    assert "holds z^" in line.diagnosis.line.explanation
    assert "belongs there" in line.diagnosis.line.explanation


def test_gradcheck_program_report_renderings():
    mistake = next(m for m in SEEDED if m.name == "t_bp2_no_transpose")
    report = _checked(mistake)
    number = mistake.expected_lines().start
    text = str(report)
    # The step crashes too: train_batch calls the crashing backprop.
    assert (
        "NOT conformant: 2 of 9 parts wrong (Network.backprop, Network.train_" in text
    )
    assert f"line {number}: `delta = np.dot(next_layer.weights, delta)" in text
    html = report._repr_html_()
    assert "<table>" in html
    assert f"{number}: <code>delta = np.dot(next_layer.weights, delta) *" in html
    document = json.loads(spec.check.conformance.report.to_json(report))
    assert document["schema"] == SCHEMA == "backprop-spec/conformance/3"
    target = next(t for t in document["targets"] if t["name"] == "Network.backprop")
    assert target["kind"] == "gradients"
    assert target["verdict"] == "failed"
    assert target["diagnosis"]["mistake"] == "bp2_no_transpose"
    assert target["diagnosis"]["equation"] == "BP2"
    assert target["diagnosis"]["line"]["number"] == number
    assert set(target["diagnosis"]["line"]) >= {"path", "number", "source"}
    passed = next(t for t in document["targets"] if t["name"] == "sigmoid")
    assert (passed["verdict"], passed["diagnosis"]) == ("passed", None)
    junit = ET.fromstring(spec.check.conformance.report.to_junit(report))
    cases = junit.findall("testsuite/testcase")
    assert len(cases) == sum(len(p.cases) for p in report.parts)
    assert {c.get("classname") for c in cases} == {p.name for p in report.parts}


# -- the command line --------------------------------------------------------------


@pytest.mark.parametrize("path", [TUTORIAL, NIELSEN], ids=["tutorial", "nielsen"])
def test_gradcheck_program_cli_whole_program(path, tmp_path, capsys):
    json_path, junit_path = tmp_path / "r.json", tmp_path / "r.xml"
    status = main(["check", path, "--json", str(json_path), "--junit", str(junit_path)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert out.startswith(f"{path}: conformant:")
    document = json.loads(json_path.read_text())
    assert document["schema"] == SCHEMA
    assert document["target"] == path
    assert all(t["verdict"] == "passed" for t in document["targets"])
    assert ET.parse(junit_path).getroot().find("testsuite") is not None


def test_gradcheck_program_cli_seeded_mistake_exit_1(tmp_path, capsys):
    mistake = next(m for m in SEEDED if m.name == "n_step_l2_decay_off")
    status = main(["check", str(mistake.write(tmp_path))])
    out = capsys.readouterr().out
    number = mistake.expected_lines().start
    assert status == 1
    assert (
        "the L2 weight decay W ← (1 − αλ/n) W is missing [step_no_weight_decay]" in out
    )
    assert f"line {number}: `self.weights = [w - (eta / len(mini_batch)) * nw" in out


def test_gradcheck_program_cli_a_method_is_bound_to_a_network_the_check_builds(capsys):
    target = f"{TUTORIAL}:Network.backprop"
    assert main(["check", target]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{target}: conformant: 1 of 1 parts passed")
    assert "10 of 10 cases passed" in out


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (f"{TUTORIAL}:Layer.forward", "check the whole program with"),
        (f"{TUTORIAL}:backprop", "did you mean"),
        (f"{NIELSEN}:Network.SGD", "cannot build a Network to call it on"),
    ],
)
def test_gradcheck_program_cli_method_without_instance_is_a_usage_error(
    target, message, capsys
):
    assert main(["check", target]) == 2
    err = capsys.readouterr().err
    assert message in err


def test_gradcheck_program_cli_file_in_no_layout(tmp_path, capsys):
    other = tmp_path / "other.py"
    other.write_text("def relu(z):\n    return z\n")
    assert main(["check", str(other)]) == 2
    err = capsys.readouterr().err
    assert "follows none of the layouts" in err
    assert "it defines relu" in err


def test_gradcheck_program_cli_program_refuses_adapter_flags(capsys):
    assert main(["check", TUTORIAL, "--per-example"]) == 2
    assert "--per-example" in capsys.readouterr().err


def test_gradcheck_program_cli_function_without_cost_keyword(tmp_path, capsys):
    module = tmp_path / "one_cost.py"
    module.write_text(
        "import backprop\n\n\n"
        "def gradients(weights, biases, x, y):\n"
        "    return backprop.gradients(weights, biases, x, y, cost='quadratic')\n"
    )
    target = f"{module}:gradients"
    assert main(["check", target]) == 0  # no --no-cost-keyword needed
    out = capsys.readouterr().out
    assert out.startswith(f"{target}: conformant: 10 of 10 cases passed")
    assert "cost quadratic" in out
    assert main(["check", target, "--no-cost-keyword"]) == 0


def test_gradcheck_program_cli_return_order_hint_never_contradicts(tmp_path, capsys):
    module = tmp_path / "order.py"
    module.write_text(
        "import backprop\n\n\n"
        "def gradients(weights, biases, x, y, cost='quadratic'):\n"
        "    return backprop.gradients(weights, biases, x, y, cost=cost)\n"
    )
    status = main(["check", f"{module}:gradients", "--returns", "b,w"])
    out = capsys.readouterr().out
    assert status == 1
    assert "returns_biases_first" in json.dumps(out) or "other order" in out
    assert "returns=('b', 'w')" not in out


def test_gradcheck_program_overwriting_y_and_returning_zeros_is_not_conformant():
    def overwrites(weights, biases, x, y, cost="quadratic"):
        _, activations = backprop.feedforward(weights, biases, x)
        y[...] = activations[-1]  # then the quadratic gradient would be 0
        return [np.zeros_like(w) for w in weights], [np.zeros_like(b) for b in biases]

    for gradients in (overwrites, spec.adapt(overwrites)):
        report = spec.check_implementation(gradients, cost="quadratic")
        assert not report.passed
        assert all("wrote into its argument y" in r.problem for r in report.cases)


def test_gradcheck_program_function_report_has_one_target_and_html():
    report = spec.check_implementation(backprop.gradients, cost="quadratic")
    document = json.loads(spec.check.conformance.report.to_json(report))
    assert document["schema"] == SCHEMA
    (target,) = document["targets"]
    assert (target["kind"], target["verdict"], target["diagnosis"]) == (
        "gradients",
        "passed",
        None,
    )
    html = report._repr_html_()
    assert "<table>" in html
    assert html.count("<tr>") == len(report.cases) + 1


#: A network.py-style program (no cost classes, quadratic cost through
#: cost_derivative, a step without L2), written for this test.
FIRST_BOOK_PROGRAM = """
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


class Network:
    def __init__(self, sizes):
        self.num_layers = len(sizes)
        self.biases = [np.random.randn(n, 1) for n in sizes[1:]]
        self.weights = [np.random.randn(n, k) for k, n in zip(sizes[:-1], sizes[1:])]

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_b, delta_w = self.backprop(x, y)
            nabla_b = [nb + d for nb, d in zip(nabla_b, delta_b)]
            nabla_w = [nw + d for nw, d in zip(nabla_w, delta_w)]
        self.weights = [w - eta / len(mini_batch) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - eta / len(mini_batch) * nb for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activations, zs = [x], []
        for b, w in zip(self.biases, self.weights):
            zs.append(w @ activations[-1] + b)
            activations.append(sigmoid(zs[-1]))
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1], nabla_w[-1] = delta, delta @ activations[-2].T
        for l in range(2, self.num_layers):
            delta = (self.weights[-l + 1].T @ delta) * sigmoid_prime(zs[-l])
            nabla_b[-l], nabla_w[-l] = delta, delta @ activations[-l - 1].T
        return nabla_b, nabla_w

    def cost_derivative(self, output_activations, y):
        return output_activations - y
"""


def test_gradcheck_program_quadratic_only_nielsen_layout(tmp_path):
    path = tmp_path / "first_book.py"
    path.write_text(FIRST_BOOK_PROGRAM)
    report = check_program(path)
    assert report.passed, str(report)
    assert report.layout == "nielsen"
    gradients = next(p for p in report.parts if p.kind == "gradients")
    assert gradients.conformance is not None
    assert gradients.conformance.costs == ("quadratic",)
    step = next(p for p in report.parts if p.kind == "step")
    assert not any("lmbda" in c.label for c in step.cases)  # no L2 in this step
    wrong = FIRST_BOOK_PROGRAM.replace(
        "w - eta / len(mini_batch) * nw", "w - eta * nw / len(mini_batch) ** 2"
    ).replace("b - eta / len(mini_batch) * nb", "b - eta * nb / len(mini_batch) ** 2")
    path.write_text(wrong)
    step = next(p for p in check_program(path).parts if p.kind == "step")
    assert step.diagnosis is not None
    assert step.diagnosis.mistake == "step_mean_twice"


def test_gradcheck_program_function_layout(tmp_path):
    path = tmp_path / "plain.py"
    path.write_text(
        "import backprop\n\n\n"
        "def gradients(weights, biases, x, y, cost='quadratic'):\n"
        "    return backprop.gradients(weights, biases, x, y, cost=cost)\n"
    )
    report = check_program(path)
    assert report.passed, str(report)
    assert report.layout == "function"
    assert [(p.name, p.kind) for p in report.parts] == [("gradients", "gradients")]
