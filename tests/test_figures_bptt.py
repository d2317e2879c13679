"""The BPTT page's figure: the RNN unrolled through time, forward and backward,
drawn only after backprop.blocks' BPTT is checked to compute the recursion drawn."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from backprop.blocks import rnn_step_backward

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "_ext"))

from specfigures import bptt_unrolled
from specfigures.svg import BACKWARD, FORWARD

SVG = "{http://www.w3.org/2000/svg}"


def test_rnn_backward_is_the_recursion_drawn():
    assert bptt_unrolled.recursion_error() <= bptt_unrolled.RECURSION_RTOL


def test_a_backward_that_forgets_the_next_step_is_refused(monkeypatch):
    def forgets_next_step(dh, cache):
        # Each step sees only its own loss's gradient: the commonest BPTT mistake.
        parts = [
            rnn_step_backward(dh[:, t], step) for t, step in enumerate(cache["steps"])
        ]
        dx = np.stack([part[0] for part in parts], axis=1)
        return dx, parts[0][1], *(sum(part[k] for part in parts) for k in (2, 3, 4))

    monkeypatch.setattr(bptt_unrolled, "rnn_backward", forgets_next_step)
    with pytest.raises(ValueError, match="rnn_backward differs from the recursion"):
        bptt_unrolled.bptt_unrolled_figure("b")


@pytest.mark.parametrize("steps", [3, 4])
def test_figure_draws_every_step_forward_and_backward(steps):
    tree = ET.fromstring(bptt_unrolled.bptt_figure("b", steps).svg())
    assert tree.get("role") == "img"
    assert tree.get("aria-labelledby") == "b-title b-desc"
    assert "unrolled" in tree.find(f"{SVG}title").text
    assert len(tree.find(f"{SVG}desc").text) > 300  # the alt text says it all
    labels = ["".join(e.itertext()) for e in tree.iter(f"{SVG}text")]
    circles = tree.findall(f"{SVG}circle")
    assert len(circles) == steps + 1  # h_0 .. h_T
    for t in range(1, steps + 1):
        for label in (f"x{t}", f"h{t}", f"ℓ{t}", f"∂ℓ{t}/∂h{t}", f"δ{t}WhT"):
            assert label in labels, label
    assert labels.count("Wh") == steps
    assert labels.count("Wx") == steps
    lines = tree.findall(f"{SVG}line")
    forward = [e for e in lines if e.get("stroke") == FORWARD]
    backward = [e for e in lines if e.get("stroke") == BACKWARD]
    # Per step: W_x, W_h and the loss's edge forward; the loss's gradient and the
    # next step's backward; one of each colour in the legend.
    assert len(forward) == 3 * steps + 1
    assert len(backward) == 2 * steps + 1
    assert all(e.get("stroke-dasharray") for e in backward)
    assert not any(e.get("stroke-dasharray") for e in forward)
