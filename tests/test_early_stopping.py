"""backprop.early_stopping: minibatch training with any optimizer, stopped on the
validation score, the best epoch's parameters kept."""

from __future__ import annotations

import numpy as np
import pytest

from backprop.early_stopping import train_early_stopping


def _constant_gradient(params, xb, yb):
    return {"w": np.ones_like(params["w"])}


def test_patience_and_the_best_epoch_with_a_scripted_score():
    scores = iter([0.5, 0.6, 0.7, 0.65, 0.66, 0.69, 0.99])
    x, y = np.zeros((4, 1)), np.zeros((4, 1))
    result = train_early_stopping(
        {"w": np.zeros(3)},
        _constant_gradient,
        x,
        y,
        validation_score=lambda p: next(scores),
        lr=0.1,
        epochs=20,
        batch_size=2,  # two steps per epoch
        patience=3,
    )
    assert result.stopped_early
    assert result.best_epoch == 2
    assert result.best_score == 0.7
    assert [r.epoch for r in result.history] == [0, 1, 2, 3, 4, 5]
    assert [r.best for r in result.history] == [True, True, True, False, False, False]
    # the parameters of epoch 2: four steps of -0.1
    np.testing.assert_allclose(result.params["w"], -0.4 * np.ones(3))


def test_step_decay_of_the_learning_rate():
    x, y = np.zeros((3, 1)), np.zeros((3, 1))
    result = train_early_stopping(
        {"w": np.zeros(2)},
        _constant_gradient,
        x,
        y,
        validation_score=lambda p: -float(p["w"][0]),  # improves at every step
        lr=0.2,
        epochs=5,
        batch_size=3,
        decay_factor=0.5,
        decay_every=2,
    )
    assert not result.stopped_early
    assert [r.lr for r in result.history[1:]] == [0.2, 0.2, 0.1, 0.1, 0.05]
    np.testing.assert_allclose(result.params["w"], -0.65 * np.ones(2))


def _regression(rng, n, d=30, noise=1.0):
    x = rng.standard_normal((n, d))
    w_true = np.zeros(d)
    w_true[:3] = (2.0, -1.0, 0.5)
    return x, x @ w_true + noise * rng.standard_normal(n)


def test_overfitting_model_returns_its_best_validation_epoch():
    """30 features, 40 noisy examples: the training cost keeps falling while the
    validation cost turns; the parameters returned are those of the best epoch."""
    rng = np.random.default_rng(5)
    x, y = _regression(rng, 40)
    xv, yv = _regression(rng, 400)

    def gradients(params, xb, yb):
        r = xb @ params["w"] + params["b"] - yb
        return {"w": xb.T @ r / len(yb), "b": np.array(r.mean())}

    def score(xs, ys):
        return lambda p: -float(np.mean((xs @ p["w"] + p["b"] - ys) ** 2))

    start = {"w": np.zeros(30), "b": np.array(0.0)}
    result = train_early_stopping(
        start,
        gradients,
        x,
        y,
        validation_score=score(xv, yv),
        training_score=score(x, y),
        optimizer="adam",
        options={"beta1": 0.9, "beta2": 0.999},
        lr=0.05,
        epochs=300,
        batch_size=8,
        patience=10,
        rng=1,
    )
    assert result.stopped_early
    assert 0 < result.best_epoch < result.history[-1].epoch
    assert result.best_score == max(r.validation for r in result.history)
    assert score(xv, yv)(result.params) == result.best_score
    # the training cost went on falling after the best validation epoch
    assert result.history[-1].training > result.history[result.best_epoch].training
    np.testing.assert_array_equal(start["w"], np.zeros(30))  # the start is untouched
    again = train_early_stopping(
        start, gradients, x, y, validation_score=score(xv, yv), optimizer="adam",
        options={"beta1": 0.9, "beta2": 0.999}, lr=0.05, epochs=300, batch_size=8,
        patience=10, rng=1,
    )  # fmt: skip
    np.testing.assert_array_equal(again.params["w"], result.params["w"])


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"epochs": 0}, ValueError, "epochs must be an integer >= 1"),
        ({"batch_size": 2.5}, ValueError, "batch_size must be an integer >= 1"),
        ({"patience": 0}, ValueError, "patience must be an integer >= 1"),
        ({"optimizer": "nadam"}, ValueError, "optimizer must be one of"),
        ({"lr": -0.1}, ValueError, "lr must be >= 0"),
        ({"min_delta": -1.0}, ValueError, "min_delta must be a number >= 0"),
        ({"validation_score": lambda p: "high"}, TypeError, "validation_score must return a number"),
        ({"validation_score": lambda p: float("nan")}, ValueError, "validation_score returned nan"),
        ({"y": np.zeros((3, 1))}, ValueError, "x and y must hold the same number"),
    ],
)  # fmt: skip
def test_bad_input_names_the_argument(kwargs, error, text):
    arguments = {
        "validation_score": lambda p: 0.0,
        "lr": 0.1,
        "epochs": 2,
        "batch_size": 2,
        "y": np.zeros((4, 1)),
        **kwargs,
    }
    y = arguments.pop("y")
    with pytest.raises(error, match=text):
        train_early_stopping(
            {"w": np.zeros(2)}, _constant_gradient, np.zeros((4, 1)), y, **arguments
        )
