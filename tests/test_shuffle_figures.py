"""Tests of gradavg.topics.shuffle_figures: SGD paths on sorted and shuffled data, and where they stall (on data the pages do not use)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np

from gradavg.topics.shuffle import consecutive_batches
from gradavg.topics.shuffle_figures import batch_weighted_minimiser, sgd_path, sgd_paths_figure


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


def test_batch_weighted_minimiser_is_where_an_epoch_of_plain_means_stalls():
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
