"""The exercises of the page "Averaging bugs in real training stacks": the claims behind its answer boxes.

They model the arithmetic of the libraries' accumulation (accelerate's division of each micro-batch's loss
by the number of steps) exactly, with no PyTorch, so they run, and re-run in the browser, wherever SymPy
does; the libraries themselves are checked by the claims of :mod:`gradavg.derivations.stacks`.
"""

from __future__ import annotations

import sympy as sp

from gradavg.checks.answers import exercise_claim
from gradavg.engine.claims import Answer, register


_COUNTS = "n_1, n_2, n_3"


def _accelerate_factor(s):
    """The c for which accelerate's division by K = 3 of c times each summed loss gives the full-batch mean."""
    factor, sums = sp.Symbol("c", positive=True), sp.symbols("S_1 S_2 S_3", positive=True)
    counts = [s[name] for name in ("n_1", "n_2", "n_3")]
    (solution,) = sp.solve(sp.Eq(sum(factor * total / 3 for total in sums), sum(sums) / sum(counts)), factor)
    return solution


register(exercise_claim(
    "stacks-exercises.accelerate-factor",
    r"With accelerate's $\texttt{backward}$ dividing by $K = 3$, micro-batch losses $c\sum_{i\in k} L_i$ over "
    r"micro-batches of $n_1, n_2, n_3$ examples accumulate to $\frac1N\sum_i\nabla L_i$ for "
    r"$c = \frac{3}{n_1 + n_2 + n_3}$",
    answer=Answer("3/(n_1 + n_2 + n_3)", _COUNTS, "c =", positive=_COUNTS),
    wrong=Answer("1/(n_1 + n_2 + n_3)", _COUNTS, "c =", positive=_COUNTS),
    truth=_accelerate_factor,
    control="1/N, the summed loss over the global count, which accelerate's division by K scales down 3 times",
    scope="K = 3, one process, every n_1, n_2, n_3 > 0 and summed losses S_1, S_2, S_3 > 0 (their gradients obey "
          "the same linear equation); the truth solves accelerate's accumulated (1/K) sum_k c S_k = the full-batch "
          "mean, for c",
))
