"""Why the mean and not the sum: the page's science, checked against independent computations."""

import numpy as np
import sympy as sp

from gradavg.topics.accumulation_figures import noisy_line
from gradavg.topics.mean_or_sum import adam_updates, batch_mean_losses, scaling_gap, sgd_updates
from gradavg.topics.mean_or_sum_figures import adam_fit, largest_stable_steps, ridge_fit, scaling_gap_curve


def test_the_stable_step_limit_is_where_gradient_descent_stops_converging():
    x, y = noisy_line(40)
    limit = largest_stable_steps(x, y, [40])["mean"][0]
    design = np.column_stack([x, np.ones_like(x)])

    def final_distance(eta):
        theta, best = np.zeros(2), np.linalg.lstsq(design, y, rcond=None)[0]
        for _ in range(400):
            theta = theta - eta * 2 * design.T @ (design @ theta - y) / len(x)
        return np.linalg.norm(theta - best)

    assert final_distance(0.95 * limit) < 1e-3 < final_distance(1.05 * limit)


def test_ridge_on_the_sum_is_ridge_on_the_mean_with_strength_over_n():
    x, y = noisy_line(30)
    assert np.allclose(ridge_fit(x, y, 6.0, "sum"), ridge_fit(x, y, 6.0 / 30, "mean"))
    assert not np.allclose(ridge_fit(x, y, 6.0, "sum"), ridge_fit(x, y, 6.0, "mean"))


def test_the_numeric_scaling_gap_is_the_exact_polynomial():
    x, y = np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.0, 2.0, 2.0, 4.0])
    w, b, eta = sp.symbols("w b eta")
    batches = [sp.expand(sum((w * xi + b - yi) ** 2 for xi, yi in zip(x[j:j + 2], y[j:j + 2])) / 2) for j in (0, 2)]
    gap = scaling_gap([sp.nsimplify(c) for c in batches], [w, b], eta)  # no closed form kept: the whole gap
    at = {w: 0, b: 0, eta: sp.Rational(1, 20)}
    exact = float(sp.sqrt(sum(g.xreplace(at) ** 2 for g in gap)))
    assert np.isclose(scaling_gap_curve(x, y, 2, np.array([0.05]))[0], exact, rtol=1e-12)


def test_batch_means_have_distinct_coefficients():
    w = sp.Symbol("w")
    first, second = batch_mean_losses(2, 2, [w])
    assert first.free_symbols.isdisjoint(second.free_symbols - {w})


def test_adam_ignores_the_scale_and_sgd_does_not():
    g = [sp.Rational(1, 3), sp.Rational(-2, 5)]
    rate, b1, b2 = sp.Rational(1, 100), sp.Rational(9, 10), sp.Rational(99, 100)
    assert adam_updates([4 * v for v in g], rate, b1, b2, 0) == adam_updates(g, rate, b1, b2, 0)
    assert sgd_updates([4 * v for v in g], rate) == [4 * u for u in sgd_updates(g, rate)]


def test_ridge_uses_the_claims_convention_squared_errors_and_a_penalty_on_w_and_b():
    x, y = noisy_line(30)
    for on, total in (("sum", 1.0), ("mean", 1.0 / 30)):
        w, b = ridge_fit(x, y, 4.0, on)
        residual = w * x + b - y
        # gradient of total * sum (w x + b - y)^2 + 4/2 (w^2 + b^2), computed term by term
        assert np.allclose([total * np.sum(2 * residual * x) + 4.0 * w, total * np.sum(2 * residual) + 4.0 * b], 0)


def test_adam_with_coupled_l2_reaches_the_ridge_fit_of_its_convention_and_adamw_ignores_the_convention():
    x, y = noisy_line(40)
    x = (x - x.mean()) / x.std()
    for on in ("mean", "sum"):
        assert np.allclose(adam_fit(x, y, on, l2=2.0, steps=4000), ridge_fit(x, y, 2.0, on), atol=1e-4)
    assert np.allclose(adam_fit(x, y, "mean", decay=2.0), adam_fit(x, y, "sum", decay=2.0), atol=1e-6)


def test_the_second_moment_operator_is_the_average_over_every_batch_drawn_with_replacement():
    from itertools import product

    from gradavg.topics.mean_or_sum_figures import second_moment_operator

    design = np.array([[1.0, 1.0], [-2.0, 1.0], [0.5, 1.0]])
    eta, batch = 0.3, 2
    hessians = [2 * np.outer(a, a) for a in design]
    total = np.zeros((4, 4))
    batches = list(product(range(len(design)), repeat=batch))  # every ordered draw, each equally likely
    for rows in batches:
        step = np.eye(2) - eta * sum(hessians[r] for r in rows) / batch
        total += np.kron(step, step)
    assert np.allclose(second_moment_operator(design, batch, eta), total / len(batches))


