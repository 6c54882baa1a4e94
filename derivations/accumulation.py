"""Gradient accumulation and data parallelism: exact when every micro-batch is scaled by the total count."""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from gradavg.topics.accumulation import (
    count_weighted_mean_weights,
    mean_of_means_weights,
    split,
    summed_loss_average_weights,
    total_count_weights,
    weighted_identity,
)
from gradavg.engine.claims import Claim, Verdict, register, weakest
from gradavg.engine.gradients import examples, per_example_losses
from gradavg.engine.models import linear_regression

#: squared-error linear regression, one feature: each example (token) has its own x_i, y_i
MODEL = linear_regression(1)
#: token counts of two micro-batches, as in the public gradient-accumulation reports of 2024
SHORT, LONG = 11, 101
#: micro-batch splits the accumulation claim is checked on (unequal sizes on purpose)
SPLITS = [(SHORT, LONG), (1, 2, 4)]


def _losses(n: int) -> list[sp.Expr]:
    return per_example_losses(MODEL.loss, examples(MODEL.data, n))


def _all_splits(scheme) -> Verdict:
    """Check ``scheme`` against the whole batch's mean on every split in :data:`SPLITS`; first failure wins."""
    verdicts = []
    for sizes in SPLITS:
        n = sum(sizes)
        verdicts.append(weighted_identity(_losses(n), MODEL.params, split(sizes), scheme(sizes), Fraction(1, n)))
        if not verdicts[-1].holds:
            return verdicts[-1]
    shown = ", ".join("+".join(map(str, sizes)) for sizes in SPLITS)
    return Verdict(True, f"{verdicts[-1].method}; micro-batch sizes {shown}", residual=verdicts[-1].residual,
                   evidence=weakest(v.evidence for v in verdicts))


register(
    Claim.contrasting(
        id="accumulation.total-count",
        statement=(
            r"For squared-error linear regression with one feature and micro-batches $B_1,\dots,B_K$ of "
            r"$11+101$ or $1+2+4$ examples, $N=\sum_k n_k$, for all data and $(w,b)$: the gradients of "
            r"$\frac{1}{N}\sum_{i\in B_k} L_i$ sum to $\nabla \frac{1}{N}\sum_{i=1}^{N} L_i$."
        ),
        check=_all_splits,
        right=total_count_weights,
        wrong=mean_of_means_weights,
        control="the mean of per-micro-batch mean losses, (1/K) sum_k (1/n_k) sum_{i in B_k} L_i, with unequal sizes",
        evidence="proof",
        scope="squared-error linear regression, one feature; micro-batch sizes 11 + 101 and 1 + 2 + 4 only; data and parameters symbolic",
    )
)

# --- the exact gap of the mean of means ---------------------------------------


def _gap_terms(sizes, sign: int):
    """``sign * sum_k (1/K - n_k/N) gbar_k`` where ``gbar_k`` is micro-batch k's mean gradient."""
    K, N = len(sizes), sum(sizes)

    def correction(gradients):
        weights = [sign * (sp.Rational(1, K) - sp.Rational(n, N)) / n for n in sizes]
        return [sum(c * g[j] for c, g in zip(weights, gradients)) for j in range(len(gradients[0]))]

    return correction


#: the constant of the statement's second form, 1/2 - 11/112 for sizes 11 and 101 (the check proves that form with it)
GAP_COEFFICIENT = sp.Rational(45, 112)


def _stated_gap(sign: int):
    """``sign * GAP_COEFFICIENT * (gbar_1 - gbar_2)`` from the two micro-batches' summed gradients."""
    def correction(gradients):
        first, second = gradients
        return [sign * GAP_COEFFICIENT * (a / SHORT - b / LONG) for a, b in zip(first, second)]

    return correction


def _mean_of_means_gap(sign: int) -> Verdict:
    """Both forms of the gap against the whole batch's gradient: the general weights, then the stated constant."""
    sizes = (SHORT, LONG)
    n = sum(sizes)
    verdicts = []
    for correction in (_gap_terms(sizes, sign), _stated_gap(sign)):
        verdicts.append(weighted_identity(_losses(n), MODEL.params, split(sizes), mean_of_means_weights(sizes),
                                          Fraction(1, n), correction=correction))
        if not verdicts[-1].holds:
            return verdicts[-1]
    return Verdict(True, f"{verdicts[-1].method}; both forms: sum_k (1/K - n_k/N) gbar_k and "
                   f"{GAP_COEFFICIENT} (gbar_1 - gbar_2)", residual=verdicts[-1].residual,
                   evidence=weakest(v.evidence for v in verdicts))


