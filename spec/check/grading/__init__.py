"""``backprop grade``: grade a class's submissions safely.

- :mod:`spec.check.grading.wire`: the messages between the grader and a child
  (JSON and raw arrays; reading one runs no code);
- ``child.py``: the script a submission's child process runs (the standard
  library and NumPy only; never imported by the grader);
- :mod:`spec.check.grading.limits`: the resource limits and how a run can end;
- :mod:`spec.check.grading.sandbox`: :class:`~spec.check.grading.sandbox.Sandbox`,
  the child with its limits, and the proxy through which the battery calls the
  submission's functions;
- :mod:`spec.check.grading.submissions`: the submissions of a folder;
- :mod:`spec.check.grading.assignment`: what is graded, from a TOML file;
- :mod:`spec.check.grading.grade`: the run over a folder (jobs, progress, results
  written as they finish, resume);
- :mod:`spec.check.grading.sheets`: CSV, Gradescope's ``results.json``, JUnit;
- :mod:`spec.check.grading.autograder`: the Gradescope autograder bundle;
- :mod:`spec.check.grading.cli`: the command.

The package re-exports nothing, so that each submodule keeps its name.
"""
