"""Why the mean and not the sum: step size, batch size, weight decay and the optimizer.

The sum of the losses is ``N`` times their mean, so both have the same
minimisers and gradients in the same direction; what changes is the size of a
step. This module holds the page's exact science: the linear scaling rule's
exact gap on quadratic losses (built on the same-point page's closed form) and
Adam's updates written out exactly, with no NumPy, so the claims re-run in the
browser. Ridge regression under both conventions, Adam with coupled L2 or
decoupled weight decay, the stable step sizes, momentum and the figures are
float code, in :mod:`gradavg.topics.mean_or_sum_figures`.
"""

from __future__ import annotations

from typing import Sequence

import sympy as sp

from .same_point import epoch_difference_coefficients, gradient_at, quadratic_losses


def batch_mean_losses(k: int, per_batch: int, params: Sequence[sp.Symbol]) -> list[sp.Expr]:
    """``k`` batch costs, each the mean of ``per_batch`` free quadratic losses (distinct coefficients).

    Example:
        >>> w = sp.Symbol("w")
        >>> batch_mean_losses(1, 2, [w])
        [A_1_11*w**2/4 + A_2_11*w**2/4 - b_1_1*w/2 - b_2_1*w/2]
    """
    losses = quadratic_losses(k * per_batch, params)
    return [sp.expand(sp.Add(*losses[j * per_batch:(j + 1) * per_batch]) / per_batch) for j in range(k)]


def scaling_gap(batches: Sequence[sp.Expr], params: Sequence[sp.Symbol], eta: sp.Symbol,
                orders: Sequence[int] = ()) -> list[sp.Expr]:
    """(``k`` steps of size ``eta``, one per batch) minus (one step of size ``k eta`` on the union) minus closed form.

    The batches are equally large, so the union's mean gradient is the mean of
    the batch means. The closed form is the same-point page's polynomial in
    ``eta`` (:func:`gradavg.topics.same_point.epoch_difference_coefficients`)
    over the batch costs' Hessians and gradients at the start, kept for the
    powers in ``orders``; with every power kept the result is 0 for quadratic
    batch costs.

    Example:
        >>> w, eta = sp.symbols("w eta")
        >>> batches = [w**2, 3 * w**2]
        >>> scaling_gap(batches, [w], eta, orders=(2,))
        [0]
        >>> scaling_gap(batches, [w], eta)
        [12*eta**2*w]
    """
    point = list(params)
    for batch in batches:  # theta_j = theta_{j-1} - eta grad C_j(theta_{j-1})
        point = [sp.expand(p - eta * g) for p, g in zip(point, gradient_at(batch, params, point))]
    k = len(batches)
    union = sp.Add(*batches) / k
    big_step = [p - k * eta * g for p, g in zip(params, gradient_at(union, params, params))]
    hessians = [sp.hessian(batch, params) for batch in batches]
    gradients = [sp.Matrix(gradient_at(batch, params, params)) for batch in batches]
    closed = sp.zeros(len(params), 1)
    for power, coefficient in epoch_difference_coefficients(hessians, gradients).items():
        if power in orders:
            closed += eta**power * coefficient
    return [sp.expand(s - f - c) for s, f, c in zip(point, big_step, closed)]


def adam_moments(m, v, g, beta1, beta2) -> tuple:
    """One step of Adam's running moments: ``(beta1 m + (1 - beta1) g, beta2 v + (1 - beta2) g^2)``.

    Example:
        >>> adam_moments(0, 0, sp.Integer(2), sp.Rational(9, 10), sp.Rational(999, 1000))
        (1/5, 1/250)
    """
    return beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g**2


def adam_update(m, v, t, eta, beta1, beta2, eps):
    """Adam's update at step ``t`` from the moments ``m_t``, ``v_t``: ``eta * mhat_t / (sqrt(vhat_t) + eps)``.

    With the bias corrections ``mhat_t = m_t / (1 - beta1^t)`` and
    ``vhat_t = v_t / (1 - beta2^t)`` (Kingma and Ba, 2015).

    Example:
        >>> half = sp.Rational(1, 2)
        >>> adam_update(half, sp.Rational(1, 8), 1, 1, half, half, 0)  # mhat = 1, vhat = 1/4
        2
    """
    return eta * (m / (1 - beta1**t)) / (sp.sqrt(v / (1 - beta2**t)) + eps)


def adam_updates(gradients: Sequence[sp.Expr], eta, beta1, beta2, eps) -> list[sp.Expr]:
    """The Adam updates ``eta * mhat_t / (sqrt(vhat_t) + eps)`` for a run of gradients of one parameter (exact).

    The moments start at ``m_0 = v_0 = 0`` and follow :func:`adam_moments`;
    each update is :func:`adam_update`. RMSProp is the case without the first
    moment and without bias correction.

    Example:
        >>> g = sp.Symbol("g", positive=True)
        >>> adam_updates([g], sp.Rational(1, 10), sp.Rational(9, 10), sp.Rational(999, 1000), 0)
        [1/10]
    """
    m = v = sp.Integer(0)
    updates = []
    for t, g in enumerate(gradients, 1):
        m, v = adam_moments(m, v, g, beta1, beta2)
        updates.append(adam_update(m, v, t, eta, beta1, beta2, eps))
    return updates


def sgd_updates(gradients: Sequence[sp.Expr], eta, *unused) -> list[sp.Expr]:
    """Plain SGD's updates ``eta * g_t``: the control for :func:`adam_updates`.

    Example:
        >>> sgd_updates([2, 3], sp.Rational(1, 2))
        [1, 3/2]
    """
    return [eta * g for g in gradients]
