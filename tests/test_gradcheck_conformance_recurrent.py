"""Learners' recurrent layers: the look-alike passes, seeded mistakes are flagged and named."""

from __future__ import annotations

import cs231n_rnn_layers as lookalike
import numpy as np
import pytest
from conftest import ORACLE_RTOL
from seeded_rnn_mistakes import SEEDED

import backprop.blocks.recurrent as rec
import backprop.blocks.temporal as tem
import spec
from spec.blocks.recurrent import recurrent_vjp
from spec.check.conformance.recurrent import (
    RECURRENT_MISTAKES,
    check_recurrent_layer,
    check_recurrent_module,
)
from spec.check.conformance.recurrent.cases import recurrent_cases
from spec.check.conformance.recurrent.derivation import (
    GATE_ORDERS,
    KINDS,
    RecurrentDerivation,
)

PAIRS = {
    "rnn_step": (lookalike.rnn_step_forward, lookalike.rnn_step_backward),
    "rnn": (lookalike.rnn_forward, lookalike.rnn_backward),
    "lstm_step": (lookalike.lstm_step_forward, lookalike.lstm_step_backward),
    "lstm": (lookalike.lstm_forward, lookalike.lstm_backward),
    "word_embedding": (
        lookalike.word_embedding_forward,
        lookalike.word_embedding_backward,
    ),
    "temporal_affine": (
        lookalike.temporal_affine_forward,
        lookalike.temporal_affine_backward,
    ),
    "temporal_softmax_loss": (lookalike.temporal_softmax_loss, None),
}
OURS = {
    "rnn_step": (rec.rnn_step_forward, rec.rnn_step_backward),
    "rnn": (rec.rnn_forward, rec.rnn_backward),
    "lstm_step": (rec.lstm_step_forward, rec.lstm_step_backward),
    "lstm": (rec.lstm_forward, rec.lstm_backward),
    "word_embedding": (tem.word_embedding_forward, tem.word_embedding_backward),
    "temporal_affine": (tem.temporal_affine_forward, tem.temporal_affine_backward),
    "temporal_softmax_loss": (tem.temporal_softmax_loss, None),
}


@pytest.mark.parametrize("kind", KINDS)
def test_gradcheck_lookalike_conformant_over_20_seeds(kind):
    forward, backward = PAIRS[kind]
    for seed in range(20):
        report = check_recurrent_layer(forward, backward, kind=kind, rng=seed)
        assert report.ok, report.summary()


@pytest.mark.parametrize("kind", KINDS)
def test_gradcheck_backprop_blocks_conformant_over_20_seeds(kind):
    forward, backward = OURS[kind]
    for seed in range(20):
        report = check_recurrent_layer(forward, backward, kind=kind, rng=seed)
        assert report.ok, report.summary()


def test_gradcheck_pytorch_order_lstm_recognised_and_conformant():
    order = ("i", "f", "g", "o")
    report = check_recurrent_layer(
        lambda *a: rec.lstm_forward(*a, gate_order=order),
        rec.lstm_backward,
        kind="lstm",
    )
    assert report.ok
    assert report.gate_order == order


@pytest.mark.parametrize(
    ("label", "kind", "forward", "backward", "expected"),
    SEEDED,
    ids=[s[0] for s in SEEDED],
)
def test_gradcheck_seeded_mistake_flagged_and_named(
    label, kind, forward, backward, expected
):
    report = check_recurrent_layer(forward, backward, kind=kind)
    assert report.verdict == "wrong", report.summary()
    assert report.mistake == expected, report.summary()


def test_gradcheck_seeded_table_rates():
    reports = [check_recurrent_layer(f, b, kind=k) for _, k, f, b, _ in SEEDED]
    flagged = sum(r.verdict == "wrong" for r in reports)
    named = sum(
        r.mistake == s[4] and s[4] is not None
        for r, s in zip(reports, SEEDED, strict=False)
    )
    assert len(SEEDED) >= 15
    assert flagged == len(SEEDED)
    assert named >= 0.9 * len(SEEDED)


def test_catalogue_entries_carry_their_own_description():
    names = [m.name for m in RECURRENT_MISTAKES]
    assert len(names) >= 10
    assert len(set(names)) == len(names)
    for mistake in RECURRENT_MISTAKES:
        assert mistake.title
        assert mistake.equation
        assert mistake.breaks
        assert mistake.kinds


@pytest.mark.parametrize("mistake", RECURRENT_MISTAKES, ids=lambda m: m.name)
def test_every_mistake_differs_from_the_derivation_on_some_case(mistake):
    correct = RecurrentDerivation()
    differs = False
    for kind in mistake.kinds:
        for case, inputs, dout in recurrent_cases(kind, 0):
            if case.dtype != "float64":
                continue
            for order in (
                GATE_ORDERS.values()
            ):  # a gate-order mistake shows under another forward
                good = correct.vjp(kind, inputs, dout, order)
                bad = mistake.vjp(kind, inputs, dout, order)
                differs |= any(
                    not np.allclose(bad[k], good[k], rtol=1e-6, atol=0) for k in good
                )
    assert differs


@pytest.mark.parametrize("kind", KINDS)
def test_gradcheck_derivation_agrees_with_the_oracle(kind):
    _case, inputs, dout = recurrent_cases(kind, 0)[0]
    ours = RecurrentDerivation().vjp(kind, inputs, dout)
    oracle_dout = 1.0 if dout is None else dout
    oracle = recurrent_vjp(kind, inputs, oracle_dout)
    for name, value in ours.items():
        scale = np.max(np.abs(oracle[name]))
        assert np.max(np.abs(value - oracle[name])) <= ORACLE_RTOL * scale, name


def test_gradcheck_module_of_cs231n_names():
    reports = check_recurrent_module(lookalike)
    assert [r.kind for r in reports] == list(KINDS)
    assert all(r.ok for r in reports)
    wrong = check_recurrent_module(
        {"rnn_forward": lookalike.rnn_forward, "rnn_backward": SEEDED[0][3]}
    )
    assert [(r.kind, r.mistake) for r in wrong] == [("rnn", SEEDED[0][4])]


def test_gradcheck_check_layer_takes_the_recurrent_kinds():
    report = spec.check_layer(
        lookalike.rnn_forward, lookalike.rnn_backward, kind="rnn", rng=0
    )
    assert report.passed, str(report)
    assert "rnn: conformant" in str(report)
