"""Gradients at different points: the Hessian term, the epoch polynomial and the paths figure."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import sympy as sp

from gradavg.topics.same_point_figures import epoch_comparison, epoch_paths_figure, sequential_epoch
from gradavg.topics.same_point import (
    epoch_difference_coefficients,
    gradient_at,
    hessian_term,
    indexed_quadratic_loss,
    quadratic_losses,
    stale_average_any_n,
    stale_average_identity,
)

u, v, d, e = sp.symbols("u v d e")


def test_quadratic_losses_have_constant_symmetric_hessians():
    losses = quadratic_losses(2, [u, v])
    for loss in losses:
        hess = sp.hessian(loss, [u, v])
        assert hess == hess.T and not hess.free_symbols & {u, v}


def test_gradient_at_and_hessian_term():
    assert gradient_at(u**2 * v, [u, v], [1, 2]) == [4, 1]
    assert hessian_term([u * v], [u, v], [[d, e]]) == [e, d]


def test_stale_identity_on_a_cubic_fails_exactly_but_holds_to_first_order():
    losses = [u**3, u**2 * v]
    shifts = [[d, 0], [0, e]]
    assert not stale_average_identity(losses, [u, v], shifts).holds  # not exact beyond quadratics
    eps = sp.Symbol("eps")
    scaled = [[eps * d, 0], [0, eps * e]]
    assert stale_average_identity(losses, [u, v], scaled, scale=eps, orders=(0, 1)).holds
    control = stale_average_identity(losses, [u, v], scaled, with_hessian=False, scale=eps, orders=(0, 1))
    assert not control.holds and eps not in control.witness


def test_epoch_coefficients_match_a_numeric_epoch_of_random_quadratics():
    rng = np.random.default_rng(11)
    n, dim, eta = 5, 3, 0.07
    mats = [m @ m.T for m in rng.normal(size=(n, dim, dim))]
    vecs = rng.normal(size=(n, dim))
    theta = rng.normal(size=dim)
    gradient = lambda t, i: mats[i] @ t - vecs[i]  # noqa: E731
    path = sequential_epoch(gradient, theta, eta, n)
    full = theta - eta * sum(gradient(theta, i) for i in range(n))
    coefficients = epoch_difference_coefficients(mats, [gradient(theta, i) for i in range(n)])
    assert sorted(coefficients) == [2, 3, 4, 5]
    assert np.allclose(path[-1] - full, sum(eta**k * c for k, c in coefficients.items()), atol=1e-13)


def test_epoch_comparison_and_figure():
    x, y = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, 2.0])
    out = epoch_comparison(x, y, (0.2, -0.1), 0.05)
    assert out["path"].shape == (4, 2)
    assert np.allclose(out["difference"], out["predicted"], atol=1e-14)
    assert not np.allclose(out["difference"], out["leading"], atol=1e-14)
    assert len(epoch_paths_figure(x, y, out, (-1, 1), (-1, 1)).axes) == 1


def test_indexed_quadratic_loss_has_a_symmetric_hessian_free_of_the_parameters():
    i = sp.Symbol("i")
    hess = sp.hessian(indexed_quadratic_loss(i, [u, v]), [u, v])
    assert hess == hess.T and not hess.free_symbols & {u, v}


def test_stale_identity_for_symbolic_n_is_proved_and_its_control_refuted_at_n_2():
    verdict = stale_average_any_n([u, v])
    assert verdict.holds and verdict.evidence == "proof" and "N symbolic" in verdict.method
    control = stale_average_any_n([u, v], with_hessian=False)
    assert not control.holds and control.witness[sp.Symbol("N", integer=True, positive=True)] == 2
    assert all(sp.sympify(value).is_Rational for value in control.witness.values())


def test_epoch_claim_is_exhaustive_over_its_sizes_and_its_control_fails_first_at_n_3():
    from gradavg.derivations.same_point import EPOCH_SIZES, N, _epoch

    verdict = _epoch(False)
    assert verdict.holds and verdict.evidence == "exhaustive" and str(max(EPOCH_SIZES)) in verdict.method
    assert _epoch(True).witness[N] == 3
