"""Linearity of the gradient: the gradient of a mean of losses is the mean of their gradients."""

from __future__ import annotations

import sympy as sp

from gradavg.claims import Claim, Verdict, register
from gradavg.exact import decide
from gradavg.gradients import examples, gradient_identity, per_example_losses
from gradavg.models import linear_regression
from gradavg.sums import as_statistics

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
    verdict = None
    for n in range(2, LARGEST_N + 1):
        losses = per_example_losses(model.loss, examples(model.data, n))
        verdict = gradient_identity(cost_of_losses(losses), losses, model.params)
        if not verdict.holds:
            return verdict
    return Verdict(True, f"{verdict.method}, for each N = 2..{LARGEST_N}", residual=verdict.residual)


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
    )
)
