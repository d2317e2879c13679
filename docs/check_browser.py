"""Open every page of the built HTML documentation in headless Chromium and check it.

Usage::

    python docs/check_browser.py [BUILD_DIR] [--browser PATH] [--jobs N]
                                 [--screenshot PAGE=PNG ...]

For each ``*.html`` page of ``BUILD_DIR`` (default ``docs/_build/html``), opened as a
``file://`` URL with no network, it checks that

1. every math node Sphinx wrote (``span.math``, ``div.math``) holds exactly one
   ``mjx-container`` once MathJax has run (Chromium's ``--dump-dom`` after a virtual
   time budget), and the page has as many math nodes as its HTML source;
2. no MathJax error is shown (``mjx-merror``, ``data-mjx-error``, "Math input
   error") and no script error reaches the console;
3. nothing is requested from outside the build: every resource that the page, its
   stylesheets or its scripts load (``script src``, ``link href``, ``img src``,
   CSS ``url(...)``, including what MathJax adds at run time) is a file inside
   ``BUILD_DIR`` that exists, and Chromium's network log (``--log-net-log``) holds
   no request made on behalf of the page;
4. every relative link (``a href``) points at a file of the build.

It prints one line per page and, at the end, every failure; the exit status is 0
when all pages pass, 1 when any fails and 2 when the check could not run (no build,
no browser). ``--screenshot PAGE=PNG`` also saves a 1200×2400 picture of ``PAGE``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Known to work as root in a container with no network: no sandbox, no GPU, none
#: of the browser's own background traffic.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
)
VIRTUAL_TIME_MS = 10_000  # of page time; MathJax finishes well within it
TIMEOUT_S = 120  # of wall-clock time per page, a hung browser rather than a slow page
VOID_TAGS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    ]
)
#: Attributes whose URL the browser fetches while loading the page.
LOADED = {
    ("script", "src"),
    ("img", "src"),
    ("iframe", "src"),
    ("embed", "src"),
    ("source", "src"),
    ("audio", "src"),
    ("video", "src"),
    ("video", "poster"),
    ("object", "data"),
    ("input", "src"),
    ("track", "src"),
}
#: ``link rel`` values that make the browser fetch ``href``.
LOADING_RELS = frozenset(
    [
        "stylesheet",
        "icon",
        "shortcut",
        "apple-touch-icon",
        "preload",
        "prefetch",
        "modulepreload",
        "manifest",
        "mask-icon",
    ]
)
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""")
#: Signs of a formula MathJax could not typeset (its stylesheet names ``mjx-merror``
#: on every page, so the element is matched by its opening tag).
MATH_ERRORS = ("<mjx-merror", "data-mjx-error", "Math input error", "Math output error")
CONSOLE = re.compile(r":INFO:CONSOLE[^\]]*\] (.*)")


# --- reading HTML ------------------------------------------------------------------------


@dataclass
class PageScan:
    """What one HTML document loads, links to and holds in math nodes."""

    resources: list[tuple[str, str]] = field(default_factory=list)  # (what, url)
    links: list[str] = field(default_factory=list)
    math_nodes: int = 0
    #: mjx-container count inside each math node, in document order.
    typeset: list[int] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = PageScan()
        self._math_depth = 0  # elements open inside the current math node, + 1
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for name, value in a.items():
            if (tag, name) in LOADED and value:
                self.scan.resources.append((f"<{tag} {name}>", value))
            if name == "srcset" and value:
                for candidate in value.split(","):
                    url = candidate.strip().split(" ")[0]
                    if url:
                        self.scan.resources.append((f"<{tag} srcset>", url))
            if name == "style" and "url(" in value:
                self.scan.styles.append(value)
        if tag == "link" and a.get("href"):
            rels = set(a.get("rel", "").lower().split())
            if rels & LOADING_RELS:
                self.scan.resources.append(("<link href>", a["href"]))
        if tag == "a" and a.get("href"):
            self.scan.links.append(a["href"])
        if tag == "style":
            self._in_style = True
        if tag in VOID_TAGS:
            return
        if self._math_depth:
            self._math_depth += 1
            if tag == "mjx-container" and self._math_depth == 2:
                self.scan.typeset[-1] += 1
        elif tag in ("span", "div") and "math" in a.get("class", "").split():
            self.scan.math_nodes += 1
            self.scan.typeset.append(0)
            self._math_depth = 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False
        if self._math_depth and tag not in VOID_TAGS:
            self._math_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.scan.styles.append(data)


