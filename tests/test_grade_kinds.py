"""``backprop grade`` on every checker of ``backprop check``: whole programs, CS231n
layer pairs (recurrent ones included) and update rules, each run in its sandbox.

The seeded mistakes of each family are graded in one run each, and every verdict
is held to what the same check says in-process on the same seed: the grader must
add isolation, never change a finding.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import seeded_optim_mistakes
import seeded_rnn_mistakes
from programs.seeded_program_mistakes import NIELSEN, SEEDED, TUTORIAL
from seeded_layer_pair_mistakes import SEEDED_PAIRS

import spec
from spec.check.grading.assignment import Assignment, parse_assignment
from spec.check.grading.grade import grade_folder

HERE = Path(__file__).parent
SEED = 5


def _grade(
    folder: Path, tmp_path: Path, assignment: Assignment, jobs: int = 1
) -> dict[str, dict]:
    run = grade_folder(
        folder,
        results=tmp_path / "results",
        assignment=assignment,
        seed=SEED,
        jobs=jobs,
    )
    assert not run.interrupted
    assert run.graded == run.total
    return {r["submission"]: r for r in run.records}


def test_grade_programs_as_check_program_finds_them(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(TUTORIAL, folder / "tutorial_ok.py")
    shutil.copy(NIELSEN, folder / "nielsen_ok.py")
    for mistake in SEEDED:
        mistake.write(folder)
    records = _grade(
        folder, tmp_path, parse_assignment({"parts": [{"kind": "program"}]}), jobs=2
    )
    assert records["tutorial_ok.py"]["score"] == 1.0
    assert records["nielsen_ok.py"]["score"] == 1.0
    for mistake in SEEDED:
        name = f"{mistake.path.stem}_{mistake.name}.py"
        (part,) = records[name]["parts"]
        local = spec.check_program(folder / name, rng=SEED)
        assert not local.passed, name
        assert part["verdict"] in ("wrong", "crash"), (name, part)
        assert part["score"] == 0.0
        first = next(p for p in local.parts if not p.passed)
        expected = first.diagnosis.mistake if first.diagnosis else None
        assert part["mistake"] == expected, (name, part["detail"])
        assert part["report"]["conformant"] is False
        if part["verdict"] == "crash":  # the line that raised, from the child
            source = (folder / name).read_text().splitlines()
            line = part["line"]
            assert line["path"] == name
            assert source[line["number"] - 1].strip() == line["source"], line


def test_grade_layer_pairs_as_check_layer_finds_them(tmp_path):
    correct = tmp_path / "correct"
    correct.mkdir()
    shutil.copy(HERE / "cs231n_layers.py", correct / "layers_ok.py")
    folder = tmp_path / "class"
    folder.mkdir()
    for seeded in SEEDED_PAIRS:
        (folder / f"{seeded.label}.py").write_text(seeded.source())
    kinds = sorted({s.kind for s in SEEDED_PAIRS})
    ok = _grade(
        correct,
        tmp_path,
        parse_assignment(
            {"parts": [{"kind": "layer", "layer": k, "points": 2} for k in kinds]}
        ),
    )["layers_ok.py"]
    assert ok["score"] == ok["max_score"] == 2 * len(kinds), ok
    for seeded in SEEDED_PAIRS:
        name = f"{seeded.label}.py"
        assignment = parse_assignment(
            {
                "parts": [
                    {
                        "kind": "layer",
                        "layer": seeded.kind,
                        "function": seeded.forward,
                        **({"backward": seeded.backward} if seeded.backward else {}),
                    }
                ]
            }
        )
        single = tmp_path / seeded.label
        single.mkdir()
        shutil.copy(folder / name, single / name)
        (part,) = _grade(single, tmp_path / f"r_{seeded.label}", assignment)[name][
            "parts"
        ]
        module = seeded.load(tmp_path)
        backward = None if seeded.backward is None else getattr(module, seeded.backward)
        local = spec.check_layer(
            getattr(module, seeded.forward), backward, kind=seeded.kind, rng=SEED
        )
        assert part["verdict"] != "passed", (seeded.label, part)
        named = local.diagnosis.mistake if local.diagnosis else ""
        assert (part["mistake"] or "") == (
            named if local.diagnosis.kind == "named" else ""
        )
        if seeded.expected is not None:
            assert part["mistake"] == seeded.expected, (seeded.label, part["detail"])


def test_grade_update_rules_as_check_optimizer_finds_them(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(HERE / "cs231n_optim.py", folder / "optim_ok.py")
    shutil.copy(seeded_optim_mistakes.__file__, folder / "optim_seeded.py")
    rules = ("sgd", "sgd_momentum", "rmsprop", "adam")
    parts = [{"kind": "optimizer", "rule": r} for r in rules]
    for rule, kind, _ in seeded_optim_mistakes.SEEDED:
        decay = kind == "adam_weight_decay"
        parts.append(
            {
                "kind": "optimizer",
                "name": rule.__name__,
                "function": rule.__name__,
                "rule": "adam" if decay else kind,
                "weight_decay": decay,
            }
        )
    records = _grade(folder, tmp_path, parse_assignment({"parts": parts}))
    ok = {p["name"]: p for p in records["optim_ok.py"]["parts"]}
    for rule in rules:
        assert ok[rule]["verdict"] == "passed", ok[rule]
    seeded = {p["name"]: p for p in records["optim_seeded.py"]["parts"]}
    for rule, _, expected in seeded_optim_mistakes.SEEDED:
        part = seeded[rule.__name__]
        assert part["verdict"] in ("wrong", "nan"), (rule.__name__, part)
        if expected.startswith("writes:"):  # its copies written back: as in-process
            assert "writes into its input dw" in part["detail"], part["detail"]
        else:
            assert part["mistake"] == expected, (rule.__name__, part["detail"])


def test_grade_recurrent_layers_as_check_layer_finds_them(tmp_path):
    submission = tmp_path / "class" / "student"
    submission.mkdir(parents=True)
    shutil.copy(HERE / "cs231n_rnn_layers.py", submission)
    shutil.copy(seeded_rnn_mistakes.__file__, submission)
    # Some seeded functions are made by a factory: the submission binds each to
    # a name of its own.
    (submission / "rnn_layers.py").write_text(
        "import seeded_rnn_mistakes\n"
        "for i, (_, _, f, b, _) in enumerate(seeded_rnn_mistakes.SEEDED):\n"
        "    globals()[f'forward_{i}'], globals()[f'backward_{i}'] = f, b\n"
    )
    parts = [
        {
            "kind": "layer",
            "name": label,
            "layer": kind,
            "function": f"forward_{i}",
            **({"backward": f"backward_{i}"} if backward is not None else {}),
        }
        for i, (label, kind, _, backward, _) in enumerate(seeded_rnn_mistakes.SEEDED)
    ]
    assignment = parse_assignment({"file": "rnn_layers.py", "parts": parts})
    (record,) = _grade(tmp_path / "class", tmp_path, assignment).values()
    graded = {p["name"]: p for p in record["parts"]}
    assert len(graded) == len(seeded_rnn_mistakes.SEEDED) >= 15
    for label, kind, forward, backward, expected in seeded_rnn_mistakes.SEEDED:
        local = spec.check_layer(forward, backward, kind=kind, rng=SEED)
        assert not local.passed
        assert graded[label]["verdict"] != "passed", graded[label]
        assert graded[label]["mistake"] == local.mistake, label
        if expected is not None:
            assert graded[label]["mistake"] == expected, label


def test_grade_recurrent_layers_conformant(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(HERE / "cs231n_rnn_layers.py", folder / "rnn_ok.py")
    kinds = ["rnn_step", "rnn", "lstm_step", "lstm", "word_embedding"]
    kinds += ["temporal_affine", "temporal_softmax_loss"]
    assignment = parse_assignment(
        {"parts": [{"kind": "layer", "layer": k} for k in kinds]}
    )
    (record,) = _grade(folder, tmp_path, assignment).values()
    assert record["score"] == len(kinds), [
        (p["name"], p["detail"]) for p in record["parts"] if p["verdict"] != "passed"
    ]


def test_grade_program_part_without_a_known_layout(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "odd.py").write_text("def train(data):\n    return data\n")
    (record,) = _grade(
        folder, tmp_path, parse_assignment({"parts": [{"kind": "program"}]})
    ).values()
    (part,) = record["parts"]
    assert part["verdict"] == "missing function"
    assert "follows none of the layouts" in part["detail"]
    assert "train" in part["detail"]


def test_grade_part_kinds_refuse_keys_of_another_kind():
    with pytest.raises(ValueError, match=r"unknown keys \['layout'\].*'layer'"):
        parse_assignment(
            {"parts": [{"kind": "layer", "layer": "relu", "layout": "rows"}]}
        )
    with pytest.raises(ValueError, match="layer must be one of"):
        parse_assignment({"parts": [{"kind": "layer", "layer": "conv"}]})
    with pytest.raises(ValueError, match="backward must be left out"):
        parse_assignment(
            {"parts": [{"kind": "layer", "layer": "softmax_loss", "backward": "b"}]}
        )
    with pytest.raises(ValueError, match="rule must be one of"):
        parse_assignment({"parts": [{"kind": "optimizer", "rule": "nadam"}]})
    with pytest.raises(
        ValueError, match="weight_decay = true is checked for rule 'adam'"
    ):
        parse_assignment(
            {"parts": [{"kind": "optimizer", "rule": "sgd", "weight_decay": True}]}
        )
    part = parse_assignment(
        {"parts": [{"kind": "layer", "layer": "convolution"}]}
    ).parts[0]
    assert (part.name, part.function, part.backward) == (
        "conv_forward_naive",
        "conv_forward_naive",
        "conv_backward_naive",
    )
    program = parse_assignment({"parts": [{"kind": "program"}]}).parts[0]
    assert (program.name, program.functions) == ("program", ())


#: Programs and layers that fight the grader through the objects it holds: each
#: gets its verdict, the correct program beside them its full marks.
HOSTILE_PROGRAMS = {
    "init_sleeps.py": (
        """
