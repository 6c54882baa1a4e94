"""Unit tests of minibatch enumeration, the noise scale, the batch checks and the estimation figures."""

import matplotlib

matplotlib.use("Agg")

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from gradavg import Moments, minibatch_moments, noise_scale
from gradavg.checks.batchcheck import check_every_size, decide_for_all_integers, gradient_symbols, integer_points
from gradavg.checks.estimation import (as_vectors, full_gradient, gradient_variance, moments_over, squared_norm,
                                two_batch_estimates, two_batch_expectations, uniform_batches)
from gradavg.topics.variance import (anscombe_gradients, angles_against_batch_size, sampled_batch_means,
                                        sampled_variance, variance_against_batch_size)

small_grads = st.integers(1, 5).flatmap(
    lambda n: st.lists(st.lists(st.integers(-20, 20), min_size=2, max_size=2), min_size=n, max_size=n))


def test_moments_by_hand():
    # three scalar examples 1, 5, 6: subsets of two have means 3, 3.5, 5.5
    m = minibatch_moments([[1], [5], [6]], 2)
    assert m == Moments([Fraction(4)], Fraction((1 + Fraction(1, 4) + Fraction(9, 4)), 3), 3)
    # with replacement, B = 2: nine ordered samples
    assert minibatch_moments([[1], [5], [6]], 2, replace=True).batches == 9


@settings(max_examples=40, deadline=None)
@given(small_grads, st.integers(1, 3), st.booleans())
def test_expected_batch_mean_is_the_full_gradient(grads, b, replace):
    if not replace and b > len(grads):
        return
    assert minibatch_moments(grads, b, replace).mean == full_gradient(grads)


@settings(max_examples=40, deadline=None)
@given(small_grads, st.integers(1, 3))
def test_variance_formulas_on_random_integer_data(grads, b):
    n, sigma2 = len(grads), gradient_variance(grads)
    assert minibatch_moments(grads, b, replace=True).variance == sigma2 / b
    if b <= n and n > 1:
        assert minibatch_moments(grads, b).variance == sigma2 / b * Fraction(n - b, n - 1)


def test_exact_types_are_kept_and_floats_give_floats():
    exact = minibatch_moments([[sp.Rational(1, 3)], [Fraction(1, 2)], [2]], 2)
    assert all(isinstance(v, Fraction) for v in exact.mean) and isinstance(exact.variance, Fraction)
    floats = minibatch_moments(np.array([[0.5], [1.5]]), 1)
    assert floats.mean == [1.0] and math.isclose(floats.variance, 0.25)


def test_symbols_pass_through():
    g = gradient_symbols(3, 1)
    m = minibatch_moments(g, 3)
    assert sp.expand(m.mean[0] - (g[0][0] + g[1][0] + g[2][0]) / 3) == 0 and sp.expand(m.variance) == 0


@pytest.mark.parametrize("grads, b, replace", [
    ([], 1, False), ([[1], [1, 2]], 1, False), ([[]], 1, False), ([[1], [2]], 0, True),
    ([[1], [2]], 3, False), ([[1], [2]], 1.5, True), (5, 1, False),
])
def test_invalid_input_raises(grads, b, replace):
    with pytest.raises(ValueError):
        minibatch_moments(grads, b, replace)


def test_batch_size_above_n_with_replacement_is_allowed():
    assert minibatch_moments([[1], [3]], 3, replace=True).batches == 8


def test_uniform_batches_weights_sum_to_the_count():
    assert sum(w for _, w in uniform_batches(4, 3, replace=True)) == 4**3
    assert sum(w for _, w in uniform_batches(5, 2)) == math.comb(5, 2)


def test_moments_over_rejects_bad_weights():
    with pytest.raises(ValueError):
        moments_over([[1]], [((0,), 0)])
    with pytest.raises(ValueError):
        moments_over([[1]], [((0,), -1)])
    assert moments_over([[1], [3]], [((0, 1), 1), ((0,), 0)]).mean == [2]


def test_noise_scale():
    assert noise_scale([[2, 0], [4, 0], [0, 6]]) == gradient_variance([[2, 0], [4, 0], [0, 6]]) / 8
    assert noise_scale([[1.0], [3.0]]) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="zero"):
        noise_scale([[1, -1], [-1, 1]])
    with pytest.raises(ValueError):
        noise_scale([])


def test_two_batch_estimates_are_unbiased_with_replacement_and_biased_without():
    grads = [[3, 1], [0, 2], [5, -1], [2, 2]]
    expected = two_batch_expectations(grads, 1, 3)
    assert expected == (sum(g * g for g in full_gradient(grads)), gradient_variance(grads))
    assert two_batch_expectations(grads, 1, 3, replace=False) != expected
    with pytest.raises(ValueError):
        two_batch_estimates([1], [1], 2, 2)
    with pytest.raises(ValueError):
        two_batch_expectations(grads, 1, 5, replace=False)


