"""The optimizer pages' figure: SGD, momentum and Adam on an ill-conditioned
quadratic, drawn from backprop.optimizers."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "_ext"))

from specfigures import optimizer_paths


def test_paths_reach_the_minimum_each_in_its_own_way():
    drawn = optimizer_paths.paths()
    assert list(drawn) == [label for label, _, _ in optimizer_paths.PATHS]
    for path in drawn.values():
        assert path.shape == (optimizer_paths.STEPS + 1, 2)
        assert optimizer_paths.cost(*path[-1]) < 1e-2 * optimizer_paths.cost(*path[0])
    sgd, momentum, adam = drawn.values()
    # SGD zig-zags across the steep direction: theta_2 changes sign at every step
    assert np.all(np.sign(sgd[1:11, 1]) == -np.sign(sgd[:10, 1]))
    # Adam's first step moves both coordinates by about alpha
    np.testing.assert_allclose(np.abs(adam[1] - adam[0]), 0.3, rtol=1e-6)
    # momentum overshoots the minimum along the shallow direction
    assert momentum[:, 0].max() > 0


def test_figure_is_svg_with_alt_text():
    pytest.importorskip("matplotlib")
    svg = optimizer_paths.optimizer_paths_figure("opt-test")
    assert svg.startswith("<svg")
    assert "SGD, momentum and Adam on an ill-conditioned quadratic" in svg
    assert "currentColor" in svg


def test_script_writes_the_figure(tmp_path):
    out = tmp_path / "paths.svg"
    assert optimizer_paths.main([str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<svg")
    assert optimizer_paths.main([]) == 2