import time
class Network:
    def __init__(self, sizes):
        time.sleep(60)
    def backprop(self, x, y): pass
    def update_mini_batch(self, batch, eta): pass
""",
        "timeout",
    ),
    "backprop_exits.py": (
        """
import os
class Network:
    def __init__(self, sizes):
        self.sizes = sizes
    def backprop(self, x, y):
        os._exit(0)
    def update_mini_batch(self, batch, eta): pass
""",
        "exit",
    ),
    "attributes_lie.py": (
        """
class Meta(type):
    def __dir__(cls):
        raise RuntimeError('no')
class Network(metaclass=Meta):
    def __getattr__(self, name):
        raise KeyError(name)
    def backprop(self, x, y): return object(), (lambda: 0)
    def update_mini_batch(self, batch, eta): pass
""",
        "missing function",
    ),
    "returns_objects.py": (
        """
import numpy as np
def sigmoid(z):
    return (x for x in [z])
class Network:
    def __init__(self, sizes):
        self.sizes = sizes
        self.weights = [np.zeros((b, a)) for a, b in zip(sizes, sizes[1:])]
        self.biases = [np.zeros((b, 1)) for b in sizes[1:]]
    def backprop(self, x, y):
        return object(), (lambda: 0)
    def update_mini_batch(self, batch, eta): pass
