"""Tests of gradavg.engine.exact: exact decision with witnesses, its guards, and interval enclosures."""

import random

import pytest
import sympy as sp

from gradavg.engine.exact import DIGITS, decide, is_nonzero, random_point

x, y = sp.symbols("x y")
a, b = sp.symbols("a b")
ZERO = lambda point: [sp.Integer(0)]  # noqa: E731 - the random points all agree


def _tiny(power):
    """A closed form (not a rational) of size about 10**-power."""
    return sp.exp(sp.Rational(1, 10**power)) - 1


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


def test_guard_proof_step_a_nonzero_residual_with_agreeing_points_is_never_accepted():
    # the points say 0 every time; the canonical residual says a. Without the guard: "holds".
    with pytest.raises(ArithmeticError) as undecided:
        decide(ZERO, [a], lambda: ([a], "a canonical form"))
    assert str(undecided.value) == ("the residual did not reduce to 0 (a canonical form) and no witness turned up "
                                    "in 64 points; the identity is undecided")


def test_guard_proof_step_every_component_of_the_residual_must_be_zero():
    with pytest.raises(ArithmeticError, match="undecided"):
        decide(lambda p: [0, 0], [a, b], lambda: ([sp.Integer(0), b - b + a], "a canonical form"))


def test_guard_proof_step_a_residual_of_size_1e_60_is_not_zero():
    with pytest.raises(ArithmeticError):
        decide(ZERO, [a], lambda: ([sp.Rational(1, 10**60)], "a canonical form"))


def test_guard_proof_step_later_points_find_the_witness_and_keep_the_residual():
    calls = []

    def difference_at(point):  # agrees at the first four points, not after
        calls.append(point)
        return [point[a] if len(calls) > 4 else 0]

    verdict = decide(difference_at, [a], lambda: ([a], "a canonical form"))
    assert not verdict.holds and verdict.residual == (a,) and verdict.witness == calls[4]
    assert verdict.gap == (calls[4][a],)


def test_guard_proof_step_a_zero_residual_is_a_proof_and_no_witness_search_is_needed():
    verdict = decide(ZERO, [a], lambda: ([sp.Integer(0)], "a canonical form"))
    assert verdict.holds and verdict.method == "symbolic: a canonical form" and verdict.residual == (0,)


@pytest.mark.parametrize("power", [4, 30, 60, 190])
def test_guard_tiny_gap_exact_rationals_are_never_zero(power):
    assert is_nonzero(sp.Rational(1, 10**power)) is True
    assert is_nonzero(-sp.Rational(1, 10**power)) is True
    verdict = decide(lambda p: [sp.Rational(1, 10**power) * p[a]], [a], lambda: ([a / 10**power], "expand"))
    assert not verdict.holds and verdict.gap[0] != 0


@pytest.mark.parametrize("power", [4, 30, 45, 60, DIGITS - 6])
def test_guard_tiny_gap_closed_forms_are_nonzero_down_to_the_working_digits(power):
    # 1e-4 is the size the injected bug treated as zero; 1e-60 is below any double
    assert is_nonzero(_tiny(power)) is True
    assert is_nonzero(-_tiny(power)) is True
    verdict = decide(lambda p: [_tiny(power) * p[a] ** 2], [a])
    assert not verdict.holds and verdict.method == "exact evaluation at a witness point"


def test_guard_tiny_gap_below_the_working_digits_is_undecided_not_false():
    assert is_nonzero(_tiny(DIGITS - 4)) is None
    assert is_nonzero(_tiny(DIGITS + 50)) is None


def test_guard_tiny_gap_exact_zero_is_false_and_a_closed_form_zero_is_never_true():
    assert is_nonzero(sp.Integer(0)) is False
    assert is_nonzero(sp.sqrt(2) ** 2 - 2) is False
    for unevaluated_zero in (sp.Add(sp.sqrt(2), -sp.sqrt(2), evaluate=False), sp.sin(sp.pi, evaluate=False)):
        assert not unevaluated_zero.is_Rational and is_nonzero(unevaluated_zero) is False  # proved zero by SymPy
    assert is_nonzero(sp.cos(sp.pi / 7) - sp.cos(2 * sp.pi / 7) + sp.cos(3 * sp.pi / 7) - sp.Rational(1, 2)) is None


def test_guard_precision_an_evaluation_without_a_known_digit_is_undecided():
    # exp(exp(t)) * 0 written so SymPy cannot see the zero: evalf returns "0.e+<huge>", no digit known
    t = sp.Rational(81, 2)
    hidden_zero = sp.exp(sp.exp(t)) * (1 / (1 + sp.exp(-t)) - sp.exp(t) / (1 + sp.exp(t)))
    assert hidden_zero.is_zero is None
    assert is_nonzero(hidden_zero) is None


