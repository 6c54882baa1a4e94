"""Tests of gradavg.engine.rounding: bounds on floating-point rounding and the exact comparison with them."""

import math
from fractions import Fraction

import pytest

from gradavg.engine import rounding


def test_compare_is_exact_at_the_edge_of_the_bound():
    bound = rounding.rounding_bound([Fraction(1)], 1)
    tolerance = bound.tolerance()[0]
    inside = rounding.compare([0.5], [Fraction(1, 2) - tolerance], bound, ["w"], "edge")
    assert inside.holds and inside.residual == 1.0
    outside = rounding.compare([0.5], [Fraction(1, 2) - tolerance * Fraction(1001, 1000)], bound, ["w"], "edge")
    assert not outside.holds and outside.gap == (tolerance * Fraction(1001, 1000),)
    assert outside.witness == {"JAX w": Fraction(1, 2), "exact w": Fraction(1, 2) - tolerance * Fraction(1001, 1000)}


def test_gamma_grows_with_depth_and_refuses_nonsense():
    assert rounding.gamma(0) == 0 < rounding.gamma(1) < rounding.gamma(100)
    with pytest.raises(ValueError):
        rounding.gamma(2**53)


def test_the_softmax_depth_grows_with_the_logits_and_refuses_an_error_beyond_one_half():
    depth = rounding.softmax_depth
    assert depth(Fraction(0), Fraction(1), Fraction(2), 6, 10) > depth(Fraction(0), Fraction(0), Fraction(0), 6, 10)
    assert depth(Fraction(0), Fraction(1), Fraction(1), 40, 10) > depth(Fraction(0), Fraction(1), Fraction(1), 4, 10)
    with pytest.raises(ArithmeticError, match="exceeds 1/2"):
        depth(Fraction(0), Fraction(2**50), Fraction(0), 6, 10)


def stepwise_depth(score_error, scores, lse, terms, backward, u):
    """The softmax depth from the derivation's steps, each bounded on its own with no first-order shortcut."""
    gamma = rounding.gamma
    e = rounding.ELEMENTARY_ROUNDINGS
    s, big_l = scores + score_error, lse + score_error  # the computed logits' bounds
    shift = 2 * u * s  # s_k - m, |s_k - m| <= 2 s
    each = (1 + shift / (1 - shift)) * (1 + gamma(e, u)) - 1  # exp(shifted input), within 2 ulps
    total = (1 + each) * (1 + gamma(terms - 1, u)) - 1  # terms - 1 additions of positive terms
    error = total / (1 - total)  # |log(1 + x)| <= x / (1 - x)
    error += gamma(e, u) * (s + big_l + error)  # the log itself, |log sum| <= lse + scores
    error += u * (big_l + error)  # m + log sum
    error += u * (s + big_l + error)  # s_j - lse
    delta = 2 * score_error + error
    epsilon = (1 + gamma(e, u)) / (1 - delta) - 1
    return 2 * backward + math.ceil(epsilon / gamma(1, u))


@pytest.mark.parametrize("score_error, scores, lse, terms, backward, unit", [
    (Fraction(0), Fraction(1), Fraction(3), 5, 23, "float32"),  # stacks.hf-*: 5 x 5 logits in [-1, 1]
    (Fraction(0), Fraction(5, 4), Fraction(2), 4, 13, "float32"),  # distributed.hf-ranks
    (6 * Fraction(1, 2**53) * 4, Fraction(4), Fraction(5), 6, 25, "float64"),  # distributed.in-batch-negatives
    (Fraction(1, 100), Fraction(5), Fraction(6), 30, 1, "float32"),
    (Fraction(0), Fraction(0), Fraction(0), 1, 0, "float64"),
])
def test_the_softmax_depth_covers_every_step_of_its_derivation(score_error, scores, lse, terms, backward, unit):
    u = rounding.UNIT_ROUNDOFF[unit]
    assert rounding.softmax_depth(score_error, scores, lse, terms, backward, u) >= stepwise_depth(
        score_error, scores, lse, terms, backward, u)


def test_twenty_ulps_are_at_most_forty_unit_roundoffs():
    np = pytest.importorskip("numpy")
    assert rounding.ELEMENTARY_ROUNDINGS == 40  # exp_u20's 20 ulps
    for dtype, name in [(np.float32, "float32"), (np.float64, "float64")]:
        for x in [1.0, 1.5, 2.0 - 2.0**-20, 3.0e-30, 7.0e20]:
            value = dtype(x)
            ulp = Fraction(float(np.spacing(value)))
            assert 20 * ulp <= rounding.ELEMENTARY_ROUNDINGS * rounding.UNIT_ROUNDOFF[name] * abs(Fraction(float(value)))


def test_the_softmax_depth_refuses_where_second_order_terms_are_not_covered():
    with pytest.raises(ArithmeticError, match="second-order"):
        rounding.softmax_depth(Fraction(0), Fraction(20), Fraction(25), 1000, 1, rounding.UNIT_ROUNDOFF["float32"])
