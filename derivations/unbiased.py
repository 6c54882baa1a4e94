"""A uniformly drawn minibatch mean is an unbiased estimate of the full gradient."""

from __future__ import annotations

import itertools
import math

import sympy as sp

from gradavg.checks.batchcheck import check_every_size, decide_for_all_integers
from gradavg.engine.claims import Claim, Verdict, register
from gradavg.checks.estimation import full_gradient, minibatch_moments, moments_over, uniform_batches

#: dataset sizes enumerated exactly, every batch size for each
LARGEST_N_WITHOUT, LARGEST_N_WITH, LARGEST_B_WITH = 6, 5, 5
SIZES_WITHOUT = [(n, b) for n in range(1, LARGEST_N_WITHOUT + 1) for b in range(1, n + 1)]
SIZES_WITH = [(n, b) for n in range(1, LARGEST_N_WITH + 1) for b in range(1, LARGEST_B_WITH + 1)]


def bias(moments_of, grads, batch_size) -> list:
    """Expected batch mean minus the full gradient, componentwise."""
    return [e - g for e, g in zip(moments_of(grads, batch_size).mean, full_gradient(grads))]


def first_batch_of_sorted(grads, batch_size):
    """The first consecutive batch after sorting the examples by their first gradient component.

    A deterministic 'sampler': the batch an epoch over sorted data starts with.
    """
    order = sorted(range(len(grads)), key=lambda i: grads[i][0])
    return moments_over(grads, [(tuple(order[:batch_size]), 1)])


def index_proportional_draws(grads, batch_size):
    """B draws with replacement, example i (1-based) drawn with probability i / (N(N+1)/2)."""
    batches = []
    for batch, weight in uniform_batches(len(grads), batch_size, replace=True):
        batches.append((batch, weight * math.prod(i + 1 for i in batch)))
    return moments_over(grads, batches)


def _uniform(replace):
    return lambda grads, b: minibatch_moments(grads, b, replace=replace)


register(
    Claim(
        id="unbiased.without-replacement",
        statement=(
            r"Draw $B$ of the $N$ examples uniformly without replacement (every subset equally likely), with the "
            r"examples fixed and every gradient taken at the same $\theta$. Then "
            r"$\mathbb{E}\,\frac{1}{B}\sum_{i\in S} g_i = \frac{1}{N}\sum_{i=1}^{N} g_i$, "
            rf"checked for $N \le {LARGEST_N_WITHOUT}$ and every $B \le N$."
        ),
        check=lambda: check_every_size(SIZES_WITHOUT, lambda g, b: bias(_uniform(False), g, b)),
        control="the first consecutive batch of an epoch over data sorted by gradient",
        control_check=lambda: check_every_size(SIZES_WITHOUT, lambda g, b: bias(first_batch_of_sorted, g, b),
                                               symbolic=False),
        evidence="exhaustive",
        scope="N <= 6 and every B <= N; every subset enumerated; gradients symbolic",
    )
)

register(
    Claim(
        id="unbiased.with-replacement",
        statement=(
            r"Draw $B$ examples independently and uniformly with replacement, with the examples fixed and every "
            r"gradient taken at the same $\theta$. Then the expected batch mean is the full gradient, "
            rf"checked for $N \le {LARGEST_N_WITH}$ and $B \le {LARGEST_B_WITH}$."
        ),
        check=lambda: check_every_size(SIZES_WITH, lambda g, b: bias(_uniform(True), g, b)),
        control="each draw picks example i with probability proportional to i",
        control_check=lambda: check_every_size(SIZES_WITH, lambda g, b: bias(index_proportional_draws, g, b)),
        evidence="exhaustive",
        scope="N <= 5 and B <= 5; every sequence of draws enumerated; gradients symbolic",
    )
)

# --- symbolic N and B: the weight of one example in the expected batch mean ----------------

N = sp.Symbol("N", integer=True, positive=True)
B = sp.Symbol("B", integer=True, positive=True)
I = sp.Symbol("i", integer=True, positive=True)
COUNTED_UP_TO = 7


COUNTS_WITHOUT = [(n, b) for n in range(1, COUNTED_UP_TO + 1) for b in range(1, n + 1)]
#: with replacement B may exceed N: every (N, B) with N, B <= 6
COUNTS_WITH = [(n, b) for n in range(1, 7) for b in range(1, 7)]


