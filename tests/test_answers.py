"""Tests of gradavg.checks.answers: a reader's answer against an exercise's solution, and the claims behind answer boxes."""

import pytest
import sympy as sp

from gradavg.checks.answers import answer_symbols, answer_verdict, check_answer, decide_equal, exercise_claim
from gradavg.checks.safeparse import MAX_LENGTH
from gradavg.engine.claims import Answer, ledger
from gradavg.engine.gradients import difference_quotient, limit_at_zero

MEAN_OF_TWO = "(w*x_1 - y_1)*x_1 + (w*x_2 - y_2)*x_2"   # d/dw of (1/2) sum_i (w x_i - y_i)^2, N = 2
VARIABLES = "w,x_1,x_2,y_1,y_2"


def test_an_equal_answer_in_another_form_is_proved_equal():
    verdict = check_answer("w*(x_1**2 + x_2**2) - x_1*y_1 - x_2*y_2", MEAN_OF_TWO, VARIABLES)
    assert (verdict["status"], verdict["equivalent"], verdict["evidence"]) == (0, True, "proof")
    assert verdict["method"] == "symbolic: cancel" and verdict["witness"] is None


def test_a_wrong_answer_gets_a_witness_where_the_two_values_differ():
    verdict = check_answer(f"2*({MEAN_OF_TWO})", MEAN_OF_TWO, VARIABLES)   # the sum's gradient for the mean's
    assert (verdict["status"], verdict["equivalent"]) == (1, False)
    point = {sp.Symbol(k, real=True): sp.Rational(v) for k, v in verdict["witness"].items()}
    yours, expected = sp.Rational(verdict["yours"]), sp.Rational(verdict["expected"])
    assert yours != expected
    assert expected == sp.sympify(MEAN_OF_TWO, locals={s.name: s for s in point}).xreplace(point)
    assert yours == 2 * expected


def test_numbers_are_compared_exactly():
    assert check_answer("2/22", "1/11", "")["status"] == 0
    rounded = check_answer("0.0909", "1/11", "")
    assert (rounded["status"], rounded["witness"], rounded["yours"], rounded["expected"]) == (1, {}, "909/10000", "1/11")


def test_answers_outside_rational_functions_are_proved_by_simplify():
    verdict = check_answer("sigmoid(w)*(1 - sigmoid(w))", "exp(-w)/(1 + exp(-w))**2", "w")
    assert (verdict["status"], verdict["method"]) == (0, "symbolic: simplify")
    assert check_answer("sigmoid(w)", "exp(-w)/(1 + exp(-w))**2", "w")["status"] == 1


def test_an_identity_the_reduction_cannot_reach_is_undecided_never_equal(monkeypatch):
    # sin^2 + cos^2 = 1 is zero at every point; simplify proves it, and without simplify nothing may call it equal
    w = sp.Symbol("w", real=True)
    assert decide_equal(sp.sin(w) ** 2 + sp.cos(w) ** 2, sp.Integer(1), {"w": w}).method == "symbolic: simplify"
    monkeypatch.setattr(sp, "simplify", lambda expr: expr)
    with pytest.raises(ArithmeticError, match="undecided"):
        decide_equal(sp.sin(w) ** 2 + sp.cos(w) ** 2, sp.Integer(1), {"w": w})
    verdict = check_answer("sin(w)**2 + cos(w)**2", "1", "w")
    assert verdict["status"] == 2 and verdict["message"].startswith("undecided:"), verdict


@pytest.mark.parametrize(("text", "variables", "message"), [
    ("", "w", "error: the answer is empty"),
    ("z", "w", "error: unknown name 'z': the answer may use w and the functions"),
    ("w", "", "error: unknown name 'w': the answer may use no names and the functions"),
    ("__import__('os')", "w", "error:"),
    ("w**1000", "w", "error: the exponent 1000 is too large"),
    ("w", "w, sigmoid", "error: the answer's variables: 'sigmoid' is the name of a function or constant"),
])
def test_bad_answers_are_refused_with_a_message_not_a_traceback(text, variables, message):
    verdict = check_answer(text, "1", variables)
    assert verdict["status"] == 2 and verdict["equivalent"] is None
    assert verdict["message"].startswith(message), verdict["message"]


