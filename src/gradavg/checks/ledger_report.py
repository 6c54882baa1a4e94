"""The ledger as a report: run the claims and their controls, as JSON-ready rows and as a plain-text table.

The command line (``gradavg ledger``), the in-browser engine
(:mod:`gradavg.checks.browser_api`) and the ledger page's totals
(:mod:`gradavg.site.ledger_view`) all read these rows.
"""

from __future__ import annotations

from ..engine.claims import Result, ledger


def run_ledger(progress=None, claims=None) -> list[Result]:
    """Run claims (every claim by default) and their controls, reporting each to ``progress`` as it finishes.

    Example:
        >>> from gradavg.engine.claims import get
        >>> lines = []
        >>> [result.ok for result in run_ledger(lines.append, [get("linearity.general-n")])]
        [True]
        >>> lines[0].split(" (")[0]
        '[1/1] linearity.general-n: ok'
    """
    claims = ledger() if claims is None else claims
    results = []
    for number, claim in enumerate(claims, 1):
        result = claim.run()
        results.append(result)
        if progress:
            status = "ok" if result.ok else "FAILED"
            progress(f"[{number}/{len(claims)}] {claim.id}: {status} ({result.verdict.seconds:.2f} s)")
    return results


def ledger_rows(results: list[Result], pages: dict[str, list[str]] | None = None) -> list[dict]:
    """The ledger as JSON-ready rows, one per claim.

    ``pages`` maps a claim id to the pages that use it
    (:func:`gradavg.site.statements.pages_by_claim`); without it every row's
    ``pages`` is empty.

    ``evidence`` and ``scope`` are what the claim declares; ``evidence_reached`` is
    the kind its check's verdict named, and ``evidence_backed`` whether it backs
    the declared kind (:func:`gradavg.engine.claims.supports`); ``ok`` needs it.

    Example:
        >>> from gradavg.engine.claims import get
        >>> row = ledger_rows([get("linearity.general-n").run()], {"linearity.general-n": ["linearity"]})[0]
        >>> row["id"], row["holds"], row["evidence"], row["evidence_backed"], row["control_rejected"], row["pages"]
        ('linearity.general-n', True, 'proof', True, True, ['linearity'])
    """
    pages = pages or {}
    return [
        {
            "id": r.claim.id,
            "statement": r.claim.statement,
            "method": r.verdict.method,
            "seconds": round(r.verdict.seconds, 4),
            "holds": r.verdict.holds,
            "evidence": r.claim.evidence,
            "scope": r.claim.scope,
            "evidence_reached": r.verdict.evidence,
            "evidence_backed": r.evidence_backed,
            "ok": r.ok,
            "control": r.claim.control,
            "control_rejected": r.control_rejected,
            "control_method": r.control_verdict.method,
            "control_seconds": round(r.control_verdict.seconds, 4),
            "pages": pages.get(r.claim.id, []),
        }
        for r in results
    ]


def format_table(rows: list[dict]) -> str:
    """A plain-text table: id, evidence, method, seconds, holds, control rejected.

    Evidence that does not back the kind a claim declares shows as ``NOT <kind>``.

    Example:
        >>> print(format_table([{"id": "a.b", "evidence": "proof", "evidence_backed": True, "method": "symbolic",
        ...                      "seconds": 0.25, "holds": True, "control_rejected": True}]))
        id   evidence  method    seconds  holds  control rejected
        ---  --------  --------  -------  -----  ----------------
        a.b  proof     symbolic  0.250    yes    yes
    """
    header = ("id", "evidence", "method", "seconds", "holds", "control rejected")
    body = [(r["id"], r["evidence"] if r["evidence_backed"] else f"NOT {r['evidence']}", r["method"],
             f"{r['seconds']:.3f}", "yes" if r["holds"] else "NO",
             "yes" if r["control_rejected"] else "NO") for r in rows]
    widths = [max(len(row[k]) for row in [header, *body]) for k in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *body]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
