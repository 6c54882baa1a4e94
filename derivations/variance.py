"""The variance of a minibatch mean: sigma^2/B with replacement, times (N-B)/(N-1) without."""

from __future__ import annotations

import math
from fractions import Fraction

import sympy as sp

from gradavg.checks.batchcheck import check_every_size, decide_for_all_integers
from gradavg.engine.claims import Claim, Verdict, register, weakest
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


def cochran_with_sigma_formula(sigma2, n: int, b: int):
    """The wrong variant: Cochran's correction 1 - B/N applied to sigma^2 (divisor N) instead of S^2 (divisor N - 1)."""
    return sigma2 * Fraction(n - b, b * n)


def variance_gap(formula, replace: bool):
    """``difference(grads, B)``: enumerated variance of the batch mean minus ``formula``."""
    def difference(grads, b):
        n = len(grads)
        return [minibatch_moments(grads, b, replace=replace).variance - formula(gradient_variance(grads), n, b)]
    return difference


register(
    Claim.contrasting(
        id="variance.with-replacement",
        statement=(
            rf"For every $2 \le N \le {LARGEST_N_WITH}$ and $1 \le B \le {LARGEST_B_WITH}$ and $B$ independent uniform "
            r"draws from $N$ fixed examples, $\mathbb{E}\,\lvert \hat g_S - G\rvert^2 = \sigma^2 / B$ with "
            r"$\sigma^2 = \frac{1}{N}\sum_i \lvert g_i - G\rvert^2$ (two-component gradients)."
        ),
        check=lambda formula: check_every_size(SIZES_WITH, variance_gap(formula, True)),
        right=with_replacement_formula,
        wrong=sample_variance_formula,
        control="the sample variance (divisor N - 1) in place of sigma^2",
        evidence="exhaustive",
        scope="2 <= N <= 4 and B <= 4; every sequence of draws enumerated; gradients symbolic",
    )
)

register(
    Claim.contrasting(
        id="variance.without-replacement",
        statement=(
            rf"For every $2 \le N \le {LARGEST_N_WITHOUT}$ and $1 \le B \le N$ and a uniformly random subset of size "
            r"$B$ of $N$ fixed examples, $\mathbb{E}\,\lvert \hat g_S - G\rvert^2 = "
            r"\frac{\sigma^2}{B}\,\frac{N-B}{N-1}$ (two-component gradients)."
        ),
        check=lambda formula: check_every_size(SIZES_WITHOUT, variance_gap(formula, False)),
        right=finite_population_formula,
        wrong=cochran_with_sigma_formula,
        control="Cochran's correction with the wrong variance: (sigma^2/B)(1 - B/N), sigma^2 with divisor N",
        evidence="exhaustive",
        scope="2 <= N <= 6 and every B <= N; every subset enumerated; gradients symbolic",
    )
)

# --- symbolic N and B: the covariance from the law of one position and of two positions of the batch ---------

from gradavg.checks.batchcheck import all_rejected  # noqa: E402
from gradavg.checks.estimation import (BATCH as B, FIRST, GRADIENT, N_EXAMPLES as N, SECOND,  # noqa: E402
                                       batch_mean_square, batch_sample_variance, first_statistic,
                                       position_laws_match, sigma_squared)
from gradavg.engine.sums import statistic  # noqa: E402

COUNTED_UP_TO = 7
LAWS_UP_TO = 6
#: a second gradient component h, with the statistics sum_i h_i and sum_i g_i h_i
OTHER = sp.IndexedBase("h", real=True)
_I = sp.Symbol("i", integer=True, positive=True)
FIRST_OTHER = first_statistic(OTHER)
MIXED = statistic(GRADIENT[_I] * OTHER[_I], (_I, 1, N))


def position_covariance(replace: bool, other: sp.IndexedBase = OTHER) -> sp.Expr:
    """E (g_S - G)(h_S - H) from the one- and two-position laws: B diagonal and B(B - 1) cross terms, all computed.

    Example:
        >>> sp.factor(position_covariance(True) / sigma_squared(GRADIENT, OTHER))
        1/B
    """
    return batch_mean_square(replace, other=other)


def _laws() -> list:
    return [(n, b, r) for r in (True, False) for n in range(2, LAWS_UP_TO + 1)
            for b in range(1, (LAWS_UP_TO if r else n) + 1) if (n ** b if r else math.perm(n, b)) <= 50_000]


