"""Tests of gradavg.topics.shuffle and gradavg.derivations.shuffle: consecutive batches, epochs and SGD paths (on data the pages do not use)."""

import matplotlib

matplotlib.use("Agg")

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradavg.checks.estimation import full_gradient
from gradavg.topics.shuffle import (batch_biases, batch_mean, consecutive_batches, epoch_mean, sgd_path, sgd_paths_figure,
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


def test_sgd_path_reaches_the_least_squares_fit_on_unseen_data():
    rng = np.random.default_rng(11)
    x = rng.normal(size=40)
    y = 2.0 * x - 1.0
    path = sgd_path(x, y, (0.0, 0.0), 0.1, 40, 300, None)
    assert path.shape == (301, 2) and np.allclose(path[-1], [2.0, -1.0], atol=1e-6)
    shuffled = sgd_path(x, y, (0.0, 0.0), 0.05, 4, 30, shuffle_seed=3)
    assert np.allclose(shuffled[-1], [2.0, -1.0], atol=1e-3)


def test_sgd_paths_figure_on_unseen_data():
    rng = np.random.default_rng(2)
    x = rng.normal(size=12)
    y = x + rng.normal(size=12)
    figure, paths = sgd_paths_figure(x, y, (0.0, 0.0), 0.1, 3, 2)
    assert paths["sorted"].shape == paths["shuffled"].shape == (9, 2)
    assert np.allclose(paths["minimum"], np.polyfit(x, y, 1))
    matplotlib.pyplot.close("all")


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


def test_batch_weighted_minimiser_is_where_an_epoch_of_plain_means_stalls():
    from gradavg.topics.shuffle import batch_weighted_minimiser
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=7), rng.normal(size=7)
    centre = batch_weighted_minimiser(x, y, 3)
    # to first order an epoch steps along the sum of its batch means: zero at the reweighted minimiser
    total = np.zeros(2)
    for batch in consecutive_batches(range(7), 3):
        residual = centre[0] * x[list(batch)] + centre[1] - y[list(batch)]
        total += np.array([np.mean(2 * residual * x[list(batch)]), np.mean(2 * residual)])
    assert np.allclose(total, 0)
    assert not np.allclose(centre, np.polyfit(x, y, 1))
    assert np.allclose(batch_weighted_minimiser(x, y, 7), np.polyfit(x, y, 1))
    late = sgd_path(x, y, (0.0, 0.0), 0.002, 3, 4000, None)[-3:]
    assert np.linalg.norm(late - centre, axis=1).max() < 0.05
