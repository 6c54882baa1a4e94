"""Claim.contrasting: one helper, the right argument for the check and the wrong one for the control."""

import pytest

from gradavg.engine.claims import Claim, Verdict


def doubling(calls):
    """A helper that records its arguments and decides ``x + x == factor * x``."""
    def check(factor):
        calls.append(factor)
        return Verdict(factor == 2, f"x + x against {factor} x", evidence="proof")
    return check


def build(check, right=2, wrong=1, **changes):
    fields = dict(control="x + x = x", evidence="proof", scope="every x")
    return Claim.contrasting("demo.twice", "$x + x = 2x$", check=check, right=right, wrong=wrong, **{**fields, **changes})


def test_check_gets_the_right_argument_and_the_control_the_wrong_one():
    calls = []
    claim = build(doubling(calls))
    assert calls == []  # nothing runs when the claim is built
    assert claim.check().holds and calls == [2]
    assert not claim.control_check().holds and calls == [2, 1]
    assert claim.run().ok


def test_right_and_wrong_swapped_is_not_ok():
    result = build(doubling([]), right=1, wrong=2).run()
    assert not result.verdict.holds and not result.control_rejected and not result.ok


def test_the_arguments_are_passed_as_they_are():
    seen = []
    right, wrong = (lambda mean: mean), (lambda mean, n: n * mean)
    claim = build(lambda cost: seen.append(cost) or Verdict(cost is right, "identity", evidence="proof"),
                  right=right, wrong=wrong)
    assert claim.run().ok
    assert seen[0] is right and seen[1] is wrong


def test_the_fields_are_those_of_the_full_form():
    claim = build(doubling([]))
    assert (claim.id, claim.statement, claim.control, claim.evidence, claim.scope) == (
        "demo.twice", "$x + x = 2x$", "x + x = x", "proof", "every x")


def test_the_full_form_checks_still_apply():
    with pytest.raises(ValueError, match="needs a scope"):
        build(doubling([]), scope=" ")
    with pytest.raises(ValueError, match="needs an evidence kind"):
        build(doubling([]), evidence="hunch")
