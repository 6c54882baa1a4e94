"""Shared fixtures: the built site (built once per session) and a browser on it."""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from gradavg.site.build import stamp_path
from gradavg.checks.jax_adapter import use_host_devices

# JAX reads XLA_FLAGS once, when it is first imported: ask for the host CPU devices before any test can import it
use_host_devices()

ROOT = Path(__file__).resolve().parents[1]
STRICT = ["-W", "-n", "--keep-going", "-j", "auto"]
CHROMIUM = "/usr/bin/chromium"
#: the front matter that makes a page an executed notebook, for the pages tests write
NOTEBOOK_FRONT_MATTER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

"""


def pytest_collection_modifyitems(items):
    """Run the tests that import JAX last.

    JAX starts threads when it is imported, and the time budget of the checks
    forks: a fork after JAX is loaded can deadlock (JAX warns as much). Every
    test still runs; only the order changes.
    """
    items.sort(key=lambda item: "framework" in item.nodeid or "jax" in item.nodeid)


def sphinx_build(source: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    """Build ``source`` with the project's conf.py, strictly, into ``out``."""
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(ROOT), *STRICT, *extra, str(source), str(out)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1200)


# --- slow commands that start as soon as the tests are collected ------------------------------------------
# Each runs in its own process beside the tests before the one that needs it (the machine has two cores), and
# only when a selected test asks for its fixture. A process, not a thread: the checks' time budgets fork.

#: fixture name -> the command, given a scratch folder of its own
BACKGROUND = {
    "ledger_run": lambda scratch: [sys.executable, "-m", "gradavg", "ledger", "--json", "--quiet"],
    "installed_wheel": lambda scratch: [sys.executable, str(ROOT / "tests" / "install_wheel.py"), str(scratch)],
}
_started: dict[str, tuple[Path, subprocess.Popen]] = {}


def _start(name: str) -> tuple[Path, subprocess.Popen]:
    scratch = Path(tempfile.mkdtemp(prefix=f"gradavg-{name}-"))
    process = subprocess.Popen(BACKGROUND[name](scratch), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    return scratch, process


def pytest_collection_finish(session):
    wanted = {name for item in session.items for name in getattr(item, "fixturenames", ()) if name in BACKGROUND}
    for name in sorted(wanted):
        _started[name] = _start(name)


def pytest_sessionfinish(session):
    for scratch, process in _started.values():  # never waited for (the test was deselected or failed early)
        process.kill()
        process.communicate()
        shutil.rmtree(scratch, ignore_errors=True)


@contextlib.contextmanager
def finished(name: str):
    """The background command ``name`` run to its end: (its completed process, its scratch folder), removed after."""
    scratch, process = _started.pop(name, None) or _start(name)
    try:
        stdout, stderr = process.communicate(timeout=1800)
        yield subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr), scratch
    finally:
        process.kill()
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="session")
def ledger_run() -> subprocess.CompletedProcess:
    """``python -m gradavg ledger --json`` run once for the session (started when the tests were collected)."""
    with finished("ledger_run") as (done, _):
        return done


@pytest.fixture(scope="session")
def installed_wheel() -> dict:
    """The steps of ``tests/install_wheel.py``, each with its command, exit status and output (started early)."""
    with finished("installed_wheel") as (done, scratch):
        assert done.returncode == 0, done.stderr
        yield {**json.loads((scratch / "report.json").read_text()), "scratch": str(scratch)}


#: a site that `make html` built strictly just before (`make test` sets it): the tests read it instead of building again
BUILT_SITE = "GRADAVG_BUILT_SITE"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The whole site built strictly into a temporary folder; the build must succeed.

    With ``GRADAVG_BUILT_SITE`` set (``make test`` and ``make test-browser`` set it to the
    site their ``make html`` step has just built with the same strict options), that site is
    used instead, provided the build command's stamp says its last build passed.
    """
    if prebuilt := os.environ.get(BUILT_SITE):
        site = Path(prebuilt).resolve()
        stamp = stamp_path(site)
        assert (site / "index.html").is_file() and stamp.is_file(), (
            f"{BUILT_SITE}={prebuilt}: no site whose last build passed there (no {stamp.name} beside it): run make html")
        return site
    out = tmp_path_factory.mktemp("site") / "html"
    build = sphinx_build(ROOT / "docs", out)
    assert build.returncode == 0, f"docs build failed:\n{build.stdout[-4000:]}\n{build.stderr[-8000:]}"
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def site_url(built_site):
    """The built site served on a free localhost port."""
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium via playwright; skips (or fails when required) without it."""
    required = os.environ.get("GRADAVG_REQUIRE_BROWSER") == "1"
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        message = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if required:
            pytest.fail(message + " and GRADAVG_REQUIRE_BROWSER=1")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield launched
        launched.close()
