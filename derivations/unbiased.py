"""A uniformly drawn minibatch mean is an unbiased estimate of the full gradient."""

from __future__ import annotations

import itertools

import sympy as sp

from gradavg.checks.batchcheck import all_rejected, check_every_size, decide_for_all_integers
from gradavg.engine.claims import Claim, Verdict, register, weakest
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


def block_without_wraparound(grads, batch_size):
    """B consecutive examples starting at a uniformly random position, without wrapping around the end.

    The N - B + 1 starts are equally likely, so the first and last examples are
    in fewer batches than the middle ones (at N = 4, B = 2: 1/3, 2/3, 2/3, 1/3).

    Example:
        >>> block_without_wraparound([[0], [3], [6]], 2).mean
        [Fraction(3, 1)]
    """
    n = len(grads)
    return moments_over(grads, [(tuple(range(start, start + batch_size)), 1) for start in range(n - batch_size + 1)])


def never_the_last_draws(grads, batch_size):
    """B draws with replacement from the first N - 1 examples only: the off-by-one ``rng.integers(0, N - 1)``.

    NumPy's upper bound is exclusive, so this slip never draws the last example;
    it needs N >= 2.

    Example:
        >>> never_the_last_draws([[0], [3]], 1).mean
        [Fraction(0, 1)]
    """
    last = len(grads) - 1
    return moments_over(grads, [(batch, 0 if last in batch else weight)
                                for batch, weight in uniform_batches(len(grads), batch_size, replace=True)])


def _uniform(replace):
    return lambda grads, b: minibatch_moments(grads, b, replace=replace)


register(
    Claim(
        id="unbiased.without-replacement",
        statement=(
            rf"For every $N \le {LARGEST_N_WITHOUT}$ and $1 \le B \le N$: draw $B$ of the $N$ examples uniformly "
            r"without replacement (every subset equally likely), with the examples fixed and every gradient taken "
            r"at the same $\theta$. Then $\mathbb{E}\,\frac{1}{B}\sum_{i\in S} g_i = \frac{1}{N}\sum_{i=1}^{N} g_i$ "
            r"for all values of two-component gradients."
        ),
        check=lambda: check_every_size(SIZES_WITHOUT, lambda g, b: bias(_uniform(False), g, b)),
        control="a block of B consecutive examples starting at a uniform position, without wrap-around",
        control_check=lambda: check_every_size(SIZES_WITHOUT, lambda g, b: bias(block_without_wraparound, g, b),
                                               symbolic=False),
        evidence="exhaustive",
        scope="N <= 6 and every B <= N; every subset enumerated; gradients symbolic",
    )
)

register(
    Claim(
        id="unbiased.with-replacement",
        statement=(
            rf"For every $N \le {LARGEST_N_WITH}$ and $1 \le B \le {LARGEST_B_WITH}$ ($B > N$ included): draw $B$ "
            r"examples independently and "
            r"uniformly with replacement, with the examples fixed and every gradient taken at the same $\theta$. "
            r"Then the expected batch mean is the full gradient, for all values of two-component gradients."
        ),
        check=lambda: check_every_size(SIZES_WITH, lambda g, b: bias(_uniform(True), g, b)),
        control="the off-by-one draw rng.integers(0, N - 1), which never picks the last example (a control must "
                "break the symmetry between examples: any sampler that treats all labels alike is unbiased)",
        control_check=lambda: check_every_size([(n, b) for n, b in SIZES_WITH if n >= 2],
                                               lambda g, b: bias(never_the_last_draws, g, b)),
        evidence="exhaustive",
        scope="N <= 5 and 1 <= B <= 5, B > N included; every sequence of draws enumerated; gradients symbolic",
    )
)

# --- symbolic N and B: the weight of one example in the expected batch mean ----------------

N = sp.Symbol("N", integer=True, positive=True)
B = sp.Symbol("B", integer=True, positive=True)
I = sp.Symbol("i", integer=True, positive=True)
#: the multiplicity of example i in an ordered sample, and X = N - 1 >= 1 (so N >= 2)
M = sp.Symbol("m", integer=True, nonnegative=True)
X = sp.Symbol("X", integer=True, positive=True)
COUNTED_UP_TO = 7


def subsets_containing() -> sp.Expr:
    """Subsets of size B containing example i, by complement: all C(N, B) minus the C(N-1, B) that avoid i.

    Example:
        >>> subsets_containing().subs({N: 4, B: 2})
        3
    """
    return sp.binomial(N, B) - sp.binomial(N - 1, B)


def occurrences_by_multiplicity() -> sp.Expr:
    """Occurrences of example i over all N^B ordered samples, summed over its multiplicity m.

    C(B, m) (N-1)^(B-m) samples hold i exactly m times (choose its m positions, fill
    the others with any of the other N - 1 examples); each contributes m occurrences.
    The sum is left unevaluated.

    Example:
        >>> occurrences_by_multiplicity().subs({N: 3, B: 2}).doit()
        6
    """
    return sp.Sum(M * sp.binomial(B, M) * (N - 1) ** (B - M), (M, 0, B))


