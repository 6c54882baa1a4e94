"""The shuffle page's float computations and figure: SGD paths on sorted versus shuffled data, and where they stall.

NumPy (and Matplotlib, imported when the figure is drawn), on top of the
consecutive batches of :mod:`gradavg.topics.shuffle`; no claim uses this module,
so the claims re-run in the browser without NumPy.
"""

from __future__ import annotations

import numpy as np

from ..engine.models import linear_regression
from ..engine.numeric import per_example_gradients
from .shuffle import consecutive_batches


def sgd_path(x: np.ndarray, y: np.ndarray, start, learning_rate: float, batch_size: int, epochs: int,
             shuffle_seed: int | None) -> np.ndarray:
    """Parameters (w, b) after each minibatch step of SGD on squared-error line fitting.

    The examples are visited in the order given when ``shuffle_seed`` is
    ``None``, and reshuffled every epoch from a generator seeded with it otherwise.

    Example:
        >>> sgd_path(np.array([1.0, -1.0]), np.array([0.0, 0.0]), (1.0, 1.0), 0.25, 2, 1, None).tolist()
        [[1.0, 1.0], [0.5, 0.5]]
    """
    gradient = per_example_gradients(linear_regression(1))
    rng = None if shuffle_seed is None else np.random.default_rng(shuffle_seed)
    theta = np.asarray(start, dtype=float)
    path = [theta]
    for _ in range(epochs):
        order = np.arange(len(x)) if rng is None else rng.permutation(len(x))
        for batch in consecutive_batches(order, batch_size):
            batch = list(batch)
            theta = theta - learning_rate * gradient(theta, x[batch], y[batch]).mean(axis=0)
            path.append(theta)
    return np.array(path)


def sgd_paths_figure(x: np.ndarray, y: np.ndarray, start, learning_rate: float, batch_size: int, epochs: int,
                     seed: int = 0):
    """SGD paths from one start on data sorted by ``y`` and on data reshuffled each epoch, over the cost contours.

    Returns:
        ``(figure, paths)`` with ``paths["sorted"]``, ``paths["shuffled"]`` and
        ``paths["minimum"]`` (the least-squares solution).

    Example:
        Three epochs of two batches each: seven points per path, the start included.

        >>> x, y = np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.0, 2.0, 2.0, 4.0])
        >>> figure, paths = sgd_paths_figure(x, y, (0.0, 0.0), 0.1, 2, 3)
        >>> paths["sorted"].shape, paths["shuffled"].shape, paths["minimum"].round(2).tolist()
        ((7, 2), (7, 2), [0.9, 0.9])
        >>> import matplotlib.pyplot as plt; plt.close(figure)
    """
    import matplotlib.pyplot as plt  # imported here: the computations above it need only NumPy

    order = np.argsort(y, kind="stable")
    xs, ys = x[order], y[order]
    paths = {"sorted": sgd_path(xs, ys, start, learning_rate, batch_size, epochs, None),
             "shuffled": sgd_path(xs, ys, start, learning_rate, batch_size, epochs, seed)}
    design = np.column_stack([x, np.ones_like(x)])
    paths["minimum"] = np.linalg.lstsq(design, y, rcond=None)[0]

    every = np.vstack([paths["sorted"], paths["shuffled"]])
    low, high = every.min(axis=0) - 0.6, every.max(axis=0) + 0.6
    w_grid, b_grid = np.meshgrid(np.linspace(low[0], high[0], 160), np.linspace(low[1], high[1], 160))
    cost = ((w_grid[..., None] * x + b_grid[..., None] - y) ** 2).mean(axis=-1)
    figure, axes = plt.subplots(figsize=(6.4, 4.6), layout="constrained")
    axes.contour(w_grid, b_grid, cost, levels=np.geomspace(cost.min() + 0.2, cost.max(), 10), colors="0.75",
                 linewidths=0.7)
    axes.plot(*paths["sorted"].T, "-o", color="tab:red", ms=2.5, lw=1.0, label="sorted by $y$, never shuffled")
    axes.plot(*paths["shuffled"].T, "-o", color="tab:blue", ms=2.5, lw=1.0, label="reshuffled every epoch")
    axes.plot(*paths["minimum"], "*", color="black", ms=12, label="minimum of the cost")
    axes.plot(*start, "s", color="black", ms=6, label="common start")
    axes.set(xlabel="slope $w$", ylabel="intercept $b$",
             title=f"SGD, batch size {batch_size}, {epochs} epochs, same start and step size")
    axes.legend(fontsize=8, loc="best")
    return figure, paths


def batch_weighted_minimiser(x: np.ndarray, y: np.ndarray, batch_size: int) -> np.ndarray:
    """The line (w, b) where the batch means of one epoch, in the order given, sum to a zero gradient.

    An epoch of consecutive batches, each averaged over its own size, steps to first
    order in the step size along ``-(sum over batches of the batch mean gradient)``,
    which weights example ``i`` by ``1 / (size of its batch)``. This is the minimiser
    of the squared error with those weights: when the batch size does not divide N,
    the examples of the short last batch count more than the others.

    Example:
        Three examples, batches of two: the last example, alone in its batch, counts double.

        >>> fit = batch_weighted_minimiser(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 3.0]), 2)
        >>> np.allclose(fit, [17 / 11, -2 / 11])
        True
        >>> np.allclose(batch_weighted_minimiser(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 3.0]), 1),
        ...             np.polyfit([0.0, 1.0, 2.0], [0.0, 1.0, 3.0], 1))
        True
    """
    weights = np.empty(len(x))
    for batch in consecutive_batches(range(len(x)), batch_size):
        weights[list(batch)] = 1.0 / len(batch)
    root = np.sqrt(weights)
    design = np.column_stack([x, np.ones_like(x)])
    return np.linalg.lstsq(design * root[:, None], y * root, rcond=None)[0]
