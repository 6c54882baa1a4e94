"""Tests of gradavg.site.reproducible: the comparison of two built sites (the two clean builds are in test_build.py)."""

import pytest

from gradavg.site.reproducible import differing_files


@pytest.mark.build
def test_the_comparison_sees_a_changed_byte(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for root, text in ((first, "<p>0.048 s</p>"), (second, "<p>0.051 s</p>")):
        (root / ".doctrees").mkdir(parents=True)
        (root / "page.html").write_text(text)
        (root / ".doctrees" / "page.doctree").write_text(text)
    assert differing_files(first, second) == ["page.html"]
