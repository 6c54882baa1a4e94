"""Lighthouse scores and layout stability of every page, served as a static host serves it.

Serves a built site (``_build/html``, from ``make html``; ``--site DIR`` for another) on
localhost from a thread, the way static hosts do: gzip for compressible types, a long
``Cache-Control`` max-age for ``_static/`` and ``_images/`` and ``no-cache`` for the rest,
the MIME types of ``.mjs`` and ``.wasm``. Then, for every page (``--pages
index,api/engine`` to limit):

- Lighthouse (npm, pinned in package.json) in its default mobile profile (form factor and
  simulated throttling) in Debian's chromium: the performance, accessibility, best
  practices and SEO scores, LCP, CLS, TBT and the bytes transferred. ``--runs N`` runs it
  N times and prints the median of each figure.
- the growth of the document while a 375 px wide reader scrolls (Playwright): its
  ``scrollHeight`` once loaded with its fonts ready, then at the bottom after scrolling
  down one viewport at a time; and the elements that shifted meanwhile.

Prints one row per page, then for every goal a page misses the audits to fix (for CLS, the
elements that shifted in Playwright's unthrottled pass: Lighthouse 12.2.3's own
``layout-shifts`` audit fails on current chromium, as the list of audits it could not run
says), then how many pages meet every goal (performance >= 90; accessibility, best
practices and SEO 100; CLS <= 0.02; growth <= 5 %); exits 1 if any page misses one.

Run it with ``make lighthouse`` (or ``.venv/bin/python benchmarks/lighthouse.py``).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import io
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
#: the lowest score (out of 100) that meets each category's goal
GOALS = {"performance": 90, "accessibility": 100, "best-practices": 100, "seo": 100}
MAX_CLS = 0.02
#: percent the document may grow while the reader scrolls to the bottom
MAX_GROWTH = 5.0
#: Lighthouse's report shows an audit as passed from this score on
PASS_SCORE = 0.9
#: woff2 and images are compressed already
COMPRESSIBLE = {".html", ".css", ".js", ".mjs", ".json", ".svg", ".txt", ".wasm"}
LONG_LIVED = ("_static", "_images")
VIEWPORT = {"width": 375, "height": 812}

# the layout shifts (none caused by input: the scroll is the script's) are observed from the page's start
# (buffered) to the end of the scroll
SCROLL_DOWN = """async () => {
  const frames = () => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  window.benchmarkShifts = [];
  window.benchmarkShiftObserver = new PerformanceObserver(list => window.benchmarkShifts.push(...list.getEntries()));
  window.benchmarkShiftObserver.observe({type: "layout-shift", buffered: true});
  await document.fonts.ready;
  const start = document.documentElement.scrollHeight;
  for (;;) {
    const before = window.scrollY;
    window.scrollBy({top: window.innerHeight, behavior: "instant"});
    await frames();
    if (window.scrollY === before) return start;
  }
}"""
# after the scroll, lazy images may still be on their way: the end is read once the network is idle
AT_THE_BOTTOM = """async () => {
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  const shifts = [...window.benchmarkShifts, ...window.benchmarkShiftObserver.takeRecords()];
  window.benchmarkShiftObserver.disconnect();
  const byElement = new Map();
  for (const shift of shifts.filter(shift => !shift.hadRecentInput)) {
    for (const source of shift.sources) {
      // a text node is named by the element it is in
      const node = source.node && source.node.nodeType !== 1 ? source.node.parentElement : source.node;
      const name = !node ? "(removed)"
        : node.localName + (node.id ? "#" + node.id : "") + [...node.classList].slice(0, 2).map(c => "." + c).join("");
      byElement.set(name, (byElement.get(name) || 0) + shift.value);
    }
  }
  return {height: document.documentElement.scrollHeight,
          shifted: [...byElement].sort((a, b) => b[1] - a[1]).slice(0, 5)};
}"""


def compressible(suffix: str) -> bool:
    """Whether a static host gzips a file with this suffix (text and WebAssembly; not fonts or images)."""
    return suffix.lower() in COMPRESSIBLE


def cache_control(relative: str) -> str:
    """The Cache-Control header for a site path: a year for the assets, revalidated for pages and the rest."""
    return "public, max-age=31536000" if relative.lstrip("/").split("/")[0] in LONG_LIVED else "no-cache"


@functools.lru_cache(maxsize=None)
def gzipped(path: Path, modified: int) -> bytes:
    """The file's bytes gzip-compressed (level 6, as static hosts commonly serve it); ``modified`` keys the cache."""
    return gzip.compress(path.read_bytes(), compresslevel=6)


