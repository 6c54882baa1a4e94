"""The parameter-space page's NumPy side: Anscombe's set I standardised in floats, and the page's figures.

The page's exact science, free of NumPy so that its claims re-run in the
browser, is in :mod:`gradavg.topics.parameter_space`.
"""

from __future__ import annotations

import numpy as np

from .data import ANSCOMBE_I_X, ANSCOMBE_I_Y
from .parameter_space import mistaken_places
from ..engine.models import linear_regression
from ..engine.numeric import least_squares_gradient, per_example_gradients


def anscombe_standardised() -> tuple[np.ndarray, np.ndarray]:
    """Anscombe's set I as floats ``(z, y)`` with ``z`` the standardised input.

    Example:
        >>> z, y = anscombe_standardised()
        >>> round(float(z.mean()), 12), round(float(z.std()), 12)
        (0.0, 1.0)
    """
    x = np.array(ANSCOMBE_I_X, dtype=float)
    return (x - x.mean()) / x.std(), np.array(ANSCOMBE_I_Y, dtype=float)


def _grid(w_range, b_range, size=160):
    return np.meshgrid(np.linspace(*w_range, size), np.linspace(*b_range, size))


def per_example_surfaces(z: np.ndarray, y: np.ndarray, w_range, b_range):
    """Small multiples: each example's loss surface over the same ``(w, b)`` plane, and their mean ``C``.

    Every panel shares the axes and the colour scale. A per-example surface is a
    trough whose floor is the line of parameters that fit that example exactly
    (drawn white); the last panel is the cost ``C``, the mean of the others, with
    its minimum marked.

    Returns:
        ``(figure, largest_difference)`` where the difference is between the mean
        of the per-example surfaces and ``C`` computed from the normal-equation
        form on the grid (rounding error only).

    Example:
        >>> z, y = anscombe_standardised()
        >>> figure, difference = per_example_surfaces(z, y, (-2, 4), (4, 10))
        >>> difference < 1e-10
        True
    """
    import matplotlib.pyplot as plt  # imported here: the claims use this module without figures

    w_grid, b_grid = _grid(w_range, b_range)
    surfaces = (w_grid[..., None] * z + b_grid[..., None] - y) ** 2
    mean = surfaces.mean(axis=-1)
    design = np.column_stack([z, np.ones_like(z)])
    gram, moment, energy = design.T @ design / len(z), design.T @ y / len(z), y @ y / len(z)
    closed = (gram[0, 0] * w_grid**2 + 2 * gram[0, 1] * w_grid * b_grid + gram[1, 1] * b_grid**2
              - 2 * (moment[0] * w_grid + moment[1] * b_grid) + energy)
    levels = np.geomspace(0.05, surfaces.max(), 14)

    panels = len(z) + 1
    cols = 4
    rows = -(-panels // cols)
    figure, axes = plt.subplots(rows, cols, figsize=(9.0, 2.2 * rows + 0.4), sharex=True, sharey=True,
                                layout="constrained")
    for k, ax in enumerate(axes.flat):
        if k >= panels:
            ax.set_axis_off()
            continue
        field = surfaces[..., k] if k < len(z) else mean
        filled = ax.contourf(w_grid, b_grid, np.clip(field, levels[0] * 1.01, levels[-1] * 0.99), levels=levels,
                             cmap="viridis", norm="log")
        if k < len(z):
            ax.contour(w_grid, b_grid, w_grid * z[k] + b_grid - y[k], levels=[0], colors="white", linewidths=1.0)
            ax.set_title(f"$L_{{{k + 1}}}$: $z={z[k]:.2f}$, $y={y[k]:.2f}$", fontsize=8)
        else:
            best = np.linalg.solve(gram, moment)
            ax.plot(*best, "*", color="white", ms=9, mec="black")
            ax.set_title(f"$C$ = mean of the {len(z)} surfaces", fontsize=8, fontweight="bold")
            for side in ax.spines.values():
                side.set(color="tab:red", linewidth=2)
    bar = figure.colorbar(filled, ax=axes, shrink=0.6, label="loss (log scale)")
    ticks = [t for t in (0.1, 1, 10, 100, 1000) if levels[0] <= t <= levels[-1]]
    bar.set_ticks(ticks, labels=[f"{t:g}" for t in ticks])
    for ax in axes[-1]:
        ax.set_xlabel("slope $w$")
    for ax in axes[:, 0]:
        ax.set_ylabel("intercept $b$")
    return figure, float(np.abs(mean - closed).max())


def _arrow(ax, start, vector, scale, **style):
    ax.annotate("", xy=(start[0] - scale * vector[0], start[1] - scale * vector[1]), xytext=start,
                arrowprops=dict(arrowstyle="->", **style))


def mistaken_and_right(z: np.ndarray, y: np.ndarray, point, w_range, b_range):
    """The mistaken picture (each example at its own place) beside the right one (all at one point).

    Both panels show contours of the cost ``C`` over ``(w, b)``. Left: each
    example's negative gradient drawn at its own place, ``point`` plus the
    offsets of :func:`gradavg.topics.parameter_space.mistaken_places`. Right: every example's negative gradient
    at ``point``, their mean (thick red) and the negative gradient of ``C`` from
    the normal equations (dashed black), which lies on top of the mean.

    Returns:
        ``(figure, numbers)`` with ``numbers`` a dict of floats: the point
        (``w0``, ``b0``), the mean of the per-example gradients there
        (``mean_w``, ``mean_b``), the gradient of ``C`` from the normal
        equations (``full_w``, ``full_b``), the largest difference of the two
        (``gradient_gap``) and the mean of the gradients taken at the scattered
        places (``scattered_w``, ``scattered_b``).

    Example:
        >>> z, y = anscombe_standardised()
        >>> figure, numbers = mistaken_and_right(z, y, (0.0, 6.5), (-2, 4), (4, 10))
        >>> numbers["gradient_gap"] < 1e-12
        True
    """
    import matplotlib.pyplot as plt  # imported here: the claims use this module without figures

    gradient_of = per_example_gradients(linear_regression(1))
    grads = gradient_of(point, z, y)
    mean, full = grads.mean(axis=0), least_squares_gradient(point, z, y)
    places = [(point[0] + float(dw), point[1] + float(db)) for dw, db in mistaken_places(len(z))]
    scattered = np.array([gradient_of(place, z[k : k + 1], y[k : k + 1])[0] for k, place in enumerate(places)])

    w_grid, b_grid = _grid(w_range, b_range)
    cost = ((w_grid[..., None] * z + b_grid[..., None] - y) ** 2).mean(axis=-1)
    levels = np.geomspace(cost.min() + 0.3, cost.max(), 10)
    scale = 2.6 / np.linalg.norm(grads, axis=1).max()

    figure, (left, right) = plt.subplots(1, 2, figsize=(9.0, 4.4), sharex=True, sharey=True, layout="constrained")
    for ax in (left, right):
        ax.contour(w_grid, b_grid, cost, levels=levels, cmap="viridis", linewidths=0.7)
        ax.set_aspect("equal")
        ax.set_xlabel("slope $w$")
    left.set_ylabel("intercept $b$")
    for place, g in zip(places, scattered):
        left.plot(*place, "o", color="tab:gray", ms=3)
        _arrow(left, place, g, scale, color="tab:gray", lw=1.0)
    left.set_title("Mistaken: each example at its own place", fontsize=10)
    for g in grads:
        _arrow(right, point, g, scale, color="tab:gray", lw=1.0)
    _arrow(right, point, mean, scale, color="tab:red", lw=3.0)
    _arrow(right, point, full, scale, color="black", lw=1.2, linestyle="--")
    right.plot(*point, "o", color="black", ms=5)
    right.set_title("Right: every example at the same $(w, b)$", fontsize=10)
    right.plot([], [], color="tab:gray", label="minus one example's gradient")
    right.plot([], [], color="tab:red", lw=3, label="minus their mean")
    right.plot([], [], color="black", ls="--", label=r"minus $\nabla C$ (normal equations)")
    right.legend(loc="lower left", fontsize=7)
    spread = scattered.mean(axis=0)
    numbers = {"w0": float(point[0]), "b0": float(point[1]), "mean_w": float(mean[0]), "mean_b": float(mean[1]),
               "full_w": float(full[0]), "full_b": float(full[1]), "gradient_gap": float(np.abs(mean - full).max()),
               "scattered_w": float(spread[0]), "scattered_b": float(spread[1])}
    return figure, numbers


def directions_figure(z: np.ndarray, y: np.ndarray, point, w_range, b_range):
    """Each example's zero-loss line, minus its gradient at ``point``, their mean, and the mean of unit directions.

    Returns:
        ``(figure, numbers)``: the angles, in degrees, between minus the cost's
        gradient and minus the mean of the gradients (``angle_mean``, rounding
        only) and the mean of the unit directions (``angle_units``), and how many
        examples' zero-loss lines cross the plotted rectangle (``lines_shown``,
        from :func:`lines_crossing`).

    Example:
        >>> z, y = anscombe_standardised()
        >>> figure, numbers = directions_figure(z, y, (0.0, 6.5), (-2, 4), (4, 10))
        >>> numbers["angle_mean"] < 1e-9 < 1 < numbers["angle_units"], numbers["lines_shown"]
        (True, 11)
        >>> import matplotlib.pyplot as plt; plt.close(figure)
    """
    import matplotlib.pyplot as plt  # imported here: the claims use this module without figures

    grads = per_example_gradients(linear_regression(1))(point, z, y)
    mean, full = grads.mean(axis=0), least_squares_gradient(point, z, y)
    units = (grads / np.linalg.norm(grads, axis=1, keepdims=True)).mean(axis=0)

    def angle(u, v):  # from the cross and dot products: accurate near 0, where arccos is not
        return float(np.degrees(abs(np.arctan2(u[0] * v[1] - u[1] * v[0], u @ v))))

    w_grid, b_grid = _grid(w_range, b_range)
    cost = ((w_grid[..., None] * z + b_grid[..., None] - y) ** 2).mean(axis=-1)
    figure, axes = plt.subplots(figsize=(6.4, 5.6), layout="constrained")
    axes.contour(w_grid, b_grid, cost, levels=np.geomspace(cost.min() + 0.3, cost.max(), 10), cmap="viridis",
                 linewidths=0.7)
    _zero_loss_lines(axes, z, y, w_range)
    scale = 2.4 / np.linalg.norm(grads, axis=1).max()
    for g in grads:
        _arrow(axes, point, g, scale, color="tab:gray", lw=1.0)
    _arrow(axes, point, mean, scale, color="tab:red", lw=3.0)
    unit_scale = 1.6 / np.linalg.norm(units)  # drawn at a fixed length: only its direction matters
    _arrow(axes, point, units, unit_scale, color="tab:blue", lw=2.0, linestyle="--")
    axes.plot(*point, "o", color="black", ms=5)
    axes.set(xlim=w_range, ylim=b_range, xlabel="slope $w$", ylabel="intercept $b$",
             title="Minus each gradient points at its own zero-loss line")
    axes.set_aspect("equal")
    axes.plot([], [], color="tab:gray", lw=0.6, label="zero-loss line of one example")
    axes.plot([], [], color="tab:gray", label="minus one example's gradient")
    axes.plot([], [], color="tab:red", lw=3, label=r"minus their mean $= -\nabla C$")
    axes.plot([], [], color="tab:blue", ls="--", lw=2, label="minus the mean of unit directions")
    axes.legend(loc="lower left", fontsize=7)
    return figure, {"angle_mean": angle(-mean, -full), "angle_units": angle(-units, -full),
                    "lines_shown": lines_crossing(z, y, w_range, b_range)}


def _zero_loss_lines(axes, z, y, w_range, highlight=(), **style):
    """Draw each example's zero-loss line ``w z_i + b = y_i`` across the whole ``w`` range (thin gray)."""
    ws = np.linspace(*w_range, 2)
    for k, (zi, yi) in enumerate(zip(z, y)):
        if k in highlight:
            axes.plot(ws, yi - ws * zi, **style)
        else:
            axes.plot(ws, yi - ws * zi, color="tab:gray", lw=0.6, alpha=0.7)


def lines_crossing(z: np.ndarray, y: np.ndarray, w_range, b_range) -> int:
    """How many of the zero-loss lines ``w z_i + b = y_i`` meet the rectangle ``w_range`` x ``b_range``.

    A line meets a rectangle exactly when the rectangle's four corners are not all
    strictly on one side of it: ``w z_i + b - y_i`` takes both signs (or 0) there.

    Example:
        >>> lines_crossing(np.array([0.0, 1.0, 10.0]), np.array([0.0, 0.0, 30.0]), (-1, 1), (-1, 1))
        2
    """
    corners = np.array([(cw, cb) for cw in w_range for cb in b_range], dtype=float)
    values = corners[:, :1] * np.asarray(z, dtype=float) + corners[:, 1:] - np.asarray(y, dtype=float)
    return int(np.sum((values.min(axis=0) <= 0) & (values.max(axis=0) >= 0)))


def disagreement_figure(z: np.ndarray, y: np.ndarray, point, w_range, b_range):
    """Which examples the mean step ``theta - eta gbar`` makes worse, exactly, for each step size ``eta`` in (0, 1).

    Example i's loss changes by ``eta (eta (a_i . gbar)**2 - g_i . gbar)``, ``a_i = (z_i, 1)``: it rises for every
    ``eta > 0`` when ``g_i . gbar < 0``, and otherwise exactly when ``eta`` exceeds its threshold
    ``tau_i = g_i . gbar / (a_i . gbar)**2``.

    Left: contours of the cost ``C`` with every zero-loss line, minus each example's gradient at ``point``
    (orange and dashed: worse for every step; purple: worse once ``eta > tau_i`` with ``tau_i < 1``; gray:
    ``tau_i >= 1``) and the mean step's path for ``0 <= eta <= 1`` (red), marked at the smallest positive
    threshold and at ``eta = 1/2``, where it reaches the minimum (star) when the inputs are standardised.
    Right: for each example, the step sizes in (0, 1) at which its loss rises (bars), with the thresholds.

    Returns:
        ``(figure, numbers)``: ``rates`` (the eleven first-order rates ``-g_i . gbar``), ``thresholds`` (the
        ``tau_i``), ``worse_small`` (the examples, from 1, with ``tau_i < 0``: the ones made worse by every step up
        to the smallest positive threshold, ``first_threshold``), ``worse_at_half`` (at ``eta = 1/2``),
        ``worse_below_one`` (the examples with ``tau_i < 1``) and ``cost_rate`` (``-|gbar|^2``).

    Example:
        >>> z, y = anscombe_standardised()
        >>> figure, numbers = disagreement_figure(z, y, (0.0, 6.5), (-2.5, 4.5), (3.5, 10.5))
        >>> numbers["worse_small"], round(numbers["first_threshold"], 4), numbers["worse_at_half"]
        ([7, 10], 0.3598, [3, 7, 10])
        >>> numbers["worse_below_one"], round(numbers["cost_rate"], 3), round(float(np.mean(numbers["rates"])), 3)
        ([2, 3, 5, 6, 7, 10, 11], -14.011, -14.011)
        >>> import matplotlib.pyplot as plt; plt.close(figure)
    """
    import matplotlib.pyplot as plt  # imported here: the claims use this module without figures

    grads = per_example_gradients(linear_regression(1))(point, z, y)
    mean = grads.mean(axis=0)
    rates = -(grads @ mean)
    along = np.column_stack([z, np.ones_like(z)]) @ mean  # a_i . gbar
    thresholds = -rates / along**2
    always = [k for k in range(len(z)) if thresholds[k] < 0]
    later = [k for k in range(len(z)) if 0 < thresholds[k] < 1]
    first_k = min((k for k in range(len(z)) if thresholds[k] > 0), key=lambda k: thresholds[k])
    first = float(thresholds[first_k])
    colours = ["tab:orange" if k in always else "tab:purple" if k in later else "tab:gray" for k in range(len(z))]

    w_grid, b_grid = _grid(w_range, b_range)
    cost = ((w_grid[..., None] * z + b_grid[..., None] - y) ** 2).mean(axis=-1)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10.0, 4.9), layout="constrained",
                                         gridspec_kw={"width_ratios": [1.1, 1]})
    left.contour(w_grid, b_grid, cost, levels=np.geomspace(cost.min() + 0.3, cost.max(), 10), cmap="viridis",
                 linewidths=0.7)
    _zero_loss_lines(left, z, y, w_range, highlight=always, color="tab:orange", lw=1.4, ls="--")
    scale = 2.4 / np.linalg.norm(grads, axis=1).max()
    for k, g in enumerate(grads):
        if k in always:
            _arrow(left, point, g, scale, color=colours[k], lw=2.0, linestyle="--")
        else:
            _arrow(left, point, g, scale, color=colours[k], lw=1.6 if k in later else 1.0)
    _arrow(left, point, mean, 1.0, color="tab:red", lw=2.5)  # the path theta - eta gbar, 0 <= eta <= 1
    for eta, marker, size in ((first, "D", 5), (0.5, "*", 13)):
        left.plot(point[0] - eta * mean[0], point[1] - eta * mean[1], marker, color="white" if marker == "*" else
                  "black", mec="black", ms=size, mew=0.8, zorder=5)
    left.plot(*point, "o", color="black", ms=5)
    left.set(xlim=w_range, ylim=b_range, xlabel="slope $w$", ylabel="intercept $b$",
             title="Minus each gradient and the mean step's path")
    left.set_aspect("equal")
    left.plot([], [], color="tab:orange", ls="--", lw=2, label=r"loss rises for every $\eta > 0$")
    left.plot([], [], color="tab:purple", lw=1.6, label=r"rises once $\eta > \tau_i$ ($\tau_i < 1$)")
    left.plot([], [], color="tab:gray", label=r"falls for every $0 < \eta < 1$")
    left.plot([], [], color="tab:red", lw=2.5, label=r"$\theta - \eta\bar g$, $0 \leq \eta \leq 1$")
    left.plot([], [], "D", color="black", ms=4, ls="none",
              label=rf"$\eta = \tau_{{{first_k + 1}}}$, the smallest $\tau_i > 0$")
    left.plot([], [], "*", color="white", mec="black", ms=10, ls="none", label=r"$\eta = 1/2$: the minimum")
    left.legend(loc="lower left", fontsize=6.5)

    rows = np.arange(1, len(z) + 1)
    for k in range(len(z)):
        start = max(float(thresholds[k]), 0.0)
        if start < 1:
            right.barh(rows[k], 1 - start, left=start, color=colours[k], edgecolor="black", linewidth=0.6,
                       hatch="//" if k in always else None, height=0.6)
        label = r"every $\eta > 0$" if k in always else rf"$\tau_{{{k + 1}}} = {thresholds[k]:.3g}$"
        right.annotate(label, (1.01, rows[k]), xycoords=("axes fraction", "data"), va="center", fontsize=7,
                       annotation_clip=False)
    right.axvline(first, color="black", lw=1.0, ls="--")
    right.axvline(0.5, color="black", lw=1.0, ls=":")
    right.set(xlim=(0, 1), ylim=(len(z) + 0.7, 0.3), yticks=rows, xlabel=r"step size $\eta$ ($C$ falls for every "
              r"$0 < \eta < 1$)", ylabel="example $i$", title="Exactly: the step sizes at which each loss rises")
    right.text(first, 0.35, rf" $\eta = \tau_{{{first_k + 1}}}$", fontsize=7, va="top")
    right.text(0.5, 0.35, r" $\eta = 1/2$", fontsize=7, va="top")
    return figure, {"rates": [float(r) for r in rates], "thresholds": [float(t) for t in thresholds],
                    "worse_small": [k + 1 for k in always], "first_threshold": first,
                    "worse_at_half": [k + 1 for k in range(len(z)) if thresholds[k] < 0.5],
                    "worse_below_one": sorted(k + 1 for k in always + later), "cost_rate": -float(mean @ mean)}