register(
    Claim.contrasting(
        id="accumulation.mean-of-means-gap",
        statement=(
            r"For squared-error linear regression with one feature and two micro-batches of $n_1=11$ and "
            r"$n_2=101$ examples, for all data and $(w,b)$, with micro-batch mean gradients "
            r"$\bar g_k = \frac{1}{n_k}\sum_{i\in B_k}\nabla L_i$: the mean of means is "
            r"$\frac{1}{K}\sum_k \bar g_k = \nabla C + \sum_k \bigl(\frac{1}{K}-\frac{n_k}{N}\bigr)\bar g_k "
            rf"= \nabla C + \frac{{{GAP_COEFFICIENT.p}}}{{{GAP_COEFFICIENT.q}}}(\bar g_1-\bar g_2)$."
        ),
        check=_mean_of_means_gap,
        right=+1,
        wrong=-1,
        control="the same gap with the opposite sign, sum_k (n_k/N - 1/K) gbar_k (and -45/112 (gbar_1 - gbar_2))",
        evidence="proof",
        scope="squared-error linear regression, one feature; K = 2 micro-batches of 11 + 101 only; data and parameters symbolic",
    )
)

# --- data parallelism: equal shards, uneven shards -------------------------------

EQUAL_SHARDS = (3, 3, 3, 3)
UNEVEN_SHARDS = (1, 2, 3, 6)


def _data_parallel(uneven_scheme) -> Verdict:
    """Equal shards with the plain mean of local means, then uneven shards with ``uneven_scheme``."""
    verdicts = []
    for sizes, scheme in ((EQUAL_SHARDS, mean_of_means_weights), (UNEVEN_SHARDS, uneven_scheme)):
        n = sum(sizes)
        verdicts.append(weighted_identity(_losses(n), MODEL.params, split(sizes), scheme(sizes), Fraction(1, n)))
        if not verdicts[-1].holds:
            return verdicts[-1]
    return Verdict(True, f"{verdicts[-1].method}; shards 3+3+3+3 (plain mean) and 1+2+3+6 (count weights)",
                   residual=verdicts[-1].residual, evidence=weakest(v.evidence for v in verdicts))


register(
    Claim.contrasting(
        id="accumulation.data-parallel",
        statement=(
            r"For squared-error linear regression with one feature, worker $m$ holding shard $S_m$ of size $n_m$ "
            r"and local mean gradient $\bar g_m$, for all data and $(w,b)$: "
            r"$\frac{1}{M}\sum_m \bar g_m = \nabla C$ for $4$ shards of $3$, and "
            r"$\sum_m \frac{n_m}{N}\bar g_m = \nabla C$ for shards of $1+2+3+6$."
        ),
        check=_data_parallel,
        right=count_weighted_mean_weights,
        wrong=mean_of_means_weights,
        control="uneven shards 1+2+3+6 all-reduced with the plain mean of local means",
        evidence="proof",
        scope="squared-error linear regression, one feature; shards 3 + 3 + 3 + 3 and 1 + 2 + 3 + 6 only; data and parameters symbolic",
    )
)

# --- a summed loss averaged over workers ----------------------------------------

SUM_SHARDS = (2, 3, 4)


def _summed_over_workers(target_scale) -> Verdict:
    sizes = SUM_SHARDS
    return weighted_identity(_losses(sum(sizes)), MODEL.params, split(sizes), summed_loss_average_weights(sizes),
                             target_scale)


register(
    Claim.contrasting(
        id="accumulation.summed-loss-workers",
        statement=(
            r"For squared-error linear regression with one feature and $M=3$ workers with shards of $2+3+4$ "
            r"examples, for all data and $(w,b)$: if each uses its summed loss $\sum_{i\in S_m} L_i$ and the "
            r"all-reduce averages, the step's gradient is $\frac{1}{M}\nabla\sum_{i=1}^{N} L_i$, $M$ times smaller "
            r"than the gradient of the summed loss on one machine."
        ),
        check=_summed_over_workers,
        right=Fraction(1, len(SUM_SHARDS)),
        wrong=1,
        control="the all-reduce average equals the one-machine gradient of the summed loss",
        evidence="proof",
        scope="squared-error linear regression, one feature; M = 3 workers with shards 2 + 3 + 4 only; data and parameters symbolic",
    )
)


