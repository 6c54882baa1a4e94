"""Two clean builds from the same sources give the same bytes: HTML, figures and notebooks."""

import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from gradavg.site.reproducible import differing_files

pytestmark = pytest.mark.build

#: pages with figures, built on their own (with an index that lists them) to keep the test short
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


def test_the_comparison_sees_a_changed_byte(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for root, text in ((first, "<p>0.048 s</p>"), (second, "<p>0.051 s</p>")):
        (root / ".doctrees").mkdir(parents=True)
        (root / "page.html").write_text(text)
        (root / ".doctrees" / "page.doctree").write_text(text)
    assert differing_files(first, second) == ["page.html"]
