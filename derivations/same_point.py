"""Same point, not the same place: gradients taken at different parameters differ by a Hessian term."""

from __future__ import annotations

import sympy as sp

import dataclasses

from gradavg.engine.claims import Claim, Verdict, over_cases, register
from gradavg.engine.exact import decide_polynomial
from gradavg.topics.same_point import (
    epoch_difference_coefficients,
    gradient_at,
    quadratic_losses,
    stale_average_any_n,
    stale_average_identity,
)

THETA = sp.symbols("theta_1 theta_2")
#: the dimensions of theta for which the Hessian-term identity is proved, each for a symbolic N
DIMENSIONS = (1, 2, 3)


def _stale_any_n(with_hessian: bool) -> Verdict:
    """The Hessian-term identity for every N (symbolic), in each dimension of :data:`DIMENSIONS`.

    Holds when every dimension's identity is proved; fails with the first
    dimension's witness (found at N = 2).
    """
    verdicts = []
    for d in DIMENSIONS:
        verdict = stale_average_any_n(sp.symbols(f"theta_1:{d + 1}"), with_hessian=with_hessian)
        if not verdict.holds:
            return dataclasses.replace(verdict, method=f"{verdict.method}, theta in R^{d}, N = 2")
        verdicts.append(verdict)
    return Verdict(True, f"{verdicts[-1].method}; for theta in R^d, d = {', '.join(map(str, DIMENSIONS))}",
                   residual=verdicts[-1].residual, evidence=over_cases(v.evidence for v in verdicts))


register(
    Claim.contrasting(
        id="same-point.hessian-quadratic",
        statement=(
            r"For every $N \ge 1$ and quadratic losses $L_i(\theta)=\tfrac12\theta^\top A_i\theta-b_i^\top\theta$ "
            r"with symmetric $A_i$, $\theta\in\mathbb{R}^d$ ($d = 1, 2, 3$), and any shifts $\delta_i$: "
            r"$\frac1N\sum_i\nabla L_i(\theta+\delta_i)=\nabla C(\theta)+\frac1N\sum_i H_i\,\delta_i$, "
            r"$H_i=\nabla^2 L_i$."
        ),
        check=_stale_any_n,
        right=True,
        wrong=False,
        control="the same average without the Hessian term, mean of grad L_i(theta + delta_i) = grad C(theta)",
        evidence="exhaustive",
        scope="every N >= 1 (N symbolic, sufficient statistics) and each d = 1, 2, 3; coefficients, point and "
              "shifts symbolic",
    )
)

# --- a loss that is not quadratic: the Hessian term is right to first order only --

EPS = sp.Symbol("epsilon")
A, B = sp.symbols("a b")
N_DEEP = 2


def _two_layer_losses() -> list[sp.Expr]:
    """Squared error of a two-layer linear unit ``a * b * x``: degree 4 in the parameters (a, b)."""
    return [(A * B * sp.Symbol(f"x_{i}") - sp.Symbol(f"y_{i}")) ** 2 for i in range(1, N_DEEP + 1)]


def _first_order(with_hessian: bool) -> Verdict:
    shifts = [[EPS * sp.Symbol(f"delta_{i}_{j}") for j in (1, 2)] for i in range(1, N_DEEP + 1)]
    return stale_average_identity(_two_layer_losses(), (A, B), shifts, with_hessian=with_hessian,
                                  scale=EPS, orders=(0, 1))


register(
    Claim.contrasting(
        id="same-point.first-order",
        statement=(
            r"For $L_i(a,b)=(a\,b\,x_i-y_i)^2$ ($N=2$) and shifts $\varepsilon\delta_i$: "
            r"$\frac1N\sum_i\nabla L_i(\theta+\varepsilon\delta_i)-\nabla C(\theta)"
            r"-\frac{\varepsilon}{N}\sum_i H_i\delta_i=O(\varepsilon^2)$."
        ),
        check=_first_order,
        right=True,
        wrong=False,
        control="the same expansion without the Hessian term: the coefficient of epsilon must vanish too",
        evidence="proof",
        scope="L_i = (a b x_i - y_i)^2, N = 2; data, point and shifts symbolic; the coefficients of epsilon^0 and epsilon^1",
    )
)

