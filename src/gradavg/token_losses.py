"""Small batch-loss functions of the kind found in training code, for the probe's demonstrations.

A *sequence dataset* is a list of arrays, one per example (a sequence), each
holding that sequence's per-token losses. The batch losses below take a list
of example indices, the interface :func:`gradavg.probe.probe_additivity`
expects: a correct per-token mean, the mean-of-means a gradient-accumulation
loop computes when it averages per-micro-batch means, and a loss on
batch-normalised inputs.
"""

from __future__ import annotations

from typing import Callable

import numpy as np


def sequence_dataset(n_sequences: int = 40, max_tokens: int = 120, seed: int = 0) -> list[np.ndarray]:
    """Per-token losses of ``n_sequences`` sequences of 1..``max_tokens`` tokens (fixed seed).

    Longer sequences get lower per-token losses on average, as in language
    modelling where later tokens have more context.

    Example:
        >>> data = sequence_dataset(3, seed=1)
        >>> len(data), all(len(s) >= 1 for s in data)
        (3, True)
    """
    if n_sequences < 1 or max_tokens < 1:
        raise ValueError(f"need n_sequences >= 1 and max_tokens >= 1, got {n_sequences}, {max_tokens}")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, max_tokens + 1, size=n_sequences)
    return [rng.gamma(2.0, 1.0 + 3.0 / np.sqrt(n), size=n) for n in lengths]


def token_count(data: list[np.ndarray]) -> Callable[[list[int]], int]:
    """A weight for the probe: the number of tokens in the chosen sequences.

    Example:
        >>> token_count([np.ones(2), np.ones(5)])([0, 1])
        7
    """
    return lambda indices: int(sum(len(data[i]) for i in indices))


def token_mean_loss(data: list[np.ndarray]) -> Callable[[list[int]], float]:
    """The batch loss as the mean over every token of the chosen sequences (summed, divided by the total count).

    Example:
        >>> token_mean_loss([np.array([1.0]), np.array([3.0, 3.0, 3.0])])([0, 1])
        2.5
    """
    def loss(indices: list[int]) -> float:
        return float(sum(data[i].sum() for i in indices) / sum(len(data[i]) for i in indices))

    return loss


def mean_of_micro_batch_means(data: list[np.ndarray], micro_batch: int = 4) -> Callable[[list[int]], float]:
    """The loss an accumulation loop reports when it averages per-micro-batch token means with equal weights.

    The chosen sequences are cut into consecutive micro-batches of
    ``micro_batch`` sequences; each micro-batch's loss is its own token mean.

    Example:
        >>> data = [np.array([1.0]), np.array([3.0, 3.0, 3.0])]
        >>> mean_of_micro_batch_means(data, micro_batch=1)([0, 1])
        2.0
    """
    mean = token_mean_loss(data)

    def loss(indices: list[int]) -> float:
        parts = [indices[k : k + micro_batch] for k in range(0, len(indices), micro_batch)]
        return float(np.mean([mean(part) for part in parts]))

    return loss


def batch_normalised_loss(x: np.ndarray, y: np.ndarray, w: float = 1.0) -> Callable[[list[int]], float]:
    """Mean squared error of ``w * z`` against ``y``, with ``z`` the inputs standardised by the batch's own mean and spread.

    Each example's term depends on the other examples in the batch through
    the batch statistics (a one-example batch has spread 0; a small constant
    keeps it finite).

    Example:
        >>> loss = batch_normalised_loss(np.array([0.0, 2.0]), np.array([-1.0, 1.0]))
        >>> round(loss([0, 1]), 6)
        0.0
    """
    def loss(indices: list[int]) -> float:
        xb, yb = x[indices], y[indices]
        z = (xb - xb.mean()) / np.sqrt(xb.var() + 1e-5)
        return float(np.mean((w * z - yb) ** 2))

    return loss


def noisy_line(n: int = 112, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points ``(x, y)`` with ``y = 2 x + 1`` plus standard normal noise, ``x`` standard normal (fixed seed).

    Example:
        >>> x, y = noisy_line(5)
        >>> x.shape, y.shape
        ((5,), (5,))
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return x, 2.0 * x + 1.0 + rng.normal(size=n)
