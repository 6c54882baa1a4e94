"""Dataset versus population: the gradient of an expected loss, and kinks."""

from __future__ import annotations

import random
from fractions import Fraction

import sympy as sp

from gradavg.engine.claims import Claim, Verdict, register
from gradavg.engine.exact import decide
from gradavg.topics.population import (PiecewiseLinear, autodiff_derivative, normal_density, relu, subgradient_violation,
                                 swap_gap)

THETA, X = sp.symbols("theta x", real=True)
MU = sp.Symbol("mu", real=True)
STD = sp.Symbol("s", positive=True)


def _swap(loss, density, support, parameters) -> Verdict:
    """Decide d/dtheta E[L] == E[dL/dtheta], each side by its own route (integrate, then differentiate; or back)."""
    gap = sp.expand(swap_gap(loss, THETA, X, density, support))
    symbols = [THETA, *parameters]

    def at(point):
        if any(point[p] <= 0 for p in parameters if p.is_positive):
            point.update({p: abs(point[p]) for p in parameters if p.is_positive})
        return [gap.xreplace(point)]

    return decide(at, symbols, lambda: ([gap], "the difference of the two routes expands to 0"))


register(
    Claim(
        id="population.swap",
        statement=(
            r"For $x \sim \mathcal{N}(\mu, s^2)$ and $L(\theta, x) = e^{\theta x}$, whose derivative "
            r"$x e^{\theta x}$ is bounded near each $\theta$ by an integrable function of $x$, "
            r"$\frac{d}{d\theta}\mathbb{E}_x L(\theta, x) = \mathbb{E}_x \frac{\partial L}{\partial\theta}(\theta, x)$ "
            r"for all $\theta, \mu$ and $s > 0$."
        ),
        check=lambda: _swap(sp.exp(THETA * X), normal_density(X, MU, STD), (-sp.oo, sp.oo), [MU, STD]),
        control="a 0-1 loss [x < theta] with x uniform on (0, 1): no integrable bound, a jump in theta",
        control_check=lambda: _swap(sp.Piecewise((1, X < THETA), (0, True)), sp.Integer(1), (0, 1), []),
        evidence="proof",
        scope="L = exp(theta x), x normal with mean mu and standard deviation s: every theta, mu and s > 0",
    )
)

# --- kinks: the mean of per-example subgradients is a subgradient of the mean, for convex losses ----

CONVENTIONS = ("zero", "one", "half")
KINK = Fraction(0)


def random_convex_losses(rng: random.Random, count: int) -> list[PiecewiseLinear]:
    """ReLU-like convex losses with a kink at 0 and random rational slopes, plus one smooth piece."""
    losses = []
    for _ in range(count):
        left, right = sorted(Fraction(rng.randint(-6, 6), rng.randint(1, 4)) for _ in range(2))
        losses.append(PiecewiseLinear((left, right), (0, 0)))
    losses.append(PiecewiseLinear((Fraction(rng.randint(-5, 5), 3),), (1,)))
    return losses


def _mean_of_autodiff(losses) -> Verdict:
    """At the kink, for every convention, test that the mean of reported derivatives is a subgradient of C."""
    for convention in CONVENTIONS:
        g = sum(autodiff_derivative(loss, KINK, convention) for loss in losses) / len(losses)
        violation = subgradient_violation(losses, KINK, g)
        if violation:
            t, gap = violation
            return Verdict(False, f"exact subgradient inequality fails (convention {convention!r})",
                           witness={sp.Symbol("t"): sp.Rational(t.numerator, t.denominator),
                                    sp.Symbol("g"): sp.Rational(g.numerator, g.denominator)},
                           gap=(sp.Rational(gap.numerator, gap.denominator),))
    return None


def _subgradients(instances) -> Verdict:
    for losses in instances:
        failed = _mean_of_autodiff(losses)
        if failed:
            return failed
    return Verdict(True, f"exact: subgradient inequality at every breakpoint and on both rays, {len(instances)} "
                         f"instances x {len(CONVENTIONS)} conventions", evidence="sampled")


def convex_instances():
    rng = random.Random(4)
    return [[relu(), relu(-1)], [relu(), relu(1, 0, 1), relu(-2)]] + [random_convex_losses(rng, k) for k in (2, 3, 4)] * 4


register(
    Claim(
        id="population.kinks",
        statement=(
            r"For convex piecewise-linear per-example losses with a kink at $\theta = 0$ (ReLU-type), the mean of "
            r"the derivatives automatic differentiation reports there is a subgradient of "
            r"$C = \frac{1}{N}\sum_i L_i$ at 0, whichever convention $\mathrm{ReLU}'(0) \in \{0, \frac12, 1\}$ it uses."
        ),
        check=lambda: _subgradients(convex_instances()),
        control="a non-convex loss, L_1 = ReLU(theta), L_2 = -ReLU(-theta), so C(theta) = theta/2",
        control_check=lambda: _subgradients([[relu(), relu(-1, 0, sign=-1)]]),
        evidence="sampled",
        scope="5 distinct instances (2 chosen, 3 random, 2 to 4 losses each), each decided exactly, for each of the 3 conventions",
    )
)