# --- one epoch of sequential steps against one full-batch step ------------------

ETA = sp.Symbol("eta")
#: the epoch lengths checked, each with free coefficients: the proposition is stated for these N
EPOCH_SIZES = (1, 2, 3, 4)
N = sp.Symbol("N", integer=True, positive=True)


def _epoch_at(n: int, leading_only: bool) -> Verdict:
    """Iterate an epoch of ``n`` steps symbolically and compare with the closed-form polynomial in eta."""
    losses = quadratic_losses(n, THETA)
    point = list(THETA)
    for loss in losses:  # theta_i = theta_{i-1} - eta * grad L_i(theta_{i-1})
        point = [sp.expand(p - ETA * g) for p, g in zip(point, gradient_at(loss, THETA, point))]
    full_step = [t - ETA * sp.Add(*parts) for t, parts in zip(THETA, zip(*(gradient_at(L, THETA, THETA) for L in losses)))]
    hessians = [sp.hessian(L, THETA) for L in losses]
    gradients = [sp.Matrix(gradient_at(L, THETA, THETA)) for L in losses]
    coefficients = epoch_difference_coefficients(hessians, gradients)
    closed = sp.zeros(2, 1)
    for k, c in coefficients.items():
        if k == 2 or not leading_only:
            closed += ETA**k * c
    difference = [s - f - c for s, f, c in zip(point, full_step, closed)]
    return decide_polynomial(difference, "sequential endpoint minus full-batch step minus the closed form is 0",
                             symbols=(ETA, *THETA))


def _epoch(leading_only: bool) -> Verdict:
    """The closed form for every epoch length in :data:`EPOCH_SIZES`; fails with the first length's witness."""
    verdicts = []
    for n in EPOCH_SIZES:
        verdict = _epoch_at(n, leading_only)
        if not verdict.holds:
            return dataclasses.replace(verdict, method=f"{verdict.method}, at N = {n}",
                                       witness={N: sp.Integer(n), **verdict.witness})
        verdicts.append(verdict)
    return Verdict(True, f"{verdicts[-1].method}, for each N = {', '.join(map(str, EPOCH_SIZES))}",
                   residual=verdicts[-1].residual, evidence=over_cases(v.evidence for v in verdicts))


register(
    Claim.contrasting(
        id="same-point.epoch-polynomial",
        statement=(
            r"For $N \le 4$ quadratic losses on $\theta\in\mathbb{R}^2$, one epoch of steps "
            r"$\theta_i=\theta_{i-1}-\eta\nabla L_i(\theta_{i-1})$ ends at "
            r"$\theta-\eta\sum_i g_i+\sum_{k=2}^{N}(-\eta)^k\sum_{j<s_1<\dots<s_{k-1}}H_{s_{k-1}}\cdots H_{s_1}g_j$, "
            r"$g_j=\nabla L_j(\theta)$."
        ),
        check=_epoch,
        right=False,
        wrong=True,
        control="the difference truncated to its leading term, eta^2 sum_{j<s} H_s g_j",
        evidence="exhaustive",
        scope="each N = 1, 2, 3, 4: quadratic losses on R^2 with free coefficients; every eta",
    )
)


# --- exercises: the claims behind the page's answer boxes ----------------------

from gradavg.checks.answers import exercise_claim  # noqa: E402
from gradavg.engine.claims import Answer  # noqa: E402
from gradavg.engine.gradients import difference_quotient, limit_at_zero  # noqa: E402


