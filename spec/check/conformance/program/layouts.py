r"""The layouts of learners' programs: how a file is recognised, and how its network
is built and called.

:data:`LAYOUTS` names them: the tutorial's (``Network(input_dim)`` with
``add_layer``, a ``Layer`` class, ``backprop(x, label)``), Nielsen's
(``Network(sizes[, cost])`` with column biases, ``update_mini_batch`` and
``backprop(x, y) -> (nabla_b, nabla_w)``) and a plain gradient function.
:class:`Program` builds the program's own network for a case (its class's
constructor, then the case's parameters put where that layout keeps them) and
converts examples and results to and from the layout.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spec.check.conformance.adapters import takes_keyword

__all__ = ["LAYOUTS", "Program", "gradient_function", "import_file", "recognise"]

#: The layouts the check recognises, and what each is recognised by.
LAYOUTS: dict[str, str] = {
    "tutorial": "a class Network(input_dim) with add_layer and backprop(x, label), "
    "and a class Layer",
    "nielsen": "a class Network(sizes) with backprop(x, y) and update_mini_batch",
    "function": "a function gradients(weights, biases, x, y) (or backprop)",
}


def import_file(target: str) -> ModuleType:
    """The module at ``target``: a path to a ``.py`` file (its folder put on
    ``sys.path``, so that it can import its neighbours) or a dotted module name
    importable from the current directory. Raises ValueError saying why not."""
    path = Path(target)
    try:
        if path.suffix == ".py" or "/" in target:
            if not path.is_file():
                raise ValueError(f"{target}: no such file")
            folder = str(path.resolve().parent)
            if folder not in sys.path:
                sys.path.insert(0, folder)
            spec_ = importlib.util.spec_from_file_location(path.stem, path)
            if spec_ is None or spec_.loader is None:
                raise ValueError(f"{target}: not a Python module")
            module = importlib.util.module_from_spec(spec_)
            sys.modules[path.stem] = module
            spec_.loader.exec_module(module)
            return module
        if str(Path.cwd()) not in sys.path:
            sys.path.insert(0, str(Path.cwd()))
        return importlib.import_module(target)
    except ValueError:
        raise
    except Exception as exc:  # the module under test does not import: say why
        raise ValueError(
            f"cannot import {target}: {type(exc).__name__}: {exc}"
        ) from None


def _defined(module: ModuleType) -> list[str]:
    return sorted(
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and callable(v)
        and getattr(v, "__module__", None) == module.__name__
    )


def recognise(module: ModuleType) -> str:
    """The layout of :data:`LAYOUTS` that ``module`` follows.

    Raises
    ------
    ValueError
        Naming what the module defines and what each layout expects.
    """
    net = getattr(module, "Network", None)
    if isinstance(net, type) and callable(getattr(net, "backprop", None)):
        if callable(getattr(net, "add_layer", None)):
            return "tutorial"
        if callable(getattr(net, "update_mini_batch", None)):
            return "nielsen"
    if gradient_function(module) is not None:
        return "function"
    expected = "; ".join(f"{k}: {v}" for k, v in LAYOUTS.items())
    raise ValueError(
        f"{getattr(module, '__file__', module.__name__)} follows none of the layouts "
        f"the check knows: it defines {', '.join(_defined(module)) or 'nothing'}; "
        f"expected {expected}"
    )


def gradient_function(module: ModuleType) -> Callable[..., Any] | None:
    for name in ("gradients", "backprop"):
        fn = getattr(module, name, None)
        if callable(fn) and not isinstance(fn, type):
            try:
                positional = [
                    p
                    for p in inspect.signature(fn).parameters.values()
                    if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                ]
            except (TypeError, ValueError):
                continue
            if len(positional) >= 4:
                return fn
    return None


@dataclasses.dataclass
class Program:
    """A loaded program in one of the :data:`LAYOUTS`: how to build its network
    with given parameters, read them back, and call its ``backprop``.

    Attributes
    ----------
    module : module
    path : str
        Its file (the tracer reads the source there).
    layout : str
        A key of :data:`LAYOUTS` other than ``"function"``.
    rng : int or numpy.random.Generator
        Seed of the cases.
    suspects, verified : set of str
        Parts found wrong, and right, so far (qualified names): where the line
        search goes into a call and where it does not.
    """

    module: ModuleType
    path: str
    layout: str
    rng: int | np.random.Generator
    suspects: set[str] = dataclasses.field(default_factory=set)
    verified: set[str] = dataclasses.field(default_factory=set)

    @property
    def network(self) -> Any:
        return self.module.Network

    def build(
        self, ws: Sequence[NDArray], bs: Sequence[NDArray], cost: str | None = None
    ) -> Any:
        """The program's own network, with these parameters where it keeps them."""
        if self.layout == "tutorial":
            net = self.network(int(ws[0].shape[1]))
            for w in ws:
                net.add_layer(int(w.shape[0]))
            for layer, w, b in zip(net.layers, ws, bs, strict=True):
                layer.weights = np.array(w)
                layer.biases = np.array(b).ravel()
            return net
        sizes = [int(ws[0].shape[1])] + [int(w.shape[0]) for w in ws]
        classes = self.cost_classes()
        if cost is not None and cost in classes and takes_keyword(self.network, "cost"):
            net = self.network(sizes, cost=classes[cost])
        else:
            net = self.network(sizes)
        net.weights = [np.array(w) for w in ws]
        net.biases = [np.array(b).reshape(-1, 1) for b in bs]
        return net

    def params(self, net: Any) -> tuple[list[NDArray], list[NDArray]]:
        if self.layout == "tutorial":
            return (
                [np.asarray(layer.weights) for layer in net.layers],
                [np.asarray(layer.biases) for layer in net.layers],
            )
        return [np.asarray(w) for w in net.weights], [np.asarray(b) for b in net.biases]

    def cost_classes(self) -> dict[str, Any]:
        """The cost classes of a Nielsen-style program, by cost name."""
        found = {}
        for name, value in vars(self.module).items():
            if not isinstance(value, type) or not callable(
                getattr(value, "delta", None)
            ):
                continue
            key = name.lower().replace("_", "")
            if "crossentropy" in key:
                found["cross_entropy"] = value
            elif "quadratic" in key:
                found["quadratic"] = value
        return found

    def costs(self) -> tuple[str, ...]:
        """The costs its ``backprop`` implements."""
        if self.layout == "tutorial":
            return ("cross_entropy",)  # get_output_delta = a - target
        classes = self.cost_classes()
        if classes and takes_keyword(self.network, "cost"):
            return tuple(c for c in ("quadratic", "cross_entropy") if c in classes)
        return ("quadratic",)  # cost_derivative times sigma'(z^L)

    def example(self, x: NDArray, y: NDArray) -> tuple[Any, Any]:
        """One example as the program's ``backprop`` takes it."""
        if self.layout == "tutorial":
            return np.array(x).ravel(), int(np.argmax(y))
        return np.array(x).reshape(-1, 1), np.array(y).reshape(-1, 1)

    def returns(self) -> tuple[str, str]:
        return ("w", "b") if self.layout == "tutorial" else ("b", "w")
