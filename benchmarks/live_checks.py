"""Time the live checks in a real browser: the cold time to the first verdict, two ways, and a warm check.

Serves a built site (``_build/html``, from ``make html``, or ``--site DIR``) on localhost, opens the
"Check your own loss" page in Debian's chromium, on a fresh browser context each time (nothing
cached), and checks ``(w*x + b - y)**2`` with 4 examples:

- *click at once*: press Check as soon as the page has loaded; the seconds from the click to the
  verdict (the engine starts on that click);
- *focus, type, click*: focus the Loss field, type the loss at a reader's pace (2 s), press Check;
  the seconds from the focus to the verdict (the engine starts on the focus), and from the click;
- *warm*: press Check again on the same page.

Prints the median, min and max over several fresh pages against the goals (cold <= 5 s both ways,
warm <= 1 s). Run it with ``make benchmark-live`` (or ``.venv/bin/python benchmarks/live_checks.py``);
``--site`` times another build, e.g. one of the code before a change, to compare.
"""

from __future__ import annotations

import argparse
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
LOSS = "(w*x + b - y)**2"
TYPING_SECONDS = 2.0
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SETTLED = ("() => ['holds', 'fails', 'refused', 'undecided', 'error']"
           ".includes(document.querySelector('form.gradavg-check-panel').dataset.outcome)")


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def click_and_wait(page) -> float:
    """Press Check and wait for a verdict, which must be 'holds'; the ``perf_counter`` time of the click."""
    page.evaluate("document.querySelector('form.gradavg-check-panel').dataset.outcome = ''")
    clicked = time.perf_counter()
    page.get_by_role("button", name="Check", exact=True).click()
    page.wait_for_function(SETTLED, timeout=120000)
    outcome = page.locator("form.gradavg-check-panel").get_attribute("data-outcome")
    if outcome != "holds":
        sys.exit(f"expected 'holds', got {outcome}: {page.locator('form.gradavg-check-panel output').inner_text()}")
    return clicked


def click_at_once(page) -> float:
    """Seconds from a click right after the page loaded to the verdict."""
    clicked = click_and_wait(page)
    return time.perf_counter() - clicked


def focus_type_click(page) -> tuple[float, float]:
    """Focus the Loss field, retype the loss over ``TYPING_SECONDS``, press Check: seconds from the focus and from the click to the verdict."""
    field = page.get_by_label("Loss", exact=True)
    focused = time.perf_counter()
    field.focus()
    field.press("Control+a")
    field.press_sequentially(LOSS, delay=TYPING_SECONDS * 1000 / len(LOSS))
    clicked = click_and_wait(page)
    done = time.perf_counter()
    return done - focused, done - clicked


def summary(name: str, values: list[float], goal: float) -> str:
    """One line: median, min and max against the goal."""
    median = statistics.median(values)
    return (f"{name:34s} median {median:6.2f} s  min {min(values):6.2f}  max {max(values):6.2f}  "
            f"goal <= {goal:g} s: {'met' if median <= goal else 'NOT met'} ({median / goal:.2f} of goal)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=SITE, help="the built site to serve (default: _build/html)")
    parser.add_argument("--runs", type=int, default=RUNS, help="fresh pages per way of measuring")
    options = parser.parse_args()
    if not (options.site / "live.html").is_file():
        sys.exit(f"no built site in {options.site}: run 'make html' first")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(options.site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/live.html"
    at_once, from_focus, from_click, warm = [], [], [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for _ in range(options.runs):
            for way in (click_at_once, focus_type_click):
                page = browser.new_context().new_page()
                page.goto(url, wait_until="load")
                if way is click_at_once:
                    at_once.append(click_at_once(page))
                    warm.append(click_at_once(page))
                else:
                    focus, click = focus_type_click(page)
                    from_focus.append(focus)
                    from_click.append(click)
                page.context.close()
        browser.close()
    server.shutdown()
    print(f"live check of {LOSS} with 4 examples, {options.runs} fresh pages each way, headless chromium, "
          f"site {options.site}")
    print(summary("cold, click at once (from click)", at_once, 5.0))
    print(summary("cold, focus, type 2 s, click", from_focus, 5.0))
    print(summary("  the same, from the click", from_click, 5.0))
    print(summary("warm (next click)", warm, 1.0))


if __name__ == "__main__":
    main()
