"""Tests of gradavg.engine.sums: sums as sufficient statistics."""

import sympy as sp

from gradavg.engine.sums import as_statistics, statistic

i, N = sp.symbols("i N", integer=True, positive=True)
x = sp.IndexedBase("x")
w = sp.Symbol("w")


def test_statistic_names_the_sum():
    assert statistic(x[i], (i, 1, N)) == statistic(x[i], (i, 1, N))
    assert statistic(x[i], (i, 1, N)) != statistic(x[i] ** 2, (i, 1, N))


def test_as_statistics_rewrites_by_algebra_and_keeps_the_meaning():
    total = sp.Sum((w * x[i] - 1) ** 2, (i, 1, N))
    rewritten, meaning = as_statistics(total)
    assert not rewritten.has(sp.Sum)
    assert rewritten.has(N)
    # substituting the sums back and evaluating at N = 3 gives the same number as the original sum
    values = {x[1]: 2, x[2]: -1, x[3]: 5, w: sp.Rational(1, 3)}
    original = total.subs(N, 3).doit().xreplace(values)
    assert rewritten.xreplace(meaning).subs(N, 3).doit().xreplace(values) == original
