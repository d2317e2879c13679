"""Checks of any hand-written derivative: gradients, Jacobians, VJPs, JVPs, second
order and the Taylor test, on parameter trees and arrays of any Array-API library.

This room imports neither :mod:`backprop` nor the other rooms of :mod:`spec.check`.
One options object (:mod:`~spec.check.derivatives.options`); one numeric primitive,
the derivative along a direction with the step rule written once
(:mod:`~spec.check.derivatives.numeric`); one tangent engine under every
first-order check, :func:`spec.gradcheck` on a flat vector included
(:mod:`~spec.check.derivatives.tangents`, on the function as a check sees it,
:mod:`~spec.check.derivatives.functions`, with
:mod:`~spec.check.derivatives.kinks`); one reading of what the user's functions
return (:mod:`~spec.check.derivatives.edge`, :mod:`~spec.check.derivatives.trees`,
:mod:`~spec.check.derivatives.arrays`); one comparison
(:mod:`~spec.check.derivatives.compare`) and one report
(:mod:`~spec.check.derivatives.report`).
"""