def scan_html(text: str) -> PageScan:
    """Resources, links and math nodes of an HTML document."""
    scanner = _Scanner()
    scanner.feed(text)
    scanner.close()
    return scanner.scan


def css_urls(text: str) -> list[str]:
    """Every ``url(...)`` and ``@import`` target in CSS text."""
    return [m.group(2) or m.group(4) for m in CSS_URL.finditer(text)]


# --- resolving URLs -------------------------------------------------------------------


def local_target(url: str, base: Path, root: Path) -> tuple[Path | None, str | None]:
    """The file inside ``root`` that ``url`` (found in ``base``) loads, or a problem.

    Returns ``(path, None)`` for a loadable local file, ``(None, None)`` for a URL
    that loads nothing from anywhere (``data:``, ``#fragment``), and
    ``(None, problem)`` otherwise.
    """
    url = url.strip()
    if not url or url.startswith("#") or url.startswith("data:"):
        return None, None
    parts = urlsplit(url)
    if parts.scheme == "file":
        path = Path(url2pathname(parts.path))
    elif parts.scheme or parts.netloc:
        return None, "loads from outside the build"
    elif parts.path.startswith("/"):
        return None, "is an absolute path (outside the build when opened as a file)"
    else:
        path = base.parent / unquote(parts.path)
    path = path.resolve()
    if not path.is_relative_to(root):
        return None, "points outside the build directory"
    if not path.exists():
        return None, "does not exist in the build"
    return path, None


def resource_problems(
    scan: PageScan, page: Path, root: Path, css_seen: dict[Path, list[str]]
) -> list[str]:
    """Every resource of ``scan`` (and of the stylesheets it loads) that is not local."""
    problems = []
    pending: list[tuple[str, str, Path]] = [(w, u, page) for w, u in scan.resources]
    pending += [("inline CSS url()", u, page) for s in scan.styles for u in css_urls(s)]
    while pending:
        what, url, base = pending.pop()
        path, problem = local_target(url, base, root)
        if problem:
            problems.append(f"{what} {url!r} {problem}")
            continue
        if path is not None and path.suffix == ".css" and path not in css_seen:
            css_seen[path] = css_urls(
                path.read_text(encoding="utf-8", errors="replace")
            )
            pending += [("CSS url() in " + path.name, u, path) for u in css_seen[path]]
        elif path is not None and path.suffix == ".css":
            for u in css_seen[path]:
                _, problem = local_target(u, path, root)
                if problem:
                    problems.append(f"CSS url() in {path.name} {u!r} {problem}")
    return sorted(set(problems))


def link_problems(scan: PageScan, page: Path, root: Path) -> list[str]:
    """Relative links of the page that point at no file of the build."""
    problems = []
    for url in scan.links:
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path:
            continue  # outside links are for the reader to follow, not loaded
        _, problem = local_target(url, page, root)
        if problem:
            problems.append(f"link {url!r} {problem}")
    return sorted(set(problems))


# --- the browser ----------------------------------------------------------------------


def find_browser(explicit: str | None = None) -> str | None:
    """The Chromium executable: ``explicit``, ``$CHROMIUM``, or one on ``PATH``."""
    for candidate in (explicit, os.environ.get("CHROMIUM"), *BROWSERS):
        if candidate and (path := shutil.which(candidate)):
            return path
    return None


