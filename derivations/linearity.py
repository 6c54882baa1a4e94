"""Linearity of the gradient: the gradient of a mean of losses is the mean of their gradients."""

from __future__ import annotations

import sympy as sp

from gradavg.engine.claims import Claim, Verdict, over_cases, register
from gradavg.engine.exact import decide
from gradavg.engine.gradients import (
    derivative_by_definition,
    difference_quotient,
    examples,
    gradient_identity,
    limit_at_zero,
    per_example_losses,
)
from gradavg.engine.models import linear_regression
from gradavg.engine.sums import as_statistics

# --- any N: per-example losses with free coefficients, symbolic N -------------

N = sp.Symbol("N", integer=True, positive=True)
i = sp.Symbol("i", integer=True, positive=True)
a = sp.IndexedBase("a")
w, b = sp.symbols("w b", real=True)
DEGREE = 3
#: exponents (j, k) of the monomials w**j * b**k of total degree <= DEGREE
EXPONENTS = [(j, k) for j in range(DEGREE + 1) for k in range(DEGREE + 1 - j)]


def polynomial_loss(example) -> sp.Expr:
    """Example ``example``'s loss: a polynomial in (w, b) with its own coefficients a[example, j, k]."""
    return sum(a[example, j, k] * w**j * b**k for j, k in EXPONENTS)


def _general_n(cost_of_mean) -> Verdict:
    """Compare the gradient of the cost's closed form with the mean of per-example gradients, any N.

    The cost is rewritten in sufficient statistics (sums of coefficients) and
    differentiated as a polynomial in (w, b): no derivative enters a sum. The
    other side differentiates each example's loss and averages.
    """
    mean_loss = sp.Sum(polynomial_loss(i), (i, 1, N)) / N
    closed_form, meaning = as_statistics(cost_of_mean(mean_loss))
    sides = []
    for p in (w, b):
        averaged, more = as_statistics(sp.Sum(sp.diff(polynomial_loss(i), p), (i, 1, N)) / N)
        meaning.update(more)
        sides.append(sp.diff(closed_form, p) - averaged)

    witness_n = 2  # a concrete N at which a witness is evaluated
    concrete = [expr.xreplace(meaning).subs(N, witness_n).doit() for expr in sides]
    coefficients = [a[e, j, k] for e in range(1, witness_n + 1) for j, k in EXPONENTS]
    return decide(
        lambda point: [expr.xreplace(point) for expr in concrete],
        [w, b, *coefficients],
        lambda: ([sp.expand(s) for s in sides], "both sides in sufficient statistics expand to the same polynomial"),
        fixed={N: witness_n},
    )


register(
    Claim(
        id="linearity.general-n",
        statement=(
            r"For every $N \ge 1$ and per-example losses $L_i(w,b)=\sum_{j+k\le 3} a_{ijk}\,w^j b^k$ "
            r"with free coefficients, $\nabla C = \frac{1}{N}\sum_{i=1}^{N}\nabla L_i$ "
            r"where $C = \frac{1}{N}\sum_{i=1}^{N} L_i$."
        ),
        check=lambda: _general_n(lambda mean: mean),
        control="the cost is the square of the mean loss, C = (mean of L_i)^2",
        control_check=lambda: _general_n(lambda mean: mean**2),
        evidence="proof",
        scope="every N >= 1; per-example losses polynomial of degree <= 3 in (w, b) with free coefficients",
    )
)

# --- linear regression, N = 2..8, from the definition of the derivative ------------

LINEAR_REGRESSION = linear_regression(features=2)
LARGEST_N = 8


def _linear_regression(cost_of_losses) -> Verdict:
    """The gradient identity for linear regression with squared error, N = 2..LARGEST_N.

    Holds when it holds at every N; fails with the first N's witness.
    """
    model = LINEAR_REGRESSION
    verdicts = []
    for n in range(2, LARGEST_N + 1):
        losses = per_example_losses(model.loss, examples(model.data, n))
        verdicts.append(gradient_identity(cost_of_losses(losses), losses, model.params))
        if not verdicts[-1].holds:
            return verdicts[-1]
    return Verdict(True, f"{verdicts[-1].method}, for each N = 2..{LARGEST_N}", residual=verdicts[-1].residual,
                   evidence=over_cases(v.evidence for v in verdicts))


register(
    Claim(
        id="linearity.linear-regression",
        statement=(
            r"For squared-error linear regression $L_i = (w_1 x_{i1} + w_2 x_{i2} + b - y_i)^2$ and each "
            r"$N = 2,\dots,8$: $\nabla_{w,b} \frac{1}{N}\sum_i L_i = \frac{1}{N}\sum_i \nabla_{w,b} L_i$."
        ),
        check=lambda: _linear_regression(lambda losses: sp.Add(*losses) / len(losses)),
        control="the cost is the product of the losses, C = L_1 L_2 ... L_N",
        control_check=lambda: _linear_regression(lambda losses: sp.Mul(*losses)),
        evidence="exhaustive",
        scope="each N = 2, ..., 8; two features; data and parameters symbolic",
    )
)

