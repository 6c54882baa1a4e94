"""The pure parts of benchmarks/lighthouse.py: its static host, the reading of a Lighthouse report, the goals."""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import urllib.error
import urllib.request

import pytest

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("lighthouse_benchmark", ROOT / "benchmarks" / "lighthouse.py")
lighthouse = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lighthouse)


def report(scores: dict, audits: dict, weights: dict | None = None) -> dict:
    """A Lighthouse report with these category scores (0-1) and audits; each category refers to every audit,
    with its weight in ``weights`` (0 if not there)."""
    return {"categories": {name: {"score": score, "auditRefs": [{"id": audit, "weight": (weights or {}).get(audit, 0)}
                                                                for audit in audits]}
                           for name, score in scores.items()},
            "audits": audits}


def test_text_and_webassembly_are_gzipped_fonts_and_images_are_not():
    assert all(lighthouse.compressible(s) for s in (".html", ".css", ".js", ".mjs", ".json", ".svg", ".txt", ".wasm", ".HTML"))
    assert not any(lighthouse.compressible(s) for s in (".woff2", ".png", ".zip", ".whl", ""))


def test_assets_are_cached_for_a_year_and_pages_revalidated():
    assert lighthouse.cache_control("/_static/katex/katex.min.css") == "public, max-age=31536000"
    assert lighthouse.cache_control("/_images/figure.png") == "public, max-age=31536000"
    for path in ("/index.html", "/", "/_sources/index.md.txt", "/_static_copy/x.css", "/searchindex.js"):
        assert lighthouse.cache_control(path) == "no-cache", path


@pytest.fixture
def host(tmp_path):
    """The benchmark's static host on a small site: a page, a module, a font."""
    (tmp_path / "_static").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>t</title>" + "<p>text</p>" * 100)
    (tmp_path / "_static" / "app.mjs").write_text("export const x = 1;\n" * 100)
    (tmp_path / "_static" / "font.woff2").write_bytes(b"wOF2" + bytes(200))
    server = lighthouse.serve(tmp_path)
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def fetch(url: str, encoding: str | None) -> tuple[dict, bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding} if encoding else {})
    with urllib.request.urlopen(request) as response:
        return dict(response.headers), response.read()


def test_the_host_gzips_what_compresses_for_clients_that_accept_it(host):
    site, base = host
    headers, body = fetch(base + "_static/app.mjs", "gzip, br")
    assert headers["Content-Encoding"] == "gzip" and headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert gzip.decompress(body) == (site / "_static" / "app.mjs").read_bytes()
    assert headers["Cache-Control"] == "public, max-age=31536000" and headers["Vary"] == "Accept-Encoding"
    headers, body = fetch(base + "_static/app.mjs", None)
    assert "Content-Encoding" not in headers and body == (site / "_static" / "app.mjs").read_bytes()
    headers, body = fetch(base, "gzip")
    assert headers["Content-Type"] == "text/html; charset=utf-8" and headers["Cache-Control"] == "no-cache"
    assert gzip.decompress(body) == (site / "index.html").read_bytes()
    headers, body = fetch(base + "_static/font.woff2", "gzip")
    assert "Content-Encoding" not in headers and headers["Content-Type"] == "font/woff2"
    assert body == (site / "_static" / "font.woff2").read_bytes()
    with pytest.raises(urllib.error.HTTPError, match="404"):
        fetch(base + "missing.html", "gzip")


def test_a_report_becomes_a_row_of_figures():
    audits = {"largest-contentful-paint": {"numericValue": 2290.0, "score": 0.8},
              "cumulative-layout-shift": {"numericValue": 0.013, "score": 1},
              "total-blocking-time": {"numericValue": 40.0, "score": 1},
              "total-byte-weight": {"numericValue": 204800.0, "score": 1}}
    row = lighthouse.row_from_report(report({"performance": 0.895, "accessibility": 1, "best-practices": None,
                                             "seo": 0.91}, audits))
    assert row == {"performance": 90, "accessibility": 100, "best-practices": None, "seo": 91,
                   "lcp": 2.29, "cls": 0.013, "tbt": 40.0, "kib": 200.0}
    assert lighthouse.row_from_report(report(dict.fromkeys(lighthouse.CATEGORIES, 1), {}))["lcp"] is None


