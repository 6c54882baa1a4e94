"""Tests of gradavg.topics.accumulation: the accumulation schemes as exact weights, and the gap the claims prove."""

from fractions import Fraction

import pytest
import sympy as sp

from gradavg.topics.accumulation import (
    accumulate,
    count_weighted_mean_weights,
    mean_of_means_weights,
    micro_batch_gradients,
    split,
    summed_loss_average_weights,
    total_count_weights,
    weighted_identity,
)

w = sp.Symbol("w")

def test_split_and_weights():
    assert split([1, 2, 3]) == [range(0, 1), range(1, 3), range(3, 6)]
    with pytest.raises(ValueError):
        split([2, 0])
    sizes = [11, 101]
    assert total_count_weights(sizes) == [Fraction(1, 112)] * 2
    assert mean_of_means_weights(sizes) == [Fraction(1, 22), Fraction(1, 202)]
    assert count_weighted_mean_weights(sizes) == total_count_weights(sizes)
    assert summed_loss_average_weights([4, 4, 1]) == [Fraction(1, 3)] * 3
    assert mean_of_means_weights([5, 5]) == total_count_weights([5, 5])


def test_micro_batch_gradients_and_accumulate():
    losses = [w**3, 2 * w, w**2]
    grads = micro_batch_gradients(losses, [w], split([2, 1]))
    assert grads == [[3 * w**2 + 2], [2 * w]]
    assert sp.expand(accumulate(grads, [Fraction(1, 3)] * 2)[0] - (3 * w**2 + 2 * w + 2) / 3) == 0
    with pytest.raises(ValueError):
        accumulate(grads, [1])


def test_weighted_identity_catches_the_mean_of_means_and_the_missing_factor():
    x = sp.symbols("x1:6")
    losses = [(w - xi) ** 2 for xi in x]
    groups = split([2, 3])
    assert weighted_identity(losses, [w], groups, total_count_weights([2, 3]), Fraction(1, 5)).holds
    bad = weighted_identity(losses, [w], groups, mean_of_means_weights([2, 3]), Fraction(1, 5))
    assert not bad.holds and all(v.is_Rational for v in bad.witness.values()) and bad.gap[0] != 0
    assert weighted_identity(losses, [w], groups, summed_loss_average_weights([2, 3]), Fraction(1, 2)).holds
    assert not weighted_identity(losses, [w], groups, summed_loss_average_weights([2, 3]), 1).holds


def test_weighted_identity_on_a_non_polynomial_loss_uses_the_points():
    x = sp.symbols("x1:4")
    losses = [1 / (1 + (w - xi) ** 2) for xi in x]
    verdict = weighted_identity(losses, [w], split([1, 2]), total_count_weights([1, 2]), Fraction(1, 3))
    assert verdict.holds and "not a proof" in verdict.method


def test_the_stated_gap_constant_is_what_the_check_proves(monkeypatch):
    import pathlib
    import re

    from gradavg.derivations import accumulation as claims

    constant = claims.GAP_COEFFICIENT
    assert constant == sp.Rational(1, 2) - sp.Rational(claims.SHORT, claims.SHORT + claims.LONG)
    # the page's statement carries the same constant as the claim's
    page = (pathlib.Path(__file__).parents[1] / "docs" / "accumulation.md").read_text()
    block = re.search(r":label: accumulation.mean-of-means-gap\n(.*?)```", page, re.S).group(1)
    assert rf"\frac{{{constant.p}}}{{{constant.q}}}" in block
    # a constant off by one in its denominator fails the check, with an exact witness
    assert claims._mean_of_means_gap(+1).holds
    monkeypatch.setattr(claims, "GAP_COEFFICIENT", sp.Rational(45, 113))
    wrong = claims._mean_of_means_gap(+1)
    assert not wrong.holds and wrong.witness is not None
