"""The proof ledger as a page: totals and a table, built from :func:`gradavg.checks.cli.ledger_rows`."""

from __future__ import annotations

from ..engine.claims import format_seconds


def ledger_totals(rows: list[dict]) -> dict:
    """Totals over ledger rows: how many claims, how many hold, how many controls were rejected, check seconds.

    ``seconds`` is the sum of the rows' check times (as in
    ``python -m gradavg ledger --json``).

    Example:
        >>> ledger_totals([{"holds": True, "control_rejected": True, "seconds": 0.25},
        ...                {"holds": True, "control_rejected": False, "seconds": 0.5}])
        {'claims': 2, 'holding': 2, 'controls_rejected': 1, 'seconds': 0.75, 'all_ok': False}
    """
    totals = {
        "claims": len(rows),
        "holding": sum(bool(r["holds"]) for r in rows),
        "controls_rejected": sum(bool(r["control_rejected"]) for r in rows),
        "seconds": round(sum(r["seconds"] for r in rows), 4),
    }
    totals["all_ok"] = totals["holding"] == totals["controls_rejected"] == totals["claims"]
    return totals


def _cell(text: str) -> str:
    """Text for one list-table cell on one line (newlines folded)."""
    return " ".join(str(text).split())


def ledger_markdown(rows: list[dict]) -> str:
    """The ledger as a MyST ``list-table``: claim (id, statement with its math, control), method, status and seconds, pages.

    Pages are linked with ``{doc}``; statements keep their ``$...$`` math.

    Example:
        >>> text = ledger_markdown([{"id": "a.b", "statement": "$x = x$", "method": "m", "seconds": 0.5,
        ...                          "holds": True, "control": "x = 2x", "control_rejected": True,
        ...                          "pages": ["intro"]}])
        >>> "{doc}`/intro`" in text and "$x = x$" in text and text.startswith(":::{list-table}")
        True
    """
    lines = [
        ":::{list-table}",
        ":header-rows: 1",
        ":widths: 46 28 12 14",
        ":class: gradavg-ledger",
        "",
        "* - Claim and negative control",
        "  - Method",
        "  - Status and seconds",
        "  - Used on",
    ]
    for r in rows:
        status = "holds" if r["holds"] else "**FAILS**"
        control = "control rejected" if r["control_rejected"] else "control **NOT rejected**"
        pages = ", ".join(f"{{doc}}`/{page}`" for page in r["pages"]) or "**none**"
        lines += [
            f"* - `{r['id']}`: {_cell(r['statement'])}",
            "",
            f"    *Control:* {_cell(r['control'])}.",
            f"  - {_cell(r['method'])}",
            f"  - {status}; {control}; {format_seconds(r['seconds'])}",
            f"  - {pages}",
        ]
    lines.append(":::")
    return "\n".join(lines)
