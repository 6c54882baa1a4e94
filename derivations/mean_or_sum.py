"""Why the mean and not the sum: the claims of the mean-or-sum page.

Sum and mean differ by the factor N, so they have the same minimisers and a
step on the sum is a step on the mean with N times the step size; scaling the
step with the batch is exact only while every gradient is taken at one point;
weight decay added to the sum is weaker by N; Adam sees a constant factor
only through its epsilon.
"""

from __future__ import annotations

import sympy as sp

from gradavg.engine.claims import Claim, Verdict, register, weakest
from gradavg.engine.exact import decide, decide_polynomial
from gradavg.engine.gradients import difference_quotient, limit_at_zero
from gradavg.engine.sums import as_statistics
from gradavg.topics.mean_or_sum import adam_moments, adam_update, adam_updates, batch_mean_losses, scaling_gap

N = sp.Symbol("N", integer=True, positive=True)
i = sp.Symbol("i", integer=True, positive=True)
x, y = sp.IndexedBase("x"), sp.IndexedBase("y")
w, b, eta, lam = sp.symbols("w b eta lambda", real=True)
PARAMS = (w, b)
WITNESS_N = 3  # a concrete N at which a witness is evaluated


def _loss(example) -> sp.Expr:
    return (w * x[example] + b - y[example]) ** 2


def _by_definition(expr: sp.Expr, param: sp.Symbol) -> sp.Expr:
    """The derivative of ``expr`` in ``param`` as the limit of its difference quotient: no ``diff``, no sum rule."""
    return limit_at_zero(difference_quotient(expr, param))


def _symbolic_n(difference, sum_penalty=sp.S.Zero, mean_penalty=sp.S.Zero) -> Verdict:
    """Decide ``difference(p, grad S_pen, grad C_pen) == 0`` for every N, each gradient from its own closed form.

    ``S_pen`` is the sum ``sum_i L_i`` plus ``sum_penalty``, its sum rewritten
    in sufficient statistics; ``C_pen`` is the mean, written as the sum
    ``sum_i L_i / N`` of the scaled losses (not as ``S / N``) and rewritten the
    same way, plus ``mean_penalty``. Each gradient is the limit of the
    difference quotient of its closed form: neither route differentiates
    inside a sum or uses the constant-factor rule.
    """
    closed_sum, meaning = as_statistics(sp.Sum(_loss(i), (i, 1, N)))
    closed_mean, more = as_statistics(sp.Sum(_loss(i) / N, (i, 1, N)))
    meaning.update(more)
    sides = [difference(p, _by_definition(closed_sum + sum_penalty, p), _by_definition(closed_mean + mean_penalty, p))
             for p in PARAMS]
    concrete = [s.xreplace(meaning).subs(N, WITNESS_N).doit() for s in sides]
    data = [v[e] for e in range(1, WITNESS_N + 1) for v in (x, y)]
    return decide(lambda point: [sp.expand(c.xreplace(point)) for c in concrete], [w, b, eta, lam, *data],
                  lambda: ([sp.cancel(sp.together(s)) for s in sides],
                           "the limits of the difference quotients of both closed forms, in sufficient statistics, "
                           "cancel to the same rational function, for every N"),
                  fixed={N: WITNESS_N})


SQUARED_NORM = w**2 + b**2

register(
    Claim.contrasting(
        id="mean-or-sum.same-steps",
        statement=(
            r"For every $N \ge 1$ and squared-error losses $L_i = (w x_i + b - y_i)^2$, with $S = \sum_i L_i$ and "
            r"$C = S/N$: $\theta - \eta\,\nabla S(\theta) = \theta - (\eta N)\,\nabla C(\theta)$ for all $\theta$ "
            r"and $\eta$; so $\nabla S = N\,\nabla C$, and $S$ and $C$ have the same stationary points."
        ),
        check=_symbolic_n,
        right=lambda p, g_sum, g_mean: (p - eta * g_sum) - (p - eta * N * g_mean),
        wrong=lambda p, g_sum, g_mean: (p - eta * g_sum) - (p - eta * g_mean),
        control="the same step size eta on the sum and on the mean",
        evidence="proof",
        scope=("every N >= 1 (N symbolic); squared-error losses of the line w x + b, data symbolic; every theta and "
               "eta; grad S and grad C each the limit of the difference quotient of its own closed form in "
               "sufficient statistics (S = sum of L_i, C = sum of L_i/N), no diff"),
    )
)

