"""Consecutive batches of an ordered dataset, epochs, and the bias of a reshuffled epoch given the iterate.

Exact arithmetic only (``fractions``, and SymPy through the inputs), so the
claims built on it re-run in the browser; the page's SGD paths on sorted
versus shuffled data and its figure are in :mod:`gradavg.topics.shuffle_figures`.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Sequence

from ..checks.estimation import _add, _scale, as_vectors, full_gradient


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
