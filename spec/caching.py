"""One registry of the derivation caches, so that one call empties all of them.

Every module of the symbolic spec that memoises a derivation (the symbolic
networks, both gradients, the oracle's compiled functions) decorates it with
:func:`cached`; :func:`clear_caches` empties every cache registered so far. The
registry imports nothing of ours, so any module can use it without an import
circle.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["cache_sizes", "cached", "clear_caches"]

F = TypeVar("F", bound=Callable[..., Any])

_REGISTRY: list[Any] = []


def cached(maxsize: int) -> Callable[[F], F]:
    """``functools.lru_cache(maxsize)``, registered for :func:`clear_caches`.

    Parameters
    ----------
    maxsize : int
        Most results kept, as for ``functools.lru_cache``.

    Returns
    -------
    callable
        The decorator.
    """

    def decorate(function: F) -> F:
        wrapper = functools.lru_cache(maxsize=maxsize)(function)
        _REGISTRY.append(wrapper)
        return wrapper  # type: ignore[return-value]

    return decorate


def clear_caches() -> None:
    """Forget every cached network, derivation and compiled function.

    Use it to time a derivation afresh or to free the memory the caches hold.
    """
    for wrapper in _REGISTRY:
        wrapper.cache_clear()


def cache_sizes() -> dict[str, int]:
    """Entries held by each registered cache, by ``module.function`` name."""
    return {
        f"{wrapper.__module__}.{wrapper.__qualname__}": wrapper.cache_info().currsize
        for wrapper in _REGISTRY
    }
