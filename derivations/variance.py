"""The variance of a minibatch mean: sigma^2/B with replacement, times (N-B)/(N-1) without."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import sympy as sp

from gradavg.checks.batchcheck import check_every_size, decide_for_all_integers
from gradavg.engine.claims import Claim, Verdict, register
from gradavg.checks.estimation import gradient_variance, minibatch_moments

LARGEST_N_WITHOUT, LARGEST_N_WITH, LARGEST_B_WITH = 6, 4, 4
SIZES_WITHOUT = [(n, b) for n in range(2, LARGEST_N_WITHOUT + 1) for b in range(1, n + 1)]
SIZES_WITH = [(n, b) for n in range(2, LARGEST_N_WITH + 1) for b in range(1, LARGEST_B_WITH + 1)]


def with_replacement_formula(sigma2, n: int, b: int):
    """sigma^2 / B: the variance of the mean of B i.i.d. draws."""
    return sigma2 * Fraction(1, b)


def finite_population_formula(sigma2, n: int, b: int):
    """sigma^2 / B * (N - B) / (N - 1): the variance of the mean of a uniform subset of size B."""
    return sigma2 * Fraction(n - b, b * (n - 1))


def sample_variance_formula(sigma2, n: int, b: int):
    """The wrong variant: the sample variance (divisor N - 1) over B."""
    return sigma2 * Fraction(n, (n - 1) * b)


def variance_gap(formula, replace: bool):
    """``difference(grads, B)``: enumerated variance of the batch mean minus ``formula``."""
    def difference(grads, b):
        n = len(grads)
        return [minibatch_moments(grads, b, replace=replace).variance - formula(gradient_variance(grads), n, b)]
    return difference


register(
    Claim(
        id="variance.with-replacement",
        statement=(
            r"For $B$ independent uniform draws from $N$ fixed examples, "
            r"$\mathbb{E}\,\lvert \hat g_S - G\rvert^2 = \sigma^2 / B$ with "
            r"$\sigma^2 = \frac{1}{N}\sum_i \lvert g_i - G\rvert^2$, "
            rf"checked for $2 \le N \le {LARGEST_N_WITH}$ and $B \le {LARGEST_B_WITH}$."
        ),
        check=lambda: check_every_size(SIZES_WITH, variance_gap(with_replacement_formula, True)),
        control="the sample variance (divisor N - 1) in place of sigma^2",
        control_check=lambda: check_every_size(SIZES_WITH, variance_gap(sample_variance_formula, True)),
        evidence="exhaustive",
        scope="2 <= N <= 4 and B <= 4; every sequence of draws enumerated; gradients symbolic",
    )
)

register(
    Claim(
        id="variance.without-replacement",
        statement=(
            r"For a uniformly random subset of size $B$ of $N$ fixed examples, "
            r"$\mathbb{E}\,\lvert \hat g_S - G\rvert^2 = \frac{\sigma^2}{B}\,\frac{N-B}{N-1}$, "
            rf"checked for $2 \le N \le {LARGEST_N_WITHOUT}$ and every $B \le N$."
        ),
        check=lambda: check_every_size(SIZES_WITHOUT, variance_gap(finite_population_formula, False)),
        control="the i.i.d. formula sigma^2/B applied to sampling without replacement",
        control_check=lambda: check_every_size(SIZES_WITHOUT, variance_gap(with_replacement_formula, False)),
        evidence="exhaustive",
        scope="2 <= N <= 6 and every B <= N; every subset enumerated; gradients symbolic",
    )
)

# --- symbolic N and B, from the probabilities that one or two examples are in the batch -------

N = sp.Symbol("N", integer=True, positive=True)
B = sp.Symbol("B", integer=True, positive=True)
SIGMA2 = sp.Symbol("sigma2", positive=True)
COUNTED_UP_TO = 7


def _pair_counts_match(n: int, b: int) -> bool:
    """Subsets containing examples 1 and 2, counted by enumeration, against C(N-2, B-2)."""
    both = sum(1 for s in itertools.combinations(range(n), b) if 0 in s and 1 in s)
    return both == (math.comb(n - 2, b - 2) if b >= 2 else 0)


def counted_variance(replace: bool) -> sp.Expr:
    """E|g_S - G|^2 from counting, with d_i = g_i - G (so sum d_i = 0 and sum |d_i|^2 = N sigma^2).

    |sum_{i in S} d_i|^2 = sum_{i in S} |d_i|^2 + sum_{i != j in S} d_i . d_j, and
    sum_{i != j} d_i . d_j = |sum d_i|^2 - sum |d_i|^2 = -N sigma^2. Without
    replacement, P(i in S) = C(N-1, B-1)/C(N, B) and P(i, j in S) = C(N-2, B-2)/C(N, B);
    with replacement, positions are independent: B N^(B-1) occurrences of i among
    N^B samples, and cross terms between distinct positions average to |sum d_i|^2 = 0.
    """
    if replace:
        return (B * N ** (B - 1) / N**B) * N * SIGMA2 / B**2
    single = sp.binomial(N - 1, B - 1) / sp.binomial(N, B)
    pair = sp.binomial(N - 2, B - 2) / sp.binomial(N, B)
    return (single * N * SIGMA2 - pair * N * SIGMA2) / B**2


def _any_n(pairs) -> Verdict:
    if not all(_pair_counts_match(n, b) for n in range(2, 6) for b in range(1, n + 1)):
        raise ArithmeticError("a pair count disagrees with enumeration: the counting argument is wrong")
    for expression, replace in pairs:
        ranges = {N: lambda p: range(2, COUNTED_UP_TO + 1),
                  B: (lambda p: range(1, COUNTED_UP_TO + 1)) if replace else (lambda p: range(1, int(p[N]) + 1)),
                  SIGMA2: lambda p: range(1, 2)}
        verdict = decide_for_all_integers(expression, ranges, lambda e: sp.factor(sp.combsimp(e)),
                                          "combsimp (binomial and power identities)")
        if not verdict.holds:
            return verdict
    # the identities are proved for every N and B, the counts they rest on only enumerated
    return Verdict(True, verdict.method + "; pair counts confirmed by enumeration for N <= 5",
                   residual=verdict.residual, evidence="exhaustive")


register(
    Claim(
        id="variance.any-n",
        statement=(
            r"For every $N \ge 2$: with replacement and any $B \ge 1$, "
            r"$\mathbb{E}\,\lvert \hat g_S - G\rvert^2 = \sigma^2/B$; without replacement and $1 \le B \le N$, "
            r"$\mathbb{E}\,\lvert \hat g_S - G\rvert^2 = \frac{\sigma^2}{B}\frac{N-B}{N-1}$."
        ),
        check=lambda: _any_n([(counted_variance(True) - SIGMA2 / B, True),
                              (counted_variance(False) - SIGMA2 / B * (N - B) / (N - 1), False)]),
        control="the i.i.d. formula sigma^2/B for the subset sampler",
        control_check=lambda: _any_n([(counted_variance(False) - SIGMA2 / B, False)]),
        evidence="exhaustive",
        scope="the binomial identities for every N and B; the pair counts enumerated for N <= 5 only; the cross terms with replacement entered by hand",
    )
)
