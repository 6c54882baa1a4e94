"""The noise-scale page's float computation and figure: how B_simple moves along full-batch gradient descent.

NumPy (and Matplotlib, imported when the figure is drawn); no claim uses this
module, so the claims re-run in the browser without NumPy.
"""

from __future__ import annotations

import numpy as np

from ..engine.models import linear_regression
from ..engine.numeric import per_example_gradients


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
    import matplotlib.pyplot as plt  # imported here: the computations above it need only NumPy

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
