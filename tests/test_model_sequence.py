"""backprop.model's recurrent layers: the sequence model's gradient, its agreement
with backprop.blocks, its training, its file and its errors."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CENTRAL_RTOL

import spec
from backprop import blocks
from backprop.model import (
    LSTM,
    RNN,
    Dense,
    Embedding,
    Model,
    TemporalDense,
)

pytestmark = pytest.mark.usefixtures("single_threaded_blas")

#: Vocabulary V, embedding width D, hidden width H, steps T, sequences N: H != D
#: and V != H, so a missing transpose cannot hide on a square matrix.
V, D, H, T, N = 5, 3, 4, 4, 3


def sequence_model(recurrent, *, dtype="float64", rng=1):
    return Model(
        [Embedding(V, D), recurrent, TemporalDense(V)],
        (T,),
        loss="temporal_softmax",
        dtype=dtype,
        rng=rng,
    )


def sequence_data():
    """Word indices with repeats (word 2 four times, word 0 three times), targets,
    and a mask that drops three steps (padding at the end of a sequence and one
    step in the middle of another)."""
    x = np.array([[2, 0, 2, 0], [1, 2, 2, 4], [0, 3, 2, 1]])
    y = np.array([[0, 2, 4, 1], [2, 2, 0, 3], [0, 2, 1, 4]])
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 1, 1]], dtype=bool)
    return x, y, mask


def previous_word_task(seed, n=48, t=6, v=4):
    """Each target is the word one step back: learnable only through the
    recurrence. The first step has no previous word and is masked out."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, v, (n, t))
    mask = np.ones((n, t), dtype=bool)
    mask[:, 0] = False
    return x, np.roll(x, 1, axis=1), mask


RECURRENT = {
    "rnn": RNN(H),
    "lstm": LSTM(H),
    "lstm-pytorch-order": LSTM(H, gate_order=("i", "f", "g", "o")),
}


@pytest.mark.parametrize("name", RECURRENT)
def test_gradcheck_sequence_model_with_mask_and_repeated_words(name):
    model = sequence_model(RECURRENT[name])
    x, y, mask = sequence_data()
    # Every layer is smooth (tanh, sigmoid, softmax: no kinks), so central
    # differences are accurate to ~eps^(2/3) of the loss's scale; conftest's
    # CENTRAL_RTOL leaves a factor of 1e4 on that.
    report = spec.gradcheck(
        lambda p: model.loss(p, x, y, mask=mask),
        lambda p: model.gradients(p, x, y, mask=mask),
        model.params,
        method="central",
        rtol=CENTRAL_RTOL,
    )
    assert report.passed
    grads = model.gradients(model.params, x, y, mask=mask)
    # Word 3 only appears at a step whose output is masked out, but it feeds
    # the later steps through the hidden state; word 4 only appears at a masked
    # last step: no step that counts reads it.
    assert np.any(grads["embedding1"]["w"][3] != 0)
    np.testing.assert_array_equal(grads["embedding1"]["w"][4], 0)


def test_masked_steps_do_not_count():
    model = sequence_model(LSTM(H))
    x, y, mask = sequence_data()
    other = y.copy()
    other[~mask] = (other[~mask] + 1) % V  # change only the masked targets
    assert model.loss(model.params, x, other, mask=mask) == model.loss(
        model.params, x, y, mask=mask
    )
    # No mask: every step counts, as with a mask of ones.
    ones = np.ones_like(mask)
    assert model.loss(model.params, x, y) == model.loss(model.params, x, y, mask=ones)