def test_the_answer_length_guard_refuses_just_past_its_limit_and_accepts_at_it():
    at_limit = "1".ljust(MAX_LENGTH)   # the length counts every character typed, spaces too
    assert check_answer(at_limit, "1", "")["status"] == 0
    past = at_limit + " "
    assert check_answer(past, "1", "")["message"] == f"error: the answer is {MAX_LENGTH + 1} characters long; " \
                                                       f"at most {MAX_LENGTH}"


def test_variables_are_real_symbols_by_name():
    symbols = answer_symbols(" a, b_2 ")
    assert list(symbols) == ["a", "b_2"] and all(s.is_real for s in symbols.values())


def _truth(symbols):
    w, x, y = (symbols[name] for name in ("w", "x", "y"))
    return limit_at_zero(difference_quotient((w * x - y) ** 2, w))


def test_an_exercise_claim_holds_for_the_right_answer_and_rejects_the_wrong_one():
    claim = exercise_claim("demo.one-example", "demo", answer=Answer("2*(w*x - y)*x", "w,x,y", "dL/dw ="),
                           wrong=Answer("2*(w*x - y)", "w,x,y", "dL/dw ="), truth=_truth,
                           control="the inner derivative dropped", scope="every real w, x, y")
    result = claim.run()
    assert result.ok and result.verdict.evidence == "proof" and result.control_rejected
    assert claim.answer.expression == "2*(w*x - y)*x" and claim.evidence == "proof"


def test_an_exercise_claim_with_a_wrong_solution_fails():
    claim = exercise_claim("demo.wrong-solution", "demo", answer=Answer("(w*x - y)*x", "w,x,y", "dL/dw ="),
                           wrong=Answer("2*(w*x - y)", "w,x,y", "dL/dw ="), truth=_truth,
                           control="c", scope="every real w, x, y")
    verdict = answer_verdict(claim.answer, _truth)
    assert not verdict.holds and verdict.witness and not claim.run().ok


def test_the_wrong_answer_must_use_the_variables_of_the_right_one():
    with pytest.raises(ValueError, match="the wrong answer must use the variables"):
        exercise_claim("demo.mismatch", "demo", answer=Answer("2*w", "w", "d ="), wrong=Answer("w", "w,x", "d ="),
                       truth=lambda s: 2 * s["w"], control="c", scope="every w")


def test_every_answer_box_s_solution_is_in_the_reader_s_syntax_and_rests_on_a_proof():
    # the box parses the solution with the reader's parser (a name or function it refuses would make every answer
    # "bad input"); whether the solution is right is the claim's own check, run with the ledger (test_claims.py)
    answered = [claim for claim in ledger() if claim.answer is not None]
    assert answered, "the site's exercises have answer boxes"
    for claim in answered:
        assert claim.evidence == "proof", claim.id
        verdict = check_answer(claim.answer.expression, claim.answer.expression, claim.answer.variables)
        assert verdict["status"] == 0, (claim.id, verdict["message"])


def test_positive_variables_are_compared_at_positive_values_only():
    # right only for positive counts: at a negative n_1 the two differ, so the box must not look there
    assert check_answer("3/(Abs(n_1) + n_2)", "3/(n_1 + n_2)", "n_1, n_2", positive="n_1, n_2")["status"] == 0
    assert check_answer("3/(Abs(n_1) + n_2)", "3/(n_1 + n_2)", "n_1, n_2")["status"] == 1
    wrong = check_answer("1/(n_1 + n_2)", "3/(n_1 + n_2)", "n_1, n_2", positive="n_1, n_2")
    assert wrong["status"] == 1 and all(sp.Rational(v) > 0 for v in wrong["witness"].values()), wrong
    refused = check_answer("1", "1", "n", positive="m")
    assert refused["message"] == "error: positive names m, which are not among the answer's variables"
