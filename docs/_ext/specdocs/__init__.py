"""Sphinx extension: pages generated from :mod:`spec` and checked against :mod:`backprop`.

One module per directive family; :func:`setup` registers them all.

Directives
----------
``run-python`` (:mod:`specdocs.runpython`)
    Run a block of Python at build time and show the code and what it printed.
    ``:expect: TEXT`` fails the build unless the output contains ``TEXT``, so the
    prose around an example cannot drift from what the example does.
``spec-equation`` (:mod:`specdocs.equations`)
    A displayed equation printed from :mod:`spec`'s SymPy expressions (BP1-BP4
    for a given network or cost, the costs and their derivatives, the direct
    derivative, the sigmoid and shortcut identities with their proofs).
``spec-proof`` / ``spec-proofs`` (:mod:`specdocs.proofs`)
    Run :func:`spec.prove_backprop` for the given sizes, batch, cost and recursion
    and show what was proven, for which network, how, and how long it took (one
    proof as a block, or several as a table). A correct recursion that is not
    proven, or a wrong one that is, fails the build.
``spec-activation-page`` / ``spec-cost-page`` (:mod:`specdocs.layers`)
    The body of an activation's or a cost's page (``l2`` for the L2 term):
    definition, derivative and its proof, the form BP1 takes, the shortcut where
    there is one, fixed-size proofs; generated from :mod:`spec.latex.layers`.
``worked-example`` (:mod:`specdocs.example`, :mod:`specdocs.example_check`)
    A small network with concrete numbers: forward values, the error of every
    layer and every gradient, computed by the oracle, then compared with
    :func:`backprop.gradients`; a difference above 1e-10 relative fails the build.
``source-code``, ``presets-table``, ``nox-sessions`` (:mod:`specdocs.facts`)
    The current source of a function of either package, less its docstring, so
    that "in the code" passages show the code as it is; the training presets of
    ``backprop train``; the sessions in ``noxfile.py`` (name, whether plain ``nox``
    runs it, the first paragraph of its docstring).
``notation-names`` (:mod:`specdocs.names`, ``.glossary``, ``.drift``)
    Every quantity of the notation with its names in :mod:`backprop` and
    :mod:`spec`, looked up in the code; a name missing from either package, or
    BP1–BP4 or ``COSTS`` that differ between them, fails the build.
``package-module`` (:mod:`specdocs.apidoc`)
    ``automodule`` of a submodule without the names its package re-exports, which
    the API reference documents under the package.

Build-level duties
------------------
- MathJax 3 is copied from ``specdocs_mathjax_dir`` (``npm ci`` in ``docs/``) into
  ``_static/mathjax`` of the HTML build, so no page needs a network
  (:mod:`specdocs.mathjax`).
- Every name in the ``__all__`` of each package in ``specdocs_api_packages`` must be
  documented in the API reference; a missing one is a warning (an error under
  ``-W``) (:mod:`specdocs.apidoc`).
- A page that runs code depends on the source files of both packages, so changing
  the code rebuilds the pages generated from it.
- A docstring's reference to a name its package re-exports (``:func:`gradcheck```
  inside ``spec.gradcheck``) resolves to where the API reference documents it.

Only :func:`setup` imports the directives, so a module that needs no Sphinx can be
imported on its own (the tests do, with ``docs/_ext`` on ``sys.path``).
"""

from __future__ import annotations

from typing import Any


def setup(app: Any) -> dict[str, Any]:
    """Register the directives, configuration values and build hooks."""
    from specdocs.apidoc import PackageModule, check_api_coverage, resolve_reexport
    from specdocs.blocks import SpecBlockProofs
    from specdocs.equations import SpecEquation
    from specdocs.example import WorkedExample
    from specdocs.facts import NoxSessions, PresetsTable, SourceCode
    from specdocs.general import GeneralProofTable, GeneralProofVariants
    from specdocs.layers import SpecActivationPage, SpecCostPage
    from specdocs.mathjax import check_mathjax, copy_mathjax
    from specdocs.names import NotationNames
    from specdocs.optimizer_pages import setup_directive as setup_optimizer_pages
    from specdocs.proofs import SpecProof, SpecProofs
    from specdocs.runpython import RunPython

    app.add_config_value("specdocs_mathjax_dir", "", "html", types=frozenset({str}))
    app.add_config_value("specdocs_api_packages", [], "env", types=frozenset({list}))
    app.add_directive("run-python", RunPython)
    app.add_directive("nox-sessions", NoxSessions)
    app.add_directive("spec-proof", SpecProof)
    app.add_directive("spec-proofs", SpecProofs)
    app.add_directive("worked-example", WorkedExample)
    app.add_directive("spec-equation", SpecEquation)
    app.add_directive("package-module", PackageModule)
    app.add_directive("source-code", SourceCode)
    app.add_directive("presets-table", PresetsTable)
    app.add_directive("notation-names", NotationNames)
    app.add_directive("general-proof", GeneralProofTable)
    app.add_directive("general-proof-variants", GeneralProofVariants)
    app.add_directive("spec-activation-page", SpecActivationPage)
    app.add_directive("spec-cost-page", SpecCostPage)
    setup_optimizer_pages(app)
    app.add_directive("spec-block-proofs", SpecBlockProofs)
    app.connect("builder-inited", check_mathjax)
    app.connect("build-finished", copy_mathjax)
    app.connect("env-check-consistency", check_api_coverage)
    app.connect("missing-reference", resolve_reexport)
    return {"version": "1", "parallel_read_safe": False, "parallel_write_safe": True}
