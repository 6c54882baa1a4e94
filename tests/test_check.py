"""Tests of gradavg.checks.check: its guards, defaults, routes and time budget (its public API on plain symbols is in test_check_api.py)."""

import random
import re
import time

import pytest
import sympy as sp

from gradavg.checks import check
from gradavg.checks.budget import BudgetExceeded
from gradavg.checks.check import check_batch_cost, check_cost_against_parts, check_gradient_of_mean
from gradavg.engine.exact import random_point

w, x, y = sp.symbols("w x y", real=True)

POISSON = sp.exp(w * x) - y * w


def _product(batch):
    return sp.Mul(*[POISSON.xreplace(e) for e in batch])


def _same(a, b):
    return (a.holds, a.method, a.residual, a.witness, a.gap) == (b.holds, b.method, b.residual, b.witness, b.gap)


def _f(text):
    return sp.Float(text, check.WORKING_DIGITS)


def _script(monkeypatch, values):
    """Make the checks draw w = values[0], values[1], ... (and 1/2 for every other symbol)."""
    drawn = iter(values)

    def scripted(symbols, rng):
        value = next(drawn)
        return {s: (sp.Integer(value) if s.name == "w" else sp.Rational(1, 2)) for s in symbols}

    monkeypatch.setattr(check, "random_point", scripted)


@pytest.mark.parametrize("power", [42, 45, 60])
def test_guard_numeric_confirmation_a_gap_below_the_quotients_digits_is_still_found(power):
    # the difference quotient agrees to 40 digits; the exact residual at the same point does not
    loss = sp.exp(w * x) - y * w
    eps = sp.Rational(1, 10**power)

    def cost(batch):
        return sp.Add(*[loss.xreplace(e) for e in batch]) / len(batch) + eps * sp.exp(w) * sp.log(2 + w**2)

    verdict = check_batch_cost(cost, loss, [w], [x, y], n=2)
    assert not verdict.holds and verdict.method == (
        "exact gap at a witness point (too small for the difference quotient's 40 digits, found by evaluating the "
        "residual exactly)")
    assert all(sp.simplify(r.xreplace(verdict.witness) - g) == 0 for r, g in zip(verdict.residual, verdict.gap))


def test_guard_numeric_confirmation_a_true_transcendental_identity_still_holds():
    loss = sp.log(1 + sp.exp(-y * w * x))
    verdict = check_gradient_of_mean(loss, [w], [x, y], n=3)
    assert verdict.holds and "not a proof" in verdict.method and verdict.witness is None


def test_guard_exact_rational_route_a_gap_of_1e_60_is_a_witness():
    loss = (w * x - y) ** 2
    verdict = check_batch_cost(lambda batch: sp.Add(*[loss.xreplace(e) for e in batch]) / 2 + w**2 / 10**60,
                               loss, [w], [x, y], n=2)
    assert not verdict.holds and verdict.method.startswith("exact: the limit")
    assert verdict.gap == (2 * verdict.witness[w] / 10**60,)


def test_guard_kink_a_point_on_the_kink_is_skipped():
    loss = sp.Abs(w - x)
    losses = [loss.xreplace({x: sp.Symbol("x_1", real=True)})]
    means = [sp.diff(losses[0], w)]
    on_kink = {w: sp.Rational(1, 2), sp.Symbol("x_1", real=True): sp.Rational(1, 2)}
    off_kink = {w: sp.Rational(1, 2), sp.Symbol("x_1", real=True): sp.Rational(1, 3)}
    assert check._numeric_at(losses[0], losses, [w], means, on_kink, True) is None
    assert check._numeric_at(losses[0], losses, [w], means, off_kink, True) is False
    # the cost is smooth here but one loss has a kink: still skipped
    smooth = w**2
    assert check._numeric_at(smooth, losses, [w], [2 * w], on_kink, True) is None
    assert check._numeric_at(smooth, losses, [w], [2 * w], on_kink, False) is False


def test_guard_kink_one_sided_quotients_must_agree():
    assert check._smooth_at(sp.Float(1), sp.Float(1))
    assert not check._smooth_at(sp.Float(1), sp.Float(-1))
    assert not check._smooth_at(sp.Float(1), sp.Float(1) + sp.Float(10) ** -15)


