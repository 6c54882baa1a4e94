"""Linearity of the gradient: the gradient of a mean of losses is the mean of their gradients.

No check of the derivation (cost as a mean, sum rule, constant factor, any N,
any loss) calls SymPy's ``diff``: ``diff`` applies the sum and constant-factor
rules, which is what is being proved. Every derivative there is the limit of a
difference quotient, taken exactly by algebra
(:func:`gradavg.engine.gradients.limit_at_zero`), or no limit is taken at all.
The concrete models (linear regression, the model families) take the cost's
gradient the same way and each example's gradient by ``diff`` applied to that
example's loss alone, so the sum over examples is never differentiated by rule.
"""

from __future__ import annotations

import dataclasses

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from gradavg.checks.answers import exercise_claim
from gradavg.engine.claims import Answer, Claim, Verdict, over_cases, register, weakest
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
from gradavg.topics.linearity import POINTS, family_rows, numeric_route

# --- any N: per-example losses with free coefficients, symbolic N -------------

N = sp.Symbol("N", integer=True, positive=True)
i = sp.Symbol("i", integer=True, positive=True)
a = sp.IndexedBase("a")
w, b = sp.symbols("w b", real=True)
DEGREE = 3
#: exponents (j, k) of the monomials w**j * b**k of total degree <= DEGREE
EXPONENTS = [(j, k) for j in range(DEGREE + 1) for k in range(DEGREE + 1 - j)]


def polynomial_loss(example) -> sp.Expr:
    """Example ``example``'s loss: a polynomial in (w, b) with its own coefficients a[example, j, k].

    Example:
        >>> len(sp.Add.make_args(polynomial_loss(1)))
        10
    """
    return sum(a[example, j, k] * w**j * b**k for j, k in EXPONENTS)


def by_definition(expr: sp.Expr, param: sp.Symbol) -> sp.Expr:
    """The derivative of ``expr`` in ``param`` as the limit of its difference quotient, never by ``diff``'s rules.

    Example:
        >>> by_definition(a[i, 2, 0] * w**2 + a[i, 0, 1] * b, w)
        2*w*a[i, 2, 0]
    """
    return limit_at_zero(difference_quotient(expr, param))


def _general_n(cost_of_mean) -> Verdict:
    """The gradient of the cost's closed form against the mean of per-example gradients, any N, both by definition.

    Left: the cost ``cost_of_mean(sum_i L_i / N)`` is rewritten in sufficient
    statistics (sums of coefficients, by the algebra of finite sums) and its
    derivative in each of (w, b) is the limit of the difference quotient of
    that closed form: no derivative is taken of anything that contains a sum
    over examples. Right: the derivative of one example's loss ``L_i`` (index
    ``i`` symbolic), from its own difference quotient, summed over ``i`` and
    divided by ``N``, in the same statistics.
    """
    closed_form, meaning = as_statistics(cost_of_mean(sp.Sum(polynomial_loss(i), (i, 1, N)) / N))
    sides = []
    for p in (w, b):
        averaged, more = as_statistics(sp.Sum(by_definition(polynomial_loss(i), p), (i, 1, N)) / N)
        meaning.update(more)
        sides.append(by_definition(closed_form, p) - averaged)

    witness_n = 2  # a concrete N at which a witness is evaluated
    concrete = [expr.xreplace(meaning).subs(N, witness_n).doit() for expr in sides]
    coefficients = [a[e, j, k] for e in range(1, witness_n + 1) for j, k in EXPONENTS]
    return decide(
        lambda point: [expr.xreplace(point) for expr in concrete],
        [w, b, *coefficients],
        lambda: ([sp.cancel(sp.together(s)) for s in sides],
                 "limit of the difference quotient of the cost in sufficient statistics minus the mean of the "
                 "per-example limits cancels to 0, N symbolic"),
        fixed={N: witness_n},
    )


