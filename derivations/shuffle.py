"""Shuffling: consecutive batches of ordered data are biased; shuffled batches and whole epochs are not."""

from __future__ import annotations

import dataclasses

import sympy as sp

from gradavg.checks.batchcheck import check_every_size
from gradavg.engine.claims import Claim, Verdict, register, weakest
from gradavg.checks.estimation import full_gradient
from gradavg.engine.exact import decide
from gradavg.checks.batchcheck import decide_for_all_integers
from gradavg.engine.sums import as_statistics
from gradavg.topics.shuffle import batch_biases, epoch_mean, shuffled_batch_expectations, sorted_order

LARGEST_N_PERMUTED = 5
SIZES_PERMUTED = [(n, b) for n in range(2, LARGEST_N_PERMUTED + 1) for b in range(1, n)]
LARGEST_N_EPOCH = 8
SIZES_DIVIDING = [(n, b) for n in range(2, LARGEST_N_EPOCH + 1) for b in range(1, n + 1) if n % b == 0]
SIZES_NOT_DIVIDING = [(n, b) for n in range(2, LARGEST_N_EPOCH + 1) for b in range(1, n + 1) if n % b]


def _flat(rows):
    return [v for row in rows for v in row]


def shuffled_bias(grads, b):
    """Every batch position's expected mean over all orderings, minus the full gradient."""
    full = full_gradient(grads)
    return _flat([[e - g for e, g in zip(row, full)] for row in shuffled_batch_expectations(grads, b)])


def sorted_bias(grads, b):
    """Every consecutive batch's mean minus the full gradient, the data sorted by gradient."""
    return _flat(batch_biases(grads, b, sorted_order(grads)))


def epoch_gap(weighted):
    def difference(grads, b):
        return [e - g for e, g in zip(epoch_mean(grads, b, weighted=weighted), full_gradient(grads))]
    return difference


# --- every ordering, every batch, enumerated at small sizes (the counting for every N is a written proof) ---


def _random_permutation(enumerate_sizes) -> Verdict:
    """Every ordering of N symbolic gradients enumerated, every batch position, for each (N, B) given.

    The evidence is exhaustive over the sizes listed; for every N the page gives the
    counting argument as a written proof, which no check here takes.
    """
    verdict = check_every_size(enumerate_sizes, shuffled_bias)
    if not verdict.holds:
        return verdict
    return dataclasses.replace(verdict, method=f"all N! orderings enumerated, every batch position (the short last "
                                                f"one included); {verdict.method}")


register(
    Claim(
        id="shuffle.random-permutation",
        statement=(
            r"If every ordering of the $N$ fixed examples is equally likely, the $k$-th consecutive batch of "
            r"size $B$ (the last possibly smaller) has expected mean $G$, for every $N \le 5$, every $B < N$ and "
            r"every $k$ (for every $N$ by the written counting proof on the page, not by this check)."
        ),
        check=lambda: _random_permutation(SIZES_PERMUTED),
        control="consecutive batches of data sorted by gradient, never shuffled",
        control_check=lambda: check_every_size(SIZES_PERMUTED, sorted_bias, symbolic=False),
        evidence="exhaustive",
        scope="all N! orderings enumerated for N <= 5, every B < N and every batch position (the short last one "
              "included), symbolic gradients; larger N only by the written proof, not machine-checked",
    )
)


def _epoch() -> Verdict:
    """The weighted epoch mean for every B <= N, the plain one for every B dividing N, every batch enumerated.

    One ordering (the given one) with symbolic gradients: any other ordering is a
    relabelling of the symbols. Exhaustive for N <= LARGEST_N_EPOCH; the partition
    argument for every N is a written proof on the page.
    """
    kinds, methods = [], []
    for sizes, weighted in ((SIZES_DIVIDING, False), (SIZES_DIVIDING + SIZES_NOT_DIVIDING, True)):
        verdict = check_every_size(sizes, epoch_gap(weighted=weighted))
        if not verdict.holds:
            return verdict
        kinds.append(verdict.evidence)
        methods.append(("weighted mean, every B <= N: " if weighted else "plain mean, every B dividing N: ")
                       + verdict.method)
    return Verdict(True, "; ".join(methods), residual=verdict.residual, evidence=weakest(kinds))


