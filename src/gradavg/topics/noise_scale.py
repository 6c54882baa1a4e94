"""The gradient noise scale: what it predicts about one SGD step, and how it moves during training."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

from ..checks.estimation import squared_norm, as_vectors, uniform_batches
from ..engine.models import linear_regression
from ..engine.numeric import per_example_gradients


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


def noise_scale_along_descent(x: np.ndarray, y: np.ndarray, start, learning_rate: float, steps: int):
    """Full-batch gradient descent on squared-error line fitting, recording the cost and ``B_simple`` at each step.

    Returns a dict with arrays ``cost`` and ``noise_scale`` (one entry per
    step, the start included) and ``minimum``, the least-squares cost.

    Example:
        >>> run = noise_scale_along_descent(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 3.0]), (0, 0), 0.1, 2)
        >>> run["cost"].shape, run["noise_scale"].shape
        ((3,), (3,))
    """
    gradient = per_example_gradients(linear_regression(1))
    theta = np.asarray(start, dtype=float)
    costs, scales = [], []
    for _ in range(steps + 1):
        grads = gradient(theta, x, y)
        full = grads.mean(axis=0)
        costs.append(float(((theta[0] * x + theta[1] - y) ** 2).mean()))
        scales.append(float(((grads - full) ** 2).sum(axis=1).mean() / (full @ full)))
        theta = theta - learning_rate * full
    design = np.column_stack([x, np.ones_like(x)])
    best = np.linalg.lstsq(design, y, rcond=None)[0]
    minimum = float(((design @ best - y) ** 2).mean())
    return {"cost": np.array(costs), "noise_scale": np.array(scales), "minimum": minimum}


def noise_scale_figure(run: dict, n_examples: int):
    """Two panels against the step: the excess cost over its minimum, and ``B_simple``, on log axes.

    Example:
        >>> run = noise_scale_along_descent(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 3.0]), (0, 0), 0.1, 5)
        >>> figure = noise_scale_figure(run, 3)
        >>> [(axes.get_yscale(), len(axes.lines)) for axes in figure.axes]
        [('log', 1), ('log', 2)]
        >>> import matplotlib.pyplot as plt; plt.close(figure)
    """
    import matplotlib.pyplot as plt  # imported here: the claims use this module without figures

    figure, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 5.0), sharex=True, layout="constrained")
    steps = np.arange(len(run["cost"]))
    top.plot(steps, run["cost"] - run["minimum"], color="tab:blue")
    top.set(yscale="log", ylabel=r"$C - \min C$", title="Full-batch gradient descent")
    bottom.plot(steps, run["noise_scale"], color="tab:red")
    bottom.axhline(n_examples, color="tab:gray", ls=":", lw=1)
    bottom.annotate(f"N = {n_examples}", (steps[-1], n_examples), xytext=(-40, 4), textcoords="offset points",
                    fontsize=8, color="tab:gray")
    bottom.set(yscale="log", xlabel="step", ylabel=r"$B_{\mathrm{simple}} = \mathrm{tr}\,\Sigma / |G|^2$")
    return figure
