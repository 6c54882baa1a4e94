"""Tests of gradavg.checks.ledger_report: the ledger's rows (as `gradavg ledger --json` prints them) and its table."""

import json

from gradavg.checks.ledger_report import format_table
from gradavg.engine.claims import EVIDENCE, ledger

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


def test_format_table_has_the_columns():
    table = format_table([{"id": "a.b", "evidence": "exhaustive", "evidence_backed": True, "method": "m",
                           "seconds": 0.5, "holds": True, "control_rejected": False}])
    assert table.splitlines()[0].split() == ["id", "evidence", "method", "seconds", "holds", "control", "rejected"]
    assert "NO" in table.splitlines()[2] and "exhaustive" in table.splitlines()[2]
