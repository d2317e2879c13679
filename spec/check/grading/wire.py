"""The messages between ``backprop grade`` and a submission's child process.

A message is a frame: the magic ``b"BPG1"``, the length of a UTF-8 JSON header
(4 bytes, big-endian), the length of the payload (8 bytes, big-endian), the header,
then the payload: the raw bytes of the arrays the header lists, in order. Reading
one runs no code of the sender: JSON, and arrays of plain numbers rebuilt by
:func:`numpy.frombuffer` from a dtype and a shape that are checked first (never
``pickle``, never an object dtype).

Values travel as a tree of JSON: ``null``, booleans, numbers, strings and lists as
themselves; every other node is an object with one key, ``{"$array": i}`` (the
i-th array of the payload), ``{"$tuple": [...]}``, ``{"$dict": [[key, value],
...]}`` or ``{"$unsupported": "what"}`` (a value the sender could not send, such
as an instance of its own class, rebuilt as an :class:`Opaque`). A sender that
keeps such values (the child, ``keep`` of :func:`encode`) sends ``{"$handle":
[number, "what"]}`` instead, rebuilt as a :class:`Handle`; a :class:`Handle` sent
back is ``{"$handle": number}``, which the child (``resolve`` of :func:`decode`)
reads as the object it kept: a layer's cache, a network, a class.

This module imports only the standard library and NumPy: the child loads it by
path, before the submission, without importing :mod:`spec`.
"""

from __future__ import annotations

import json
import math
import re
import struct
from collections.abc import Callable
from typing import Any, cast

import numpy as np

__all__ = [
    "HEADER_LIMIT",
    "MAGIC",
    "PREFIX",
    "Handle",
    "HandleType",
    "Opaque",
    "WireError",
    "decode",
    "encode",
    "frame_lengths",
    "handle",
    "opaque",
]

MAGIC = b"BPG1"
#: magic, header length (uint32), payload length (uint64), big-endian.
PREFIX = struct.Struct(">4sIQ")
#: Largest JSON header read (a gradient's header is a few hundred bytes; 1 MiB
#: leaves room for long error messages and many arrays).
HEADER_LIMIT = 1 << 20
#: Deepest nesting of lists, tuples and dicts sent (a list of per-layer arrays
#: inside a pair is depth 3).
DEPTH_LIMIT = 32
#: Most nodes in one tree.
NODE_LIMIT = 100_000
#: Longest string sent; longer ones are cut.
STRING_LIMIT = 20_000
#: Most dimensions of an array.
NDIM_LIMIT = 32
#: Array kinds that travel: booleans, integers, floats, complex numbers.
KINDS = "biufc"


class WireError(ValueError):
    """A frame or a value that does not follow the format."""


class Opaque:
    """A value the sender could not send; its class is named after the sender's type.

    Attributes
    ----------
    what : str
        The sender's description of the value (its type, or why it was not sent).
    """

    def __init__(self, what: str) -> None:
        self.what = what

    def __repr__(self) -> str:
        return f"<{self.what}>"


class Handle(Opaque):
    """A value the sender kept, known by its number: sent back, it is that value
    again on the sender's side.

    Attributes
    ----------
    what : str
        The value's type, as the sender named it.
    number : int
    """

    def __init__(self, what: str, number: int) -> None:
        super().__init__(what)
        self.number = number

    def __repr__(self) -> str:
        return f"<{self.what} #{self.number}>"


class HandleType(type):
    """The metaclass of a class that stands for a class the sender kept: the
    class travels as the number in its ``number`` attribute."""

    number: int


_OPAQUE_TYPES: dict[tuple[str, type[Opaque]], type[Opaque]] = {}


def _named(what: str, base: type[Opaque]) -> type[Opaque]:
    """A subclass of ``base`` that bears the name of the type in ``what``, so
    that ``type(value).__name__`` reads as the sender's type in messages."""
    name = re.sub(r"\W", "_", what.split(" ")[0])[:40] or "object"
    if not name[0].isalpha():
        name = "object_" + name
    cls = _OPAQUE_TYPES.get((name, base))
    if cls is None:
        cls = type(name, (base,), {"__module__": "submission"})
        _OPAQUE_TYPES[name, base] = cls
    return cls