def test_guard_undefined_the_log_of_a_negative_number_is_skipped_not_compared():
    assert check._value(sp.log(w), {w: sp.Rational(-1, 2)}) is None
    assert check._value(1 / w, {w: sp.Integer(0)}) is None
    assert check._value(sp.log(w), {w: sp.Rational(1, 2)}) == sp.log(sp.Rational(1, 2)).evalf(check.WORKING_DIGITS)
    assert check._quotients(sp.sqrt(w), w, {w: sp.Integer(0)}) is None
    verdict = check_gradient_of_mean(sp.log(w * x) * y, [w], [x, y], n=2)
    assert verdict.holds


def test_guard_quotient_route_a_difference_the_exact_gap_does_not_confirm_is_undecided(monkeypatch):
    monkeypatch.setattr(check, "_numeric_at", lambda *args: True)
    with pytest.raises(ArithmeticError, match="does not confirm"):
        check_gradient_of_mean(sp.exp(w * x), [w], [x], n=2)


def test_guard_rational_route_a_residual_that_does_not_cancel_without_a_witness_is_undecided(monkeypatch):
    monkeypatch.setattr(check, "_exact_at", lambda *args: False)
    drawn = []
    original = check.random_point
    monkeypatch.setattr(check, "random_point", lambda symbols, rng: drawn.append(1) or original(symbols, rng))
    loss = (w - x) ** 2
    with pytest.raises(ArithmeticError, match="does not cancel to 0"):
        check_batch_cost(lambda batch: sp.Mul(*[loss.xreplace(e) for e in batch]), loss, [w], [x], n=2)
    assert len(drawn) == 4 + 200  # the first points, then 200 more in search of a witness


def test_guard_rational_route_undefined_points_are_skipped():
    means = [sp.Integer(0)]
    assert check._exact_at(1 / w, [1 / w], [w], means, {w: sp.Integer(0)}, False) is None
    assert check._exact_at(w**2, [w**2], [w], [2 * w], {w: sp.Integer(3)}, False) is False
    assert check._exact_at(w**3, [w**2], [w], [2 * w], {w: sp.Integer(3)}, False) is True


def test_guard_parts_the_general_check_refuses_a_cost_without_parameters():
    with pytest.raises(ValueError, match="does not depend"):
        check_cost_against_parts(x**2, [x], [w])
    with pytest.raises(TypeError, match="non-empty"):
        check_cost_against_parts(w**2, [], [w])


def test_defaults_four_examples_four_points_seed_zero():
    sizes = []
    verdict = check_batch_cost(lambda batch: sizes.append(len(batch)) or _product(batch), POISSON, [w], [x, y])
    assert sizes == [4]
    assert _same(verdict, check_batch_cost(_product, POISSON, [w], [x, y], n=4, points=4, seed=0))
    assert verdict.witness != check_batch_cost(_product, POISSON, [w], [x, y], seed=1).witness
    held = check_gradient_of_mean(POISSON, [w], [x, y])
    assert held.method.endswith("to 40 digits at 4 random rational points (not a proof)")
    assert "mean of 4 losses" in held.method
    parts = [POISSON.xreplace({x: sp.Symbol(f"x_{i}"), y: sp.Symbol(f"y_{i}")}) for i in (1, 2)]
    whole = check_cost_against_parts(sp.Add(*parts) / 2, parts, [w])
    assert whole.method.endswith("at 4 random rational points (not a proof)")
    assert whole.method == check_cost_against_parts(sp.Add(*parts) / 2, parts, [w], points=4, seed=0).method
    wrong = check_cost_against_parts(sp.Mul(*parts), parts, [w])
    assert wrong.witness == check_cost_against_parts(sp.Mul(*parts), parts, [w], seed=0).witness
    assert wrong.witness != check_cost_against_parts(sp.Mul(*parts), parts, [w], seed=1).witness


