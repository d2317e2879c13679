"""The learning curve: minibatch costs recorded by SGD, and the figure drawn of them."""

from __future__ import annotations

import re

import numpy as np
import pytest

import backprop
from backprop.plotting import (
    SMOOTHING,
    TUTORIAL_ACCURACY,
    batch_positions,
    learning_curve_figure,
)


def _data(n=23, rng=0):
    gen = np.random.default_rng(rng)
    return gen.random((n, 4)), gen.integers(0, 3, n)


def test_record_batch_costs_leaves_training_unchanged():
    weights, biases = backprop.init_params([4, 5, 3], rng=1)
    x, labels = _data()
    options = {"epochs": 2, "batch_size": 5, "lr": 0.5, "rng": 7}
    plain = backprop.sgd(weights, biases, x, labels, **options)
    recorded = backprop.sgd(
        weights, biases, x, labels, **options, record_batch_costs=True
    )
    for a, b in zip(plain[0] + plain[1], recorded[0] + recorded[1], strict=True):
        np.testing.assert_array_equal(a, b)
    assert all("batch_costs" not in h for h in plain[2])
    # 23 examples in batches of 5: 4 full batches and one of 3, every epoch.
    assert [len(h["batch_costs"]) for h in recorded[2]] == [5, 5]


def test_recorded_cost_is_the_batch_cost_before_the_step():
    weights, biases = backprop.init_params([4, 5, 3], rng=1)
    x, labels = _data()
    y = np.eye(3)[labels]
    _, _, history = backprop.sgd(
        weights, biases, x, labels, batch_size=5, lr=0.5, rng=7, record_batch_costs=True
    )
    first = np.random.default_rng(7).permutation(len(x))[:5]  # sgd's first batch
    expected = backprop.mean_cost(weights, biases, x[first], y[first])
    # The same float64 operations on the same numbers: equal to rounding only.
    np.testing.assert_allclose(history[0]["batch_costs"][0], expected, rtol=1e-15)


def test_network_fit_passes_the_recording_on():
    net = backprop.Network([4, 5, 3], rng=1)
    x, labels = _data()
    history = net.fit(x, labels, batch_size=10, rng=0, record_batch_costs=True)
    assert history[0]["batch_costs"].shape == (3,)


def test_batch_positions_put_step_k_of_epoch_e_at_e_minus_1_plus_k_over_n():
    positions = batch_positions([np.zeros(4), np.zeros(2)])
    np.testing.assert_array_equal(positions, [0, 0.25, 0.5, 0.75, 1, 1.5])
    assert batch_positions([]).shape == (0,)


def _records():
    return [
        {"epoch": e, "test_accuracy": acc, "test_cost": c}
        for e, acc, c in ((0, 0.1, 2.5), (1, 0.9, 0.4), (2, 0.95, 0.3))
    ]


def test_learning_curve_has_integer_epoch_ticks_and_every_series():
    costs = [np.linspace(2, 1, 150), np.linspace(1, 0.5, 150)]
    fig = learning_curve_figure(_records(), costs, title="run")
    ax_acc, ax_cost = fig.axes
    fig.canvas.draw()
    ticks = [t for t in ax_cost.get_xticks() if -0.1 <= t <= 3.1]
    assert ticks == [0, 1, 2, 3]  # the tutorial's points reach epoch 3
    labels = {line.get_label() for ax in fig.axes for line in ax.get_lines()}
    assert {
        "test accuracy, this run",
        "tutorial, as reported",
        "training cost of each minibatch",
        f"its running mean over {SMOOTHING} minibatches",
        "test cost",
    } <= labels
    (tutorial,) = [
        line
        for line in ax_acc.get_lines()
        if line.get_label() == "tutorial, as reported"
    ]
    np.testing.assert_array_equal(
        tutorial.get_ydata(), [100 * a for _, a in TUTORIAL_ACCURACY]
    )
    (per_batch,) = [
        line
        for line in ax_cost.get_lines()
        if line.get_label() == "training cost of each minibatch"
    ]
    assert len(per_batch.get_xdata()) == 300


def test_learning_curve_needs_records():
    with pytest.raises(ValueError, match="records must hold at least one"):
        learning_curve_figure([])


def test_backprop_train_plot_draws_the_minibatch_costs_and_integer_epochs(tmp_path):
    import xml.etree.ElementTree as ET

    from mnist_files import write_idx_dir

    from backprop.cli import main

    data = tmp_path / "idx"
    write_idx_dir(data, n_train=60, n_test=20)
    plot = tmp_path / "curve.svg"
    args = ["train", "--data-dir", str(data), "--cache-dir", str(tmp_path / "c")]
    args += ["--no-progress", "--epochs", "2", "--batch-size", "7", "--sizes"]
    status = main([*args, "784,8,10", "--plot", str(plot)])
    assert status == 0
    svg = plot.read_text()
    ET.fromstring(svg)  # well-formed
    # matplotlib names each line by its label in the SVG's comments and ids.
    for label in ("training cost of each minibatch", "test cost", "this run"):
        assert label in svg
    # Integer epoch ticks only: 0, 1, 2 (and 3 for the tutorial's last point).
    ticks = set(re.findall(r"<!-- (\d+(?:\.\d+)?) -->", svg))
    assert {"0", "1", "2", "3"} <= ticks
    assert not ticks & {"0.0", "0.5", "1.0", "1.5", "2.5"}  # what a float axis shows
