"""Unit tests of the gradient/expectation swap and the kink helpers (on examples the pages do not use)."""

from fractions import Fraction

import pytest
import sympy as sp

from gradavg.checks.estimation import squared_norm
from gradavg.topics.population import (PiecewiseLinear, autodiff_derivative, normal_density, relu,
                                       subgradient_violation, swap_gap)
from gradavg.topics.population_figures import monte_carlo_swap

THETA, X = sp.symbols("theta x", real=True)


def test_swap_holds_for_a_smooth_loss_on_an_interval():
    gap = swap_gap(sp.sin(THETA * X), THETA, X, 2 * X, (0, 1))
    # away from theta = 0, where SymPy differentiates its Piecewise case split branch by branch
    assert all(sp.simplify(gap.subs(THETA, t)) == 0 for t in (sp.Rational(1, 3), sp.Integer(-2)))


def test_swap_fails_for_a_jump():
    gap = swap_gap(sp.Piecewise((X, X < THETA), (0, True)), THETA, X, sp.Integer(1), (0, 2))
    assert gap.subs(THETA, 1) == 1  # d/dtheta of theta^2/2 on (0, 2), against 0


def test_normal_density_moments():
    mu, s = sp.Rational(1, 2), sp.Integer(2)
    assert sp.simplify(sp.integrate(X * normal_density(X, mu, s), (X, -sp.oo, sp.oo))) == mu


def test_monte_carlo_swap_is_close_and_seeded():
    first = monte_carlo_swap(-0.3, 1.0, 0.5, 50_000, seed=9)
    assert first == monte_carlo_swap(-0.3, 1.0, 0.5, 50_000, seed=9)
    assert abs(first["sampled"] - first["exact"]) < 5 * first["standard_error"]


def test_piecewise_linear_pieces():
    hinge = PiecewiseLinear((0, -1), (0, 1))  # max(0, 1 - theta)
    assert hinge(Fraction(3)) == 0 and hinge(Fraction(-1)) == 2
    assert hinge.breakpoints() == [1]
    assert hinge.active_slopes(Fraction(1)) == [0, -1]
    assert PiecewiseLinear((1,), (0,), sign=-1)(Fraction(2)) == -2


def test_autodiff_conventions():
    hinge = PiecewiseLinear((0, -1), (0, 1))
    assert [autodiff_derivative(hinge, Fraction(1), c) for c in ("zero", "half", "one")] == [0, Fraction(-1, 2), -1]
    assert autodiff_derivative(hinge, Fraction(0)) == -1  # off the kink: the only slope
    with pytest.raises(ValueError):
        autodiff_derivative(hinge, Fraction(1), "two")


def test_subgradient_violation_on_unseen_losses():
    losses = [PiecewiseLinear((-2, 3), (0, 0)), relu(1, -1)]  # max(-2t, 3t) and max(0, t - 1)
    # C = (max(-2t, 3t) + max(0, t-1)) / 2; subdifferential at 0 is [-1, 3/2]
    assert subgradient_violation(losses, 0, Fraction(3, 2)) is None
    assert subgradient_violation(losses, 0, -1) is None
    t, gap = subgradient_violation(losses, 0, Fraction(8, 5))
    assert gap < 0
    t, gap = subgradient_violation(losses, 0, Fraction(-11, 10))
    assert gap < 0 and t < 0


def test_violation_found_on_an_outer_ray():
    # C = max(0, t)/1 near 0, far right slope 1: g = 1 is a subgradient at 0, g = 2 fails only beyond the breakpoint ray
    assert subgradient_violation([relu()], 0, 1) is None
    t, gap = subgradient_violation([relu()], 0, 2)
    assert gap < 0
    assert squared_norm([gap]) > 0


def test_ray_excesses_and_certificates():
    from gradavg.topics.population import nonnegative_by_coefficients, ray_excesses, relu_program, reported_derivative
    t, s = sp.Symbol("theta", real=True), sp.Symbol("s", positive=True)
    d = sp.Symbol("d", nonnegative=True)
    hinge = relu_program(t, -1, 2, [(1, d)])  # max(2 - theta, 2 + (d - 1) theta)
    for rho in (0, sp.Rational(1, 2), 1):
        excesses = ray_excesses(hinge, t, reported_derivative(-1, [(1, d)], rho), s)
        assert all(nonnegative_by_coefficients(e, [d]) for e in excesses)
    concave = relu_program(t, 0, 0, [(-1, 1)])  # -ReLU(theta)
    assert not all(nonnegative_by_coefficients(e, []) for e in ray_excesses(concave, t, 0, s))
    assert reported_derivative(2, [(3, -1)], 1) == -1


def test_kink_instances_are_distinct_and_the_lemma_rejects_a_concave_loss():
    import gradavg.derivations.population as claims
    instances = claims.convex_instances()
    assert len({tuple(map(repr, x)) for x in instances}) == len(instances) == 14
    verdict = claims._kink_lemma([(claims.SLOPE, claims.OFFSET, [(-1, claims.SPREAD)])], [claims.SPREAD])
    assert not verdict.holds and verdict.gap[0] < 0