def opaque(what: str) -> Opaque:
    """An :class:`Opaque` whose class bears the name of the type in ``what``."""
    return _named(what, Opaque)(what[:200])


def handle(what: str, number: int) -> Handle:
    """A :class:`Handle` whose class bears the name of the type in ``what``."""
    cls = cast(type[Handle], _named(what, Handle))
    return cls(what[:200], number)


def _array_of(value: Any) -> np.ndarray | None:
    """``value`` as an array of plain numbers, or None if it is not one."""
    if isinstance(value, np.ndarray | np.generic):
        array = np.asarray(value)
    elif hasattr(value, "__array__") or hasattr(value, "__array_interface__"):
        try:
            array = np.asarray(value)
        except Exception:
            return None
    else:
        return None
    if array.dtype.kind not in KINDS or array.dtype.fields is not None:
        return None
    return array


#: What a sender that keeps values gives for one it cannot send: its number.
Keep = Callable[[Any], int]


def _to_tree(
    value: Any,
    arrays: list[np.ndarray],
    depth: int,
    count: list[int],
    keep: Keep | None,
) -> Any:
    count[0] += 1
    if count[0] > NODE_LIMIT:
        return {"$unsupported": "value with too many items"}
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Handle | HandleType):
        return {"$handle": value.number}
    if isinstance(value, int | float) and type(value) in (int, float):
        if isinstance(value, int) and abs(value) >= 2**63:
            return float(value)
        return value
    if isinstance(value, str) and type(value) is str:
        return value[:STRING_LIMIT]
    array = _array_of(value)
    if array is not None:
        arrays.append(array)
        return {"$array": len(arrays) - 1}
    if isinstance(value, np.ndarray):
        return {"$unsupported": f"ndarray of dtype {value.dtype}"}
    if depth >= DEPTH_LIMIT:
        return {"$unsupported": "value nested too deep"}
    if type(value) is list:
        return [_to_tree(v, arrays, depth + 1, count, keep) for v in value]
    if type(value) is tuple:
        return {"$tuple": [_to_tree(v, arrays, depth + 1, count, keep) for v in value]}
    if type(value) is dict and all(type(k) is str for k in value):
        return {
            "$dict": [
                [k[:STRING_LIMIT], _to_tree(v, arrays, depth + 1, count, keep)]
                for k, v in value.items()
            ]
        }
    if keep is not None:
        return {"$handle": [keep(value), type(value).__name__[:100]]}
    return {"$unsupported": type(value).__name__}


def encode(
    header: dict[str, Any], value: Any = None, keep: Keep | None = None
) -> bytes:
    """A frame holding ``header`` (a dict of JSON values) and ``value`` as
    ``header["value"]``.

    Any Python value can be given: what cannot travel becomes an
    ``{"$unsupported": ...}`` node (an :class:`Opaque` on arrival), never an error;
    or, when ``keep`` is given, a ``{"$handle": ...}`` node numbered by
    ``keep(value)`` (a :class:`Handle` on arrival). A :class:`Handle` travels as
    its number.
    """
    arrays: list[np.ndarray] = []
    tree = _to_tree(value, arrays, 0, [0], keep)
    document = {
        **header,
        "value": tree,
        "arrays": [{"dtype": a.dtype.str, "shape": list(a.shape)} for a in arrays],
    }
    text = json.dumps(document, allow_nan=True).encode("utf-8")
    payload = b"".join(a.tobytes() for a in arrays)
    return PREFIX.pack(MAGIC, len(text), len(payload)) + text + payload


def frame_lengths(prefix: bytes, payload_limit: int) -> tuple[int, int]:
    """The header and payload lengths a frame's first ``PREFIX`` bytes
    announce; :class:`WireError` if the magic is wrong or either is too long."""
    magic, header_length, payload_length = PREFIX.unpack(prefix)
    if magic != MAGIC:
        raise WireError(f"a frame starts with {MAGIC!r}, got {magic!r}")
    if header_length > HEADER_LIMIT:
        raise WireError(
            f"a header of {header_length} bytes, more than the {HEADER_LIMIT} allowed"
        )
    if payload_length > payload_limit:
        raise WireError(
            f"{payload_length} bytes of arrays, more than the {payload_limit} allowed"
        )
    return header_length, payload_length