def _integer_ranges(replace: bool, smallest_b: int = 1) -> dict:
    """N up to COUNTED_UP_TO, B up to N (or any B with replacement); statistics of g = (1, -1, 0, ...), h = (1, 0, ...)."""
    return {N: lambda p: range(2, COUNTED_UP_TO + 1),
            B: (lambda p: range(smallest_b, COUNTED_UP_TO + 1)) if replace else (lambda p: range(smallest_b, int(p[N]) + 1)),
            FIRST: lambda p: range(0, 1), SECOND: lambda p: range(2, 3),
            FIRST_OTHER: lambda p: range(1, 2), MIXED: lambda p: range(1, 2)}


def _laws_hold() -> int:
    """Enumerate the position laws of the two uniform samplers in the range named by the scope (a sanity check)."""
    laws = _laws()
    wrong = [law for law in laws if not position_laws_match(*law)]
    if wrong:
        raise ArithmeticError(f"the law of two positions is not the one used, at (N, B, replace) = {wrong[0]}")
    return len(laws)


def _decide_all(pairs, smallest_b: int = 1) -> list:
    verdicts = []
    for expression, replace in pairs:
        verdicts.append(decide_for_all_integers(expression, _integer_ranges(replace, smallest_b),
                                                lambda e: sp.factor(sp.cancel(e)),
                                                "cancel (rational functions of N, B and the statistics)"))
        if not verdicts[-1].holds:
            break
    return verdicts


def _proved(pairs, smallest_b: int = 1) -> Verdict:
    """Decide every ``(expression == 0, replace)`` for symbolic N and B; enumerate the laws of the uniform samplers."""
    count = _laws_hold()
    verdicts = _decide_all(pairs, smallest_b)
    if not verdicts[-1].holds:
        return verdicts[-1]
    return Verdict(True, verdicts[-1].method + f"; the laws of the two uniform samplers also enumerated for {count} "
                                               "(N, B, scheme)", residual=verdicts[-1].residual,
                   evidence=weakest([v.evidence for v in verdicts]))


def _rejected(pairs, smallest_b: int = 1) -> Verdict:
    """A control of several wrong variants: each must fail at an integer point."""
    return all_rejected(_decide_all([pair], smallest_b)[-1] for pair in pairs)


#: sigma^2, the covariance entry Sigma_gh (divisor N), and the batch covariance entries
SIGMA2, SIGMA_GH = sigma_squared(), sigma_squared(GRADIENT, OTHER)
FPC_FACTOR = (N - B) / (N - 1)

register(
    Claim(
        id="variance.any-n",
        statement=(
            r"Let one position of the batch be a uniform index and two positions be independent uniform indices "
            r"(with replacement) or a uniform pair of distinct indices (without). Then for every $N \ge 2$: with "
            r"replacement and any $B \ge 1$, $\operatorname{Cov}(\hat g_S) = \Sigma/B$; without replacement and "
            r"$1 \le B \le N$, $\operatorname{Cov}(\hat g_S) = \frac{\Sigma}{B}\frac{N-B}{N-1}$, with "
            r"$\Sigma = \frac1N\sum_i (g_i - G)(g_i - G)^{\top}$; taking traces, "
            r"$\mathbb{E}\,\lvert \hat g_S - G\rvert^2 = \sigma^2/B$ and $\frac{\sigma^2}{B}\frac{N-B}{N-1}$."
        ),
        check=lambda: _proved([(position_covariance(True) - SIGMA_GH / B, True),
                               (position_covariance(False) - SIGMA_GH / B * FPC_FACTOR, False),
                               (batch_mean_square(True) - SIGMA2 / B, True),
                               (batch_mean_square(False) - SIGMA2 / B * FPC_FACTOR, False)]),
        control="Cochran's correction 1 - B/N applied to sigma^2 (divisor N) for the subset sampler; the "
                "finite-population factor (N-B)/(N-1) applied with replacement too; and the divisor N - 1 in "
                "Sigma with replacement",
        control_check=lambda: _rejected([(position_covariance(False) - SIGMA_GH / B * (1 - B / N), False),
                                         (position_covariance(True) - SIGMA_GH / B * FPC_FACTOR, True),
                                         (position_covariance(True) - SIGMA_GH * N / (N - 1) / B, True)]),
        evidence="proof",
        scope=f"every N >= 2 and B, symbolic, for any sampler with these position laws: each entry of the covariance "
              f"(two arbitrary gradient components, sums reduced in sufficient statistics, cross terms included); "
              f"that the two uniform samplers have these laws is argued in the text and enumerated for "
              f"2 <= N <= {LAWS_UP_TO}, B <= {LAWS_UP_TO}",
    )
)


# --- one batch estimates its own noise: the sample variance with divisor B - 1 (Cochran) ----------------

