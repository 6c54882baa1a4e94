"""The population page's NumPy side: the seeded Monte Carlo estimate it shows beside the exact swap of gradient and expectation.

The page's exact science, free of NumPy so that its claims re-run in the
browser, is in :mod:`gradavg.topics.population`.
"""

from __future__ import annotations

import numpy as np


def monte_carlo_swap(theta: float, mean: float, std: float, samples: int, seed: int) -> dict:
    """For ``L = exp(theta x)`` with ``x ~ N(mean, std^2)``: sampled mean of ``dL/dtheta`` against the exact ``R'``.

    The exact side is the derivative of the moment generating function,
    ``R(theta) = exp(theta mean + theta^2 std^2 / 2)``.

    Example:
        >>> r = monte_carlo_swap(0.5, 0.0, 1.0, 200000, seed=1)
        >>> abs(r["sampled"] - r["exact"]) < 4 * r["standard_error"]
        True
    """
    draws = np.random.default_rng(seed).normal(mean, std, size=samples)
    gradients = draws * np.exp(theta * draws)
    exact = (mean + theta * std**2) * np.exp(theta * mean + theta**2 * std**2 / 2)
    return {"sampled": float(gradients.mean()), "exact": float(exact),
            "standard_error": float(gradients.std(ddof=1) / np.sqrt(samples))}
