"""Command line: ``python -m gradavg ledger [--json]`` and ``python -m gradavg check LOSS --params w,b --data x,y``."""

from __future__ import annotations

import argparse
import json
import sys

from ..engine.claims import Result, ledger
from .pages import pages_by_claim


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


def ledger_rows(results: list[Result]) -> list[dict]:
    """The ledger as JSON-ready rows, one per claim.

    Example:
        >>> from gradavg.engine.claims import get
        >>> row = ledger_rows([get("linearity.general-n").run()])[0]
        >>> row["id"], row["holds"], row["control_rejected"], row["pages"]
        ('linearity.general-n', True, True, ['linearity'])
    """
    pages = pages_by_claim()
    return [
        {
            "id": r.claim.id,
            "statement": r.claim.statement,
            "method": r.verdict.method,
            "seconds": round(r.verdict.seconds, 4),
            "holds": r.verdict.holds,
            "control": r.claim.control,
            "control_rejected": r.control_rejected,
            "pages": pages.get(r.claim.id, []),
        }
        for r in results
    ]


def format_table(rows: list[dict]) -> str:
    """A plain-text table: id, method, seconds, holds, control rejected.

    Example:
        >>> print(format_table([{"id": "a.b", "method": "symbolic", "seconds": 0.25,
        ...                      "holds": True, "control_rejected": True}]))
        id   method    seconds  holds  control rejected
        ---  --------  -------  -----  ----------------
        a.b  symbolic  0.250    yes    yes
    """
    header = ("id", "method", "seconds", "holds", "control rejected")
    body = [(r["id"], r["method"], f"{r['seconds']:.3f}", "yes" if r["holds"] else "NO",
             "yes" if r["control_rejected"] else "NO") for r in rows]
    widths = [max(len(row[k]) for row in [header, *body]) for k in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *body]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 all claims hold and controls fail, 1 otherwise, 2 bad input).

    Example:
        >>> main(["check", "(w*x - y)**2", "--params", "w", "--data", "x,y"])  # doctest: +ELLIPSIS
        loss: (w*x - y)**2
        holds: symbolic: ...
        0
    """
    parser = argparse.ArgumentParser(prog="python -m gradavg", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    ledger_parser = commands.add_parser(
        "ledger", help="run every claim and its negative control; exit 1 if any claim fails or control passes"
    )
    ledger_parser.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    ledger_parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    check_parser = commands.add_parser(
        "check", help="check that the gradient of the mean of a loss is the mean of per-example gradients; "
                      "exit 0 holds, 1 fails (with a witness), 2 bad input")
    check_parser.add_argument("loss", help="one example's loss, e.g. '(w*x + b - y)**2' (numbers, the named "
                                           "symbols, + - * / **, and exp, log, sqrt, tanh, sigmoid, Abs, Max, Min, ...)")
    check_parser.add_argument("--params", required=True, help="comma-separated parameter names, e.g. w,b")
    check_parser.add_argument("--data", default="", help="comma-separated names of one example's fields, e.g. x,y")
    check_parser.add_argument("--n", type=int, default=4, help="number of examples (default 4)")
    args = parser.parse_args(argv)
    if args.command == "check":
        from .checkcli import run_check

        return run_check(args.loss, args.params, args.data, args.n)

    progress = None if args.quiet else lambda line: print(line, file=sys.stderr, flush=True)
    rows = ledger_rows(run_ledger(progress))
    print(json.dumps(rows, indent=2) if args.json else format_table(rows))
    return 0 if all(r["holds"] and r["control_rejected"] for r in rows) else 1
