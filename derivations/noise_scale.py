"""The simple gradient noise scale B_simple = tr(Sigma) / |G|^2: its meaning and its two-batch estimate."""

from __future__ import annotations

import sympy as sp

from gradavg.checks.batchcheck import check_every_size
from gradavg.engine.claims import Claim, Verdict, over_cases, register
from gradavg.checks.estimation import squared_norm, full_gradient, gradient_variance, two_batch_expectations
from gradavg.engine.exact import decide
from gradavg.topics.noise_scale import expected_cost_after_step

# --- the two-batch estimator: each piece unbiased, by enumerating every pair of batches -------

SIZES_TWO_BATCH = [(2, 1), (3, 1), (3, 2), (4, 1)]


def two_batch_bias(replace: bool):
    """``difference(grads, small)``: expected estimates minus (|G|^2, tr Sigma), for big = small + 1, small + 2."""
    def difference(grads, small):
        target = (squared_norm(full_gradient(grads)), gradient_variance(grads))
        gaps = []
        for big in (small + 1, small + 2):
            if not replace and big > len(grads):
                continue
            expected = two_batch_expectations(grads, small, big, replace=replace)
            gaps += [e - t for e, t in zip(expected, target)]
        return gaps
    return difference


register(
    Claim(
        id="noise-scale.two-batch",
        statement=(
            r"With two independent batches of sizes $B_s < B_b$ drawn uniformly with replacement, "
            r"$\frac{B_b|G_{B_b}|^2 - B_s|G_{B_s}|^2}{B_b - B_s}$ is an unbiased estimate of $|G|^2$ and "
            r"$\frac{|G_{B_s}|^2 - |G_{B_b}|^2}{1/B_s - 1/B_b}$ of $\mathrm{tr}\,\Sigma$; "
            r"checked for $N \le 4$ and $B_b \in \{B_s + 1, B_s + 2\}$."
        ),
        check=lambda: check_every_size(SIZES_TWO_BATCH, two_batch_bias(replace=True)),
        control="the same estimators with batches drawn without replacement",
        control_check=lambda: check_every_size(SIZES_TWO_BATCH, two_batch_bias(replace=False)),
        evidence="exhaustive",
        scope="(N, B_s) in {(2, 1), (3, 1), (3, 2), (4, 1)}; every pair of batches; gradients symbolic in two dimensions",
    )
)

# --- what B_simple means: the best step with batch B gains 1 / (1 + B_simple / B) of the best full step ----

SIZES_STEP = [(2, 1), (2, 2), (2, 3), (3, 2)]
EPSILON = sp.Symbol("epsilon")
THETA = sp.symbols("theta_1 theta_2", real=True)


def _step_pieces(points, batch_size, trace_of):
    """(slope, curvature, |G|^2, trace): the expected cost after a step is C - slope eps + curvature eps^2."""
    grads = [[t - x for t, x in zip(THETA, p)] for p in points]
    after = sp.expand(expected_cost_after_step(points, THETA, batch_size, EPSILON))
    return -after.coeff(EPSILON, 1), after.coeff(EPSILON, 2), squared_norm(full_gradient(grads)), trace_of(grads)


def uncentred_second_moment(grads):
    """The wrong variant of tr(Sigma): the mean of |g_i|^2, not centred at G."""
    return sum(squared_norm(g) for g in grads) / len(grads)


def _optimal_step(trace_of) -> Verdict:
    """Best expected improvement over step sizes (enumerated) against (|G|^2/2) / (1 + B_simple/B).

    The best improvement of ``C - s eps + c eps^2`` is ``s^2 / (4 c)``; with
    ``B_simple = trace / |G|^2`` the identity ``s^2/(4c) = |G|^4 B / (2 (B |G|^2 + trace))``
    is checked at rational points, then proved by cross-multiplying and expanding.
    """
    kinds = []
    for n, b in SIZES_STEP:
        points = [[sp.Symbol(f"x_{i},{j}", real=True) for j in (1, 2)] for i in range(1, n + 1)]
        symbols = [s for row in points for s in row] + list(THETA)
        slope, curvature, size, trace = _step_pieces(points, b, trace_of)
        difference = slope**2 / (4 * curvature) - size / 2 / (1 + trace / size / b)
        cross = slope**2 * 2 * (b * size + trace) - 4 * curvature * size**2 * b
        verdict = decide(lambda point: [difference.xreplace(point)], symbols,
                         lambda: ([sp.expand(cross)], "cross-multiplied, the two sides expand to the same polynomial"))
        if not verdict.holds:
            return verdict
        kinds.append(verdict.evidence)
    return Verdict(True, f"{verdict.method}; for (N, B) in {SIZES_STEP}", residual=verdict.residual,
                   evidence=over_cases(kinds))


register(
    Claim(
        id="noise-scale.optimal-step",
        statement=(
            r"For per-example losses $\frac{1}{2}|\theta - x_i|^2$ and one SGD step with a batch of $B$ drawn with "
            r"replacement, the largest expected decrease of the cost over step sizes is "
            r"$\frac{|G|^2/2}{1 + B_{\mathrm{simple}}/B}$, $B_{\mathrm{simple}} = \mathrm{tr}\,\Sigma/|G|^2$; "
            r"checked for $N \le 3$ examples in two dimensions."
        ),
        check=lambda: _optimal_step(gradient_variance),
        control="the uncentred second moment mean |g_i|^2 in place of tr(Sigma)",
        control_check=lambda: _optimal_step(uncentred_second_moment),
        evidence="exhaustive",
        scope="(N, B) in {(2, 1), (2, 2), (2, 3), (3, 2)}; losses |theta - x_i|^2 / 2 in two dimensions",
    )
)
