"""Tests of gradavg.site.ledger_view: the ledger's totals."""

from docutils import nodes

from gradavg.engine.claims import Claim, Verdict
from gradavg.site.display import ClaimReport
from gradavg.site.ledger_view import ledger_totals
from gradavg.site.sphinxext.ledger import _not_run, _status


def test_ledger_totals_count_each_kind_and_a_claim_short_of_its_evidence():
    rows = [{"holds": True, "control_rejected": True, "seconds": 1.0, "evidence": "proof", "evidence_backed": False},
            {"holds": True, "control_rejected": True, "seconds": 0.5, "evidence": "exhaustive", "evidence_backed": True}]
    totals = ledger_totals(rows)
    assert totals["evidence"] == {"proof": 1, "exhaustive": 1, "float-bound": 0, "sampled": 0}
    assert totals["backed"] == 1 and not totals["all_ok"]
    assert ledger_totals(rows[1:])["all_ok"]


JAX = "needs JAX: pip install 'gradavg[jax]'"


def page_row(check, control):
    """A row as a page's verdict gives it to the ledger page."""
    return ClaimReport(Claim("zz.row", "x = x", check, "x = 2x", control, "proof", "all").run()).verdict_row()


def test_a_claim_not_run_is_counted_apart_and_its_status_cell_says_why():
    proved, wrong = (lambda: Verdict(True, "by hand", evidence="proof")), (lambda: Verdict(False, "by hand"))
    missing = lambda: Verdict.not_run(JAX)
    rows = [page_row(proved, wrong), page_row(missing, missing), page_row(missing, missing)]
    assert [(r["status"], r["needs"]) for r in rows] == [("holds", None), ("not run", JAX), ("not run", JAX)]
    totals = ledger_totals([{**r, "seconds": r["seconds"] or 0.0} for r in rows])
    assert (totals["claims"], totals["holding"], totals["not_run"], totals["needs"]) == (3, 1, 2, {JAX: 2})
    assert not totals["all_ok"]
    assert _not_run(totals) == f"2 not run ({JAX}); "
    assert [n.astext() for n in _status(rows[1])] == [f"not run: {JAX}", "; ", "control not run"]
    assert isinstance(_status(rows[1])[0], nodes.strong)
    assert [n.astext() for n in _status(rows[0])] == ["holds", "; ", "control rejected"]
    failed = page_row(lambda: Verdict(False, "by hand"), wrong)
    assert [n.astext() for n in _status(failed)] == ["FAILS", "; ", "control rejected"]
    # every claim ran: the summary says nothing of claims not run
    assert ledger_totals([{**rows[0], "seconds": 0.0}])["all_ok"] and _not_run(ledger_totals([rows[0]] * 0)) == ""
