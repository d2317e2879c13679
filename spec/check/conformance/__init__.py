"""The conformance battery: a learner's derivative code run on cases chosen to
reveal the known mistakes, compared with a reference, and diagnosed.

A *target* (a gradient function today) is run by :mod:`~spec.check.conformance.run`
on the cases of :mod:`~spec.check.conformance.suites` (cases as data, and their
references: the oracle or a numeric derivative); a wrong result is matched against
the catalogue of :mod:`~spec.check.conformance.mistakes` (each a derivation of
:mod:`~spec.check.conformance.derivation` with one line replaced) by
:mod:`~spec.check.conformance.diagnosis`, which names the mistake or localises it;
:mod:`~spec.check.conformance.report` renders the verdict (text, JSON, JUnit) and
:mod:`~spec.check.conformance.cli` is ``backprop check``. Learners' code reaches
the battery through :mod:`~spec.check.conformance.adapters`.
"""
