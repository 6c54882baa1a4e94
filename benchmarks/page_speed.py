"""How heavy each page is and how soon it is ready, in a real browser.

Serves the built site (``_build/html``, from ``make html``) on localhost, loads every
page in Debian's chromium, and prints per page:

- its weight: every file the page loaded, gzip-compressed as a static host sends it;
- the time until it is fully rendered: from navigation to the load event, with its
  fonts ready (the math is in the HTML, typeset at build time).

Each page is loaded ``RUNS`` times in a fresh browser context (nothing cached); the
median time is printed. The last lines give the median page weight and the slowest
page against the goals (median weight <= 1 MB, every page ready within 1 s).

Run it with ``make page-speed`` (or ``.venv/bin/python benchmarks/page_speed.py``).
"""

from __future__ import annotations

import functools
import gzip
import http.server
import statistics
import sys
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

SITE = Path(__file__).resolve().parents[1] / "_build" / "html"
RUNS = 3
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SKIPPED = {"_static", "_sources", "_images", "jupyter_execute", "_modules"}


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def gzip_size(path: Path, cache: dict[Path, int]) -> int:
    """Bytes of ``path`` gzip-compressed (level 6, as static hosts commonly serve it)."""
    if path not in cache:
        cache[path] = len(gzip.compress(path.read_bytes(), compresslevel=6))
    return cache[path]


def measure(browser, url: str) -> tuple[float, list[str]]:
    """Seconds until the page is loaded with its fonts ready, and the same-site paths it requested."""
    context = browser.new_context()
    page = context.new_page()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    start = time.perf_counter()
    page.goto(url, wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")
    seconds = time.perf_counter() - start
    page.wait_for_load_state("networkidle")
    context.close()
    return seconds, requested


def main() -> None:
    if not (SITE / "index.html").is_file():
        sys.exit(f"no built site in {SITE}: run 'make html' first")
    pages = sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html")
                   if not SKIPPED & set(p.relative_to(SITE).parts))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(SITE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    sizes: dict[Path, int] = {}
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name in pages:
            times, requested = [], []
            for _ in range(RUNS):
                seconds, requested = measure(browser, base + name)
                times.append(seconds)
            files = {SITE / url[len(base):].split("#")[0].split("?")[0] for url in requested if url.startswith(base)}
            weight = sum(gzip_size(f, sizes) for f in files if f.is_file())
            rows.append((name, statistics.median(times), weight, len(files)))
        browser.close()
    server.shutdown()

    print(f"{'page':28s} {'ready (s)':>9s} {'weight (gzip MB)':>16s} {'files':>5s}")
    for name, seconds, weight, count in rows:
        print(f"{name:28s} {seconds:9.2f} {weight / 1e6:16.3f} {count:5d}")
    median_weight = statistics.median(weight for _, _, weight, _ in rows)
    slowest = max(rows, key=lambda row: row[1])
    print(f"median page weight {median_weight / 1e6:.3f} MB (goal <= 1 MB: {'met' if median_weight <= 1e6 else 'NOT met'})")
    print(f"slowest page {slowest[0]} ready in {slowest[1]:.2f} s (goal <= 1 s: {'met' if slowest[1] <= 1 else 'NOT met'})")
    total = sum(p.stat().st_size for p in SITE.rglob("*") if p.is_file())
    print(f"published site {total / 1e6:.1f} MB on disk")


if __name__ == "__main__":
    main()
