"""Gradients of batch costs for a fixed number of examples, checked exactly.

The gradient of a cost is reached here from the definition of the derivative:
the difference quotient ``(C(theta + h e_j) - C(theta)) / h`` and its limit as
``h -> 0``. That route never applies the sum rule to the cost's sum, so
comparing it with the mean of per-example gradients is a check that can fail.
"""

from __future__ import annotations

from typing import Callable, Sequence

import sympy as sp

from .claims import Verdict
from .exact import decide

#: step of the difference quotient
H = sp.Symbol("h")


def examples(data: Sequence[sp.Symbol], n: int) -> list[dict]:
    """``n`` examples: for each, a mapping from every data symbol to its own copy.

    Example:
        >>> x, y = sp.symbols("x y")
        >>> examples([x, y], 2)
        [{x: x_1, y: y_1}, {x: x_2, y: y_2}]
    """
    if n < 1:
        raise ValueError(f"need at least one example, got n={n}")
    return [{s: sp.Symbol(f"{s.name}_{i}", real=True) for s in data} for i in range(1, n + 1)]


def per_example_losses(loss: sp.Expr, batch: Sequence[dict]) -> list[sp.Expr]:
    """The loss of each example: ``loss`` with the data symbols replaced.

    Example:
        >>> w, x, y = sp.symbols("w x y")
        >>> per_example_losses((w * x - y) ** 2, examples([x, y], 2))
        [(w*x_1 - y_1)**2, (w*x_2 - y_2)**2]
    """
    return [loss.xreplace(example) for example in batch]


def mean_of_gradients(losses: Sequence[sp.Expr], params: Sequence[sp.Symbol]) -> list[sp.Expr]:
    """The mean over examples of each example's gradient, one entry per parameter.

    Example:
        >>> w, b, x = sp.symbols("w b x")
        >>> losses = per_example_losses(w**2 * x + b, examples([x], 2))
        >>> mean_of_gradients(losses, [w, b])
        [w*x_1 + w*x_2, 1]
    """
    return [sp.Add(*[sp.diff(L, p) for L in losses]) / len(losses) for p in params]


def difference_quotient(cost: sp.Expr, param: sp.Symbol) -> sp.Expr:
    """``(cost(param + h) - cost(param)) / h`` with ``h`` the symbol :data:`H`.

    Example:
        >>> w = sp.Symbol("w")
        >>> difference_quotient(w**2, w)
        (-w**2 + (h + w)**2)/h
    """
    return (cost.xreplace({param: param + H}) - cost) / H


def as_polynomial(expr: sp.Expr, *first: sp.Symbol):
    """``expr`` as an element of the polynomial ring over QQ in its symbols (``first`` first), or ``None``.

    ``None`` when ``expr`` is not a polynomial with rational coefficients.

    Example:
        >>> w, x = sp.symbols("w x")
        >>> as_polynomial((w * x - 1) ** 2 / 2)
        1/2*w**2*x**2 - w*x + 1/2
        >>> as_polynomial(sp.exp(w)) is None, as_polynomial(sp.sqrt(2) * w) is None
        (True, True)
    """
    rest = sorted(sp.sympify(expr).free_symbols - set(first), key=str)
    ring, *_ = sp.ring([*first, *rest] or [H], sp.QQ)
    try:
        return ring(expr)
    except (sp.polys.polyerrors.CoercionFailed, ValueError):
        return None


def reduced(expr: sp.Expr) -> sp.Expr:
    """``expr`` in a canonical form, 0 exactly when it is zero: expanded in the ring over QQ if it is a polynomial, else cancelled.

    Example:
        >>> w = sp.Symbol("w")
        >>> reduced((w + 1) ** 2 - w**2 - 2 * w), reduced(1 / w - 1 / w)
        (1, 0)
    """
    polynomial = as_polynomial(expr)
    return sp.cancel(expr) if polynomial is None else polynomial.as_expr()