@pytest.mark.parametrize("name", ["rnn", "lstm-pytorch-order"])
def test_model_is_the_blocks_composed(name):
    layer = RECURRENT[name]
    model = sequence_model(layer)
    x, y, mask = sequence_data()
    p = model.params
    recurrent = p[model.names[1]]
    e, e_cache = blocks.word_embedding_forward(x, p["embedding1"]["w"])
    h0 = np.zeros((N, H))
    if isinstance(layer, LSTM):
        h, h_cache = blocks.lstm_forward(
            e,
            h0,
            recurrent["wx"],
            recurrent["wh"],
            recurrent["b"],
            gate_order=layer.gate_order,
        )
    else:
        h, h_cache = blocks.rnn_forward(
            e, h0, recurrent["wx"], recurrent["wh"], recurrent["b"]
        )
    dense = p["temporaldense1"]
    scores, s_cache = blocks.temporal_affine_forward(h, dense["w"], dense["b"])
    loss, dscores = blocks.temporal_softmax_loss(scores, y, mask)
    dh, dw, db = blocks.temporal_affine_backward(dscores, s_cache)
    backward = blocks.lstm_backward if isinstance(layer, LSTM) else blocks.rnn_backward
    de, _, dwx, dwh, drb = backward(dh, h_cache)
    expected = {
        "embedding1": {"w": blocks.word_embedding_backward(de, e_cache)},
        model.names[1]: {"wx": dwx, "wh": dwh, "b": drb},
        "temporaldense1": {"w": dw, "b": db},
    }
    # The same functions on the same arrays in the same order: equal to the bit.
    assert model.loss(p, x, y, mask=mask) == float(loss)
    np.testing.assert_array_equal(model.scores(x), scores)
    grads = model.gradients(p, x, y, mask=mask)
    assert list(grads) == list(expected)
    for name_, leaves in expected.items():
        for key, value in leaves.items():
            np.testing.assert_array_equal(grads[name_][key], value)


def test_parameters_and_lstm_forget_bias_follow_the_gate_order():
    model = sequence_model(LSTM(H, gate_order="igfo"))  # TensorFlow 1's order
    lstm = model.params["lstm1"]
    assert lstm["wx"].shape == (D, 4 * H)
    assert lstm["wh"].shape == (H, 4 * H)
    expected = np.zeros(4 * H)
    expected[2 * H : 3 * H] = 1  # the forget gate is the third block here
    np.testing.assert_array_equal(lstm["b"], expected)
    assert model.layers[1] == LSTM(H, gate_order=("i", "g", "f", "o"))
    assert model.output_shape == (T, V)
    rnn = sequence_model(RNN(H)).params["rnn1"]
    assert {k: v.shape for k, v in rnn.items()} == {
        "wx": (D, H),
        "wh": (H, H),
        "b": (H,),
    }


@pytest.mark.parametrize("recurrent", [RNN(8), LSTM(8)], ids=["rnn", "lstm"])
def test_fit_learns_the_previous_word(recurrent):
    x, y, mask = previous_word_task(seed=0)
    model = Model(
        [Embedding(4, 4), recurrent, TemporalDense(4)],
        (6,),
        loss="temporal_softmax",
        dtype="float64",
        rng=0,
    )
    history = model.fit(
        x, y, mask=mask, epochs=40, batch_size=8, lr=0.3, max_norm=5.0, rng=1
    )
    assert history[-1]["loss"] < 0.1 * history[0]["loss"]
    assert model.accuracy(x, y, mask=mask) > 0.95
    x_new, y_new, mask_new = previous_word_task(seed=1)
    assert model.accuracy(x_new, y_new, mask=mask_new) > 0.95
    assert model.predict(x_new).shape == (48, 6)


def test_clipping_bounds_the_step():
    x, y, mask = previous_word_task(seed=0, n=4)
    model = Model(
        [Embedding(4, 4), RNN(8), TemporalDense(4)],
        (6,),
        loss="temporal_softmax",
        dtype="float64",
    )
    before = {n: {k: v.copy() for k, v in p.items()} for n, p in model.params.items()}
    model.fit(x, y, mask=mask, epochs=1, batch_size=4, lr=1.0, max_norm=1e-3)
    moved = np.sqrt(
        sum(
            float(np.sum((model.params[n][k] - before[n][k]) ** 2))
            for n in before
            for k in before[n]
        )
    )
    assert moved == pytest.approx(1e-3, rel=1e-9)  # lr times the clipped norm


