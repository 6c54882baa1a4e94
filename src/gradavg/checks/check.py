"""Check a loss of your own: is the gradient of the batch cost the mean of per-example gradients?

Two public functions, both returning a :class:`gradavg.engine.claims.Verdict`:

- :func:`check_gradient_of_mean` takes one example's loss and checks that the
  gradient of the mean over ``n`` examples equals the mean of the per-example
  gradients.
- :func:`check_batch_cost` takes a batch cost of your own (which may use batch
  statistics, a product, a max, ...) and decides the same question for it.

How the verdict is reached. The gradient of the cost comes from the definition
of the derivative, the difference quotient ``(C(theta + h e_j) - C(theta)) / h``
of the *whole* cost, never from differentiating its terms one by one. The other
side differentiates each example's loss and averages.

- When the cost and the losses are rational functions of every symbol, the
  quotient is cancelled exactly and its limit taken at ``h = 0``: a witness
  search at random rational points, then a symbolic proof (the difference of the
  two sides cancels to 0).
- Otherwise (``exp``, ``log``, ``tanh``, ``Abs``, ``Max``, ...) the quotient is
  evaluated in 100-digit arithmetic with ``h = 10**-30`` at random rational
  points. Agreement there is evidence, not proof, and the method says so. A
  point where the one-sided quotients disagree (a kink) is skipped.

A ``False`` verdict always carries ``witness`` (exact rationals for every
symbol) and ``gap``: the residual ``grad C - mean of grad L_i`` substituted at
the witness, exactly, and nonzero. Substituting the witness into
``verdict.residual`` gives ``gap`` back.
"""

from __future__ import annotations

import random

import sympy as sp
from sympy.core.function import AppliedUndef

from ..engine.claims import Verdict, timed
from ..engine.exact import is_nonzero, random_point
from ..engine.gradients import (
    derivative_by_definition,
    difference_quotient,
    examples,
    limit_at_zero,
    per_example_losses,
    reduced,
)

#: largest number of examples a check builds
MAX_EXAMPLES = 64
#: digits of the arithmetic used for costs that are not rational functions
WORKING_DIGITS = 100
#: step of the numeric difference quotient
STEP = sp.Rational(1, 10**30)
#: relative agreement required between the quotient and the mean of gradients
AGREEMENT = sp.Float(10) ** -40
#: relative disagreement of the one-sided quotients that marks a kink
KINK = sp.Float(10) ** -20
#: functions whose presence calls for the kink test
NONSMOOTH = (sp.Abs, sp.Max, sp.Min, sp.Piecewise, sp.Heaviside, sp.sign, sp.floor, sp.ceiling)


def check_gradient_of_mean(loss, params, data, n: int = 4, *, points: int = 4, seed: int = 0,
                           timeout: float | None = None) -> Verdict:
    """Check that the gradient of the mean of ``n`` losses is the mean of their gradients.

    Args:
        loss: one example's loss, a SymPy expression in ``params`` and ``data``.
        params: the parameter symbols (the gradient is taken in these).
        data: one example's fields (inputs and label) as symbols; each of the
            ``n`` examples gets its own copies ``x_1, ..., x_n``.
        n: how many examples (at least 2).
        points: how many random rational points to evaluate at.
        seed: seeds the random points, so verdicts are reproducible.
        timeout: seconds the check may take; ``None`` (the default) for no
            limit. With a budget the check runs in a forked child process with
            bounded memory (see :mod:`gradavg.checks.budget`), which is killed
            when the time is up.

    Returns:
        A :class:`~gradavg.engine.claims.Verdict`. For a rational loss a ``True`` is a
        symbolic proof; otherwise it rests on random points and ``method``
        says "not a proof".

    Raises:
        TypeError: ``loss`` is not a SymPy expression, or ``params``/``data``
            are not sequences of symbols, or ``n`` is not an integer.
        ValueError: a parameter missing from the loss, a symbol in both
            ``params`` and ``data``, an unknown symbol in the loss, ``n < 2``,
            or a loss that is not differentiable (or not real) at any point
            sampled.
        gradavg.checks.budget.BudgetExceeded: ``timeout`` seconds passed (or
            the memory budget ran out) before a verdict.

    Example:
        >>> w, b, x, y = sp.symbols("w b x y")
        >>> check_gradient_of_mean((w * x + b - y) ** 2, [w, b], [x, y], n=3).holds
        True
    """
    if timeout is not None:
        return _within(lambda: check_gradient_of_mean(loss, params, data, n, points=points, seed=seed), timeout)
    loss, params, data, n = _validate(loss, params, data, n)
    batch = examples(data, n)
    _refuse_clashes(params, batch)
    losses = per_example_losses(loss, batch)
    cost = sp.Add(*losses) / n
    return _decide(cost, losses, params, points=points, seed=seed, what=f"the mean of {n} losses")


