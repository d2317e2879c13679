"""The numeric checks: the only part of :mod:`spec` that imports :mod:`backprop`.

Three rooms, each importing only the ones before it:

- :mod:`spec.check.derivatives`: any hand-written derivative (gradient, Jacobian,
  VJP, JVP, HVP, the Taylor test) of any function on trees of arrays of any
  Array-API library; imports nothing of :mod:`backprop`.
- :mod:`spec.check.network`: a network's gradient, a descent step and an SGD epoch
  in :mod:`backprop`'s convention.
- :mod:`spec.check.conformance`: the battery that runs a learner's code on chosen
  cases, names the mistake made, and ``backprop check``.

The public functions are re-exported by :mod:`spec`; this package re-exports
nothing, so that each submodule keeps its name.
"""
