"""Tests of gradavg.topics.shuffle and gradavg.derivations.shuffle: consecutive batches and epochs (on data the pages do not use)."""

import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradavg.checks.estimation import full_gradient
from gradavg.topics.shuffle import (batch_biases, batch_mean, consecutive_batches, epoch_mean,
                                    shuffled_batch_expectations, sorted_order)


def test_consecutive_batches():
    assert consecutive_batches(range(4), 2) == [(0, 1), (2, 3)]
    assert consecutive_batches([2, 0, 1], 5) == [(2, 0, 1)]
    with pytest.raises(ValueError):
        consecutive_batches(range(3), 0)


def test_batch_mean_and_sorted_order():
    assert batch_mean([[1, 2], [3, 4]], (0, 1)) == [2, 3]
    assert sorted_order([[2], [-1], [0]]) == [1, 2, 0]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.integers(-9, 9), min_size=2, max_size=2), min_size=2, max_size=5), st.integers(1, 4))
def test_shuffled_positions_are_unbiased_and_weighted_epochs_too(grads, b):
    full = full_gradient(grads)
    assert all(row == full for row in shuffled_batch_expectations(grads, b))
    for order in itertools.islice(itertools.permutations(range(len(grads))), 6):
        assert epoch_mean(grads, b, order) == full


def test_biases_of_sorted_data_sum_to_zero_with_equal_batches():
    grads = [[7], [1], [4], [0], [2], [10]]
    biases = batch_biases(grads, 3, sorted_order(grads))
    assert biases == [[Fraction(-3)], [Fraction(3)]]


def test_unweighted_epoch_with_short_last_batch_is_biased():
    assert epoch_mean([[0], [0], [9]], 2, weighted=False) != full_gradient([[0], [0], [9]])


def test_conditional_gaps_of_fresh_and_without_replacement_draws():
    from gradavg.topics.shuffle import conditional_gaps
    xs = [Fraction(0), Fraction(3), Fraction(9)]
    step = lambda a: Fraction(1, 2) * xs[a]  # noqa: E731
    grad = lambda t, b: t - xs[b]  # noqa: E731
    target = lambda t: t - 4  # noqa: E731
    fresh = conditional_gaps([((a, b), 1) for a in range(3) for b in range(3)], step, grad, target)
    assert set(fresh.values()) == {0}
    without = conditional_gaps([((a, b), 1) for a in range(3) for b in range(3) if a != b], step, grad, target)
    assert without == {step(a): (xs[a] - 4) / 2 for a in range(3)}  # (x_a - mean)/(N - 1)


def test_second_pass_reuse_is_biased_for_the_population():
    import gradavg.derivations.shuffle as claims
    assert not claims._passes("reuse").holds
    assert claims._passes("fresh").holds


def test_enumerated_shuffle_claims_and_their_controls():
    import gradavg.derivations.shuffle as claims
    control = claims._epoch_control()
    assert not control.holds and control.gap[0] != 0 and all(v.is_Rational for v in control.witness.values())
    # every ordering enumerated at the sizes given: exhaustive there, never called a proof for every N
    permutation = claims._random_permutation([(2, 1), (3, 2)])
    assert permutation.holds and permutation.evidence == "exhaustive"
    epoch = claims._epoch()
    assert epoch.holds and epoch.evidence == "exhaustive"
    # the short last batch: the plain mean of batch means misses G even at a concrete point
    assert claims.short_last_plain_gap().free_symbols