class StaticHost(http.server.SimpleHTTPRequestHandler):
    """Serves the site's files with a static host's headers: compression, caching, MIME types."""

    protocol_version = "HTTP/1.1"
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
                      ".woff2": "font/woff2", ".svg": "image/svg+xml", ".json": "application/json"}

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            self.send_error(404)
            return None
        kind = self.guess_type(str(path))
        if kind.startswith("text/"):
            kind += "; charset=utf-8"
        body = path.read_bytes()
        encode = compressible(path.suffix) and "gzip" in self.headers.get("Accept-Encoding", "")
        if encode:
            body = gzipped(path, path.stat().st_mtime_ns)
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache_control(self.path.split("?")[0]))
        if compressible(path.suffix):
            self.send_header("Vary", "Accept-Encoding")
        if encode:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, *args):
        pass


def serve(site: Path) -> http.server.ThreadingHTTPServer:
    """Start serving ``site`` on a free localhost port, from a daemon thread."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(StaticHost, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def lighthouse_report(url: str) -> dict:
    """Lighthouse's JSON report (LHR) of ``url``: mobile profile, the four categories, in Debian's chromium."""
    command = [str(LIGHTHOUSE), url, "--output=json", "--output-path=stdout", "--quiet",
               "--only-categories=" + ",".join(CATEGORIES), "--disable-full-page-screenshot",
               "--chrome-flags=" + " ".join(["--headless=new", *ARGS])]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "CHROME_PATH": CHROMIUM})
    if done.returncode != 0:
        sys.exit(f"lighthouse failed on {url}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def row_from_report(report: dict) -> dict:
    """The figures of one Lighthouse report: scores out of 100 (None if Lighthouse could not score), LCP in s,
    CLS, TBT in ms, KiB transferred."""
    audits = report["audits"]

    def value(audit_id: str) -> float | None:
        return audits.get(audit_id, {}).get("numericValue")

    scores = {name: None if report["categories"][name]["score"] is None
              else round(100 * report["categories"][name]["score"]) for name in CATEGORIES}
    lcp, tbt, weight = value("largest-contentful-paint"), value("total-blocking-time"), value("total-byte-weight")
    return {**scores, "lcp": None if lcp is None else lcp / 1000, "cls": value("cumulative-layout-shift"),
            "tbt": tbt, "kib": None if weight is None else weight / 1024}


def failing_audits(report: dict, category: str) -> list[str]:
    """Ids of the category's audits that Lighthouse's report shows as failed (scored, under 0.9), and of those
    that count in its score but could not run, marked ``(error)``: they leave the category unscored."""
    audits = report["audits"]
    failing = []
    for ref in report["categories"][category]["auditRefs"]:
        audit = audits[ref["id"]]
        if audit.get("score") is not None and audit["score"] < PASS_SCORE:
            failing.append(ref["id"])
        elif audit.get("scoreDisplayMode") == "error" and ref.get("weight", 0) > 0:
            failing.append(ref["id"] + " (error)")
    return failing


def errored_audits(report: dict) -> dict[str, str]:
    """Audit id -> Lighthouse's error message, for every audit it could not run."""
    return {audit_id: audit.get("errorMessage", "?") for audit_id, audit in report["audits"].items()
            if audit.get("scoreDisplayMode") == "error"}


def median_row(rows: list[dict]) -> dict:
    """The median of each figure over several runs' rows; None where no run gave it."""
    return {key: statistics.median(found) if (found := [row[key] for row in rows if row[key] is not None]) else None
            for key in rows[0]}


def missed_goals(row: dict) -> list[str]:
    """The goals the page's figures miss: category names, ``cls``, ``growth`` (a missing figure misses)."""
    missed = [name for name in CATEGORIES if row[name] is None or row[name] < GOALS[name]]
    if row["cls"] is None or row["cls"] > MAX_CLS:
        missed.append("cls")
    if row["growth"] is None or row["growth"] > MAX_GROWTH:
        missed.append("growth")
    return missed


