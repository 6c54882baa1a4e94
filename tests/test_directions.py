"""Averaging gradients is not averaging directions: the exact pieces behind the parameter-space section."""

import matplotlib
import numpy as np
import pytest
import sympy as sp

from gradavg.topics.parameter_space import (anscombe_exact, anscombe_standardised, cost_minimum_exact,
                                            directions_figure, disagreement_figure, example_gradients_exact,
                                            lines_crossing, unit_directions)

matplotlib.use("Agg")


def test_unit_directions_have_length_one_exactly_and_refuse_zero():
    units = unit_directions(example_gradients_exact((sp.Integer(1), sp.Integer(2))))
    assert all(sp.radsimp(sp.expand(u * u + v * v)) == 1 for u, v in units)
    with pytest.raises(ZeroDivisionError):
        unit_directions([(0, 0)])


def test_the_minimum_solves_the_normal_equations_and_no_example_is_fitted_there():
    w_star, b_star = cost_minimum_exact()
    grads = example_gradients_exact((w_star, b_star))
    assert [sp.radsimp(sp.expand(sum(g[k] for g in grads))) for k in range(2)] == [0, 0]
    assert all(g[1] != 0 for g in grads)
    z, y = anscombe_standardised()
    fitted = np.polyfit(z, y, 1)
    assert np.allclose([float(w_star), float(b_star)], fitted)


def test_each_gradient_is_normal_to_its_own_zero_loss_line():
    z, _ = anscombe_exact()
    for (gw, gb), zi in zip(example_gradients_exact((sp.Rational(1, 3), sp.Integer(5))), z):
        assert sp.radsimp(sp.expand(gw - zi * gb)) == 0  # parallel to the line's normal (z_i, 1)


def test_only_the_mean_of_gradients_is_the_steepest_descent():
    z, y = anscombe_standardised()
    figure, numbers = directions_figure(z, y, (0.0, 6.5), (-2.5, 4.5), (3.5, 10.5))
    assert numbers["angle_mean"] < 1e-9
    assert numbers["angle_units"] > 5
    assert numbers["lines_shown"] == len(z)  # every zero-loss line meets the page's window
    matplotlib.pyplot.close(figure)


def test_a_line_crosses_a_rectangle_iff_its_corners_are_not_all_on_one_side():
    # a steep line through the window whose ends at w = -1 and w = 1 are both outside the b range
    assert lines_crossing(np.array([10.0]), np.array([0.0]), (-1, 1), (-1, 1)) == 1
    assert lines_crossing(np.array([0.0]), np.array([5.0]), (-1, 1), (-1, 1)) == 0  # b = 5, above the window
    assert lines_crossing(np.array([0.0]), np.array([1.0]), (-1, 1), (-1, 1)) == 1  # b = 1 touches the top edge
    rng = np.random.default_rng(0)
    z, y = rng.normal(size=200) * 3, rng.normal(size=200) * 3
    ws, bs = np.meshgrid(np.linspace(-1, 1, 401), np.linspace(-1, 1, 401))
    sampled = sum(bool(np.any(ws * zi + bs - yi <= 0) and np.any(ws * zi + bs - yi >= 0)) for zi, yi in zip(z, y))
    assert lines_crossing(z, y, (-1, 1), (-1, 1)) == sampled


def test_the_mean_step_makes_examples_worse_where_the_exact_signs_say():
    from gradavg.derivations.parameter_space import THETA0, first_order_changes
    z, y = anscombe_standardised()
    figure, numbers = disagreement_figure(z, y, (0.0, 6.5), (-2.5, 4.5), (3.5, 10.5))
    exact = first_order_changes(THETA0)
    assert numbers["worse"] == [k + 1 for k, rate in enumerate(exact) if rate > 0] == [7, 10]
    assert np.allclose(numbers["rates"], [float(r) for r in exact])
    assert np.isclose(numbers["cost_rate"], np.mean(numbers["rates"]))
    matplotlib.pyplot.close(figure)
