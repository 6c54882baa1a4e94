"""Tests of gradavg.checks.ledger_report: the ledger's rows (as `gradavg ledger --json` prints them) and its table."""

import json

from gradavg.checks.ledger_report import exit_status, format_table, ledger_rows, not_run_reasons, run_ledger, summary_line
from gradavg.engine.claims import EVIDENCE, Claim, Verdict, ledger

KEYS = {"id", "statement", "method", "seconds", "holds", "evidence", "scope", "evidence_reached", "evidence_backed",
        "ok", "control", "control_rejected", "control_method", "control_seconds", "pages",
        "status", "needs"}


def test_ledger_run_prints_the_summary_line_on_stderr(ledger_run):
    rows = json.loads(ledger_run.stdout)
    assert ledger_run.stderr.splitlines()[-1] == f"{len(rows)} hold, 0 not run, 0 fail"


def test_ledger_json_lists_every_claim_with_its_pages(ledger_run):
    assert ledger_run.returncode == 0, ledger_run.stderr
    rows = json.loads(ledger_run.stdout)
    assert [r["id"] for r in rows] == [c.id for c in ledger()]
    for row in rows:
        assert set(row) == KEYS
        assert row["holds"] and row["control_rejected"] and row["evidence_backed"] and row["ok"]
        assert row["status"] == "holds" and row["needs"] is None
        assert row["evidence"] in EVIDENCE and row["scope"].strip()
        assert row["pages"], f"{row['id']} is used by no page"


def test_format_table_has_the_columns():
    table = format_table([{"id": "a.b", "evidence": "exhaustive", "evidence_backed": True, "method": "m",
                           "seconds": 0.5, "holds": True, "control_rejected": False}])
    assert table.splitlines()[0].split() == ["id", "evidence", "method", "seconds", "holds", "control", "rejected"]
    assert "NO" in table.splitlines()[2] and "exhaustive" in table.splitlines()[2]


JAX = "needs JAX: pip install 'gradavg[jax]'"


def unrun(claim_id, reason=JAX):
    return Claim(claim_id, "x = x", lambda: Verdict.not_run(reason), "x = 2x", lambda: Verdict.not_run(reason),
                 "proof", "every x")


def test_a_claim_not_run_has_its_status_and_reason_in_its_row_and_the_table():
    fine = Claim("a.fine", "x = x", lambda: Verdict(True, "by hand", evidence="proof"), "x = 2x",
                 lambda: Verdict(False, "by hand"), "proof", "every x")
    rows = ledger_rows(run_ledger(claims=[fine, unrun("a.jax")]))
    assert [(r["status"], r["needs"], r["ok"]) for r in rows] == [("holds", None, True), ("not run", JAX, False)]
    assert json.loads(json.dumps(rows)) == rows  # JSON-ready: the reason is text, its absence null
    table = format_table(rows).splitlines()
    assert table[2].split()[-2:] == ["yes", "yes"]
    jax = table[3]
    assert jax.endswith("not run  not run") and JAX in jax and "NOT proof" not in jax and " NO" not in jax
    # a claim that ran and failed still says NO
    failed = {**rows[0], "holds": False, "ok": False, "status": "fails"}
    assert format_table([failed]).splitlines()[2].split()[-2:] == ["NO", "yes"]


def test_reasons_are_grouped_most_frequent_first():
    rows = ledger_rows(run_ledger(claims=[unrun("t.one", "needs PyTorch"), unrun("j.one"), unrun("j.two")]))
    assert not_run_reasons(rows) == {JAX: 2, "needs PyTorch": 1}
    assert summary_line(rows) == f"0 hold, 3 not run (2 {JAX}; 1 needs PyTorch), 0 fail"
    assert exit_status(rows) == 3
    assert exit_status([*rows, {"status": "fails"}]) == 1 and exit_status([{"status": "holds"}]) == 0


def test_rows_written_before_rows_had_a_status_still_count():
    # a page's cached verdict may have no status: ok holds, anything else fails (never "not run")
    old = {"holds": True, "evidence_backed": True, "control_rejected": True}
    assert summary_line([old, {**old, "control_rejected": False}]) == "1 hold, 0 not run, 1 fail"
