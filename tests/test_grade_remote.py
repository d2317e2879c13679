"""Values kept in the child and used from the grader: handles on the wire, the
arguments a call changes written back, stand-ins of a submission's module."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest

from spec.check.grading.limits import SubmissionRaised
from spec.check.grading.remote import Remote, remote_module
from spec.check.grading.sandbox import Sandbox, write_back
from spec.check.grading.wire import PREFIX, Handle, WireError, decode, encode, handle

SOURCE = """
import numpy as np


class Cache:
    def __init__(self, x):
        self.x = x


def forward(x):
    return 2 * x, (Cache(x), "tag")


def backward(dout, cache):
    kept, tag = cache
    assert tag == "tag"
    return 2 * dout + 0 * kept.x


def update(w, dw, config):
    config["steps"] = config.get("steps", 0) + 1
    w -= dw  # in place, on purpose
    return w, config


class Network:
    def __init__(self, sizes, cost=None):
        self.sizes = list(sizes)
        self.cost = cost

    def total(self, scale=1):
        return scale * sum(self.sizes)

    def cost_name(self):
        return self.cost.__name__


class Quadratic:
    @staticmethod
    def delta(a, y):
        return a - y
"""


def _frame_parts(frame: bytes) -> tuple[bytes, bytes]:
    _, header_length, _ = PREFIX.unpack(frame[: PREFIX.size])
    middle = PREFIX.size + header_length
    return frame[PREFIX.size : middle], frame[middle:]


def test_grade_wire_keeps_what_cannot_travel_when_asked():
    kept: list[object] = []

    def keep(value: object) -> int:
        kept.append(value)
        return len(kept) - 1

    marker = object()
    _, value = decode(*_frame_parts(encode({}, (np.ones(2), marker), keep)))
    array, held = value
    assert isinstance(held, Handle)
    assert (held.number, type(held).__name__) == (0, "object")
    assert kept == [marker]
    np.testing.assert_array_equal(array, np.ones(2))
    # Sent back, the handle is its number; the keeper reads it as the value.
    _, back = decode(*_frame_parts(encode({}, [held])), resolve=kept.__getitem__)
    assert back == [marker]


def test_grade_wire_refuses_malformed_handles():
    for node in ({"$handle": "0"}, {"$handle": [0]}, {"$handle": [0, 1]}):
        header = json.dumps({"value": node}).encode()
        with pytest.raises(WireError, match="not a handle"):
            decode(header, b"")
    with pytest.raises(WireError, match="not a handle"):  # a keeper gets numbers
        decode(b'{"value": {"$handle": [0, "x"]}}', b"", resolve=lambda n: n)
    assert handle("my Type", 3).number == 3


def test_grade_write_back_puts_changes_into_the_callers_arguments():
    config = {"old": 1}
    write_back(config, {"new": 2})
    assert config == {"new": 2}
    w = np.zeros(3)
    write_back(w, np.arange(3.0))
    np.testing.assert_array_equal(w, [0.0, 1.0, 2.0])
    frozen = np.zeros(2)
    frozen.flags.writeable = False
    write_back(frozen, np.ones(2))  # left as it is
    np.testing.assert_array_equal(frozen, 0.0)
    pair = [np.zeros(2), np.zeros(3)]
    write_back(pair, [np.ones(2), np.ones(4)])  # the shape that differs is left
    np.testing.assert_array_equal(pair[0], 1.0)
    np.testing.assert_array_equal(pair[1], 0.0)


def test_grade_sandbox_cache_stays_in_the_child_and_goes_back(tmp_path):
    file = tmp_path / "layer.py"
    file.write_text(SOURCE)
    with Sandbox(file) as box:
        out, cache = box.call("forward", np.arange(3.0))
        np.testing.assert_array_equal(out, [0.0, 2.0, 4.0])
        assert isinstance(cache[0], Handle)
        assert type(cache[0]).__name__ == "Cache"
        np.testing.assert_array_equal(box.call("backward", np.ones(3), cache), 2.0)
        w, config = np.ones(2), {}
        box.call("update", w, np.ones(2), config)
        assert config == {"steps": 1}  # the dict, as the call left it
        np.testing.assert_array_equal(w, 0.0)  # the array it wrote into
        assert box.mutated


def test_grade_remote_module_stands_in_for_classes_and_functions(tmp_path):
    file = tmp_path / "program.py"
    file.write_text(SOURCE)
    with Sandbox(file) as box:
        module = remote_module(box, file)
        assert module.__file__ == str(file)
        network = module.Network
        assert isinstance(network, type)
        assert str(inspect.signature(network)) == "(sizes, cost=<default>)"
        assert list(inspect.signature(network.total).parameters) == ["self", "scale"]
        net = network([2, 3], cost=module.Quadratic)
        assert isinstance(net, Remote)
        assert net.total(scale=2) == 10
        assert net.cost_name() == "Quadratic"
        net.sizes = [1, 1]
        assert net.sizes == [1, 1]
        assert getattr(net, "missing", "default") == "default"
        assert not hasattr(net, "__array__")
        assert callable(module.forward)
        assert module.forward.__name__ == "forward"
        assert list(inspect.signature(module.forward).parameters) == ["x"]
        np.testing.assert_array_equal(module.Quadratic.delta(np.ones(2), 0), 1.0)
        assert isinstance(module.np, Remote)  # any other attribute, when asked
        with pytest.raises(AttributeError):
            module.nothing_of_that_name  # noqa: B018
        with pytest.raises(SubmissionRaised) as raised:
            network("not sizes", 1, 2)
        assert isinstance(raised.value, TypeError)  # also the built-in's type
        assert not box.errors[1:]  # a missing attribute is no error of its code
