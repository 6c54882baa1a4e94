"""Tests of gradavg.topics.noise_scale: the noise-scale helpers, exactly (on data the pages do not use)."""

from fractions import Fraction

import pytest

from gradavg.checks.estimation import squared_norm, full_gradient, noise_scale
from gradavg.topics.noise_scale import best_improvement, expected_cost_after_step, quadratic_cost


def test_quadratic_cost():
    assert quadratic_cost([[1, 1], [3, 1]], [2, 1]) == Fraction(1, 2)


def test_full_step_of_one_recovers_the_mean_without_noise():
    points = [[1, 4], [3, 0], [2, 2]]
    # a batch of all N examples drawn without replacement is the full gradient; step 1 lands on the mean
    assert expected_cost_after_step(points, [7, -1], 3, 1, replace=False) == quadratic_cost(points, [2, 2])


def test_best_improvement_matches_the_noise_scale_formula_on_unseen_data():
    points, theta = [[1, 4], [3, 0], [2, 2], [0, 1]], [5, -2]
    grads = [[t - x for t, x in zip(theta, p)] for p in points]
    size = squared_norm(full_gradient(grads))
    for b in (1, 3):
        assert best_improvement(points, theta, b) == size / 2 / (1 + noise_scale(grads) / b)
    # without replacement the batch of all four has no noise: the full gain
    assert best_improvement(points, theta, 4, replace=False) == size / 2


def test_best_improvement_needs_a_gradient():
    with pytest.raises(ValueError):
        best_improvement([[1], [1]], [1], 1)


@pytest.mark.parametrize("batch_size", [1, 2, 3])
def test_the_exercise_reads_the_noise_scale_off_the_best_step_at_every_batch_size(batch_size):
    from gradavg.derivations.noise_scale import noise_scale_from_best_step
    gradients = [[2, -1], [0, 3], [1, 1], [5, 0]]  # not the exercise's
    assert noise_scale_from_best_step(gradients, batch_size) == noise_scale(gradients)
