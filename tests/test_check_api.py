"""The public checking API on losses the pages do not use."""

import pytest
import sympy as sp

from gradavg import Verdict, check_batch_cost, check_gradient_of_mean

w, b, x, y = sp.symbols("w b x y")
POISSON = sp.exp(w * x + b) - y * (w * x + b)  # Poisson regression, negative log-likelihood up to a constant
CAUCHY = sp.log(1 + (w * x + b - y) ** 2)  # Cauchy (Lorentzian) loss
RATIONAL = (w * x - y) ** 2 / (1 + w**2)  # squared orthogonal distance to the line y = w x


def _reproduces(verdict: Verdict) -> bool:
    return all(sp.simplify(r.xreplace(verdict.witness) - g) == 0 for r, g in zip(verdict.residual, verdict.gap))


def test_a_rational_loss_is_proved_symbolically():
    verdict = check_gradient_of_mean(RATIONAL, [w], [x, y], n=3)
    assert verdict.holds and verdict.method.startswith("symbolic")
    assert verdict.witness is None and verdict.gap is None


@pytest.mark.parametrize("loss", [POISSON, CAUCHY], ids=["poisson", "cauchy"])
def test_a_transcendental_loss_holds_at_points_and_says_so(loss):
    verdict = check_gradient_of_mean(loss, [w, b], [x, y], n=3)
    assert verdict.holds and "not a proof" in verdict.method


def test_a_kinked_loss_skips_kinks_and_holds():
    hinge_squared = sp.Max(0, 1 - y * w * x) ** 2
    assert check_gradient_of_mean(hinge_squared, [w], [x, y]).holds


def test_a_product_cost_fails_with_a_witness_that_reproduces_the_gap():
    verdict = check_batch_cost(lambda batch: sp.Mul(*[POISSON.xreplace(e) for e in batch]), POISSON, [w, b], [x, y], n=2)
    assert not verdict.holds
    assert all(sp.sympify(v).is_Rational for v in verdict.witness.values())
    assert set(verdict.witness) >= {w, b}
    assert any(g != 0 for g in verdict.gap) and _reproduces(verdict)


def test_a_rational_product_cost_fails_exactly():
    verdict = check_batch_cost(lambda batch: sp.Mul(*[RATIONAL.xreplace(e) for e in batch]), RATIONAL, [w], [x, y], n=2)
    assert not verdict.holds and all(g.is_Rational for g in verdict.gap) and _reproduces(verdict)


def test_a_logsumexp_cost_fails_without_ties():
    def softmax_cost(batch):
        return sp.log(sp.Add(*[sp.exp(CAUCHY.xreplace(e)) for e in batch]))

    verdict = check_batch_cost(softmax_cost, CAUCHY, [w, b], [x, y], n=3)
    assert not verdict.holds and _reproduces(verdict)


def test_the_mean_as_a_batch_cost_holds():
    verdict = check_batch_cost(lambda batch: sp.Add(*[RATIONAL.xreplace(e) for e in batch]) / len(batch),
                               RATIONAL, [w], [x, y])
    assert verdict.holds and verdict.method.startswith("symbolic")


def test_verdicts_are_reproducible():
    first = check_batch_cost(lambda batch: sp.Max(*[RATIONAL.xreplace(e) for e in batch]), RATIONAL, [w], [x, y], n=2)
    second = check_batch_cost(lambda batch: sp.Max(*[RATIONAL.xreplace(e) for e in batch]), RATIONAL, [w], [x, y], n=2)
    assert (first.witness, first.gap, first.method) == (second.witness, second.gap, second.method)
    assert not first.holds


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: check_gradient_of_mean(POISSON, [w, b, sp.Symbol("c")], [x, y]), ValueError, "do not appear"),
        (lambda: check_gradient_of_mean(POISSON, [w, b], [x, y, w]), ValueError, "both params and data"),
        (lambda: check_gradient_of_mean(POISSON, [w, b], [x, y], n=1), ValueError, "at least 2"),
        (lambda: check_gradient_of_mean(POISSON, [w, b], [x, y], n=2.0), TypeError, "integer"),
        (lambda: check_gradient_of_mean(POISSON, [w, b], [x]), ValueError, "neither in params nor in data"),
        (lambda: check_gradient_of_mean("w*x", [w], [x]), TypeError, "SymPy expression"),
        (lambda: check_gradient_of_mean(POISSON, "w b", [x, y]), TypeError, "list of SymPy symbols"),
        (lambda: check_gradient_of_mean(POISSON, [w, b], [x, y, y]), ValueError, "twice"),
        (lambda: check_gradient_of_mean(sp.Function("f")(w, x), [w], [x]), ValueError, "cannot be evaluated"),
        (lambda: check_gradient_of_mean(sp.sqrt(-1 - w**2 - x**2), [w], [x]), ValueError, "not differentiable"),
        (lambda: check_batch_cost(lambda batch: 1.0, POISSON, [w, b], [x, y]), TypeError, "must return a SymPy"),
        (lambda: check_batch_cost(42, POISSON, [w, b], [x, y]), TypeError, "callable"),
        (lambda: check_batch_cost(lambda batch: POISSON, POISSON, [w, b], [x, y]), ValueError, "batch\\[i\\]"),
    ],
)
def test_bad_input_says_what_to_fix(call, error, words):
    with pytest.raises(error, match=words):
        call()