register(
    Claim.contrasting(
        id="mean-or-sum.weight-decay",
        statement=(
            r"For every $N \ge 1$ and squared-error losses as above, with $\lVert\theta\rVert^2 = w^2 + b^2$: "
            r"$\nabla\bigl(S + \tfrac{\lambda}{2}\lVert\theta\rVert^2\bigr) = "
            r"N\,\nabla\bigl(C + \tfrac{\lambda/N}{2}\lVert\theta\rVert^2\bigr)$: "
            r"weight decay $\lambda$ on the sum is weight decay $\lambda/N$ on the mean."
        ),
        check=lambda mean_penalty: _symbolic_n(lambda p, g_sum, g_mean: g_sum - N * g_mean,
                                               lam / 2 * SQUARED_NORM, mean_penalty),
        right=lam / N / 2 * SQUARED_NORM,
        wrong=lam / 2 * SQUARED_NORM,
        control="the same strength lambda on the sum as on the mean",
        evidence="proof",
        scope=("every N >= 1 (N symbolic); squared-error losses of the line w x + b, data symbolic; the penalty on "
               "both w and b; every theta and lambda; both penalised costs differentiated as wholes from the "
               "difference quotient of their closed forms in sufficient statistics, no diff"),
    )
)

# --- the linear scaling rule -----------------------------------------------------------------------------------

K_BATCHES, PER_BATCH = 3, 2


def _linear_scaling(orders) -> Verdict:
    """k steps of eta on k batch means minus one step of k*eta on the union, minus the closed form: 0 in QQ[...]."""
    batches = batch_mean_losses(K_BATCHES, PER_BATCH, PARAMS)
    return decide_polynomial(scaling_gap(batches, PARAMS, eta, orders),
                             "k steps minus one step of k*eta minus the closed form is 0", symbols=(eta, *PARAMS))


register(
    Claim.contrasting(
        id="mean-or-sum.linear-scaling",
        statement=(
            r"For $\theta \in \mathbb{R}^2$ and $k = 3$ batches, each the mean of two quadratic losses "
            r"$\tfrac12\theta^\top A_i\theta - b_i^\top\theta$ with free symmetric $A_i$ and free $b_i$, with batch "
            r"costs $C_j$ (Hessians $H_j$, gradients $g_j$ at $\theta$): the $k$ steps "
            r"$\theta_j = \theta_{j-1} - \eta\nabla C_j(\theta_{j-1})$ end at "
            r"$\theta - k\eta\,\nabla C_{\cup}(\theta) + \eta^2\sum_{j<l} H_l g_j - \eta^3 H_3 H_2 g_1$, "
            r"where $C_\cup$ is the union's mean cost: one step of $k\eta$ plus a Hessian term."
        ),
        check=_linear_scaling,
        right=(2, 3),
        wrong=(2,),
        control=("the eta^2 Hessian term taken as the whole correction, as if second order were exact for quadratic "
                 "losses: k steps of eta end at one step of k*eta plus eta^2 sum_{j<l} H_l g_j, no eta^3 term"),
        evidence="proof",
        scope=("theta in R^2; k = 3 batches, each the mean of two quadratic losses with free symmetric A_i and free "
               "b_i; every theta and eta"),
    )
)

# --- adaptive optimizers ---------------------------------------------------------------------------------------
#
# For every number of steps T, by induction over t. The base case is m_0 = v_0 = 0 for both runs, which is
# (c m_0, c^2 v_0). The induction step is checked symbolically: if the scaled run's moments after t - 1 steps
# are (c m, c^2 v), where (m, v) are the original run's, then after the gradient c g they are (c m', c^2 v')
# (a polynomial identity), and the t-th update from (c m', c^2 v') with epsilon equals the update from (m', v')
# with epsilon / c, for symbolic t, beta_1, beta_2, c, eta, epsilon and moments. The three steps written out in
# full, with Kingma and Ba's betas, are checked as well, as a cross-check of the composition.

