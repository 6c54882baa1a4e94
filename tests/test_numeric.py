"""Tests of gradavg.engine.numeric: the models' numeric gradients."""

import numpy as np
import pytest
import sympy as sp

from gradavg.engine.models import linear_regression
from gradavg.engine.numeric import least_squares_gradient, per_example_gradients


def test_per_example_gradients_match_least_squares_on_unseen_data():
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=50), rng.normal(size=50)
    grads = per_example_gradients(linear_regression(1))([0.3, -0.2], x, y)
    assert grads.shape == (50, 2)
    assert np.allclose(grads.mean(axis=0), least_squares_gradient([0.3, -0.2], x, y), rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="data columns"):
        per_example_gradients(linear_regression(1))([0.3, -0.2], x)


def test_identically_zero_gradient_entries_are_broadcast():
    w, v, x = sp.symbols("w v x")
    from gradavg.engine.models import Model

    grads = per_example_gradients(Model("v unused", w * x, (w, v), (x,)))([1.0, 2.0], np.arange(4.0))
    assert grads.shape == (4, 2) and np.all(grads[:, 1] == 0)
