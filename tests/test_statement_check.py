"""Tests of gradavg.site.sphinxext.statement_check: the library fingerprint."""

from gradavg.site.sphinxext.statement_check import library_fingerprint

LIBRARY = ("src", "derivations")


def test_library_fingerprint_changes_with_any_library_file(tmp_path):
    for folder in ("src", "derivations"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "m.py").write_text("x = 1\n")
    before = library_fingerprint(tmp_path, LIBRARY)
    (tmp_path / "derivations" / "m.py").write_text("x = 2\n")
    assert library_fingerprint(tmp_path, LIBRARY) != before
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "p.md").write_text("prose")
    after = library_fingerprint(tmp_path, LIBRARY)
    assert library_fingerprint(tmp_path, LIBRARY) == after
