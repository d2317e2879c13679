"""Hypothesis strategies for property tests of your own derivatives.

``pip install 'backprop-spec[testing]'`` brings hypothesis; ``import spec`` does not
need it. With :mod:`spec.testing` a property test of a hand-written gradient is
three lines::

    from hypothesis import given
    from spec.strategies import arrays_for
    from spec.testing import assert_gradient

    @given(arrays_for(f))
    def test_gradcheck_f(x):
        assert_gradient(f, grad, x)

- :func:`networks`: a sigmoid network's parameters and a batch, in the
  notation's shapes (``W^l`` of shape ``(n_l, n_{l-1})``, ``x`` of ``(m, n_0)``);
- :func:`parameter_trees`: nested dicts and lists of small float64 arrays;
- :func:`arrays_for`: arrays of random shape and values at which ``f`` is finite.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = ["NetworkSample", "arrays_for", "networks", "parameter_trees"]


def _floats(bound: float) -> st.SearchStrategy[float]:
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=64)


class NetworkSample(NamedTuple):
    """A network and a batch: ``weights``, ``biases`` (lists, layer 1 first), ``x``
    of shape ``(m, n_0)`` and one-hot targets ``y`` of shape ``(m, n_L)``."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    x: np.ndarray
    y: np.ndarray


@st.composite
def networks(
    draw: Any,
    *,
    min_layers: int = 1,
    max_layers: int = 3,
    max_width: int = 5,
    max_m: int = 4,
    scale: float = 3.0,
) -> NetworkSample:
    """A random network and batch; layer widths 1..``max_width``, ``m`` 1..``max_m``.

    Weights, biases and inputs are bounded by ``scale``; the widths differ from
    layer to layer often enough that a missing transpose shows.
    """
    depth = draw(st.integers(min_layers, max_layers))
    sizes = draw(
        st.lists(st.integers(1, max_width), min_size=depth + 1, max_size=depth + 1)
    )
    m = draw(st.integers(1, max_m))
    weights = [
        draw(hnp.arrays(np.float64, (n, n_prev), elements=_floats(scale)))
        for n_prev, n in itertools.pairwise(sizes)
    ]
    biases = [
        draw(hnp.arrays(np.float64, (n,), elements=_floats(scale))) for n in sizes[1:]
    ]
    x = draw(hnp.arrays(np.float64, (m, sizes[0]), elements=_floats(scale)))
    labels = draw(st.lists(st.integers(0, sizes[-1] - 1), min_size=m, max_size=m))
    return NetworkSample(weights, biases, x, np.eye(sizes[-1])[labels])


def parameter_trees(
    *, max_leaves: int = 4, max_side: int = 3, scale: float = 3.0
) -> st.SearchStrategy[Any]:
    """Nested dicts and lists of float64 arrays (0 to 2 axes, sides 1..``max_side``)."""
    leaf = hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=max_side),
        elements=_floats(scale),
    )
    keys = st.sampled_from(["W1", "b1", "W2", "b2", "gamma", "beta"])
    return st.recursive(
        leaf,
        lambda children: (
            st.lists(children, min_size=1, max_size=max_leaves)
            | st.dictionaries(keys, children, min_size=1, max_size=max_leaves)
        ),
        max_leaves=max_leaves,
    )


def arrays_for(
    f: Callable[[np.ndarray], Any],
    *,
    shape: tuple[int, ...] | None = None,
    max_dims: int = 2,
    max_side: int = 5,
    scale: float = 3.0,
    dtype: Any = np.float64,
) -> st.SearchStrategy[np.ndarray]:
    """Arrays at which ``f`` returns finite values: random shape (or ``shape``)
    and entries in ``[-scale, scale]``; shapes ``f`` rejects are skipped."""
    shapes = (
        st.just(shape)
        if shape is not None
        else hnp.array_shapes(min_dims=1, max_dims=max_dims, max_side=max_side)
    )
    width: Literal[32, 64] = 32 if np.dtype(dtype) == np.float32 else 64
    elements = st.floats(-scale, scale, allow_nan=False, width=width)
    arrays = hnp.arrays(np.dtype(dtype), shapes, elements=elements)

    def defined(x: np.ndarray) -> bool:
        try:
            with np.errstate(all="ignore"):
                return bool(np.all(np.isfinite(np.asarray(f(x)))))
        except (ValueError, TypeError, IndexError, ArithmeticError):
            return False

    return arrays.filter(defined)
