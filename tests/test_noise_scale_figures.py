"""Tests of gradavg.topics.noise_scale_figures: the noise scale along full-batch descent, and its figure (on data the pages do not use)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from gradavg.checks.estimation import noise_scale
from gradavg.topics.noise_scale_figures import noise_scale_along_descent, noise_scale_figure


def test_noise_scale_along_descent_on_unseen_data():
    rng = np.random.default_rng(4)
    x = rng.normal(size=25)
    y = 0.5 * x + 2 + 0.3 * rng.normal(size=25)
    run = noise_scale_along_descent(x, y, (0.0, 0.0), 0.2, 40)
    assert run["cost"].shape == run["noise_scale"].shape == (41,)
    assert np.all(np.diff(run["cost"]) <= 1e-12) and run["cost"][-1] >= run["minimum"] - 1e-12
    assert run["noise_scale"][-1] > run["noise_scale"][0]
    grads = np.column_stack([2 * (0.0 * x + 0.0 - y) * x, 2 * (0.0 * x + 0.0 - y)])
    assert run["noise_scale"][0] == pytest.approx(float(noise_scale(grads.tolist())))
    noise_scale_figure(run, 25)
    matplotlib.pyplot.close("all")
