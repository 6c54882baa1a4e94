"""Model families, the family table, the parameter-space surfaces and the helpers of the non-additive claims."""

import matplotlib
import numpy as np
import pytest
import sympy as sp

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import gradavg.derivations.nonadditive as nonadditive  # noqa: E402
from gradavg.checks.check import check_cost_against_parts  # noqa: E402
from gradavg.topics.linearity import (  # noqa: E402
    TARGETS,
    check_family,
    family_table_html,
    logistic_regression,
    softmax_regression,
    tanh_network,
)
from gradavg.engine.gradients import examples  # noqa: E402
from gradavg.topics.parameter_space import (  # noqa: E402
    anscombe_exact,
    anscombe_standardised,
    mistaken_and_right,
    mistaken_places,
    per_example_surfaces,
)


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


def test_cost_against_parts_separates_accumulation_from_in_batch_negatives():
    w, u1, u2 = sp.symbols("w u1 u2")
    parts = [(w - u1) ** 2, (w - u2) ** 3]
    assert check_cost_against_parts((parts[0] + parts[1]) / 2, parts, [w]).holds
    assert not check_cost_against_parts(parts[0] * parts[1], parts, [w]).holds
    with pytest.raises(TypeError):
        check_cost_against_parts(1.0, parts, [w])
    with pytest.raises(ValueError, match="does not depend"):
        check_cost_against_parts(u1 + u2, parts, [w])


def test_exact_data_match_the_floats():
    z, y = anscombe_standardised()
    exact_z, exact_y = anscombe_exact()
    assert np.allclose(z, [float(v) for v in exact_z]) and np.allclose(y, [float(v) for v in exact_y])
    assert sp.simplify(sum(v**2 for v in exact_z) - len(exact_z)) == 0


def test_mistaken_places_are_distinct_exact_and_seeded():
    places = mistaken_places(11)
    assert places == mistaken_places(11) and len(set(places)) == 11
    assert all(v.is_Rational for place in places for v in place) and (0, 0) not in places


def test_figures_report_rounding_level_agreement():
    z, y = anscombe_standardised()
    figure, difference = per_example_surfaces(z, y, (-2, 4), (4, 10))
    assert difference < 1e-10 and len(figure.axes) >= 12
    plt.close(figure)
    figure, numbers = mistaken_and_right(z, y, (0.0, 6.5), (-2, 4), (4, 10))
    assert numbers["gradient_gap"] < 1e-12 and abs(numbers["scattered_w"] - numbers["full_w"]) > 0.1
    plt.close(figure)


def test_nonadditive_helpers():
    assert nonadditive.clip([sp.Integer(3), sp.Integer(4)]) == [sp.Rational(3, 5), sp.Rational(4, 5)]
    assert nonadditive.clip([sp.Rational(1, 2), 0]) == [sp.Rational(1, 2), 0]
    batch = examples([nonadditive.x, nonadditive.y], 3)
    assert nonadditive.batch_normalised_cost(batch, normalise=False) == nonadditive.mean_cost()(batch)
    pairs = examples([nonadditive.u, nonadditive.v], 1)
    assert sp.simplify(nonadditive.in_batch_contrastive(pairs)) == 0
    assert len(nonadditive.CASE_IDS) == 6
    assert nonadditive.clip([sp.Integer(0), sp.Integer(0)]) == [0, 0]  # clip(0) = 0, where min(1, 1/|g|) is undefined


def test_nonadditive_log_likelihood_right_side_is_differentiated_not_typed():
    theta, y_i = nonadditive.theta, nonadditive.labels[nonadditive.i]
    derivative = nonadditive.per_example_derivative(lambda p: -sp.log(p))
    assert not derivative.has(sp.log)  # the chain rule on -log p_i, never the split -y log(theta) - ...
    assert sp.cancel(derivative - (y_i - theta) / (theta**2 - theta)) == 0
    at = {theta: sp.Rational(1, 3), y_i: 1}
    assert derivative.xreplace(at) == sp.diff(-sp.log(theta), theta).xreplace(at)



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


def test_nonadditive_controls_are_proved_then_evaluated_at_the_claims_witness():
    from gradavg.engine.claims import get

    for case_id in ("nonadditive.batch-norm", "nonadditive.contrastive"):
        claim = get(case_id)
        claimed, control = claim.check(), claim.control_check()
        assert not control.holds and control.evidence == "proof"
        assert "satisfies the identity at every point (symbolic" in control.method
        refuted = nonadditive._refuted(nonadditive.CASES[case_id])
        assert set(refuted.witness.items()) <= set(control.witness.items())
        # the gap is computed: the control's residual at the witness (0) minus the claim's gap
        assert all(sp.simplify(g + c) == 0 for g, c in zip(control.gap, refuted.gap))
    assert {str(k) for k in get("nonadditive.contrastive").control_check().witness} >= {f"v_neg_{k}" for k in range(1, 5)}


def test_nonadditive_control_rejects_nothing_it_has_not_evaluated():
    product = nonadditive.CASES["nonadditive.product"]
    broken = nonadditive.Case("demo.broken", "s", product.wrong, product.additive, "c", "scope",
                              lambda: (sp.Integer(1), sp.Integer(0)))
    assert nonadditive._control_check(broken).holds  # a residual of 1 at the witness is not 0: the control is not rejected
