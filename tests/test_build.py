"""The whole site: the strict docs build (it succeeds on the real pages and fails, naming the page, on bad ones) and what the built site holds."""

import html
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from conftest import NOTEBOOK_FRONT_MATTER, ROOT, sphinx_build
from gradavg.engine.claims import ledger
from gradavg.site.config import read_settings
from gradavg.site.ledger_view import ledger_totals
from gradavg.site.reproducible import differing_files

pytestmark = pytest.mark.build

DOCS = ROOT / "docs"

FRONT_MATTER = NOTEBOOK_FRONT_MATTER.replace("---\n", "---\norphan: true\n", 1)


def page(title: str, code: str) -> str:
    return f"{FRONT_MATTER}# {title}\n\n```{{code-cell}} ipython3\n{code}\n```\n"


def test_site_builds_with_every_claim_shown(built_site):
    assert (built_site / "index.html").is_file()
    linearity = (built_site / "linearity.html").read_text()
    assert "linearity.general-n" in linearity and "gradavg-verdict gradavg-ok" in linearity
    assert "gradavg-bad" not in linearity


@pytest.fixture
def docs_copy(tmp_path) -> Path:
    """A copy of docs/ to add bad pages to (its good pages hit the execution cache)."""
    copy = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", copy)
    return copy


def test_a_failing_cell_fails_the_build_with_page_and_traceback(docs_copy, tmp_path):
    (docs_copy / "bad_raise.md").write_text(page("Raises", "numerator = 1\nnumerator / 0"))
    build = sphinx_build(docs_copy, tmp_path / "out")
    log = build.stdout + build.stderr
    assert build.returncode != 0
    assert "bad_raise" in log and "ZeroDivisionError" in log


@pytest.fixture(scope="module")
def bad_build(tmp_path_factory) -> tuple[str, dict]:
    """One strict build of a docs copy holding every kind of bad page that warns (one build, not one per kind).

    Returns the build's log and the line numbers where statements were appended.
    """
    tmp_path = tmp_path_factory.mktemp("bad")
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    (docs / "bad_stderr.md").write_text(page("Stderr", "import sys\nprint('oops', file=sys.stderr)"))
    (docs / "bad_warning.md").write_text(page("Warning", "import warnings\nwarnings.warn('careful now')"))
    (docs / "bad_math.md").write_text("---\norphan: true\n---\n\n# Bad math\n\nA broken fraction $\\frac{1}{$.\n")
    # the cell itself succeeds; drawing its figure afterwards fails and IPython only prints the traceback
    code = "import matplotlib.pyplot as plt\nplt.figure()\nplt.ylabel(r'$\\\\notasymbol$')"
    (docs / "bad_callback.md").write_text(page("Callback", code))
    linearity = docs / "linearity.md"
    linearity.write_text(linearity.read_text().replace(":label: linearity.general-n\n", ""))
    references = docs / "references.md"
    lines = {"references": references.read_text().count("\n")}
    references.write_text(references.read_text() + "\n```{prf:theorem} Made up\n:label: no.such-claim\n\nFalse.\n```\n")
    # the rule's negative control: a theorem backed by sampled evidence (the same claim as an observation passes)
    sampled = next(c for c in ledger() if c.evidence == "sampled")
    glossary = docs / "glossary.md"
    lines["glossary"] = glossary.read_text().count("\n")
    glossary.write_text(glossary.read_text() + f"\n```{{prf:theorem}} Overstated\n:label: {sampled.id}\n\nSo.\n```\n"
                        f"\n```{{prf:observation}} Labelled\n:label: {sampled.id}\n\nSo.\n```\n")
    # exercises: a solution before any exercise, an exercise with no solution, an answer box on a claim with no
    # answer, and a solution that does not show its claim's verdict
    (docs / "bad_exercises.md").write_text(
        "---\norphan: true\n---\n\n# Bad exercises\n\n:::{solution}\n:label: linearity.sum-rule\n\nEarly.\n:::\n\n"
        ":::{exercise} Alone\n\nNo solution follows.\n:::\n\n"
        ":::{exercise} Unanswerable\n:answer: linearity.sum-rule\n\nNo answer.\n:::\n\n"
        ":::{solution}\n:label: linearity.sum-rule\n\nShows nothing.\n:::\n")
    build = sphinx_build(docs, tmp_path / "out")
    assert build.returncode != 0
    return build.stdout + build.stderr, lines


def test_stderr_and_warnings_fail_the_build_naming_the_page(bad_build):
    log, _ = bad_build
    assert "bad_stderr.md" in log and "bad_warning.md" in log
    assert log.count("stderr was found in the cell outputs") == 2


def test_statements_must_name_known_claims_rest_on_their_evidence_and_claims_must_be_used(bad_build):
    log, lines = bad_build
    assert f"references.md:{lines['references'] + 2}: WARNING: numbered theorem names unknown claim 'no.such-claim'" in log
    assert "linearity.md" in log and "numbered theorem names no claim" in log
    assert "claim 'linearity.general-n' is used by no page" in log
    assert f"glossary.md:{lines['glossary'] + 2}: WARNING: a theorem rests on sampled evidence" in log
    assert log.count("rests on sampled evidence") == 1, "the observation must pass"