register(
    Claim.contrasting(
        id="linearity.general-n",
        statement=(
            r"For every $N \ge 1$ and per-example losses $L_i(w,b)=\sum_{j+k\le 3} a_{ijk}\,w^j b^k$ "
            r"with free coefficients, $\nabla C = \frac{1}{N}\sum_{i=1}^{N}\nabla L_i$ "
            r"where $C = \frac{1}{N}\sum_{i=1}^{N} L_i$; both gradients from the difference quotient."
        ),
        check=_general_n,
        right=lambda mean: mean,
        wrong=lambda mean: N * mean,
        control="the sum taken for the mean: grad of sum_i L_i = (1/N) sum_i grad L_i (the 1/N dropped from the cost)",
        evidence="proof",
        scope="every N >= 1 (N symbolic); per-example losses polynomial of degree <= 3 in (w, b) with free "
              "coefficients; both sides from the difference quotient, no diff",
    )
)

# --- linear regression, every N, from the definition of the derivative ------------

LINEAR_REGRESSION = linear_regression(features=2)
#: the largest N of the cross-check that builds the N losses one by one
LARGEST_N = 8
#: example i's data: each data symbol of the model (x_1, x_2, y) indexed by the symbolic example i
INDEXED_DATA = {s: sp.IndexedBase(s.name)[i] for s in LINEAR_REGRESSION.data}


def _linear_regression(cost_of_mean) -> Verdict:
    """The gradient identity for squared-error linear regression with two features, every N, then N = 1..LARGEST_N.

    Symbolic N first: the cost ``cost_of_mean(sum_i L_i / N, N)`` is rewritten in
    sufficient statistics (by the algebra of finite sums) and its derivative in
    each parameter is the limit of the difference quotient of that closed form;
    the right side is SymPy's gradient of one example's loss ``L_i`` (``i``
    symbolic), summed over ``i`` and divided by ``N``, in the same statistics.
    Then, as a cross-check that splits no symbolic sum, each N = 1..LARGEST_N
    with the N losses built one by one (:func:`gradient_identity`). A failure
    returns the first witness.
    """
    model = LINEAR_REGRESSION
    loss = model.loss.xreplace(INDEXED_DATA)  # example i's loss
    closed_form, meaning = as_statistics(cost_of_mean(sp.Sum(loss, (i, 1, N)) / N, N))
    sides = []
    for p in model.params:
        averaged, more = as_statistics(sp.Sum(sp.diff(loss, p), (i, 1, N)) / N)
        meaning.update(more)
        sides.append(by_definition(closed_form, p) - averaged)

    witness_n = 2  # a concrete N at which a witness is evaluated
    concrete = [expr.xreplace(meaning).subs(N, witness_n).doit() for expr in sides]
    data = [s.base[e] for s in INDEXED_DATA.values() for e in range(1, witness_n + 1)]
    symbolic = decide(
        lambda point: [expr.xreplace(point) for expr in concrete],
        [*model.params, *data],
        lambda: ([sp.cancel(sp.together(s)) for s in sides],
                 "limit of the difference quotient of the cost in sufficient statistics minus the mean of the "
                 "per-example gradients cancels to 0, N symbolic"),
        fixed={N: witness_n},
    )
    if not symbolic.holds:
        return symbolic
    for n in range(1, LARGEST_N + 1):
        losses = per_example_losses(model.loss, examples(model.data, n))
        verdict = gradient_identity(cost_of_mean(sp.Add(*losses) / n, n), losses, model.params)
        if not verdict.holds or verdict.evidence != "proof":
            return dataclasses.replace(verdict, method=f"cross-check at N = {n}: {verdict.method}")
    return Verdict(True, f"{symbolic.method}; cross-checked with the N losses built one by one, each N = 1..{LARGEST_N} "
                         "proved", residual=symbolic.residual, evidence=symbolic.evidence)


