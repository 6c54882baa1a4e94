"""Model families beyond linear regression, and the table of how far each is checked.

Each family is a :class:`gradavg.engine.models.Model`: one example's loss with its
parameter and data symbols. :func:`family_rows` checks the gradient-of-a-mean
identity for every family at one N (only that N) with
:func:`gradavg.checks.check.check_gradient_of_mean` and reports the method, the
kind of evidence and the time.
"""

from __future__ import annotations

import functools
import html
import math
import re

import sympy as sp

from ..checks.check import AGREEMENT, STEP, WORKING_DIGITS, check_gradient_of_mean
from ..engine.claims import Verdict, format_seconds
from ..engine.models import Model, linear_regression


def logistic_regression(features: int = 2) -> Model:
    """Logistic loss ``log(1 + exp(-y (w . x + b)))`` with a label ``y`` (``+1`` or ``-1`` in practice).

    Example:
        >>> logistic_regression(1).loss
        log(1 + exp(-y*(b + w_1*x_1)))
    """
    if features < 1:
        raise ValueError(f"need at least one feature, got {features}")
    w = sp.symbols(f"w_1:{features + 1}", real=True)
    x = sp.symbols(f"x_1:{features + 1}", real=True)
    b, y = sp.symbols("b y", real=True)
    margin = y * sum((wi * xi for wi, xi in zip(w, x)), b)
    return Model(f"logistic regression, {features} feature(s)", sp.log(1 + sp.exp(-margin)), (*w, b), (*x, y))


def softmax_regression(classes: int = 3, features: int = 1) -> Model:
    """Cross-entropy of a softmax over ``classes`` affine scores, with a target vector ``t``.

    The loss is ``-sum_k t_k z_k + log sum_k exp(z_k)`` with ``z_k = W_k . x + b_k``;
    for a one-hot target this is minus the log of the predicted probability of
    the true class.

    Example:
        >>> model = softmax_regression(3, 1)
        >>> len(model.params), len(model.data)
        (6, 4)
    """
    if classes < 2 or features < 1:
        raise ValueError(f"need at least 2 classes and 1 feature, got {classes} and {features}")
    weights = [sp.symbols(f"W_{k}_1:{features + 1}", real=True) for k in range(1, classes + 1)]
    biases = sp.symbols(f"c_1:{classes + 1}", real=True)
    x = sp.symbols(f"x_1:{features + 1}", real=True)
    t = sp.symbols(f"t_1:{classes + 1}", real=True)
    scores = [sum((wk * xi for wk, xi in zip(row, x)), bk) for row, bk in zip(weights, biases)]
    loss = -sum(tk * zk for tk, zk in zip(t, scores)) + sp.log(sum(sp.exp(z) for z in scores))
    params = tuple(p for row in weights for p in row) + tuple(biases)
    return Model(f"softmax regression, {classes} classes", loss, params, (*x, *t))


def tanh_network(hidden: int = 2) -> Model:
    """Squared error of a one-hidden-layer tanh network on one input: ``(sum_j v_j tanh(a_j x + c_j) + d - y)**2``.

    Example:
        >>> len(tanh_network(2).params)
        7
    """
    if hidden < 1:
        raise ValueError(f"need at least one hidden unit, got {hidden}")
    a = sp.symbols(f"a_1:{hidden + 1}", real=True)
    c = sp.symbols(f"c_1:{hidden + 1}", real=True)
    v = sp.symbols(f"v_1:{hidden + 1}", real=True)
    d, x, y = sp.symbols("d x y", real=True)
    output = sum((vj * sp.tanh(aj * x + cj) for aj, cj, vj in zip(a, c, v)), d)
    return Model(f"one-hidden-layer tanh network, {hidden} units", (output - y) ** 2, (*a, *c, *v, d), (x, y))


#: (family, the one N checked) for the table on the linearity page
TARGETS = (
    (lambda: linear_regression(3), 8),
    (lambda: logistic_regression(2), 8),
    (lambda: softmax_regression(3, 1), 4),
    (lambda: tanh_network(2), 8),
)


#: random rational points (data and parameters) at which a family without an exact route is sampled
POINTS = 3


def power_of_ten(value) -> int:
    """The exponent ``e`` of a value that is exactly ``10**-e``, as the page writes the numeric route's constants.

    Raises:
        ValueError: ``value`` is not a negative power of ten.

    Example:
        >>> power_of_ten(STEP), power_of_ten(AGREEMENT)
        (30, 40)
        >>> power_of_ten(sp.Rational(2, 10**3))
        Traceback (most recent call last):
        ...
        ValueError: 1/500 is not 10**-e for an integer e
    """
    exponent = round(-math.log10(value))
    if abs(sp.Rational(value) * 10**exponent - 1) > sp.Rational(1, 10**6):
        raise ValueError(f"{value} is not 10**-e for an integer e")
    return exponent


