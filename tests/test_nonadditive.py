"""Tests of gradavg.derivations.nonadditive: the helpers and controls of the non-additive claims."""

import sympy as sp

import gradavg.derivations.nonadditive as nonadditive
from gradavg.engine.gradients import examples


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
