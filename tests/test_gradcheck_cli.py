"""``backprop check`` and ``backprop prove``: spec's subcommands of ``backprop``."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from seeded_layer_mistakes import NEW
from seeded_mistakes import SEEDED

from backprop.cli import main
from spec.check.conformance.report import SCHEMA

TUTORIAL = str(Path(__file__).with_name("tutorial_net.py"))
OPTIONS = ["--per-example", "--layout", "columns", "--returns", "b,w"]


def test_gradcheck_cli_check_conformant(tmp_path, capsys):
    json_path, junit_path = tmp_path / "report.json", tmp_path / "report.xml"
    status = main(
        [
            "check",
            f"{TUTORIAL}:gradients",
            *OPTIONS,
            "--json",
            str(json_path),
            "--junit",
            str(junit_path),
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    # The target as the user typed it.
    assert f"{TUTORIAL}:gradients: conformant: 20 of 20 cases passed" in out
    document = json.loads(json_path.read_text())
    assert document["schema"] == SCHEMA
    assert document["conformant"] is True
    assert document["diagnosis"] is None
    assert len(document["cases"]) == 20
    suite = ET.parse(junit_path).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == (
        "20",
        "0",
        "0",
    )


def test_gradcheck_cli_check_names_seeded_mistake(tmp_path, capsys):
    mistake = next(m for m in SEEDED if m.name == "bp2_no_transpose")
    path = mistake.write(tmp_path)
    json_path, junit_path = tmp_path / "report.json", tmp_path / "report.xml"
    status = main(
        [
            "check",
            f"{path}:gradients",
            *OPTIONS,
            "--cost",
            "cross_entropy",
            "--json",
            str(json_path),
            "--junit",
            str(junit_path),
        ]
    )
    out = capsys.readouterr().out
    assert status == 1
    assert "NOT conformant" in out
    assert "Diagnosis: BP2: the transpose of W^{l+1} is missing" in out
    document = json.loads(json_path.read_text())
    assert document["diagnosis"]["mistake"] == "bp2_no_transpose"
    assert document["costs"] == ["cross_entropy"]
    crashed = [c for c in document["cases"] if c["verdict"] == "crashed"]
    assert crashed
    assert all(c["max_rel_err"] is None for c in crashed)  # NaN is not JSON
    suite = ET.parse(junit_path).getroot().find("testsuite")
    assert suite is not None
    assert int(suite.get("errors", "0")) == len(crashed)
    assert (
        int(suite.get("failures", "0")) + len(crashed)
        == 10 - document["counts"]["passed"]
    )
    assert suite.findall("testcase/error")[0].get("type") == "crash"


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "no_colon"],
        ["check", "missing_file.py:gradients"],
        ["check", f"{TUTORIAL}:no_such_function"],
        ["check", f"{TUTORIAL}:COSTS"],  # not callable
    ],
)
def test_gradcheck_cli_check_usage_errors_exit_2(argv, capsys):
    assert main(argv) == 2
    assert "backprop: error:" in capsys.readouterr().err


def test_gradcheck_cli_check_bad_option_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["check", f"{TUTORIAL}:gradients", "--returns", "w"])
    assert exc.value.code == 2
    assert "expected w,b or b,w" in capsys.readouterr().err


def test_gradcheck_cli_check_unimportable_module_exits_2(tmp_path, capsys):
    broken = tmp_path / "broken.py"
    broken.write_text("def gradients(:\n")
    assert main(["check", f"{broken}:gradients"]) == 2
    assert "cannot import" in capsys.readouterr().err


def test_gradcheck_cli_prove(capsys):
    assert main(["prove", "2,3,2", "--m", "2", "--cost", "quadratic"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("proven: BP1-BP4 equals the direct derivative")
    assert "quadratic" in out


def test_gradcheck_cli_prove_general_prints_the_lemma_table(capsys):
    assert main(["prove", "--general", "--cost", "quadratic"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("BP1-BP4 for every size: cost quadratic")
    for lemma in ("chain rule", "S1", "S2", "S3", "BP1", "BP2", "BP3", "BP4"):
        assert f"\n{lemma} " in out
    assert out.rstrip().splitlines()[-1].startswith("proven for every size")


@pytest.mark.parametrize("argv", [["prove"], ["prove", "2,3,2", "--general"]])
def test_gradcheck_cli_prove_wants_sizes_or_general(argv, capsys):
    assert main(argv) == 2
    assert "give either SIZES (such as 2,3,2) or --general" in capsys.readouterr().err


def test_gradcheck_cli_prove_rejects_bad_sizes(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["prove", "2,x"])
    assert exc.value.code == 2


def test_gradcheck_cli_train_help_does_not_import_spec():
    code = (
        "import sys\n"
        "from backprop.cli import main\n"
        "try:\n    main(['train', '--help'])\n"
        "except SystemExit:\n    pass\n"
        "print('spec' in sys.modules, 'sympy' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "False False"


def test_gradcheck_cli_help_lists_plugin_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "check" in out
    assert "prove" in out


def test_gradcheck_cli_check_activations_and_l2(tmp_path, capsys):
    layers = str(Path(__file__).with_name("tutorial_layers_net.py"))
    network = ["--activations", "relu,softmax", "--l2", "0.05"]
    status = main(["check", f"{layers}:gradients", *OPTIONS, *network])
    out = capsys.readouterr().out
    assert status == 0, out
    assert (
        f"{layers}:gradients: conformant: 20 of 20 cases passed (suite "
        "standard, cost quadratic, log_likelihood, activations relu,softmax, l2 0.05"
    ) in out
    mistake = next(m for m in NEW if m.name == "l2_on_biases")
    json_path = tmp_path / "report.json"
    path = mistake.write(tmp_path)
    status = main(
        ["check", f"{path}:gradients", *OPTIONS, *network, "--json", str(json_path)]
    )
    out = capsys.readouterr().out
    assert status == 1
    assert "Diagnosis: BP3: the L2 term λ b^l added to the bias gradients" in out
    document = json.loads(json_path.read_text())
    assert (document["activations"], document["l2"]) == (["relu", "softmax"], 0.05)
    assert document["cases"][1]["activations"] == ["relu", "softmax"]
    assert {c["reference"] for c in document["cases"]} == {"oracle", "central"}


def test_gradcheck_cli_check_activations_usage_errors(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["check", f"{TUTORIAL}:gradients", "--activations", "relu,foo"])
    assert exit_info.value.code == 2
    assert "expected one activation or a pair HIDDEN,OUTPUT" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["check", f"{TUTORIAL}:gradients", "--l2", "-1"])
    assert exit_info.value.code == 2