#: the numeric route's step as the page writes it, and the digits its agreement test asks for
STEP_TEXT = f"1e-{power_of_ten(STEP)}"
AGREEMENT_DIGITS = power_of_ten(AGREEMENT)


def numeric_route(points: int = POINTS) -> str:
    """What the numeric route establishes at ``points`` points, in words, formatted from the check's constants.

    Example:
        >>> numeric_route(3)
        'the central difference quotient of the cost (h = 1e-30, 100-digit arithmetic) agrees with the mean of per-example gradients to 40 digits, |q - m| <= 1e-40 (1 + |q| + |m|), at 3 random rational points of data and parameters (not a proof)'
    """
    return (f"the central difference quotient of the cost (h = {STEP_TEXT}, {WORKING_DIGITS}-digit arithmetic) "
            f"agrees with the mean of per-example gradients to {AGREEMENT_DIGITS} digits, "
            f"|q - m| <= 1e-{AGREEMENT_DIGITS} (1 + |q| + |m|), at {points} random rational points of data and "
            "parameters (not a proof)")


def check_family(model: Model, n: int, *, points: int = POINTS) -> Verdict:
    """The gradient of the mean of ``n`` losses of ``model`` against the mean of their gradients, timed.

    Example:
        >>> check_family(linear_regression(1), 3).holds
        True
    """
    return check_gradient_of_mean(model.loss, list(model.params), list(model.data), n=n, points=points)


@functools.lru_cache(maxsize=1)
def family_rows() -> tuple[dict, ...]:
    """One row per family in :data:`TARGETS`: name, parameters, N, holds, method, evidence and seconds (cached per process).

    Example:
        >>> [row["N"] for row in family_rows()]
        [8, 8, 4, 8]
    """
    rows = []
    for make, n in TARGETS:
        model = make()
        verdict = check_family(model, n)
        rows.append({"family": model.name, "parameters": len(model.params), "N": n, "holds": verdict.holds,
                     "method": verdict.method, "evidence": verdict.evidence,
                     "seconds": round(verdict.seconds, 2)})
    return tuple(rows)


def short_method(method: str) -> str:
    """A verdict's method, shortened for a table column.

    Example:
        >>> short_method("numeric: the difference quotient ... at 3 random rational points (not a proof)")
        'central difference quotient (h = 1e-30), 100 digits, agreeing to 40 digits at 3 random rational points of data and parameters (not a proof)'
    """
    if method.startswith("symbolic"):
        return "symbolic proof (the difference quotient cancels exactly)"
    points = re.search(r"at (\d+) random rational points", method)
    if method.startswith("numeric") and points:
        return (f"central difference quotient (h = {STEP_TEXT}), {WORKING_DIGITS} digits, agreeing to "
                f"{AGREEMENT_DIGITS} digits at {points.group(1)} random rational points of data and parameters "
                "(not a proof)")
    return method


def family_table_html(rows=None) -> str:
    """The rows of :func:`family_rows` as an HTML table for a page cell.

    Example:
        >>> row = {"family": "f", "parameters": 2, "N": 8, "holds": True, "method": "symbolic: x", "seconds": 0.5}
        >>> "<td>8</td><td>yes</td>" in family_table_html([row])
        True
    """
    rows = family_rows() if rows is None else rows
    head = ("family", "parameters", "N (the only one checked)", "holds", "method", "time")
    lines = ['<table class="gradavg-table">', "<thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead>",
             "<tbody>"]
    for r in rows:
        cells = (r["family"], r["parameters"], r["N"], "yes" if r["holds"] else "NO", short_method(r["method"]),
                 format_seconds(r["seconds"], 2))
        lines.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    lines.append("</tbody></table>")
    return "\n".join(lines)


# The figure of the page: all per-example gradients at one point.

def gradients_at_one_point(x: np.ndarray, y: np.ndarray, point, w_range, b_range):
    """Per-example gradients of squared error at one parameter point, with their mean.

    Draws the cost surface ``C(w, b)`` (mean squared error over the data) as
    contours in the parameter plane, one arrow per example's negative gradient
    at ``point`` and a thick arrow for their mean, over the rectangle
    ``w_range`` x ``b_range`` of the parameter plane.

    Returns:
        ``(figure, gradients)`` where ``gradients`` has one row per example.

    Example:
        >>> import numpy as np
        >>> x, y = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 2.0])
        >>> figure, grads = gradients_at_one_point(x, y, (0.0, 0.0), w_range=(-1, 3), b_range=(-1, 3))
        >>> len(figure.axes), grads.tolist()
        (1, [[-2.0, -2.0], [-8.0, -4.0], [-12.0, -4.0]])
        >>> import matplotlib.pyplot as plt; plt.close(figure)
    """
    # imported here: the claims use this module without figures, and without NumPy in the browser
    import matplotlib.pyplot as plt
    import numpy as np

    from ..engine.numeric import per_example_gradients

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
