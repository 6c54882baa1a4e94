"""Sums over a symbolic number of examples, rewritten as sufficient statistics.

``Sum(summand, (i, 1, N))`` with a polynomial summand is rewritten by algebra
alone (expand the summand, split the sum over its terms, pull out factors that
do not depend on ``i``) as a combination of statistics: one symbol for each
``Sum(monomial_i, (i, 1, N))``. Two expressions that reduce to the same
polynomial in the statistics are equal for every ``N``.
"""

from __future__ import annotations

import sympy as sp


def statistic(monomial: sp.Expr, limits: tuple) -> sp.Symbol:
    """The symbol standing for ``Sum(monomial, limits)``; the same sum gives the same symbol.

    Example:
        >>> i, N = sp.symbols("i N", integer=True, positive=True)
        >>> x = sp.IndexedBase("x")
        >>> squares = statistic(x[i] ** 2, (i, 1, N))
        >>> squares
        S[x[i]**2; i=1..N]
        >>> squares == statistic(x[i] ** 2, (i, 1, N)), squares == statistic(x[i], (i, 1, N))
        (True, False)
    """
    index, lower, upper = limits
    return sp.Symbol(f"S[{sp.sstr(monomial)}; {index}={lower}..{upper}]")


def as_statistics(expr: sp.Expr) -> tuple[sp.Expr, dict[sp.Symbol, sp.Sum]]:
    """Rewrite every ``Sum`` in ``expr`` in terms of statistics.

    Returns the rewritten expression and a mapping from each statistic symbol to
    the sum it stands for (to substitute back and evaluate at a concrete ``N``).

    Example:
        >>> i, N = sp.symbols("i N", integer=True, positive=True)
        >>> x = sp.IndexedBase("x")
        >>> w = sp.Symbol("w")
        >>> rewritten, meaning = as_statistics(sp.Sum(2 * w * x[i] + 1, (i, 1, N)))
        >>> rewritten
        N + 2*S[x[i]; i=1..N]*w
    """
    meaning: dict[sp.Symbol, sp.Sum] = {}
    replacements = {}
    for total in expr.atoms(sp.Sum):
        if len(total.limits) != 1:
            raise ValueError(f"only single sums are supported, got {total}")
        limits = total.limits[0]
        index = limits[0]
        result = sp.S.Zero
        for term in sp.Add.make_args(sp.expand(total.function)):
            constant, varying = term.as_independent(index, as_Add=False)
            if varying == 1:
                result += constant * (limits[2] - limits[1] + 1)
            else:
                symbol = statistic(varying, limits)
                meaning[symbol] = sp.Sum(varying, limits)
                result += constant * symbol
        replacements[total] = result
    return expr.xreplace(replacements), meaning