#: the number of batches of an epoch, K - 1 full ones of size B and a short last one of size r with sum T_K
BATCHES, _K = sp.Symbol("K", integer=True, positive=True), sp.Symbol("k", integer=True, positive=True)
BATCH_SUM = sp.IndexedBase("T", real=True)
FULL, SHORT, SHORT_SUM = sp.Symbol("B", integer=True, positive=True), sp.Symbol("r", integer=True, positive=True), \
    sp.Symbol("T_K", real=True)


def short_last_plain_gap() -> sp.Expr:
    """The wrong variant: K - 1 batches of B and a last one of r < B, the plain mean of the K batch means, minus G."""
    full_sums = as_statistics(sp.Sum(BATCH_SUM[_K], (_K, 1, BATCHES - 1)))[0]
    plain = (full_sums / FULL + SHORT_SUM / SHORT) / BATCHES
    return plain - (full_sums + SHORT_SUM) / ((BATCHES - 1) * FULL + SHORT)


def _epoch_control() -> Verdict:
    statistic_symbol = next(s for s in short_last_plain_gap().free_symbols if s.name.startswith("S["))
    ranges = {BATCHES: lambda p: range(2, 4), FULL: lambda p: range(2, 4), SHORT: lambda p: range(1, int(p[FULL])),
              statistic_symbol: lambda p: range(0, 2), SHORT_SUM: lambda p: range(0, 3)}
    return decide_for_all_integers(short_last_plain_gap(), ranges, lambda e: sp.cancel(sp.together(e)),
                                   "cancel (K - 1 full batches and a short one)")


register(
    Claim(
        id="shuffle.epoch",
        statement=(
            r"For any fixed ordering of the $N$ examples and any $B$, the mean of one epoch's consecutive batch "
            r"means, each weighted by its batch's size, is $G$; when $B$ divides $N$ this is the plain mean of the "
            r"$N/B$ batch means. For every $N \le 8$ and $B \le N$ (for every $N$ by the written partition proof "
            r"on the page, not by this check)."
        ),
        check=_epoch,
        control="B does not divide N and the short last batch counts as much as the others (plain mean)",
        control_check=_epoch_control,
        evidence="exhaustive",
        scope="every batch enumerated for N <= 8 with symbolic gradients (one ordering; any other relabels the "
              "symbols): the weighted mean for every B <= N, the plain mean for every B dividing N; larger N only "
              "by the written proof, not machine-checked",
    )
)

# --- unbiased at frozen parameters versus unbiased given the iterate ---------------------------------

from gradavg.topics.shuffle import conditional_gaps  # noqa: E402

#: two examples, the start and the step size, all symbols; losses (theta - x_i)^2 / 2
PAIR = sp.symbols("x_a x_b", real=True)
THETA0, ETA = sp.symbols("theta_0 eta", real=True)


def _half_square_gradient(theta, x):
    """Gradient in theta of (theta - x)^2 / 2, by differentiating the loss."""
    t = sp.Symbol("t", real=True)
    return sp.diff((t - x) ** 2 / 2, t).subs(t, theta)


def pair_cost_gradient(theta):
    """The gradient of C(theta) = ((theta - x_a)^2 + (theta - x_b)^2) / 4, expanded in theta and differentiated.

    The cost is written as a polynomial in theta with the dataset's moments as
    coefficients, so no per-example gradient is formed.
    """
    t = sp.Symbol("t", real=True)
    first, second = sum(PAIR) / 2, sum(x**2 for x in PAIR) / 2
    return sp.diff((t**2 - 2 * t * first + second) / 2, t).subs(t, theta)


def pair_joint_law(scheme: str) -> list:
    """The joint law of the examples used by steps 1 and 2: ``reshuffle`` (an epoch of a random order) or ``fresh``."""
    if scheme == "reshuffle":
        return [((a, b), 1) for a in range(2) for b in range(2) if a != b]
    return [((a, b), 1) for a in range(2) for b in range(2)]


def pair_gaps(scheme: str) -> list:
    """For each theta_1, E[grad L_second(theta_1) | theta_1] - grad C(theta_1) (generic x_a != x_b, eta != 0)."""
    step = lambda a: THETA0 - ETA * _half_square_gradient(THETA0, PAIR[a])  # noqa: E731
    gaps = conditional_gaps(pair_joint_law(scheme), step, lambda t, b: _half_square_gradient(t, PAIR[b]),
                            pair_cost_gradient)
    return [gaps[step(a)] for a in range(2)]


