"""The strict docs build: it succeeds on the real pages and fails, naming the page, on bad ones."""

import shutil
from pathlib import Path

import pytest

from conftest import NOTEBOOK_FRONT_MATTER, ROOT, sphinx_build
from gradavg.engine.claims import ledger

pytestmark = pytest.mark.build

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


def test_a_formula_katex_cannot_render_fails_the_build(bad_build):
    log, _ = bad_build
    assert "bad_math" in log and "KaTeX" in log


def test_an_error_printed_after_a_cell_fails_the_build(bad_build):
    log, _ = bad_build
    assert "bad_callback.md" in log and "a cell printed an error" in log