def test_guard_finite_infinities_and_free_symbols_are_refused():
    for bad in (sp.oo, -sp.oo, sp.zoo):
        with pytest.raises(ValueError, match="not finite"):
            is_nonzero(bad)
    with pytest.raises(ValueError, match=r"\['a'\]"):
        is_nonzero(a + 1)


def test_guard_undefined_a_division_by_zero_skips_the_point():
    calls = []

    def difference_at(point):
        calls.append(point)
        if len(calls) == 1:
            raise ZeroDivisionError
        return [point[a]]

    verdict = decide(difference_at, [a])
    assert not verdict.holds and verdict.witness == calls[1]


@pytest.mark.parametrize("bad", [sp.zoo, sp.nan, sp.oo])
def test_guard_undefined_infinities_skip_the_point(bad):
    calls = []

    def difference_at(point):
        calls.append(point)
        return [bad] if len(calls) <= 2 else [point[a]]

    verdict = decide(difference_at, [a])
    assert not verdict.holds and verdict.witness == calls[2]


def test_guard_undefined_everywhere_without_a_proof_is_undecided_not_holds():
    with pytest.raises(ArithmeticError) as undecided:
        decide(lambda p: [sp.zoo], [a])
    assert str(undecided.value) == ("the difference is undefined at all 4 random points and there is no proof; "
                                    "the identity is undecided")


def test_guard_undefined_points_with_a_proof_still_rest_on_the_proof():
    verdict = decide(lambda p: [sp.nan], [a], lambda: ([sp.Integer(0)], "expand"))
    assert verdict.holds and verdict.method == "symbolic: expand"


def test_guard_floats_are_made_exact_before_deciding():
    verdict = decide(lambda p: [0.25 * float(p[a])], [a])
    assert not verdict.holds and verdict.gap[0] == verdict.witness[a] / 4 and verdict.gap[0].is_Rational


def test_guard_no_proof_says_not_a_proof_and_says_how_it_evaluated():
    exact = decide(ZERO, [a], points=3)
    assert exact.holds and exact.method == "exact evaluation: zero at 3 random rational points (not a proof)"
    hidden = decide(lambda p: [sp.cos(sp.pi / 7) - sp.cos(2 * sp.pi / 7) + sp.cos(3 * sp.pi / 7) - sp.Rational(1, 2)],
                    [a], points=2)
    assert hidden.holds and hidden.method == f"numeric: zero to {DIGITS} digits at 2 random rational points (not a proof)"


def test_guard_no_proof_one_undecided_point_makes_the_method_numeric():
    calls = []

    def difference_at(point):  # the first point is a zero no arithmetic can prove, the others exact zeros
        calls.append(point)
        return [_tiny(DIGITS + 50)] if len(calls) == 1 else [sp.Integer(0)]

    verdict = decide(difference_at, [a])
    assert verdict.holds and verdict.method.startswith(f"numeric: zero to {DIGITS} digits at 4")


def test_guard_points_and_seeds_are_honoured():
    seen = []
    decide(lambda p: seen.append(p) or [0], [a], points=5, seed=7)
    rng = random.Random(7)
    assert seen == [random_point([a], rng) for _ in range(5)]
    found = []
    with pytest.raises(ArithmeticError, match="in 9 points"):
        decide(lambda p: found.append(p) or [0], [a], lambda: ([a], "c"), points=2, max_points=7)
    assert len(found) == 9


def test_guard_random_points_are_never_zero_and_stay_small():
    rng = random.Random(1)
    values = [v for _ in range(300) for v in random_point([a, b], rng).values()]
    assert all(v != 0 and v.is_Rational and abs(v.p) <= 9 and 1 <= v.q <= 7 for v in values)
    assert {v.p for v in values} == set(range(-9, 10)) - {0}
    assert {v for v in values if v.q == 1} and max(v.q for v in values) == 7


def test_interval_signs_are_certified_and_refuse_what_they_cannot_decide():
    from gradavg.engine.exact import certified_sign as _sign, enclosure
    assert _sign(sp.sqrt(2) - sp.Rational(1414, 1000)) == 1 and _sign(sp.Rational(-1, 3)) == -1
    assert _sign(sp.sqrt(8) - 2 * sp.sqrt(2)) == 0
    with pytest.raises(ValueError):
        enclosure(sp.exp(1))