def scroll_to_the_bottom(browser, url: str) -> tuple[float, list[tuple[str, float]]]:
    """Scroll a page down at 375 px, one viewport at a time: the percent its height grew from the loaded page to
    the bottom, and the elements that shifted meanwhile (tag#id.classes, their summed shift), largest first."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(url, wait_until="load")
    start = page.evaluate(SCROLL_DOWN)
    page.wait_for_load_state("networkidle")
    end = page.evaluate(AT_THE_BOTTOM)
    context.close()
    return 100 * (end["height"] / start - 1), [(name, value) for name, value in end["shifted"]]


def page_names(site: Path, wanted: str | None) -> list[str]:
    """The site's pages, in its folders too (``api/engine.html``), not the files of Sphinx's own folders (``_static``,
    ``_sources``, ...); or those named in ``wanted`` (comma-separated, ``.html`` optional)."""
    pages = sorted(relative.as_posix() for relative in (p.relative_to(site) for p in site.rglob("*.html"))
                   if not any(folder.startswith("_") for folder in relative.parts[:-1]))
    if wanted is None:
        return pages
    chosen = [name if name.endswith(".html") else name + ".html" for name in wanted.split(",")]
    unknown = [name for name in chosen if name not in pages]
    if unknown:
        sys.exit(f"no such page in {site}: {', '.join(unknown)}")
    return chosen


def run_count(text: str) -> int:
    """``--runs``: a whole number of Lighthouse runs, at least one."""
    runs = int(text)
    if runs < 1:
        raise argparse.ArgumentTypeError(f"at least one run, not {runs}")
    return runs


def shown(value, digits: int) -> str:
    """A figure with ``digits`` decimals, or '-' when it is missing."""
    return "-" if value is None else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html", help="the built site (default _build/html)")
    parser.add_argument("--pages", help="comma-separated pages to measure, e.g. index,api/engine (default: every page)")
    parser.add_argument("--runs", type=run_count, default=1, help="Lighthouse runs per page; the median is printed")
    options = parser.parse_args()
    if not (options.site / "index.html").is_file():
        sys.exit(f"no built site in {options.site}: run 'make html' first")
    if not LIGHTHOUSE.is_file():
        sys.exit(f"no {LIGHTHOUSE}: run 'npm ci'")
    pages = page_names(options.site, options.pages)
    began = time.perf_counter()
    server = serve(options.site)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    rows, failing, shifted, errors = {}, {}, {}, {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name in pages:
            reports = [lighthouse_report(base + name) for _ in range(options.runs)]
            version = reports[0]["lighthouseVersion"]
            growth, shifted[name] = scroll_to_the_bottom(browser, base + name)
            rows[name] = {**median_row([row_from_report(report) for report in reports]), "growth": growth}
            # an audit that failed in any run is named
            failing[name] = {category: sorted({audit for report in reports for audit in failing_audits(report, category)})
                             for category in CATEGORIES}
            for report in reports:
                for audit, message in errored_audits(report).items():
                    errors.setdefault((audit, message), set()).add(name)
        browser.close()
    server.shutdown()

    print(f"Lighthouse {version}, mobile profile, {options.runs} run(s) per page, "
          f"{options.site} served with gzip")
    print(f"{'page':24s} {'perf':>4s} {'a11y':>4s} {'b.p.':>4s} {'seo':>4s} {'LCP s':>6s} {'CLS':>6s} "
          f"{'TBT ms':>6s} {'KiB':>6s} {'grow %':>6s}")
    for name, row in rows.items():
        print(f"{name:24s} " + " ".join(f"{shown(row[c], 0):>4s}" for c in CATEGORIES)
              + f" {shown(row['lcp'], 2):>6s} {shown(row['cls'], 3):>6s} {shown(row['tbt'], 0):>6s}"
                f" {shown(row['kib'], 0):>6s} {shown(row['growth'], 2):>6s}")
    print()
    for name, row in rows.items():
        for goal in missed_goals(row):
            if goal in CATEGORIES:
                print(f"{name} {goal} {shown(row[goal], 0)} < {GOALS[goal]}: {' '.join(failing[name][goal]) or '?'}")
            elif goal == "cls":
                moved = ", ".join(f"{element} {value:.3f}" for element, value in shifted[name]) or "none"
                print(f"{name} CLS {shown(row['cls'], 3)} > {MAX_CLS}: shifted at 375 px unthrottled: {moved}")
            else:
                print(f"{name} grows {shown(row['growth'], 2)} % > {MAX_GROWTH:.0f} % while scrolled at 375 px")
    for (audit, message), where in sorted(errors.items()):
        print(f"Lighthouse could not run {audit} on {len(where)} page(s): {message}")
    met = [name for name, row in rows.items() if not missed_goals(row)]
    print(f"{len(met)} of {len(rows)} pages meet every goal (performance >= {GOALS['performance']}, accessibility, "
          f"best practices and SEO 100, CLS <= {MAX_CLS}, growth <= {MAX_GROWTH:.0f} %), "
          f"in {time.perf_counter() - began:.0f} s")
    sys.exit(0 if len(met) == len(rows) else 1)


if __name__ == "__main__":
    main()
