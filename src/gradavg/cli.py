"""Command line: ``python -m gradavg ledger [--json]`` and ``python -m gradavg check LOSS --params w,b --data x,y``.

``check`` also takes ``--cost TEXT`` (a batch cost), ``--json``, ``--timeout SECONDS`` and
``--loss TEXT``; a loss starting with ``-`` works as written. Exit statuses of ``check``:
0 holds, 1 fails, 2 bad input or undecided, 3 stopped at the time budget.
"""

from __future__ import annotations

import argparse
import json
import os
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

    ``evidence`` and ``scope`` are what the claim declares; ``evidence_reached`` is
    the kind its check's verdict named, and ``evidence_backed`` whether it backs
    the declared kind (:func:`gradavg.engine.claims.supports`); ``ok`` needs it.

    Example:
        >>> from gradavg.engine.claims import get
        >>> row = ledger_rows([get("linearity.general-n").run()])[0]
        >>> row["id"], row["holds"], row["evidence"], row["evidence_backed"], row["control_rejected"], row["pages"]
        ('linearity.general-n', True, 'proof', True, True, ['linearity'])
    """
    pages = pages_by_claim()
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


CHECK_EPILOG = """\
exit status:
  0  the identity holds: the gradient of the cost is the mean of per-example gradients
  1  it fails; an exact witness (a value for every symbol) and the gap there are printed
  2  bad input (the message says what to change), or undecided
  3  stopped undecided at the time budget (--timeout) or out of memory

examples:
  gradavg check '(w*x + b - y)**2' --params w,b --data x,y
  gradavg check '-y*log(sigmoid(w*x+b))-(1-y)*log(1-sigmoid(w*x+b))' --params w,b --data x,y
  gradavg check '(w*x - y)**2' --params w --data x,y --cost 'prod(L)' --json

batch costs (--cost):
  L_1, L_2, ...  one example's loss        x_1, x_2, ...  one example's field x (each --data name)
  mean(E), sum(E), prod(E), max(E), min(E)  aggregate E over the batch; inside, L is
      the example's loss and x its field x. Aggregates nest; max/min of two or more
      arguments are the elementwise Max/Min. Everything else as in the loss.
  for example: 'mean(L)' (holds), 'prod(L)', 'max(L)', 'mean(L)**2', 'L_1 + 2*L_2',
      'mean((L - mean(L))**2)', 'mean((w*(x - mean(x)) - y)**2)' (batch-normalised input)
"""

#: options of ``check`` that take a value
_VALUED = ("--loss", "--cost", "--params", "--data", "--n", "--timeout")


def _loss_as_written(argv: list[str]) -> list[str]:
    """Let a loss (or cost) that starts with '-' through argparse, which would take it for an option.

    A value after an option that takes one is joined to it (``--cost=-L_1``); any other
    argument that starts with '-' and is not an option is the loss (``--loss=...``).

    Example:
        >>> _loss_as_written(["check", "-y*log(w)", "--params", "w", "--cost", "-mean(L)"])
        ['check', '--loss=-y*log(w)', '--params', 'w', '--cost=-mean(L)']
    """
    known = {"-h", "--help", "--json", *_VALUED}
    joined = tuple(option + "=" for option in _VALUED)
    result: list[str] = []
    for position, argument in enumerate(argv):
        if argument == "--":
            return result + argv[position:]
        if argument.startswith("-") and argument not in known and not argument.startswith(joined):
            if result and result[-1] in _VALUED:
                result[-1] = f"{result[-1]}={argument}"
                continue
            argument = f"--loss={argument}"
        result.append(argument)
    return result


#: the exit status of a command whose reader closed the pipe, as a shell reports a process ended by SIGPIPE
CLOSED_PIPE = 128 + 13


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status.

    ``ledger``: 0 when all claims hold with the evidence they declare and all controls fail, 1
    otherwise. ``check``: 0 holds, 1 fails, 2 bad input or undecided, 3 stopped at the time
    budget (see ``check --help``). A reader that closes the pipe early (``| head``) ends the
    command quietly with status 141, as it ends any Unix tool.

    Example:
        >>> main(["check", "(w*x - y)**2", "--params", "w", "--data", "x,y"])  # doctest: +ELLIPSIS
        loss: (w*x - y)**2
        holds: symbolic: ...
        0
    """
    try:
        return _main(argv)
    except BrokenPipeError:
        # nothing more can reach the reader: point stdout at /dev/null so the final flush is quiet too
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return CLOSED_PIPE


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gradavg", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    ledger_parser = commands.add_parser(
        "ledger", help="run every claim and its negative control; exit 1 if any claim fails, falls short of the "
                       "evidence it declares, or its control passes"
    )
    ledger_parser.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    ledger_parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    check_parser = commands.add_parser(
        "check", help="check that the gradient of a batch cost (by default the mean of a loss) is the mean of "
                      "per-example gradients; exit 0 holds, 1 fails (with a witness), 2 bad input or undecided, "
                      "3 stopped at the time budget",
        description="Check that the gradient of a batch cost is the mean of per-example gradients. Without "
                    "--cost the cost is the mean of the losses.",
        epilog=CHECK_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    check_parser.add_argument("loss", nargs="?", help="one example's loss, e.g. '(w*x + b - y)**2' (numbers, the "
                                                      "named symbols, + - * / **, and exp, log, sqrt, tanh, sigmoid, "
                                                      "softplus, Abs, Max, Min, ...); may start with '-'")
    check_parser.add_argument("--loss", dest="loss_option", metavar="TEXT", help="the loss, as an option instead")
    check_parser.add_argument("--params", required=True, help="comma-separated parameter names, e.g. w,b")
    check_parser.add_argument("--data", default="", help="comma-separated names of one example's fields, e.g. x,y")
    check_parser.add_argument("--n", type=int, default=4, help="number of examples (default 4)")
    check_parser.add_argument("--cost", metavar="TEXT", help="a batch cost to check instead of the mean of the "
                                                             "losses, e.g. 'prod(L)' (syntax below)")
    check_parser.add_argument("--timeout", type=float, default=60, metavar="SECONDS",
                              help="stop undecided after this many seconds, exit 3 (default 60)")
    check_parser.add_argument("--json", action="store_true", help="print the verdict as JSON (exact numbers as "
                                                                  "strings)")
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(_loss_as_written(arguments) if arguments[:1] == ["check"] else arguments)
    if args.command == "check":
        from .checkcli import run_check

        if (args.loss is None) == (args.loss_option is None):
            check_parser.error("give the loss once: as the first argument or as --loss TEXT")
        if not args.timeout > 0:
            check_parser.error(f"--timeout must be a positive number of seconds, got {args.timeout:g}")
        return run_check(args.loss if args.loss is not None else args.loss_option, args.params, args.data, args.n,
                         cost=args.cost, timeout=args.timeout, as_json=args.json)

    progress = None if args.quiet else lambda line: print(line, file=sys.stderr, flush=True)
    rows = ledger_rows(run_ledger(progress))
    print(json.dumps(rows, indent=2) if args.json else format_table(rows))
    return 0 if all(r["ok"] for r in rows) else 1