def _within_epoch(expected_reshuffle) -> Verdict:
    """Decide the reshuffled gaps == expected_reshuffle[a] and the fresh-draw gaps == 0, symbolically."""
    differences = [g - e for g, e in zip(pair_gaps("reshuffle"), expected_reshuffle)] + pair_gaps("fresh")
    return decide(lambda point: [d.xreplace(point) for d in differences], [*PAIR, THETA0, ETA],
                  lambda: ([sp.expand(d) for d in differences], "every joint outcome enumerated; the gaps expand"))


#: after a first step on x_a the reshuffled epoch's next example is x_b, and vice versa
WITHIN_EPOCH_GAPS = [(PAIR[0] - PAIR[1]) / 2, (PAIR[1] - PAIR[0]) / 2]

register(
    Claim.contrasting(
        id="shuffle.within-epoch",
        statement=(
            r"Two examples, losses $L_i(\theta) = (\theta - x_i)^2/2$, batches of one. Let the first step use "
            r"$x_a$ (either example, uniformly), $\theta_1 = \theta_0 - \eta\,\nabla L_a(\theta_0)$, and call the "
            r"other example $x_b$. In a reshuffled epoch the second batch is $x_b$, and "
            r"$\mathbb{E}[g_2 \mid \theta_1] - \nabla C(\theta_1) = (x_a - x_b)/2$: biased given $\theta_1$ "
            r"whenever $x_a \ne x_b$. With a fresh uniform draw (with replacement) the gap is 0. For all values of "
            r"the examples, $\theta_0$ and $\eta$ with $\theta_1$ determining $a$ ($x_a \ne x_b$, $\eta \ne 0$)."
        ),
        check=_within_epoch,
        right=WITHIN_EPOCH_GAPS,
        wrong=[0, 0],
        control="the second batch of a reshuffled epoch is unbiased given theta_1 (gap 0)",
        evidence="proof",
        scope="N = 2, B = 1, losses (theta - x_i)^2 / 2, one step; both joint laws enumerated; x_a, x_b, theta_0, "
              "eta symbolic",
    )
)

# --- first pass versus later passes: unbiased for the population only for unused examples -------

#: a population of three equally likely values
POPULATION = sp.symbols("x_1:4", real=True)


def _loss_gradient(theta, x):
    """Gradient in theta of the loss (theta - x)^4 / 4, a loss whose gradient is not linear in theta."""
    return (theta - x) ** 3


def population_gradient(theta):
    """The gradient of the risk R(theta) = E (theta - x)^4 / 4, from its closed form in the moments of x.

    R is expanded in the population moments m_k = E x^k and differentiated as a
    polynomial in theta: a route that never forms a per-example gradient.
    """
    t = sp.Symbol("t", real=True)
    moments = [sum(x**k for x in POPULATION) / len(POPULATION) for k in range(5)]
    risk = sum(sp.binomial(4, k) * t ** (4 - k) * (-1) ** k * moments[k] for k in range(5)) / 4
    return sp.diff(risk, t).subs(t, theta)


def population_joint_law(scheme: str) -> list:
    """The joint law of the first and second example: i.i.d. from the population, or without replacement.

    ``fresh``: two independent draws, all 9 pairs equally likely. ``without``: the
    three values are a dataset walked through in a random order, so the second
    differs from the first (6 pairs). ``reuse``: the second is the first again.
    """
    k = range(len(POPULATION))
    if scheme == "fresh":
        return [((a, b), 1) for a in k for b in k]
    if scheme == "without":
        return [((a, b), 1) for a in k for b in k if a != b]
    return [((a, a), 1) for a in k]


def pass_gap(scheme: str) -> list:
    """For each theta_1, E[grad L(theta_1, second) | theta_1] - grad R(theta_1), the joint law enumerated."""
    step = lambda a: THETA0 - ETA * _loss_gradient(THETA0, POPULATION[a])  # noqa: E731
    gaps = conditional_gaps(population_joint_law(scheme), step, lambda t, b: _loss_gradient(t, POPULATION[b]),
                            population_gradient)
    return list(gaps.values())


def _passes(scheme: str):
    differences = pass_gap(scheme)
    symbols = [*POPULATION, THETA0, ETA]
    return decide(lambda point: [d.xreplace(point) for d in differences], symbols,
                  lambda: ([sp.expand(d) for d in differences], "the conditional bias expands to 0"))


