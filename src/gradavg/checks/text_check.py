"""``python -m gradavg check``: check a loss, or a batch cost, typed as text.

Exit statuses (also the ``status`` of :func:`check_text`'s verdict):

- 0: the identity holds (the gradient of the cost is the mean of per-example gradients);
- 1: it fails, with an exact witness and the gap there;
- 2: bad input, or undecided (the message says which and what to change);
- 3: stopped undecided at the time budget (or out of memory); only :func:`run_check` has one.

:func:`check_text` does the work and returns a JSON-ready verdict; it has no time budget
and needs no subprocess, so it also runs in a browser (Pyodide). :func:`run_check` is the
command line: it runs :func:`check_text` within a time budget and prints the verdict.
"""

from __future__ import annotations

import json
import re
import sys

import sympy as sp

from .check import check_batch_cost, check_gradient_of_mean
from .safeparse import UnsafeExpression, parse_cost, parse_expression, parse_names

#: default time budget of the command line, in seconds
TIMEOUT = 60
#: what to try when a check is stopped at its budget
ADVICE = "try fewer examples (--n 2), a simpler loss or cost, or a larger --timeout"


def check_text(loss: str, params: str, data: str, n: int = 4, cost: str | None = None) -> dict:
    """Check a loss (and optionally a batch cost) given as text; return the verdict as a JSON-ready dict.

    Args:
        loss: one example's loss, e.g. ``"(w*x + b - y)**2"``.
        params: comma-separated parameter names, e.g. ``"w,b"``.
        data: comma-separated names of one example's fields, e.g. ``"x,y"`` (may be empty).
        n: how many examples in the batch.
        cost: a batch cost (see :func:`gradavg.checks.safeparse.parse_cost`): ``L_1``, ``x_2``
            name one example's loss or field; ``mean``, ``sum``, ``prod``, ``max``, ``min`` of
            an expression in ``L`` and the fields aggregate over the batch. ``None`` checks
            the mean of the losses (:func:`gradavg.checks.check.check_gradient_of_mean`);
            otherwise :func:`gradavg.checks.check.check_batch_cost` decides.

    Returns:
        ``status`` (0 holds, 1 fails, 2 bad input or undecided), ``holds`` (``None`` when
        there is no verdict), ``method``, ``evidence`` (``proof`` or ``sampled``, see
        :data:`gradavg.engine.claims.EVIDENCE`), ``seconds``, ``witness`` (name to exact value as
        text), ``gap`` and ``residual`` (exact, as text, one entry per parameter),
        ``message`` (what went wrong, for status 2), ``loss`` and ``cost`` as parsed, ``n``.
        No time budget: this is for callers that have their own (or none).

    Example:
        >>> verdict = check_text("(w*x - y)**2", "w", "x,y", n=2, cost="prod(L)")
        >>> verdict["status"], verdict["holds"], sorted(verdict["witness"])
        (1, False, ['w', 'x_1', 'x_2', 'y_1', 'y_2'])
        >>> check_text("(w*x - y)**2", "w", "x,y", n=2, cost="mean(L)")["status"]
        0
        >>> check_text("w.real", "w", "")["message"]
        "error: attribute access ('.') is not allowed"
    """
    result = {"status": 2, "holds": None, "method": None, "evidence": None, "seconds": None, "witness": None,
              "gap": None, "residual": None, "message": None, "loss": None, "cost": None, "n": n}
    try:
        verdict = _check(loss, params, data, n, cost, result)
    except MemoryError:
        raise
    except Exception as error:  # noqa: BLE001 - text from anyone: one line, never a traceback
        return {**result, "message": refusal(error, "the expression", "the check could not be carried out")}
    return {**result, "status": 0 if verdict.holds else 1, "holds": verdict.holds, "method": verdict.method,
            "evidence": verdict.evidence, "seconds": verdict.seconds,
            "witness": None if verdict.witness is None else {str(k): str(v) for k, v in verdict.witness.items()},
            "gap": None if verdict.gap is None else [str(g) for g in verdict.gap],
            "residual": None if verdict.residual is None else [str(r) for r in verdict.residual]}


