"""The grader's side of a submission's child: the wire format (nothing a child
sends can run code or crash the reader) and the sandbox's generic proxy."""

from __future__ import annotations

import contextlib
import json
import re
import struct
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec.check.grading.limits import (
    Limits,
    SubmissionRaised,
    SubmissionStopped,
    raised,
)
from spec.check.grading.sandbox import Sandbox
from spec.check.grading.wire import (
    MAGIC,
    PREFIX,
    Opaque,
    WireError,
    decode,
    encode,
    frame_lengths,
)

#: Each sandbox here starts one child (~0.2 s); the calls are instant.
LIMITS = Limits(timeout=10, memory=1024)


def _round_trip(value):
    frame = encode({"ok": True}, value)
    header_length, payload_length = frame_lengths(frame[: PREFIX.size], 1 << 30)
    header = frame[PREFIX.size : PREFIX.size + header_length]
    payload = frame[PREFIX.size + header_length :]
    assert len(payload) == payload_length
    return decode(header, payload)


def test_grade_wire_round_trip_keeps_types_dtypes_and_shapes():
    value = (
        [np.arange(6.0).reshape(2, 3), np.float32(1.5), np.zeros((0, 4), np.int8)],
        {"cost": "quadratic", "l2": 0.5, "flag": True, "none": None},
        np.array(3 + 4j),
        [1, 2.5, "s"],
    )
    header, back = _round_trip(value)
    assert header == {"ok": True}
    assert isinstance(back, tuple)
    arrays, options, complex_scalar, plain = back
    np.testing.assert_array_equal(arrays[0], value[0][0])
    assert arrays[1].dtype == np.float32
    assert arrays[1].shape == ()
    assert arrays[2].shape == (0, 4)
    assert arrays[2].dtype == np.int8
    assert options == value[1]
    assert complex_scalar == 3 + 4j
    assert plain == [1, 2.5, "s"]
    assert arrays[0].flags.writeable  # the child may write into its inputs


def test_grade_wire_unsendable_values_become_opaque():
    class Net:
        pass

    _, back = _round_trip([Net(), np.array(["a"]), np.array([object()])])
    assert [type(v).__name__ for v in back] == ["Net", "ndarray", "ndarray"]
    assert all(isinstance(v, Opaque) for v in back)
    assert "dtype <U1" in back[1].what


def test_grade_wire_non_contiguous_arrays_travel_in_order():
    a = np.arange(12.0).reshape(3, 4)[:, ::2].T
    _, back = _round_trip(a)
    np.testing.assert_array_equal(back, a)


@pytest.mark.parametrize(
    ("document", "payload", "problem"),
    [
        ({"arrays": [{"dtype": "|O8", "shape": [1]}]}, b"\0" * 8, "do not travel"),
        ({"arrays": [{"dtype": "V8", "shape": [1]}]}, b"\0" * 8, "do not travel"),
        ({"arrays": [{"dtype": "<f8", "shape": [2]}]}, b"\0" * 8, "more bytes"),
        ({"arrays": [{"dtype": "<f8", "shape": [1]}]}, b"\0" * 16, "no array accounts"),
        ({"arrays": [{"dtype": "<f8", "shape": [-1]}]}, b"", "integers >= 0"),
        ({"arrays": [{"dtype": "nonsense", "shape": [1]}]}, b"", "not a dtype"),
        ({"arrays": "x"}, b"", "not a list"),
        ({"value": {"$array": 3}}, b"", "no array"),
        ({"value": {"$eval": "1"}}, b"", "not a node"),
        ({"value": {"$dict": [[1, 2]]}}, b"", "not a string"),
    ],
)
def test_grade_wire_refuses_malformed_frames(document, payload, problem):
    with pytest.raises(WireError, match=problem):
        decode(json.dumps(document).encode(), payload)


def test_grade_wire_refuses_deep_nesting_and_bad_prefixes():
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(WireError, match="not JSON"):
        decode(b'{"x": ' + deep + b"}", b"")
    nested: object = None
    for _ in range(100):
        nested = [nested]
    with pytest.raises(WireError, match="too deep"):
        decode(json.dumps({"value": nested}).encode(), b"")
    with pytest.raises(WireError, match="starts with"):
        frame_lengths(struct.pack(">4sIQ", b"EVIL", 1, 1), 10)
    with pytest.raises(WireError, match="more than"):
        frame_lengths(struct.pack(">4sIQ", MAGIC, 1 << 30, 0), 10)
    with pytest.raises(WireError, match="allowed"):
        frame_lengths(struct.pack(">4sIQ", MAGIC, 10, 11), 10)


@given(st.binary(max_size=200), st.binary(max_size=64))
def test_grade_wire_random_bytes_raise_only_wire_errors(header, payload):
    with contextlib.suppress(WireError):
        decode(header, payload)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.text(max_size=3), inner, max_size=3)
        ),
        max_leaves=10,
    )
)
def test_grade_wire_random_json_values_decode_or_refuse(tree):
    with contextlib.suppress(WireError):
        decode(json.dumps({"value": tree}).encode(), b"")


def test_grade_raised_survives_any_error_object():
    error = raised({"type": "Bad Name\ud800", "message": 7, "line": {"path": 1}})
    assert isinstance(error, SubmissionRaised)
    assert type(error).__name__ == "Bad_Name_"
    assert error.line is None
    assert str(error) == "7"
    assert raised("not a dict").kind == "Exception"


