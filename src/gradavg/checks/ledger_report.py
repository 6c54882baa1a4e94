"""The ledger as a report: run the claims and their controls, as JSON-ready rows and as a plain-text table.

The command line (``gradavg ledger``), the in-browser engine
(:mod:`gradavg.checks.browser_api`) and the ledger page's totals
(:mod:`gradavg.site.ledger_view`) all read these rows.
"""

from __future__ import annotations

from ..engine.claims import Result, ledger

#: what ``gradavg ledger`` exits with: every claim holds; some claim that ran fails; none fails but some were not run
#: exit statuses of ``gradavg ledger`` (2 is argparse's, for a mistyped command line)
EXIT_ALL_HOLD, EXIT_SOME_FAIL, EXIT_SOME_NOT_RUN = 0, 1, 3


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
            status = {"holds": "ok", "fails": "FAILED", "not run": f"not run ({result.needs})"}[result.status]
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

    ``status`` is :attr:`gradavg.engine.claims.Result.status` (``"holds"``,
    ``"fails"`` or ``"not run"``), and ``needs`` why the check or its control
    could not run (what to install), or ``None``.

    Example:
        >>> from gradavg.engine.claims import get
        >>> row = ledger_rows([get("linearity.general-n").run()], {"linearity.general-n": ["linearity"]})[0]
        >>> row["id"], row["holds"], row["evidence"], row["evidence_backed"], row["control_rejected"], row["pages"]
        ('linearity.general-n', True, 'proof', True, True, ['linearity'])
        >>> row["status"], row["needs"]
        ('holds', None)
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
            "status": r.status,
            "needs": r.needs,
            "control": r.claim.control,
            "control_rejected": r.control_rejected,
            "control_method": r.control_verdict.method,
            "control_seconds": round(r.control_verdict.seconds, 4),
            "pages": pages.get(r.claim.id, []),
        }
        for r in results
    ]


def row_status(row: dict) -> str:
    """A row's status; a row written before rows had one (a cached page's verdict) holds when it is ok.

    Example:
        >>> row_status({"status": "not run"}), row_status({"holds": True, "evidence_backed": True,
        ...                                                "control_rejected": False})
        ('not run', 'fails')
    """
    if row.get("status"):
        return row["status"]
    ok = row.get("ok", row["holds"] and row["evidence_backed"] and row["control_rejected"])
    return "holds" if ok else "fails"


def not_run_reasons(rows: list[dict]) -> dict[str, int]:
    """How many claims were not run for each reason, the most frequent first (ties in the rows' order).

    Example:
        >>> not_run_reasons([{"status": "not run", "needs": "needs B"}, {"status": "holds", "needs": None},
        ...                  {"status": "not run", "needs": "needs A"}, {"status": "not run", "needs": "needs A"}])
        {'needs A': 2, 'needs B': 1}
    """
    counts: dict[str, int] = {}
    for row in rows:
        if row_status(row) == "not run":
            reason = row.get("needs") or "reason not given"
            counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: -item[1]))


def summary_line(rows: list[dict]) -> str:
    """One line: how many claims hold, how many were not run and why (grouped by reason), how many fail.

    Example:
        >>> jax = "needs JAX: pip install 'gradavg[jax]'"
        >>> rows = [{"status": "holds"}] * 3 + [{"status": "not run", "needs": jax}] * 2
        >>> summary_line(rows)
        "3 hold, 2 not run (needs JAX: pip install 'gradavg[jax]'), 0 fail"
        >>> summary_line([*rows, {"status": "fails"}, {"status": "not run", "needs": "needs PyTorch"}])
        "3 hold, 3 not run (2 needs JAX: pip install 'gradavg[jax]'; 1 needs PyTorch), 1 fail"
        >>> summary_line(rows[:3])
        '3 hold, 0 not run, 0 fail'
    """
    statuses = [row_status(row) for row in rows]
    reasons = not_run_reasons(rows)
    why = ""
    if len(reasons) == 1:
        why = f" ({next(iter(reasons))})"
    elif reasons:
        why = " (" + "; ".join(f"{count} {reason}" for reason, count in reasons.items()) + ")"
    return f"{statuses.count('holds')} hold, {statuses.count('not run')} not run{why}, {statuses.count('fails')} fail"


def exit_status(rows: list[dict]) -> int:
    """What ``gradavg ledger`` exits with: 0 every claim holds, 1 some claim fails, 3 none fails but some were not run.

    Example:
        >>> exit_status([{"status": "holds"}]), exit_status([{"status": "holds"}, {"status": "not run"}])
        (0, 3)
        >>> exit_status([{"status": "not run"}, {"status": "fails"}])
        1
    """
    statuses = {row_status(row) for row in rows}
    if "fails" in statuses:
        return EXIT_SOME_FAIL
    return EXIT_SOME_NOT_RUN if "not run" in statuses else EXIT_ALL_HOLD


def format_table(rows: list[dict]) -> str:
    """A plain-text table: id, evidence, method, seconds, holds, control rejected.

    Evidence that does not back the kind a claim declares shows as ``NOT <kind>``; a check or a
    control that could not run shows ``not run`` in its column (the reason is in the method).

    Example:
        >>> print(format_table([{"id": "a.b", "evidence": "proof", "evidence_backed": True, "method": "symbolic",
        ...                      "seconds": 0.25, "holds": True, "control_rejected": True}]))
        id   evidence  method    seconds  holds  control rejected
        ---  --------  --------  -------  -----  ----------------
        a.b  proof     symbolic  0.250    yes    yes
        >>> print(format_table([{"id": "a.jax", "evidence": "proof", "evidence_backed": False, "method": "needs JAX",
        ...                      "seconds": 0.0, "holds": False, "control_rejected": False, "status": "not run"}]))
        id     evidence  method     seconds  holds    control rejected
        -----  --------  ---------  -------  -------  ----------------
        a.jax  proof     needs JAX  0.000    not run  not run
    """
    def cells(r: dict) -> tuple[str, str, str]:
        # a not-run status means nothing that ran failed: a check that did not hold, or a control not rejected,
        # is one that did not run (and a check not run fell short of no evidence: it reached none)
        not_run = row_status(r) == "not run"
        unchecked = not_run and not r["holds"]
        evidence = r["evidence"] if r["evidence_backed"] or unchecked else f"NOT {r['evidence']}"
        holds = "yes" if r["holds"] else "not run" if not_run else "NO"
        rejected = "yes" if r["control_rejected"] else "not run" if not_run else "NO"
        return evidence, holds, rejected

    header = ("id", "evidence", "method", "seconds", "holds", "control rejected")
    body = []
    for r in rows:
        evidence, holds, rejected = cells(r)
        body.append((r["id"], evidence, r["method"], f"{r['seconds']:.3f}", holds, rejected))
    widths = [max(len(row[k]) for row in [header, *body]) for k in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *body]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