def test_as_vectors_converts_sympy_rationals():
    assert as_vectors([[sp.Rational(1, 2), sp.Integer(3)]]) == [[Fraction(1, 2), 3]]


def test_check_every_size_finds_a_witness():
    verdict = check_every_size([(2, 1), (3, 2)], lambda g, b: [g[0][0] * (b - 1)], dim=1)
    assert not verdict.holds and verdict.witness[sp.Symbol("B")] == 2 and verdict.gap[0] != 0
    assert check_every_size([(2, 1)], lambda g, b: [g[0][0] - g[0][0]], dim=1).holds


def test_integer_points_and_decide():
    n = sp.Symbol("n", integer=True, positive=True)
    assert integer_points(n - n, {n: lambda p: range(1, 4)}) is None
    verdict = decide_for_all_integers(n**2 - n, {n: lambda p: range(1, 4)}, sp.expand, "expand")
    assert not verdict.holds and verdict.witness == {n: 2} and verdict.gap == (2,)
    with pytest.raises(ArithmeticError):
        decide_for_all_integers((n - 1) * (n - 2), {n: lambda p: range(1, 3)}, lambda e: e, "nothing")


def test_sampled_batch_means_on_unseen_data():
    rng = np.random.default_rng(3)
    grads = rng.normal(size=(30, 3))
    means = sampled_batch_means(grads, 30, False, 5, rng)
    assert np.allclose(means, grads.mean(axis=0))
    assert sampled_batch_means(grads, 40, True, 7, rng).shape == (7, 3)
    with pytest.raises(ValueError):
        sampled_batch_means(grads, 31, False, 1, rng)
    sigma2 = ((grads - grads.mean(axis=0)) ** 2).sum(axis=1).mean()
    assert sampled_variance(grads, 4, True, 20000, seed=1) == pytest.approx(sigma2 / 4, rel=0.05)


def test_estimation_figures_on_unseen_data():
    grads = np.random.default_rng(5).normal(loc=1.0, size=(8, 2))
    figure, measured = variance_against_batch_size(grads, [1, 4, 16], draws=200)
    assert set(measured) == {(True, 1), (True, 4), (True, 16), *((False, b) for b in range(1, 8))}
    figure, medians = angles_against_batch_size(grads, [1, 4], draws=200)
    assert medians[(False, 8)] == pytest.approx(0.0, abs=1e-6)
    matplotlib.pyplot.close("all")


def test_anscombe_gradients_mean_is_the_least_squares_gradient():
    from gradavg.topics.data_arrays import anscombe_i
    from gradavg.engine.numeric import least_squares_gradient

    x, y = anscombe_i()
    x = (x - x.mean()) / x.std()
    assert np.allclose(anscombe_gradients().mean(axis=0), least_squares_gradient((0.0, 6.5), x, y))


def test_numpy_integer_batch_size_is_accepted():
    assert minibatch_moments([[1], [3]], np.int64(2)).batches == 1
    with pytest.raises(ValueError):
        minibatch_moments([[1], [3]], True)


# --- the symbolic position moments against brute-force enumeration, on data the pages do not use ----------

from gradavg.checks.estimation import (BATCH, FIRST, N_EXAMPLES, SECOND, batch_mean_square,  # noqa: E402
                                       batch_sample_variance, nested_two_batch_expectations, position_laws_match,
                                       sigma_squared)


def _at(expression, values, b):
    return expression.xreplace({N_EXAMPLES: len(values), BATCH: b, FIRST: sum(values),
                                SECOND: sum(v * v for v in values)})


@pytest.mark.parametrize("replace", [True, False])
@pytest.mark.parametrize("b", [1, 2, 3])
def test_symbolic_batch_variance_matches_enumeration(replace, b):
    values = [Fraction(-3), Fraction(1, 2), Fraction(4), Fraction(7, 3)]
    enumerated = minibatch_moments([[v] for v in values], b, replace=replace).variance
    assert _at(batch_mean_square(replace), values, b) == enumerated
    assert _at(sigma_squared(), values, b) == gradient_variance([[v] for v in values])


@pytest.mark.parametrize("replace", [True, False])
def test_symbolic_sample_variance_matches_enumeration(replace):
    values, b = [Fraction(2), Fraction(-1), Fraction(5), Fraction(0)], 3
    total = count = 0
    for batch, weight in uniform_batches(len(values), b, replace):
        drawn = [values[i] for i in batch]
        mean = sum(drawn) / b
        total += weight * sum((v - mean) ** 2 for v in drawn) / (b - 1)
        count += weight
    assert _at(batch_sample_variance(replace), values, b) == total / count