def test_the_mean_square_limit_is_below_the_expected_iterates_and_grows_with_the_batch():
    from gradavg.topics.mean_or_sum_figures import mean_square_stable_step

    x, y = noisy_line()
    x = (x - x.mean()) / x.std()
    design = np.column_stack([x, np.ones_like(x)])
    expected = largest_stable_steps(x, y, [len(x)])["mean"][0]
    limits = [mean_square_stable_step(design, b) for b in (1, 4, 16, 10**6)]
    assert all(a < b for a, b in zip(limits, limits[1:]))
    assert limits[0] < 0.4 * expected and np.isclose(limits[-1], expected, rtol=1e-4)


def test_full_batch_adamw_ends_in_the_box_of_half_width_one_over_lambda_whatever_the_data():
    x, y = noisy_line()
    x = (x - x.mean()) / x.std()
    design = np.column_stack([x, np.ones_like(x)])
    for data in (y, 3 * y, y + 5, -y):
        free = np.linalg.lstsq(design, data, rcond=None)[0]
        box = np.clip(free, -0.5, 0.5)  # the mean Hessian is 2 I here, so the box-constrained fit is the clipped one
        for on in ("mean", "sum"):
            assert np.allclose(adam_fit(x, data, on, decay=2.0, steps=4000), box, atol=1e-2)


def test_a_nearer_wrong_closed_form_for_k_steps_is_rejected_too():
    from gradavg.topics.same_point import gradient_at

    w, b, eta = sp.symbols("w b eta")
    batches = batch_mean_losses(3, 2, [w, b])
    gap = scaling_gap(batches, [w, b], eta)  # k small steps minus one step of k eta
    hessians = [sp.hessian(c, [w, b]) for c in batches]
    grads = [sp.Matrix(gradient_at(c, [w, b], [w, b])) for c in batches]
    swapped = eta**2 * sum((hessians[j] @ grads[l] for j in range(3) for l in range(j + 1, 3)), sp.zeros(2, 1))
    swapped -= eta**3 * hessians[2] @ hessians[1] @ grads[0]
    assert any(sp.expand(g - s) != 0 for g, s in zip(gap, swapped))


def _exact_line(n=23):
    from fractions import Fraction

    x, y = noisy_line(n)
    x = (x - x.mean()) / x.std()
    as_fraction = np.vectorize(lambda v: Fraction(v).limit_denominator(1000), otypes=[object])
    return as_fraction(x), as_fraction(y)


def test_momentum_on_the_sum_is_the_uncorrected_v_form_and_goyals_correction_gives_the_u_form_exactly():
    from fractions import Fraction

    from gradavg.topics.mean_or_sum_figures import momentum_runs

    x, y = _exact_line()  # batches of 4: five of 4 and a short one of 3, twice
    runs = momentum_runs(x, y, 4, Fraction(1, 80), Fraction(9, 10), 2)
    assert runs["sum"].tolist() == runs["mean v-form"].tolist()
    assert runs["mean u-form"].tolist() == runs["mean v-form corrected"].tolist()
    assert runs["sum"].tolist() != runs["mean u-form"].tolist()


def test_momentum_runs_against_a_loop_written_out_for_the_u_form():
    from fractions import Fraction

    from gradavg.topics.mean_or_sum_figures import momentum_runs

    x, y = _exact_line(10)
    eta, mu = Fraction(1, 40), Fraction(9, 10)
    w = b = u_w = u_b = Fraction(0)
    for rows in [range(0, 4), range(4, 8), range(8, 10)] * 2:  # Goyal et al.'s eq. (9) with eta_t = eta B_t
        size = len(rows)
        grad_w = sum(2 * (w * x[i] + b - y[i]) * x[i] for i in rows) / size
        grad_b = sum(2 * (w * x[i] + b - y[i]) for i in rows) / size
        u_w, u_b = mu * u_w + grad_w, mu * u_b + grad_b
        w, b = w - eta * size * u_w, b - eta * size * u_b
    assert momentum_runs(x, y, 4, eta, mu, 2)["mean u-form"].tolist() == [w, b]


def test_adams_moments_do_not_scale_when_the_factor_changes_between_steps():
    from gradavg.engine.exact import decide_polynomial
    from gradavg.topics.mean_or_sum import adam_moments

    c, d, m, v, g, b1, b2 = sp.symbols("c d m v g beta_1 beta_2")
    scaled = adam_moments(c * m, c**2 * v, d * g, b1, b2)  # factor c so far, d at this step
    original = adam_moments(m, v, g, b1, b2)
    verdict = decide_polynomial([scaled[0] - d * original[0], scaled[1] - d**2 * original[1]], "varying factor")
    assert not verdict.holds and any(gap != 0 for gap in verdict.gap)
