"""Time the live checks in a real browser: cold time to the first verdict, and a warm check.

Serves the built site (``_build/html``, from ``make html``) on localhost, opens the
"Check your own loss" page in Debian's chromium and checks ``(w*x + b - y)**2`` with
4 examples: first on a fresh page (the click loads Pyodide, SymPy and the project's
wheel, then checks), then again on the same page. Prints both times over several
fresh pages (median, min, max) against the goals (cold <= 10 s, warm <= 1 s).

Run it with ``make benchmark-live`` (or ``.venv/bin/python benchmarks/live_checks.py``).
"""

from __future__ import annotations

import functools
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


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def timed_check(page) -> float:
    """Press Check and wait for a verdict; the seconds between."""
    page.evaluate("document.querySelector('form.gradavg-check-panel').dataset.outcome = ''")
    start = time.perf_counter()
    page.get_by_role("button", name="Check", exact=True).click()
    page.wait_for_function("() => ['holds', 'fails', 'refused', 'undecided', 'error']"
                           ".includes(document.querySelector('form.gradavg-check-panel').dataset.outcome)",
                           timeout=120000)
    seconds = time.perf_counter() - start
    outcome = page.locator("form.gradavg-check-panel").get_attribute("data-outcome")
    if outcome != "holds":
        sys.exit(f"expected 'holds', got {outcome}: {page.locator('form.gradavg-check-panel output').inner_text()}")
    return seconds


def main() -> None:
    if not (SITE / "live.html").is_file():
        sys.exit(f"no built site in {SITE}: run 'make html' first")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(SITE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/live.html"
    cold, warm = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for _ in range(RUNS):
            page = browser.new_context().new_page()
            page.goto(url, wait_until="load")
            page.get_by_label("Loss", exact=True).fill("(w*x + b - y)**2")
            page.get_by_label("Number of examples", exact=True).fill("4")
            cold.append(timed_check(page))
            warm.append(timed_check(page))
            page.context.close()
        browser.close()
    server.shutdown()
    print(f"live check of (w*x + b - y)**2 with 4 examples, {RUNS} fresh pages in headless chromium")
    for name, values, goal in (("cold (first click)", cold, 10.0), ("warm (next click)", warm, 1.0)):
        median = statistics.median(values)
        print(f"{name:20s} median {median:6.2f} s  min {min(values):6.2f}  max {max(values):6.2f}  "
              f"goal <= {goal:.0f} s: {'met' if median <= goal else 'NOT met'} ({median / goal:.2f} of goal)")


if __name__ == "__main__":
    main()
