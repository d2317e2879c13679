"""The recurrent spec and its proofs: BPTT at fixed sizes and for every T, wrong recursions refuted."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from spec.blocks.recurrent import (
    KINDS,
    PYTORCH_GATE_ORDER,
    graph_gradient,
    lstm,
    prove_bptt,
    prove_recurrent,
    recurrent_forward,
    recurrent_vjp,
)


@pytest.mark.parametrize("kind", KINDS)
def test_recursion_equals_direct_differentiation_at_fixed_sizes(kind):
    proof = prove_recurrent(kind)
    assert proof.proven, proof.mismatches
    assert proof.entries > 0


@pytest.mark.parametrize(
    "sizes", [{"N": 1, "T": 1, "D": 1, "H": 1}, {"N": 2, "T": 4, "D": 3, "H": 2}]
)
def test_rnn_recursion_proven_at_other_sizes(sizes):
    assert prove_recurrent("rnn", **sizes).proven


def test_lstm_recursion_proven_in_pytorch_gate_order():
    proof = prove_recurrent("lstm", N=1, T=2, D=2, H=2, gate_order=PYTORCH_GATE_ORDER)
    assert proof.proven
    assert proof.gate_order == PYTORCH_GATE_ORDER


@pytest.mark.parametrize(
    ("kind", "variant"),
    [("rnn", "forget_next"), ("lstm", "forget_next"), ("lstm", "backward_gate_order")],
)
def test_wrong_recursions_are_refuted(kind, variant):
    proof = prove_recurrent(kind, N=1, T=3, D=2, H=2, variant=variant)
    assert not proof.proven
    assert proof.mismatches


def test_graph_gradient_agrees_with_sympy_diff_on_a_small_lstm():
    # The graph differentiator of the fixed-size proofs against sympy.diff itself,
    # where sympy.diff finishes (T = 2, H = 1).
    x = np.array([[[sympy.Symbol(f"x{t}", real=True)] for t in range(2)]], dtype=object)
    h0 = np.array([[sympy.Symbol("h0", real=True)]], dtype=object)
    Wx = np.array([[sympy.Symbol(f"wx{k}", real=True) for k in range(4)]], dtype=object)
    Wh = np.array([[sympy.Symbol(f"wh{k}", real=True) for k in range(4)]], dtype=object)
    b = np.array([sympy.Symbol(f"b{k}", real=True) for k in range(4)], dtype=object)
    g = [sympy.Symbol(f"g{t}", real=True) for t in range(2)]
    h = lstm(x, h0, Wx, Wh, b)
    scalar = g[0] * h[0, 0, 0] + g[1] * h[0, 1, 0]
    variables = [Wh[0, 1], Wx[0, 3], h0[0, 0], x[0, 0, 0]]
    values = {
        s: sympy.Rational(k + 2, 7)
        for k, s in enumerate(sorted(scalar.free_symbols, key=str))
    }
    for ours, var in zip(graph_gradient(scalar, variables), variables, strict=True):
        direct = sympy.diff(scalar, var)
        assert abs(float((ours - direct).subs(values).evalf(30))) < 1e-25


def test_bptt_rows_for_every_width_rnn():
    proof = prove_bptt(lstm=False)
    assert proof.proven
    assert proof.lemma("RNN step").kind == "lemma"
    assert proof.lemma("induction").kind == "induction"
    assert "argued" in proof.table()
    for name in ("embedding dW", "temporal affine dw", "loss dx", "loss weight"):
        assert proof.lemma(name).proven, name


@pytest.mark.parametrize(
    ("variant", "row"),
    [("forget_next", "RNN step"), ("forget_upstream", "RNN step")],
)
def test_bptt_wrong_step_fails_at_its_row(variant, row):
    proof = prove_bptt(lstm=False, variant=variant)
    assert not proof.proven
    assert not proof.lemma(row).proven
    assert not proof.lemma("induction").proven
    assert proof.lemma("RNN dWh").proven


@pytest.mark.slow
def test_bptt_lstm_without_forget_gate_fails_at_the_cell_step():
    proof = prove_bptt(variant="dprev_c_without_f", lstm_inputs=False)
    assert not proof.lemma("LSTM cell step").proven
    assert proof.lemma("LSTM hidden step").proven


@pytest.mark.slow
def test_bptt_rows_for_every_width_lstm():
    proof = prove_bptt(lstm=True)
    assert proof.proven
    for name in (
        "cell step",
        "hidden step",
        "gates dWh",
        "gates dWx",
        "gates db",
        "dx",
    ):
        assert proof.lemma(f"LSTM {name}").proven, name


def test_oracle_softmax_loss_known_value():
    inputs = {
        "x": np.zeros((2, 1, 4)),
        "y": np.array([[1], [2]]),
        "mask": np.array([[1], [0]]),
    }
    grads = recurrent_vjp("temporal_softmax_loss", inputs, 1.0)
    expected = np.zeros((2, 1, 4))
    expected[0, 0] = (0.25 - np.eye(4)[1]) / 2
    np.testing.assert_allclose(grads["dx"], expected, rtol=0, atol=1e-16)
    assert recurrent_forward("temporal_softmax_loss", inputs) == pytest.approx(
        np.log(4) / 2
    )


def test_oracle_embedding_sums_repeated_words():
    dout = np.arange(6.0).reshape(1, 3, 2)
    grads = recurrent_vjp(
        "word_embedding", {"x": np.array([[1, 1, 0]]), "W": np.ones((3, 2))}, dout
    )
    np.testing.assert_array_equal(grads["dW"], [[4, 5], [2, 4], [0, 0]])


def test_oracle_rejects_bad_input():
    with pytest.raises(ValueError, match="kind"):
        recurrent_vjp("gru", {}, None)
    with pytest.raises(ValueError, match="missing"):
        recurrent_vjp("rnn", {"x": np.zeros((1, 1, 1))}, np.zeros((1, 1, 1)))
    with pytest.raises(ValueError, match="gate_order"):
        recurrent_vjp("lstm", {}, None, gate_order=("i", "f", "o", "o"))
