"""The numeric checks: the only part of :mod:`spec` that imports :mod:`backprop`.

- :mod:`spec.check.numeric`: numeric derivatives (central differences, the complex
  step, Richardson extrapolation), the references the checks compare against;
- :mod:`spec.check.report`: what a check returns, :class:`~spec.check.report.GradcheckReport`,
  and :class:`~spec.check.report.GradcheckError`, which carries any report;
- :mod:`spec.check.compare`: tolerances, the options of a check, the comparison engine;
- :mod:`spec.check.gradcheck`: :func:`spec.gradcheck` for any scalar function;
- :mod:`spec.check.netcheck`: :func:`spec.check_network` for a network's gradient;
- :mod:`spec.check.sgdcheck`: :func:`spec.check_descent` and :func:`spec.check_sgd_epoch`;
- :mod:`spec.check.adapters`: :func:`spec.adapt`, anyone's gradient function in the
  project's convention;
- :mod:`spec.check.battery`, :mod:`spec.check.casedata`, :mod:`spec.check.conformance`,
  ``spec.check.conformance_report``: :func:`spec.check_implementation`, the
  conformance battery, and what it returns;
- :mod:`spec.check.derivation`, :mod:`spec.check.alternatives`, :mod:`spec.check.mistakes`,
  :mod:`spec.check.findings`, :mod:`spec.check.diagnosis`,
  :mod:`spec.check.localise`: the known mistakes as alternative derivations, and
  the diagnosis that names or localises a wrong gradient.
- :mod:`spec.check.trees` and :mod:`spec.check.arrays`: parameter trees and arrays of
  any library (the Array API), flattened to one float64 vector;
- :mod:`spec.check.functions` and :mod:`spec.check.tangents`: a user's function as
  seen by a check, the choice of reference, and the engine of every first-order
  check (claimed against numeric :math:`J u`);
- :mod:`spec.check.kinks`: items whose difference quotient straddles a kink;
- :mod:`spec.check.gradtree`, :mod:`spec.check.jacobian`, :mod:`spec.check.vjp`,
  :mod:`spec.check.jvp`, :mod:`spec.check.hvp` and :mod:`spec.check.taylor`: the
  checks of gradients of trees, Jacobians, VJPs, JVPs, second order, and the
  Taylor test.

The public functions are re-exported by :mod:`spec`; this package re-exports
nothing, so that each submodule keeps its name.
"""