def test_defaults_name_what_was_checked_and_how_many_points():
    mean_cost = check_batch_cost(lambda batch: sp.Add(*[POISSON.xreplace(e) for e in batch]) / len(batch),
                                 POISSON, [w], [x, y])
    assert mean_cost.method == ("numeric: the difference quotient of the batch cost (h = 1e-30, 100 digits) agrees "
                                "with the mean of per-example gradients to 40 digits at 4 random rational points "
                                "(not a proof)")
    x1 = sp.Symbol("x_1")
    parts = [sp.exp(w * x1), sp.exp(w)]
    whole = check_cost_against_parts(sp.Add(*parts) / 2, parts, [w])
    assert whole.method.startswith("numeric: the difference quotient of the cost (h = 1e-30")
    rational = check_cost_against_parts((w**2 + w) / 2, [w**2, w], [w])
    assert rational.method == ("symbolic: the limit of the difference quotient of the cost minus the mean of "
                               "per-example gradients cancels to 0")


def test_defaults_seed_zero_draws_the_points_of_random_random_0(monkeypatch):
    seen = []
    original = check._exact_at
    monkeypatch.setattr(check, "_exact_at", lambda cost, losses, params, means, point, nonsmooth:
                        seen.append(point) or original(cost, losses, params, means, point, nonsmooth))
    check_gradient_of_mean((w - x) ** 2, [w], [x], n=2)
    rng = random.Random(0)
    symbols = sorted({w, *sp.symbols("x_1 x_2", real=True)}, key=str)
    assert seen == [random_point(symbols, rng) for _ in range(4)]


def test_a_budget_changes_nothing_but_where_the_check_runs():
    parts = [POISSON.xreplace({x: sp.Symbol(f"x_{i}"), y: sp.Symbol(f"y_{i}")}) for i in (1, 2)]
    for call in (
        lambda **budget: check_batch_cost(_product, POISSON, [w], [x, y], n=3, points=3, seed=2, **budget),
        lambda **budget: check_batch_cost(lambda batch: sp.Add(*[POISSON.xreplace(e) for e in batch]) / 2, POISSON,
                                          [w], [x, y], n=2, points=3, seed=2, **budget),
        lambda **budget: check_gradient_of_mean(POISSON, [w], [x, y], n=3, points=3, seed=2, **budget),
        lambda **budget: check_cost_against_parts(sp.Mul(*parts), parts, [w], points=3, seed=2, **budget),
        lambda **budget: check_cost_against_parts(sp.Add(*parts) / 2, parts, [w], points=3, seed=2, **budget),
    ):
        assert _same(call(timeout=120), call())
    assert call().method.endswith("at 3 random rational points (not a proof)")
    held = check_batch_cost(lambda batch: sp.Add(*[POISSON.xreplace(e) for e in batch]) / 2, POISSON, [w], [x, y],
                            n=2, points=3, timeout=120)
    assert held.holds and held.method.endswith("at 3 random rational points (not a proof)")


def test_the_quotient_route_is_what_finds_a_gross_difference():
    verdict = check_batch_cost(_product, POISSON, [w], [x, y], n=2)
    assert verdict.method == ("exact gap at a witness point (found by the cost's difference quotient in "
                              "100-digit arithmetic)")
    rational = check_batch_cost(lambda batch: sp.Mul(*[((w - e[x]) ** 2) for e in batch]), (w - x) ** 2, [w], [x], n=2)
    assert rational.method == ("exact: the limit of the cost's difference quotient differs from the mean of "
                               "per-example gradients")


@pytest.mark.parametrize("expr, at", [
    (sp.oo * w, 1), (-sp.oo * w, 1), (sp.nan * w, 1), (1 / w, 0), (sp.sqrt(w), -1), (sp.log(w), -2),
])
def test_guard_value_infinities_nan_and_complex_values_are_undefined(expr, at):
    assert check._value(expr, {w: sp.Integer(at)}) is None


def test_guard_value_is_computed_in_working_digits_from_exact_points():
    value = check._value(sp.exp(w), {w: sp.Rational(1, 3)})
    assert abs(value - sp.exp(sp.Rational(1, 3))).evalf(120) < sp.Float(10) ** -(check.WORKING_DIGITS - 1)


