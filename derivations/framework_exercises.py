"""The exercises of the page "In a real framework": the claims behind its answer boxes.

They model what the page's JAX programs compute (pmean of local means, optax.MultiSteps' mean) in exact
arithmetic, with no JAX, so they run, and re-run in the browser, wherever SymPy does; the programs
themselves are checked by the claims of :mod:`gradavg.derivations.framework`.
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from gradavg.checks.answers import exercise_claim
from gradavg.engine.claims import Answer, register

#: the page's uneven shards of 44 examples
SHARDS = (5, 8, 13, 18)


def pmean_of_local_means_weight(sizes, example: int) -> sp.Rational:
    """The weight of one example in pmean of local means: the program run on a loss of 1 there and 0 elsewhere.

    Example:
        >>> pmean_of_local_means_weight((1, 3), 0)
        1/2
    """
    losses, start, local_means = [0] * sum(sizes), 0, []
    losses[example] = 1
    for size in sizes:
        local_means.append(Fraction(sum(losses[start:start + size]), size))
        start += size
    return sp.Rational(sum(local_means, Fraction(0)) / len(sizes))


register(exercise_claim(
    "framework-exercises.uneven-weight",
    r"In $\texttt{lax.pmean}$ of local mean losses over shards of $5, 8, 13, 18$ examples, each example of the "
    r"first shard has weight $\frac{1}{20}$",
    answer=Answer("1/20", "", "weight ="),
    wrong=Answer("1/44", "", "weight ="),
    truth=lambda s: pmean_of_local_means_weight(SHARDS, 0),
    control="1/44, the full-batch weight 1/N: pmean of local means taken for the full-batch mean",
    scope="shards of 5, 8, 13, 18 examples; the truth is the local means and their mean computed exactly on a loss "
          "of 1 at one example of the first shard and 0 elsewhere",
))


def _multisteps_divisor(s):
    """The D for which MultiSteps' default mean of (S_1/D, S_2/D) is the token mean (S_1 + S_2)/(n_1 + n_2)."""
    divisor, sums = sp.Symbol("D", positive=True), sp.symbols("S_1 S_2", positive=True)
    (solution,) = sp.solve(sp.Eq((sums[0] / divisor + sums[1] / divisor) / 2,
                                 (sums[0] + sums[1]) / (s["n_1"] + s["n_2"])), divisor)
    return solution


register(exercise_claim(
    "framework-exercises.multisteps-divisor",
    r"With $\texttt{optax.MultiSteps}$' default mean over $K = 2$ micro-batches of $n_1$ and $n_2$ real tokens, "
    r"dividing each micro-batch's summed token loss by $D = \frac{n_1 + n_2}{2}$ gives the token mean of the step",
    answer=Answer("(n_1 + n_2)/2", "n_1, n_2", "D =", positive="n_1, n_2"),
    wrong=Answer("n_1 + n_2", "n_1, n_2", "D =", positive="n_1, n_2"),
    truth=_multisteps_divisor,
    control="the global count n_1 + n_2 with MultiSteps still averaging: the step K = 2 times too small",
    scope="K = 2, every n_1, n_2 > 0 and summed token losses S_1, S_2 > 0; the truth solves MultiSteps' mean of "
          "the two scaled losses = the token mean, for D",
))