STEPS = 3
G = sp.symbols(f"g1:{STEPS + 1}", real=True)
c, rate = sp.symbols("c eta", positive=True)
eps = sp.Symbol("epsilon", nonnegative=True)
BETA1, BETA2 = sp.Rational(9, 10), sp.Rational(999, 1000)
beta1, beta2 = sp.symbols("beta_1 beta_2", nonnegative=True)
t = sp.Symbol("t", integer=True, positive=True)
m_prev, g_t = sp.symbols("m g", real=True)  # the original run's first moment after t - 1 steps; its t-th gradient
v_prev = sp.Symbol("v", nonnegative=True)  # its second moment after t - 1 steps
m_now = sp.Symbol("m_t", real=True)  # the original run's moments after t steps
v_now = sp.Symbol("v_t", nonnegative=True)
#: exact values, allowed by the statement, for the parameters a witness point keeps fixed
AT = {c: sp.Rational(7, 4), eps: sp.Rational(1, 10), rate: sp.Rational(1, 1000)}
#: the same for the induction step: a step t, betas in [0, 1) and a second moment v_t >= 0
AT_STEP = {**AT, t: 3, beta1: BETA1, beta2: BETA2, v_now: sp.Rational(1, 4)}


def _moments_scale() -> Verdict:
    """Induction step, moments: from (c m, c^2 v) the gradient c g leads to c and c^2 times the original's moments."""
    scaled = adam_moments(c * m_prev, c**2 * v_prev, c * g_t, beta1, beta2)
    original = adam_moments(m_prev, v_prev, g_t, beta1, beta2)
    return decide_polynomial([scaled[0] - c * original[0], scaled[1] - c**2 * original[1]],
                             "the scaled run's moments minus c and c^2 times the original's, for symbolic beta's",
                             symbols=(c, m_prev, v_prev, g_t, beta1, beta2))


def _update_scales(eps_scaled) -> Verdict:
    """Induction step, update: the t-th update from (c m_t, c^2 v_t) with epsilon against (m_t, v_t) with ``eps_scaled``."""
    difference = (adam_update(c * m_now, c**2 * v_now, t, rate, beta1, beta2, eps)
                  - adam_update(m_now, v_now, t, rate, beta1, beta2, eps_scaled))
    return decide(lambda at: [sp.radsimp(difference.xreplace(at))], [m_now],
                  lambda: ([sp.cancel(sp.together(difference))],
                           "the t-th updates' difference cancels to 0 for symbolic t, beta's, c > 0, eta, epsilon "
                           "and moments"),
                  fixed=AT_STEP)


def _three_steps(eps_scaled) -> Verdict:
    """Three updates written out for the loss multiplied by c against the original loss with ``eps_scaled``."""
    scaled = adam_updates([c * g for g in G], rate, BETA1, BETA2, eps)
    original = adam_updates(list(G), rate, BETA1, BETA2, eps_scaled)
    differences = [s - o for s, o in zip(scaled, original)]
    # random points for the gradients; c, eta and epsilon stay at values the statement allows
    return decide(lambda at: [sp.radsimp(d.xreplace(at)) for d in differences], list(G),
                  lambda: ([sp.simplify(sp.together(d)) for d in differences],
                           f"the {STEPS} updates' differences, written out, cancel to 0 for every c > 0, eta > 0 "
                           "and epsilon >= 0"),
                  fixed=AT)


def _scale_invariant(eps_scaled) -> Verdict:
    """The induction step (moments, then update) and the three steps written out; the first that fails, if any."""
    verdicts = [_moments_scale(), _update_scales(eps_scaled), _three_steps(eps_scaled)]
    for verdict in verdicts:
        if not verdict.holds:
            return verdict
    return Verdict(True, "; ".join(["induction step, moments: " + verdicts[0].method,
                                    "induction step, update: " + verdicts[1].method,
                                    "three steps written out: " + verdicts[2].method]),
                   evidence=weakest(v.evidence for v in verdicts))


register(
    Claim.contrasting(
        id="mean-or-sum.adaptive",
        statement=(
            r"For Adam with any $\beta_1, \beta_2 \in [0, 1)$, any step size $\eta > 0$ and any "
            r"$\varepsilon \ge 0$, over any number $T \ge 1$ of steps with gradients $g_1, \dots, g_T$ of one "
            r"parameter (Adam acts coordinate by coordinate), and one constant $c > 0$ for all steps: the "
            r"updates for the loss multiplied by $c$ equal the updates for the original loss with $\varepsilon/c$ in "
            r"place of $\varepsilon$, wherever they are defined ($\sqrt{\hat v_t} + \varepsilon > 0$). With "
            r"$\varepsilon = 0$, scaling the loss changes nothing."
        ),
        check=_scale_invariant,
        right=eps / c,
        wrong=eps,
        control="Adam exactly scale-invariant with epsilon > 0: the loss multiplied by c, epsilon left unchanged",
        evidence="proof",
        scope=("every number of steps T >= 1, by induction over t (the written proof): the base case m_0 = v_0 = 0, "
               "and the induction step checked symbolically, moments and update, for symbolic t, beta_1, beta_2, "
               "c > 0, eta, epsilon >= 0 and moments, one parameter, one c for all steps; also the three steps "
               "written out in full with beta_1 = 0.9, beta_2 = 0.999 and symbolic gradients"),
    )
)


