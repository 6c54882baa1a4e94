"""Tests of gradavg.topics.parameter_space, its figures module and gradavg.derivations.parameter_space: averaging gradients is not averaging directions, the exact pieces, the surfaces and figures."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import sympy as sp

from gradavg.topics.parameter_space import (anscombe_exact, cost_minimum_exact, example_gradients_exact,
                                            mistaken_places, unit_directions)
from gradavg.topics.parameter_space_figures import (anscombe_standardised, directions_figure, disagreement_figure,
                                                    lines_crossing, mistaken_and_right, per_example_surfaces)

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


def test_the_mean_step_makes_examples_worse_where_the_exact_thresholds_say():
    from gradavg.derivations.parameter_space import (THETA0, WORSE_BELOW_ONE, WORSE_HALF, WORSE_SMALL,
                                                     first_order_changes, step_changes, worse_at, worse_thresholds)
    z, y = anscombe_standardised()
    figure, numbers = disagreement_figure(z, y, (0.0, 6.5), (-2.5, 4.5), (3.5, 10.5))
    taus = worse_thresholds()
    assert numbers["worse_small"] == [k + 1 for k, rate in enumerate(first_order_changes(THETA0)) if rate > 0]
    assert numbers["worse_small"] == WORSE_SMALL and numbers["worse_at_half"] == WORSE_HALF
    assert numbers["worse_below_one"] == WORSE_BELOW_ONE
    assert np.allclose(numbers["thresholds"], [float(t) for t in taus])
    assert np.isclose(numbers["cost_rate"], np.mean(numbers["rates"]))
    # the thresholds are where each loss stops falling: just below tau_i it has not risen, just above it has
    for k, tau in enumerate(taus):
        if tau > 0:
            change = step_changes()[k].as_expr()
            assert change.xreplace({step_changes()[k].gens[0]: tau}) == 0
            assert k + 1 not in worse_at(tau * sp.Rational(999, 1000)) and k + 1 in worse_at(tau * sp.Rational(1001, 1000))
    # the step's exact change in C, eta (1 - eta) |gbar|^2, is the mean of the examples' changes
    eta = sp.Rational(3, 4)
    mean_change = sum(c.as_expr().xreplace({c.gens[0]: eta}) for c in step_changes()) / len(z)
    assert np.isclose(float(mean_change), numbers["cost_rate"] * float(eta * (1 - eta)))
    matplotlib.pyplot.close(figure)


def test_centring_alone_does_not_make_minus_the_gradient_point_at_the_minimum():
    from gradavg.derivations.parameter_space import CENTRED_COST_GRADIENT, CENTRED_X, THETA0, Y, b, cost_hessian, w
    from gradavg.engine.claims import ledger
    from gradavg.topics.parameter_space import anscombe_centred_exact, least_squares_line_exact

    x, _ = anscombe_centred_exact()
    assert sum(x) == 0 and sum(v * v for v in x) / len(x) == 10  # centred, but the variance is 10, not 1
    assert cost_hessian("centred") == sp.diag(20, 2) != 2 * sp.eye(2)
    w_star, b_star = least_squares_line_exact(CENTRED_X, Y)
    assert (w_star, b_star) == (cost_minimum_exact(standardised=False)[0], sp.Add(*Y) / len(Y))  # same slope, b* = ybar
    descent = [-sp.sympify(c).xreplace({w: THETA0[0], b: THETA0[1]}) for c in CENTRED_COST_GRADIENT]
    towards = [w_star - THETA0[0], b_star - THETA0[1]]
    cross = descent[0] * towards[1] - descent[1] * towards[0]
    assert cross.is_Rational and cross != 0
    angle = np.degrees(np.arctan2(float(towards[1]), float(towards[0])) - np.arctan2(float(descent[1]), float(descent[0])))
    assert round(float(angle), 1) == 52.1
    claim = {c.id: c for c in ledger()}["parameter-space.mean-points-at-minimum"]
    verdict = claim.control_check()
    assert not verdict.holds and verdict.witness == {w: THETA0[0], b: THETA0[1]}
    assert verdict.gap == (18, 0, 0, 0, cross)


def test_the_step_bound_is_two_over_l_only_when_the_curvature_along_the_gradient_is_l():
    from gradavg.derivations.parameter_space import COST_GRADIENT, RAW_COST_GRADIENT, THETA0, b, cost_hessian, w

    for inputs, gradient in (("standardised", COST_GRADIENT), ("raw", RAW_COST_GRADIENT)):
        hessian = cost_hessian(inputs)
        g = sp.Matrix([sp.sympify(c).xreplace({w: THETA0[0], b: THETA0[1]}) for c in gradient])
        bound = sp.radsimp(2 * g.dot(g) / (g.T * hessian * g)[0])
        two_over_l = 2 / max(hessian.eigenvals())
        if inputs == "standardised":
            assert bound == two_over_l == 1
        else:
            assert sp.radsimp(bound - two_over_l) > 0  # the raw cost falls for somewhat longer steps than 2/L
            assert (round(float(two_over_l), 7), round(float(bound), 7)) == (0.0108824, 0.0108906)


def test_exact_data_match_the_floats():
    z, y = anscombe_standardised()
    exact_z, exact_y = anscombe_exact()
    assert np.allclose(z, [float(v) for v in exact_z]) and np.allclose(y, [float(v) for v in exact_y])
    assert sp.simplify(sum(v**2 for v in exact_z) - len(exact_z)) == 0


def test_mistaken_places_are_distinct_exact_and_seeded():
    places = mistaken_places(11)
    assert places == mistaken_places(11) and len(set(places)) == 11
    assert all(v.is_Rational for place in places for v in place) and (0, 0) not in places


def test_figures_report_rounding_level_agreement():
    z, y = anscombe_standardised()
    figure, difference = per_example_surfaces(z, y, (-2, 4), (4, 10))
    assert difference < 1e-10 and len(figure.axes) >= 12
    plt.close(figure)
    figure, numbers = mistaken_and_right(z, y, (0.0, 6.5), (-2, 4), (4, 10))
    assert numbers["gradient_gap"] < 1e-12 and abs(numbers["scattered_w"] - numbers["full_w"]) > 0.1
    plt.close(figure)


def test_the_lowest_step_is_read_only_off_a_parabola_that_opens_upwards():
    from gradavg.derivations.parameter_space import ETA, lowest_point
    tiny = sp.Rational(1, 10**30)
    assert lowest_point(tiny * ETA**2 - tiny * ETA) == sp.Rational(1, 2)   # just inside: barely convex
    for not_convex in (-tiny * ETA**2 + tiny * ETA, ETA - 1):            # just past: concave, or no eta^2 term
        with pytest.raises(ArithmeticError):
            lowest_point(not_convex)