def samples_containing() -> sp.Expr:
    """The slip a reader makes: count the ordered samples that contain i, N^B - (N-1)^B, ignoring repeats.

    Example:
        >>> samples_containing().subs({N: 2, B: 2})
        3
    """
    return N**B - (N - 1) ** B


def _closed_form(total: sp.Sum) -> sp.Expr:
    """SymPy's closed form of ``total`` for every integer N >= 2, after checking the condition it comes with.

    The sum is evaluated with ``X = N - 1`` a positive integer (so N >= 2). ``Sum.doit``
    answers with a Piecewise whose first branch holds under a condition; each
    inequality ``a <= b`` in it is replaced by True only when ``b - a`` is provably
    nonnegative, and the branch is used only if the whole condition becomes True.
    """
    closed = total.xreplace({N: X + 1}).doit()
    for piecewise in closed.atoms(sp.Piecewise):
        value, condition = piecewise.args[0]
        true = {r: sp.true for r in condition.atoms(sp.Rel)
                if isinstance(r, sp.Le) and sp.factor(r.rhs - r.lhs).is_nonnegative}
        if condition.xreplace(true) is not sp.true:
            raise ArithmeticError(f"the closed form of {total} needs {condition}, not shown to hold")
        closed = closed.xreplace({piecewise: value})
    return closed.xreplace({X: N - 1})


def subset_weight(containing: sp.Expr) -> sp.Expr:
    """The coefficient of g_i in the expected batch mean over uniform subsets: each containing subset adds 1/B."""
    return containing / (B * sp.binomial(N, B))


def ordered_weight(occurrences: sp.Expr) -> sp.Expr:
    """The coefficient of g_i in the expected batch mean over the N^B ordered samples: each occurrence adds 1/B."""
    return occurrences / (B * N**B)


def block_without_wraparound_weight() -> sp.Expr:
    """The coefficient of g_i for B consecutive examples starting at a uniform position, without wrapping around.

    There are N - B + 1 starts; the block covers i for the starts from max(1, i-B+1) to min(i, N-B+1).

    Example:
        >>> [block_without_wraparound_weight().subs({N: 4, B: 2, I: i}) * 2 for i in range(1, 5)]
        [1/3, 2/3, 2/3, 1/3]
    """
    starts = sp.Min(I, N - B + 1) - sp.Max(1, I - B + 1) + 1
    return starts / (B * (N - B + 1))


def _ranges(replace: bool, with_index: bool = False) -> dict:
    """Integer points to try first: N up to COUNTED_UP_TO, B up to N (or any B up to it with replacement)."""
    ranges = {N: lambda p: range(1, COUNTED_UP_TO + 1),
              B: (lambda p: range(1, COUNTED_UP_TO + 1)) if replace else (lambda p: range(1, int(p[N]) + 1))}
    if with_index:
        ranges[I] = lambda p: range(1, int(p[N]) + 1)
    return ranges


def _count_matches_enumeration() -> None:
    """The two counting formulas the proof starts from, against brute force at small N and B (a sanity check)."""
    for n in range(1, 6):
        for b in range(1, 6):
            ordered = sum(s.count(0) for s in itertools.product(range(n), repeat=b))
            if occurrences_by_multiplicity().subs({N: n, B: b}).doit() != ordered:
                raise ArithmeticError(f"the multiplicity count disagrees with enumeration at (N, B) = {(n, b)}")
            if b <= n and subsets_containing().subs({N: n, B: b}) != sum(
                    1 for s in itertools.combinations(range(n), b) if 0 in s):
                raise ArithmeticError(f"the complement count disagrees with enumeration at (N, B) = {(n, b)}")


def _decide(expression, ranges, how="combsimp (binomial and power identities)") -> Verdict:
    return decide_for_all_integers(expression, ranges, lambda e: sp.simplify(sp.combsimp(e)), how)


