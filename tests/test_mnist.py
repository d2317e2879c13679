"""Accuracy regression on the real MNIST test set (``nox -s mnist``).

Both presets run through the command line exactly as a user runs them, with the
default seed: the seed is not chosen to pass (the MNIST how-to reports several).
"""

from __future__ import annotations

import json

import pytest

from backprop.cli import main

pytestmark = pytest.mark.mnist

#: The accuracy the tutorial's network reaches, and the bar both presets must clear.
TARGET = 0.95


def _records(tmp_path, *args):
    metrics = tmp_path / "metrics.json"
    assert main(["train", "--no-progress", "--metrics-out", str(metrics), *args]) == 0
    return json.loads(metrics.read_text())


def test_fast_preset_passes_95_percent(tmp_path):
    records = _records(tmp_path)
    assert records[-1]["test_accuracy"] >= TARGET, records


def test_tutorial_preset_passes_95_percent_within_10_epochs(tmp_path):
    records = _records(tmp_path, "--preset", "tutorial", "--epochs", "10")
    assert len(records) == 10
    assert max(r["test_accuracy"] for r in records) >= TARGET, records
