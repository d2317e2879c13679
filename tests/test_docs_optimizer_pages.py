"""The optimizer pages' reStructuredText, generated from spec.optimizers (no
Sphinx needed)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "_ext"))
from specdocs.optimizer_pages import FAMILIES, optimizer_page

from spec.optimizers import RULES


@pytest.mark.parametrize("family", list(FAMILIES))
def test_page_shows_every_convention_of_its_family(family):
    text = "\n".join(optimizer_page(family))
    for rule in RULES:
        if rule.family == family:
            assert f"``{rule.name}``" in text
            assert rule.latex()[-1].replace(" = ", " &= ", 1) in text
    assert ".. math::" in text


@pytest.mark.parametrize(
    ("family", "facts"), [("momentum", 2), ("adam", 2), ("sgd", 0)]
)
def test_pages_run_their_proven_facts(family, facts):
    text = "\n".join(optimizer_page(family))
    assert text.count("Proven by :func:`spec.optimizers.prove_") == facts


def test_checked_families_list_their_deviations():
    text = "\n".join(optimizer_page("adamw"))
    assert 'check_optimizer(adam, kind="adam", weight_decay=True)' in text
    assert "``weight_decay_not_scaled``" in text
    assert r"\|dw\|" in "\n".join(optimizer_page("adam"))  # | is literal in reST


def test_unknown_family():
    with pytest.raises(ValueError, match="family must be one of"):
        optimizer_page("nadam")
