"""SGD, the Network holder, and saving and loading."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import backprop
from backprop.network import Network


def _toy_problem(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 4))
    labels = (x[:, 0] + x[:, 1] > x[:, 2] + x[:, 3]).astype(int)
    return x, labels


def test_one_step_lowers_the_cost():
    x, labels = _toy_problem()
    weights, biases = backprop.init_params([4, 5, 2], rng=1)
    before = backprop.mean_cost(weights, biases, x, labels)
    new_w, new_b, _ = backprop.sgd(
        weights, biases, x, labels, epochs=1, batch_size=len(x), lr=0.5
    )
    after = backprop.mean_cost(new_w, new_b, x, labels)
    assert after < before


def test_sgd_does_not_modify_its_inputs():
    x, labels = _toy_problem()
    weights, biases = backprop.init_params([4, 5, 2], rng=1)
    copies = [p.copy() for p in weights + biases]
    backprop.sgd(weights, biases, x, labels, epochs=2, batch_size=7, lr=0.5)
    for p, c in zip(weights + biases, copies, strict=True):
        np.testing.assert_array_equal(p, c)


def test_same_seed_gives_bit_identical_training():
    x, labels = _toy_problem()
    runs = []
    for _ in range(2):
        net = Network([4, 5, 2], rng=7)
        net.fit(x, labels, epochs=3, batch_size=6, lr=1.0, rng=11)
        runs.append(backprop.pack(net.weights, net.biases))
    np.testing.assert_array_equal(runs[0], runs[1])
    other = Network([4, 5, 2], rng=7)
    other.fit(x, labels, epochs=3, batch_size=6, lr=1.0, rng=12)
    assert not np.array_equal(runs[0], backprop.pack(other.weights, other.biases))


def test_generator_and_seed_are_interchangeable():
    x, labels = _toy_problem()
    a = backprop.sgd(
        *backprop.init_params([4, 3, 2], rng=np.random.default_rng(3)), x, labels, rng=5
    )
    b = backprop.sgd(
        *backprop.init_params([4, 3, 2], rng=3), x, labels, rng=np.random.default_rng(5)
    )
    np.testing.assert_array_equal(backprop.pack(a[0], a[1]), backprop.pack(b[0], b[1]))


def test_last_partial_batch_is_one_step_on_the_remainder():
    # 5 examples in batches of 2: with batch_size >= n the epoch is one full-batch
    # step, and with every example identical, shuffling cannot matter, so an epoch
    # is exactly three steps on batches of sizes 2, 2, 1 of the same example.
    x = np.tile(np.array([[0.3, -0.2, 0.9]]), (5, 1))
    y = np.tile(np.array([[1.0, 0.0]]), (5, 1))
    weights, biases = backprop.init_params([3, 2, 2], rng=2)
    trained_w, trained_b, history = backprop.sgd(
        weights, biases, x, y, epochs=1, batch_size=2, lr=0.7
    )
    ws, bs = [w.copy() for w in weights], [b.copy() for b in biases]
    for size in (2, 2, 1):
        gw, gb = backprop.gradients(ws, bs, x[:size], y[:size])
        ws = [w - 0.7 * g for w, g in zip(ws, gw, strict=True)]
        bs = [b - 0.7 * g for b, g in zip(bs, gb, strict=True)]
    np.testing.assert_allclose(
        backprop.pack(trained_w, trained_b), backprop.pack(ws, bs), rtol=1e-13
    )
    assert [h["epoch"] for h in history] == [1]


def test_callback_sees_each_epoch_and_can_stop():
    x, labels = _toy_problem()
    seen = []

    def callback(epoch, weights, biases):
        seen.append((epoch, backprop.evaluate(weights, biases, x, labels)))
        return epoch == 2

    _, _, history = backprop.sgd(
        *backprop.init_params([4, 3, 2]), x, labels, epochs=5, callback=callback
    )
    assert [e for e, _ in seen] == [1, 2]
    assert [h["epoch"] for h in history] == [1, 2]
    assert all(h["seconds"] > 0 for h in history)


def test_network_learns_a_separable_problem():
    x, labels = _toy_problem(n=400)
    net = Network([4, 8, 2], rng=0, init="scaled")
    before = net.evaluate(x, labels)
    net.fit(x, labels, epochs=30, batch_size=10, lr=3.0, rng=0)
    after = net.evaluate(x, labels)
    assert after >= 0.95 > before
    np.testing.assert_array_equal(net.predict(x), net.feedforward(x).argmax(axis=1))
    assert net.cost(x, labels) < 0.3


def test_network_properties_and_cost_choice():
    net = Network([4, 3, 2], dtype="float32", cost="quadratic")
    assert net.sizes == [4, 3, 2]
    assert net.dtype == np.float32
    assert repr(net) == "Network([4, 3, 2], dtype=float32, cost='quadratic')"
    x, labels = _toy_problem(n=5)
    y = np.eye(2)[labels]
    gw, _ = net.gradients(x, y)
    want, _ = backprop.gradients(net.weights, net.biases, x, y, cost="quadratic")
    np.testing.assert_array_equal(gw[0], want[0])


def test_save_and_load_round_trip(tmp_path):
    net = Network([4, 3, 2], rng=3, dtype="float32", cost="quadratic")
    path = net.save(tmp_path / "net.npz")
    loaded = Network.load(path)
    assert loaded.sizes == net.sizes
    assert loaded.cost_name == "quadratic"
    for a, b in zip(
        net.weights + net.biases, loaded.weights + loaded.biases, strict=True
    ):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype
    assert os.listdir(tmp_path) == ["net.npz"]  # no temporary file left behind


def test_load_rejects_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no network file at .*missing.npz"):
        Network.load(tmp_path / "missing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(
        ValueError, match=r"junk.npz is not a readable .npz network file"
    ):
        Network.load(junk)
    good = Network([4, 3, 2]).save(tmp_path / "good.npz")
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:300])
    with pytest.raises(
        ValueError, match=r"truncated.npz is not a readable .npz network file"
    ):
        Network.load(truncated)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(3))
    with pytest.raises(
        ValueError,
        match=r"other.npz has format None; expected 'backprop-spec network v1'",
    ):
        Network.load(other)
    data = dict(np.load(good))
    data["W2"] = np.zeros((2, 4))
    np.savez(tmp_path / "shape.npz", **data)
    with pytest.raises(
        ValueError,
        match=r"W2 has shape \(2, 4\), expected \(2, 3\) for sizes \[4, 3, 2\]",
    ):
        Network.load(tmp_path / "shape.npz")
    data = dict(np.load(good))
    del data["b1"]
    np.savez(tmp_path / "lacks.npz", **data)
    with pytest.raises(ValueError, match=r"lacks array 'b1'"):
        Network.load(tmp_path / "lacks.npz")
    data = dict(np.load(good))
    data["b1"] = data["b1"].astype(np.float32)
    np.savez(tmp_path / "dtype.npz", **data)
    with pytest.raises(
        ValueError, match=r"holds an invalid network: biases\[0\] has dtype float32"
    ):
        Network.load(tmp_path / "dtype.npz")
    data = dict(np.load(good))
    data["W1"][0, 0] = np.nan
    np.savez(tmp_path / "nan.npz", **data)
    with pytest.raises(
        ValueError, match=r"holds an invalid network: weights\[0\] must be finite"
    ):
        Network.load(tmp_path / "nan.npz")


def test_killed_save_leaves_the_old_file_intact(tmp_path):
    path = tmp_path / "net.npz"
    Network([3, 2], rng=1).save(path)
    before = path.read_bytes()
    # A child process starts saving a large network and is killed mid-write.
    script = textwrap.dedent(
        f"""
        import os, signal, numpy as np
        import backprop.network as bn
        real_savez = np.savez
        def savez_then_die(fh, **arrays):
            fh.write(b"partial")
            fh.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        bn.np.savez = savez_then_die
        bn.Network([3, 2], rng=2).save({str(path)!r})
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], check=False)
    assert proc.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    Network.load(path)


@pytest.mark.parametrize("blas_threads", [None, 1, 2])
def test_blas_threads_do_not_change_the_result(blas_threads):
    x, labels = _toy_problem()
    reference = backprop.sgd(
        *backprop.init_params([4, 5, 2], rng=1), x, labels, batch_size=4
    )
    result = backprop.sgd(
        *backprop.init_params([4, 5, 2], rng=1),
        x,
        labels,
        batch_size=4,
        blas_threads=blas_threads,
    )
    np.testing.assert_array_equal(
        backprop.pack(*result[:2]), backprop.pack(*reference[:2])
    )
