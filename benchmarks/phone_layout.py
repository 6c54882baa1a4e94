"""How much the pages move while they load on a phone: Lighthouse's cumulative layout shift at 375 x 812.

Serves the built site (``_build/html``, from ``make html``) on localhost and runs
Lighthouse (npm, pinned in ``package-lock.json``) in Debian's chromium on a few
pages, or on the pages named on the command line, emulating a 375 x 812 screen
at two device pixels per CSS pixel. Prints each page's cumulative layout shift
(CLS) and its largest contentful paint under Lighthouse's simulated slow
network, then the worst CLS against the goal (<= 0.02).

Run it with ``.venv/bin/python benchmarks/phone_layout.py [page.html ...]``
(about half a minute a page).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from page_speed import SITE, Quiet

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
#: the ledger (cards), the page of the twelve-panel figure, a page of tables, and the home page
PAGES = ("ledger.html", "parameter-space.html", "training-stacks.html", "index.html")
GOAL = 0.02


def lighthouse(url: str, report: Path) -> dict:
    """Lighthouse's performance audits of ``url`` on a 375 x 812 screen, read back from its JSON report."""
    subprocess.run([str(LIGHTHOUSE), url, "--only-categories=performance", "--quiet", "--output=json",
                    f"--output-path={report}", "--screenEmulation.width=375", "--screenEmulation.height=812",
                    "--screenEmulation.deviceScaleFactor=2",
                    "--chrome-flags=--headless=new --no-sandbox --disable-gpu"],
                   check=True, env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"}, timeout=300)
    return json.loads(report.read_text())["audits"]


def main() -> None:
    if not (SITE / "index.html").is_file():
        sys.exit(f"no built site in {SITE}: run 'make html' first")
    if not LIGHTHOUSE.is_file():
        sys.exit(f"{LIGHTHOUSE} is missing: run 'npm ci' (or 'make assets')")
    pages = sys.argv[1:] or PAGES
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(SITE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    shifts = {}
    print(f"{'page':28s} {'CLS':>8s} {'LCP (s, simulated)':>19s}")
    with tempfile.TemporaryDirectory() as scratch:
        for name in pages:
            audits = lighthouse(base + name, Path(scratch) / "report.json")
            shifts[name] = audits["cumulative-layout-shift"]["numericValue"]
            paint = audits["largest-contentful-paint"]["numericValue"] / 1000
            print(f"{name:28s} {shifts[name]:8.4f} {paint:19.1f}")
    server.shutdown()
    worst = max(shifts, key=shifts.get)
    print(f"largest layout shift {shifts[worst]:.4f} on {worst} (goal <= {GOAL}: "
          f"{'met' if shifts[worst] <= GOAL else 'NOT met'})")


if __name__ == "__main__":
    main()
