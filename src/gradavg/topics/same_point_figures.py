"""The same-point page's NumPy side: one epoch of per-example float steps against one full-batch step, and its figure.

The page's science, exact and free of NumPy so that its claims re-run in the
browser, is in :mod:`gradavg.topics.same_point`.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .same_point import epoch_difference_coefficients
from ..engine.models import linear_regression
from ..engine.numeric import per_example_gradients


def sequential_epoch(gradient: Callable[[np.ndarray, int], np.ndarray], theta: Sequence[float], eta: float, n: int) -> np.ndarray:
    """The path of one epoch of per-example steps ``theta <- theta - eta * gradient(theta, i)``, ``i = 0..n-1``.

    Returns an array of ``n + 1`` points, the start first.

    Example:
        >>> path = sequential_epoch(lambda t, i: 2 * t, [1.0], 0.25, 2)
        >>> path.ravel().tolist()
        [1.0, 0.5, 0.25]
    """
    path = [np.asarray(theta, dtype=float)]
    for i in range(n):
        path.append(path[-1] - eta * np.asarray(gradient(path[-1], i), dtype=float))
    return np.array(path)


def epoch_comparison(x: np.ndarray, y: np.ndarray, theta, eta: float) -> dict[str, np.ndarray]:
    """One epoch of per-example steps against one summed full-batch step, for squared error of ``w x + b``.

    Returns the sequential ``path`` (``N + 1`` points), the full-batch
    endpoint ``full`` (``theta - eta * sum_i g_i``), the ``difference`` of the
    endpoints, and its closed form from
    :func:`gradavg.topics.same_point.epoch_difference_coefficients` summed over all
    powers of ``eta`` (``predicted``) and its leading ``eta**2`` term alone
    (``leading``).

    Example:
        >>> out = epoch_comparison(np.array([1.0, -1.0]), np.array([0.0, 1.0]), (0.0, 0.0), 0.1)
        >>> bool(np.allclose(out["difference"], out["predicted"]))
        True
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    grads = per_example_gradients(linear_regression(1))
    theta = np.asarray(theta, dtype=float)
    path = sequential_epoch(lambda t, i: grads(t, x[i : i + 1], y[i : i + 1])[0], theta, eta, len(x))
    at_start = grads(theta, x, y)
    full = theta - eta * at_start.sum(axis=0)
    hessians = [2.0 * np.array([[xi * xi, xi], [xi, 1.0]]) for xi in x]
    coefficients = epoch_difference_coefficients(hessians, list(at_start))
    predicted = sum(eta**k * c for k, c in coefficients.items())
    return {"path": path, "full": full, "difference": path[-1] - full, "predicted": predicted,
            "leading": eta**2 * coefficients[2]}


def epoch_paths_figure(x: np.ndarray, y: np.ndarray, comparison: dict[str, np.ndarray], w_range, b_range):
    """Draw :func:`epoch_comparison` over the contours of the mean squared error in the ``(w, b)`` plane.

    Example:
        >>> x, y = np.array([1.0, -1.0]), np.array([0.0, 1.0])
        >>> fig = epoch_paths_figure(x, y, epoch_comparison(x, y, (0.0, 0.0), 0.1), (-1, 1), (-1, 1))
        >>> len(fig.axes)
        1
    """
    import matplotlib.pyplot as plt  # imported here: the claims use this module without figures

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w_grid, b_grid = np.meshgrid(np.linspace(*w_range, 200), np.linspace(*b_range, 200))
    cost = ((w_grid[..., None] * x + b_grid[..., None] - y) ** 2).mean(axis=-1)
    figure, axes = plt.subplots(figsize=(6.0, 5.4), layout="constrained")
    axes.contour(w_grid, b_grid, cost, levels=np.geomspace(cost.min() + 0.05, cost.max(), 14), cmap="viridis",
                 linewidths=0.7)
    path, full = comparison["path"], comparison["full"]
    axes.plot(path[:, 0], path[:, 1], "o-", ms=3, lw=1.2, color="tab:orange",
              label=f"{len(path) - 1} sequential per-example steps")
    axes.annotate("", xy=full, xytext=path[0], arrowprops=dict(arrowstyle="-|>", color="tab:blue", lw=2.0))
    axes.plot([], [], color="tab:blue", lw=2.0, label="one full-batch step (sum of gradients)")
    axes.plot(*path[0], "ko", ms=5)
    axes.plot(*path[-1], "s", color="tab:orange", ms=6)
    axes.plot(*full, "D", color="tab:blue", ms=5)
    axes.set_aspect("equal")
    axes.set(xlabel="slope $w$", ylabel="intercept $b$", xlim=w_range, ylim=b_range,
             title="Same start, same examples, different points")
    axes.legend(loc="upper left", fontsize=8)
    return figure
