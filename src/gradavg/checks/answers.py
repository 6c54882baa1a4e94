"""Exercises' answers: a reader's typed answer against the solution, and the claims that prove solutions right.

An exercise with an answer box names a claim whose :class:`~gradavg.engine.claims.Answer` is the
solution. The claim's check (:func:`answer_verdict`) proves that solution equal to the truth reached
by another route (a derivative from its definition, an exact enumeration, ...), and its negative
control is the tempting wrong answer, which the same check must reject. In the page, the reader's
text is compared with the solution by :func:`check_answer`, the same decision the site's live engine
makes: equal as functions of the answer's variables, or not, with an exact witness point.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import sympy as sp

from ..engine.claims import Answer, Claim, Verdict
from ..engine.exact import decide
from .safeparse import parse_expression, parse_names
from .text_check import refusal


def answer_symbols(variables: str, positive: str = "") -> dict[str, sp.Symbol]:
    """The real symbols an answer may use, from their comma-separated names (none for a number); ``positive`` ones positive.

    Example:
        >>> answer_symbols("w, b")
        {'w': w, 'b': b}
        >>> answer_symbols("s, x", positive="s")["s"].is_positive
        True
        >>> answer_symbols("")
        {}
    """
    names = parse_names(variables, "the answer's variables") if variables.strip() else []
    positives = set(parse_names(positive, "the answer's positive variables")) if positive.strip() else set()
    if stray := positives - set(names):
        raise ValueError(f"positive names {', '.join(sorted(stray))}, which are not among the answer's variables")
    return {name: sp.Symbol(name, positive=True) if name in positives else sp.Symbol(name, real=True) for name in names}


def decide_equal(left: sp.Expr, right: sp.Expr, symbols: dict[str, sp.Symbol]) -> Verdict:
    """Decide ``left == right`` as functions of ``symbols``: a proof, or an exact witness where they differ.

    Exact random rational points come first (positive values for positive symbols), so a wrong
    answer is refuted with a witness. A rational function's difference is reduced by ``cancel``, a
    canonical form: zero exactly when the two are equal as rational functions, that is wherever both
    are defined (``(x**2 - 1)/(x - 1)`` equals ``x + 1``). Anything else is reduced by ``simplify``,
    and a difference it cannot reduce to zero, with no witness found, raises ``ArithmeticError``
    (undecided), never "equal".

    Example:
        >>> w = sp.Symbol("w", real=True)
        >>> decide_equal(2 * w + 2, 2 * (w + 1), {"w": w}).method
        'symbolic: cancel'
        >>> decide_equal(2 * w, w, {"w": w}).holds
        False
    """
    difference = left - right
    variables = list(symbols.values())
    rational = difference.is_rational_function(*variables) if variables else difference.is_number
    reduce, how = (sp.cancel, "cancel") if rational else (sp.simplify, "simplify")

    def in_domain(point: dict) -> dict:
        # random points are nonzero rationals of either sign: a positive symbol takes the magnitude
        return {symbol: abs(value) if symbol.is_positive else value for symbol, value in point.items()}

    verdict = decide(lambda point: [difference.xreplace(in_domain(point))], variables,
                     lambda: ([reduce(sp.together(difference) if rational else difference)], how))
    return verdict if verdict.witness is None else dataclasses.replace(verdict, witness=in_domain(verdict.witness))


def answer_verdict(answer: Answer, truth: Callable[[dict[str, sp.Symbol]], sp.Expr]) -> Verdict:
    """An exercise claim's check: ``answer`` equals ``truth``, computed from the answer's symbols by another route.

    Example:
        >>> right = Answer("2*w", "w", "dL/dw =")
        >>> from_definition = lambda s: sp.limit(((s["w"] + sp.Symbol("h")) ** 2 - s["w"] ** 2) / sp.Symbol("h"),
        ...                                      sp.Symbol("h"), 0)
        >>> answer_verdict(right, from_definition).holds
        True
        >>> answer_verdict(Answer("w", "w", "dL/dw ="), from_definition).witness
        {w: 4/7}
    """
    symbols = answer_symbols(answer.variables, answer.positive)
    return decide_equal(parse_expression(answer.expression, symbols, "answer"), truth(symbols), symbols)


def exercise_claim(id: str, statement: str, *, answer: Answer, wrong: Answer,
                   truth: Callable[[dict[str, sp.Symbol]], sp.Expr], control: str, scope: str) -> Claim:
    """The claim behind an exercise's answer box: ``answer`` is right, and the tempting ``wrong`` one is not.

    ``truth`` reaches the right value by a route of its own (never by the rule the exercise is about);
    the claim's evidence is ``proof``: :func:`decide_equal` proves the solution or refutes the control
    with a witness.

    Example:
        >>> h = sp.Symbol("h")
        >>> claim = exercise_claim("demo.square", "$d(w^2)/dw = 2w$", answer=Answer("2*w", "w", "d/dw ="),
        ...                        wrong=Answer("w", "w", "d/dw ="), control="the factor 2 dropped",
        ...                        truth=lambda s: sp.limit(((s["w"] + h) ** 2 - s["w"] ** 2) / h, h, 0),
        ...                        scope="every real w")
        >>> claim.run().ok, claim.answer.expression
        (True, '2*w')
    """
    if (answer.variables, answer.positive) != (wrong.variables, wrong.positive):
        raise ValueError(f"claim {id!r}: the wrong answer must use the variables of the right one")
    return Claim(id, statement, lambda: answer_verdict(answer, truth), control, lambda: answer_verdict(wrong, truth),
                 "proof", scope, answer)


def check_answer(text: str, expected: str, variables: str, positive: str = "") -> dict:
    """Compare a reader's answer with an exercise's solution; the verdict as a JSON-ready dict.

    Args:
        text: what the reader typed, in the syntax of :mod:`gradavg.checks.safeparse`.
        expected: the solution (the ``expression`` of a :class:`gradavg.engine.claims.Answer`).
        variables: the names both may use, comma-separated (``""`` for a number).
        positive: those of them that are positive, comma-separated.

    Returns:
        ``status`` (0 equivalent, 1 not equivalent, 2 bad input or undecided), ``equivalent``
        (``None`` without a verdict), ``method``, ``evidence``, ``witness`` (name to exact value
        as text, where the two differ), ``yours`` and ``expected`` (their exact values there),
        ``message`` (what went wrong, for status 2).

    Example:
        >>> check_answer("2*(w*x - y)*x", "2*x*(w*x - y)", "w,x,y")["status"]
        0
        >>> verdict = check_answer("(w*x - y)*x", "2*x*(w*x - y)", "w,x,y")
        >>> verdict["status"], verdict["witness"], verdict["yours"], verdict["expected"]
        (1, {'w': '4/7', 'x': '5', 'y': '-1/5'}, '107/7', '214/7')
        >>> check_answer("z", "2*w", "w")["message"]
        "error: unknown name 'z': the answer may use w and the functions Abs, Max, Min, abs, atan, cos, cosh, exp, log, max, min, sigmoid, sin, sinh, softplus, sqrt, tanh"
    """
    result = {"status": 2, "equivalent": None, "method": None, "evidence": None, "witness": None, "yours": None,
              "expected": None, "message": None}
    try:
        symbols = answer_symbols(variables, positive)
        yours = parse_expression(text, symbols, "answer")
        solution = parse_expression(expected, symbols, "solution")
        verdict = decide_equal(yours, solution, symbols)
    except MemoryError:
        raise
    except Exception as error:  # noqa: BLE001 - text from anyone: one line, never a traceback
        return {**result, "message": refusal(error, "the answer", "the answer could not be compared")}
    result.update(status=0 if verdict.holds else 1, equivalent=verdict.holds, method=verdict.method,
                  evidence=verdict.evidence)
    if not verdict.holds:
        point = verdict.witness
        result.update(witness={str(k): str(v) for k, v in point.items()},
                      yours=str(yours.xreplace(point)), expected=str(solution.xreplace(point)))
    return result