def _any_n() -> Verdict:
    """Prove the counting identities and each weight equal to 1/N, for symbolic N and B.

    Both sides of each count are formulas from written counting arguments; they are
    compared with brute force for N, B <= 5 (the only machine check that they count).
    """
    _count_matches_enumeration()
    occurrences = _closed_form(occurrences_by_multiplicity())  # every N >= 2
    steps = [
        # subsets: the complement count is the bijection count C(N-1, B-1) (Pascal), and the weight is 1/N
        _decide(subsets_containing() - sp.binomial(N - 1, B - 1), _ranges(False)),
        _decide(subset_weight(subsets_containing()) - 1 / N, _ranges(False)),
        # ordered samples, N >= 2: the multiplicity sum is B N^(B-1), and the weight is 1/N
        _decide(occurrences - B * N ** (B - 1), {**_ranges(True), N: lambda p: range(2, COUNTED_UP_TO + 1)}),
        _decide(ordered_weight(occurrences) - 1 / N, {**_ranges(True), N: lambda p: range(2, COUNTED_UP_TO + 1)}),
        # every N >= 1 (N = 1 included, where the only sample is (1, ..., 1)): B N^(B-1) / (B N^B) = 1/N
        _decide(ordered_weight(B * N ** (B - 1)) - 1 / N, _ranges(True)),
    ]
    for verdict in steps:
        if not verdict.holds:
            return verdict
    return Verdict(True, "symbolic: combsimp proves C(N,B) - C(N-1,B) = C(N-1,B-1), SymPy's closed form of the "
                         "multiplicity sum (its condition checked) equal to B N^(B-1) for N >= 2, and both weights "
                         "equal to 1/N (integer points checked first). Both sides of each count are formulas from "
                         "written counting arguments; that they count is checked only against brute force for "
                         "N, B <= 5",
                   evidence=weakest([v.evidence for v in steps]))


register(
    Claim(
        id="unbiased.any-n",
        statement=(
            r"For all integers $N \ge 1$ and $1 \le B \le N$, $\binom{N}{B} - \binom{N-1}{B} = \binom{N-1}{B-1}$ "
            r"and $\binom{N-1}{B-1}\big/\bigl(B\binom{N}{B}\bigr) = \frac{1}{N}$; for all $N \ge 2$ and $B \ge 1$, "
            r"$\sum_{m=0}^{B} m\binom{B}{m}(N-1)^{B-m} = B N^{B-1}$; and for all $N, B \ge 1$, "
            r"$B N^{B-1}\big/\bigl(B N^{B}\bigr) = \frac{1}{N}$."
        ),
        check=_any_n,
        control="a block of B consecutive examples at a uniform start without wrap-around (subsets); counting the "
                "ordered samples that contain i, N^B - (N-1)^B, instead of its occurrences (with replacement)",
        control_check=lambda: all_rejected([
            _decide(block_without_wraparound_weight() - 1 / N, _ranges(False, with_index=True)),
            _decide(ordered_weight(samples_containing()) - 1 / N, _ranges(True))]),
        evidence="proof",
        scope="the identities, symbolic, for every N >= 1 (N >= 2 for the multiplicity sum) and 1 <= B <= N "
              "(subsets) or B >= 1; that their left sides count the subsets holding i and the occurrences of i is "
              "the written counting argument, checked only by brute force for N, B <= 5",
    )
)


# --- exercises: the claims behind the page's answer boxes ----------------------

from gradavg.checks.answers import exercise_claim  # noqa: E402
from gradavg.engine.claims import Answer  # noqa: E402

_FOUR = "g_1,g_2,g_3,g_4"
register(exercise_claim(
    "unbiased.exercise-block-weights",
    r"For $N = 4$, $B = 2$ and the block of two consecutive examples at a uniform start without wrap-around, "
    r"$\mathbb{E}\,\hat g_S = \tfrac16 (g_1 + 2 g_2 + 2 g_3 + g_4)$",
    answer=Answer("(g_1 + 2*g_2 + 2*g_3 + g_4)/6", _FOUR, "E[batch mean] ="),
    wrong=Answer("(g_1 + g_2 + g_3 + g_4)/4", _FOUR, "E[batch mean] ="),
    truth=lambda s: block_without_wraparound([[s[f"g_{k}"]] for k in range(1, 5)], 2).mean[0],
    control="the full gradient G, as if the block without wrap-around were unbiased",
    scope="N = 4, B = 2, one-component gradients g_1, ..., g_4, every real value; the expectation by listing the "
          "three equally likely blocks",
))


def _importance_weight(s):
    """The factor c_1 that makes one draw (example 1 with probability p, else example 2) unbiased, solved for."""
    c_1, c_2, g_1, g_2 = sp.symbols("c_1 c_2 g_1 g_2")
    expected = s["p"] * c_1 * g_1 + (1 - s["p"]) * c_2 * g_2
    (weight,) = sp.solve(sp.expand(expected - (g_1 + g_2) / 2).coeff(g_1), c_1)
    return weight


register(exercise_claim(
    "unbiased.exercise-importance-weight",
    r"One draw, example 1 with probability $p$ and example 2 with $1 - p$: for the estimate $c_1 g_1$ (or "
    r"$c_2 g_2$) to be unbiased for $G = \tfrac12 (g_1 + g_2)$ for all gradients, $c_1$ must be $\frac{1}{2p}$",
    answer=Answer("1/(2*p)", "p", "c_1 ="),
    wrong=Answer("1/p", "p", "c_1 ="),
    truth=_importance_weight,
    control="1/p, the importance weight of the sum g_1 + g_2 (the 1/N of the mean dropped)",
    scope="N = 2, one draw, every p with 0 < p < 1; c_1 solved from the coefficient of g_1 in E[estimate] - G",
))