""",
        "wrong",
    ),
}


def test_grade_hostile_programs_get_their_verdicts(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(NIELSEN, folder / "nielsen_ok.py")
    for name, (source, _) in HOSTILE_PROGRAMS.items():
        (folder / name).write_text(source)
    run = grade_folder(
        folder,
        results=tmp_path / "results",
        assignment=parse_assignment(
            {"limits": {"timeout": 5}, "parts": [{"kind": "program"}]}
        ),
        seed=SEED,
    )
    records = {r["submission"]: r for r in run.records}
    assert records["nielsen_ok.py"]["score"] == 1.0
    for name, (_, verdict) in HOSTILE_PROGRAMS.items():
        (part,) = records[name]["parts"]
        assert part["verdict"] == verdict, (name, part["detail"])


def test_grade_layer_cache_of_any_object_goes_back_to_the_child(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    # A cache that cannot travel (a generator, a lambda, its own class) stays in
    # the child; the backward gets it back by its handle.
    (folder / "relu.py").write_text(
        "import numpy as np\n"
        "class Box:\n"
        "    pass\n"
        "def relu_forward(x):\n"
        "    box = Box()\n"
        "    box.mask = x > 0\n"
        "    return np.maximum(x, 0), (box, (i for i in []), lambda: box)\n"
        "def relu_backward(dout, cache):\n"
        "    box, _, again = cache\n"
        "    assert again() is box\n"
        "    return dout * box.mask\n"
    )
    assignment = parse_assignment({"parts": [{"kind": "layer", "layer": "relu"}]})
    (record,) = _grade(folder, tmp_path, assignment).values()
    assert record["verdict"] == "passed", record["parts"][0]["detail"]