def check_batch_cost(cost, loss, params, data, n: int = 4, *, points: int = 4, seed: int = 0,
                     timeout: float | None = None) -> Verdict:
    """Decide whether the gradient of a batch cost equals the mean of per-example gradients.

    Args:
        cost: a callable receiving the batch, a list of ``n`` mappings
            ``{data symbol: that example's own symbol}``, and returning the
            batch cost as a SymPy expression (it may use batch statistics).
        loss: one example's loss, a SymPy expression in ``params`` and ``data``.
        params: the parameter symbols.
        data: one example's fields as symbols.
        n: how many examples in the batch (at least 2).
        points: how many random rational points to evaluate at.
        seed: seeds the random points.
        timeout: seconds the check may take, as in :func:`check_gradient_of_mean`.

    Returns:
        A :class:`~gradavg.engine.claims.Verdict`; ``False`` with an exact witness and
        gap when the two sides differ.

    Raises:
        TypeError: ``cost`` is not callable or returns something other than a
            SymPy expression (and the input errors of :func:`check_gradient_of_mean`).
        ValueError: the cost uses symbols outside the parameters and the batch
            (and the input errors of :func:`check_gradient_of_mean`).

    Example:
        >>> w, x = sp.symbols("w x")
        >>> product = lambda batch: sp.Mul(*[(w - e[x]) ** 2 for e in batch])
        >>> verdict = check_batch_cost(product, (w - x) ** 2, [w], [x], n=2)
        >>> verdict.holds, verdict.gap != (0,)
        (False, True)
    """
    if timeout is not None:
        return _within(lambda: check_batch_cost(cost, loss, params, data, n, points=points, seed=seed), timeout)
    loss, params, data, n = _validate(loss, params, data, n)
    if not callable(cost):
        raise TypeError(f"cost must be a callable taking the batch (a list of {n} mappings), got {type(cost).__name__}")
    batch = examples(data, n)
    _refuse_clashes(params, batch)
    value = cost([dict(example) for example in batch])
    if not isinstance(value, sp.Expr):
        raise TypeError(
            f"cost must return a SymPy expression, got {type(value).__name__}: build it from the batch's symbols "
            "with SymPy operations (sympy.Add, sympy.Mul, sympy.Max, ...)"
        )
    allowed = set(params) | {s for example in batch for s in example.values()}
    stray = value.free_symbols - allowed
    if stray:
        raise ValueError(
            f"the cost uses {_names(stray)}, which are neither parameters nor the batch's own symbols: "
            "read each example's fields as batch[i][symbol]"
        )
    _refuse_unevaluable(value, "cost")
    losses = per_example_losses(loss, batch)
    return _decide(value, losses, params, points=points, seed=seed, what="the batch cost")


def _within(call, timeout):
    """``call()`` under a time budget; the budget machinery is imported only here (browsers have no fork)."""
    from .budget import run_with_budget

    return run_with_budget(call, timeout)


