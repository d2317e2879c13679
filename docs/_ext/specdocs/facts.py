"""Project facts read from the code: ``nox-sessions``, ``presets-table``,
``source-code``."""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from specdocs.render import (
    ROOT,
    literal,
    lookup,
    note_source_dependencies,
    table,
)
from specdocs.vocabulary import COST_NAMES


def nox_sessions(noxfile: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """The sessions of ``noxfile`` with their docstrings, and the default ones.

    Read with :mod:`ast`, so the table is the noxfile's own word. A session is a
    default one unless its decorator says ``default=False``, or unless a list in
    ``nox.options.sessions`` leaves it out.
    """
    tree = ast.parse(noxfile.read_text(encoding="utf-8"))
    sessions: list[tuple[str, str]] = []
    defaults: list[str] = []
    listed: list[str] | None = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            ast.unparse(target) == "nox.options.sessions" for target in node.targets
        ):
            listed = list(ast.literal_eval(node.value))
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            if ast.unparse(call.func if call else decorator) != "nox.session":
                continue
            name, default = node.name, True
            for keyword in call.keywords if call else ():
                if keyword.arg == "name":
                    name = ast.literal_eval(keyword.value)
                if keyword.arg == "default":
                    default = bool(ast.literal_eval(keyword.value))
            doc = ast.get_docstring(node) or ""
            sessions.append((name, doc.split("\n\n")[0].replace("\n", " ")))
            if default:
                defaults.append(name)
    if listed is not None:
        defaults = [name for name in defaults if name in listed]
    return sessions, defaults


class NoxSessions(SphinxDirective):
    """A table of the project's nox sessions, read from ``noxfile.py``."""

    def run(self) -> list[nodes.Node]:
        noxfile = ROOT / "noxfile.py"
        self.env.note_dependency(str(noxfile))
        sessions, defaults = nox_sessions(noxfile)
        if not sessions:
            raise self.error(f"no nox sessions found in {noxfile}")
        if not defaults:
            raise self.error(f"no session of {noxfile} runs in plain nox")
        rows = [
            (f"``nox -s {name}``", "yes" if name in defaults else "no", doc)
            for name, doc in sessions
        ]
        header = ("Session", "In plain ``nox``", "What it does")
        return [table(self, header, rows, (22, 10, 68), ["nox-sessions"])]


# --- source-code -----------------------------------------------------------------------


def source_without_docstring(obj: Any) -> tuple[str, str, int]:
    """The source of a function or method, less its docstring; file and first line."""
    lines, first = inspect.getsourcelines(obj)
    text = textwrap.dedent("".join(lines))
    (node,) = ast.parse(text).body
    if not isinstance(node, ast.FunctionDef):
        raise TypeError(f"{obj!r} is not a function")
    body = node.body
    kept = text.splitlines()
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        header = kept[: body[0].lineno - 1]
        kept = header + kept[body[0].end_lineno :]
    path = Path(inspect.getsourcefile(obj) or "").resolve()
    return "\n".join(kept), path.relative_to(ROOT).as_posix(), first


class SourceCode(SphinxDirective):
    """The current source of a function of either package, without its docstring.

    Quoting the code by hand would drift from it; this shows what the code is
    when the page is built.
    """

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        note_source_dependencies(self.env)
        dotted = self.arguments[0]
        try:
            importlib.import_module(dotted.split(".")[0])
            obj = lookup(dotted)
            if obj is None:
                raise LookupError(f"no object {dotted}")
            code, path, first = source_without_docstring(obj)
        except Exception as exc:
            raise self.error(f"source-code {dotted}: {exc}") from None
        block = literal(code, "python")
        block["classes"].append("source-code")
        caption = nodes.paragraph(classes=["source-caption"])
        caption += nodes.Text("From ")
        caption += nodes.literal(path, path)
        caption += nodes.Text(f", line {first}:")
        return [caption, block]


# --- presets-table ----------------------------------------------------------------------


class PresetsTable(SphinxDirective):
    """The training presets of ``backprop train``, read from :mod:`backprop.mnist.presets`."""

    def run(self) -> list[nodes.Node]:
        note_source_dependencies(self.env)
        from backprop.mnist.presets import PRESETS

        rows = [
            (
                f"``{name}``",
                "-".join(map(str, preset.sizes)),
                COST_NAMES.get(preset.cost, preset.cost),
                str(preset.batch_size),
                f"{preset.lr:g}",
                f"``{preset.init}``",
                preset.dtype,
                str(preset.epochs),
            )
            for name, preset in sorted(PRESETS.items())
        ]
        header = (
            "Preset",
            "Sizes",
            "Cost",
            "Batch",
            r":math:`\alpha`",
            "Init",
            "Dtype",
            "Epochs",
        )
        widths = (12, 14, 14, 7, 6, 10, 9, 7)
        return [table(self, header, rows, widths, ["presets"])]