register(
    Claim.contrasting(
        id="linearity.linear-regression",
        statement=(
            r"For squared-error linear regression $L_i = (w_1 x_{i1} + w_2 x_{i2} + b - y_i)^2$ and every "
            r"$N \ge 1$: $\nabla_{w,b} \frac{1}{N}\sum_i L_i = \frac{1}{N}\sum_i \nabla_{w,b} L_i$."
        ),
        check=_linear_regression,
        right=lambda mean, n: mean,
        wrong=lambda mean, n: n * mean,
        control="the sum taken for the mean: grad of sum_i L_i = (1/N) sum_i grad L_i (the 1/N dropped from the cost)",
        evidence="proof",
        scope=f"every N >= 1 (N symbolic, the cost in sufficient statistics); two features; data and parameters "
              f"symbolic; the cost's gradient from its difference quotient; cross-checked for each N = 1, ..., "
              f"{LARGEST_N} with the losses built one by one",
    )
)

# --- the derivation step by step ------------------------------------------------------------------------

x, y = sp.IndexedBase("x"), sp.IndexedBase("y")
#: the design matrix and the labels as matrices of symbolic size N x 2 and N x 1
DESIGN, LABELS = sp.MatrixSymbol("A", N, 2), sp.MatrixSymbol("Y", N, 1)


def _entries(expr: sp.Expr) -> sp.Expr:
    """Fill in the matrices: ``A[k, 0] = x[k+1]``, ``A[k, 1] = 1``, ``Y[k, 0] = y[k+1]``; every sum reindexed to ``i = 1..N``.

    A matrix product's entry is a ``Sum`` over a 0-based dummy index; it is
    rewritten over ``i = 1, ..., N`` so that the statistics of both sides match.

    Example:
        >>> _entries((DESIGN.T * LABELS)[0, 0])
        Sum(x[i]*y[i], (i, 1, N))
    """
    def fill(element):
        matrix, row, column = element.args
        if matrix == DESIGN:
            return x[row + 1] if column == 0 else sp.Integer(1)
        return y[row + 1]

    def reindex(total):
        (dummy, lower, upper), = total.limits
        return sp.Sum(total.function.xreplace({dummy: i - 1 + lower}), (i, 1, upper - lower + 1))

    expr = expr.replace(lambda e: isinstance(e, sp.Sum), reindex)
    return expr.replace(lambda e: isinstance(e, MatrixElement), fill)


def _matrix_cost(divisor) -> sp.Expr:
    """``(theta^T A^T A theta - 2 theta^T A^T y + y^T y) / divisor`` with the products formed from A and Y by SymPy.

    ``A^T A`` and ``A^T y`` come from SymPy's matrix product of the symbolic-size
    matrices (each entry a sum over the rows), not typed in.
    """
    theta = sp.Matrix([w, b])
    gram = sp.Matrix(2, 2, lambda j, k: _entries((DESIGN.T * DESIGN)[j, k]))
    moment = sp.Matrix(2, 1, lambda j, _: _entries((DESIGN.T * LABELS)[j, 0]))
    labels = _entries((LABELS.T * LABELS)[0, 0])
    return ((theta.T * gram * theta)[0] - 2 * (theta.T * moment)[0] + labels) / divisor


def _cost_as_mean(divisor) -> Verdict:
    """The least-squares cost in matrix form, products formed from A, against the mean of squared errors, any N."""
    matrix_form = _matrix_cost(divisor)
    mean = sp.Sum((w * x[i] + b - y[i]) ** 2, (i, 1, N)) / N
    concrete = (matrix_form - mean).subs(N, 2).doit()

    def prove():
        left, _ = as_statistics(matrix_form)
        right, _ = as_statistics(mean)
        return [sp.cancel(sp.together(left - right))], (
            "the matrix form, products formed from A, and the mean of squared errors cancel to the same "
            "expression in sufficient statistics, N symbolic")

    return decide(lambda point: [concrete.xreplace(point)], [w, b, x[1], x[2], y[1], y[2]], prove, fixed={N: 2})


