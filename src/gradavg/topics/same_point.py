"""Gradients taken at different points: stale gradients, sequential steps, and the Hessian term.

Within one minibatch every per-example gradient is evaluated at the same
parameters, and their mean is the gradient of the minibatch cost. Once the
gradients are taken at different points ``theta + delta_i`` (stale gradients,
or the steps of an epoch of per-example updates) their mean differs from the
gradient at ``theta``; to first order the difference is the Hessian term
``(1/N) sum_i H_i delta_i``, and for quadratic losses that term is exact.

Exact science only, with no NumPy, so the claims re-run in the browser; the
float epoch and the page's figure are in :mod:`gradavg.topics.same_point_figures`.
"""

from __future__ import annotations

from itertools import combinations
from typing import Sequence

import sympy as sp

from ..engine.claims import Verdict
from ..engine.exact import decide
from ..engine.gradients import H, difference_quotient, limit_at_zero, limit_in_ring
from ..engine.sums import as_statistics


def quadratic_losses(n: int, params: Sequence[sp.Symbol]) -> list[sp.Expr]:
    """``n`` quadratic losses ``L_i = 1/2 theta^T A_i theta - b_i^T theta`` with free symmetric ``A_i`` and ``b_i``.

    Example:
        >>> w = sp.Symbol("w")
        >>> quadratic_losses(1, [w])
        [A_1_11*w**2/2 - b_1_1*w]
    """
    d = len(params)
    theta = sp.Matrix(params)
    losses = []
    for i in range(1, n + 1):
        a = sp.Matrix(d, d, lambda r, c: sp.Symbol(f"A_{i}_{min(r, c) + 1}{max(r, c) + 1}"))
        b = sp.Matrix([sp.Symbol(f"b_{i}_{r + 1}") for r in range(d)])
        losses.append(sp.expand((theta.T * a * theta)[0] / 2 - (b.T * theta)[0]))
    return losses


def gradient_at(loss: sp.Expr, params: Sequence[sp.Symbol], point: Sequence[sp.Expr]) -> list[sp.Expr]:
    """The gradient of ``loss`` evaluated at ``point`` (one expression per parameter).

    Example:
        >>> w = sp.Symbol("w")
        >>> gradient_at(w**2, [w], [w + 1])
        [2*w + 2]
    """
    at = dict(zip(params, point))
    return [sp.diff(loss, p).xreplace(at) for p in params]


def hessian_term(losses: Sequence[sp.Expr], params: Sequence[sp.Symbol], shifts: Sequence[Sequence[sp.Expr]]) -> list[sp.Expr]:
    """``(1/N) sum_i H_i delta_i`` with ``H_i`` the Hessian of ``L_i`` at ``params`` and ``delta_i = shifts[i]``.

    Example:
        >>> w = sp.Symbol("w")
        >>> hessian_term([w**2, 3 * w**2], [w], [[1], [2]])
        [7]
    """
    total = sp.zeros(len(params), 1)
    for loss, shift in zip(losses, shifts):
        total += sp.hessian(loss, params) * sp.Matrix(shift)
    return list(total / len(losses))


def stale_average_identity(
    losses: Sequence[sp.Expr],
    params: Sequence[sp.Symbol],
    shifts: Sequence[Sequence[sp.Expr]],
    *,
    with_hessian: bool = True,
    scale: sp.Symbol | None = None,
    orders: tuple[int, ...] | None = None,
    seed: int = 0,
) -> Verdict:
    """Decide ``mean_i grad L_i(theta + delta_i) == grad C(theta) + (1/N) sum_i H_i delta_i``.

    The left side evaluates each example's gradient at its own shifted point.
    The right side is the gradient of the cost ``C = mean L_i`` at ``theta``,
    from the limit of its difference quotient, plus the Hessian term (left out
    when ``with_hessian`` is false).

    With ``scale`` a symbol ``eps`` (the shifts then contain it) and
    ``orders`` a tuple such as ``(0, 1)``, only those coefficients of the
    difference as a polynomial in ``eps`` must vanish: the identity "to first
    order".

    Example:
        >>> w, d = sp.symbols("w d")
        >>> stale_average_identity([w**2, w**2 / 2], [w], [[d], [0]]).holds
        True
        >>> stale_average_identity([w**2, w**2 / 2], [w], [[d], [0]], with_hessian=False).holds
        False
    """
    n = len(losses)
    cost = sp.Add(*losses) / n
    lhs = [sp.Add(*parts) / n for parts in zip(*(gradient_at(L, params, [p + s for p, s in zip(params, shift)])
                                                  for L, shift in zip(losses, shifts)))]
    extra = hessian_term(losses, params, shifts) if with_hessian else [sp.S.Zero] * len(params)
    symbols = sorted(cost.free_symbols | set().union(*(sp.sympify(s).free_symbols for sh in shifts for s in sh)), key=str)
    ring, h, *_ = sp.ring([H, *symbols], sp.QQ)
    eps_index = symbols.index(scale) + 1 if scale is not None else None

    residuals = []
    for p, left, e in zip(params, lhs, extra):
        residuals.append(ring(sp.expand(left)) - limit_in_ring(cost, p, ring, h) - ring(sp.expand(e)))
    if orders is not None:  # one component per requested power of ``scale``: its coefficient
        residuals = [ring({m[:eps_index] + (0,) + m[eps_index + 1 :]: c for m, c in r.terms() if m[eps_index] == k})
                     for k in orders for r in residuals]
    reduced = [r.as_expr() for r in residuals]

    def difference_at(point: dict) -> list[sp.Expr]:
        return [r.xreplace(point) for r in reduced]

    def prove():
        how = ("is 0 in the polynomial ring over QQ" if orders is None
               else f"has zero coefficients of {scale}^k for k in {list(orders)} in the polynomial ring over QQ")
        return reduced, "the mean of shifted gradients minus the cost's difference-quotient limit and the Hessian term " + how

    names = [s for s in symbols if not (orders and s == scale)]
    return decide(difference_at, names, prove, seed=seed)