# --- input checks ------------------------------------------------------------------------------------


def _names(symbols) -> str:
    return ", ".join(sorted(map(str, symbols)))


def _symbols(value, what: str) -> tuple[sp.Symbol, ...]:
    if isinstance(value, (sp.Basic, str)) or not isinstance(value, (list, tuple)):
        raise TypeError(f"{what} must be a list of SymPy symbols such as sympy.symbols('w b'), got {value!r}")
    for item in value:
        if not isinstance(item, sp.Symbol):
            raise TypeError(f"{what} must contain SymPy symbols only; {item!r} is a {type(item).__name__}")
    if len(set(value)) != len(value):
        raise ValueError(f"{what} lists a symbol twice: {[str(s) for s in value]}")
    return tuple(value)


#: piecewise-constant functions: a derivative of 0 where one exists, none at the jumps, and SymPy leaves it unevaluated
STEP_FUNCTIONS = (sp.floor, sp.ceiling, sp.frac, sp.sign, sp.Heaviside)


def _refuse_unevaluable(expr: sp.Expr, what: str) -> None:
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ValueError(f"the {what} contains an infinity or nan ({expr}): remove the division by zero")
    steps = sorted({type(f).__name__ for f in expr.atoms(*STEP_FUNCTIONS)})
    if steps:
        raise ValueError(
            f"the {what} contains {', '.join(steps)}, which the check does not support: a piecewise-constant "
            "function has derivative 0 wherever it has one and none at its jumps, so there is no gradient to "
            "compare (SymPy leaves its derivative unevaluated); use a smooth surrogate such as sigmoid"
        )
    undefined = expr.atoms(AppliedUndef) | expr.atoms(sp.Derivative) | expr.atoms(sp.Integral)
    if undefined:
        raise ValueError(
            f"the {what} contains {_names(undefined)}, which cannot be evaluated at a point: "
            "write the loss with concrete functions (exp, log, tanh, ...)"
        )


def _validate(loss, params, data, n):
    if not isinstance(loss, sp.Expr):
        raise TypeError(
            f"loss must be a SymPy expression in the parameter and data symbols, got {type(loss).__name__}; "
            "for example (w*x + b - y)**2 with w, b, x, y = sympy.symbols('w b x y')"
        )
    params = _symbols(params, "params")
    data = _symbols(data, "data")
    if not params:
        raise ValueError("params is empty: name at least one parameter to take the gradient in")
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an integer number of examples, got {n!r}")
    if n < 2:
        raise ValueError(f"n must be at least 2 (a mean over one example checks nothing), got {n}")
    if n > MAX_EXAMPLES:
        raise ValueError(f"n must be at most {MAX_EXAMPLES}, got {n}: the identity does not get truer with size")
    both = set(params) & set(data)
    if both:
        raise ValueError(f"{_names(both)} appear in both params and data: a symbol is either a parameter or a field")
    missing = [p for p in params if p not in loss.free_symbols]
    if missing:
        raise ValueError(f"parameter(s) {_names(missing)} do not appear in the loss: remove them from params")
    unknown = loss.free_symbols - set(params) - set(data)
    if unknown:
        raise ValueError(
            f"the loss uses {_names(unknown)}, which are neither in params nor in data: "
            "add them to one of the two, or substitute numbers for them"
        )
    _refuse_unevaluable(loss, "loss")
    return loss, params, data, n


def _refuse_clashes(params, batch) -> None:
    copies = {s.name for example in batch for s in example.values()}
    clash = {p.name for p in params} & copies
    if clash:
        raise ValueError(f"parameter name(s) {', '.join(sorted(clash))} clash with the examples' copies of the data: rename them")


# --- the decision ------------------------------------------------------------------------------------


def _decide(cost, losses, params, *, points: int, seed: int, what: str) -> Verdict:
    """:func:`_compare`, timed."""
    return timed(lambda: _compare(cost, losses, params, points=points, seed=seed, what=what))