# --- the derivation step by step ------------------------------------------------------------------------

x, y = sp.IndexedBase("x"), sp.IndexedBase("y")


def _any_n(lhs: sp.Expr, rhs: sp.Expr, symbols, how: str) -> Verdict:
    """Decide ``lhs == rhs`` for every N: a witness at N = 2, else both sides in sufficient statistics."""
    concrete = (lhs - rhs).subs(N, 2).doit()

    def prove():
        left, _ = as_statistics(lhs)
        right, _ = as_statistics(rhs)
        return [sp.expand(left - right)], how

    return decide(lambda point: [concrete.xreplace(point)], symbols, prove, fixed={N: 2})


def _cost_as_mean(divisor) -> Verdict:
    """The least-squares cost in matrix form against the mean of per-example squared errors, any N."""
    sxx, sx = sp.Sum(x[i] ** 2, (i, 1, N)), sp.Sum(x[i], (i, 1, N))
    sxy, sy, syy = sp.Sum(x[i] * y[i], (i, 1, N)), sp.Sum(y[i], (i, 1, N)), sp.Sum(y[i] ** 2, (i, 1, N))
    theta = sp.Matrix([w, b])
    gram, moment = sp.Matrix([[sxx, sx], [sx, N]]), sp.Matrix([sxy, sy])
    matrix_form = ((theta.T * gram * theta)[0] - 2 * (theta.T * moment)[0] + syy) / divisor
    mean = sp.Sum((w * x[i] + b - y[i]) ** 2, (i, 1, N)) / N
    symbols = [w, b, x[1], x[2], y[1], y[2]]
    return _any_n(matrix_form, mean, symbols, "matrix form and mean of squared errors in sufficient statistics "
                                              "expand to the same polynomial")


register(
    Claim(
        id="linearity.cost-as-mean",
        statement=(
            r"For every $N \ge 1$: $\frac{1}{N}\lVert A\theta - y\rVert^2 = \frac{1}{N}\sum_{i=1}^N (w x_i + b - y_i)^2$ "
            r"with $A = [x\ \mathbf{1}]$ and $\theta = (w, b)$, expanding $\lVert A\theta - y\rVert^2$ "
            r"as $\theta^\top A^\top A\,\theta - 2\theta^\top A^\top y + y^\top y$."
        ),
        check=lambda: _cost_as_mean(N),
        control="the same matrix form divided by N - 1 instead of N",
        control_check=lambda: _cost_as_mean(N - 1),
        evidence="proof",
        scope="every N >= 1; data symbolic",
    )
)

#: two per-example losses with free coefficients, for the sum rule and the constant factor
F, G = polynomial_loss(1), polynomial_loss(2)
c = sp.Symbol("c", real=True)
COEFFICIENTS = [a[e, j, k] for e in (1, 2) for j, k in EXPONENTS]


def _rule(cost: sp.Expr, expected: list[sp.Expr], how: str) -> Verdict:
    """The derivative of ``cost`` from its difference quotient against ``expected``, one entry per (w, b)."""
    symbols = sorted(cost.free_symbols | set().union(*(e.free_symbols for e in expected)), key=str)

    def difference_at(point):
        return [derivative_by_definition(cost, p, point) - e.xreplace(point) for p, e in zip((w, b), expected)]

    def prove():
        return [sp.expand(limit_at_zero(difference_quotient(cost, p)) - e) for p, e in zip((w, b), expected)], how

    return decide(difference_at, symbols, prove)


register(
    Claim(
        id="linearity.sum-rule",
        statement=(
            r"For $f = \sum_{j+k\le 3} a_{1jk} w^j b^k$ and $g = \sum_{j+k\le 3} a_{2jk} w^j b^k$ with free "
            r"coefficients: $\nabla (f + g) = \nabla f + \nabla g$, the left side from the difference quotient."
        ),
        check=lambda: _rule(F + G, [sp.diff(F, p) + sp.diff(G, p) for p in (w, b)],
                            "limit of the difference quotient of f + g minus f' - g' expands to 0"),
        control="the product f g, taken to have derivative f' + g'",
        control_check=lambda: _rule(F * G, [sp.diff(F, p) + sp.diff(G, p) for p in (w, b)],
                                    "limit of the difference quotient of f g minus f' - g' expands to 0"),
        evidence="proof",
        scope="f and g polynomials of degree <= 3 in (w, b) with free coefficients",
    )
)

register(
    Claim(
        id="linearity.constant-factor",
        statement=(
            r"For $f = \sum_{j+k\le 3} a_{1jk} w^j b^k$ with free coefficients and any constant $c$: "
            r"$\nabla (c f) = c\,\nabla f$, the left side from the difference quotient."
        ),
        check=lambda: _rule(c * F, [c * sp.diff(F, p) for p in (w, b)],
                            "limit of the difference quotient of c f minus c f' expands to 0"),
        control="the constant added instead of multiplied: c + f, taken to have derivative c f'",
        control_check=lambda: _rule(c + F, [c * sp.diff(F, p) for p in (w, b)],
                                    "limit of the difference quotient of c + f minus c f' expands to 0"),
        evidence="proof",
        scope="f a polynomial of degree <= 3 in (w, b) with free coefficients; every constant c",
    )
)