def test_exercises_without_solutions_or_checked_claims_fail_the_build(bad_build):
    log, _ = bad_build
    assert "bad_exercises.md:7: ERROR: a solution must follow its {exercise}" in log
    assert "bad_exercises.md:13: WARNING: exercise 1 has no {solution}" in log
    assert "ERROR: exercise 2: claim 'linearity.sum-rule' has no answer for an answer box" in log
    assert "WARNING: the solution of exercise 2 does not show the verdict of its claim 'linearity.sum-rule'" in log


def test_a_formula_katex_cannot_render_fails_the_build(bad_build):
    log, _ = bad_build
    assert "bad_math" in log and "KaTeX" in log


def test_an_error_printed_after_a_cell_fails_the_build(bad_build):
    log, _ = bad_build
    assert "bad_callback.md" in log and "a cell printed an error" in log


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])


def parse(path):
    links = _Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


def test_every_internal_link_resolves(built_site):
    pages = {p: parse(p) for p in built_site.rglob("*.html") if "_static" not in p.parts}
    broken = []
    for path, links in pages.items():
        for href in links.hrefs:
            url = urlparse(href)
            if url.scheme or url.netloc or href.startswith(("mailto:", "javascript:")):
                continue
            target = (path.parent / unquote(url.path)).resolve() if url.path else path
            if not target.exists():
                broken.append(f"{path.relative_to(built_site)}: {href} (no such file)")
            elif url.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if unquote(url.fragment) not in ids:
                    broken.append(f"{path.relative_to(built_site)}: {href} (no such anchor)")
    assert not broken, "\n".join(broken[:30])

PAGES = ("linearity", "parameter-space")


def start_clean_build(tmp_path, name: str) -> tuple[subprocess.Popen, object]:
    """Start building copies of the chosen pages with an empty execution cache; return the process and output folder."""
    source = tmp_path / f"{name}-docs"
    source.mkdir()
    for page in PAGES:
        shutil.copy(ROOT / "docs" / f"{page}.md", source)
    shutil.copytree(ROOT / "docs" / "_static", source / "_static")
    (source / "index.md").write_text("# Reproducibility check\n\n```{toctree}\n" + "\n".join(PAGES) + "\n```\n")
    out = tmp_path / f"{name}-html"
    cache = tmp_path / f"{name}-cache" / ("0" * 16)
    # not -W: this subset of pages leaves most claims unused and glossary terms unresolved, by design
    build = subprocess.Popen([sys.executable, "-m", "sphinx", "-b", "html", "-c", str(ROOT), "-Q",
                              "-D", f"nb_execution_cache_path={cache}", str(source), str(out)],
                             cwd=ROOT, env={**os.environ, "SOURCE_DATE_EPOCH": "1767225600"},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return build, out


def test_two_clean_builds_are_byte_identical(tmp_path):
    builds = [start_clean_build(tmp_path, name) for name in ("first", "second")]  # one per core
    for build, _ in builds:
        _, errors = build.communicate(timeout=900)
        assert build.returncode == 0, errors[-4000:]
    (_, first), (_, second) = builds
    figures = list((first / "_images").glob("*.png"))
    assert len(figures) >= 3, f"expected the pages' figures, got {figures}"
    assert differing_files(first, second) == []


@pytest.mark.build
def test_ledger_page_totals_match_the_cli(built_site, ledger_run):
    rows = json.loads(ledger_run.stdout)
    totals = ledger_totals(rows)
    text = re.sub(r"<[^>]+>", "", (built_site / "ledger.html").read_text())
    line = re.search(r"(\d+) claims; (\d+) hold; (\d+) with the evidence they declare; (\d+)\s+negative controls "
                     r"rejected", text)
    assert line, "the ledger page has no totals line"
    assert tuple(map(int, line.groups())) == (totals["claims"], totals["holding"], totals["backed"],
                                              totals["controls_rejected"])
    for kind, count in totals["evidence"].items():
        assert f"{kind}: {count} (" in text, f"the ledger page does not count the {kind} claims"
    for row in rows:
        assert row["id"] in text


@pytest.mark.build
def test_every_page_offers_its_source_for_download(built_site):
    sources = sorted(DOCS.rglob("*.md"))
    assert "api/engine.md" in {source.relative_to(DOCS).as_posix() for source in sources}  # pages in folders too
    for source in sources:
        name = source.relative_to(DOCS)
        html = (built_site / name.with_suffix(".html")).read_text()
        to_root = "../" * (len(name.parts) - 1)
        assert f'href="{to_root}_sources/{name.as_posix()}"' in html, f"{name}: no download link to its source"
        assert (built_site / "_sources" / name).read_text() == source.read_text()


@pytest.mark.build
def test_pages_with_formulas_preload_the_math_fonts_and_only_they(built_site):
    from gradavg.site.sphinxext.html_fixes import MATH_FONTS
    for page in built_site.glob("*.html"):
        text = page.read_text()
        preloaded = re.findall(r'<link rel="preload" href="([^"]+)" as="font"', text)
        if 'class="katex"' in text:
            assert [Path(href).stem for href in preloaded] == list(MATH_FONTS), page.name
            assert all((built_site / href).is_file() for href in preloaded), (page.name, preloaded)
        else:
            assert preloaded == [], page.name


@pytest.mark.build
def test_no_page_asks_search_engines_to_leave_it_out(built_site):
    """The theme marks its search page noindex (docs/_templates/search.html takes that out): every page may be indexed."""
    hidden = [page.name for page in built_site.rglob("*.html") if not {"_static", "_sources"} & set(page.parts)
              and re.search(r'<meta name="robots" content="[^"]*noindex', page.read_text())]
    assert (built_site / "search.html").is_file() and hidden == []


@pytest.mark.build
def test_every_page_links_to_the_pdf_edition(built_site):
    """The downloads at the top of every page name one PDF, in the site's root (where `make pdf` puts it)."""
    # a page in a folder (api/) links up to the root: each link is read as the site path it resolves to
    links = {page.relative_to(built_site).as_posix():
             [(page.parent / href).resolve().relative_to(built_site.resolve()).as_posix()
              for href in re.findall(r'class="gradavg-downloads".*?href="([^"]+\.pdf)"', page.read_text(), re.S)]
             for page in built_site.rglob("*.html")}
    assert "api/engine.html" in links and all(links.values()), f"pages without a link to the PDF edition: {links}"
    assert {tuple(found) for found in links.values()} == {(read_settings(ROOT / "conf.py")[1]["pdf_edition"],)}, links


@pytest.mark.build
def test_every_executed_page_offers_its_notebook(built_site):
    for source in DOCS.glob("*.md"):
        if "kernelspec:" not in source.read_text():
            continue
        html = (built_site / f"{source.stem}.html").read_text()
        assert f'href="_sources/{source.stem}.ipynb"' in html, f"{source.name}: no .ipynb download"
        notebook = json.loads((built_site / "_sources" / f"{source.stem}.ipynb").read_text())
        assert any(cell.get("outputs") for cell in notebook["cells"] if cell["cell_type"] == "code")


NU_CHECKER = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
#: a page the checker must reject (two elements with one id), checked beside the site to show it would see an error
REJECTED_PAGE = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Bad</title></head>'
                 '<body><p id="twice">a</p><p id="twice">b</p></body></html>')


