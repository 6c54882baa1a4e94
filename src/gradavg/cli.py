"""Command line: ``python -m gradavg ledger [--json]`` and ``python -m gradavg check LOSS --params w,b --data x,y``.

``ledger`` exits 0 when every claim holds, 1 when some claim fails, 3 when none fails but some
could not run here (a package is missing: the summary line names it), 2 for a mistyped command
line. ``check`` also takes ``--cost TEXT`` (a batch cost), ``--json``, ``--timeout SECONDS`` and
``--loss TEXT``; a loss starting with ``-`` works as written. Exit statuses of ``check``:
0 holds, 1 fails, 2 bad input or undecided, 3 stopped at the time budget.

This module sits above every layer: ``ledger`` runs the claims (the checks
layer) and names the pages that use each (the site layer reads the pages).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from pathlib import Path

from .checks.ledger_report import exit_status, format_table, ledger_rows, run_ledger, summary_line
from .site.statements import pages_by_claim

LEDGER_EPILOG = """\
After the table (with --json: on stderr, so stdout stays JSON) a summary line counts the claims,
e.g. "43 hold, 7 not run (needs JAX: pip install 'gradavg[jax]'), 0 fail".

exit status:
  0  every claim holds with the evidence it declares and its negative control is rejected
  1  some claim fails: its check ran and did not hold or fell short of its evidence, or its control passed
  2  a mistyped command line, with the usage on stderr and no table
  3  no claim fails, but some could not run here (a package is missing; the summary line says
     what to install, e.g. pip install 'gradavg[jax]')
"""

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
    when some claim fails, 3 when none fails but some could not run (see ``ledger --help``).
    ``check``: 0 holds, 1 fails, 2 bad input or undecided, 3 stopped at the time budget (see
    ``check --help``). A reader that closes the pipe early (``| head``) ends the command quietly with status 141, as it ends any Unix tool.

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
        "ledger", help="run every claim and its negative control; exit 0 all hold, 1 some claim fails (falls short "
                       "of the evidence it declares, or its control passes), 3 none fails but some could not run",
        description="Run every claim and its negative control, and print the ledger.",
        epilog=LEDGER_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    ledger_parser.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    ledger_parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    ledger_parser.add_argument("--docs", type=Path, default=Path("docs"), metavar="FOLDER",
                               help="the site's pages, for the pages that use each claim (default: ./docs; "
                                    "without that folder each claim's pages are empty)")
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
        from .checks.text_check import run_check

        if (args.loss is None) == (args.loss_option is None):
            check_parser.error("give the loss once: as the first argument or as --loss TEXT")
        if not args.timeout > 0:
            check_parser.error(f"--timeout must be a positive number of seconds, got {args.timeout:g}")
        return run_check(args.loss if args.loss is not None else args.loss_option, args.params, args.data, args.n,
                         cost=args.cost, timeout=args.timeout, as_json=args.json)

    progress = None if args.quiet else lambda line: print(line, file=sys.stderr, flush=True)
    pages = pages_by_claim(args.docs) if args.docs.is_dir() else {}
    rows = ledger_rows(run_ledger(progress), pages)
    print(json.dumps(rows, indent=2) if args.json else format_table(rows))
    print(summary_line(rows), file=sys.stderr if args.json else sys.stdout, flush=True)
    return exit_status(rows)
