r"""The activations as SymPy functions, each with its declared derivative.

Every activation is left unevaluated, as :math:`\sigma` is (:mod:`spec.symbols`),
and declares its derivative through ``fdiff``; :mod:`spec.identities`
proves each declaration against the explicit formula:

- :math:`\sigma`, :math:`\sigma' = \sigma(1 - \sigma)` (:class:`spec.sigma`);
- :class:`tanh`, :math:`\tanh' = 1 - \tanh^2`;
- :class:`relu`, :math:`\max(z, 0)`, :math:`\operatorname{relu}' = H(z)`, the
  Heaviside :class:`step` (for :math:`z \ne 0`; ReLU has no derivative at 0);
- the identity, :math:`\varphi(z) = z`, :math:`\varphi' = 1` (no function node);
- :class:`softmax`, :math:`a_k = e^{z_k} / \sum_j e^{z_j}` over a whole layer,
  with Jacobian :math:`\partial a_k / \partial z_i = a_k(\delta_{ki} - a_i)`, i.e.
  :math:`\operatorname{diag}(a) - a a^T`.

:func:`phi` applies a layer's activation to its :math:`z`; :func:`phi_prime`
gives the elementwise :math:`\varphi'` that BP1 and BP2 use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy
from sympy.core.function import ArgumentIndexError

from spec.symbols import sigma, sigma_prime

__all__ = [
    "ACTIVATIONS",
    "ELEMENTWISE",
    "phi",
    "phi_prime",
    "relu",
    "softmax",
    "step",
    "tanh",
]

#: The activations by name, as ``backprop.ACTIVATIONS`` names them.
ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity", "softmax")
#: The activations that act on each entry alone (all but softmax).
ELEMENTWISE = ("sigmoid", "tanh", "relu", "identity")


class tanh(sympy.Function):
    r"""Hyperbolic tangent :math:`\tanh z = (e^z - e^{-z}) / (e^z + e^{-z})`.

    Unevaluated (unlike ``sympy.tanh``, which rewrites :math:`\tanh(-u)` and
    :math:`\tanh(0)`), with :math:`\tanh' = 1 - \tanh^2` declared;
    ``rewrite(sympy.exp)`` gives the explicit form.
    """

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        r""":math:`\tanh'(z) = 1 - \tanh^2(z)`."""
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        return 1 - self**2

    def _eval_rewrite_as_exp(self, z: sympy.Expr, **kwargs: Any) -> sympy.Expr:
        return (sympy.exp(z) - sympy.exp(-z)) / (sympy.exp(z) + sympy.exp(-z))

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        power = "" if exp is None else f"^{{{exp}}}"
        return rf"\tanh{power}\left({printer._print(self.args[0])}\right)"


class step(sympy.Function):
    r"""The Heaviside step :math:`H(z)`: 1 for :math:`z > 0`, 0 for :math:`z < 0`.

    The derivative of :class:`relu` away from 0. It appears only in first
    derivatives, so it declares none of its own (it would be 0 for :math:`z \ne 0`).
    """

    nargs = 1

    @classmethod
    def eval(cls, z: sympy.Expr) -> sympy.Expr | None:
        """1 or 0 where the sign of ``z`` is known, else left unevaluated."""
        if z.is_positive:
            return sympy.S.One
        if z.is_negative:
            return sympy.S.Zero
        return None

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        r""":math:`H'(z) = 0` for :math:`z \ne 0`."""
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        return sympy.S.Zero

    def _eval_rewrite_as_Heaviside(self, z: sympy.Expr, **kwargs: Any) -> sympy.Expr:
        return sympy.Heaviside(z)

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        power = "" if exp is None else f"^{{{exp}}}"
        return rf"H{power}\left({printer._print(self.args[0])}\right)"


class relu(sympy.Function):
    r"""The rectifier :math:`\operatorname{relu}(z) = \max(z, 0)`.

    Declared derivative :math:`H(z)` (:class:`step`), true wherever :math:`z \ne 0`;
    ``rewrite(sympy.Max)`` gives the explicit form.
    """

    nargs = 1

    @classmethod
    def eval(cls, z: sympy.Expr) -> sympy.Expr | None:
        """``z`` or 0 where the sign of ``z`` is known, else left unevaluated."""
        if z.is_positive:
            return z
        if z.is_negative:
            return sympy.S.Zero
        return None

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        r""":math:`\operatorname{relu}'(z) = H(z)` for :math:`z \ne 0`."""
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        return step(self.args[0])

    def _eval_rewrite_as_Max(self, z: sympy.Expr, **kwargs: Any) -> sympy.Expr:
        return sympy.Max(z, 0)

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        power = "" if exp is None else f"^{{{exp}}}"
        arg = printer._print(self.args[0])
        return rf"\operatorname{{relu}}{power}\left({arg}\right)"


class softmax(sympy.Function):
    r"""Entry :math:`k` of the softmax of a layer: ``softmax(k, z_0, ..., z_{n-1})``.

    :math:`a_k = e^{z_k} / \sum_j e^{z_j}`; the first argument is the integer
    :math:`k` (0-based), the others the whole layer's :math:`z`. Declared
    derivative :math:`\partial a_k / \partial z_i = a_k (\delta_{ki} - a_i)`, the
    entries of the Jacobian :math:`\operatorname{diag}(a) - a a^T`;
    ``rewrite(sympy.exp)`` gives the explicit form.
    """

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        r""":math:`\partial a_k/\partial z_i = a_k(\delta_{ki} - a_i)`; none by k."""
        k, *z = self.args
        i = argindex - 2
        if argindex == 1 or not 0 <= i < len(z):
            raise ArgumentIndexError(self, argindex)
        a_i = softmax(sympy.Integer(i), *z)
        return self * (1 - a_i) if i == int(k) else -self * a_i

    def _eval_rewrite_as_exp(self, k: sympy.Expr, *z: sympy.Expr, **kwargs: Any) -> Any:
        return sympy.exp(z[int(k)]) / sympy.Add(*(sympy.exp(u) for u in z))

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        power = "" if exp is None else f"^{{{exp}}}"
        k, *z = self.args
        layer = ", ".join(printer._print(u) for u in z)
        return rf"\operatorname{{softmax}}_{{{int(k)}}}{power}\left({layer}\right)"


def phi(activation: str, z: Sequence[sympy.Expr]) -> list[sympy.Expr]:
    r""":math:`a = \varphi(z)` for one example's layer :math:`z`.

    Parameters
    ----------
    activation : {"sigmoid", "tanh", "relu", "identity", "softmax"}
    z : sequence of sympy.Expr, length n_l

    Returns
    -------
    list of sympy.Expr, length n_l
    """
    if activation == "softmax":
        return [softmax(sympy.Integer(k), *z) for k in range(len(z))]
    if activation == "identity":
        return list(z)
    function = {"sigmoid": sigma, "tanh": tanh, "relu": relu}[activation]
    return [function(u) for u in z]


def phi_prime(activation: str, z: sympy.Expr) -> sympy.Expr:
    r"""The elementwise derivative :math:`\varphi'(z)` of ``activation``.

    Parameters
    ----------
    activation : {"sigmoid", "tanh", "relu", "identity"}
        Softmax has a Jacobian instead (:func:`spec.recursion.softmax_backward`).
    z : sympy.Expr

    Returns
    -------
    sympy.Expr
        :math:`\sigma(1 - \sigma)`, :math:`1 - \tanh^2`, :math:`H(z)` or 1.
    """
    if activation == "sigmoid":
        return sigma_prime(z)
    if activation == "tanh":
        return 1 - tanh(z) ** 2
    if activation == "relu":
        return step(z)
    if activation == "identity":
        return sympy.S.One
    raise ValueError(
        f"activation must be one of {', '.join(map(repr, ELEMENTWISE))} to have an "
        f"elementwise derivative, got {activation!r} (softmax has a Jacobian)"
    )