def test_grade_limits_validate():
    with pytest.raises(ValueError, match="memory must be at least 256"):
        Limits(memory=10)
    with pytest.raises(TypeError, match="timeout must be a number"):
        Limits(timeout="60")  # type: ignore[arg-type]
    assert Limits(timeout=2.5).cpu_seconds == 4


def test_grade_sandbox_proxy_is_generic(tmp_path):
    source = tmp_path / "anything.py"
    source.write_text(
        "import numpy as np\n"
        "print('imported')\n"
        "def forward(x, params, *, mode='train', sizes=(1,)):\n"
        "    return x @ params['w'], {'mode': mode, 'sizes': sizes}\n"
        "class Layer:\n"
        "    @staticmethod\n"
        "    def scale(x, by):\n"
        "        x *= by\n"
        "        return x\n"
        "def fails(a):\n"
        "    return {}[a]\n"
    )
    with Sandbox(source, limits=LIMITS, label="anything") as box:
        assert box.import_error is None
        assert {"forward", "Layer", "fails"} <= set(box.callables)
        forward = box.function("forward")
        assert forward.__module__ == "anything"
        x, w = np.ones((2, 3), np.float32), np.arange(6.0).reshape(3, 2)
        out, cache = forward(x, {"w": w}, mode="test", sizes=(3, 2))
        np.testing.assert_allclose(out, x @ w)
        assert cache == {"mode": "test", "sizes": (3, 2)}
        assert not box.mutated
        scaled = box.function("Layer.scale")(x, 2.0)
        np.testing.assert_array_equal(scaled, 2.0)
        # What the call wrote into its argument is written back into the caller's.
        np.testing.assert_array_equal(x, 2.0)
        assert x.dtype == np.float32
        assert box.mutated
        with pytest.raises(SubmissionRaised, match="'k'") as caught:
            box.function("fails")("k")
        assert type(caught.value).__name__ == "KeyError"
        assert caught.value.line["number"] == 11
        assert box.network == "isolated" or box.network.startswith("not isolated")
    assert box.output == "imported\n"
    assert box.stop is None


def test_grade_sandbox_forbidden_module_in_a_call_is_recorded(tmp_path):
    source = tmp_path / "sub.py"
    source.write_text(
        "def f():\n"
        "    try:\n"
        "        import jax\n"
        "    except ImportError as exc:\n"
        "        return str(exc)\n"
    )
    with Sandbox(source, limits=LIMITS, forbidden=("jax",)) as box:
        assert box.forbidden_used == []
        assert box.call("f") == "uses a forbidden module: jax"
        assert box.forbidden_used == ["jax"]


def test_grade_sandbox_allow_list(tmp_path):
    (tmp_path / "helper.py").write_text("VALUE = 3\n")
    source = tmp_path / "sub.py"
    source.write_text(
        "import json, helper\n"
        "def f(name):\n"
        "    try:\n"
        "        __import__(name)\n"
        "    except ImportError:\n"
        "        return 'refused'\n"
        "    return helper.VALUE\n"
    )
    with Sandbox(tmp_path, "sub.py", limits=LIMITS, allowed=()) as box:
        assert box.import_error is None
        assert box.call("f", "hypothesis") == "refused"
        assert box.forbidden_used == ["hypothesis"]
        assert box.call("f", "numpy.linalg") == 3


def test_grade_sandbox_stopped_child_refuses_later_calls(tmp_path):
    source = tmp_path / "sub.py"
    source.write_text("import os\ndef f():\n    os._exit(7)\n")
    with Sandbox(source, limits=LIMITS) as box:
        with pytest.raises(SubmissionStopped, match="exit status 7"):
            box.call("f")
        assert box.stop.verdict == "exit"
        with pytest.raises(SubmissionStopped):
            box.call("f")


def test_grade_sandbox_time_between_calls_is_not_counted(tmp_path):
    source = tmp_path / "sub.py"
    source.write_text("import time\ndef f():\n    time.sleep(0.5)\n    return 1\n")
    with Sandbox(source, limits=Limits(timeout=3, memory=1024)) as box:
        assert box.call("f") == 1
        time.sleep(3.5)  # the grader's own work: longer than the whole limit
        assert box.call("f") == 1
        answered = 2
        while answered < 20:
            try:
                box.call("f")
            except SubmissionStopped:
                break
            answered += 1
        assert box.stop.verdict == "timeout"
        assert answered <= 6  # 3 s of the child's time at 0.5 s a call


def test_grade_sandbox_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        Sandbox(tmp_path / "missing.py")
    with pytest.raises(ValueError, match="module must name"):
        Sandbox(tmp_path)


def test_grade_sandbox_cpu_limit(tmp_path):
    source = tmp_path / "sub.py"
    source.write_text("def f():\n    while True:\n        pass\n")
    with Sandbox(source, limits=Limits(timeout=30, memory=1024, cpu=1)) as box:
        with pytest.raises(SubmissionStopped, match=re.escape("CPU time (SIGXCPU)")):
            box.call("f")
        assert box.stop.verdict == "timeout"


def test_grade_sandbox_file_size_limit(tmp_path):
    source = tmp_path / "sub.py"
    source.write_text(
        "def f():\n    with open('big', 'wb') as f:\n        f.write(bytes(3 * 2**20))\n"
    )
    with Sandbox(source, limits=Limits(timeout=30, memory=1024, file_size=1)) as box:
        # Python ignores SIGXFSZ: the write fails, and the function raises.
        with pytest.raises(SubmissionRaised, match="File too large"):
            box.call("f")
        assert box.stop is None
