"""``run-python``: run a block of Python at build time, show code and output."""

from __future__ import annotations

import contextlib
import io
import os
import traceback
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

from specdocs.render import literal, note_source_dependencies


class RunPython(SphinxDirective):
    """Run Python at build time; show the code, then its output.

    The blocks of one page share a namespace, in page order. An exception, or an
    output without the ``:expect:`` text, fails the build.
    """

    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {
        "expect": directives.unchanged_required,
        "hide-code": directives.flag,
        "hide-output": directives.flag,
    }

    def run(self) -> list[nodes.Node]:
        note_source_dependencies(self.env)
        code = "\n".join(self.content)
        namespace = self.env.temp_data.setdefault("specdocs_namespace", {})
        where = f"{self.env.docname}:{self.lineno}"
        out = io.StringIO()
        old_columns = os.environ.get("COLUMNS")
        os.environ["COLUMNS"] = "76"  # argparse wraps help to the width of the page
        try:
            with contextlib.redirect_stdout(out):
                try:
                    exec(compile(code, where, "exec"), namespace)
                except SystemExit as exc:  # argparse's --help ends this way
                    if exc.code not in (0, None):
                        raise
        except BaseException:
            raise self.error(
                f"run-python block at {where} raised:\n{traceback.format_exc()}"
            ) from None
        finally:
            if old_columns is None:
                del os.environ["COLUMNS"]
            else:
                os.environ["COLUMNS"] = old_columns
        output = out.getvalue().rstrip()
        expect = self.options.get("expect")
        if expect is not None and expect not in output:
            raise self.error(
                f"run-python block at {where}: output lacks {expect!r}; it was:\n{output}"
            )
        result: list[nodes.Node] = []
        if "hide-code" not in self.options:
            result.append(literal(code, "python"))
        if "hide-output" not in self.options and output:
            block = literal(output)
            block["classes"].append("run-output")
            result.append(block)
        return result