@pytest.mark.parametrize("expr, at", [(1 / w, 0), (sp.sqrt(-w), 0), (sp.sqrt(w), 0)], ids=["centre", "ahead", "behind"])
def test_guard_quotients_any_undefined_side_makes_the_point_undefined(expr, at):
    assert check._quotients(expr, w, {w: sp.Integer(at)}) is None


def test_guard_quotients_are_one_sided_difference_quotients():
    forward, backward = check._quotients(w**2, w, {w: sp.Integer(3)})
    assert abs(forward - (6 + check.STEP)) < sp.Float(10) ** -60
    assert abs(backward - (6 - check.STEP)) < sp.Float(10) ** -60


@pytest.mark.parametrize("forward, backward, smooth", [
    ("10", "10.0000000000000000001", True),    # 1e-19 <= KINK * 21
    ("10", "10.000000000000000000209", True),  # 2.09e-19, just inside KINK * 21
    ("10", "10.000000000000000000215", False),  # just past it
    ("1e6", "1000000.00000000000001", True),   # relative to the size of the quotients
    ("0", "0.00000000000000000002", False),     # 2e-20 > KINK * (1 + 0 + 2e-20)
    ("0", "-0.000000000000000000009", True),
])
def test_guard_kink_tolerance_is_relative_with_an_absolute_floor(forward, backward, smooth):
    assert bool(check._smooth_at(_f(forward), _f(backward))) is smooth


def test_the_quotient_route_sees_a_difference_of_1_5e_40_when_the_gradients_are_near_zero():
    x1 = sp.Symbol("x_1")
    eps = sp.Rational(15, 10**41)
    verdict = check_cost_against_parts(eps * (w + sp.exp(x1)), [sp.exp(x1)], [w])
    assert not verdict.holds and "found by the cost's difference quotient" in verdict.method
    assert verdict.gap == (eps,)


def test_the_quotient_tolerance_grows_with_the_size_of_the_gradients():
    x1 = sp.Symbol("x_1")
    part = 1000 * w + sp.exp(x1)
    verdict = check_cost_against_parts(part + w / 10**38, [part], [w])
    assert not verdict.holds and "too small for the difference quotient" in verdict.method


def test_the_quotient_route_keeps_a_difference_in_an_earlier_parameter():
    b = sp.Symbol("b", real=True)
    x1 = sp.Symbol("x_1")
    part = sp.exp(w * x1) + b**2
    verdict = check_cost_against_parts(part + sp.exp(w), [part], [w, b])
    assert not verdict.holds and "found by the cost's difference quotient" in verdict.method


@pytest.mark.parametrize("extra", [sp.log(sp.Abs(w - 1)), 1 / (w - 1)], ids=["nan", "zoo"])
def test_guard_witness_a_residual_undefined_at_the_point_is_not_evidence(monkeypatch, extra):
    # the quotient is told to agree everywhere; at w = 1 the exact residual is nan or zoo: skipped, not raised
    _script(monkeypatch, [1, 2, 3, 4, 5])
    monkeypatch.setattr(check, "_numeric_at", lambda *args: False)
    verdict = check_cost_against_parts(sp.exp(w) + extra, [sp.exp(w)], [w])
    assert not verdict.holds and verdict.witness == {w: 2}


def test_guard_rational_route_a_pole_at_the_point_is_skipped(monkeypatch):
    _script(monkeypatch, [1, 2, 3, 4, 5, 6, 7, 8])
    verdict = check_cost_against_parts(w**2 + 1 / (w - 1), [w**2 + 1 / (w - 1)], [w])
    assert verdict.holds and verdict.method.startswith("symbolic")
    failed = check_cost_against_parts(w**3 + 1 / (w - 1), [w**2 + 1 / (w - 1)], [w])
    assert not failed.holds and failed.witness == {w: 6}  # 1 was the pole; 2, 3, 4, 5 went to the first verdict


