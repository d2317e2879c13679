"""Checks of any hand-written derivative: gradients, Jacobians, VJPs, JVPs, second
order and the Taylor test, on parameter trees and arrays of any Array-API library.

This room imports neither :mod:`backprop` nor the other rooms of :mod:`spec.check`.
One options object (:mod:`~spec.check.derivatives.options`), one numeric engine
(:mod:`~spec.check.derivatives.numeric`: the step rule, central differences, the
complex step, Richardson), one tangent engine under every first-order check
(:mod:`~spec.check.derivatives.tangents`, on the function as a check sees it,
:mod:`~spec.check.derivatives.functions`, with
:mod:`~spec.check.derivatives.kinks`), one comparison
(:mod:`~spec.check.derivatives.compare`) and one report
(:mod:`~spec.check.derivatives.report`).
"""
