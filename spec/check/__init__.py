"""The numeric checks: the only part of :mod:`spec` that imports :mod:`backprop`.

- :mod:`spec.check.numeric`: numeric derivatives (central differences, the complex
  step, Richardson extrapolation), the references the checks compare against;
- :mod:`spec.check.report`: what a check returns, :class:`~spec.check.report.GradcheckReport`,
  and :class:`~spec.check.report.GradcheckError`, which carries any report;
- :mod:`spec.check.compare`: tolerances, the options of a check, the comparison engine;
- :mod:`spec.check.gradcheck`: :func:`spec.gradcheck` for any scalar function;
- :mod:`spec.check.netcheck`: :func:`spec.check_network` for a network's gradient;
- :mod:`spec.check.sgdcheck`: :func:`spec.check_descent` and :func:`spec.check_sgd_epoch`.

The public functions are re-exported by :mod:`spec`; this package re-exports
nothing, so that each submodule keeps its name.
"""