def _compare(cost, losses, params, *, points: int, seed: int, what: str) -> Verdict:
    """Compare the gradient of ``cost`` (from its difference quotient) with the mean of per-example gradients."""
    real = {p: sp.Symbol(p.name, real=True) for p in params}
    back = {v: k for k, v in real.items()}
    cost, losses = cost.xreplace(real), [L.xreplace(real) for L in losses]
    rparams = [real[p] for p in params]
    means = [sp.Add(*[sp.diff(L, p) for L in losses]) / len(losses) for p in rparams]
    residual = tuple(sp.diff(cost, p) - m for p, m in zip(rparams, means))
    symbols = sorted(cost.free_symbols | set().union(*(L.free_symbols for L in losses)) | set(rparams), key=str)
    rational = all(e.is_rational_function(*symbols) for e in (cost, *losses))
    evaluate = _exact_at if rational else _numeric_at
    nonsmooth = not rational and any(e.has(*NONSMOOTH) for e in (cost, *losses))

    rng = random.Random(seed)
    valid, tried = 0, 0

    def witness(point, differs: bool) -> Verdict | None:
        gap = tuple(sp.sympify(r.xreplace(point)) for r in residual)
        if not any(is_nonzero(g) for g in gap if not g.has(sp.zoo, sp.nan)):
            if differs:
                raise ArithmeticError(f"the quotient route found a difference at {point} that the exact gap does not "
                                      "confirm")
            return None
        if rational:
            how = "exact: the limit of the cost's difference quotient differs from the mean of per-example gradients"
        elif differs:
            how = f"exact gap at a witness point (found by the cost's difference quotient in {WORKING_DIGITS}-digit arithmetic)"
        else:
            how = ("exact gap at a witness point (too small for the difference quotient's 40 digits, found by "
                   "evaluating the residual exactly)")
        return Verdict(False, how, residual=tuple(r.xreplace(back) for r in residual),
                       witness={back.get(k, k): v for k, v in point.items()}, gap=gap, evidence="proof")

    def attempt() -> Verdict | None:
        nonlocal valid, tried
        tried += 1
        point = random_point(symbols, rng)
        differs = evaluate(cost, losses, rparams, means, point, nonsmooth)
        if differs is None:
            return None
        valid += 1
        # numeric agreement is only to 40 digits: the exact gap at the same point has the last word
        return witness(point, differs) if differs or not rational else None

    while valid < points and tried < 10 * points + 20:
        if (failed := attempt()) is not None:
            return failed
    if valid == 0:
        raise ValueError(
            f"{what} is not differentiable (or not real, or not defined) at any of the {tried} random rational "
            "points tried: check the loss's domain (log of a negative number, a kink everywhere, a division by zero)"
        )

    if rational:
        proved = tuple(reduced(limit_at_zero(difference_quotient(cost, p)) - m) for p, m in zip(rparams, means))
        if all(r == 0 for r in proved):
            return Verdict(True, f"symbolic: the limit of the difference quotient of {what} minus the mean of "
                                 "per-example gradients cancels to 0", residual=proved, evidence="proof")
        for _ in range(200):
            if (failed := attempt()) is not None:
                return failed
        raise ArithmeticError(f"the residual of {what} does not cancel to 0 but no witness turned up")
    return Verdict(True, f"numeric: the difference quotient of {what} (h = 1e-30, {WORKING_DIGITS} digits) agrees "
                         f"with the mean of per-example gradients to 40 digits at {valid} random rational points "
                         "(not a proof)", evidence="sampled")


def _exact_at(cost, losses, params, means, point, nonsmooth) -> bool | None:
    """Whether the two sides differ at ``point`` (exact); ``None`` where undefined."""
    try:
        gaps = [derivative_by_definition(cost, p, point) - m.xreplace(point) for p, m in zip(params, means)]
    except ZeroDivisionError:
        return None
    if any(g.has(sp.zoo, sp.nan, sp.oo) for g in gaps):
        return None
    return any(g != 0 for g in gaps)