def run_browser(
    browser: str, url: str, workdir: Path, extra: Sequence[str]
) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on ``url`` with a fresh profile in ``workdir``."""
    command = [
        browser,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={workdir / 'profile'}",
        f"--log-net-log={workdir / 'netlog.json'}",
        "--enable-logging=stderr",
        "--v=0",
        f"--virtual-time-budget={VIRTUAL_TIME_MS}",
        *extra,
        url,
    ]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def page_requests(netlog: Path) -> list[str]:
    """URLs that Chromium's network log shows were requested for a ``file://`` page.

    Requests of the browser itself (updates, accounts) carry no page origin and are
    not counted: they are no part of the page.
    """
    if not netlog.exists():
        return ["<no network log was written>"]
    text = netlog.read_text(encoding="utf-8", errors="replace").rstrip()
    try:
        log = json.loads(text)
    except json.JSONDecodeError:
        # A log cut short lacks its closing brackets; the events are all there.
        log = json.loads(text.rstrip(",\n") + "]}")
    types = {v: k for k, v in log.get("constants", {}).get("logEventTypes", {}).items()}
    urls = []
    for event in log.get("events", []):
        params = event.get("params") or {}
        if (
            types.get(event.get("type")) != "URL_REQUEST_START_JOB"
            or "url" not in params
        ):
            continue
        for_page = "file://" in str(params.get("network_isolation_key", "")) or (
            params.get("initiator", "not an origin") != "not an origin"
        )
        if for_page:
            urls.append(params["url"])
    return urls


@dataclass
class PageResult:
    """The outcome of checking one page."""

    name: str
    math_nodes: int
    typeset: int
    seconds: float
    failures: list[str]


def check_page(browser: str, page: Path, root: Path) -> PageResult:
    """Load ``page`` in Chromium and run every check on it."""
    started = time.perf_counter()
    name = page.relative_to(root).as_posix()
    source = scan_html(page.read_text(encoding="utf-8"))
    failures = resource_problems(source, page, root, {})
    failures += link_problems(source, page, root)
    with tempfile.TemporaryDirectory(prefix="check-browser-") as tmp:
        work = Path(tmp)
        try:
            done = run_browser(browser, page.as_uri(), work, ["--dump-dom"])
        except subprocess.TimeoutExpired:
            failures.append(f"Chromium did not finish within {TIMEOUT_S} s")
            return PageResult(name, source.math_nodes, 0, 0.0, failures)
        dom_text = done.stdout
        if done.returncode != 0 or "<html" not in dom_text:
            failures.append(
                f"Chromium exited with {done.returncode} and no DOM; stderr ends:\n"
                + "\n".join(done.stderr.splitlines()[-5:])
            )
        failures += [
            f"requested {u} (outside the build)"
            for u in page_requests(work / "netlog.json")
        ]
    dom = scan_html(dom_text)
    seen = set(failures)
    failures += [
        f"after scripts ran: {p}"
        for p in resource_problems(dom, page, root, {})
        if p not in seen
    ]
    if dom.math_nodes != source.math_nodes:
        failures.append(
            f"{source.math_nodes} math nodes in the HTML but {dom.math_nodes} in the "
            f"page after scripts ran"
        )
    untypeset = [i for i, n in enumerate(dom.typeset) if n != 1]
    if untypeset:
        failures.append(
            f"{len(untypeset)} of {dom.math_nodes} math nodes not typeset as exactly "
            f"one mjx-container (node numbers {untypeset[:10]})"
        )
    errors = re.findall(r'data-mjx-error="([^"]*)"', dom_text)
    markers = [m for m in MATH_ERRORS if m in dom_text]
    if errors or markers:
        failures.append(f"MathJax errors {errors[:5]} (markers {markers})")
    for line in done.stderr.splitlines():
        if (m := CONSOLE.search(line)) and re.search(
            r"Uncaught|Error|MathJax|Failed|Not allowed", m.group(1)
        ):
            failures.append(f"console: {m.group(1)}")
    typeset = sum(1 for n in dom.typeset if n == 1)
    return PageResult(
        name, source.math_nodes, typeset, time.perf_counter() - started, failures
    )


def screenshot(browser: str, page: Path, png: Path) -> str | None:
    """Save a 1200×2400 picture of ``page`` to ``png``; a problem, or None."""
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="check-browser-") as tmp:
        done = run_browser(
            browser,
            page.as_uri(),
            Path(tmp),
            [f"--screenshot={png.resolve()}", "--window-size=1200,2400"],
        )
    if done.returncode != 0 or not png.exists() or png.stat().st_size == 0:
        return f"screenshot of {page} failed (exit {done.returncode})"
    return None


def image_problems(browser: str, pages: Sequence[Path], root: Path) -> list[str]:
    """Every ``<img>``, ``<object>`` and inline ``<svg>`` of the pages, loaded.

    An image file must exist in the build; an inline SVG must be well-formed XML.
    Neither may refer to anything outside the build (``href``, ``xlink:href``,
    ``src`` or CSS ``url()``), a figure (``<img>``, or an SVG with ``role="img"``)
    must carry its alt text (``alt``, or a ``<title>``), and each is then loaded
    as an image by Chromium, from a probe page outside the build: a broken image
    (``naturalWidth`` 0, or an error event) or a network request fails the check.
    """
    import xml.etree.ElementTree as ET

    problems: list[str] = []
    files: dict[Path, str] = {}  # image file -> where it was first seen
    inline: list[tuple[str, str, Path]] = []  # (where, svg text, its base)
    seen: set[str] = set()
    for page in pages:
        name = page.relative_to(root).as_posix()
        text = page.read_text(encoding="utf-8")
        for m in re.finditer(r"<(img|object)\b[^>]*>", text):
            tag = m.group(0)
            url = re.search(r'\s(?:src|data)="([^"]*)"', tag)
            if url is None:
                continue
            path, problem = local_target(url.group(1), page, root)
            if problem or path is None:
                problems.append(f"{name}: {tag[:80]} {problem or 'loads nothing'}")
                continue
            files.setdefault(path, name)
            if m.group(1) == "img" and not re.search(r'\salt="[^"]+"', tag):
                problems.append(f"{name}: image {url.group(1)} has no alt text")
        depth, start = 0, 0
        for m in re.finditer(r"<svg\b|</svg\s*>", text):
            if not m.group(0).startswith("</"):
                depth, start = depth + 1, m.start() if depth == 0 else start
            elif depth and (depth := depth - 1) == 0:
                svg = text[start : m.end()]
                if svg not in seen:  # a theme repeats its icons on every page
                    seen.add(svg)
                    where = f"{name}, inline SVG {len(inline) + 1}"
                    inline.append((where, svg, page))
    for path, name in files.items():
        if path.suffix == ".svg":
            where = f"{name}, {path.relative_to(root)}"
            inline.append((where, path.read_text("utf-8"), path))
    for where, svg, base in inline:
        try:
            tree = ET.fromstring(
                svg
                if "xmlns=" in svg
                else svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
            )
        except ET.ParseError as exc:
            problems.append(f"{where}: not well-formed SVG ({exc})")
            continue
        for element in tree.iter():
            refs = [
                v
                for k, v in element.attrib.items()
                if k.split("}")[-1] in ("href", "src")
            ]
            css = element.attrib.get("style", "")
            if element.tag.split("}")[-1] == "style":
                css += element.text or ""
            for ref in refs + css_urls(css):
                if problem := local_target(ref, base, root)[1]:
                    problems.append(f"{where}: refers to {ref!r}, which {problem}")
        if tree.get("role") == "img" and not any(
            e.tag.split("}")[-1] == "title" and (e.text or "").strip() for e in tree
        ):
            problems.append(f"{where}: a figure without alt text (<title>)")
    with tempfile.TemporaryDirectory(prefix="check-images-") as tmp:
        work = Path(tmp)
        sources = [
            (f"{name}, {path.relative_to(root)}", path.as_uri())
            for path, name in files.items()
        ]
        for n, (where, svg, _) in enumerate(inline):
            if ", inline SVG" in where:
                standalone = work / f"inline-{n}.svg"
                if "xmlns=" not in svg:
                    svg = svg.replace(
                        "<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1
                    )
                standalone.write_text(svg, encoding="utf-8")
                sources.append((where, standalone.as_uri()))
        handlers = (
            "onload=\"this.dataset.state = this.naturalWidth > 0 ? 'ok' : 'empty'\" "
            "onerror=\"this.dataset.state = 'broken'\""
        )
        images = "".join(
            f'<img id="i{n}" src="{url}" {handlers}>'
            for n, (_, url) in enumerate(sources)
        )
        (work / "probe.html").write_text(
            f"<!doctype html><html><body>{images}</body></html>"
        )
        done = run_browser(
            browser, (work / "probe.html").as_uri(), work, ["--dump-dom"]
        )
        states = dict(
            re.findall(r'<img id="i(\d+)"[^>]*data-state="(\w+)"', done.stdout)
        )
        for n, (where, _) in enumerate(sources):
            state = states.get(str(n), "no load event")
            if state != "ok":
                problems.append(f"{where}: did not load as an image ({state})")
        problems += [
            f"loading the images requested {u}"
            for u in page_requests(work / "netlog.json")
            if not u.startswith("file:")
        ]
    n_inline = sum(", inline SVG" in where for where, _, _ in inline)
    print(
        f"{len(files)} image files and {n_inline} distinct inline SVGs loaded as images"
    )
    return problems


# --- main -----------------------------------------------------------------------------


def pages_of(root: Path) -> list[Path]:
    """Every HTML page of the build, the static files excepted."""
    return sorted(
        p for p in root.rglob("*.html") if "_static" not in p.relative_to(root).parts
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build", nargs="?", default="docs/_build/html", type=Path)
    parser.add_argument("--browser", help="Chromium executable (default: on PATH)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--screenshot",
        action="append",
        default=[],
        metavar="PAGE=PNG",
        help="also save a picture of PAGE (relative to BUILD) to PNG",
    )
    return parser.parse_args(argv)


def report(results: Iterable[PageResult], problems: list[str]) -> int:
    """Print the outcome; the exit status."""
    results = list(results)
    failed = [r for r in results if r.failures]
    for r in results:
        status = "FAIL" if r.failures else "ok  "
        print(
            f"{status} {r.name:<48} math {r.typeset:>4}/{r.math_nodes:<4} "
            f"{r.seconds:5.1f} s"
        )
    nodes = sum(r.math_nodes for r in results)
    print(
        f"\n{len(results)} pages, {nodes} math nodes, "
        f"{sum(r.typeset for r in results)} typeset; "
        f"{len(failed)} pages failed, {len(problems)} other problems"
    )
    for r in failed:
        print(f"\n{r.name}:")
        for failure in r.failures:
            print(f"  - {failure}")
    for problem in problems:
        print(f"\n{problem}")
    return 1 if failed or problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Check every page; the exit status."""
    args = parse_args(argv)
    root = args.build.resolve()
    pages = pages_of(root) if root.is_dir() else []
    if not pages:
        print(f"no built HTML pages in {root}; build the docs first", file=sys.stderr)
        return 2
    browser = find_browser(args.browser)
    if browser is None:
        print(
            "no Chromium found (tried --browser, $CHROMIUM and "
            f"{', '.join(BROWSERS)} on PATH); install Debian's `chromium`",
            file=sys.stderr,
        )
        return 2
    print(f"checking {len(pages)} pages of {root} with {browser}")
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda p: check_page(browser, p, root), pages))
    problems = image_problems(browser, pages, root)
    for item in args.screenshot:
        page_name, sep, png = item.partition("=")
        if not sep:
            problems.append(f"--screenshot {item!r}: expected PAGE=PNG")
            continue
        page = root / page_name
        if not page.is_file():
            problems.append(f"--screenshot: no page {page}")
        elif problem := screenshot(browser, page, Path(png)):
            problems.append(problem)
        else:
            print(f"screenshot of {page_name} saved to {png}")
    return report(results, problems)


if __name__ == "__main__":
    sys.exit(main())
