import json

import pytest

from gradavg.engine.claims import Claim, Verdict, get, ledger, register
from gradavg.checks.cli import format_table, main
from gradavg.checks.pages import docs_dir, pages_by_claim, statements
from gradavg.site.sphinxext import library_fingerprint

KEYS = {"id", "statement", "method", "seconds", "holds", "control", "control_rejected", "control_method",
        "control_seconds", "pages"}


def test_ledger_json_lists_every_claim_with_its_pages(ledger_run):
    assert ledger_run.returncode == 0, ledger_run.stderr
    rows = json.loads(ledger_run.stdout)
    assert [r["id"] for r in rows] == [c.id for c in ledger()]
    for row in rows:
        assert set(row) == KEYS
        assert row["holds"] and row["control_rejected"]
        assert row["pages"], f"{row['id']} is used by no page"


def test_ledger_exits_1_when_a_claim_fails(monkeypatch, capsys):
    broken = Claim("zz.broken", "false", lambda: Verdict(False, "test"), "none", lambda: Verdict(False, "test"))
    monkeypatch.setattr("gradavg.checks.cli.ledger", lambda: [broken])
    assert main(["ledger", "--quiet"]) == 1
    assert "zz.broken" in capsys.readouterr().out


def test_format_table_has_the_columns():
    table = format_table([{"id": "a.b", "method": "m", "seconds": 0.5, "holds": True, "control_rejected": False}])
    assert table.splitlines()[0].split() == ["id", "method", "seconds", "holds", "control", "rejected"]
    assert "NO" in table.splitlines()[2]


def test_registry_refuses_a_second_claim_with_the_same_id():
    existing = ledger()[0]
    impostor = Claim(existing.id, "x", existing.check, "y", existing.control_check)
    with pytest.raises(ValueError, match="registered twice"):
        register(impostor)
    with pytest.raises(KeyError, match="known"):
        get("no.such-claim")


def test_statements_find_labels(tmp_path):
    (tmp_path / "page.md").write_text(
        "```{prf:theorem} A\n:label: a.one\n:nonumber:\n\nText\n```\n\n"
        "```{prf:proposition}\n\nNo label\n```\n\n```{prf:definition} Not numbered\n:label: d\n```\n"
    )
    found = statements(tmp_path)
    assert [(s.kind, s.label, s.line) for s in found] == [("theorem", "a.one", 1), ("proposition", None, 8)]
    assert pages_by_claim(tmp_path) == {"a.one": ["page"]}
    assert (docs_dir() / "index.md").is_file()


def test_library_fingerprint_changes_with_any_library_file(tmp_path):
    for folder in ("src", "derivations"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "m.py").write_text("x = 1\n")
    before = library_fingerprint(tmp_path)
    (tmp_path / "derivations" / "m.py").write_text("x = 2\n")
    assert library_fingerprint(tmp_path) != before
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "p.md").write_text("prose")
    after = library_fingerprint(tmp_path)
    assert library_fingerprint(tmp_path) == after