def indexed_quadratic_loss(index: sp.Expr, params: Sequence[sp.Symbol]) -> sp.Expr:
    """Example ``index``'s quadratic loss ``1/2 theta^T A_index theta - b_index^T theta``, coefficients indexed.

    ``A[index, r, s]`` (``r <= s``, so ``A_index`` is symmetric) and
    ``b[index, r]`` are entries of :class:`sympy.IndexedBase` objects, so the
    index may be a symbol and the loss summed over a symbolic number of examples.

    Example:
        >>> w = sp.Symbol("w")
        >>> indexed_quadratic_loss(sp.Symbol("i"), [w])
        w**2*A[i, 1, 1]/2 - w*b[i, 1]
    """
    a, b = sp.IndexedBase("A"), sp.IndexedBase("b")
    d = len(params)
    entry = lambda r, c: a[index, min(r, c) + 1, max(r, c) + 1]  # noqa: E731
    quadratic = sp.Add(*[entry(r, c) * params[r] * params[c] for r in range(d) for c in range(d)]) / 2
    return sp.expand(quadratic - sp.Add(*[b[index, r + 1] * params[r] for r in range(d)]))


def stale_average_any_n(params: Sequence[sp.Symbol], *, with_hessian: bool = True, witness_n: int = 2,
                        seed: int = 0) -> Verdict:
    """Decide the Hessian-term identity for quadratic losses and every number ``N`` of examples, ``N`` symbolic.

    ``mean_i grad L_i(theta + delta_i) == grad C(theta) + (1/N) sum_i H_i delta_i`` with
    ``L_i`` from :func:`indexed_quadratic_loss` and shifts ``delta[i, r]``.
    Left: example ``i``'s gradient (``diff`` of its own loss, index ``i``
    symbolic) at its own shifted point, summed over ``i = 1..N`` and divided by
    ``N``. Right: the cost ``C = (1/N) sum_i L_i`` rewritten in sufficient
    statistics (by the algebra of finite sums), its derivative in each
    parameter the limit of the difference quotient of that closed form, plus
    the Hessian term, summed the same way (left out when ``with_hessian`` is
    false). Both sides in the statistics must cancel; a witness is searched at
    ``N = witness_n``.

    Example:
        >>> w = sp.Symbol("w")
        >>> stale_average_any_n([w]).evidence, stale_average_any_n([w], with_hessian=False).holds
        ('proof', False)
    """
    n, i = sp.Symbol("N", integer=True, positive=True), sp.Symbol("i", integer=True, positive=True)
    delta = sp.IndexedBase("delta")
    loss = indexed_quadratic_loss(i, params)
    shift = [delta[i, r + 1] for r in range(len(params))]
    shifted = gradient_at(loss, params, [p + s for p, s in zip(params, shift)])
    hessian = sp.hessian(loss, params) * sp.Matrix(shift) if with_hessian else sp.zeros(len(params), 1)
    closed, meaning = as_statistics(sp.Sum(loss, (i, 1, n)) / n)
    sides = []
    for r, p in enumerate(params):
        left, more = as_statistics(sp.Sum(shifted[r], (i, 1, n)) / n)
        term, most = as_statistics(sp.Sum(hessian[r], (i, 1, n)) / n)
        meaning.update(more)
        meaning.update(most)
        sides.append(left - limit_at_zero(difference_quotient(closed, p)) - term)
    concrete = [side.xreplace(meaning).subs(n, witness_n).doit() for side in sides]
    symbols = sorted({s for c in concrete for s in c.free_symbols if isinstance(s, sp.Indexed)} | set(params), key=str)
    return decide(
        lambda point: [c.xreplace(point) for c in concrete],
        symbols,
        lambda: ([sp.cancel(sp.together(side)) for side in sides],
                 "the mean of shifted gradients minus the difference-quotient limit of the cost and the Hessian "
                 "term, all in sufficient statistics, cancels to 0, N symbolic"),
        fixed={n: witness_n},
        seed=seed,
    )


def epoch_difference_coefficients(hessians: Sequence, gradients: Sequence) -> dict[int, object]:
    """Coefficients of ``eta**k`` in (one epoch of sequential steps) minus (one summed full-batch step).

    For quadratic losses with Hessians ``H_i`` and gradients ``g_i`` at the
    start ``theta``, the epoch ``theta_i = theta_{i-1} - eta grad L_i(theta_{i-1})``
    ends at ``theta - eta sum_i g_i + sum_{k>=2} eta^k c_k`` with
    ``c_k = (-1)^k sum_j sum_{S} H_{s_{k-1}} ... H_{s_1} g_j`` over the
    increasing index sets ``S = {s_1 < ... < s_{k-1}}`` after ``j``.
    Works on SymPy matrices and on NumPy arrays alike.

    Example:
        >>> h = [sp.Matrix([[2]]), sp.Matrix([[3]])]
        >>> g = [sp.Matrix([1]), sp.Matrix([1])]
        >>> epoch_difference_coefficients(h, g)
        {2: Matrix([[3]])}
    """
    n = len(gradients)
    coefficients: dict[int, object] = {}
    for k in range(2, n + 1):
        total = None
        for j in range(n):
            for later in combinations(range(j + 1, n), k - 1):
                term = gradients[j]
                for s in later:  # apply H in increasing step order: the last step's Hessian ends up leftmost
                    term = hessians[s] @ term
                total = term if total is None else total + term
        if total is not None:
            coefficients[k] = (-1) ** k * total
    return coefficients

