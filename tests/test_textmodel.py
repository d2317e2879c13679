"""The character-level model: its text, its baselines, and that it learns."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop.textmodel import (
    Vocabulary,
    bigram_bits,
    load_text,
    main,
    train_text,
    unigram_bits,
)


def test_texts_ship_with_python():
    topics, where = load_text("pydoc-topics")
    assert len(topics) > 400_000
    assert "pydoc_data" in where
    zen, _ = load_text("zen")
    assert "Beautiful is better than ugly." in zen


def test_text_from_a_file_and_a_bad_source(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("abcabc\n", encoding="utf-8")
    assert load_text(path)[0] == "abcabc\n"
    with pytest.raises(ValueError, match="source"):
        load_text(tmp_path / "missing.txt")


def test_vocabulary_round_trip():
    vocab = Vocabulary.of("hello")
    assert vocab.chars == ("e", "h", "l", "o")
    assert vocab.decode(vocab.encode("hole")) == "hole"


def test_baselines_on_texts_with_known_entropy():
    # A uniform stream of 4 symbols: 2 bits for the unigram; a deterministic cycle:
    # the bigram predicts each next symbol with near certainty.
    rng = np.random.default_rng(0)
    uniform = rng.integers(0, 4, size=40_000)
    assert unigram_bits(uniform[:36_000], uniform[36_000:], 4) == pytest.approx(
        2.0, abs=0.01
    )
    cycle = np.tile(np.arange(4), 1000)
    assert bigram_bits(cycle[:3600], cycle[3600:], 4) < 0.01
    assert unigram_bits(cycle[:3600], cycle[3600:], 4) == pytest.approx(2.0, abs=1e-3)


def test_rnn_beats_the_bigram_on_held_out_text():
    # The short guard of the demo (the full LSTM run is benchmarks/bench_textmodel.py).
    result = train_text(
        max_chars=120_000,
        epochs=2,
        hidden=64,
        seq_length=32,
        model="rnn",
        progress=False,
        echo=None,
    )
    assert result.bigram_bits < result.unigram_bits
    assert result.bits[-1] < result.bits[0]
    assert result.beats_bigram, result.summary()
    assert all(len(s) == 201 for s in result.samples)


def test_training_is_seeded():
    kwargs = {
        "max_chars": 5_000,
        "epochs": 1,
        "hidden": 16,
        "seq_length": 16,
        "batch_size": 8,
        "progress": False,
        "echo": None,
    }
    first, second = train_text(seed=3, **kwargs), train_text(seed=3, **kwargs)
    assert first.bits == second.bits
    assert first.samples == second.samples
    assert math.isfinite(first.bits[0])


def test_command_prints_figures_and_samples(capsys):
    code = main(
        [
            "zen",
            "--epochs",
            "1",
            "--model",
            "lstm",
            "--hidden",
            "8",
            "--seq-length",
            "8",
            "--batch-size",
            "4",
        ]
    )
    out = capsys.readouterr().out
    assert code in (0, 1)
    assert "bigram" in out
    assert "epoch 1: held-out" in out


def test_bad_options_name_the_argument():
    with pytest.raises(ValueError, match="model"):
        train_text(model="gru")
    with pytest.raises(ValueError, match="hidden"):
        train_text(hidden=0)


def test_registers_as_a_backprop_subcommand(capsys):
    import argparse

    from backprop.textmodel import register_train_text

    parser = argparse.ArgumentParser(prog="backprop")
    register_train_text(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        [
            "train-text",
            "zen",
            "--epochs",
            "1",
            "--hidden",
            "8",
            "--seq-length",
            "8",
            "--batch-size",
            "4",
            "--model",
            "rnn",
        ]
    )
    assert args.run(args) in (0, 1)
    assert "held-out" in capsys.readouterr().out


def test_held_out_score_does_not_depend_on_the_batching():
    from backprop.textmodel import held_out_bits, init_text_params

    rng = np.random.default_rng(0)
    params = init_text_params("lstm", 7, 4, 6, rng)
    codes = rng.integers(0, 7, size=1_000)
    one = held_out_bits("lstm", params, codes, window=40, burn_in=10, batch_size=1)
    many = held_out_bits("lstm", params, codes, window=40, burn_in=10, batch_size=32)
    assert one == pytest.approx(many, rel=1e-12)  # float64 sums in another order
    assert (
        one > math.log2(7) - 1
    )  # an untrained model is no better than chance, roughly
