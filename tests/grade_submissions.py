"""Submissions for the tests of ``backprop grade``: correct ones and hostile or
broken ones, each with the verdict it must get.

They are strings, written into a temporary folder by :func:`write_submissions`, so
that no linter reads the one with a syntax error and pytest collects none of them.
The correct gradient is written here in a few lines of NumPy, in the project's
convention (one example per row, biases ``(n,)``, the gradient of the mean cost),
without importing :mod:`backprop`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

#: A correct ``gradients(weights, biases, x, y, cost)`` for sigmoid networks.
CORRECT = textwrap.dedent(
    """\
    import numpy as np


    def gradients(weights, biases, x, y, cost="cross_entropy"):
        a, activations = x, [x]
        for w, b in zip(weights, biases):
            a = 1 / (1 + np.exp(-(a @ w.T + b)))
            activations.append(a)
        delta = a - y
        if cost == "quadratic":
            delta = delta * a * (1 - a)
        grad_w, grad_b = [None] * len(weights), [None] * len(biases)
        for l in range(len(weights) - 1, -1, -1):
            grad_w[l] = delta.T @ activations[l] / len(x)
            grad_b[l] = delta.mean(axis=0)
            if l:
                s = activations[l]
                delta = (delta @ weights[l]) * s * (1 - s)
        return grad_w, grad_b
    """
)

#: The correct function under another name, for submissions that wrap it.
CORRECT_AS_RIGHT = CORRECT.replace("def gradients(", "def right(")


def _wrapping(body: str, *, before: str = "") -> str:
    """A submission whose ``gradients`` runs ``body`` then returns the right answer
    (``body`` may return first)."""
    return (
        CORRECT_AS_RIGHT
        + textwrap.dedent(before)
        + "\n\ndef gradients(weights, biases, x, y, cost='cross_entropy'):\n"
        + textwrap.indent(textwrap.dedent(body), "    ")
        + "\n    return right(weights, biases, x, y, cost)\n"
    )


def correct_function() -> Callable[..., Any]:
    """The function :data:`CORRECT` defines, run here (for reference answers)."""
    namespace: dict[str, Any] = {}
    exec(compile(CORRECT, "correct.py", "exec"), namespace)
    return namespace["gradients"]


def hard_coded(answers: list[tuple[list[np.ndarray], list[np.ndarray]]]) -> str:
    """A submission that returns ``answers`` in the order of the calls."""

    def literal(a: np.ndarray) -> str:
        return f"np.array({a.ravel().tolist()!r}, {str(a.dtype)!r}).reshape({a.shape})"

    items = ",\n".join(
        "    (["
        + ", ".join(map(literal, w))
        + "], ["
        + ", ".join(map(literal, b))
        + "])"
        for w, b in answers
    )
    return (
        "import numpy as np\n\nANSWERS = [\n"
        + items
        + "\n]\nCALLS = []\n\n\n"
        + "def gradients(weights, biases, x, y, cost='cross_entropy'):\n"
        + "    CALLS.append(1)\n"
        + "    return ANSWERS[(len(CALLS) - 1) % len(ANSWERS)]\n"
    )


#: The hostile and broken submissions: file name -> (source, verdict). A source
#: of None is an empty folder; ``spec_path`` and the answers of seed 0 are filled
#: in by :func:`write_submissions`.
HOSTILE: dict[str, tuple[str | None, str]] = {
    "infinite_loop.py": (_wrapping("while True:\n    pass"), "timeout"),
    "sleep_at_import.py": ("import time\ntime.sleep(600)\n" + CORRECT, "timeout"),
    "sleep_in_call.py": (_wrapping("import time\ntime.sleep(600)"), "timeout"),
    "sys_exit_at_import.py": ("import sys\nsys.exit(0)\n" + CORRECT, "exit"),
    "os_exit_at_import.py": ("import os\nos._exit(0)\n" + CORRECT, "exit"),
    "sys_exit_in_call.py": (_wrapping("import sys\nsys.exit(0)"), "exit"),
    "os_exit_in_call.py": (_wrapping("import os\nos._exit(0)"), "exit"),
    "sigkill_at_import.py": (
        "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n" + CORRECT,
        "signal",
    ),
    "sigkill_in_call.py": (
        _wrapping("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
        "signal",
    ),
    "allocates_20GB_at_import.py": (
        "import numpy as np\nHOARD = np.ones(20 * 10**9 // 8)\n" + CORRECT,
        "memory",
    ),
    "allocates_20GB_in_call.py": (
        _wrapping("hoard = np.ones(20 * 10**9 // 8)"),
        "memory",
    ),
    # Still graded on its gradient: the output is cut, not the grading.
    "prints_50MB.py": (
        "import sys\nfor _ in range(50):\n    sys.stdout.write('x' * 2**20)\n"
        + _wrapping("print('y' * 2**20)"),
        "passed",
    ),
    # Writes land in its own temporary folder, removed afterwards.
    "writes_outside.py": (
        _wrapping(
            "for target in ('../escape.txt', os.path.expanduser('~/escape.txt'),\n"
            "               os.path.join(tempfile.gettempdir(), 'escape.txt'),\n"
            "               os.path.join(os.path.dirname(__file__), 'escape.txt')):\n"
            "    with open(target, 'w') as f:\n"
            "        f.write('escaped')",
            before="\nimport os\nimport tempfile\n",
        ),
        "passed",
    ),
    # The comparison is not in its process: patching it there changes nothing.
    "monkeypatches_numpy.py": (
        (
            "import numpy as np\n"
            "np.allclose = lambda *a, **k: True\n"
            "np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), bool)\n"
            "np.testing.assert_allclose = lambda *a, **k: None\n\n\n"
            "def gradients(weights, biases, x, y, cost='cross_entropy'):\n"
            "    return [np.zeros_like(w) for w in weights], "
            "[np.zeros_like(b) for b in biases]\n"
        ),
        "wrong",
    ),
    "imports_spec_oracle.py": (
        (
            "import spec\n\n\n"
            "def gradients(weights, biases, x, y, cost='cross_entropy'):\n"
            "    return spec.oracle_gradients(weights, biases, x, y, cost=cost)\n"
        ),
        "forbidden",
    ),
    "imports_backprop_in_call.py": (
        (
            "def gradients(weights, biases, x, y, cost='cross_entropy'):\n"
            "    import backprop\n"
            "    return backprop.gradients(weights, biases, x, y, cost=cost)\n"
        ),
        "forbidden",
    ),
    # Around the import system: loads the package from its file.
    "loads_spec_by_path.py": (
        "import importlib.util\n"
        "found = importlib.util.spec_from_file_location('oracle_pkg', SPEC_INIT,\n"
        "    submodule_search_locations=[SPEC_DIR])\n"
        "module = importlib.util.module_from_spec(found)\n"
        "try:\n    found.loader.exec_module(module)\nexcept ImportError:\n    pass\n"
        + CORRECT,
        "forbidden",
    ),
    "hard_codes_seed_0.py": ("ANSWERS", "wrong"),
    "returns_nan.py": (
        (
            "import numpy as np\n\n\n"
            "def gradients(weights, biases, x, y, cost='cross_entropy'):\n"
            "    return [np.full(w.shape, np.nan) for w in weights], "
            "[np.full(b.shape, np.nan) for b in biases]\n"
        ),
        "nan",
    ),
    "returns_none.py": (_wrapping("return None"), "wrong type"),
    "returns_string.py": (_wrapping("return 'the gradients'"), "wrong type"),
    "returns_own_object.py": (
        _wrapping("return Gradients()", before="\n\nclass Gradients:\n    pass\n"),
        "wrong type",
    ),
    "returns_nested_too_deep.py": (
        _wrapping("deep = []\nfor _ in range(10000):\n    deep = [deep]\nreturn deep"),
        "wrong type",
    ),
    "returns_wrong_shapes.py": (
        _wrapping(
            "gw, gb = right(weights, biases, x, y, cost)\nreturn [g.T for g in gw], gb"
        ),
        "wrong shape",
    ),
    # What it wrote is written back into the grader's arrays: the battery finds
    # it as `backprop check` does in-process.
    "mutates_inputs.py": (
        _wrapping(
            "gw, gb = right(weights, biases, x, y, cost)\n"
            "for a in [*weights, *biases, x, y]:\n"
            "    a[...] = 0\n"
            "return gw, gb"
        ),
        "wrong",
    ),
    "raises.py": (_wrapping("raise ZeroDivisionError('oops')"), "crash"),
    "raises_keyboard_interrupt.py": (_wrapping("raise KeyboardInterrupt"), "crash"),
    "syntax_error.py": (
        "def gradients(weights, biases, x, y, cost:\n    pass\n",
        "import error",
    ),
    "defines_another_name.py": (CORRECT_AS_RIGHT, "missing function"),
    "notes.txt": ("I did not finish the assignment.\n", "no submission"),
    "empty_folder": (None, "no submission"),
    # Sends garbage on every descriptor it has, the grader's pipe among them.
    "writes_garbage_to_pipes.py": (
        "import os\nfor fd in range(3, 64):\n    try:\n"
        "        os.write(fd, b'\\x00garbage' * 64)\n    except OSError:\n        pass\n"
        + CORRECT,
        "protocol",
    ),
    "replies_160MB.py": (
        _wrapping("return [np.zeros(20_000_000)], [np.zeros(1)]"),
        "protocol",
    ),
    # Its parent, as it sees it, is its process namespace's first process.
    "kills_its_parent.py": (
        "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n" + CORRECT,
        "passed",
    ),
    # A process it starts dies with its group.
    "starts_a_process.py": (
        "import subprocess\nsubprocess.Popen(['sleep', '4242'])\n" + CORRECT,
        "passed",
    ),
}

#: Correct submissions beside the hostile ones: they keep full marks.
CORRECT_SUBMISSIONS: dict[str, str] = {
    "ada.py": CORRECT,
    "Zoë Ünal-Ørsted.py": CORRECT,
}


def write_submissions(
    folder: Path,
    answers: list[tuple[list[np.ndarray], list[np.ndarray]]],
    spec_init: Path,
) -> dict[str, str]:
    """Write every submission into ``folder``; the verdict each must get."""
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    for name, (source, verdict) in HOSTILE.items():
        expected[name] = verdict
        if source is None:
            (folder / name).mkdir()
            continue
        if source == "ANSWERS":
            source = hard_coded(answers)
        source = source.replace("SPEC_INIT", repr(str(spec_init))).replace(
            "SPEC_DIR", repr(str(spec_init.parent))
        )
        (folder / name).write_text(source, encoding="utf-8")
    for name, source in CORRECT_SUBMISSIONS.items():
        (folder / name).write_text(source, encoding="utf-8")
        expected[name] = "passed"
    team = folder / "team"  # a folder: one file at the top, a package beside it
    (team / "lib").mkdir(parents=True)
    (team / "lib" / "__init__.py").write_text("")
    (team / "lib" / "maths.py").write_text(CORRECT, encoding="utf-8")
    (team / "main.py").write_text("from lib.maths import gradients\n")
    expected["team"] = "passed"
    return expected
