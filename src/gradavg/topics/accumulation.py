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
derivative, so they can fail. Exact arithmetic only (SymPy, ``fractions``), so
the claims built on it re-run in the browser; the page's float demonstrations
and figures are in :mod:`gradavg.topics.accumulation_figures`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable, Sequence

import sympy as sp

from ..engine.claims import Verdict
from ..engine.exact import decide
from ..engine.gradients import H, derivative_by_definition, limit_in_ring


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


def weighted_sum(vectors: Sequence[Sequence[Fraction]], weights: Sequence[Fraction]) -> list[Fraction]:
    """``sum_i weights[i] * vectors[i]``, exactly.

    Example:
        >>> weighted_sum([[Fraction(1), Fraction(2)], [Fraction(3), Fraction(4)]], [Fraction(1, 2)] * 2)
        [Fraction(2, 1), Fraction(3, 1)]
    """
    return [sum((w * v[j] for v, w in zip(vectors, weights)), Fraction(0)) for j in range(len(vectors[0]))]


def example_weights(sizes: Sequence[int], scheme: Callable) -> list[Fraction]:
    """One weight per example: micro-batch ``k``'s weight ``scheme(sizes)[k]`` repeated ``sizes[k]`` times.

    Example:
        >>> example_weights([1, 2], mean_of_means_weights)
        [Fraction(1, 2), Fraction(1, 4), Fraction(1, 4)]
    """
    return [c for group, c in zip(split(sizes), scheme(sizes)) for _ in group]


def micro_batch_gradients(losses: Sequence, params: Sequence, groups: Sequence[range]) -> list[list]:
    """One backward pass per micro-batch: the gradient of each micro-batch's summed loss.

    The losses are SymPy expressions (``params`` symbols) or elements of one
    polynomial ring (``params`` its generators).

    Example:
        >>> w = sp.Symbol("w")
        >>> micro_batch_gradients([w**2, 3 * w, w], [w], split([1, 2]))
        [[2*w], [4]]
    """
    return [[sum(losses[i] for i in group).diff(p) for p in params] for group in groups]


def accumulate(gradients: Sequence[Sequence], weights: Sequence) -> list:
    """The accumulation buffer (or all-reduce): ``sum_k weights[k] * gradients[k]``.

    Example:
        >>> w = sp.Symbol("w")
        >>> accumulate([[2 * w], [sp.Integer(4)]], [Fraction(1, 2), Fraction(1, 4)])
        [w + 1]
    """
    if len(gradients) != len(weights):
        raise ValueError(f"{len(gradients)} micro-batch gradients but {len(weights)} weights")
    return [sum(sp.Rational(c.numerator, c.denominator) * g[j] if isinstance(c, Fraction) else c * g[j]
                for g, c in zip(gradients, weights)) for j in range(len(gradients[0]))]


def _value(polynomial, values):
    """A ring element's value at a point (one domain element per generator), term by term.

    (The ring's own ``evaluate`` builds a new ring per generator: slow with hundreds of them.)
    """
    total = polynomial.ring.domain.zero
    for monomial, coefficient in polynomial.terms():
        for value, power in zip(values, monomial):
            if power:
                coefficient *= value**power
        total += coefficient
    return total


def weighted_identity(
    losses: Sequence[sp.Expr],
    params: Sequence[sp.Symbol],
    groups: Sequence[range],
    weights: Sequence,
    target_scale,
    *,
    correction: Callable[[list[list]], list] | None = None,
    seed: int = 0,
) -> Verdict:
    """Decide ``accumulate(micro-batch gradients, weights) == grad(target_scale * sum L_i) + correction``.

    The left side runs one backward pass per micro-batch and combines them
    with ``weights``. The right side differentiates the whole batch's cost
    ``target_scale * sum_i L_i`` from the definition of the derivative, plus
    an optional ``correction`` computed from the micro-batch gradients (for
    example the exact gap of a wrong scheme; it must accept ring elements).
    Polynomial losses with rational coefficients are handled in the polynomial
    ring over QQ, whose canonical form is the proof; witnesses are exact
    rational points. Other losses are compared at random points only.

    Example:
        >>> w = sp.Symbol("w")
        >>> losses = [w**2, 3 * w, w]
        >>> weighted_identity(losses, [w], split([1, 2]), total_count_weights([1, 2]), Fraction(1, 3)).holds
        True
        >>> weighted_identity(losses, [w], split([1, 2]), mean_of_means_weights([1, 2]), Fraction(1, 3)).holds
        False
    """
    scale = sp.Rational(Fraction(target_scale).numerator, Fraction(target_scale).denominator)
    cost = scale * sp.Add(*[losses[i] for group in groups for i in group])
    symbols = sorted(set().union(*(L.free_symbols for L in losses)), key=str)
    ring, h, *_ = sp.ring([H, *symbols], sp.QQ)
    try:
        polynomials = [ring(L) for L in losses]
    except (sp.polys.polyerrors.CoercionFailed, ValueError):
        polynomials = None

    if polynomials is None:
        gradients = micro_batch_gradients(losses, params, groups)
        lhs = accumulate(gradients, weights)
        extra = correction(gradients) if correction else [sp.S.Zero] * len(params)

        def difference_at(point: dict) -> list[sp.Expr]:
            return [left.xreplace(point) - derivative_by_definition(cost, p, point) - e.xreplace(point)
                    for left, p, e in zip(lhs, params, extra)]

        return decide(difference_at, symbols, None, seed=seed)

    gradients = micro_batch_gradients(polynomials, [ring(p) for p in params], groups)
    extra = correction(gradients) if correction else [ring.zero] * len(params)
    residual = [ring(left - e) - limit_in_ring(cost, p, ring, h)
                for left, p, e in zip(accumulate(gradients, weights), params, extra)]

    def difference_at(point: dict) -> list[sp.Expr]:
        values = [ring.domain.zero] + [ring.domain.from_sympy(point[s]) for s in symbols]
        return [ring.domain.to_sympy(_value(r, values)) for r in residual]

    def prove():
        return [r.as_expr() for r in residual], ("the accumulated gradient minus the limit of the whole cost's "
                                                 "difference quotient is 0 in the polynomial ring over QQ")

    return decide(difference_at, symbols, prove, seed=seed)
