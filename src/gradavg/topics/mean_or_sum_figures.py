"""The mean-or-sum page's NumPy side: its figures and the float runs behind its numbers.

The scaling gap along the step size, ridge regression under both conventions,
Adam and AdamW runs, the largest stable step sizes (for the expected iterate
and for the second moment) and momentum under both conventions. The page's
exact science, free of NumPy so that its claims re-run in the browser, is in
:mod:`gradavg.topics.mean_or_sum`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def scaling_gap_curve(x: np.ndarray, y: np.ndarray, k: int, step_sizes: np.ndarray) -> np.ndarray:
    """``|k sequential batch steps - one step of k eta|`` for squared error of ``w x + b``, per step size ``eta``.

    The data are cut into ``k`` equal consecutive batches; both runs start at
    ``(0, 0)``. Least squares is quadratic, so the gap is the polynomial in
    ``eta`` of :func:`gradavg.topics.mean_or_sum.scaling_gap` exactly.

    Example:
        >>> x, y = np.arange(4.0), np.array([1.0, 2.0, 2.0, 4.0])
        >>> gaps = scaling_gap_curve(x, y, 2, np.array([0.0, 0.01]))
        >>> float(gaps[0]), bool(gaps[1] > 0)
        (0.0, True)
    """
    batches = np.array_split(np.arange(len(x)), k)

    def gradient(theta, rows):
        residual = theta[0] * x[rows] + theta[1] - y[rows]
        return 2 * np.array([np.mean(residual * x[rows]), np.mean(residual)])

    gaps = []
    for eta in step_sizes:
        theta = np.zeros(2)
        for rows in batches:
            theta = theta - eta * gradient(theta, rows)
        big = -k * eta * gradient(np.zeros(2), np.arange(len(x)))
        gaps.append(np.linalg.norm(theta - big))
    return np.array(gaps)


def scaling_figure(x: np.ndarray, y: np.ndarray, ks: Sequence[int], step_sizes: np.ndarray):
    """The gap between ``k`` small steps and one step ``k eta``, against ``k eta``, one curve per ``k``.

    Example:
        >>> x, y = np.arange(6.0), np.arange(6.0) + 1
        >>> figure = scaling_figure(x, y, [2, 3], np.linspace(0, 0.02, 5))
        >>> len(figure.axes[0].lines)
        2
        >>> import matplotlib.pyplot as plt; plt.close(figure)
    """
    import matplotlib.pyplot as plt  # imported here: the claims use this module without figures

    figure, axes = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    for k in ks:
        axes.plot(k * step_sizes, scaling_gap_curve(x, y, k, step_sizes), lw=1.6, label=f"k = {k} batches")
    axes.set(xlabel=r"total step $k\eta$", ylabel="distance between the two endpoints",
             title=r"$k$ steps of $\eta$ against one step of $k\eta$")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8)
    return figure


def ridge_fit(x: np.ndarray, y: np.ndarray, strength: float, penalty_on: str) -> np.ndarray:
    """Least squares of ``w x + b`` plus ``strength/2 * (w^2 + b^2)``, the penalty added to the ``"sum"`` or the ``"mean"``.

    The page's convention, that of the claim ``mean-or-sum.weight-decay``: the
    losses are ``L_i = (w x_i + b - y_i)^2`` and the penalty is
    ``strength/2 * |theta|^2`` over both parameters ``theta = (w, b)``. Minimises
    ``sum_i L_i + strength/2 |theta|^2`` (on the sum) or
    ``mean_i L_i + strength/2 |theta|^2`` (on the mean); returns ``(w, b)``.

    Example:
        >>> x, y = np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 1.0, 2.0, 3.0])
        >>> np.round(ridge_fit(x, y, 0.0, "sum"), 6).tolist()
        [1.0, 0.0]
        >>> bool(ridge_fit(x, y, 1.0, "sum")[0] > ridge_fit(x, y, 1.0, "mean")[0])
        True
    """
    if penalty_on not in ("sum", "mean"):
        raise ValueError(f"penalty_on is 'sum' or 'mean', got {penalty_on!r}")
    design = np.column_stack([x, np.ones_like(x)])
    scale = 1.0 if penalty_on == "sum" else 1.0 / len(x)
    # the gradient of scale * sum_i r_i^2 + strength/2 |theta|^2, 2 scale D^T (D theta - y) + strength theta, is 0
    normal = 2 * scale * design.T @ design + strength * np.eye(2)
    return np.linalg.solve(normal, 2 * scale * design.T @ y)


def weight_decay_figure(x: np.ndarray, y: np.ndarray, strength: float, sizes: Sequence[int]):
    """The fitted slope on the first ``n`` examples against ``n``, the penalty on the sum and on the mean.

    Returns ``(figure, slopes)`` with ``slopes[convention]`` one value per size.

    Example:
        >>> x = np.linspace(0, 1, 40); y = 2 * x
        >>> figure, slopes = weight_decay_figure(x, y, 1.0, [10, 40])
        >>> bool(slopes["sum"][1] > slopes["sum"][0])
        True
        >>> import matplotlib.pyplot as plt; plt.close(figure)
    """
    import matplotlib.pyplot as plt  # imported here: the claims use this module without figures

    slopes = {c: np.array([ridge_fit(x[:n], y[:n], strength, c)[0] for n in sizes]) for c in ("sum", "mean")}
    figure, axes = plt.subplots(figsize=(6.4, 3.8), layout="constrained")
    axes.plot(sizes, slopes["mean"], "o-", ms=3, label=r"penalty added to the mean: strength $\lambda$")
    axes.plot(sizes, slopes["sum"], "s-", ms=3, label=r"penalty added to the sum: strength $\lambda/N$")
    axes.axhline(ridge_fit(x, y, 0.0, "sum")[0], color="gray", lw=0.8, ls="--", label="no penalty, all data")
    axes.set(xlabel="examples $N$", ylabel="fitted slope $w$",
             title=rf"Same $\lambda = {strength:g}$ in $\frac{{\lambda}}{{2}}(w^2 + b^2)$, two conventions")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8)
    return figure, slopes


def adam_fit(x: np.ndarray, y: np.ndarray, reduction: str, *, l2: float = 0.0, decay: float = 0.0,
             steps: int = 2000, eta: float = 0.01, beta1: float = 0.9, beta2: float = 0.999,
             eps: float = 1e-8) -> np.ndarray:
    """Adam on the squared error of ``w x + b`` (losses ``(w x_i + b - y_i)^2``), reduced by ``"mean"`` or ``"sum"``.

    Full batch, from ``(0, 0)``. With ``l2`` the gradient Adam sees is the data
    term's plus ``l2 * theta`` (the penalty ``l2/2 |theta|^2`` added to the loss,
    as the ``weight_decay`` of ``torch.optim.Adam`` does: coupled). With
    ``decay`` each step also subtracts ``eta * decay * theta``, outside Adam's
    normalisation, as AdamW does (decoupled). Returns the final ``(w, b)``.

    Example:
        >>> x, y = np.linspace(-1, 1, 20), np.linspace(-1, 1, 20) + 1
        >>> np.round(adam_fit(x, y, "mean", steps=3000), 3).tolist()
        [1.0, 1.0]
        >>> mean, total = adam_fit(x, y, "mean", l2=1.0), adam_fit(x, y, "sum", l2=1.0)
        >>> bool(total[0] > mean[0])  # the same coupled L2 is weaker on the sum
        True
    """
    if reduction not in ("sum", "mean"):
        raise ValueError(f"reduction is 'sum' or 'mean', got {reduction!r}")
    design = np.column_stack([x, np.ones_like(x)])
    scale = 1.0 if reduction == "sum" else 1.0 / len(x)
    theta, m, v = np.zeros(2), np.zeros(2), np.zeros(2)
    for t in range(1, steps + 1):
        gradient = 2 * scale * design.T @ (design @ theta - y) + l2 * theta
        m = beta1 * m + (1 - beta1) * gradient
        v = beta2 * v + (1 - beta2) * gradient**2
        step = (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        theta = theta - eta * step - eta * decay * theta
    return theta


def largest_stable_steps(x: np.ndarray, y: np.ndarray, sizes: Sequence[int]) -> dict[str, np.ndarray]:
    """The largest stable gradient-descent step size on the first ``n`` examples, for the mean and for the sum.

    For squared error of ``w x + b`` the cost is quadratic, and gradient descent
    converges exactly when the step is below ``2 / lambda_max`` of its Hessian.
    The sum's Hessian is ``n`` times the mean's, so its limit is ``n`` times
    smaller.

    Example:
        >>> x = np.linspace(-1, 1, 40); y = x
        >>> steps = largest_stable_steps(x, y, [10, 40])
        >>> bool(np.allclose(steps["sum"] * np.array([10, 40]), steps["mean"]))
        True
    """
    out = {"mean": [], "sum": []}
    for n in sizes:
        design = np.column_stack([x[:n], np.ones(n)])
        mean_hessian = 2 * design.T @ design / n
        top = np.linalg.eigvalsh(mean_hessian)[-1]
        out["mean"].append(2 / top)
        out["sum"].append(2 / (n * top))
    return {key: np.array(values) for key, values in out.items()}


def second_moment_operator(design: np.ndarray, batch: int, eta: float) -> np.ndarray:
    """``E[(I - eta H_S) (x) (I - eta H_S)]`` for a batch ``S`` of ``batch`` rows drawn uniformly with replacement.

    For the squared error ``(a_i . theta - y_i)^2`` of the rows ``a_i`` of
    ``design`` the per-example Hessian is ``H_i = 2 a_i a_i^T`` and one step on
    a batch mean multiplies the error ``theta - theta*`` by ``I - eta H_S``,
    ``H_S`` the batch mean of the ``H_i``. With ``B`` independent uniform draws,
    ``E[H_S (x) H_S] = H (x) H + (M - H (x) H) / B`` with ``H`` the mean Hessian
    and ``M`` the mean of ``H_i (x) H_i``; this matrix, acting on the
    vectorised second moment ``E[e e^T]``, is the part of its one-step update
    that multiplies it (the rest is the added gradient noise).

    Example:
        One example, so every batch is the same: the operator is the Kronecker square.

        >>> design = np.array([[1.0, 1.0]])
        >>> step = np.eye(2) - 0.1 * 2 * np.outer(design[0], design[0])
        >>> bool(np.allclose(second_moment_operator(design, 3, 0.1), np.kron(step, step)))
        True
    """
    first, second = _moment_terms(design, batch)
    return np.eye(len(first)) - eta * first + eta**2 * second


def _moment_terms(design: np.ndarray, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """The coefficients of ``eta`` and ``eta^2`` in :func:`second_moment_operator` (its ``I - eta A + eta^2 Q``)."""
    hessians = np.array([2 * np.outer(a, a) for a in design])
    mean = hessians.mean(axis=0)
    squares = np.mean([np.kron(h, h) for h in hessians], axis=0)
    identity = np.eye(len(mean))
    return (np.kron(mean, identity) + np.kron(identity, mean),
            np.kron(mean, mean) + (squares - np.kron(mean, mean)) / batch)


def mean_square_stable_step(design: np.ndarray, batch: int, grid: int = 200) -> float:
    """The step size below which minibatch SGD on the squared error keeps a bounded second moment (batches with replacement).

    The second moment of the error is bounded exactly while the spectral radius
    of :func:`second_moment_operator` is below 1. Scans ``grid`` steps in
    ``(0, 2/lambda_max]`` (``lambda_max`` of the mean Hessian: the expected
    iterate's limit, which no batch size passes) for the first one with radius
    ``>= 1``, then bisects: every scanned step below the returned value is stable.

    Example:
        One feature: the radius is ``|1 - 2 eta H + eta^2 (H^2 + (M - H^2)/B)|``, below 1 for
        ``eta < 2 H / (H^2 + (M - H^2)/B)`` with ``H``, ``M`` the mean of ``h_i = 2 a_i^2`` and of ``h_i^2``.

        >>> design = np.array([[1.0], [2.0], [3.0]])
        >>> h = 2 * design[:, 0] ** 2
        >>> H, M = h.mean(), (h**2).mean()
        >>> bool(np.isclose(mean_square_stable_step(design, 2), 2 * H / (H**2 + (M - H**2) / 2)))
        True
    """
    top = np.linalg.eigvalsh(2 * design.T @ design / len(design))[-1]

    first, second = _moment_terms(design, batch)

    def radius(eta):
        return np.max(np.abs(np.linalg.eigvals(np.eye(len(first)) - eta * first + eta**2 * second)))

    steps = np.linspace(0, 2 / top, grid + 1)[1:]
    unstable = next((k for k, eta in enumerate(steps) if radius(eta) >= 1), len(steps) - 1)
    low, high = (steps[unstable - 1] if unstable else 0.0), steps[unstable]
    for _ in range(50):
        middle = (low + high) / 2
        low, high = (middle, high) if radius(middle) < 1 else (low, middle)
    return float(low)


#: the four momentum runs of :func:`momentum_runs`, by name
MOMENTUM_RUNS = ("sum", "mean v-form", "mean u-form", "mean v-form corrected")


def momentum_runs(x, y, batch: int, eta, mu, epochs: int) -> dict[str, np.ndarray]:
    """Momentum SGD over consecutive batches of ``batch`` rows (the last one of each epoch shorter), four ways.

    For the squared error ``(w x_i + b - y_i)^2`` from ``(0, 0)``, with ``g_t`` the
    gradient of the batch sum at step ``t`` and ``B_t`` that batch's size:

    - ``"sum"``: ``v <- mu v + eta g_t``, ``theta <- theta - v``, one fixed
      ``eta`` (with a fixed step this is also the form ``u <- mu u + g_t``,
      ``theta <- theta - eta u``, with ``v = eta u``);
    - ``"mean v-form"``: ``v <- mu v + eta_t g_t / B_t``, ``theta <- theta - v``,
      ``eta_t = eta B_t`` (Goyal et al.'s eq. (10), no correction);
    - ``"mean u-form"``: ``u <- mu u + g_t / B_t``, ``theta <- theta - eta_t u``
      (their eq. (9), the reference);
    - ``"mean v-form corrected"``: eq. (10) with the momentum correction,
      ``v <- mu (eta_t / eta_{t-1}) v + eta_t g_t / B_t``.

    Returns the final ``(w, b)`` of each run. The arithmetic is whatever
    ``x``, ``y``, ``eta`` and ``mu`` carry: floats, or
    :class:`fractions.Fraction` in object arrays for exact runs.

    Example:
        Exact arithmetic: the sum is the uncorrected v-form, the u-form the corrected one.

        >>> from fractions import Fraction as F
        >>> x = np.array([F(0), F(1), F(2)], dtype=object); y = np.array([F(1), F(2), F(2)], dtype=object)
        >>> runs = momentum_runs(x, y, 2, F(1, 10), F(9, 10), 2)
        >>> runs["sum"].tolist() == runs["mean v-form"].tolist(), runs["sum"].tolist() == runs["mean u-form"].tolist()
        (True, False)
        >>> runs["mean u-form"].tolist() == runs["mean v-form corrected"].tolist()
        True
    """
    rows = [np.arange(start, min(start + batch, len(x))) for start in range(0, len(x), batch)] * epochs
    zero = 0 * eta  # keeps the arithmetic of eta (a float or a Fraction)

    def batch_sum_gradient(theta, these):
        residual = theta[0] * x[these] + theta[1] - y[these]
        return np.array([2 * (residual * x[these]).sum(), 2 * residual.sum()])

    theta = {name: np.array([zero, zero]) for name in MOMENTUM_RUNS}
    buffer = {name: np.array([zero, zero]) for name in MOMENTUM_RUNS}
    previous = None  # eta_{t-1} of the mean's runs
    for these in rows:
        size = len(these)
        step = eta * size  # eta_t = eta B_t on the mean
        g = batch_sum_gradient(theta["sum"], these)
        buffer["sum"] = mu * buffer["sum"] + eta * g
        theta["sum"] = theta["sum"] - buffer["sum"]
        g = batch_sum_gradient(theta["mean v-form"], these) / size
        buffer["mean v-form"] = mu * buffer["mean v-form"] + step * g
        theta["mean v-form"] = theta["mean v-form"] - buffer["mean v-form"]
        g = batch_sum_gradient(theta["mean u-form"], these) / size
        buffer["mean u-form"] = mu * buffer["mean u-form"] + g
        theta["mean u-form"] = theta["mean u-form"] - step * buffer["mean u-form"]
        g = batch_sum_gradient(theta["mean v-form corrected"], these) / size
        correction = 1 if previous is None else step / previous
        buffer["mean v-form corrected"] = mu * correction * buffer["mean v-form corrected"] + step * g
        theta["mean v-form corrected"] = theta["mean v-form corrected"] - buffer["mean v-form corrected"]
        previous = step
    return theta
