"""Figures drawn by the pages' cells during the build."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .models import linear_regression
from .numeric import per_example_gradients


def gradients_at_one_point(x: np.ndarray, y: np.ndarray, point, w_range, b_range):
    """Per-example gradients of squared error at one parameter point, with their mean.

    Draws the cost surface ``C(w, b)`` (mean squared error over the data) as
    contours in the parameter plane, one arrow per example's negative gradient
    at ``point`` and a thick arrow for their mean, over the rectangle
    ``w_range`` x ``b_range`` of the parameter plane.

    Returns:
        ``(figure, gradients)`` where ``gradients`` has one row per example.

    Example:
        >>> x, y = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 2.0])
        >>> figure, grads = gradients_at_one_point(x, y, (0.0, 0.0), w_range=(-1, 3), b_range=(-1, 3))
        >>> len(figure.axes), grads.tolist()
        (1, [[-2.0, -2.0], [-8.0, -4.0], [-12.0, -4.0]])
        >>> plt.close(figure)
    """
    grads = per_example_gradients(linear_regression(1))(point, x, y)
    mean = grads.mean(axis=0)

    w_grid, b_grid = np.meshgrid(np.linspace(*w_range, 200), np.linspace(*b_range, 200))
    residuals = w_grid[..., None] * x + b_grid[..., None] - y
    cost = (residuals**2).mean(axis=-1)

    figure, axes = plt.subplots(figsize=(6.4, 4.6), layout="constrained")
    contours = axes.contour(w_grid, b_grid, cost, levels=np.geomspace(cost.min() + 0.3, cost.max(), 12),
                            cmap="viridis", linewidths=0.8)
    axes.clabel(contours, fontsize=7, fmt="%.0f")
    scale = 2.5 / np.linalg.norm(grads, axis=1).max()
    for g in grads:
        axes.annotate("", xy=(point[0] - scale * g[0], point[1] - scale * g[1]), xytext=point,
                      arrowprops=dict(arrowstyle="->", color="tab:gray", lw=1.0))
    axes.annotate("", xy=(point[0] - scale * mean[0], point[1] - scale * mean[1]), xytext=point,
                  arrowprops=dict(arrowstyle="-|>", color="tab:red", lw=2.5))
    axes.plot(*point, "o", color="black", ms=5)
    axes.plot([], [], color="tab:gray", label="minus one example's gradient")
    axes.plot([], [], color="tab:red", lw=2.5, label="minus their mean")
    axes.set_aspect("equal")
    axes.set(xlabel="slope $w$", ylabel="intercept $b$",
             title="All gradients taken at one point $(w, b)$; contours of the cost $C$")
    axes.legend(loc="lower left", fontsize=8)
    return figure, grads
