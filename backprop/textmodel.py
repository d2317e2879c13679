r"""A character-level language model trained by backpropagation through time.

The model reads one character at a time and predicts the next:

.. math::

    e_t = E_{c_t},\quad h_{1..T} = \text{RNN or LSTM}(e_{1..T}, h_0 = 0),\quad
    s_t = h_t W + b,\quad L = -\frac1N \sum_{n,t} m_{n,t} \ln
        \operatorname{softmax}(s_{n,t})_{c_{n,t+1}}

built from the layers of :mod:`backprop.blocks.recurrent` (word embedding,
recurrent layer, temporal affine, temporal softmax loss), trained by Adam on
random windows of the training text with the gradient clipped to a joint norm
(:func:`~backprop.blocks.temporal.clip_gradients`, a separate step after the
backward).

The text never comes from the network. The default corpus ships with Python
itself: the prose of the standard library's ``pydoc_data.topics`` (the help
topics of the language reference that ``help()`` prints, about 465 000
characters), taken in sorted topic order; any UTF-8 file can be given instead.
The last tenth of the text is held out.

The held-out score is in **bits per character** beside two baselines fitted on
the training text: a unigram and a bigram model with additive smoothing (the
smoothing constant taken at its best on the held-out text from a grid, which
favours the baselines). Held-out text is scored in windows, each after a burn-in
of preceding characters that the mask of the temporal loss excludes from the
score, so every scored character sees at least that much context.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backprop.blocks.recurrent import (
    lstm_backward,
    lstm_forward,
    lstm_step_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_forward,
)
from backprop.blocks.temporal import (
    clip_gradients,
    temporal_affine_backward,
    temporal_affine_forward,
    temporal_softmax_loss,
    word_embedding_backward,
    word_embedding_forward,
)

__all__ = [
    "CORPORA",
    "Adam",
    "TextResult",
    "Vocabulary",
    "add_arguments",
    "bigram_bits",
    "forward_scores",
    "held_out_bits",
    "init_text_params",
    "load_text",
    "loss_and_grads",
    "main",
    "register_train_text",
    "run_train_text",
    "sample",
    "train_text",
    "unigram_bits",
]

#: Texts that ship with Python, by name.
CORPORA = ("pydoc-topics", "zen")

#: Additive smoothing constants tried for the baselines.
SMOOTHING_GRID = (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)

Params = dict[str, NDArray]


def load_text(source: str | Path = "pydoc-topics") -> tuple[str, str]:
    """The training text and a description of where it came from.

    Parameters
    ----------
    source : str or Path, default "pydoc-topics"
        ``"pydoc-topics"``: the help topics of the standard library's
        ``pydoc_data.topics`` in sorted order; ``"zen"``: the Zen of Python,
        decoded from ``this.py`` (short: a smoke test, too small to beat a
        bigram by much); any other value: the path of a UTF-8 text file.

    Returns
    -------
    text : str
    description : str
    """
    if source == "pydoc-topics":
        from pydoc_data.topics import topics

        return "".join(topics[key] for key in sorted(topics)), (
            "pydoc_data.topics (Python standard library)"
        )
    if source == "zen":
        import codecs
        import this

        return codecs.decode(this.s, "rot13"), "the Zen of Python (this.py)"
    path = Path(source)
    if not path.is_file():
        raise ValueError(
            f"source must be one of {CORPORA} or the path of a text file, got "
            f"{str(source)!r} (no such file)"
        )
    return path.read_text(encoding="utf-8"), str(path)


@dataclass(frozen=True)
class Vocabulary:
    """The characters of a text, sorted; ``index`` maps a character to its row."""

    chars: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Vocabulary:
        """The vocabulary of ``text``."""
        return cls(tuple(sorted(set(text))))

    @property
    def index(self) -> dict[str, int]:
        """Character to index."""
        return {c: k for k, c in enumerate(self.chars)}

    def encode(self, text: str) -> NDArray[np.int64]:
        """Indices of the characters of ``text``, shape (len(text),)."""
        index = self.index
        return np.fromiter((index[c] for c in text), dtype=np.int64, count=len(text))

    def decode(self, codes: Sequence[int]) -> str:
        """The text of the indices ``codes``."""
        return "".join(self.chars[k] for k in codes)


def _best_smoothed(counts: NDArray, held: Callable[[NDArray], NDArray]) -> float:
    best = math.inf
    for alpha in SMOOTHING_GRID:
        smoothed = counts + alpha
        p = smoothed / smoothed.sum(axis=-1, keepdims=True)
        best = min(best, float(-np.mean(np.log2(held(p)))))
    return best


def unigram_bits(train: NDArray, held_out: NDArray, vocab_size: int) -> float:
    """Bits per character of held-out text under a smoothed unigram of ``train``."""
    counts = np.bincount(train, minlength=vocab_size).astype(np.float64)
    return _best_smoothed(counts, lambda p: p[held_out])


def bigram_bits(train: NDArray, held_out: NDArray, vocab_size: int) -> float:
    """Bits per character of held-out text (after its first) under a smoothed bigram."""
    counts = np.zeros((vocab_size, vocab_size))
    np.add.at(counts, (train[:-1], train[1:]), 1.0)
    return _best_smoothed(counts, lambda p: p[held_out[:-1], held_out[1:]])


class Adam:
    r"""Adam (Kingma and Ba), with the paper's :math:`\epsilon` added to :math:`\sqrt{\hat v}`.

    .. math::

        m \leftarrow \beta_1 m + (1 - \beta_1) g,\quad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2,\quad
        \theta \leftarrow \theta - \alpha \frac{m / (1 - \beta_1^k)}
            {\sqrt{v / (1 - \beta_2^k)} + \epsilon}
    """

    def __init__(
        self,
        lr: float = 2e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m: Params = {}
        self.v: Params = {}
        self.k = 0

    def step(self, params: Params, grads: Params) -> None:
        """Update ``params`` in place from ``grads``."""
        self.k += 1
        for name, g in grads.items():
            m = self.m.setdefault(name, np.zeros_like(g))
            v = self.v.setdefault(name, np.zeros_like(g))
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            m_hat = m / (1 - self.beta1**self.k)
            v_hat = v / (1 - self.beta2**self.k)
            params[name] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def init_text_params(
    model: str, vocab_size: int, embed: int, hidden: int, rng: np.random.Generator
) -> Params:
    """Parameters of the model: ``E`` (V, D), ``Wx``, ``Wh``, ``b``, ``W`` (H, V), ``b_out``.

    Weights drawn from :math:`N(0, 1/\\text{fan-in})`; the LSTM's forget-gate bias
    starts at 1 (gates in CS231n's order i, f, o, g), so the cell keeps its state
    early in training.
    """
    gates = 4 if model == "lstm" else 1
    params = {
        "E": rng.standard_normal((vocab_size, embed)),
        "Wx": rng.standard_normal((embed, gates * hidden)) / math.sqrt(embed),
        "Wh": rng.standard_normal((hidden, gates * hidden)) / math.sqrt(hidden),
        "b": np.zeros(gates * hidden),
        "W": rng.standard_normal((hidden, vocab_size)) / math.sqrt(hidden),
        "b_out": np.zeros(vocab_size),
    }
    if model == "lstm":
        params["b"][hidden : 2 * hidden] = 1.0
    return params


def forward_scores(
    model: str, params: Params, inputs: NDArray
) -> tuple[NDArray, tuple[Any, Any, Any]]:
    """Scores (N, T, V) of the next character after each of ``inputs`` (N, T), and caches."""
    e, e_cache = word_embedding_forward(inputs, params["E"])
    h0 = np.zeros((inputs.shape[0], params["Wh"].shape[0]))
    forward = lstm_forward if model == "lstm" else rnn_forward
    h, h_cache = forward(e, h0, params["Wx"], params["Wh"], params["b"])
    scores, s_cache = temporal_affine_forward(h, params["W"], params["b_out"])
    return scores, (e_cache, h_cache, s_cache)


def loss_and_grads(
    model: str, params: Params, codes: NDArray, mask: NDArray
) -> tuple[float, Params]:
    """Mean masked loss (nats per sequence) of windows ``codes`` (N, T + 1) and its gradient."""
    scores, (e_cache, h_cache, s_cache) = forward_scores(model, params, codes[:, :-1])
    loss, dscores = temporal_softmax_loss(scores, codes[:, 1:], mask)
    dh, dW, db_out = temporal_affine_backward(dscores, s_cache)
    backward = lstm_backward if model == "lstm" else rnn_backward
    de, _, dWx, dWh, db = backward(dh, h_cache)
    dE = word_embedding_backward(de, e_cache)
    grads = {"E": dE, "Wx": dWx, "Wh": dWh, "b": db, "W": dW, "b_out": db_out}
    return float(loss), grads


def held_out_bits(
    model: str,
    params: Params,
    codes: NDArray,
    *,
    window: int = 200,
    burn_in: int = 50,
    batch_size: int = 32,
) -> float:
    """Bits per character of ``codes`` (1-D), scored in windows after a masked burn-in.

    Every character but the first ``burn_in + 1`` is scored exactly once, each
    after at least ``burn_in`` characters of context; the windows are run
    ``batch_size`` at a time (forward only).
    """
    length = burn_in + window + 1
    rows, masks = [], []
    for start in range(0, len(codes) - burn_in - 1, window):
        row = codes[start : start + length]
        mask = np.zeros(length - 1, dtype=bool)
        mask[burn_in : len(row) - 1] = True
        rows.append(np.pad(row, (0, length - len(row))))
        masks.append(mask)
    nats, scored = 0.0, 0
    for first in range(0, len(rows), batch_size):
        batch = np.array(rows[first : first + batch_size])
        mask = np.array(masks[first : first + batch_size])
        scores, _ = forward_scores(model, params, batch[:, :-1])
        loss, _ = temporal_softmax_loss(scores, batch[:, 1:], mask)
        nats += float(loss) * len(batch)
        scored += int(mask.sum())
    return nats / scored / math.log(2)


def sample(
    model: str,
    params: Params,
    vocab: Vocabulary,
    *,
    first: str,
    length: int,
    rng: np.random.Generator,
    temperature: float = 0.7,
) -> str:
    """``length`` characters drawn from the model after ``first``."""
    hidden = params["Wh"].shape[0]
    h = np.zeros((1, hidden))
    c = np.zeros((1, hidden))
    code = vocab.index[first]
    out = [first]
    for _ in range(length):
        e = params["E"][code][None, :]
        if model == "lstm":
            h, c, _ = lstm_step_forward(
                e, h, c, params["Wx"], params["Wh"], params["b"]
            )
        else:
            h, _ = rnn_step_forward(e, h, params["Wx"], params["Wh"], params["b"])
        scores = (h @ params["W"] + params["b_out"])[0] / temperature
        p = np.exp(scores - scores.max())
        code = int(rng.choice(len(p), p=p / p.sum()))
        out.append(vocab.chars[code])
    return "".join(out)


@dataclass
class TextResult:
    """Figures of :func:`train_text`.

    Attributes
    ----------
    source : str
    model : str
    train_chars, held_out_chars, vocab_size : int
    unigram_bits, bigram_bits : float
        Baselines on the held-out text (bits per character).
    bits : list of float
        The model's held-out bits per character after each epoch.
    samples : list of str
        A sample after each epoch.
    seconds : float
        Wall-clock time of the training.
    """

    source: str
    model: str
    train_chars: int
    held_out_chars: int
    vocab_size: int
    unigram_bits: float
    bigram_bits: float
    bits: list[float] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def beats_bigram(self) -> bool:
        """Whether the final model beats the bigram baseline on held-out text."""
        return bool(self.bits) and self.bits[-1] < self.bigram_bits

    def summary(self) -> str:
        """The figures as text."""
        lines = [
            (
                f"text: {self.source}, {self.train_chars} training and "
                f"{self.held_out_chars} held-out characters, {self.vocab_size} symbols"
            ),
            f"held-out bits per character: unigram {self.unigram_bits:.3f}, "
            f"bigram {self.bigram_bits:.3f}, {self.model} "
            + ", ".join(f"{b:.3f}" for b in self.bits)
            + " (after each epoch)",
            (
                f"{'beats' if self.beats_bigram else 'does NOT beat'} the bigram baseline; "
                f"{self.seconds:.1f} s of training"
            ),
        ]
        return "\n".join(lines)


def train_text(
    source: str | Path = "pydoc-topics",
    *,
    model: str = "lstm",
    epochs: int = 3,
    hidden: int = 128,
    embed: int = 32,
    seq_length: int = 64,
    batch_size: int = 32,
    lr: float = 3e-3,
    max_norm: float = 5.0,
    max_chars: int | None = None,
    seed: int = 0,
    progress: bool = True,
    echo: Callable[[str], Any] | None = print,
) -> TextResult:
    """Train a character model on a text and score it on the held-out last tenth.

    Parameters
    ----------
    source : str or Path, default "pydoc-topics"
        As in :func:`load_text`.
    model : {"lstm", "rnn"}, default "lstm"
    epochs : int, default 3
        Passes: each draws ``len(train) / (batch_size * seq_length)`` random windows.
    hidden, embed : int
        Widths of the hidden state and of the character vectors.
    seq_length : int, default 64
        Steps of backpropagation through time per window.
    batch_size : int, default 32
    lr : float, default 3e-3
        Adam's step size.
    max_norm : float, default 5.0
        Joint norm the gradient is clipped to.
    max_chars : int or None
        Use only the first ``max_chars`` characters of the text.
    seed : int, default 0
        Seeds the weights, the windows and the samples.
    progress : bool, default True
        Show a tqdm progress bar per epoch.
    echo : callable or None, default print
        Receives the per-epoch lines (figures and a sample); ``None`` for silence.

    Returns
    -------
    TextResult
    """
    if model not in ("lstm", "rnn"):
        raise ValueError(f"model must be 'lstm' or 'rnn', got {model!r}")
    sizes: tuple[tuple[str, Any], ...] = (
        ("epochs", epochs),
        ("hidden", hidden),
        ("embed", embed),
        ("seq_length", seq_length),
        ("batch_size", batch_size),
    )
    for name, value in sizes:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    text, description = load_text(source)
    if max_chars is not None:
        text = text[:max_chars]
    vocab = Vocabulary.of(text)
    codes = vocab.encode(text)
    split = int(0.9 * len(codes))
    train, held = codes[:split], codes[split:]
    if len(train) < seq_length + 2 or len(held) < 60:
        raise ValueError(
            f"the text has {len(codes)} characters; need at least "
            f"{10 * (seq_length + 2)} for a training part and a held-out part"
        )
    result = TextResult(
        source=description,
        model=model,
        train_chars=len(train),
        held_out_chars=len(held),
        vocab_size=len(vocab.chars),
        unigram_bits=unigram_bits(train, held, len(vocab.chars)),
        bigram_bits=bigram_bits(train, held, len(vocab.chars)),
    )
    say = echo or (lambda _: None)
    say(
        f"baselines on held-out text: unigram {result.unigram_bits:.3f}, "
        f"bigram {result.bigram_bits:.3f} bits/char"
    )
    rng = np.random.default_rng(seed)
    params = init_text_params(model, len(vocab.chars), embed, hidden, rng)
    optimizer = Adam(lr=lr)
    steps = max(1, len(train) // (batch_size * seq_length))
    mask = np.ones((batch_size, seq_length), dtype=bool)
    offsets = np.arange(seq_length + 1)
    start = time.perf_counter()
    from tqdm import tqdm

    for epoch in range(1, epochs + 1):
        bar = tqdm(
            range(steps), desc=f"epoch {epoch}", disable=not progress, leave=False
        )
        for _ in bar:
            starts = rng.integers(0, len(train) - seq_length - 1, size=batch_size)
            loss, grads = loss_and_grads(
                model, params, train[starts[:, None] + offsets], mask
            )
            grads, _ = clip_gradients(grads, max_norm)
            optimizer.step(params, grads)
            bar.set_postfix(
                bits=f"{loss / seq_length / math.log(2):.3f}", refresh=False
            )
        bar.close()
        result.bits.append(float(held_out_bits(model, params, held)))
        result.samples.append(
            sample(
                model, params, vocab, first=vocab.chars[train[0]], length=200, rng=rng
            )
        )
        say(
            f"epoch {epoch}: held-out {result.bits[-1]:.3f} bits/char "
            f"(bigram {result.bigram_bits:.3f})\n{result.samples[-1]}\n"
        )
    result.seconds = time.perf_counter() - start
    say(result.summary())
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """``backprop train-text [FILE]``: train a character model, print the figures.

    Returns 0 if the model beats the bigram baseline, 1 otherwise.
    """
    import argparse

    parser = argparse.ArgumentParser(
        prog="backprop train-text",
        description="Train a character-level RNN/LSTM by BPTT and compare it with "
        "unigram and bigram baselines on held-out text.",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run_train_text(args)


def add_arguments(parser: Any) -> None:
    """The options of ``backprop train-text`` on an ``argparse`` parser."""
    parser.add_argument(
        "file",
        nargs="?",
        default="pydoc-topics",
        help="a UTF-8 text file, or 'pydoc-topics' (default, ships with Python) "
        "or 'zen'",
    )
    parser.add_argument("--model", choices=("lstm", "rnn"), default="lstm")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--seq-length", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--max-chars", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)


def register_train_text(commands: Any) -> None:
    """Add ``backprop train-text`` to the ``backprop`` parser's subcommands.

    The entry point of the group ``backprop.commands`` (``train-text =
    "backprop.textmodel:register_train_text"``): adds the subparser with the
    options of :func:`add_arguments` and sets ``run`` to :func:`run_train_text`.
    """
    parser = commands.add_parser(
        "train-text",
        help="train a character-level RNN/LSTM on a text (BPTT)",
        description="Train a character-level RNN or LSTM by backpropagation "
        "through time and compare its held-out bits per character with unigram "
        "and bigram baselines. The default text ships with Python.",
    )
    add_arguments(parser)
    parser.set_defaults(run=run_train_text)


def run_train_text(args: Any) -> int:
    """Run ``backprop train-text`` from parsed arguments (see :func:`add_arguments`)."""
    result = train_text(
        args.file,
        model=args.model,
        epochs=args.epochs,
        hidden=args.hidden,
        seq_length=args.seq_length,
        batch_size=args.batch_size,
        lr=args.lr,
        max_chars=args.max_chars,
        seed=args.seed,
    )
    return 0 if result.beats_bigram else 1


if __name__ == "__main__":
    raise SystemExit(main())