def subset_count_matches(n: int, b: int) -> bool:
    """Subsets of size b containing example 1, counted by enumeration, against C(N-1, B-1)."""
    return sum(1 for s in itertools.combinations(range(n), b) if 0 in s) == math.comb(n - 1, b - 1)


def occurrence_count_matches(n: int, b: int) -> bool:
    """Occurrences of example 1 across all N^B ordered samples, counted by enumeration, against B N^(B-1)."""
    return sum(s.count(0) for s in itertools.product(range(n), repeat=b)) == b * n ** (b - 1)


def example_weight(replace: bool) -> sp.Expr:
    """The coefficient of g_i in the expected batch mean, from counting the batches that contain i.

    Without replacement: each of the C(N-1, B-1) subsets containing i adds g_i / B,
    over C(N, B) equally likely subsets. With replacement: i occurs B N^(B-1) times
    across the N^B ordered samples, each occurrence adding g_i / B.
    """
    if replace:
        return B * N ** (B - 1) / (B * N**B)
    return sp.binomial(N - 1, B - 1) / (B * sp.binomial(N, B))


def size_biased_weight() -> sp.Expr:
    """The coefficient of g_i when a subset is drawn with probability proportional to the sum of its indices."""
    total_index = N * (N + 1) / 2
    containing = I * sp.binomial(N - 1, B - 1) + (total_index - I) * sp.binomial(N - 2, B - 2)
    return containing / (B * sp.binomial(N - 1, B - 1) * total_index)


def _ranges(replace: bool, with_index: bool = False) -> dict:
    """Integer points to try first: N up to COUNTED_UP_TO, B up to N (or any B up to it with replacement)."""
    ranges = {N: lambda p: range(1, COUNTED_UP_TO + 1),
              B: (lambda p: range(1, COUNTED_UP_TO + 1)) if replace else (lambda p: range(1, int(p[N]) + 1))}
    if with_index:
        ranges[I] = lambda p: range(1, int(p[N]) + 1)
    return ranges


def _any_n(weights_and_ranges) -> Verdict:
    """Enumerate the counts the weights rest on, then decide each weight identity for symbolic N and B."""
    for matches, sizes in ((subset_count_matches, COUNTS_WITHOUT), (occurrence_count_matches, COUNTS_WITH)):
        wrong = [size for size in sizes if not matches(*size)]
        if wrong:
            raise ArithmeticError(f"a batch count disagrees with enumeration at (N, B) = {wrong[0]}")
    verdicts = []
    for weight, ranges in weights_and_ranges:
        verdict = decide_for_all_integers(weight - 1 / N, ranges, lambda e: sp.simplify(sp.combsimp(e)),
                                          "combsimp (binomial and power identities)")
        if not verdict.holds:
            return verdict
        verdicts.append(verdict)
    # the weight identities are proved for every N and B; the counts they rest on are enumerated
    return Verdict(True, verdicts[0].method + f"; subset counts enumerated for N <= {COUNTED_UP_TO}, occurrence "
                                              "counts for N, B <= 6", evidence="exhaustive")


register(
    Claim(
        id="unbiased.any-n",
        statement=(
            r"If each example lies in $\binom{N-1}{B-1}$ of the $\binom{N}{B}$ subsets of size $B$, and occurs "
            r"$B N^{B-1}$ times in all among the $N^B$ ordered samples with replacement (counts checked by "
            rf"enumeration for $N \le {COUNTED_UP_TO}$, and for $N, B \le 6$ with replacement), then for every "
            r"$N \ge 1$ and $1 \le B \le N$ (subsets) or $B \ge 1$ (with replacement) each example's gradient enters "
            r"the expected batch mean with weight "
            r"$\binom{N-1}{B-1}\big/\bigl(B\binom{N}{B}\bigr) = \frac{B N^{B-1}}{B N^{B}} = \frac{1}{N}$."
        ),
        check=lambda: _any_n([(example_weight(False), _ranges(False)), (example_weight(True), _ranges(True))]),
        control="subsets drawn with probability proportional to the sum of their indices",
        control_check=lambda: _any_n([(size_biased_weight(), _ranges(False, with_index=True))]),
        evidence="exhaustive",
        scope=f"the weight identities for every N and B (symbolic); the counts they rest on enumerated for "
              f"N <= {COUNTED_UP_TO} (subsets, every B <= N) and N, B <= 6 (ordered samples, B > N included)",
    )
)