def _slope(loss_of, point: sp.Expr) -> sp.Expr:
    """The derivative of the one-parameter loss ``loss_of(v)`` at ``point``, as the limit of its difference quotient."""
    v = sp.Symbol("v", real=True)
    return limit_at_zero(difference_quotient(loss_of(v), v)).xreplace({v: point})


#: how many updates old the stale gradient of the exercise is
STALE_UPDATES = 3


def _stale_error(s) -> sp.Expr:
    """L'(w_{t-3}) - L'(w_t) for L(v) = a v^2/2 - b v, w_{t-3} found by running the 3 SGD updates and undoing them.

    The directions are symbols g_0, g_1, g_2; the last is then set to 3 g - g_0 - g_1 so that their mean is g.
    """
    def loss(v):
        return s["a"] * v**2 / 2 - s["b"] * v

    stale = sp.Symbol("w_stale")
    directions = sp.symbols(f"g_0:{STALE_UPDATES}")
    current = stale
    for direction in directions:
        current = current - s["eta"] * direction
    (undone,) = sp.solve(sp.Eq(current, s["w"]), stale)
    with_mean_g = undone.xreplace({directions[-1]: STALE_UPDATES * s["g"] - sum(directions[:-1])})
    return sp.expand(_slope(loss, with_mean_g) - _slope(loss, s["w"]))


_STALE = "a,b,w,eta,g"
register(exercise_claim(
    "same-point.exercise-stale-error",
    r"For $L(w) = \tfrac12 a w^2 - b w$ and $w_t$ reached from $w_{t-3}$ by three SGD updates "
    r"$w_{s+1} = w_s - \eta g_s$ whose directions have mean $g$: $L'(w_{t-3}) - L'(w_t) = 3 a \eta g$",
    answer=Answer("3*a*eta*g", _STALE, "L'(w_{t-3}) - L'(w_t) ="),
    wrong=Answer("-3*a*eta*g", _STALE, "L'(w_{t-3}) - L'(w_t) ="),
    truth=_stale_error,
    control="the shift taken as w_t - w_{t-3} = -3 eta g (the sign flipped)",
    scope="every real a, b, w_t, eta, g and directions g_0, g_1, g_2 of mean g; one parameter; three updates; "
          "w_{t-3} solved from the updates run symbolically; each derivative from its definition "
          "(a limit of difference quotients)",
))


def _two_step_gap(s) -> sp.Expr:
    """Two per-example steps from w minus one step along the summed gradient at w, each slope by definition."""
    losses = [lambda v, k=k: s[f"a_{k}"] * v**2 / 2 - s[f"b_{k}"] * v for k in (1, 2)]
    w, eta = s["w"], s["eta"]
    after_first = w - eta * _slope(losses[0], w)
    after_second = after_first - eta * _slope(losses[1], after_first)
    return sp.expand(after_second - (w - eta * (_slope(losses[0], w) + _slope(losses[1], w))))


_EPOCH = "a_1,a_2,b_1,b_2,w,eta"
register(exercise_claim(
    "same-point.exercise-two-steps",
    r"For $L_i(w) = \tfrac12 a_i w^2 - b_i w$, $i = 1, 2$: the steps $w_1 = w - \eta L_1'(w)$, "
    r"$w_2 = w_1 - \eta L_2'(w_1)$ end at $w - \eta(L_1'(w) + L_2'(w)) + \eta^2 a_2 (a_1 w - b_1)$",
    answer=Answer("eta**2*a_2*(a_1*w - b_1)", _EPOCH, "w_2 - (w - eta*(L_1'(w) + L_2'(w))) ="),
    wrong=Answer("eta**2*a_1*(a_2*w - b_2)", _EPOCH, "w_2 - (w - eta*(L_1'(w) + L_2'(w))) ="),
    truth=_two_step_gap,
    control="the examples taken in the other order, eta^2 H_1 g_2 for eta^2 H_2 g_1",
    scope="every real a_i, b_i, w, eta; two examples, one parameter; the two steps run symbolically, each slope "
          "from its definition (a limit of difference quotients)",
))
