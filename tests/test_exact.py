import random

import pytest
import sympy as sp

from gradavg.engine.exact import decide, is_nonzero, random_point

x, y = sp.symbols("x y")


def test_random_point_is_exact_nonzero_and_seeded():
    first = random_point([x, y], random.Random(3))
    assert set(first) == {x, y}
    assert all(v.is_Rational and v != 0 for v in first.values())
    assert first == random_point([x, y], random.Random(3))


def test_is_nonzero_decides_rationals_and_closed_forms():
    assert is_nonzero(sp.Rational(1, 10**30)) is True
    assert is_nonzero(sp.Integer(0)) is False
    assert is_nonzero(sp.exp(sp.Rational(1, 3)) - 1) is True
    assert is_nonzero(sp.sin(sp.pi / 7) ** 2 + sp.cos(sp.pi / 7) ** 2 - 1) in (False, None)
    with pytest.raises(ValueError, match="free symbols"):
        is_nonzero(x + 1)


def test_decide_proves_a_true_polynomial_identity():
    lhs, rhs = (x + y) ** 2, x**2 + 2 * x * y + y**2
    verdict = decide(lambda p: [(lhs - rhs).xreplace(p)], [x, y], lambda: ([sp.expand(lhs - rhs)], "expand"))
    assert verdict.holds and verdict.method == "symbolic: expand" and verdict.witness is None


def test_decide_rejects_a_false_identity_with_a_reproducible_witness():
    difference = (x + y) ** 2 - (x**2 + y**2)
    verdict = decide(lambda p: [difference.xreplace(p)], [x, y], lambda: ([sp.expand(difference)], "expand"))
    assert not verdict.holds
    assert verdict.gap == (difference.xreplace(verdict.witness),) and verdict.gap[0] != 0


def test_decide_certifies_a_tiny_gap_exactly():
    # far below any floating-point tolerance, still an exact nonzero rational
    difference = sp.Rational(1, 10**40) * x
    verdict = decide(lambda p: [difference.xreplace(p)], [x, y], lambda: ([sp.expand(difference)], "expand"))
    assert not verdict.holds


def test_decide_without_proof_says_it_is_not_a_proof():
    difference = sp.exp(x) * sp.exp(y) - sp.exp(x + y)
    verdict = decide(lambda p: [difference.xreplace(p)], [x, y])
    assert verdict.holds and "not a proof" in verdict.method


def test_decide_fixed_values_enter_every_point():
    n = sp.Symbol("n")
    verdict = decide(lambda p: [p[n] - 2], [x], fixed={n: 3})
    assert not verdict.holds and verdict.witness[n] == 3