register(
    Claim.contrasting(
        id="linearity.cost-as-mean",
        statement=(
            r"For every $N \ge 1$, with $A = [x\ \mathbf{1}]$ and $\theta = (w, b)$: "
            r"$\frac{1}{N}\bigl(\theta^\top A^\top A\,\theta - 2\theta^\top A^\top y + y^\top y\bigr) "
            r"= \frac{1}{N}\sum_{i=1}^N (w x_i + b - y_i)^2$."
        ),
        check=_cost_as_mean,
        right=N,
        wrong=N - 1,
        control="the same matrix form divided by N - 1 instead of N",
        evidence="proof",
        scope="every N >= 1 (N symbolic); A^T A, A^T y and y^T y formed from the N x 2 matrix A and the labels "
              "by the matrix product; data symbolic",
    )
)

#: two per-example losses with free coefficients, for the sum rule and the constant factor
F, G = polynomial_loss(1), polynomial_loss(2)
c = sp.Symbol("c", real=True)


def _rule(cost: sp.Expr, expected, how: str) -> Verdict:
    """The derivative of ``cost`` from its difference quotient against ``expected(p)``, for p = w and p = b."""
    targets = [expected(p) for p in (w, b)]
    symbols = sorted(cost.free_symbols | set().union(*(e.free_symbols for e in targets)), key=str)
    symbols = [s for s in symbols if s != a.label]  # the base a is no variable; its entries a[e, j, k] are

    def difference_at(point):
        return [derivative_by_definition(cost, p, point) - e.xreplace(point) for p, e in zip((w, b), targets)]

    def prove():
        return [sp.expand(by_definition(cost, p) - e) for p, e in zip((w, b), targets)], how

    return decide(difference_at, symbols, prove)


register(
    Claim(
        id="linearity.sum-rule",
        statement=(
            r"For $f = \sum_{j+k\le 3} a_{1jk} w^j b^k$ and $g = \sum_{j+k\le 3} a_{2jk} w^j b^k$ with free "
            r"coefficients: $\nabla (f + g) = \nabla f + \nabla g$, every gradient from its difference quotient."
        ),
        check=lambda: _rule(F + G, lambda p: by_definition(F, p) + by_definition(G, p),
                            "limit of the difference quotient of f + g minus the sum of the limits for f and g "
                            "expands to 0"),
        control="the gradient of the sum taken to be the mean of the gradients: grad(f + g) = (grad f + grad g) / 2",
        control_check=lambda: _rule(F + G, lambda p: (by_definition(F, p) + by_definition(G, p)) / 2,
                                    "limit of the difference quotient of f + g minus half the sum of the limits "
                                    "for f and g expands to 0"),
        evidence="proof",
        scope="f and g polynomials of degree <= 3 in (w, b) with free coefficients; every gradient from its "
              "difference quotient",
    )
)

register(
    Claim(
        id="linearity.constant-factor",
        statement=(
            r"For $f = \sum_{j+k\le 3} a_{1jk} w^j b^k$ with free coefficients and any constant $c$: "
            r"$\nabla (c f) = c\,\nabla f$, both gradients from their difference quotients."
        ),
        check=lambda: _rule(c * F, lambda p: c * by_definition(F, p),
                            "limit of the difference quotient of c f minus c times the limit for f expands to 0"),
        control="the constant dropped, as if it did not change the gradient: grad(c f) = grad f",
        control_check=lambda: _rule(c * F, lambda p: by_definition(F, p),
                                    "limit of the difference quotient of c f minus the limit for f expands to 0"),
        evidence="proof",
        scope="f a polynomial of degree <= 3 in (w, b) with free coefficients; every constant c (c symbolic); "
              "both gradients from their difference quotients",
    )
)

# --- model families: the table on the page ------------------------------------------------------------