# --- model families: the table on the page ------------------------------------------------------------


def _families() -> Verdict:
    from gradavg.topics.linearity import family_rows

    rows = family_rows()
    if not all(r["holds"] for r in rows):
        failed = [r["family"] for r in rows if not r["holds"]]
        return Verdict(False, f"the identity failed for {', '.join(failed)}")
    symbolic = [r["family"] for r in rows if r["method"].startswith("symbolic")]
    numeric = [r["family"] for r in rows if not r["method"].startswith("symbolic")]
    return Verdict(True, f"symbolic for {', '.join(symbolic) or 'none'}; 100-digit difference quotients at random "
                         f"rational points (not a proof) for {', '.join(numeric) or 'none'}",
                   evidence="sampled" if numeric else "proof")


def _families_summed() -> Verdict:
    """The control: the sum of two losses where the mean belongs; every family must reject it."""
    from gradavg.checks.check import check_batch_cost
    from gradavg.topics.linearity import TARGETS

    first = None
    for make, _ in TARGETS:
        model = make()
        verdict = check_batch_cost(lambda batch: sp.Add(*[model.loss.xreplace(e) for e in batch]), model.loss,
                                   list(model.params), list(model.data), n=2, points=2)
        if verdict.holds:
            return Verdict(True, f"{model.name}: the summed cost was not rejected")
        first = first or verdict
    return Verdict(False, f"every family rejects it; witness from the first: {first.method}",
                   witness=first.witness, gap=first.gap)


register(
    Claim(
        id="linearity.model-families",
        statement=(
            r"For linear regression (3 features) with $N = 8$, logistic regression (2 features) with $N = 8$, "
            r"softmax regression with 3 classes with $N = 4$ and a one-hidden-layer tanh network (2 units) "
            r"with $N = 8$: $\nabla \frac1N\sum_i L_i = \frac1N\sum_i \nabla L_i$."
        ),
        check=_families,
        control="the sum of the losses where the mean belongs (N = 2), for every family",
        control_check=_families_summed,
        evidence="sampled",
        scope="linear regression symbolic; logistic, softmax and tanh-network losses at random rational points",
    )
)

# --- any N, any twice-differentiable per-example loss ----------------------------------------------------

#: value, derivative and second-order remainder coefficient of each example's loss at the point
VALUE, SLOPE, REMAINDER = sp.IndexedBase("L"), sp.IndexedBase("g"), sp.IndexedBase("q")
STEP = sp.Symbol("h", positive=True)


def _taylor_cost(cost_of_mean) -> Verdict:
    """The difference quotient of a cost of N expanded losses, in sufficient statistics, against the mean slope.

    Each loss near the point is ``L_i + h g_i + h**2 q_i`` (value, derivative,
    bounded remainder coefficient: any twice-differentiable loss has this form).
    The whole cost's difference quotient is rewritten in sums over the examples,
    cancelled, and its limit taken at ``h = 0``; the other side is ``sum(g_i) / N``.
    """
    moved = cost_of_mean(sp.Sum(VALUE[i] + STEP * SLOPE[i] + STEP**2 * REMAINDER[i], (i, 1, N)) / N)
    still = cost_of_mean(sp.Sum(VALUE[i], (i, 1, N)) / N)
    mean_slope = sp.Sum(SLOPE[i], (i, 1, N)) / N

    def limit(quotient):
        return sp.cancel(sp.together(quotient)).subs(STEP, 0)

    concrete = limit(((moved - still) / STEP).subs(N, 2).doit()) - mean_slope.subs(N, 2).doit()
    symbols = [s[k] for s in (VALUE, SLOPE, REMAINDER) for k in (1, 2)]

    def prove():
        moved_s, _ = as_statistics(moved)
        still_s, _ = as_statistics(still)
        slope_s, _ = as_statistics(mean_slope)
        return [sp.expand(limit((moved_s - still_s) / STEP) - slope_s)], (
            "the limit of the cost's difference quotient in sufficient statistics expands to the mean slope")

    return decide(lambda point: [concrete.xreplace(point)], symbols, prove, fixed={N: 2})


register(
    Claim(
        id="linearity.any-loss",
        statement=(
            r"For every $N \ge 1$ and per-example losses with $L_i(w + h) = L_i + h\,g_i + h^2 q_i$ "
            r"($g_i = L_i'(w)$, $q_i$ bounded near $h = 0$): "
            r"$\lim_{h\to 0}\frac{C(w+h) - C(w)}{h} = \frac1N\sum_{i=1}^N g_i$ for $C = \frac1N\sum_{i=1}^N L_i$."
        ),
        check=lambda: _taylor_cost(lambda mean: mean),
        control="the cost is the square of the mean loss, C = (mean of L_i)^2",
        control_check=lambda: _taylor_cost(lambda mean: mean**2),
        evidence="proof",
        scope="every N >= 1; losses with L_i(w + h) = L_i + h g_i + h^2 q_i, q_i constant",
    )
)
