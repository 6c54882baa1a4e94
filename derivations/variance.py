"""The variance of a minibatch mean: sigma^2/B with replacement, times (N-B)/(N-1) without."""

from __future__ import annotations

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

# --- symbolic N and B: the variance from the law of one position and of two positions of the batch -------

from gradavg.checks.estimation import (BATCH as B, FIRST, N_EXAMPLES as N, SECOND, batch_mean_square,  # noqa: E402
                                       batch_sample_variance, position_laws_match, sigma_squared)

COUNTED_UP_TO = 7
LAWS_UP_TO = 6


def position_variance(replace: bool) -> sp.Expr:
    """E|g_S - G|^2 from the one- and two-position laws: B diagonal and B(B - 1) cross terms, all computed."""
    return batch_mean_square(replace)


def _laws() -> list:
    return [(n, b, r) for r in (True, False) for n in range(2, LAWS_UP_TO + 1)
            for b in range(2, (LAWS_UP_TO if r else n) + 1) if (n ** b if r else math.perm(n, b)) <= 50_000]


def _integer_ranges(replace: bool, smallest_b: int = 1) -> dict:
    """N up to COUNTED_UP_TO, B up to N (or any B with replacement), statistics of g = (1, -1, 0, ...)."""
    return {N: lambda p: range(2, COUNTED_UP_TO + 1),
            B: (lambda p: range(smallest_b, COUNTED_UP_TO + 1)) if replace else (lambda p: range(smallest_b, int(p[N]) + 1)),
            FIRST: lambda p: range(0, 1), SECOND: lambda p: range(2, 3)}


def _any_n(pairs) -> Verdict:
    laws = _laws()
    wrong = [law for law in laws if not position_laws_match(*law)]
    if wrong:
        raise ArithmeticError(f"the law of two positions is not the one used, at (N, B, replace) = {wrong[0]}")
    for expression, replace in pairs:
        verdict = decide_for_all_integers(expression, _integer_ranges(replace), lambda e: sp.factor(sp.cancel(e)),
                                          "cancel (rational functions of N, B and the statistics)")
        if not verdict.holds:
            return verdict
    return Verdict(True, verdict.method + f"; the one- and two-position laws enumerated for {len(laws)} (N, B, scheme)",
                   residual=verdict.residual, evidence="exhaustive")


register(
    Claim(
        id="variance.any-n",
        statement=(
            r"Let one position of the batch be a uniform index and two positions be independent uniform indices "
            r"(with replacement) or a uniform pair of distinct indices (without; both laws enumerated for "
            rf"$N \le {LAWS_UP_TO}$). Then for every $N \ge 2$: with replacement and any $B \ge 1$, "
            r"$\mathbb{E}\,\lvert \hat g_S - G\rvert^2 = \sigma^2/B$; without replacement and $1 \le B \le N$, "
            r"$\mathbb{E}\,\lvert \hat g_S - G\rvert^2 = \frac{\sigma^2}{B}\frac{N-B}{N-1}$."
        ),
        check=lambda: _any_n([(position_variance(True) - sigma_squared() / B, True),
                              (position_variance(False) - sigma_squared() / B * (N - B) / (N - 1), False)]),
        control="the i.i.d. formula sigma^2/B for the subset sampler",
        control_check=lambda: _any_n([(position_variance(False) - sigma_squared() / B, False)]),
        evidence="exhaustive",
        scope=f"every N >= 2 and B, symbolic, cross terms included (sums reduced in sufficient statistics, one "
              f"gradient component at a time); the one- and two-position laws enumerated for N <= {LAWS_UP_TO}",
    )
)


# --- one batch estimates its own noise: the sample variance with divisor B - 1 (Cochran) ----------------


def _one_batch(cases) -> Verdict:
    """Decide E s^2 == target for symbolic N and B >= 2, after enumerating the position laws."""
    wrong = [law for law in _laws() if not position_laws_match(*law)]
    if wrong:
        raise ArithmeticError(f"the law of two positions is not the one used, at (N, B, replace) = {wrong[0]}")
    for expression, replace in cases:
        verdict = decide_for_all_integers(expression, _integer_ranges(replace, smallest_b=2),
                                          lambda e: sp.factor(sp.cancel(e)),
                                          "cancel (rational functions of N, B and the statistics)")
        if not verdict.holds:
            return verdict
    return Verdict(True, verdict.method + f"; the one- and two-position laws enumerated for {len(_laws())} "
                                          "(N, B, scheme)", residual=verdict.residual, evidence="exhaustive")


register(
    Claim(
        id="variance.one-batch",
        statement=(
            r"With the position laws of the previous statement, let $s^2 = \frac{1}{B-1}\sum_{k=1}^{B} "
            r"\lvert g_{j_k} - \hat g_S\rvert^2$ be the sample variance of one batch. For every $N \ge 2$ and "
            r"$B \ge 2$: with replacement $\mathbb{E}\, s^2 = \sigma^2$; without replacement ($B \le N$) "
            r"$\mathbb{E}\, s^2 = \frac{N}{N-1}\sigma^2$, so $\bigl(1 - \frac{B}{N}\bigr)\frac{s^2}{B}$ is an "
            r"unbiased estimate of $\mathbb{E}\,\lvert \hat g_S - G\rvert^2$."
        ),
        check=lambda: _one_batch([
            (batch_sample_variance(True) - sigma_squared(), True),
            (batch_sample_variance(False) - N / (N - 1) * sigma_squared(), False),
            ((1 - B / N) * batch_sample_variance(False) / B - batch_mean_square(False), False)]),
        control="divisor B in place of B - 1, with replacement",
        control_check=lambda: _one_batch([(batch_sample_variance(True, divisor=B) - sigma_squared(), True)]),
        evidence="exhaustive",
        scope=f"every N >= 2 and B >= 2, symbolic (sufficient statistics, one gradient component at a time); "
              f"the one- and two-position laws enumerated for N <= {LAWS_UP_TO}",
    )
)