def _families() -> Verdict:
    """Every family of the table at its one N: symbolic where the cost is rational, sampled otherwise."""

    rows = family_rows()
    if not all(r["holds"] for r in rows):
        failed = [r["family"] for r in rows if not r["holds"]]
        return Verdict(False, f"the identity failed for {', '.join(failed)}")
    symbolic = [f"{r['family']} (N = {r['N']})" for r in rows if r["evidence"] == "proof"]
    numeric = [f"{r['family']} (N = {r['N']})" for r in rows if r["evidence"] != "proof"]
    return Verdict(True, f"symbolic for {', '.join(symbolic) or 'none'}; for {', '.join(numeric) or 'none'}, "
                         f"{numeric_route(POINTS)}",
                   evidence=weakest(r["evidence"] for r in rows))


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
            r"softmax regression with 3 classes (1 feature) with $N = 4$ and a one-hidden-layer tanh network (2 units) "
            r"with $N = 8$: $\nabla \frac1N\sum_i L_i = \frac1N\sum_i \nabla L_i$ (proved for linear regression); "
            f"for the others {numeric_route(POINTS)}."
        ),
        check=_families,
        control="the sum of the losses where the mean belongs (N = 2), for every family",
        control_check=_families_summed,
        evidence="sampled",
        scope=f"each family at its one N only; linear regression proved symbolically (data and parameters "
              f"symbolic); logistic, softmax and tanh network: {numeric_route(POINTS)}",
    )
)

# --- any N, any differentiable per-example loss: the exact difference quotient ---------------------------

#: each example's loss value and slope at the point, and its remainder r_i(h), an arbitrary function of the step
VALUE, SLOPE, REMAINDER = sp.IndexedBase("L"), sp.IndexedBase("g"), sp.Function("r")
STEP = sp.Symbol("h", nonzero=True)


def _explicit_remainder_cost(cost_of_mean, n: int) -> sp.Expr:
    """The identity of :func:`_remainder_cost` at one concrete ``n``, the ``n`` terms written out: its canonical residual.

    No symbolic sum is formed, so no rule of finite sums is applied: the two
    sides are rational functions of the values ``L_k``, ``g_k``, ``r_k(h)`` and
    ``h``, brought to one canonical fraction.

    Example:
        >>> _explicit_remainder_cost(lambda mean: mean, 3), _explicit_remainder_cost(lambda mean: N * mean, 2) != 0
        (0, True)
    """
    moved = cost_of_mean(sp.Add(*[VALUE[k] + STEP * SLOPE[k] + STEP * REMAINDER(k, STEP) for k in range(1, n + 1)]) / n)
    still = cost_of_mean(sp.Add(*[VALUE[k] for k in range(1, n + 1)]) / n)
    claimed = sp.Add(*[SLOPE[k] + REMAINDER(k, STEP) for k in range(1, n + 1)]) / n
    return sp.cancel(sp.together(((moved - still) / STEP - claimed).xreplace({N: n})))


def _remainder_cost(cost_of_mean) -> Verdict:
    """The difference quotient of a cost of N losses, each ``L_i + h g_i + h r_i(h)``, against ``mean g + mean r(h)``.

    ``r_i(h)`` is an undefined function of ``i`` and ``h``: nothing about it is
    assumed, so the identity, if it cancels, holds for every loss and every
    step ``h != 0``. No limit is taken. Each N = 1..LARGEST_N is written out
    term by term (:func:`_explicit_remainder_cost`), so no rule of finite sums is
    applied: for symbolic N the identity *is* those rules (apart from the
    division by ``h``), and a rewriting that applied them would prove nothing.
    The first N whose terms do not cancel gives the witness.
    """
    verdicts = []
    for n in range(1, LARGEST_N + 1):
        values = {REMAINDER(k, STEP): sp.Symbol(f"r_{k}(h)") for k in range(1, n + 1)}
        residual = _explicit_remainder_cost(cost_of_mean, n).xreplace(values)
        symbols = [STEP, *values.values(), *(s[k] for s in (VALUE, SLOPE) for k in range(1, n + 1))]
        verdict = decide(lambda point: [residual.xreplace(point)], symbols,
                         lambda: ([residual], "the N terms written out cancel to 0"), fixed={N: sp.Integer(n)})
        if not verdict.holds:
            return dataclasses.replace(verdict, method=f"{verdict.method} (N = {n})")
        verdicts.append(verdict)
    return Verdict(True, f"symbolic: the cost's difference quotient minus the mean slope and the mean remainder, the "
                         f"N terms written out, cancels to 0 for each N = 1..{LARGEST_N}",
                   evidence=over_cases(v.evidence for v in verdicts))


