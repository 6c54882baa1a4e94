"""Tests of gradavg.site.sphinxext.state: the environment version that makes Sphinx read every page again."""

import shutil

from gradavg.site.sphinxext import state


def test_the_environment_version_changes_with_any_source_of_the_site_package(tmp_path, monkeypatch):
    copy = tmp_path / "site"
    shutil.copytree(state.SITE_PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(state, "SITE_PACKAGE", copy)
    before = state.environment_version()
    assert before == state.environment_version()
    html_fixes = copy / "sphinxext" / "html_fixes.py"
    html_fixes.write_text(html_fixes.read_text() + "\n# an edit\n")
    assert state.environment_version() != before


def test_the_environment_version_changes_with_the_shape_of_the_state(monkeypatch):
    before = state.environment_version()
    monkeypatch.setattr(state, "STATE_SHAPE", state.STATE_SHAPE + 1)
    assert state.environment_version() != before
