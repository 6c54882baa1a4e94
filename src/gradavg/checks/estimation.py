"""Minibatch estimates of the full gradient, by exact enumeration of every batch.

The functions here are the ground truth the pages' formulas are checked
against: :func:`minibatch_moments` lists every equally likely batch and
averages over them, and never uses a variance formula. Exact inputs (ints,
:class:`fractions.Fraction`, SymPy rationals) give exact outputs; SymPy
symbols are carried through unexpanded; floats give floats.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable, Iterator, Sequence

import sympy as sp

from ..engine.sums import as_statistics, statistic


@dataclass(frozen=True)
class Moments:
    """The first two moments of a minibatch mean over a sampling scheme.

    Attributes:
        mean: the expected minibatch mean, one entry per gradient component.
        variance: the expected squared distance of the minibatch mean from
            ``mean``, ``E|g_B - E g_B|^2`` (the trace of its covariance).
        batches: how many equally likely batches the expectation averages over
            (ordered samples with replacement, subsets without), or for a
            weighted sampler how many batches have positive weight.

    Example:
        >>> m = Moments(mean=[Fraction(2)], variance=Fraction(2, 3), batches=3)
        >>> m == minibatch_moments([[0], [2], [4]], 2)
        True
        >>> m.variance
        Fraction(2, 3)
    """

    mean: list
    variance: Any
    batches: int


def _exact(value):
    """SymPy rationals become Fractions (fast); everything else is kept."""
    if isinstance(value, sp.Rational):
        return int(value) if value.q == 1 else Fraction(int(value.p), int(value.q))
    if isinstance(value, sp.Float):
        return float(value)
    return value


def as_vectors(grads) -> list[list]:
    """Check ``grads`` (N per-example gradient vectors) and return them as lists.

    Raises ``ValueError`` when there are no examples, when a vector is empty,
    or when the vectors have different lengths.

    Example:
        >>> as_vectors([[1, 2], [3, 4]])
        [[1, 2], [3, 4]]
    """
    try:
        vectors = [[_exact(v) for v in row] for row in grads]
    except TypeError as error:
        raise ValueError(f"grads must be a sequence of gradient vectors: {error}") from None
    if not vectors:
        raise ValueError("grads is empty: need at least one example")
    lengths = {len(v) for v in vectors}
    if len(lengths) != 1:
        raise ValueError(f"gradient vectors have different lengths {sorted(lengths)}")
    if 0 in lengths:
        raise ValueError("gradient vectors are empty")
    return vectors


def _scale(vector: list, factor: Fraction) -> list:
    return [factor * v for v in vector]


def _add(a: list, b: list) -> list:
    return [x + y for x, y in zip(a, b)]


def squared_norm(vector: list):
    """The sum of the squares of a vector's entries (exact for exact entries).

    Example:
        >>> squared_norm([Fraction(1, 2), 1])
        Fraction(5, 4)
    """
    return sum((v * v for v in vector[1:]), vector[0] * vector[0])


def full_gradient(grads) -> list:
    """The mean of the per-example gradients (exact for exact inputs).

    Example:
        >>> full_gradient([[1, 0], [0, 1]])
        [Fraction(1, 2), Fraction(1, 2)]
    """
    vectors = as_vectors(grads)
    total = vectors[0]
    for v in vectors[1:]:
        total = _add(total, v)
    return _scale(total, Fraction(1, len(vectors)))


def uniform_batches(n: int, batch_size: int, replace: bool = False) -> Iterator[tuple[tuple[int, ...], int]]:
    """Every batch of ``batch_size`` indices out of ``range(n)`` with its weight.

    Without replacement: each subset once, weight 1 (``C(n, B)`` equally likely
    batches). With replacement: each multiset once, weighted by how many ordered
    samples give it (the multinomial coefficient), ``n**B`` ordered samples in all.

    Example:
        >>> list(uniform_batches(2, 2, replace=True))
        [((0, 0), 1), ((0, 1), 2), ((1, 1), 1)]
    """
    if replace:
        for batch in itertools.combinations_with_replacement(range(n), batch_size):
            weight = math.factorial(batch_size)
            for count in Counter(batch).values():
                weight //= math.factorial(count)
            yield batch, weight
    else:
        for batch in itertools.combinations(range(n), batch_size):
            yield batch, 1


def moments_over(grads, weighted_batches: Iterable[tuple[Sequence[int], Any]]) -> Moments:
    """Moments of the batch mean when batch ``b`` is drawn with probability proportional to its weight.

    ``weighted_batches`` yields ``(indices, weight)`` pairs; weights are
    nonnegative and need not sum to one. Batches may have different sizes:
    each batch's mean divides by its own size.

    Example:
        >>> m = moments_over([[0], [2]], [((0,), 1), ((1,), 3)])
        >>> m.mean, m.variance, m.batches
        ([Fraction(3, 2)], Fraction(3, 4), 2)
    """
    vectors = as_vectors(grads)
    means, weights = [], []
    for batch, weight in weighted_batches:
        if weight == 0:
            continue
        if weight < 0 or not batch:
            raise ValueError(f"batch {tuple(batch)} has weight {weight} or is empty")
        total = vectors[batch[0]]
        for index in batch[1:]:
            total = _add(total, vectors[index])
        means.append(_scale(total, Fraction(1, len(batch))))
        weights.append(weight)
    if not weights:
        raise ValueError("no batch has positive weight")
    total_weight = sum(weights)
    scale = Fraction(1, total_weight) if isinstance(total_weight, int) else 1 / total_weight
    expected = [0] * len(vectors[0])
    for mean, weight in zip(means, weights):
        expected = _add(expected, _scale(mean, weight))
    expected = _scale(expected, scale)
    spread = 0
    for mean, weight in zip(means, weights):
        spread += weight * squared_norm([m - e for m, e in zip(mean, expected)])
    return Moments(expected, scale * spread, len(weights))


def minibatch_moments(grads, batch_size: int, replace: bool = False) -> Moments:
    """Mean and variance of the minibatch mean gradient, by enumerating every batch.

    Every equally likely batch of ``batch_size`` examples is listed: the
    ``N**B`` ordered samples with replacement (grouped into multisets with
    multinomial weights) or the ``C(N, B)`` subsets without. No variance formula
    is used, so the result can check one.

    Args:
        grads: N per-example gradient vectors of one length (ints, Fractions,
            SymPy rationals or symbols, or floats).
        batch_size: B, the number of examples in a batch.
        replace: sample with replacement (i.i.d. uniform draws) or without.

    Returns:
        :class:`Moments` with ``mean`` (a list), ``variance`` and ``batches``.

    Raises:
        ValueError: empty or ragged ``grads``, ``batch_size < 1``, or
            ``batch_size > N`` without replacement.

    Example:
        >>> m = minibatch_moments([[0], [2], [4]], 2)
        >>> m.mean, m.variance, m.batches
        ([Fraction(2, 1)], Fraction(2, 3), 3)
        >>> minibatch_moments([[0], [2], [4]], 2, replace=True).variance
        Fraction(4, 3)
    """
    vectors = as_vectors(grads)
    n = len(vectors)
    try:
        size = operator.index(batch_size)
    except TypeError:
        size = None
    if isinstance(batch_size, bool) or size is None or size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    batch_size = size
    if not replace and batch_size > n:
        raise ValueError(f"batch_size {batch_size} exceeds N = {n} without replacement")
    moments = moments_over(vectors, uniform_batches(n, batch_size, replace))
    equally_likely = n**batch_size if replace else math.comb(n, batch_size)
    return Moments(moments.mean, moments.variance, equally_likely)


def gradient_variance(grads):
    """sigma^2: the mean squared distance of the per-example gradients from their mean (divisor N).

    It is the trace of their covariance matrix with divisor N.

    Example:
        >>> gradient_variance([[0, 0], [2, 0]])
        Fraction(1, 1)
    """
    vectors = as_vectors(grads)
    mean = full_gradient(vectors)
    total = sum(squared_norm([g - m for g, m in zip(v, mean)]) for v in vectors)
    return Fraction(1, len(vectors)) * total


def noise_scale(grads):
    """The simple gradient noise scale ``B_simple = tr(Sigma) / |G|^2``.

    ``G`` is the full gradient (the mean of the per-example gradients) and
    ``Sigma`` their covariance with divisor N. Exact for exact inputs.

    Raises:
        ValueError: invalid ``grads`` (see :func:`as_vectors`) or ``G = 0``.

    Example:
        >>> noise_scale([[1, 0], [3, 0]])
        Fraction(1, 4)
    """
    vectors = as_vectors(grads)
    size = squared_norm(full_gradient(vectors))
    if size == 0:
        raise ValueError("the full gradient is zero: the noise scale is undefined")
    return gradient_variance(vectors) / size


def two_batch_estimates(small_mean, big_mean, small: int, big: int) -> tuple:
    """Estimates of ``|G|^2`` and ``tr(Sigma)`` from batch means of two sizes (McCandlish et al. 2018, A.1).

    With ``|G_B|^2`` the squared norm of a batch-``B`` mean,
    ``|G|^2 ~ (big |G_big|^2 - small |G_small|^2) / (big - small)`` and
    ``tr(Sigma) ~ (|G_small|^2 - |G_big|^2) / (1/small - 1/big)``.

    Example:
        >>> two_batch_estimates([2], [1], 1, 2)
        (Fraction(-2, 1), Fraction(6, 1))
    """
    if not 0 < small < big:
        raise ValueError(f"need 0 < small < big, got small={small}, big={big}")
    g_small, g_big = squared_norm([_exact(v) for v in small_mean]), squared_norm([_exact(v) for v in big_mean])
    squared_gradient = Fraction(1, big - small) * (big * g_big - small * g_small)
    trace = Fraction(small * big, big - small) * (g_small - g_big)
    return squared_gradient, trace


def nested_two_batch_expectations(grads, small: int, big: int, replace: bool = True) -> tuple:
    """Expected two-batch estimates when the small batch is the first ``small`` draws of the big one.

    As per-worker gradients and their all-reduced mean are: every ordered big
    batch (with replacement, or without: an ordered sample of distinct indices) is
    equally likely, and the small batch is made of its first ``small`` positions.

    Example:
        >>> nested_two_batch_expectations([[1], [3]], 1, 2)
        (Fraction(4, 1), Fraction(1, 1))
    """
    vectors = as_vectors(grads)
    n = len(vectors)
    if not 0 < small < big or (not replace and big > n):
        raise ValueError(f"need 0 < small < big (<= N = {n} without replacement), got {small}, {big}")
    samples = itertools.product(range(n), repeat=big) if replace else itertools.permutations(range(n), big)
    sums, count = [0, 0], 0
    for sample in samples:
        means = []
        for size in (small, big):
            total = vectors[sample[0]]
            for index in sample[1:size]:
                total = _add(total, vectors[index])
            means.append(_scale(total, Fraction(1, size)))
        estimates = two_batch_estimates(means[0], means[1], small, big)
        sums = [a + e for a, e in zip(sums, estimates)]
        count += 1
    return tuple(Fraction(1, count) * s for s in sums)


def two_batch_expectations(grads, small: int, big: int, replace: bool = True) -> tuple:
    """Expected two-batch estimates of ``(|G|^2, tr(Sigma))``, by enumerating every pair of batches.

    The small and the big batch are drawn independently (each uniformly, with or
    without replacement); every pair is listed with its weight and the two
    estimates of :func:`two_batch_estimates` are averaged exactly.

    Example:
        >>> two_batch_expectations([[1], [3]], 1, 2)
        (Fraction(4, 1), Fraction(1, 1))
    """
    vectors = as_vectors(grads)
    n = len(vectors)
    if not replace and big > n:
        raise ValueError(f"big batch {big} exceeds N = {n} without replacement")

    def batch_means(size):
        for batch, weight in uniform_batches(n, size, replace):
            total = vectors[batch[0]]
            for index in batch[1:]:
                total = _add(total, vectors[index])
            yield _scale(total, Fraction(1, size)), weight

    smalls, bigs = list(batch_means(small)), list(batch_means(big))
    total_weight = sum(w for _, w in smalls) * sum(w for _, w in bigs)
    sums = [0, 0]
    for small_mean, small_weight in smalls:
        for big_mean, big_weight in bigs:
            estimates = two_batch_estimates(small_mean, big_mean, small, big)
            for k in range(2):
                sums[k] += small_weight * big_weight * estimates[k]
    return tuple(Fraction(1, total_weight) * s for s in sums)


# --- symbolic N and B: moments of a batch from the laws of one and of two of its positions -------------

#: the dataset size, the batch size, and the summation indices of the symbolic moments
N_EXAMPLES, BATCH = sp.Symbol("N", integer=True, positive=True), sp.Symbol("B", integer=True, positive=True)
_INDEX, _OTHER = sp.symbols("i j", integer=True, positive=True)
#: one component of the per-example gradients, g_1, ..., g_N (a squared norm is the sum over components)
GRADIENT = sp.IndexedBase("g", real=True)
#: the sufficient statistics sum_i g_i and sum_i g_i^2
FIRST = statistic(GRADIENT[_INDEX], (_INDEX, 1, N_EXAMPLES))
SECOND = statistic(GRADIENT[_INDEX] ** 2, (_INDEX, 1, N_EXAMPLES))


def over_examples(summand: sp.Expr, index: sp.Symbol = _INDEX) -> sp.Expr:
    """``sum_{index=1}^N summand`` for symbolic ``N``, rewritten in the statistics ``FIRST``, ``SECOND``.

    Example:
        >>> over_examples(GRADIENT[_INDEX] - FIRST / N_EXAMPLES)
        0
    """
    rewritten, _ = as_statistics(sp.Sum(summand.xreplace({index: _INDEX}), (_INDEX, 1, N_EXAMPLES)))
    return sp.expand(rewritten)


def first_statistic(base: sp.IndexedBase = GRADIENT) -> sp.Symbol:
    """The statistic ``sum_i base_i`` (``FIRST`` for the default component ``g``).

    Example:
        >>> first_statistic() == FIRST, first_statistic(sp.IndexedBase("h"))
        (True, S[h[i]; i=1..N])
    """
    return statistic(base[_INDEX], (_INDEX, 1, N_EXAMPLES))


def sigma_squared(base: sp.IndexedBase = GRADIENT, other: sp.IndexedBase | None = None) -> sp.Expr:
    """sigma^2 = (1/N) sum_i (g_i - G)^2, G = (1/N) sum_i g_i (divisor N), in the statistics.

    With ``other`` (a second component h), the covariance entry
    ``(1/N) sum_i (g_i - G)(h_i - H)`` instead (divisor N).

    Example:
        >>> sigma_squared().xreplace({FIRST: 0, SECOND: 2, N_EXAMPLES: 2})
        1
        >>> h = sp.IndexedBase("h", real=True)
        >>> sp.expand(sigma_squared(GRADIENT, h) * N_EXAMPLES**2).free_symbols == {
        ...     FIRST, first_statistic(h), N_EXAMPLES, statistic(GRADIENT[_INDEX] * h[_INDEX], (_INDEX, 1, N_EXAMPLES))}
        True
    """
    other = base if other is None else other
    centred = (base[_INDEX] - first_statistic(base) / N_EXAMPLES) * (other[_INDEX] - first_statistic(other) / N_EXAMPLES)
    return over_examples(centred) / N_EXAMPLES


def position_moments(replace: bool, centred: bool = True, base: sp.IndexedBase = GRADIENT,
                     other: sp.IndexedBase | None = None) -> tuple[sp.Expr, sp.Expr]:
    """``(E x_j^2, E x_j x_l)`` for one position and for two distinct positions of a batch, symbolic ``N``.

    ``x = g - G`` (centred) or ``x = g``; with ``other`` (a second component
    ``h``, ``y = h - H`` or ``h``) the mixed moments ``(E x_j y_j, E x_j y_l)``. One position is a uniform index; two
    positions are independent uniform indices with replacement (all N^2 pairs) and
    a uniform pair of distinct indices without (all pairs minus the diagonal, over
    N(N - 1)). Every sum is reduced in the statistics: the cross terms are computed.

    Example:
        >>> position_moments(True)[1], sp.factor(position_moments(False)[1] / sigma_squared())
        (0, -1/(N - 1))
    """
    other = base if other is None else other

    def component(c):
        mean = first_statistic(c) / N_EXAMPLES
        return (lambda k: c[k] - mean) if centred else (lambda k: c[k])  # noqa: E731

    x, y = component(base), component(other)
    square = over_examples(x(_INDEX) * y(_INDEX)) / N_EXAMPLES
    all_pairs = over_examples(y(_OTHER) * over_examples(x(_INDEX)), _OTHER)
    if replace:
        return square, all_pairs / N_EXAMPLES**2
    return square, (all_pairs - over_examples(x(_INDEX) * y(_INDEX))) / (N_EXAMPLES * (N_EXAMPLES - 1))


def batch_mean_square(replace: bool, batch: sp.Expr = BATCH, centred: bool = True,
                      base: sp.IndexedBase = GRADIENT, other: sp.IndexedBase | None = None) -> sp.Expr:
    """``E x_S^2`` for the batch mean ``x_S``: ``(B E x_j^2 + B(B - 1) E x_j x_l) / B^2``, symbolic ``N``, ``B``.

    The square of a sum of B positions has B diagonal terms and B(B - 1) cross terms.
    With ``other``, the mixed moment ``E x_S y_S`` of two components (an entry of the covariance).

    Example:
        >>> sp.factor(batch_mean_square(True) / sigma_squared())
        1/B
    """
    square, cross = position_moments(replace, centred, base, other)
    return (batch * square + batch * (batch - 1) * cross) / batch**2


def batch_sample_variance(replace: bool, divisor: sp.Expr | None = None) -> sp.Expr:
    """``E s^2`` for ``s^2 = sum_k (g_{j_k} - gbar)^2 / divisor`` over a batch of B (default divisor B - 1).

    ``sum_k (g_{j_k} - gbar)^2 = sum_k g_{j_k}^2 - B gbar^2``, so its expectation is
    ``B E g_j^2 - B E gbar^2``, from the uncentred position moments.

    Example:
        >>> sp.factor(batch_sample_variance(True) / sigma_squared())
        1
    """
    divisor = BATCH - 1 if divisor is None else divisor
    square, _ = position_moments(replace, centred=False)
    return (BATCH * square - BATCH * batch_mean_square(replace, centred=False)) / divisor


def position_laws_match(n: int, b: int, replace: bool) -> bool:
    """Enumerate every ordered batch: is each position uniform, each pair of positions as :func:`position_moments` says?

    Example:
        >>> position_laws_match(4, 3, False), position_laws_match(3, 3, True)
        (True, True)
    """
    samples = list(itertools.product(range(n), repeat=b) if replace else itertools.permutations(range(n), b))
    support = {(i, j) for i in range(n) for j in range(n) if replace or i != j}
    for k in range(b):
        if len({sum(1 for s in samples if s[k] == i) for i in range(n)}) != 1:
            return False
        for m in range(k + 1, b):
            pairs = Counter((s[k], s[m]) for s in samples)
            if set(pairs) != support or len(set(pairs.values())) != 1:
                return False
    return True
