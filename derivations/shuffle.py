"""Shuffling: consecutive batches of ordered data are biased; shuffled batches and whole epochs are not."""

from __future__ import annotations

import sympy as sp

from gradavg.checks.batchcheck import check_every_size
from gradavg.engine.claims import Claim, register
from gradavg.checks.estimation import full_gradient
from gradavg.engine.exact import decide
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


register(
    Claim(
        id="shuffle.random-permutation",
        statement=(
            r"If every ordering of the $N$ fixed examples is equally likely, the $k$-th consecutive batch of "
            r"size $B$ (the last possibly smaller) has expected mean $G$ for every $k$; "
            rf"checked over all $N!$ orderings for $N \le {LARGEST_N_PERMUTED}$ and $B < N$."
        ),
        check=lambda: check_every_size(SIZES_PERMUTED, shuffled_bias),
        control="consecutive batches of data sorted by gradient, never shuffled",
        control_check=lambda: check_every_size(SIZES_PERMUTED, sorted_bias, symbolic=False),
        evidence="exhaustive",
        scope="all N! orderings for N <= 5 and every B < N; gradients symbolic",
    )
)

register(
    Claim(
        id="shuffle.epoch",
        statement=(
            r"For any fixed ordering and $B$ dividing $N$, the mean of the $N/B$ consecutive batch means of one "
            rf"epoch is $G$; checked for $N \le {LARGEST_N_EPOCH}$ and every such $B$."
        ),
        check=lambda: check_every_size(SIZES_DIVIDING, epoch_gap(weighted=True)),
        control="B does not divide N and the short last batch counts as much as the others",
        control_check=lambda: check_every_size(SIZES_NOT_DIVIDING, epoch_gap(weighted=False)),
        evidence="exhaustive",
        scope="every ordering-independent sum for N <= 8 and every B dividing N; gradients symbolic",
    )
)

# --- first pass versus later passes: unbiased for the population only for unused examples -------

#: a population of three equally likely values, the start and the step size, all symbols
POPULATION = sp.symbols("x_1:4", real=True)
THETA0, ETA = sp.symbols("theta_0 eta", real=True)


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


def pass_gap(reuse: bool):
    """After one SGD step on example a, the conditional bias of the next gradient given the parameters.

    For each value of example a (which fixes theta_1), the expected gradient of
    the next example minus the population gradient at theta_1. The next example
    is a fresh independent draw (first pass), or example a again (a later pass).
    """
    differences = []
    for a in POPULATION:
        theta1 = THETA0 - ETA * _loss_gradient(THETA0, a)
        if reuse:
            expected = _loss_gradient(theta1, a)
        else:
            expected = sum(_loss_gradient(theta1, b) for b in POPULATION) / len(POPULATION)
        differences.append(expected - population_gradient(theta1))
    return differences


def _passes(reuse: bool):
    differences = pass_gap(reuse)
    symbols = [*POPULATION, THETA0, ETA]
    return decide(lambda point: [d.xreplace(point) for d in differences], symbols,
                  lambda: ([sp.expand(d) for d in differences], "the conditional bias expands to 0"))


register(
    Claim(
        id="shuffle.first-pass",
        statement=(
            r"Examples drawn i.i.d. from a population of three equally likely values, loss $(\theta - x)^4/4$: "
            r"after an SGD step on example $a$, the gradient of a fresh example $b$ has conditional expectation "
            r"$\nabla R(\theta_1)$ given $\theta_1$, where $R(\theta) = \mathbb{E}_x\, L(\theta, x)$."
        ),
        check=lambda: _passes(reuse=False),
        control="the next gradient reuses example a, as a second pass over the data does",
        control_check=lambda: _passes(reuse=True),
        evidence="proof",
        scope="a population of three equally likely values, loss (theta - x)^4 / 4, one step; theta and step size symbolic",
    )
)