# --- exercises: the claims behind the page's answer boxes ----------------------

from gradavg.checks.answers import exercise_claim  # noqa: E402
from gradavg.engine.claims import Answer  # noqa: E402
from gradavg.engine.gradients import difference_quotient, limit_at_zero  # noqa: E402


def _gradient(cost: sp.Expr) -> list[sp.Expr]:
    """One backward pass: the gradient of ``cost`` in (w, b), each entry the limit of its difference quotient."""
    return [limit_at_zero(difference_quotient(cost, p)) for p in MODEL.params]


def _the_only_value(differences: list[sp.Expr], unknown: sp.Symbol) -> sp.Expr:
    """The one number that makes every difference (affine in ``unknown``) vanish for all data and parameters.

    ``ArithmeticError`` when there is none: a value that depends on the data, or two components that disagree.
    """
    values = set()
    for difference in differences:
        expanded = sp.expand(difference)
        values.add(sp.cancel(-expanded.coeff(unknown, 0) / expanded.coeff(unknown, 1)))
    if len(values) != 1 or not next(iter(values)).is_number:
        raise ArithmeticError(f"no single number for {unknown} makes the sides equal: {values}")
    return values.pop()


def _shares(sizes) -> tuple[list[list[sp.Expr]], list[sp.Expr]]:
    """The examples' losses cut into consecutive parts of ``sizes``, and the gradient of the whole batch's mean."""
    losses = _losses(sum(sizes))
    parts = [losses[sum(sizes[:k]):sum(sizes[:k + 1])] for k in range(len(sizes))]
    return parts, _gradient(sum(losses) / len(losses))


def _mean_loss_weight(_symbols) -> sp.Expr:
    """The c with c grad(mean of B_1) + (1 - c) grad(mean of B_2) = grad C for B_1, B_2 of 2 and 6 examples."""
    c = sp.Symbol("c")
    (first, second), whole = _shares((2, 6))
    accumulated = [c * g1 + (1 - c) * g2
                   for g1, g2 in zip(_gradient(sum(first) / len(first)), _gradient(sum(second) / len(second)))]
    return _the_only_value([a - g for a, g in zip(accumulated, whole)], c)


register(exercise_claim(
    "accumulation.exercise-mean-loss-weight",
    r"For squared-error linear regression with one feature and micro-batches of 2 and 6 examples: "
    r"$c\,\nabla \bar L_{B_1} + (1 - c)\,\nabla \bar L_{B_2} = \nabla C$ for all data and $(w, b)$ exactly when "
    r"$c = 1/4$",
    answer=Answer("1/4", "", "c ="),
    wrong=Answer("1/2", "", "c ="),
    truth=_mean_loss_weight,
    control="equal weights for the two micro-batch means: the mean of means",
    scope="squared-error linear regression, one feature; micro-batches of 2 and 6 examples; data and parameters "
          "symbolic; each gradient from its definition (a limit of difference quotients)",
))


def _global_count_under_averaging(_symbols) -> sp.Expr:
    """The r with (1/M) sum_m grad(sum_{S_m} L_i / N) = r grad C, for M = 4 workers of 3 examples and N = 12."""
    r = sp.Symbol("r")
    shards, whole = _shares((3, 3, 3, 3))
    n = sum(map(len, shards))
    averaged = [sum(column) / len(shards) for column in zip(*(_gradient(sum(shard) / n) for shard in shards))]
    return _the_only_value([a - r * g for a, g in zip(averaged, whole)], r)


register(exercise_claim(
    "accumulation.exercise-global-count-averaged",
    r"For squared-error linear regression with one feature and $M = 4$ workers of 3 examples, each "
    r"differentiating its summed loss divided by $N = 12$ and an all-reduce that averages: the result is "
    r"$\frac14 \nabla C$",
    answer=Answer("1/4", "", "r ="),
    wrong=Answer("1", "", "r ="),
    truth=_global_count_under_averaging,
    control="the result taken for the full gradient, r = 1: Goyal et al.'s division by N under an averaging all-reduce",
    scope="squared-error linear regression, one feature; 4 shards of 3 examples; data and parameters symbolic; each "
          "gradient from its definition (a limit of difference quotients)",
))
