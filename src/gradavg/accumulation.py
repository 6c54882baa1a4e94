"""Gradient accumulation and data-parallel averaging, as weighted sums of micro-batch gradients.

A training step that accumulates over micro-batches (or averages over
workers) runs one backward pass per micro-batch ``k`` on a scaled summed loss
``c_k * sum(L_i for i in micro-batch k)`` and adds the gradients up. Every
accumulation or all-reduce scheme is therefore a list of weights ``c_k``:

- summed loss divided by the total count ``N``: ``c_k = 1/N`` (exact);
- the mean of per-micro-batch means: ``c_k = 1/(K n_k)`` (exact only when
  every micro-batch has the same size);
- local means all-reduced with count weights ``n_k/N``: ``c_k = 1/N`` (exact);
- summed losses averaged over ``M`` workers: ``c_k = 1/M`` (the gradient of
  the summed loss divided by ``M``).

The checks compare such a weighted sum of micro-batch gradients (each
micro-batch differentiated on its own, as its own backward pass) against the
gradient of the whole batch's cost reached from the definition of the
derivative, so they can fail.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable, Sequence

import sympy as sp

from .claims import Verdict
from .exact import decide
from .gradients import H, derivative_by_definition, limit_in_ring


def split(sizes: Sequence[int]) -> list[range]:
    """Consecutive micro-batches of the given sizes over indices ``0 .. sum(sizes) - 1``.

    Example:
        >>> split([2, 3])
        [range(0, 2), range(2, 5)]
    """
    if not sizes or any(int(n) != n or n < 1 for n in sizes):
        raise ValueError(f"micro-batch sizes must be positive integers, got {list(sizes)}")
    groups, start = [], 0
    for n in sizes:
        groups.append(range(start, start + int(n)))
        start += int(n)
    return groups


def total_count_weights(sizes: Sequence[int]) -> list[Fraction]:
    """Each micro-batch's summed loss divided by the total count: ``c_k = 1/N``.

    Example:
        >>> total_count_weights([1, 3])
        [Fraction(1, 4), Fraction(1, 4)]
    """
    total = sum(sizes)
    return [Fraction(1, total) for _ in sizes]


def mean_of_means_weights(sizes: Sequence[int]) -> list[Fraction]:
    """The mean of per-micro-batch mean losses: ``c_k = 1/(K n_k)``.

    Example:
        >>> mean_of_means_weights([1, 3])
        [Fraction(1, 2), Fraction(1, 6)]
    """
    return [Fraction(1, len(sizes) * n) for n in sizes]


def count_weighted_mean_weights(sizes: Sequence[int]) -> list[Fraction]:
    """Local mean losses combined with weights ``n_k / N``: ``c_k = (n_k/N)(1/n_k)``.

    Example:
        >>> count_weighted_mean_weights([1, 3])
        [Fraction(1, 4), Fraction(1, 4)]
    """
    total = sum(sizes)
    return [Fraction(n, total) * Fraction(1, n) for n in sizes]


def summed_loss_average_weights(sizes: Sequence[int]) -> list[Fraction]:
    """Each worker's summed loss, gradients averaged over the ``M`` workers: ``c_k = 1/M``.

    Example:
        >>> summed_loss_average_weights([2, 2, 2])
        [Fraction(1, 3), Fraction(1, 3), Fraction(1, 3)]
    """
    return [Fraction(1, len(sizes)) for _ in sizes]


def micro_batch_gradients(losses: Sequence[sp.Expr], params: Sequence[sp.Symbol], groups: Sequence[range]) -> list[list[sp.Expr]]:
    """One backward pass per micro-batch: the gradient of each micro-batch's summed loss.

    Example:
        >>> w = sp.Symbol("w")
        >>> micro_batch_gradients([w**2, 3 * w, w], [w], split([1, 2]))
        [[2*w], [4]]
    """
    return [[sp.diff(sp.Add(*[losses[i] for i in group]), p) for p in params] for group in groups]


def accumulate(gradients: Sequence[Sequence[sp.Expr]], weights: Sequence) -> list[sp.Expr]:
    """The accumulation buffer (or all-reduce): ``sum_k weights[k] * gradients[k]``.

    Example:
        >>> w = sp.Symbol("w")
        >>> accumulate([[2 * w], [sp.Integer(4)]], [Fraction(1, 2), Fraction(1, 4)])
        [w + 1]
    """
    if len(gradients) != len(weights):
        raise ValueError(f"{len(gradients)} micro-batch gradients but {len(weights)} weights")
    return [sp.Add(*[sp.Rational(c.numerator, c.denominator) * g[j] if isinstance(c, Fraction) else c * g[j]
                     for g, c in zip(gradients, weights)]) for j in range(len(gradients[0]))]


def _quotient_limit_at(cost: sp.Expr, param: sp.Symbol, point: dict) -> sp.Expr:
    """``lim_{h->0} (C(point + h e_param) - C(point)) / h`` for a cost polynomial in ``param``.

    At an exact point the quotient's numerator is a polynomial in ``h`` with
    no constant term; the limit of the quotient is its coefficient of ``h``.
    """
    numerator = sp.Poly(cost.xreplace({param: param + H}).xreplace(point) - cost.xreplace(point), H)
    if numerator.coeff_monomial(1) != 0:
        raise ArithmeticError("the difference quotient's numerator does not vanish at h = 0")
    return numerator.coeff_monomial(H)


def _polynomial_residual(cost, params, lhs, extra, symbols) -> list[sp.Expr]:
    """``lhs - lim (C(theta + h e_j) - C(theta))/h - extra`` in a polynomial ring over QQ (canonical: 0 iff equal)."""
    ring, h, *_ = sp.ring([H, *symbols], sp.QQ)
    residual = []
    for p, left, e in zip(params, lhs, extra):
        residual.append((ring(left) - limit_in_ring(cost, p, ring, h) - ring(e)).as_expr())
    return residual


def weighted_identity(
    losses: Sequence[sp.Expr],
    params: Sequence[sp.Symbol],
    groups: Sequence[range],
    weights: Sequence,
    target_scale,
    *,
    correction: Callable[[list[list[sp.Expr]]], list[sp.Expr]] | None = None,
    seed: int = 0,
) -> Verdict:
    """Decide ``accumulate(micro-batch gradients, weights) == grad(target_scale * sum L_i) + correction``.

    The left side runs one backward pass per micro-batch and combines them
    with ``weights``. The right side differentiates the whole batch's cost
    ``target_scale * sum_i L_i`` from the definition of the derivative, plus
    an optional ``correction`` computed from the micro-batch gradients (for
    example the exact gap of a wrong scheme). Witnesses are exact rational
    points; the proof expands the polynomial difference to 0.

    Example:
        >>> w = sp.Symbol("w")
        >>> losses = [w**2, 3 * w, w]
        >>> weighted_identity(losses, [w], split([1, 2]), total_count_weights([1, 2]), Fraction(1, 3)).holds
        True
        >>> weighted_identity(losses, [w], split([1, 2]), mean_of_means_weights([1, 2]), Fraction(1, 3)).holds
        False
    """
    scale = sp.Rational(Fraction(target_scale).numerator, Fraction(target_scale).denominator)
    gradients = micro_batch_gradients(losses, params, groups)
    lhs = accumulate(gradients, weights)
    extra = correction(gradients) if correction else [sp.S.Zero] * len(params)
    cost = scale * sp.Add(*[losses[i] for group in groups for i in group])
    symbols = sorted(set().union(*(L.free_symbols for L in losses)), key=str)

    def difference_at(point: dict) -> list[sp.Expr]:
        return [left.xreplace(point) - derivative(p, point) - e.xreplace(point) for left, p, e in zip(lhs, params, extra)]

    prove = None
    derivative = lambda p, point: derivative_by_definition(cost, p, point)  # noqa: E731
    if cost.is_polynomial(*symbols):
        derivative = lambda p, point: _quotient_limit_at(cost, p, point)  # noqa: E731

        def prove():
            residual = _polynomial_residual(cost, params, lhs, extra, symbols)
            return residual, ("the accumulated gradient minus the limit of the whole cost's difference quotient "
                              "is 0 in the polynomial ring over QQ")

    return decide(difference_at, symbols, prove, seed=seed)


def scheme_gradient(per_example: "np.ndarray", sizes: Sequence[int], scheme: Callable) -> "np.ndarray":
    """A scheme's step gradient from per-example gradients (rows), in floating point.

    Micro-batch ``k`` holds the next ``sizes[k]`` rows; its summed gradient is
    scaled by ``scheme(sizes)[k]`` and the results are added.

    Example:
        >>> import numpy as np
        >>> grads = np.array([[1.0], [2.0], [6.0]])
        >>> scheme_gradient(grads, [1, 2], total_count_weights), scheme_gradient(grads, [1, 2], mean_of_means_weights)
        (array([3.]), array([2.5]))
    """
    import numpy as np

    per_example = np.asarray(per_example, dtype=float)
    if sum(sizes) != len(per_example):
        raise ValueError(f"sizes add up to {sum(sizes)} but there are {len(per_example)} per-example gradients")
    return sum(float(c) * per_example[group].sum(axis=0) for group, c in zip(split(sizes), scheme(sizes)))
