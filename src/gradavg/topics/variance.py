"""Seeded Monte Carlo sampling of minibatches, and the figures of the estimation pages."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .data_arrays import anscombe_i
from ..checks.estimation import full_gradient, minibatch_moments, squared_norm
from ..engine.models import linear_regression
from ..engine.numeric import per_example_gradients

#: the parameter point (slope, intercept on standardised x) where the Anscombe gradients are taken
ANSCOMBE_POINT = (0.0, 6.5)


def anscombe_gradients(point=ANSCOMBE_POINT) -> np.ndarray:
    """Per-example gradients of squared error on Anscombe's set I (x standardised), shape (11, 2).

    Example:
        >>> anscombe_gradients().shape
        (11, 2)
    """
    x, y = anscombe_i()
    x = (x - x.mean()) / x.std()
    return per_example_gradients(linear_regression(1))(point, x, y)


def best_step_gain(grads, batch_size: int, replace: bool = False):
    """The fraction of the best full-gradient decrease that the best step with a batch of B gains, by enumeration.

    For a quadratic cost with Hessian ``c I``, a step ``-eps g_S`` lowers the cost in
    expectation by ``eps G.E g_S - (c/2) eps^2 E|g_S|^2``; its maximum over ``eps`` is
    ``(G.E g_S)^2 / (2c E|g_S|^2)``, against ``|G|^2 / (2c)`` for the full gradient. The
    moments are those of every batch listed (:func:`gradavg.checks.estimation.minibatch_moments`), so no variance
    formula is used; ``c`` cancels.

    Example:
        Two examples, ``B_simple = 1/4``: one draw gains ``1/(1 + 1/4)``; without
        replacement a batch of both is the full gradient.

        >>> best_step_gain([[1, 0], [3, 0]], 1), best_step_gain([[1, 0], [3, 0]], 2)
        (Fraction(4, 5), Fraction(1, 1))
    """
    moments = minibatch_moments(grads, batch_size, replace=replace)
    full = full_gradient(grads)
    along = sum(g * e for g, e in zip(full, moments.mean))
    return along**2 / (squared_norm(full) * (squared_norm(moments.mean) + moments.variance))


def sampled_batch_means(grads: np.ndarray, batch_size: int, replace: bool, draws: int,
                        rng: np.random.Generator) -> np.ndarray:
    """``draws`` batch means of ``batch_size`` rows of ``grads``, drawn uniformly; shape (draws, dim).

    Example:
        >>> g = np.array([[0.0], [2.0]])
        >>> sampled_batch_means(g, 2, False, 3, np.random.default_rng(0)).ravel().tolist()
        [1.0, 1.0, 1.0]
    """
    grads = np.asarray(grads, dtype=float)
    n = len(grads)
    if replace:
        indices = rng.integers(0, n, size=(draws, batch_size))
    else:
        if batch_size > n:
            raise ValueError(f"batch_size {batch_size} exceeds N = {n} without replacement")
        indices = rng.random((draws, n)).argsort(axis=1)[:, :batch_size]
    return grads[indices].mean(axis=1)


def sampled_variance(grads: np.ndarray, batch_size: int, replace: bool, draws: int, seed: int) -> float:
    """Monte Carlo estimate of ``E|g_S - G|^2`` (G the full gradient) from ``draws`` seeded batches.

    Example:
        >>> g = np.array([[0.0], [2.0]])
        >>> sampled_variance(g, 2, False, 10, seed=0)
        0.0
    """
    grads = np.asarray(grads, dtype=float)
    means = sampled_batch_means(grads, batch_size, replace, draws, np.random.default_rng(seed))
    return float(((means - grads.mean(axis=0)) ** 2).sum(axis=1).mean())


def variance_against_batch_size(grads: np.ndarray, sizes_with, draws: int = 4000, seed: int = 0):
    """Log-log figure of the variance of the batch mean against B, formulas and Monte Carlo points.

    With replacement over ``sizes_with``; without replacement for every B < N
    (at B = N the variance is 0, off a log axis).

    Returns:
        ``(figure, measured)`` with ``measured[(replace, B)]`` the Monte Carlo variance.

    Example:
        Three gradients with ``sigma^2 = 8/3``, for which the formulas give 2.67
        and 1.33 with replacement (B = 1, 2), 2.67 and 0.67 without:

        >>> figure, measured = variance_against_batch_size(np.array([[0.0], [2.0], [4.0]]), [1, 2])
        >>> {key: round(value, 2) for key, value in measured.items()}
        {(True, 1): 2.61, (True, 2): 1.3, (False, 1): 2.66, (False, 2): 0.67}
        >>> plt.close(figure)
    """
    grads = np.asarray(grads, dtype=float)
    n = len(grads)
    sigma2 = float(((grads - grads.mean(axis=0)) ** 2).sum(axis=1).mean())
    sizes_without = list(range(1, n))
    measured = {}
    for replace, sizes in ((True, sizes_with), (False, sizes_without)):
        for b in sizes:
            measured[(replace, b)] = sampled_variance(grads, b, replace, draws, seed + b + 1000 * replace)

    figure, axes = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
    dense = np.geomspace(1, max(sizes_with), 200)
    axes.plot(dense, sigma2 / dense, color="tab:blue", label=r"$\sigma^2/B$ (with replacement)")
    dense_without = np.linspace(1, n - 1, 200)
    axes.plot(dense_without, sigma2 / dense_without * (n - dense_without) / (n - 1), color="tab:orange",
              label=r"$\frac{\sigma^2}{B}\frac{N-B}{N-1}$ (without)")
    axes.plot(sizes_with, [measured[(True, b)] for b in sizes_with], "o", color="tab:blue", mfc="none",
              label=f"Monte Carlo, with replacement ({draws} batches each)")
    axes.plot(sizes_without, [measured[(False, b)] for b in sizes_without], "s", color="tab:orange", mfc="none",
              label="Monte Carlo, without replacement")
    axes.axvline(n, color="tab:gray", lw=0.8, ls=":")
    axes.annotate(f"N = {n}", (n, sigma2 / max(sizes_with)), xytext=(4, 0), textcoords="offset points",
                  fontsize=8, color="tab:gray")
    axes.set(xscale="log", yscale="log", xlabel="batch size $B$",
             ylabel=r"$\mathbb{E}\,|\hat g_S - G|^2$", title="Variance of the minibatch gradient")
    axes.legend(fontsize=8, loc="upper right")
    return figure, measured


def angles_against_batch_size(grads: np.ndarray, sizes_with, draws: int = 4000, seed: int = 0):
    """Figure of the angle between the batch mean and the full gradient against B (median and 10-90 % band).

    Returns:
        ``(figure, medians)`` with ``medians[(replace, B)]`` the median angle in degrees.

    Example:
        Two of the three gradients point 63.4 degrees away from their mean; a
        batch of all three without replacement is the full gradient itself.

        >>> grads = np.array([[1.0, 0.0], [1.0, 2.0], [1.0, -2.0]])
        >>> figure, medians = angles_against_batch_size(grads, [1, 3])
        >>> round(medians[(True, 1)], 1), medians[(False, 3)]
        (63.4, 0.0)
        >>> plt.close(figure)
    """
    grads = np.asarray(grads, dtype=float)
    n = len(grads)
    full = grads.mean(axis=0)
    medians = {}
    figure, axes = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    for replace, sizes, color, marker, label in ((True, list(sizes_with), "tab:blue", "o", "with replacement"),
                                                 (False, list(range(1, n + 1)), "tab:orange", "s", "without replacement")):
        bands = []
        for b in sizes:
            means = sampled_batch_means(grads, b, replace, draws, np.random.default_rng(seed + b + 1000 * replace))
            cosine = means @ full / (np.linalg.norm(means, axis=1) * np.linalg.norm(full))
            angles = np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))
            bands.append(np.percentile(angles, [10, 50, 90]))
            medians[(replace, b)] = float(bands[-1][1])
        bands = np.array(bands)
        axes.fill_between(sizes, bands[:, 0], bands[:, 2], color=color, alpha=0.15)
        axes.plot(sizes, bands[:, 1], marker=marker, color=color, mfc="none", label=f"median, {label}")
    axes.set(xscale="log", xlabel="batch size $B$", ylabel="angle to the full gradient (degrees)",
             title="Direction error of the minibatch gradient")
    axes.legend(fontsize=8)
    return figure, medians
