"""Tests of gradavg.topics.linearity and gradavg.derivations.linearity: the model families, the family table and the figure; the page's checks never differentiate by rule, and wrong variants fail with exact witnesses."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import sympy as sp  # noqa: E402

import gradavg.derivations.linearity as lin  # noqa: E402
from gradavg.engine.claims import get  # noqa: E402
from gradavg.engine.sums import as_statistics  # noqa: E402
from gradavg.topics.data_arrays import anscombe_i  # noqa: E402
from gradavg.topics.linearity import (  # noqa: E402
    TARGETS,
    check_family,
    family_table_html,
    gradients_at_one_point,
    logistic_regression,
    softmax_regression,
    tanh_network,
)


def test_figure_returns_one_gradient_per_example():
    x, y = anscombe_i()
    figure, grads = gradients_at_one_point(x, y, (0.1, 2.0), (-1, 1), (0, 4))
    assert grads.shape == (11, 2) and len(figure.axes) == 1


def test_families_have_their_symbols_and_refuse_bad_sizes():
    assert len(logistic_regression(2).params) == 3
    model = softmax_regression(3, 2)
    assert len(model.params) == 9 and len(model.data) == 5
    assert len(tanh_network(3).params) == 10
    for make in (lambda: logistic_regression(0), lambda: softmax_regression(1), lambda: tanh_network(0)):
        with pytest.raises(ValueError):
            make()


def test_softmax_loss_is_minus_log_probability_for_a_one_hot_target():
    model = softmax_regression(3, 1)
    values = dict(zip(model.params, [1, -2, 3, 0, 1, -1]))
    values.update({model.data[0]: 2, model.data[1]: 0, model.data[2]: 1, model.data[3]: 0})
    scores = [1 * 2 + 0, -2 * 2 + 1, 3 * 2 - 1]
    expected = -sp.log(sp.exp(scores[1]) / sum(sp.exp(s) for s in scores))
    assert sp.simplify(model.loss.xreplace(values) - expected) == 0


def test_check_family_times_a_small_case():
    verdict = check_family(logistic_regression(1), 2, points=2)
    assert verdict.holds and verdict.seconds > 0 and "not a proof" in verdict.method


def test_table_targets_and_markdown():
    assert [n for _, n in TARGETS] == [8, 8, 4, 8]
    table = family_table_html([{"family": "f<g", "parameters": 1, "N": 2, "holds": False, "method": "m",
                                "seconds": 1.234}])
    assert "<td>f&lt;g</td><td>1</td><td>2</td><td>NO</td><td>m</td><td>1.23 s</td>" in table


def test_short_method_and_the_route_follow_the_check_constants(monkeypatch):
    import gradavg.topics.linearity as topic
    from gradavg.checks.check import AGREEMENT, STEP, WORKING_DIGITS

    assert topic.power_of_ten(STEP) == 30 and topic.power_of_ten(AGREEMENT) == 40
    with pytest.raises(ValueError):
        topic.power_of_ten(sp.Rational(3, 10**5))
    short = topic.short_method("numeric: ... at 5 random rational points (not a proof)")
    assert f"h = {topic.STEP_TEXT}" in short and f"{WORKING_DIGITS} digits" in short and "at 5 random" in short
    monkeypatch.setattr(topic, "WORKING_DIGITS", 60)
    assert "60-digit" in topic.numeric_route(2) and "60 digits" in topic.short_method("numeric: at 2 random rational points")

DERIVATION = ("cost-as-mean", "sum-rule", "constant-factor", "general-n", "any-loss")


@pytest.fixture
def no_derivatives(monkeypatch):
    """Make every SymPy derivative in a parameter (``diff``, ``Expr.diff``, ``Derivative``) raise.

    Derivatives in other symbols pass: SymPy's assumption system differentiates
    in ``N`` to decide the sign of a sum's bounds.
    """
    parameters = {lin.w, lin.b}

    def guarded(original):
        def refuse(*args, **kwargs):
            if parameters & {v for arg in args[1:] for v in sp.sympify(arg).atoms(sp.Symbol)}:
                raise AssertionError(f"a derivative in a parameter was taken by SymPy's rules: {args}")
            return original(*args, **kwargs)
        return refuse

    monkeypatch.setattr(sp.Derivative, "__new__", guarded(sp.Derivative.__new__))
    monkeypatch.setattr(sp.Expr, "diff", guarded(sp.Expr.diff))
    monkeypatch.setattr(sp, "diff", guarded(sp.diff))


def test_the_guard_catches_a_derivative_in_a_parameter(no_derivatives):
    with pytest.raises(AssertionError):
        (lin.w**2).diff(lin.w)
    with pytest.raises(AssertionError):
        sp.diff(lin.polynomial_loss(1), lin.b)


@pytest.mark.parametrize("name", DERIVATION)
def test_the_derivation_never_uses_the_rules_it_proves(request, name):
    claim = get(f"linearity.{name}")  # loaded before derivatives are refused: other modules use them on import
    request.getfixturevalue("no_derivatives")
    result = claim.run()
    assert result.ok and result.verdict.evidence == claim.evidence, result.verdict.method
    assert claim.evidence in ("proof", "exhaustive")


def test_general_n_rejects_the_sum_where_the_mean_belongs():
    verdict = lin._general_n(lambda mean: lin.N * mean)
    assert not verdict.holds and verdict.witness[lin.N] == 2
    assert all(g.is_Rational for g in verdict.gap) and any(g != 0 for g in verdict.gap)


def test_any_loss_rejects_a_remainder_that_is_not_averaged():
    # the identity with a cost whose remainder is summed, not averaged, must fail: (mean L)(1 + h) is not a mean
    verdict = lin._remainder_cost(lambda mean: mean * (1 + lin.STEP))
    assert not verdict.holds and all(g.is_Rational for g in verdict.gap)


def test_the_gram_matrix_is_formed_from_the_design_matrix():
    corner, _ = as_statistics(lin._entries((lin.DESIGN.T * lin.DESIGN)[1, 1]))
    off, _ = as_statistics(lin._entries((lin.DESIGN.T * lin.DESIGN)[0, 1]))
    assert corner == lin.N
    assert off == as_statistics(sp.Sum(lin.x[lin.i], (lin.i, 1, lin.N)))[0]


def test_cost_as_mean_rejects_a_missing_factor_two():
    wrong = lin._matrix_cost(lin.N) + 2 * lin.w * lin._entries((lin.DESIGN.T * lin.LABELS)[0, 0]) / lin.N / 2
    mean = sp.Sum((lin.w * lin.x[lin.i] + lin.b - lin.y[lin.i]) ** 2, (lin.i, 1, lin.N)) / lin.N
    left, _ = as_statistics(wrong)
    right, _ = as_statistics(mean)
    assert sp.cancel(sp.together(left - right)) != 0


@pytest.mark.parametrize("name", ("general-n", "any-loss", "linear-regression"))
def test_the_central_controls_are_the_sum_where_the_mean_belongs(name):
    claim = get(f"linearity.{name}")
    assert claim.control.startswith("the sum taken for the mean")
    verdict = claim.control_check()
    assert not verdict.holds and verdict.witness[lin.N] == 2  # at N = 1 the sum is the mean
    assert all(sp.sympify(v).is_Rational for v in verdict.witness.values())
    assert all(g.is_Rational for g in verdict.gap) and any(g != 0 for g in verdict.gap)


def test_the_square_of_the_mean_is_still_rejected():
    # the former controls: a cost that combines the losses other than by addition
    assert not lin._general_n(lambda mean: mean**2).holds
    assert not lin._remainder_cost(lambda mean: mean**2).holds
    assert not lin._linear_regression(lambda mean, n: mean**2).holds


def test_the_explicit_cross_check_uses_no_symbolic_sum_and_can_fail():
    assert all(lin._explicit_remainder_cost(lambda mean: mean, n) == 0 for n in range(1, lin.LARGEST_N + 1))
    summed = [lin._explicit_remainder_cost(lambda mean: lin.N * mean, n) for n in range(1, 4)]
    assert summed[0] == 0 and summed[1] != 0 and summed[2] != 0  # the sum is the mean only at N = 1
    assert not lin._explicit_remainder_cost(lambda mean: mean, 3).has(sp.Sum)


def test_linear_regression_is_proved_for_symbolic_n_and_cross_checked_from_n_1():
    verdict = lin._linear_regression(lambda mean, n: mean)
    assert verdict.holds and verdict.evidence == "proof"
    assert "N symbolic" in verdict.method and f"N = 1..{lin.LARGEST_N}" in verdict.method
    claim = get("linearity.linear-regression")
    assert claim.evidence == "proof" and "every N >= 1" in claim.scope and r"N \ge 1" in claim.statement


def test_any_loss_is_checked_term_by_term_for_the_sizes_it_states():
    # no rule of finite sums is applied, so the claim covers the N it writes out, and says so
    claim = get("linearity.any-loss")
    assert claim.evidence == "exhaustive" and f"N = 1, ..., {lin.LARGEST_N}" in claim.scope
    assert "no rule of finite sums applied" in claim.scope and "no limit taken" in claim.scope
    assert rf"N = 1, \dots, {lin.LARGEST_N}" in claim.statement
    assert f"N = 1..{lin.LARGEST_N}" in claim.run().verdict.method


def test_model_families_texts_are_formatted_from_the_constants():
    from gradavg.checks.check import WORKING_DIGITS
    from gradavg.topics.linearity import AGREEMENT_DIGITS, POINTS, STEP_TEXT, numeric_route

    claim = get("linearity.model-families")
    route = numeric_route(POINTS)
    assert route in claim.scope and route in claim.statement
    assert f"h = {STEP_TEXT}, {WORKING_DIGITS}-digit" in route and f"to {AGREEMENT_DIGITS} digits" in route
    assert f"at {POINTS} random rational points" in route
    assert numeric_route(7) != route