def limit_at_zero(quotient: sp.Expr) -> sp.Expr:
    """The limit of a difference quotient as ``h -> 0``.

    A quotient ``p / h`` with ``p`` a polynomial with rational coefficients is
    divided exactly by ``h`` in the polynomial ring over QQ (the fast route);
    any other rational function of ``h`` is cancelled; in both ``h = 0`` is then
    substituted (exact). Otherwise SymPy's ``limit`` is taken from both sides:
    at a kink, where the one-sided limits differ, there is no derivative.

    Raises:
        ArithmeticError: the two one-sided limits differ (no derivative there).

    Example:
        >>> w, x = sp.symbols("w x")
        >>> limit_at_zero(difference_quotient(w**2 * x / 3, w))
        2*w*x/3
        >>> limit_at_zero(difference_quotient(1 / w, w))
        -1/w**2
        >>> limit_at_zero(difference_quotient(sp.exp(w), w))
        exp(w)
        >>> limit_at_zero(difference_quotient(sp.Abs(w), w).subs(w, 0))
        Traceback (most recent call last):
        ...
        ArithmeticError: no derivative: the one-sided limits of the difference quotient differ (-1 from the left, 1 from the right)
    """
    numerator, denominator = sp.fraction(quotient)
    if denominator == H and (polynomial := as_polynomial(numerator, H)) is not None:
        limit = _divided_by_h_at_zero(polynomial, polynomial.ring.gens[0])
        if limit is not None:
            return limit.as_expr()
    if quotient.is_rational_function(H):
        return sp.cancel(sp.together(quotient)).subs(H, 0)
    left, right = sp.limit(quotient, H, 0, dir="-"), sp.limit(quotient, H, 0, dir="+")
    evaluated = not any(side.has(sp.Limit) for side in (left, right))
    if evaluated and left != right and sp.simplify(left - right) != 0:
        raise ArithmeticError(f"no derivative: the one-sided limits of the difference quotient differ ({left} from "
                              f"the left, {right} from the right)")
    return right


def limit_in_ring(cost: sp.Expr, param: sp.Symbol, ring, h):
    """The limit at ``h = 0`` of ``(cost(param + h) - cost(param)) / h``, exactly, in a polynomial ring.

    ``ring`` is a SymPy polynomial ring over the rationals whose generators
    include :data:`H` (as ``h``) and every symbol of the polynomial ``cost``.
    The quotient is an exact division by ``h``; its value at ``h = 0`` is the limit.

    Example:
        >>> w = sp.Symbol("w")
        >>> ring, h, rw = sp.ring([H, w], sp.QQ)
        >>> limit_in_ring(w**3 + 2 * w, w, ring, h)
        3*w**2 + 2
        >>> limit_in_ring(sp.Integer(5), w, ring, h)
        0
    """
    limit = _divided_by_h_at_zero(ring(cost.xreplace({param: param + H})) - ring(cost), h)
    if limit is None:
        raise ArithmeticError("the difference quotient's numerator does not vanish at h = 0")
    return limit


def _divided_by_h_at_zero(numerator, h):
    """``numerator / h`` at ``h = 0`` for a ring element that ``h`` divides exactly; ``None`` when it does not.

    A zero numerator (a cost that does not depend on the parameter) gives 0.
    """
    if not numerator:
        return numerator
    (quotient,), remainder = numerator.div([h])
    return quotient.subs(h, 0) if remainder == 0 else None


def derivative_by_definition(cost: sp.Expr, param: sp.Symbol, point: dict) -> sp.Expr:
    """d cost / d param at an exact point, from the difference quotient.

    Example:
        >>> w, x = sp.symbols("w x")
        >>> derivative_by_definition(w**3 * x, w, {w: 2, x: sp.Rational(1, 3)})
        4
    """
    return limit_at_zero(difference_quotient(cost, param).xreplace(point))


def gradient_identity(
    cost: sp.Expr,
    losses: Sequence[sp.Expr],
    params: Sequence[sp.Symbol],
    *,
    seed: int = 0,
) -> Verdict:
    """Decide whether the gradient of ``cost`` equals the mean of per-example gradients.

    The left side comes from the definition of the derivative applied to the
    whole cost; the right side from differentiating each loss on its own.

    Args:
        cost: the batch cost as one expression.
        losses: each example's loss.
        params: the parameters the gradient is taken in.
        seed: seeds the random points of the witness search.

    Example:
        The gradient of the mean loss is the mean of the gradients; the
        gradient of the sum is not:

        >>> w, x, y = sp.symbols("w x y")
        >>> losses = per_example_losses((w * x - y) ** 2, examples([x, y], 2))
        >>> gradient_identity(sp.Add(*losses) / 2, losses, [w]).method
        "symbolic: limit of the cost's difference quotient minus the mean of per-example gradients cancels to 0"
        >>> verdict = gradient_identity(sp.Add(*losses), losses, [w])
        >>> verdict.holds, verdict.gap
        (False, (1963/350,))
    """
    means = mean_of_gradients(losses, params)
    symbols = sorted(cost.free_symbols | set().union(*(L.free_symbols for L in losses)), key=str)

    def difference_at(point: dict) -> list[sp.Expr]:
        return [derivative_by_definition(cost, p, point) - m.xreplace(point) for p, m in zip(params, means)]

    prove: Callable | None = None
    if all(cost.is_rational_function(s) for s in symbols):

        def prove():
            residual = [reduced(limit_at_zero(difference_quotient(cost, p)) - m) for p, m in zip(params, means)]
            return residual, "limit of the cost's difference quotient minus the mean of per-example gradients cancels to 0"

    return decide(difference_at, symbols, prove, seed=seed)
