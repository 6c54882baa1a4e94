"""Tests of gradavg.topics.data: the data sets."""

from gradavg.topics.data import anscombe_i


def test_anscombe_returns_copies():
    x, y = anscombe_i()
    assert len(x) == len(y) == 11
    x[0] = 999
    assert anscombe_i()[0][0] == 10.0
