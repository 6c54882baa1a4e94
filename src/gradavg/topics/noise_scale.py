"""The gradient noise scale: what it predicts about one SGD step, exactly.

Exact arithmetic only (``fractions`` and SymPy), so the claims built on it
re-run in the browser; how the noise scale moves during training, in floats,
and its figure are in :mod:`gradavg.topics.noise_scale_figures`.
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from ..checks.estimation import squared_norm, as_vectors, uniform_batches


def quadratic_cost(points, theta):
    """The mean over examples of ``|theta - x_i|^2 / 2`` (every per-example Hessian the identity).

    Example:
        >>> quadratic_cost([[0, 0], [2, 0]], [1, 0])
        Fraction(1, 2)
    """
    points = as_vectors(points)
    total = sum(squared_norm([t - x for t, x in zip(theta, p)]) for p in points)
    return Fraction(1, 2 * len(points)) * total


def expected_cost_after_step(points, theta, batch_size: int, step, replace: bool = True):
    """Expected cost after one SGD step ``theta - step * g_S`` on the quadratic losses, over every batch.

    Each batch's step is taken and the cost evaluated at the new point directly
    (no Taylor expansion, no variance formula); the batches are enumerated with
    their weights.

    Example:
        >>> expected_cost_after_step([[0], [2]], [1], 1, Fraction(1, 2))
        Fraction(5, 8)
    """
    points = as_vectors(points)
    grads = [[t - x for t, x in zip(theta, p)] for p in points]
    total, weight_sum = 0, 0
    for batch, weight in uniform_batches(len(points), batch_size, replace):
        mean = [sum(grads[i][j] for i in batch) * Fraction(1, batch_size) for j in range(len(theta))]
        after = [t - step * m for t, m in zip(theta, mean)]
        total += weight * quadratic_cost(points, after)
        weight_sum += weight
    return Fraction(1, weight_sum) * total


def best_improvement(points, theta, batch_size: int, replace: bool = True):
    """The largest expected decrease of the quadratic cost over step sizes, for one SGD step with batch B.

    The expected cost after the step is a quadratic in the step size (found by
    enumeration with a symbolic step); its minimum is taken exactly.

    Example:
        >>> best_improvement([[0], [2]], [1], 1)
        0
    """
    step = sp.Symbol("epsilon")
    after = sp.expand(expected_cost_after_step(points, theta, batch_size, step, replace))
    slope, curvature = after.coeff(step, 1), after.coeff(step, 2)
    if curvature == 0:
        raise ValueError("the expected cost does not depend on the step: zero gradients")
    return slope**2 / (4 * curvature)
