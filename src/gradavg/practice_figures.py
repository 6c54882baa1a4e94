"""Figures for the pages on averaging in practice: accumulation imbalance, and sequential vs full-batch paths."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .accumulation import mean_of_means_weights, scheme_gradient, total_count_weights


def imbalance_gaps(per_example: np.ndarray, shuffles: int = 200, seed: int = 0) -> dict[str, np.ndarray]:
    """Relative error of a two-micro-batch step, against the full-batch mean, for every split ``n_1 + n_2 = N``.

    For each short size ``n_1 = 1 .. N // 2``, the rows of ``per_example`` are
    shuffled ``shuffles`` times (fixed seed) and cut into micro-batches of
    ``n_1`` and ``N - n_1`` rows; the error ``|g_scheme - g| / |g|`` is
    averaged over the shuffles, for the mean of micro-batch means and for
    summed losses divided by the total count.

    Returns:
        ``{"short": n_1 values, "ratio": n_2 / n_1, "mean_of_means": errors, "total_count": errors}``.

    Example:
        >>> gaps = imbalance_gaps(np.arange(8.0).reshape(4, 2), shuffles=3)
        >>> gaps["short"].tolist(), bool(gaps["total_count"].max() < 1e-12)
        ([1, 2], True)
    """
    per_example = np.asarray(per_example, dtype=float)
    n = len(per_example)
    full = per_example.mean(axis=0)
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(n) for _ in range(shuffles)]
    short = np.arange(1, n // 2 + 1)
    errors = {"mean_of_means": [], "total_count": []}
    for n1 in short:
        sizes = [int(n1), int(n - n1)]
        for name, scheme in (("mean_of_means", mean_of_means_weights), ("total_count", total_count_weights)):
            gaps = [np.linalg.norm(scheme_gradient(per_example[order], sizes, scheme) - full) for order in orders]
            errors[name].append(np.mean(gaps) / np.linalg.norm(full))
    return {"short": short, "ratio": (n - short) / short, **{k: np.array(v) for k, v in errors.items()}}


def imbalance_figure(gaps: dict[str, np.ndarray], mark: tuple[int, int] | None = None):
    """Plot :func:`imbalance_gaps`: relative error against the size ratio ``n_2 / n_1`` (log-log).

    ``mark`` is a split ``(n_1, n_2)`` to point out. The total-count scheme's
    error is rounding (about ``1e-16``): on the linear scale it lies on zero.

    Example:
        >>> fig = imbalance_figure(imbalance_gaps(np.arange(8.0).reshape(4, 2), shuffles=3))
        >>> len(fig.axes)
        1
    """
    figure, axes = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    axes.plot(gaps["ratio"], gaps["mean_of_means"], "o-", ms=3, color="tab:red",
              label="mean of micro-batch means")
    axes.plot(gaps["ratio"], gaps["total_count"], "s-", ms=3, color="tab:blue",
              label="summed losses / total count")
    if mark is not None:
        n1, n2 = mark
        index = int(np.argmin(np.abs(gaps["short"] - n1)))
        axes.annotate(f"{n1} and {n2} tokens", xy=(gaps["ratio"][index], gaps["mean_of_means"][index]),
                      xytext=(0.4, 0.45), textcoords="axes fraction", arrowprops=dict(arrowstyle="->"))
    axes.set(xscale="log", ylim=(-0.03, None), xlabel="imbalance $n_2 / n_1$ of the two micro-batches",
             ylabel=r"$\|g_{\mathrm{step}} - \nabla C\| \,/\, \|\nabla C\|$",
             title="Two micro-batches, one step: error against the full-batch gradient")
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(loc="upper left", fontsize=8)
    return figure


def epoch_comparison(x: np.ndarray, y: np.ndarray, theta, eta: float) -> dict[str, np.ndarray]:
    """One epoch of per-example steps against one summed full-batch step, for squared error of ``w x + b``.

    Returns the sequential ``path`` (``N + 1`` points), the full-batch
    endpoint ``full`` (``theta - eta * sum_i g_i``), the ``difference`` of the
    endpoints, and its closed form from
    :func:`gradavg.same_point.epoch_difference_coefficients` summed over all
    powers of ``eta`` (``predicted``) and its leading ``eta**2`` term alone
    (``leading``).

    Example:
        >>> out = epoch_comparison(np.array([1.0, -1.0]), np.array([0.0, 1.0]), (0.0, 0.0), 0.1)
        >>> bool(np.allclose(out["difference"], out["predicted"]))
        True
    """
    from .models import linear_regression
    from .numeric import per_example_gradients
    from .same_point import epoch_difference_coefficients, sequential_epoch

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