def nu_checker_errors(pages: list[Path]) -> list[dict]:
    """The Nu HTML checker's errors on ``pages``, each with its ``url``, ``lastLine`` and ``message``."""
    java = shutil.which("java")
    assert java, "no java to run the Nu HTML checker (npm vnu-jar): apt-get install default-jre-headless"
    assert NU_CHECKER.is_file(), f"no Nu HTML checker at {NU_CHECKER}: run npm ci"
    # a short run gains nothing from the JIT's second tier (C1 alone halves the CPU time); C1's larger frames need
    # a larger stack for the schema's deep recursion than the default, which overflows
    checker = subprocess.run([java, "-Xss16m", "-XX:TieredStopAtLevel=1", "-jar", str(NU_CHECKER), "--errors-only",
                              "--format", "json", *map(str, pages)], capture_output=True, text=True, timeout=600)
    try:
        return json.loads(checker.stderr)["messages"]  # the checker writes its report to stderr
    except json.JSONDecodeError:
        pytest.fail(f"the Nu HTML checker gave no report (exit {checker.returncode}):\n{checker.stderr[-3000:]}")


def test_every_page_passes_the_nu_html_checker(built_site, tmp_path):
    pages = sorted(built_site.rglob("*.html"))
    rejected = tmp_path / "rejected.html"
    rejected.write_text(REJECTED_PAGE, encoding="utf-8")
    errors = nu_checker_errors([*pages, rejected])
    assert [error["message"] for error in errors if error["url"].endswith("/rejected.html")] == [
        "Duplicate ID “twice”."], "the checker did not see the error of a page it must reject"
    on_site = [f"{unquote(urlparse(error['url']).path).removeprefix(str(built_site) + '/')}:{error.get('lastLine')}: "
               f"{error['message']}" for error in errors if not error["url"].endswith("/rejected.html")]
    assert len(pages) > 20 and not on_site, f"{len(on_site)} errors from the Nu HTML checker:\n" + "\n".join(on_site)


def test_every_page_has_one_meta_description_of_at_most_160_characters(built_site):
    descriptions = {page.relative_to(built_site).as_posix(): re.findall(r'<meta name="description" content="([^"]*)"', page.read_text(encoding="utf-8"))
                    for page in built_site.rglob("*.html")}
    wrong = {name: found for name, found in descriptions.items()
             if len(found) != 1 or not found[0].strip() or len(html.unescape(found[0])) > 160}
    assert len(descriptions) > 20 and not wrong, wrong
    assert html.unescape(descriptions["index.html"][0]).startswith("Minibatch and full-batch gradient descent")
