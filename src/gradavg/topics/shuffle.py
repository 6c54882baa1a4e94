"""Consecutive batches of an ordered dataset, epochs, and SGD paths on sorted versus shuffled data."""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Sequence

import numpy as np

from ..checks.estimation import _add, _scale, as_vectors, full_gradient
from ..engine.models import linear_regression
from ..engine.numeric import per_example_gradients


def consecutive_batches(order: Sequence[int], batch_size: int) -> list[tuple[int, ...]]:
    """Split an ordering of the examples into consecutive batches; the last may be smaller.

    Example:
        >>> consecutive_batches([3, 0, 2, 1, 4], 2)
        [(3, 0), (2, 1), (4,)]
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    order = list(order)
    return [tuple(order[k:k + batch_size]) for k in range(0, len(order), batch_size)]


def batch_mean(grads, batch: Sequence[int]) -> list:
    """The mean of the gradients of the examples in ``batch`` (exact for exact inputs).

    Example:
        >>> batch_mean([[1], [2], [6]], (0, 2))
        [Fraction(7, 2)]
    """
    vectors = as_vectors(grads)
    total = vectors[batch[0]]
    for index in batch[1:]:
        total = _add(total, vectors[index])
    return _scale(total, Fraction(1, len(batch)))


def sorted_order(grads) -> list[int]:
    """The examples' indices sorted by the first component of their gradient.

    Example:
        >>> sorted_order([[3, 0], [1, 5], [2, 2]])
        [1, 2, 0]
    """
    vectors = as_vectors(grads)
    return sorted(range(len(vectors)), key=lambda i: vectors[i][0])


def batch_biases(grads, batch_size: int, order: Sequence[int] | None = None) -> list[list]:
    """Each consecutive batch's mean minus the full gradient, for one fixed ordering (default: as given).

    Example:
        >>> batch_biases([[0], [2], [4], [6]], 2, order=[0, 1, 2, 3])
        [[Fraction(-2, 1)], [Fraction(2, 1)]]
    """
    vectors = as_vectors(grads)
    order = range(len(vectors)) if order is None else order
    full = full_gradient(vectors)
    return [[m - g for m, g in zip(batch_mean(vectors, batch), full)]
            for batch in consecutive_batches(order, batch_size)]


def shuffled_batch_expectations(grads, batch_size: int) -> list[list]:
    """For each batch position of an epoch, its expected mean over all N! equally likely orderings.

    Example:
        >>> shuffled_batch_expectations([[0], [2], [4], [6]], 2)
        [[Fraction(3, 1)], [Fraction(3, 1)]]
    """
    vectors = as_vectors(grads)
    n = len(vectors)
    positions = len(consecutive_batches(range(n), batch_size))
    sums = [[0] * len(vectors[0]) for _ in range(positions)]
    count = 0
    for order in itertools.permutations(range(n)):
        count += 1
        for k, batch in enumerate(consecutive_batches(order, batch_size)):
            sums[k] = _add(sums[k], batch_mean(vectors, batch))
    return [_scale(s, Fraction(1, count)) for s in sums]


def epoch_mean(grads, batch_size: int, order: Sequence[int] | None = None, weighted: bool = True) -> list:
    """The mean over one epoch of its batch means, each weighted by its size (or equally when not ``weighted``).

    Example:
        >>> epoch_mean([[0], [3], [6]], 2), epoch_mean([[0], [3], [6]], 2, weighted=False)
        ([Fraction(3, 1)], [Fraction(15, 4)])
    """
    vectors = as_vectors(grads)
    batches = consecutive_batches(range(len(vectors)) if order is None else order, batch_size)
    total, weight = [0] * len(vectors[0]), 0
    for batch in batches:
        w = len(batch) if weighted else 1
        total = _add(total, _scale(batch_mean(vectors, batch), Fraction(w)))
        weight += w
    return _scale(total, Fraction(1, weight))


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
    import matplotlib.pyplot as plt  # imported here: the claims use this module without figures

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


def conditional_gaps(joint, step, gradient, target) -> dict:
    """Given the parameters after one step, the expected next gradient minus ``target`` there.

    ``joint`` lists ``((first, second), weight)``: the joint law of the example
    the first step uses and the one the next gradient uses (weights need not sum
    to one). The first step gives ``theta_1 = step(first)``. Outcomes are grouped
    by the value of ``theta_1`` (conditioning on it) and, in each group, the
    weighted mean of ``gradient(theta_1, second)`` is compared with
    ``target(theta_1)``. Returns ``{theta_1: gap}``.

    Example:
        Two examples 0 and 4, loss (theta - x)^2 / 2, a step of size 1/2 from 0,
        then the other example (an epoch without replacement):

        >>> step = lambda x: Fraction(x, 2)
        >>> gap = conditional_gaps([((0, 4), 1), ((4, 0), 1)], step, lambda t, x: t - x, lambda t: t - 2)
        >>> gap == {0: -2, 2: 2}
        True
    """
    groups: dict = {}
    for (first, second), weight in joint:
        theta = step(first)
        total, mass = groups.get(theta, (0, 0))
        groups[theta] = (total + weight * gradient(theta, second), mass + weight)
    return {theta: total / mass - target(theta) for theta, (total, mass) in groups.items()}


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