def test_nested_and_independent_pairs_have_the_same_expectations_with_replacement():
    grads = [[1, 2], [-2, 0], [3, -1]]
    assert nested_two_batch_expectations(grads, 1, 3) == two_batch_expectations(grads, 1, 3)
    # without replacement the two couplings still agree (linearity), and are biased by the exact factors
    nested = nested_two_batch_expectations(grads, 1, 2, replace=False)
    assert nested == two_batch_expectations(grads, 1, 2, replace=False)
    trace = gradient_variance(grads)
    assert nested[1] == trace * Fraction(3, 2)
    with pytest.raises(ValueError):
        nested_two_batch_expectations(grads, 2, 4, replace=False)


def test_position_laws():
    assert position_laws_match(3, 2, True) and position_laws_match(5, 3, False)


@pytest.mark.parametrize("replace", [True, False])
@pytest.mark.parametrize("b", [1, 2, 3])
def test_symbolic_batch_covariance_matches_enumeration(replace, b):
    """The off-diagonal entry E (g_S - G)(h_S - H) against every batch listed, for two components g and h."""
    from gradavg.checks.estimation import first_statistic
    from gradavg.derivations.variance import FIRST_OTHER, MIXED, OTHER, position_covariance
    g = [Fraction(-3), Fraction(1, 2), Fraction(4), Fraction(7, 3)]
    h = [Fraction(1), Fraction(-2), Fraction(0), Fraction(5, 4)]
    n, full_g, full_h = len(g), sum(g) / len(g), sum(h) / len(h)
    total = count = 0
    for batch, weight in uniform_batches(n, b, replace):
        total += weight * (sum(g[i] for i in batch) / b - full_g) * (sum(h[i] for i in batch) / b - full_h)
        count += weight
    value = position_covariance(replace).xreplace({N_EXAMPLES: n, BATCH: b, FIRST: sum(g), FIRST_OTHER: sum(h),
                                                   MIXED: sum(x * y for x, y in zip(g, h))})
    assert first_statistic(OTHER) == FIRST_OTHER
    assert value == total / count


def test_each_wrong_variant_of_a_control_must_fail():
    from gradavg.checks.batchcheck import all_rejected
    from gradavg.derivations.unbiased import B as B_, N as N_, _decide, _ranges, ordered_weight, samples_containing
    slip = _decide(ordered_weight(samples_containing()) - 1 / N_, _ranges(True))
    assert not slip.holds and slip.witness == {N_: 1, B_: 2}  # the one sample (1, 1) counted once, weight 1/2
    right = _decide(ordered_weight(B_ * N_ ** (B_ - 1)) - 1 / N_, _ranges(True))
    assert right.holds
    assert not all_rejected([slip, slip]).holds and all_rejected([slip, right]).holds


def test_block_without_wraparound_is_biased_and_with_wraparound_is_not():
    from gradavg.derivations.unbiased import block_without_wraparound
    grads = [[1, 0], [3, 1], [8, -2], [4, 5]]
    assert block_without_wraparound(grads, 2).mean != full_gradient(grads)
    cyclic = moments_over(grads, [((s, (s + 1) % 4), 1) for s in range(4)])
    assert cyclic.mean == full_gradient(grads)


def test_off_by_one_draws_never_pick_the_last_example_and_are_rejected_at_the_smallest_size():
    from gradavg.checks.batchcheck import B_SYMBOL, N_SYMBOL, check_every_size
    from gradavg.derivations.unbiased import bias, never_the_last_draws
    assert never_the_last_draws([[1], [5], [9]], 2).mean == [Fraction(3)]
    verdict = check_every_size([(2, 1), (3, 2)], lambda g, b: bias(never_the_last_draws, g, b))
    assert not verdict.holds and (verdict.witness[N_SYMBOL], verdict.witness[B_SYMBOL]) == (2, 1)


def test_variance_any_n_control_has_a_with_replacement_variant_that_fails():
    from gradavg.derivations.variance import B, FPC_FACTOR, N, SIGMA_GH, _decide_all, position_covariance
    for wrong in (SIGMA_GH / B * FPC_FACTOR, SIGMA_GH * N / (N - 1) / B):
        verdict = _decide_all([(position_covariance(True) - wrong, True)])[-1]
        assert not verdict.holds and verdict.gap[0] != 0


@pytest.mark.parametrize("b", [1, 2, 3])
def test_best_step_gain_matches_both_fractions(b):
    from gradavg import noise_scale
    from gradavg.topics.variance import best_step_gain
    grads = [[1, 0], [3, 2], [-2, 5], [4, 4]]
    n, simple = len(grads), noise_scale(grads)
    assert best_step_gain(grads, b, replace=True) == 1 / (1 + simple / b)
    assert best_step_gain(grads, b, replace=False) == 1 / (1 + simple * Fraction(n - b, b * (n - 1)))


def test_noise_scale_is_the_variance_over_the_squared_gradient_with_sympy_rationals():
    grads = [[sp.Rational(1, 2), 1], [sp.Rational(3, 2), 0]]
    assert noise_scale(grads) == gradient_variance(grads) / squared_norm(full_gradient(grads))
