"""The PDF edition (``make pdf``): every page, every claim with its verdict and evidence kind, every figure, the references.

The PDF is read with poppler's ``pdftotext`` and ``pdfimages`` (Debian's poppler-utils). Its text is compared
with what the site says once whitespace and hyphens are dropped: TeX breaks lines and hyphenates words where
it likes, and justified text comes out of the PDF with its spaces moved.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from pybtex.database import parse_file

from conftest import BUILT_SITE, ROOT
from gradavg import ledger
from gradavg.engine.claims import EVIDENCE
from gradavg.site.build import stamp_path
from gradavg.site.config import read_settings
from gradavg.site.statements import statements

pytestmark = pytest.mark.build

#: where make pdf leaves the PDF: the site's root, under the name conf.py declares (and every page links to)
PDF_NAME = read_settings(ROOT / "conf.py")[1]["pdf_edition"]
SITE = Path(os.environ.get(BUILT_SITE, ROOT / "_build" / "html"))
CLAIMS = {claim.id: claim for claim in ledger()}
#: typographic characters TeX and Sphinx's smart quotes put in place of what the source wrote
TYPOGRAPHY = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "--",
                            "\u2014": "---", "\u2212": "-", "\u00ad": ""})


def squashed(text: str) -> str:
    """``text`` as it is compared: ligatures and typographic quotes undone, whitespace and hyphens dropped."""
    return re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", text).translate(TYPOGRAPHY))


def pdf_problem(pdf: Path, site: Path) -> str | None:
    """Why ``pdf`` cannot be the PDF edition of the site built into ``site``: missing, or older than that build."""
    if not pdf.is_file():
        return f"no PDF edition at {pdf}: run make pdf"
    stamp = stamp_path(site)
    if stamp.is_file() and pdf.stat().st_mtime < stamp.stat().st_mtime:
        return f"{pdf} is older than the site's last build ({stamp}): run make pdf"
    return None


def poppler(tool: str, *arguments: str) -> str:
    """The output of one of poppler's command-line tools; the test fails, naming the package, without them."""
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is missing: apt-get install poppler-utils")
    return subprocess.run([tool, *arguments], check=True, capture_output=True, text=True, timeout=300).stdout


@pytest.fixture(scope="module")
def pdf() -> Path:
    path = SITE / PDF_NAME
    problem = pdf_problem(path, SITE)
    assert problem is None, problem
    return path


#: the A4 page's body, in points from its top left: without the running head (above) and foot (below), which
#: would otherwise sit between the lines of a box that a page break splits
BODY = ("-x", "0", "-y", "55", "-W", "596", "-H", "725")


@pytest.fixture(scope="module")
def text(pdf) -> str:
    return squashed(poppler("pdftotext", *BODY, str(pdf), "-"))


def test_a_missing_or_stale_pdf_is_refused_and_a_fresh_one_taken(tmp_path):
    site = tmp_path / "html"
    site.mkdir()
    pdf = site / PDF_NAME
    assert pdf_problem(pdf, site) == f"no PDF edition at {pdf}: run make pdf"
    pdf.write_bytes(b"%PDF")
    stamp = stamp_path(site)
    stamp.write_text("built")
    os.utime(pdf, (1_000_000, 1_000_000))
    os.utime(stamp, (1_000_001, 1_000_001))  # the site built a second after the PDF: stale
    assert "is older than the site's last build" in pdf_problem(pdf, site)
    os.utime(stamp, (1_000_000, 1_000_000))  # built the same instant: taken
    assert pdf_problem(pdf, site) is None


def test_squashing_drops_what_typesetting_moves_and_keeps_the_words():
    assert squashed("per-\nexample  gradient’s ﬁt") == squashed("perexample gradient's fit") == "perexamplegradient'sfit"
    assert squashed("holds") != squashed("fails")


def test_every_page_title_is_in_the_pdf(text):
    titles = [next(line[2:] for line in page.read_text().splitlines() if line.startswith("# "))
              for page in sorted((ROOT / "docs").glob("*.md"))]
    assert len(titles) >= 19
    missing = [title for title in titles if squashed(title) not in text]
    assert not missing, f"page titles missing from the PDF: {missing}"


def test_the_ledger_in_the_pdf_lists_every_claim(text):
    ledger_part = text[text.index(squashed("Claim and negative control")):]
    missing = [claim_id for claim_id in CLAIMS if squashed(claim_id + ":") not in ledger_part]
    assert not missing, f"claims missing from the PDF's proof ledger: {missing}"
    assert squashed(f"{len(CLAIMS)} claims; {len(CLAIMS)} hold") in text


def test_every_statement_box_is_followed_by_its_evidence_kind_and_both_verdicts(text):
    boxes = [statement for statement in statements(ROOT / "docs") if statement.label in CLAIMS]
    assert len(boxes) >= len(CLAIMS)
    for box in boxes:
        claim = CLAIMS[box.label]
        evidence_and_verdict = squashed(f"{EVIDENCE[claim.evidence]}: {claim.scope} Claim {claim.id}: holds.")
        assert evidence_and_verdict in text, f"{box.page}:{box.line}: no evidence kind and verdict for {claim.id}"
        control = squashed(f"Negative control ({claim.control}): rejected.")
        assert control in text, f"{box.page}:{box.line}: no rejected control for {claim.id}"
    assert text.count(squashed("Negative control (")) >= len(boxes)


def test_every_figure_of_the_site_is_embedded(pdf):
    rows = [line.split() for line in poppler("pdfimages", "-list", str(pdf)).splitlines()[2:]]  # after 2 header lines
    images = [row for row in rows if row[2] == "image"]  # not the transparency masks of the same figures
    figures = list((SITE / "_images").glob("*.png"))
    assert figures, f"no figures in {SITE / '_images'}"
    assert len(images) >= len(figures)


def test_the_bibliography_lists_every_reference(text):
    entries = parse_file(str(ROOT / "docs" / "references.bib")).entries
    assert len(entries) >= 20
    # the chapter at the end of the book, whose heading is set in capitals (the contents name it in lower case)
    bibliography = text[text.index("BIBLIOGRAPHY"):].casefold()
    missing = [key for key, entry in entries.items()  # the plain style sets titles in sentence case
               if squashed(re.sub(r"[{}]", "", entry.fields["title"])).casefold() not in bibliography]
    assert not missing, f"references missing from the PDF's bibliography: {missing}"