def test_save_and_load_round_trip(tmp_path):
    model = sequence_model(LSTM(H, gate_order=("i", "f", "g", "o")), dtype="float32")
    x, y, mask = sequence_data()
    model.fit(x, y, mask=mask, epochs=1, batch_size=2, lr=0.1)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = Model.load(path)
    assert loaded.layers == model.layers
    assert loaded.loss_name == "temporal_softmax"
    np.testing.assert_array_equal(loaded.scores(x), model.scores(x))
    assert loaded.scores(x).dtype == np.float32


def test_bad_input_names_the_argument():
    model = sequence_model(RNN(H))
    x, y, mask = sequence_data()
    p = model.params
    with pytest.raises(TypeError, match="x must be integer indices for the Embedding"):
        model.loss(p, x.astype(float), y)
    with pytest.raises(ValueError, match=r"x must have shape \(N, 4\), got \(3, 3\)"):
        model.loss(p, x[:, :3], y)
    with pytest.raises(ValueError, match=r"x must hold word indices in \[0, 5\)"):
        model.loss(p, x + 1, y)
    with pytest.raises(TypeError, match="y must be an integer ndarray"):
        model.loss(p, x, y.astype(float))
    with pytest.raises(ValueError, match=r"y must have shape \(3, 4\)"):
        model.loss(p, x, y[:, :3])
    with pytest.raises(ValueError, match=r"y must hold classes in \[0, 5\)"):
        model.loss(p, x, y + 1)
    with pytest.raises(ValueError, match=r"mask must have shape \(3, 4\)"):
        model.gradients(p, x, y, mask=mask[:2])
    with pytest.raises(TypeError, match="mask must be a boolean or 0/1 array"):
        model.gradients(p, x, y, mask=mask.astype(str))
    with pytest.raises(ValueError, match=r"y must have shape \(3, 4\), one label per"):
        model.fit(x, y[:, :3], epochs=1, batch_size=2, lr=0.1)
    with pytest.raises(ValueError, match="max_norm must be > 0"):
        model.fit(x, y, epochs=1, batch_size=2, lr=0.1, max_norm=0.0)
    classifier = Model([Dense(3)], (4,))
    with pytest.raises(ValueError, match="mask is for the losses that score every"):
        classifier.loss(
            classifier.params, np.zeros((2, 4)), np.array([0, 1]), mask=np.ones(2)
        )


def test_bad_stacks_name_the_layer():
    with pytest.raises(ValueError, match="Embedding reads integer indices and must"):
        Model([Dense(4), Embedding(V, D)], (3,))
    with pytest.raises(ValueError, match=r"RNN needs sequences of vectors \(T, D\)"):
        Model([RNN(H), TemporalDense(V)], (T,), loss="temporal_softmax")
    with pytest.raises(ValueError, match="an embedding needs sequences of word"):
        Model([Embedding(V, D), Dense(2)], (T, 2))
    with pytest.raises(ValueError, match=r"scores \(T, M\) per sequence"):
        Model([Embedding(V, D), LSTM(H), Dense(V)], (T,), loss="temporal_softmax")
    with pytest.raises(ValueError, match="or loss='temporal_softmax'"):
        Model([Embedding(V, D), LSTM(H), TemporalDense(V)], (T,))
    with pytest.raises(ValueError, match="gate_order must be a permutation"):
        LSTM(H, gate_order=("i", "f", "o", "o"))
    with pytest.raises(ValueError, match="vocabulary must be >= 1"):
        Embedding(0, D)
    with pytest.raises(TypeError, match="hidden must be an integer"):
        RNN(2.5)
    # A whole sequence classified at once: the steps flattened into a Dense layer.
    whole = Model([Embedding(V, D), RNN(H), Dense(2)], (T,))
    assert whole.scores(sequence_data()[0]).shape == (N, 2)