register(
    Claim.contrasting(
        id="linearity.any-loss",
        statement=(
            rf"For each $N = 1, \dots, {LARGEST_N}$, every $h \ne 0$ and per-example losses written as "
            r"$L_i(w + h) = L_i(w) + h\,g_i + h\,r_i(h)$ with $r_i$ arbitrary, "
            r"$C = \frac1N\sum_{i=1}^N L_i$ has "
            r"$\frac{C(w+h) - C(w)}{h} = \frac1N\sum_{i=1}^N g_i + \frac1N\sum_{i=1}^N r_i(h)$."
        ),
        check=_remainder_cost,
        right=lambda mean: mean,
        wrong=lambda mean: N * mean,
        control="the sum taken for the mean: C = sum_i L_i, whose quotient is claimed to be mean g + mean r(h)",
        evidence="exhaustive",
        scope=f"each N = 1, ..., {LARGEST_N}, the N terms written out (no rule of finite sums applied), and every "
              f"step h != 0; remainders r_i(h) undefined functions, nothing assumed of them; no limit taken",
    )
)


# --- exercises: the claims behind the page's answer boxes ----------------------

def _cost_of_three(s):
    """The mean squared error of a line through the origin over three examples (x_i, y_i)."""
    return sp.Rational(1, 3) * sum((s["w"] * s[f"x_{k}"] - s[f"y_{k}"]) ** 2 for k in (1, 2, 3))


_THREE = "w,x_1,x_2,x_3,y_1,y_2,y_3"
register(exercise_claim(
    "linearity.exercise-three-examples",
    r"For $C(w) = \tfrac13 \sum_{i=1}^{3} (w x_i - y_i)^2$, "
    r"$\partial C / \partial w = \tfrac23 \sum_{i=1}^{3} (w x_i - y_i)\, x_i$",
    answer=Answer("2*((w*x_1 - y_1)*x_1 + (w*x_2 - y_2)*x_2 + (w*x_3 - y_3)*x_3)/3", _THREE, "dC/dw ="),
    wrong=Answer("2*((w*x_1 - y_1)*x_1 + (w*x_2 - y_2)*x_2 + (w*x_3 - y_3)*x_3)", _THREE, "dC/dw ="),
    truth=lambda s: limit_at_zero(difference_quotient(_cost_of_three(s), s["w"])),
    control="the sum of the three gradients for the derivative of their mean (the 1/3 dropped)",
    scope="every real w, x_i, y_i; the derivative from its definition (a limit of difference quotients)",
))


def _stale_gap(s):
    """(g_1(w) + g_2(w + d)) / 2 - C'(w) for L_k = (w - x_k)^2: every derivative a limit of difference quotients."""
    losses = [(s["w"] - s[f"x_{k}"]) ** 2 for k in (1, 2)]

    def derivative(cost, at):
        return limit_at_zero(difference_quotient(cost, s["w"])).xreplace({s["w"]: at})

    stale_mean = (derivative(losses[0], s["w"]) + derivative(losses[1], s["w"] + s["d"])) / 2
    return sp.expand(stale_mean - derivative((losses[0] + losses[1]) / 2, s["w"]))


_STALE = "w,x_1,x_2,d"
register(exercise_claim(
    "linearity.exercise-stale-gradient",
    r"For $L_k(w) = (w - x_k)^2$, $k = 1, 2$: $\tfrac12\bigl(L_1'(w) + L_2'(w + d)\bigr) - C'(w) = d$, "
    r"with $C = \tfrac12 (L_1 + L_2)$",
    answer=Answer("d", _STALE, "mean of the two gradients - C'(w) ="),
    wrong=Answer("2*d", _STALE, "mean of the two gradients - C'(w) ="),
    truth=_stale_gap,
    control="2 d, the Hessian of L_2 times the shift without the 1/N of the mean",
    scope="every real w, x_1, x_2 and shift d; every derivative from the definition (a limit of difference quotients)",
))