register(
    Claim(
        id="variance.one-batch",
        statement=(
            r"With the position laws of the previous statement, let $s^2 = \frac{1}{B-1}\sum_{k=1}^{B} "
            r"\lvert g_{j_k} - \hat g_S\rvert^2$ be the sample variance of one batch. For every $N \ge 2$ and "
            r"$B \ge 2$: with replacement $\mathbb{E}\, s^2 = \sigma^2$; without replacement ($B \le N$) "
            r"$\mathbb{E}\, s^2 = S^2 = \frac{N}{N-1}\sigma^2$, so $\bigl(1 - \frac{B}{N}\bigr)\frac{s^2}{B}$ is an "
            r"unbiased estimate of $\mathbb{E}\,\lvert \hat g_S - G\rvert^2$."
        ),
        check=lambda: _proved([
            (batch_sample_variance(True) - SIGMA2, True),
            (batch_sample_variance(False) - N / (N - 1) * SIGMA2, False),
            ((1 - B / N) * batch_sample_variance(False) / B - batch_mean_square(False), False)], smallest_b=2),
        control="divisor B in place of B - 1 (with replacement); E s^2 = sigma^2 without replacement; and "
                "(N-B)/(N-1) s^2/B as the estimate without replacement",
        control_check=lambda: _rejected([
            (batch_sample_variance(True, divisor=B) - SIGMA2, True),
            (batch_sample_variance(False) - SIGMA2, False),
            (FPC_FACTOR * batch_sample_variance(False) / B - batch_mean_square(False), False)], smallest_b=2),
        evidence="proof",
        scope=f"every N >= 2 and B >= 2, symbolic, for any sampler with these position laws (sufficient statistics, "
              f"one gradient component: the squared norm sums over components); the laws of the uniform samplers "
              f"argued in the text and enumerated for 2 <= N <= {LAWS_UP_TO}, B <= {LAWS_UP_TO}",
    )
)


# --- exercises: the claims behind the page's answer boxes ----------------------

from gradavg.checks.answers import exercise_claim  # noqa: E402
from gradavg.engine.claims import Answer  # noqa: E402

_THREE = "g_1,g_2,g_3"
#: sigma^2 / B (N - B) / (N - 1) at N = 3, B = 2, with sigma^2 = (1/N^2) sum_{i<j} (g_i - g_j)^2
_PAIRS = "(g_1 - g_2)**2 + (g_1 - g_3)**2 + (g_2 - g_3)**2"
register(exercise_claim(
    "variance.exercise-three-examples",
    r"For a uniform subset of $B = 2$ of $N = 3$ examples with one-component gradients, "
    r"$\mathbb{E}\,(\hat g_S - G)^2 = \tfrac{1}{36}\bigl((g_1 - g_2)^2 + (g_1 - g_3)^2 + (g_2 - g_3)^2\bigr)$",
    answer=Answer(f"({_PAIRS})/36", _THREE, "E[(batch mean - G)^2] ="),
    wrong=Answer(f"({_PAIRS})/18", _THREE, "E[(batch mean - G)^2] ="),
    truth=lambda s: minibatch_moments([[s[f"g_{k}"]] for k in (1, 2, 3)], 2).variance,
    control="sigma^2/B, the with-replacement variance, for a subset (the factor (N - B)/(N - 1) = 1/2 dropped)",
    scope="N = 3, B = 2 without replacement, one-component gradients, every real value; the expectation by "
          "listing the three subsets",
))


def _equivalent_draws(shuffled: int = 10, examples: int = 11):
    """sigma^2 over the variance of a shuffled batch of ``shuffled``, both by listing batches, symbolic gradients.

    One draw's variance (N batches of one) is sigma^2, and B draws with replacement have sigma^2 / B
    (variance.with-replacement, variance.any-n): the ratio is the number of draws with the same variance.
    """
    grads = [[sp.Symbol(f"g{k}", real=True)] for k in range(1, examples + 1)]
    one_draw = minibatch_moments(grads, 1, replace=True).variance
    return sp.cancel(one_draw / minibatch_moments(grads, shuffled).variance)


register(exercise_claim(
    "variance.exercise-equivalent-draws",
    r"For $N = 11$ examples, a uniform subset of $10$ has the variance of $100$ independent uniform draws "
    r"with replacement, for all one-component gradients not all equal",
    answer=Answer("100", "", "number of draws ="),
    wrong=Answer("110", "", "number of draws ="),
    truth=lambda s: _equivalent_draws(),
    control="110, from Cochran's correction 1 - B/N = 1/11 applied to sigma^2 instead of (N - B)/(N - 1) = 1/10",
    scope="N = 11 and a subset of 10, one-component symbolic gradients (the ratio cancels to a number): both "
          "variances by listing batches; the with-replacement variance sigma^2 / B of variance.any-n turns the "
          "ratio into a number of draws",
))