def test_guard_undefined_everywhere_tries_exactly_sixty_points(monkeypatch):
    drawn = []
    original = check.random_point
    monkeypatch.setattr(check, "random_point", lambda symbols, rng: drawn.append(1) or original(symbols, rng))
    with pytest.raises(ValueError, match="any of the 60 random rational points tried"):
        check_gradient_of_mean(sp.sqrt(-1 - w**2), [w], [], n=2)
    assert len(drawn) == 60


def test_the_budget_passes_the_seed_and_the_points_to_the_child(monkeypatch):
    def first_point(symbols, rng):  # raised in the child, so the parent sees which point came first
        raise ValueError(f"first point {random_point(symbols, rng)}")

    monkeypatch.setattr(check, "random_point", first_point)
    expected = random_point(sorted({w, *sp.symbols("x_1 x_2", real=True)}, key=str), random.Random(5))
    with pytest.raises(ValueError, match=re.escape(f"first point {expected}")):
        check_gradient_of_mean((w - x) ** 2, [w], [x], n=2, seed=5, timeout=60)


def test_parameters_are_real_even_when_given_without_assumptions():
    plain_w, plain_x = sp.symbols("w x")  # no real=True: |w - x| must still differentiate to sign(w - x)
    loss = sp.Abs(plain_w - plain_x) ** 3
    verdict = check_batch_cost(lambda batch: sp.Mul(*[loss.xreplace(e) for e in batch]), loss, [plain_w], [plain_x],
                               n=2)
    assert not verdict.holds and all(g.is_Rational for g in verdict.gap)
    assert verdict.gap == tuple(r.xreplace(verdict.witness) for r in verdict.residual)


def test_a_cost_that_leaves_out_an_example_still_gets_a_value_for_every_symbol():
    loss = (w - x) ** 2
    verdict = check_batch_cost(lambda batch: loss.xreplace(batch[0]), loss, [w], [x], n=2)
    assert not verdict.holds and {s.name for s in verdict.witness} == {"w", "x_1", "x_2"}
    numeric = check_batch_cost(lambda batch: sp.exp(w * batch[0][x]), sp.exp(w * x), [w], [x], n=2)
    assert not numeric.holds and {s.name for s in numeric.witness} == {"w", "x_1", "x_2"}


def test_guard_rational_route_a_pole_of_the_mean_alone_is_skipped(monkeypatch):
    # at w = 1 the cost is fine but the mean of gradients is zoo: skipped, and w = 2 is the witness
    _script(monkeypatch, [1, 2, 3])
    verdict = check_cost_against_parts(w, [w + 1 / (w - 1)], [w])
    assert not verdict.holds and verdict.witness == {w: 2} and verdict.gap == (1,)


def test_cost_against_parts_separates_accumulation_from_in_batch_negatives():
    w, u1, u2 = sp.symbols("w u1 u2")
    parts = [(w - u1) ** 2, (w - u2) ** 3]
    assert check_cost_against_parts((parts[0] + parts[1]) / 2, parts, [w]).holds
    assert not check_cost_against_parts(parts[0] * parts[1], parts, [w]).holds
    with pytest.raises(TypeError):
        check_cost_against_parts(1.0, parts, [w])
    with pytest.raises(ValueError, match="does not depend"):
        check_cost_against_parts(u1 + u2, parts, [w])


def test_the_public_checks_take_a_timeout():
    w, x = sp.symbols("w x")
    start = time.perf_counter()
    with pytest.raises(BudgetExceeded, match="after 0.5 s"):
        check_gradient_of_mean(sp.exp(sp.exp(sp.exp(w * x))), [w], [x], n=64, timeout=0.5)
    assert time.perf_counter() - start < 10
    within = check_gradient_of_mean((w * x) ** 2, [w], [x], n=3, timeout=60)
    assert within.holds and within.method == check_gradient_of_mean((w * x) ** 2, [w], [x], n=3).method
    failed = check_batch_cost(lambda batch: sp.Mul(*[(w - e[x]) ** 2 for e in batch]), (w - x) ** 2, [w], [x],
                              n=2, timeout=60)
    assert not failed.holds and failed.gap != (0,)
    with pytest.raises(ValueError, match="at least 2"):  # errors of the check come back as themselves
        check_gradient_of_mean((w * x) ** 2, [w], [x], n=1, timeout=60)