def _dtype(spec: Any) -> np.dtype:
    if not isinstance(spec, str) or len(spec) > 8:
        raise WireError(f"a dtype is a short string such as '<f8', got {spec!r:.60}")
    try:
        dtype = np.dtype(spec)
    except TypeError:
        raise WireError(f"not a dtype: {spec!r}") from None
    if dtype.kind not in KINDS or dtype.fields is not None or dtype.subdtype:
        raise WireError(f"arrays of {dtype} do not travel, only plain numbers")
    return dtype


def _shape(spec: Any) -> tuple[int, ...]:
    if (
        not isinstance(spec, list)
        or len(spec) > NDIM_LIMIT
        or not all(type(n) is int and n >= 0 for n in spec)
    ):
        raise WireError(f"a shape is a list of integers >= 0, got {spec!r:.80}")
    return tuple(spec)


def _arrays(specs: Any, payload: bytes) -> list[np.ndarray]:
    if not isinstance(specs, list):
        raise WireError("the header's 'arrays' is not a list")
    arrays, offset = [], 0
    for spec in specs:
        if not isinstance(spec, dict):
            raise WireError("an entry of 'arrays' is not an object")
        dtype, shape = _dtype(spec.get("dtype")), _shape(spec.get("shape"))
        count = math.prod(shape)
        size = count * dtype.itemsize
        if offset + size > len(payload):
            raise WireError("the arrays announce more bytes than the payload holds")
        array = np.frombuffer(payload, dtype=dtype, count=count, offset=offset)
        arrays.append(array.reshape(shape).copy())  # writable, owns its memory
        offset += size
    if offset != len(payload):
        raise WireError("the payload holds bytes that no array accounts for")
    return arrays


#: What a receiver that kept values gives for a handle's number: the value.
Resolve = Callable[[int], Any]


def _from_tree(
    node: Any, arrays: list[np.ndarray], depth: int, resolve: Resolve | None
) -> Any:
    if depth > DEPTH_LIMIT + 1:
        raise WireError("a value nested too deep")
    if node is None or isinstance(node, bool | int | float | str):
        return node
    if isinstance(node, list):
        return [_from_tree(v, arrays, depth + 1, resolve) for v in node]
    if not isinstance(node, dict) or len(node) != 1:
        raise WireError(f"not a node of a value: {node!r:.80}")
    ((tag, content),) = node.items()
    if tag == "$array":
        if type(content) is not int or not 0 <= content < len(arrays):
            raise WireError(f"no array {content!r:.20}")
        return arrays[content]
    if tag == "$tuple" and isinstance(content, list):
        return tuple(_from_tree(v, arrays, depth + 1, resolve) for v in content)
    if tag == "$dict" and isinstance(content, list):
        items = {}
        for item in content:
            if not (isinstance(item, list) and len(item) == 2):
                raise WireError("an item of a dict is not a [key, value] pair")
            key, value = item
            if not isinstance(key, str):
                raise WireError("a key of a dict is not a string")
            items[key] = _from_tree(value, arrays, depth + 1, resolve)
        return items
    if tag == "$unsupported" and isinstance(content, str):
        return opaque(content)
    if tag == "$handle":
        if resolve is not None and type(content) is int:
            return resolve(content)
        if (
            resolve is None
            and isinstance(content, list)
            and len(content) == 2
            and type(content[0]) is int
            and isinstance(content[1], str)
        ):
            return handle(content[1], content[0])
        raise WireError(f"not a handle: {content!r:.40}")
    raise WireError(f"not a node of a value: {tag!r:.40}")


def decode(
    header_bytes: bytes, payload: bytes, resolve: Resolve | None = None
) -> tuple[dict[str, Any], Any]:
    r"""The header (a dict) and the value of a frame read by the caller.

    ``{"$handle": [number, what]}`` nodes become :class:`Handle`\ s, or, when
    ``resolve`` is given (the side that kept them), ``{"$handle": number}`` nodes
    become ``resolve(number)``.

    Raises :class:`WireError` on anything that does not follow the format,
    whatever the sender put in it; nothing in it runs code.
    """
    try:
        document = json.loads(header_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WireError(f"the header is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise WireError("the header is not a JSON object")
    arrays = _arrays(document.pop("arrays", []), payload)
    try:
        value = _from_tree(document.pop("value", None), arrays, 0, resolve)
    except RecursionError:
        raise WireError("a value nested too deep") from None
    return document, value