def test_failing_audits_are_those_the_report_shows_as_failed_or_that_leave_the_score_out():
    audits = {"meta-description": {"score": 0}, "almost": {"score": 0.89}, "just-passed": {"score": 0.9},
              "passed": {"score": 1}, "informative": {"score": None, "scoreDisplayMode": "informative"},
              "speed-index": {"score": None, "scoreDisplayMode": "error", "errorMessage": "no frames"},
              "layout-shifts": {"score": None, "scoreDisplayMode": "error", "errorMessage": "frame_sequence"}}
    assert lighthouse.failing_audits(report({"performance": None}, audits, {"speed-index": 10}), "performance") == \
        ["meta-description", "almost", "speed-index (error)"]
    assert lighthouse.errored_audits(report({}, audits)) == {"speed-index": "no frames", "layout-shifts": "frame_sequence"}


def test_the_median_row_takes_each_figure_over_the_runs_that_gave_it():
    rows = [{"performance": 88, "cls": None}, {"performance": 95, "cls": 0.01}, {"performance": 91, "cls": 0.03}]
    assert lighthouse.median_row(rows) == {"performance": 91, "cls": 0.02}
    assert lighthouse.median_row([{"cls": None}]) == {"cls": None}


def row(**changes) -> dict:
    """A row that meets every goal at its limit, with ``changes``."""
    return {"performance": 90, "accessibility": 100, "best-practices": 100, "seo": 100,
            "cls": 0.02, "growth": 5.0, **changes}


def test_the_goals_are_met_at_their_limits_and_missed_just_past_them():
    assert lighthouse.missed_goals(row()) == []
    assert lighthouse.missed_goals(row(performance=89)) == ["performance"]
    assert lighthouse.missed_goals(row(accessibility=99, seo=99)) == ["accessibility", "seo"]
    assert lighthouse.missed_goals(row(**{"best-practices": 99})) == ["best-practices"]
    assert lighthouse.missed_goals(row(cls=0.0201)) == ["cls"]
    assert lighthouse.missed_goals(row(growth=5.01)) == ["growth"]
    assert lighthouse.missed_goals(row(performance=None, cls=None, growth=None)) == ["performance", "cls", "growth"]


def test_runs_are_at_least_one():
    assert lighthouse.run_count("1") == 1
    with pytest.raises(argparse.ArgumentTypeError):
        lighthouse.run_count("0")


def test_pages_are_every_page_in_folders_too_or_those_named(tmp_path):
    for name in ("index.html", "live.html", "api.html", "api/engine.html", "_static/inner.html",
                 "_static/deep/deeper.html"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert lighthouse.page_names(tmp_path, None) == ["api.html", "api/engine.html", "index.html", "live.html"]
    assert lighthouse.page_names(tmp_path, "live,api/engine.html,index") == ["live.html", "api/engine.html", "index.html"]
    with pytest.raises(SystemExit, match="inner.html"):
        lighthouse.page_names(tmp_path, "index,inner")
    with pytest.raises(SystemExit, match="_static/inner.html"):
        lighthouse.page_names(tmp_path, "_static/inner")


@pytest.mark.browser
def test_scrolling_to_the_bottom_sees_a_page_that_grows_and_what_shifts(tmp_path, browser):
    steady = "<!doctype html><body style='margin:0'><div style='height:3000px'></div></body>"
    # the last box, once scrolled into view, adds 1500 px below it: 4500 px for a 3000 px page, 50 % growth;
    # nothing above it moves
    growing = steady.replace("</body>", "<div id=end style='height:10px'></div><script>"
                             "new IntersectionObserver(([e], o) => { if (e.isIntersecting) { o.disconnect();"
                             " document.body.insertAdjacentHTML('beforeend', '<div style=\"height:1500px\"></div>'); } })"
                             ".observe(document.getElementById('end'));</script></body>")
    # a banner inserted above the text two frames after load pushes the text down (the page fits the viewport);
    # the text node and its paragraph are both named by the paragraph
    shifting = ("<!doctype html><body style='margin:0'><p id=text class='lead wide more' style='margin:0'>text</p><script>"
                "addEventListener('load', () => requestAnimationFrame(() => requestAnimationFrame(() =>"
                " document.body.insertAdjacentHTML('afterbegin', '<div style=\"height:300px\"></div>'))))"
                "</script></body>")
    for name, html in (("steady", steady), ("growing", growing), ("shifting", shifting)):
        (tmp_path / f"{name}.html").write_text(html)
    server = lighthouse.serve(tmp_path)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        assert lighthouse.scroll_to_the_bottom(browser, base + "steady.html") == (0, [])
        growth, shifted = lighthouse.scroll_to_the_bottom(browser, base + "growing.html")
        assert growth == pytest.approx(100 * 1500 / 3010) and shifted == []
        _, shifted = lighthouse.scroll_to_the_bottom(browser, base + "shifting.html")
        assert [element for element, _ in shifted] == ["p#text.lead.wide"] and shifted[0][1] > 0
    finally:
        server.shutdown()
