"""A submission's objects used from the grader as if they were here:
:func:`remote_module`, and the :class:`Remote` values and stand-in classes it holds.

A check written for a program in the grader's own process (:func:`spec.check_program`
reads ``module.Network``, builds networks, sets their weights, calls their
``backprop``) runs unchanged on a submission in its sandbox: the module it is
given is a stand-in whose functions, classes and objects live in the child. Every
attribute read or written and every call is one request to the child
(:class:`~spec.check.grading.sandbox.Sandbox`); arrays, numbers, strings, lists,
tuples and dicts come back as themselves, anything else as another
:class:`Remote`. A class of the submission is a real class here (``isinstance(C,
type)`` holds, ``inspect.signature`` reads its constructor's parameters) whose call
builds the instance in the child.

Nothing of the child runs here: a stand-in is built from the child's description
(names, parameters), never from its code.
"""

from __future__ import annotations

import inspect
import types
from pathlib import Path
from typing import Any

from spec.check.grading.sandbox import Sandbox
from spec.check.grading.wire import Handle, HandleType

__all__ = ["Remote", "RemoteClass", "remote_module", "signature_of"]

#: The kinds of parameters, by their number (as the child sends them).
KINDS = {
    int(kind): kind
    for kind in (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.VAR_POSITIONAL,
        inspect.Parameter.KEYWORD_ONLY,
        inspect.Parameter.VAR_KEYWORD,
    )
}


class _Default:
    def __repr__(self) -> str:
        return "<default>"


def signature_of(parameters: Any) -> inspect.Signature | None:
    """The signature the child described as ``[name, kind, has_default]`` items,
    or None when it could not read one."""
    if not isinstance(parameters, list):
        return None
    try:
        return inspect.Signature(
            [
                inspect.Parameter(
                    str(name),
                    KINDS[kind],
                    # The child's default stays there; here, a placeholder.
                    default=_Default() if has_default else inspect.Parameter.empty,
                )
                for name, kind, has_default in parameters
            ]
        )
    except (TypeError, ValueError, KeyError):  # a description no signature follows
        return None


def wrap(box: Sandbox, value: Any, depth: int = 0) -> Any:
    """``value`` from the child with each :class:`~spec.check.grading.wire.Handle`
    in it made a :class:`Remote`."""
    if isinstance(value, Handle) and not isinstance(value, Remote):
        return Remote(box, value)
    if depth > 40:
        return value
    if type(value) is list:
        return [wrap(box, v, depth + 1) for v in value]
    if type(value) is tuple:
        return tuple(wrap(box, v, depth + 1) for v in value)
    if type(value) is dict:
        return {k: wrap(box, v, depth + 1) for k, v in value.items()}
    return value


class Remote(Handle):
    """A value the child kept: reading an attribute, setting one, or calling it
    is a request to the child.

    ``__name__``, ``__qualname__`` and ``__signature__`` are read from the child's
    description (asked for once); other special names are not looked up in the
    child (``hasattr(value, "__array__")`` is False).
    """

    def __init__(self, box: Sandbox, kept: Handle) -> None:
        object.__setattr__(self, "box", box)
        object.__setattr__(self, "what", kept.what)
        object.__setattr__(self, "number", kept.number)
        object.__setattr__(self, "_description", None)

    def _describe(self) -> dict[str, Any]:
        description = object.__getattribute__(self, "_description")
        if description is None:
            description = self.box.describe(self)
            object.__setattr__(self, "_description", description)
        return description

    def __getattr__(self, name: str) -> Any:
        if name in ("__name__", "__qualname__"):
            about = self._describe()
            return str(about.get(name.strip("_")) or about.get("name") or self.what)
        if name == "__signature__":
            return signature_of(self._describe().get("parameters"))
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return wrap(self.box, self.box.get(self, name))

    def __setattr__(self, name: str, value: Any) -> None:
        self.box.set(self, name, value)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return wrap(self.box, self.box.call_kept(self, *args, **kwargs))

    def __repr__(self) -> str:
        return f"<{self.what} in the sandbox>"


class RemoteClass(HandleType):
    """The metaclass of the stand-ins of a submission's classes: calling one
    builds the instance in the child and gives its :class:`Remote`."""

    box: Sandbox

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return wrap(cls.box, cls.box.call_kept(cls, *args, **kwargs))


class _Member:
    """A callable member of a stand-in class (``Network.backprop``): its
    signature for who inspects it; called, the child's member is called."""

    def __init__(
        self, owner: RemoteClass, name: str, description: dict[str, Any]
    ) -> None:
        self.owner, self.__name__ = owner, name
        self.__qualname__ = f"{owner.__qualname__}.{name}"
        self.__signature__ = signature_of(description.get("parameters"))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        member = self.owner.box.get(self.owner, self.__name__)
        return wrap(self.owner.box, member)(*args, **kwargs)


def _stand_in_class(
    box: Sandbox, name: str, kept: Handle, description: dict[str, Any]
) -> RemoteClass:
    namespace: dict[str, Any] = {
        "__module__": str(description.get("module") or "submission"),
        "__qualname__": str(description.get("qualname") or name),
        "__signature__": signature_of(description.get("parameters")),
    }
    cls = RemoteClass(name, (), namespace)
    cls.box, cls.number = box, kept.number
    members = description.get("members")
    for member, about in (members if isinstance(members, dict) else {}).items():
        if isinstance(about, dict) and about.get("callable"):
            setattr(cls, member, _Member(cls, str(member), about))
    return cls


def remote_module(box: Sandbox, path: Path) -> types.ModuleType:
    """A stand-in of the submission's module in ``box``: its classes as stand-in
    classes, its functions as :class:`Remote` values, any other attribute read
    from the child when asked for.

    Parameters
    ----------
    box : Sandbox
        Started, its import succeeded.
    path : pathlib.Path
        The submission's file here (the module's ``__file__``: a check that reads
        the source reads it there).
    """
    module_kept = Handle("module", 0)
    description = box.describe(module_kept)
    module = types.ModuleType("submission")
    module.__file__ = str(path)
    members = description.get("members")
    for name, about in (members if isinstance(members, dict) else {}).items():
        if not (isinstance(about, dict) and about.get("callable")):
            continue
        value = box.get(module_kept, str(name))
        if not isinstance(value, Handle):
            continue
        if about.get("class"):
            setattr(
                module,
                str(name),
                _stand_in_class(box, str(name), value, box.describe(value)),
            )
        else:
            remote = Remote(box, value)
            object.__setattr__(remote, "__module__", about.get("module") or "")
            setattr(module, str(name), remote)

    def __getattr__(name: str) -> Any:  # PEP 562: the other attributes
        if name.startswith("__"):
            raise AttributeError(name)
        return wrap(box, box.get(module_kept, name))

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    return module
