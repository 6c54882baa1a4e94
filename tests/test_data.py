"""Tests of gradavg.topics.data (the data sets, exact) and gradavg.topics.data_arrays (the same as NumPy arrays)."""

from fractions import Fraction

from gradavg.topics.data import ANSCOMBE_I_Y, anscombe_quartet_exact
from gradavg.topics.data_arrays import anscombe_i, anscombe_quartet


def test_anscombe_returns_copies():
    x, y = anscombe_i()
    assert len(x) == len(y) == 11
    x[0] = 999
    assert anscombe_i()[0][0] == 10.0


def test_the_exact_values_are_the_printed_decimals_and_the_arrays_their_doubles():
    assert ANSCOMBE_I_Y[0] == Fraction(804, 100)
    x, y = anscombe_quartet_exact()
    float_x, float_y = anscombe_quartet()
    assert float_y.tolist() == [float(v) for v in y] and float_y[-1] == 6.89
    assert float_x.tolist() == [float(v) for v in x] and float_x[40] == 19.0