def refusal(error: Exception, what: str, failure: str) -> str:
    """One line for a reader whose text could not be checked: bad input (``error: ...``) or ``undecided: ...``.

    ``what`` names the text ("the expression"); ``failure`` says what an unforeseen error stopped.

    Example:
        >>> refusal(ArithmeticError("no witness in 64 points"), "the answer", "the answer could not be compared")
        'undecided: no witness in 64 points'
        >>> refusal(KeyError("x"), "the answer", "the answer could not be compared")
        "error: the answer could not be compared (KeyError: 'x')"
    """
    if isinstance(error, RecursionError):
        return f"error: {what} is nested too deeply to be handled"
    if isinstance(error, (ValueError, TypeError)):
        return f"error: {error}"
    if isinstance(error, ArithmeticError):
        return f"undecided: {error}"
    return f"error: {failure} ({type(error).__name__}: {error})"


def _check(loss, params, data, n, cost, result):
    param_names = parse_names(params, "--params")
    data_names = parse_names(data, "--data") if data.strip() else []
    both = set(param_names) & set(data_names)
    if both:
        raise UnsafeExpression(f"{', '.join(sorted(both))} in both --params and --data")
    if cost is not None:
        taken = [name for name in param_names + data_names if re.fullmatch(r"L(_\d+)?", name)]
        if taken:
            raise UnsafeExpression(f"{', '.join(taken)}: L and L_1, L_2, ... name the losses in --cost; rename it")
    symbols = {name: sp.Symbol(name, real=True) for name in param_names + data_names}
    expression = parse_expression(loss, symbols)
    result["loss"] = str(expression)
    params_ = [symbols[p] for p in param_names]
    data_ = [symbols[d] for d in data_names]
    if cost is None:
        return check_gradient_of_mean(expression, params_, data_, n=n)

    def batch_cost(batch):
        losses = [expression.xreplace(example) for example in batch]
        named = {p: symbols[p] for p in param_names}
        for i, example in enumerate(batch, 1):
            named[f"L_{i}"] = losses[i - 1]
            named.update({f"{d.name}_{i}": example[d] for d in data_})
        columns = {"L": losses, **{d.name: [example[d] for example in batch] for d in data_}}
        value = parse_cost(cost, named, columns)
        result["cost"] = str(value)
        return value

    return check_batch_cost(batch_cost, expression, params_, data_, n=n)


def run_check(loss: str, params: str, data: str, n: int = 4, out=None, err=None, *, cost: str | None = None,
              timeout: float | None = TIMEOUT, as_json: bool = False) -> int:
    """Run :func:`check_text` within a time budget, print the verdict and return the exit status.

    The verdict goes to ``out``: as text (the witness and gap when it fails), or as the
    JSON object of :func:`check_text` with ``as_json`` (then nothing goes to ``err``).
    Bad input and undecided checks print one line to ``err`` (exit 2). Past ``timeout``
    seconds the check, run in a forked child process with bounded memory, is killed and
    one line says so (exit 3). ``timeout=None`` runs it in this process, without a budget.

    Example:
        >>> import io
        >>> run_check("(w*x - y)**2", "w", "x,y", 2, out=io.StringIO())
        0
        >>> err = io.StringIO()
        >>> run_check("exp(exp(exp(w*x)))", "w", "x", 64, out=io.StringIO(), err=err, timeout=0.5)
        3
        >>> print(err.getvalue().strip())
        stopped undecided after 0.5 s (the time budget): try fewer examples (--n 2), a simpler loss or cost, or a larger --timeout
    """
    out = out or sys.stdout
    err = err or sys.stderr
    if timeout is None:
        verdict = check_text(loss, params, data, n, cost)
    else:
        from .budget import BudgetExceeded, run_with_budget  # fork and resource: not in a browser

        try:
            verdict = run_with_budget(lambda: check_text(loss, params, data, n, cost), timeout)
        except BudgetExceeded as stopped:
            verdict = {"status": 3, "holds": None, "method": None, "evidence": None, "seconds": stopped.seconds,
                       "witness": None,
                       "gap": None, "residual": None, "message": f"{stopped}: {ADVICE}", "loss": None,
                       "cost": None, "n": n}
    if as_json:
        print(json.dumps(verdict, indent=2), file=out)
        return verdict["status"]
    if verdict["status"] >= 2:
        print(verdict["message"], file=err)
        return verdict["status"]
    print(f"loss: {verdict['loss']}", file=out)
    if cost is not None:
        print(f"cost: {verdict['cost']}", file=out)
    print(f"{'holds' if verdict['holds'] else 'FAILS'}: {verdict['method']} ({verdict['seconds']:.3f} s)", file=out)
    if verdict["holds"]:
        return 0
    print("witness: " + ", ".join(f"{k} = {v}" for k, v in verdict["witness"].items()), file=out)
    print("gap: " + ", ".join(verdict["gap"]), file=out)
    return 1
