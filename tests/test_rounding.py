"""Tests of gradavg.engine.rounding: bounds on floating-point rounding and the exact comparison with them."""

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
