"""The ``backprop`` command, on small generated MNIST-shaped data."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from mnist_files import write_idx_dir

import backprop.training
from backprop.cli import main
from backprop.network import Network


@pytest.fixture
def data_dir(tmp_path):
    directory = tmp_path / "idx"
    write_idx_dir(directory, n_train=60, n_test=20)
    return directory


def _train(data_dir, tmp_path, *extra):
    return main(
        [
            "train",
            "--data-dir",
            str(data_dir),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-progress",
            "--epochs",
            "2",
            "--batch-size",
            "7",
            *extra,
        ]
    )


def test_help_from_the_module_entry_point():
    done = subprocess.run(
        [sys.executable, "-m", "backprop", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "train" in done.stdout
    assert "evaluate" in done.stdout


def test_train_prints_a_table_and_writes_every_output(data_dir, tmp_path, capsys):
    metrics, saved, plot = tmp_path / "m.json", tmp_path / "net.npz", tmp_path / "c.png"
    status = _train(
        data_dir,
        tmp_path,
        "--metrics-out",
        str(metrics),
        "--save",
        str(saved),
        "--plot",
        str(plot),
    )
    assert status == 0
    out = capsys.readouterr().out
    assert "fast preset: 784-200-10 cross_entropy, batch 7" in out
    assert "MNIST: 60 training and 20 test images" in out
    table = [line.split() for line in out.splitlines() if line[:5].strip().isdigit()]
    assert [row[0] for row in table] == ["0", "1", "2"]
    records = json.loads(metrics.read_text())
    assert [r["epoch"] for r in records] == [1, 2]
    for record in records:
        assert set(record) == {"epoch", "test_accuracy", "test_cost", "seconds"}
        assert 0 <= record["test_accuracy"] <= 1
        assert record["seconds"] > 0
    assert float(table[2][1].rstrip("%")) == pytest.approx(
        100 * records[1]["test_accuracy"], abs=0.01
    )
    net = Network.load(saved)
    assert net.sizes == [784, 200, 10]
    assert net.dtype == np.float32
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    assert (
        main(
            [
                "evaluate",
                str(saved),
                "--data-dir",
                str(data_dir),
                "--cache-dir",
                str(tmp_path / "c"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert f"test accuracy {100 * records[1]['test_accuracy']:.2f}%" in out


def test_options_override_the_preset(data_dir, tmp_path, capsys):
    saved = tmp_path / "net.npz"
    args = [
        "--preset",
        "tutorial",
        "--sizes",
        "784,16,10",
        "--lr",
        "0.5",
        "--dtype",
        "float32",
    ]
    assert (
        _train(data_dir, tmp_path, *args, "--cost", "quadratic", "--save", str(saved))
        == 0
    )
    out = capsys.readouterr().out
    assert (
        "tutorial preset: 784-16-10 quadratic, batch 7, lr 0.5, normal init, float32"
        in out
    )
    net = Network.load(saved)
    assert net.sizes == [784, 16, 10]
    assert net.cost_name == "quadratic"


def test_same_seed_same_network(data_dir, tmp_path):
    files = [tmp_path / "a.npz", tmp_path / "b.npz"]
    for path in files:
        assert (
            _train(
                data_dir,
                tmp_path,
                "--seed",
                "3",
                "--sizes",
                "784,8,10",
                "--save",
                str(path),
            )
            == 0
        )
    a, b = (Network.load(p) for p in files)
    for x, y in zip(a.weights + a.biases, b.weights + b.biases, strict=True):
        np.testing.assert_array_equal(x, y)


def test_ctrl_c_keeps_the_last_finished_epoch(data_dir, tmp_path, monkeypatch, capsys):
    saved, metrics = tmp_path / "net.npz", tmp_path / "m.json"
    real_step = backprop.training.sgd_step
    steps = {"n": 0}
    kept = {}

    def step_then_interrupt(weights, *args, **kwargs):
        steps["n"] += 1
        if steps["n"] == 9 + 3:  # 60 examples in batches of 7: 9 steps an epoch
            kept["weights"] = [w.copy() for w in weights]
            raise KeyboardInterrupt
        return real_step(weights, *args, **kwargs)

    monkeypatch.setattr(backprop.training, "sgd_step", step_then_interrupt)
    status = _train(
        data_dir,
        tmp_path,
        "--sizes",
        "784,8,10",
        "--save",
        str(saved),
        "--metrics-out",
        str(metrics),
    )
    assert status == 130
    captured = capsys.readouterr()
    assert "interrupted: keeping the network after epoch 1" in captured.err
    assert [r["epoch"] for r in json.loads(metrics.read_text())] == [1]
    # The saved network is the one after epoch 1, not the one of the broken epoch.
    net = Network.load(saved)
    assert not np.array_equal(net.weights[0], kept["weights"][0])
    monkeypatch.setattr(backprop.training, "sgd_step", real_step)
    one_epoch = tmp_path / "one.npz"
    assert (
        _train(
            data_dir,
            tmp_path,
            "--sizes",
            "784,8,10",
            "--epochs",
            "1",
            "--save",
            str(one_epoch),
        )
        == 0
    )
    np.testing.assert_array_equal(Network.load(one_epoch).weights[0], net.weights[0])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--sizes", "784,30,5"],
            "--sizes must end with 10 (one output per digit), got 784,30,5",
        ),
        (
            ["--sizes", "100,30,10"],
            "--sizes must start with 784 (one input per MNIST pixel)",
        ),
        (
            ["--save", "no/such/dir/net.npz"],
            "--save no/such/dir/net.npz: directory no/such/dir does not exist",
        ),
    ],
)
def test_bad_train_arguments_fail_before_training(data_dir, tmp_path, args, message):
    with pytest.raises(
        SystemExit, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        _train(data_dir, tmp_path, *args)


@pytest.mark.parametrize(
    "args", [["--sizes", "784,x,10"], ["--sizes", "784"], ["--dtype", "int8"]]
)
def test_unparsable_arguments_exit_with_usage(data_dir, tmp_path, args, capsys):
    with pytest.raises(SystemExit) as info:
        _train(data_dir, tmp_path, *args)
    assert info.value.code == 2
    assert "usage: backprop train" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lr", "-1"], "lr must be a finite number > 0, got -1.0"),
        (["--epochs", "0"], "epochs must be >= 1, got 0"),
        (["--batch-size", "0"], "batch_size must be >= 1, got 0"),
    ],
)
def test_invalid_values_are_reported_by_the_library(
    data_dir, tmp_path, capsys, args, message
):
    assert _train(data_dir, tmp_path, *args) == 2
    assert f"backprop: error: {message}" in capsys.readouterr().err


def test_missing_data_is_one_clear_error(tmp_path, capsys):
    status = main(["train", "--data-dir", str(tmp_path / "nowhere"), "--no-progress"])
    assert status == 1
    err = capsys.readouterr().err
    assert "backprop: error: MNIST source" in err
    assert "does not exist" in err
    assert "--data-dir DIR" in err


def test_plot_without_matplotlib_says_how_to_get_it(data_dir, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(
        SystemExit,
        match=r"--plot needs matplotlib: pip install matplotlib \(or install this project with its extra: pip install '.\[plot\]'\)",
    ):
        _train(data_dir, tmp_path, "--plot", str(tmp_path / "c.png"))


def test_evaluate_rejects_bad_files(tmp_path, data_dir):
    with pytest.raises(SystemExit, match="no network file at"):
        main(["evaluate", str(tmp_path / "missing.npz")])
    small = Network([3, 2]).save(tmp_path / "small.npz")
    with pytest.raises(
        SystemExit,
        match=r"holds a \[3, 2\] network; MNIST needs 784 inputs and 10 outputs",
    ):
        main(["evaluate", str(small), "--data-dir", str(data_dir)])


def test_relu_softmax_preset_trains_and_saves_its_activations(
    data_dir, tmp_path, capsys
):
    saved = tmp_path / "net.npz"
    status = _train(
        data_dir,
        tmp_path,
        "--preset",
        "relu-softmax",
        "--sizes",
        "784,8,10",
        "--save",
        str(saved),
    )
    assert status == 0
    out = capsys.readouterr().out
    assert "relu-softmax preset: 784-8-10 log_likelihood, batch 7" in out
    net = Network.load(saved)
    assert net.activations == ("relu", "softmax")
    assert net.cost_name == "log_likelihood"
    assert main(["evaluate", str(saved), "--data-dir", str(data_dir)]) == 0


def test_relu_softmax_preset_refuses_the_cross_entropy_cost(data_dir, tmp_path, capsys):
    status = _train(
        data_dir, tmp_path, "--preset", "relu-softmax", "--cost", "cross_entropy"
    )
    assert status == 2
    err = capsys.readouterr().err
    assert "cost 'cross_entropy' needs a sigmoid output layer" in err


def test_train_cnn_preset_trains_the_stacked_model(data_dir, tmp_path, capsys):
    metrics = tmp_path / "cnn.json"
    saved = tmp_path / "cnn.npz"
    argv = [
        "--preset",
        "cnn-short",
        "--metrics-out",
        str(metrics),
        "--save",
        str(saved),
    ]
    assert _train(data_dir, tmp_path, *argv) == 0
    out = capsys.readouterr().out
    assert "cnn-short preset" in out
    records = json.loads(metrics.read_text())
    assert [r["epoch"] for r in records] == [1, 2]
    assert all(0 <= r["test_accuracy"] <= 1 for r in records)
    assert saved.is_file()


def test_train_cnn_preset_refuses_the_fully_connected_options(data_dir, tmp_path):
    with pytest.raises(SystemExit, match="--sizes applies to the fully connected"):
        _train(data_dir, tmp_path, "--preset", "cnn", "--sizes", "784,10")
