"""``backprop check FILE.py`` on a CS231n-style ``layers.py`` or ``optim.py``: the
file is recognised without running it and every pair or rule is checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backprop.cli import main
from spec.check.conformance.cli import file_kind

TESTS = Path(__file__).parent


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("cs231n_layers.py", "layers"),
        ("cs231n_optim.py", "optimizers"),
        ("cs231n_rnn_layers.py", "recurrent layers"),
        ("programs/tutorial_program.py", None),
        ("tutorial_net.py", None),
    ],
)
def test_gradcheck_cli_file_kind(name, kind):
    assert file_kind(str(TESTS / name)) == kind


def test_gradcheck_cli_checks_a_layers_file(tmp_path, capsys):
    out = tmp_path / "report.json"
    junit = tmp_path / "report.xml"
    argv = ["check", str(TESTS / "cs231n_layers.py"), "--json", str(out)]
    assert main([*argv, "--junit", str(junit)]) == 0
    assert "13 of 13 layer pairs conformant" in capsys.readouterr().out
    assert json.loads(out.read_text())["passed"] is True
    assert "<testsuites" in junit.read_text()


def test_gradcheck_cli_checks_an_optim_file_and_one_rule(tmp_path, capsys):
    junit = tmp_path / "optim.xml"
    assert main(["check", str(TESTS / "cs231n_optim.py"), "--junit", str(junit)]) == 0
    assert "4 of 4 optimizers pass" in capsys.readouterr().out
    assert junit.read_text().count("<testcase") == 4
    assert main(["check", f"{TESTS / 'cs231n_optim.py'}:adam"]) == 0
    assert "matches convention adam_paper" in capsys.readouterr().out


def test_gradcheck_cli_a_wrong_optimizer_file_exits_1(tmp_path, capsys):
    source = (TESTS / "cs231n_optim.py").read_text()
    wrong = tmp_path / "optim.py"
    wrong.write_text(
        source.replace(
            'w - config["learning_rate"] * dw', 'w + config["learning_rate"] * dw', 1
        )
    )
    assert wrong.read_text() != source
    assert main(["check", str(wrong)]) == 1
    assert "sgd_ascent" in capsys.readouterr().out


def test_gradcheck_cli_file_flags_are_a_usage_error(capsys):
    assert main(["check", str(TESTS / "cs231n_layers.py"), "--per-example"]) == 2
    assert "--per-example describe a gradient function" in capsys.readouterr().err
