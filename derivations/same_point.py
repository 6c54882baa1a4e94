"""Same point, not the same place: gradients taken at different parameters differ by a Hessian term."""

from __future__ import annotations

import sympy as sp

from gradavg.engine.claims import Claim, Verdict, register
from gradavg.engine.exact import decide_polynomial
from gradavg.topics.same_point import epoch_difference_coefficients, gradient_at, quadratic_losses, stale_average_identity

THETA = sp.symbols("theta_1 theta_2")
N_STALE = 3
#: each example's gradient is taken at theta + delta_i
SHIFTS = [sp.symbols(f"delta_{i}_1 delta_{i}_2") for i in range(1, N_STALE + 1)]

register(
    Claim(
        id="same-point.hessian-quadratic",
        statement=(
            r"For quadratic losses $L_i(\theta)=\tfrac12\theta^\top A_i\theta-b_i^\top\theta$ ($N=3$, "
            r"$\theta\in\mathbb{R}^2$) and any shifts $\delta_i$: "
            r"$\frac1N\sum_i\nabla L_i(\theta+\delta_i)=\nabla C(\theta)+\frac1N\sum_i H_i\,\delta_i$, "
            r"$H_i=\nabla^2 L_i$."
        ),
        check=lambda: stale_average_identity(quadratic_losses(N_STALE, THETA), THETA, SHIFTS),
        control="the same average without the Hessian term, mean of grad L_i(theta + delta_i) = grad C(theta)",
        control_check=lambda: stale_average_identity(quadratic_losses(N_STALE, THETA), THETA, SHIFTS,
                                                     with_hessian=False),
        evidence="proof",
        scope="N = 3 quadratic losses on R^2 with free coefficients; free shifts",
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
    Claim(
        id="same-point.first-order",
        statement=(
            r"For $L_i(a,b)=(a\,b\,x_i-y_i)^2$ ($N=2$) and shifts $\varepsilon\delta_i$: "
            r"$\frac1N\sum_i\nabla L_i(\theta+\varepsilon\delta_i)-\nabla C(\theta)"
            r"-\frac{\varepsilon}{N}\sum_i H_i\delta_i=O(\varepsilon^2)$."
        ),
        check=lambda: _first_order(True),
        control="the same expansion without the Hessian term: the coefficient of epsilon must vanish too",
        control_check=lambda: _first_order(False),
        evidence="proof",
        scope="L_i = (a b x_i - y_i)^2, N = 2; data, point and shifts symbolic; the coefficients of epsilon^0 and epsilon^1",
    )
)

# --- one epoch of sequential steps against one full-batch step ------------------

ETA = sp.Symbol("eta")
N_EPOCH = 3


def _epoch(orders_kept) -> Verdict:
    """Iterate the epoch symbolically and compare with the closed-form polynomial in eta."""
    losses = quadratic_losses(N_EPOCH, THETA)
    point = list(THETA)
    for loss in losses:  # theta_i = theta_{i-1} - eta * grad L_i(theta_{i-1})
        point = [sp.expand(p - ETA * g) for p, g in zip(point, gradient_at(loss, THETA, point))]
    full_step = [t - ETA * sp.Add(*parts) for t, parts in zip(THETA, zip(*(gradient_at(L, THETA, THETA) for L in losses)))]
    hessians = [sp.hessian(L, THETA) for L in losses]
    gradients = [sp.Matrix(gradient_at(L, THETA, THETA)) for L in losses]
    coefficients = epoch_difference_coefficients(hessians, gradients)
    closed = sp.zeros(2, 1)
    for k, c in coefficients.items():
        if k in orders_kept:
            closed += ETA**k * c
    difference = [s - f - c for s, f, c in zip(point, full_step, closed)]
    return decide_polynomial(difference, "sequential endpoint minus full-batch step minus the closed form is 0",
                             symbols=(ETA, *THETA))


register(
    Claim(
        id="same-point.epoch-polynomial",
        statement=(
            r"For quadratic losses ($N=3$, $\theta\in\mathbb{R}^2$), one epoch of steps "
            r"$\theta_i=\theta_{i-1}-\eta\nabla L_i(\theta_{i-1})$ ends at "
            r"$\theta-\eta\sum_i g_i+\sum_{k=2}^{N}(-\eta)^k\sum_{j<s_1<\dots<s_{k-1}}H_{s_{k-1}}\cdots H_{s_1}g_j$, "
            r"$g_j=\nabla L_j(\theta)$."
        ),
        check=lambda: _epoch({2, 3}),
        control="the difference truncated to its leading term, eta^2 sum_{j<s} H_s g_j",
        control_check=lambda: _epoch({2}),
        evidence="proof",
        scope="N = 3 quadratic losses on R^2 with free coefficients; every eta",
    )
)
