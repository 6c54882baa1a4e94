"""The proof ledger's totals, from rows like those of :func:`gradavg.checks.ledger_report.ledger_rows`."""

from __future__ import annotations

from ..checks.ledger_report import not_run_reasons, row_status
from ..engine.claims import EVIDENCE


def ledger_totals(rows: list[dict]) -> dict:
    """Totals over ledger rows: claims, how many hold, controls rejected, check seconds, claims per evidence kind.

    ``seconds`` is the sum of the rows' check times (as in
    ``python -m gradavg ledger --json``); ``evidence`` counts the claims of each
    kind (:data:`gradavg.engine.claims.EVIDENCE`), and ``backed`` those whose
    check reached the kind they declare. ``not_run`` counts the claims whose
    status is ``"not run"`` (their check or control could not run here), and
    ``needs`` groups them by reason (:func:`gradavg.checks.ledger_report.not_run_reasons`).

    Example:
        >>> ledger_totals([{"holds": True, "control_rejected": True, "seconds": 0.25, "evidence": "proof",
        ...                 "evidence_backed": True},
        ...                {"holds": True, "control_rejected": False, "seconds": 0.5, "evidence": "sampled",
        ...                 "evidence_backed": True}])  # doctest: +NORMALIZE_WHITESPACE
        {'claims': 2, 'holding': 2, 'not_run': 0, 'needs': {}, 'controls_rejected': 1, 'backed': 2, 'seconds': 0.75,
         'evidence': {'proof': 1, 'exhaustive': 0, 'float-bound': 0, 'sampled': 1}, 'all_ok': False}
    """
    totals = {
        "claims": len(rows),
        "holding": sum(bool(r["holds"]) for r in rows),
        "not_run": sum(row_status(r) == "not run" for r in rows),
        "needs": not_run_reasons(rows),
        "controls_rejected": sum(bool(r["control_rejected"]) for r in rows),
        "backed": sum(bool(r["evidence_backed"]) for r in rows),
        "seconds": round(sum(r["seconds"] for r in rows), 4),
        "evidence": {kind: sum(r["evidence"] == kind for r in rows) for kind in EVIDENCE},
    }
    totals["all_ok"] = (totals["holding"] == totals["controls_rejected"] == totals["backed"] == totals["claims"]
                        and totals["not_run"] == 0)
    return totals
