"""Tests of gradavg.site.ledger_view: the ledger's totals."""

from gradavg.site.ledger_view import ledger_totals


def test_ledger_totals_count_each_kind_and_a_claim_short_of_its_evidence():
    rows = [{"holds": True, "control_rejected": True, "seconds": 1.0, "evidence": "proof", "evidence_backed": False},
            {"holds": True, "control_rejected": True, "seconds": 0.5, "evidence": "exhaustive", "evidence_backed": True}]
    totals = ledger_totals(rows)
    assert totals["evidence"] == {"proof": 1, "exhaustive": 1, "float-bound": 0, "sampled": 0}
    assert totals["backed"] == 1 and not totals["all_ok"]
    assert ledger_totals(rows[1:])["all_ok"]