def _value(expr, point) -> sp.Float | None:
    """``expr`` at ``point`` in :data:`WORKING_DIGITS`-digit floating point (no exact simplification of radicals)."""
    floats = {k: sp.Float(v, WORKING_DIGITS + 20) for k, v in point.items()}
    try:
        value = sp.sympify(expr.xreplace(floats)).evalf(WORKING_DIGITS)
    except (ZeroDivisionError, ValueError):
        return None
    if not value.is_real or not value.is_Number:  # zoo, nan, oo and -oo are not real; complex values are no Number
        return None
    return value


def _quotients(expr, p, point):
    """One-sided difference quotients of ``expr`` in ``p`` at ``point`` (or ``None`` where undefined)."""
    centre = _value(expr, point)
    ahead = _value(expr, {**point, p: point[p] + STEP})
    behind = _value(expr, {**point, p: point[p] - STEP})
    if centre is None or ahead is None or behind is None:
        return None
    return (ahead - centre) / STEP, (centre - behind) / STEP


def _smooth_at(forward, backward) -> bool:
    return abs(forward - backward) <= KINK * (1 + abs(forward) + abs(backward))


def _numeric_at(cost, losses, params, means, point, nonsmooth) -> bool | None:
    """Whether the two sides differ at ``point`` in 100-digit arithmetic; ``None`` at a kink or where undefined."""
    differs = False
    for p, m in zip(params, means):
        sides = _quotients(cost, p, point)
        if sides is None or not _smooth_at(*sides):
            return None
        if nonsmooth:
            for loss in losses:
                one = _quotients(loss, p, point)
                if one is None or not _smooth_at(*one):
                    return None
        mean = _value(m, point)
        if mean is None:
            return None
        derivative = (sides[0] + sides[1]) / 2
        differs |= bool(abs(derivative - mean) > AGREEMENT * (1 + abs(mean) + abs(derivative)))
    return differs



def check_cost_against_parts(cost, parts, params, *, points: int = 4, seed: int = 0,
                             timeout: float | None = None) -> Verdict:
    """Decide whether the gradient of ``cost`` equals the mean of the gradients of ``parts``.

    The general form behind the two checks above: ``parts`` need not be
    per-example losses. They can be the costs of micro-batches (is gradient
    accumulation exact?) or of every possible minibatch (is the minibatch
    gradient unbiased?). The gradient of ``cost`` comes from its difference
    quotient, as in :func:`check_batch_cost`.

    Args:
        cost: a SymPy expression.
        parts: SymPy expressions whose gradients are averaged (equal weights).
        params: the parameter symbols.
        points: how many random rational points to evaluate at.
        seed: seeds the random points.
        timeout: seconds the check may take, as in :func:`check_gradient_of_mean`.

    Example:
        >>> w, u, v = sp.symbols("w u v")
        >>> halves = [(w - u) ** 2, (w - v) ** 2]
        >>> check_cost_against_parts(sp.Add(*halves) / 2, halves, [w]).holds
        True
    """
    if timeout is not None:
        return _within(lambda: check_cost_against_parts(cost, parts, params, points=points, seed=seed), timeout)
    if not isinstance(cost, sp.Expr) or not parts or not all(isinstance(p, sp.Expr) for p in parts):
        raise TypeError("cost must be a SymPy expression and parts a non-empty list of SymPy expressions")
    params = _symbols(params, "params")
    for expr in (cost, *parts):
        _refuse_unevaluable(expr, "cost")
    if not any(p in cost.free_symbols for p in params):
        raise ValueError(f"the cost does not depend on any of the parameters {_names(params)}")
    return _decide(cost, list(parts), params, points=points, seed=seed, what="the cost")


__all__ = ["check_batch_cost", "check_cost_against_parts", "check_gradient_of_mean"]