register(
    Claim.contrasting(
        id="shuffle.first-pass",
        statement=(
            r"Examples drawn i.i.d. from a population of three equally likely values, loss $(\theta - x)^4/4$: "
            r"after an SGD step on example $a$, the gradient of a fresh independent example $b$ has conditional "
            r"expectation $\nabla R(\theta_1)$ given $\theta_1$, where $R(\theta) = \mathbb{E}_x\, L(\theta, x)$; "
            r"for all values $x_1, x_2, x_3$, $\theta_0$ and $\eta$ with $\theta_1$ determining $a$."
        ),
        check=_passes,
        right="fresh",
        wrong="reuse",
        control="a second pass: b is the example a the first step was taken on (b = a), judged against R",
        evidence="proof",
        scope="a population of three equally likely values, loss (theta - x)^4 / 4, one step; the joint law of "
              "(a, b) enumerated and conditioned on theta_1; values, theta_0 and eta symbolic",
    )
)


# --- exercises: the claims behind the page's answer boxes ----------------------

import itertools  # noqa: E402

from gradavg.checks.answers import exercise_claim  # noqa: E402
from gradavg.engine.claims import Answer  # noqa: E402
from gradavg.engine.gradients import difference_quotient, limit_at_zero  # noqa: E402


def _gap_after_first(s):
    """E[g_2 | the first step used x_1] - grad C(theta_1), three examples, batches of one, a reshuffled epoch.

    Every gradient is a limit of difference quotients; the expectation is over the 6 equally likely orderings,
    kept when their first example is x_1 (which fixes theta_1), of the second example's gradient at theta_1.
    """
    theta, theta_0, eta = sp.symbols("theta theta_0 eta", real=True)
    losses = [(theta - s[f"x_{k}"]) ** 2 / 2 for k in (1, 2, 3)]

    def gradient(cost, at):
        return limit_at_zero(difference_quotient(cost, theta)).xreplace({theta: at})

    theta_1 = theta_0 - eta * gradient(losses[0], theta_0)
    after_x_1 = [order for order in itertools.permutations(range(3)) if order[0] == 0]
    next_gradient = sp.Add(*[gradient(losses[order[1]], theta_1) for order in after_x_1]) / len(after_x_1)
    return sp.expand(next_gradient - gradient(sum(losses) / 3, theta_1))


_XS = "x_1,x_2,x_3"
register(exercise_claim(
    "shuffle.exercise-gap-after-first",
    r"Three examples, $L_i(\theta) = (\theta - x_i)^2/2$, batches of one, a reshuffled epoch whose first step used "
    r"$x_1$: $\mathbb{E}[g_2 \mid \theta_1] - \nabla C(\theta_1) = \tfrac16 (2 x_1 - x_2 - x_3)$",
    answer=Answer("(2*x_1 - x_2 - x_3)/6", _XS, "E[g_2 | theta_1] - grad C(theta_1) ="),
    wrong=Answer("(2*x_1 - x_2 - x_3)/4", _XS, "E[g_2 | theta_1] - grad C(theta_1) ="),
    truth=_gap_after_first,
    control="the two-example gap (x_a - x_b)/2 carried over: half of x_1 minus the mean of the unused examples",
    scope="N = 3, every real x_1, x_2, x_3, theta_0 and eta (theta_0 and eta cancel); the 6 orderings listed and "
          "those whose first example is x_1 kept; gradients from difference quotients",
))


def _expected_sum_of_means(n: int = 5, batch: int = 2):
    """E[sum of the epoch's batch means] / G over all n! orderings, symbolic one-component gradients."""
    grads = [sp.Symbol(f"g{k}", real=True) for k in range(1, n + 1)]
    total = 0
    orderings = list(itertools.permutations(grads))
    for ordering in orderings:
        for start in range(0, n, batch):
            chunk = ordering[start:start + batch]
            total += sp.Add(*chunk) / len(chunk)
    return sp.cancel(total / len(orderings) / (sp.Add(*grads) / n))


register(exercise_claim(
    "shuffle.exercise-sum-of-means",
    r"For $N = 5$, $B = 2$ and a uniformly random ordering, the expected sum of the three batch means is $3G$",
    answer=Answer("3", "", "c ="),
    wrong=Answer("5/2", "", "c ="),
    truth=lambda s: _expected_sum_of_means(),
    control="N/B = 5/2, the number of full batches' worth of examples, as if the short last batch counted by its size",
    scope="N = 5, B = 2 (batches of 2, 2, 1), every one of the 120 orderings listed, one-component symbolic gradients "
          "with a nonzero sum",
))
