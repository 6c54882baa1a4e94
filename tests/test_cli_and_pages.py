import json
from pathlib import Path

import pytest

from gradavg.engine.claims import EVIDENCE, Claim, Verdict, get, ledger, register
from gradavg.checks.ledger_report import format_table
from gradavg.cli import main
from gradavg.site.sphinxext.statement_check import library_fingerprint
from gradavg.site.statements import overstated, pages_by_claim, statements

DOCS = Path(__file__).resolve().parents[1] / "docs"
LIBRARY = ("src", "derivations")

KEYS = {"id", "statement", "method", "seconds", "holds", "evidence", "scope", "evidence_reached", "evidence_backed",
        "ok", "control", "control_rejected", "control_method", "control_seconds", "pages"}


def test_ledger_json_lists_every_claim_with_its_pages(ledger_run):
    assert ledger_run.returncode == 0, ledger_run.stderr
    rows = json.loads(ledger_run.stdout)
    assert [r["id"] for r in rows] == [c.id for c in ledger()]
    for row in rows:
        assert set(row) == KEYS
        assert row["holds"] and row["control_rejected"] and row["evidence_backed"] and row["ok"]
        assert row["evidence"] in EVIDENCE and row["scope"].strip()
        assert row["pages"], f"{row['id']} is used by no page"


def test_ledger_exits_1_when_a_claim_fails(monkeypatch, capsys):
    broken = Claim("zz.broken", "false", lambda: Verdict(False, "test"), "none", lambda: Verdict(False, "test"),
                   "proof", "all")
    monkeypatch.setattr("gradavg.checks.ledger_report.ledger", lambda: [broken])
    assert main(["ledger", "--quiet"]) == 1
    assert "zz.broken" in capsys.readouterr().out


def sampled(evidence):
    return lambda: Verdict(True, "agrees at 3 points", evidence=evidence)


def test_a_claim_whose_check_falls_short_of_its_evidence_is_not_ok(monkeypatch, capsys):
    overstated = Claim("zz.over", "x = x", sampled("sampled"), "x = 2x", lambda: Verdict(False, "t"), "proof", "every x")
    result = overstated.run()
    assert result.verdict.holds and result.control_rejected and not result.evidence_backed and not result.ok
    monkeypatch.setattr("gradavg.checks.ledger_report.ledger", lambda: [overstated])
    assert main(["ledger", "--quiet"]) == 1
    assert "NOT proof" in capsys.readouterr().out
    # the same check backs the kind it reaches, and a check that names no evidence backs nothing
    assert Claim("zz.fair", "x = x", sampled("sampled"), "x = 2x", lambda: Verdict(False, "t"), "sampled",
                 "3 points").run().ok
    assert not Claim("zz.mute", "x = x", sampled(None), "x = 2x", lambda: Verdict(False, "t"), "sampled",
                     "3 points").run().ok


def test_a_claim_needs_a_known_evidence_kind_and_a_scope():
    check, control = sampled("proof"), lambda: Verdict(False, "t")
    with pytest.raises(ValueError, match="needs an evidence kind"):
        Claim("zz.none", "x = x", check, "c", control)
    with pytest.raises(ValueError, match="needs an evidence kind"):
        Claim("zz.typo", "x = x", check, "c", control, "proved", "all")
    with pytest.raises(ValueError, match="needs a scope"):
        Claim("zz.vague", "x = x", check, "c", control, "proof", "  ")
    with pytest.raises(ValueError, match="unknown evidence kind"):
        Verdict(True, "m", evidence="probably")


def test_every_numbered_statement_rests_on_proof_or_exhaustive_evidence():
    claims = {c.id: c for c in ledger()}
    found = [s for s in statements(DOCS) if s.label in claims]
    assert {s.kind for s in found} >= {"theorem", "proposition"}
    problems = [f"{s.path.name}:{s.line} {s.kind} {s.label}: {why}" for s in found
                if (why := overstated(s, claims[s.label].evidence))]
    assert problems == []


def test_the_rule_refuses_weak_evidence_under_a_numbered_statement_only(tmp_path):
    (tmp_path / "p.md").write_text("```{prf:lemma} L\n:label: a.b\n```\n\n```{prf:observation} O\n:label: a.c\n```\n")
    lemma, observation = statements(tmp_path)
    assert (lemma.kind, observation.kind) == ("lemma", "observation")
    assert overstated(lemma, "float-bound") and overstated(lemma, "sampled")
    assert overstated(lemma, "exhaustive") is None and overstated(lemma, "proof") is None
    assert overstated(observation, "sampled") is None


def test_format_table_has_the_columns():
    table = format_table([{"id": "a.b", "evidence": "exhaustive", "evidence_backed": True, "method": "m",
                           "seconds": 0.5, "holds": True, "control_rejected": False}])
    assert table.splitlines()[0].split() == ["id", "evidence", "method", "seconds", "holds", "control", "rejected"]
    assert "NO" in table.splitlines()[2] and "exhaustive" in table.splitlines()[2]


def test_registry_refuses_a_second_claim_with_the_same_id():
    existing = ledger()[0]
    impostor = Claim(existing.id, "x", existing.check, "y", existing.control_check, "proof", "all")
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
