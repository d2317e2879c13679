"""Offline MathJax: copied from ``npm ci``'s ``node_modules`` into the build."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: The parts of the MathJax distribution a page can load: the combined TeX/CHTML
#: component, its fonts, the TeX extensions it autoloads, and what the contextual
#: menu loads on request (accessibility, speech).
MATHJAX_PARTS = (
    "tex-chtml.js",
    "input/tex/extensions",
    "output/chtml/fonts/woff-v2",
    "a11y",
    "sre",
    "ui",
)


def check_mathjax(app: Sphinx) -> None:
    """Fail early, with the fix, when the HTML build has no MathJax to copy."""
    if app.builder.format != "html":
        return
    source = Path(app.config.specdocs_mathjax_dir)
    missing = [p for p in MATHJAX_PARTS if not (source / p).exists()]
    if missing:
        raise ExtensionError(
            f"MathJax is missing from {source} ({', '.join(missing)}); install it "
            f"with `npm ci --prefix docs` (the nox session `docs` does this)"
        )


def copy_mathjax(app: Sphinx, exception: BaseException | None) -> None:
    """Copy MathJax into ``_static/mathjax`` of a finished HTML build."""
    if exception is not None or app.builder.format != "html":
        return
    source = Path(app.config.specdocs_mathjax_dir)
    target = Path(app.outdir) / "_static" / "mathjax"
    started = time.perf_counter()
    for part in MATHJAX_PARTS:
        src, dst = source / part, target / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)
    logger.info(
        "specdocs: MathJax copied to %s in %.1f s",
        target,
        time.perf_counter() - started,
    )