# --- exercises: the claims behind the page's answer boxes ----------------------

from gradavg.checks.answers import exercise_claim  # noqa: E402
from gradavg.engine.claims import Answer  # noqa: E402


def _closed_forms() -> tuple[sp.Expr, sp.Expr]:
    """The sum and the mean of the losses (the mean as the sum of L_i / N), each in sufficient statistics."""
    return (as_statistics(sp.Sum(_loss(i), (i, 1, N)))[0], as_statistics(sp.Sum(_loss(i) / N, (i, 1, N)))[0])


def _in_answer_symbols(expr: sp.Expr, s) -> sp.Expr:
    """``expr`` with this module's N, eta and lambda replaced by the answer's symbols ``N``, ``eta`` and ``lam``."""
    return expr.xreplace({mine: s[name] for mine, name in ((N, "N"), (eta, "eta"), (lam, "lam")) if name in s})


def _step_on_the_mean(s) -> sp.Expr:
    """The step size e with theta - eta grad S = theta - e grad C, each gradient by definition of its closed form."""
    total, mean = _closed_forms()
    ratios = {sp.cancel(eta * _by_definition(total, p) / _by_definition(mean, p)) for p in PARAMS}
    if len(ratios) != 1:
        raise ArithmeticError(f"the components need different step sizes: {ratios}")
    return _in_answer_symbols(ratios.pop(), s)


register(exercise_claim(
    "mean-or-sum.exercise-step-on-mean",
    r"For every $N \ge 1$ and squared-error losses $L_i = (w x_i + b - y_i)^2$: a step of size $\eta$ on "
    r"$S = \sum_i L_i$ is the step of size $\eta N$ on $C = S/N$",
    answer=Answer("eta*N", "eta,N", "step size on the mean ="),
    wrong=Answer("eta/N", "eta,N", "step size on the mean ="),
    truth=_step_on_the_mean,
    control="the factor inverted, eta / N",
    scope="every N >= 1 (N symbolic) and symbolic data; the gradients of S and of C (written as the sum of L_i / N) "
          "each the limit of the difference quotient of its closed form in sufficient statistics",
))


def _slope_with_decay_on_the_mean(s) -> sp.Expr:
    """The minimiser of C + lambda/2 w^2 for the line w x through the origin, in S_xx = sum x_i^2, S_xy = sum x_i y_i.

    It solves the gradient equation, the gradient the limit of the difference quotient of the closed form in
    sufficient statistics; that cost is convex in w for lambda > 0, so its one stationary point is the minimiser.
    """
    cost, meaning = as_statistics(sp.Sum((w * x[i] - y[i]) ** 2 / N, (i, 1, N)))
    (slope,) = sp.solve(_by_definition(cost + lam / 2 * w**2, w), w)
    names = {sp.Sum(x[i] ** 2, (i, 1, N)): "S_xx", sp.Sum(x[i] * y[i], (i, 1, N)): "S_xy"}
    in_names = {statistic: s[names[total]] for statistic, total in meaning.items() if total in names}
    return _in_answer_symbols(slope.xreplace(in_names), s)


_DECAY = "S_xx,S_xy,N,lam"
register(exercise_claim(
    "mean-or-sum.exercise-slope-with-decay-on-mean",
    r"For every $N \ge 1$, the losses $L_i = (w x_i - y_i)^2$ of a line through the origin and $\lambda > 0$: "
    r"$C + \frac{\lambda}{2} w^2$ has its minimum at $w = 2 S_{xy} / (2 S_{xx} + N\lambda)$, "
    r"with $S_{xx} = \sum_i x_i^2$ and $S_{xy} = \sum_i x_i y_i$",
    answer=Answer("2*S_xy/(2*S_xx + N*lam)", _DECAY, "w ="),
    wrong=Answer("2*S_xy/(2*S_xx + lam)", _DECAY, "w ="),
    truth=_slope_with_decay_on_the_mean,
    control="the minimiser with the penalty on the sum, 2 S_xy / (2 S_xx + lambda): the two conventions confused",
    scope="every N >= 1 (N symbolic), lambda > 0 and symbolic data; the minimiser the solution of the gradient "
          "equation, the gradient the limit of the difference quotient of the closed form in sufficient statistics",
))
