"""``python -m gradavg check``: check a loss typed as text, with exit status 0 (holds), 1 (fails), 2 (bad input)."""

from __future__ import annotations

import sys

import sympy as sp

from .check import check_gradient_of_mean
from .safeparse import UnsafeExpression, parse_expression, parse_names


def run_check(loss: str, params: str, data: str, n: int = 4, out=None, err=None) -> int:
    """Parse ``loss`` safely, run :func:`gradavg.checks.check.check_gradient_of_mean` and print the verdict.

    Returns the exit status: 0 when the identity holds, 1 when it fails (the
    witness and gap are printed), 2 on bad input (the message says what to fix).

    Example:
        >>> import io
        >>> run_check("(w*x - y)**2", "w", "x,y", 2, out=io.StringIO())
        0
    """
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        param_names = parse_names(params, "--params")
        data_names = parse_names(data, "--data") if data.strip() else []
        both = set(param_names) & set(data_names)
        if both:
            raise UnsafeExpression(f"{', '.join(sorted(both))} in both --params and --data")
        symbols = {name: sp.Symbol(name, real=True) for name in param_names + data_names}
        expression = parse_expression(loss, symbols)
        verdict = check_gradient_of_mean(expression, [symbols[p] for p in param_names],
                                         [symbols[d] for d in data_names], n=n)
    except (ValueError, TypeError) as error:
        print(f"error: {error}", file=err)
        return 2
    except ArithmeticError as error:
        print(f"undecided: {error}", file=err)
        return 2
    print(f"loss: {expression}", file=out)
    print(f"{'holds' if verdict.holds else 'FAILS'}: {verdict.method} ({verdict.seconds:.3f} s)", file=out)
    if verdict.holds:
        return 0
    print("witness: " + ", ".join(f"{k} = {v}" for k, v in verdict.witness.items()), file=out)
    print("gap: " + ", ".join(str(g) for g in verdict.gap), file=out)
    return 1
