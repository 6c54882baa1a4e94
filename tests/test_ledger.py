"""Every claim in the ledger holds, and every negative control is rejected with a certificate."""

import re

import pytest
import sympy as sp

from gradavg import ledger
from gradavg.engine.claims import supports

CLAIMS = ledger()


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.id for c in CLAIMS])
def test_claim_holds(claim):
    verdict = claim.check()
    assert verdict.holds, f"{claim.id} fails: {verdict.method}; witness {verdict.witness}, gap {verdict.gap}"
    assert verdict.witness is None and verdict.gap is None
    assert supports(verdict.evidence, claim.evidence), (f"{claim.id} declares {claim.evidence} evidence but its check "
                                                        f"reached {verdict.evidence}: {verdict.method}")


def _answers_a_number(claim) -> bool:
    return claim.answer is not None and not claim.answer.variables.strip()


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.id for c in CLAIMS])
def test_control_rejected(claim):
    verdict = claim.control_check()
    assert not verdict.holds, f"the control of {claim.id} ({claim.control}) was not rejected"
    # an exercise whose answer is a number has no variables: its wrong number is refuted at the empty point
    assert verdict.witness or _answers_a_number(claim), "a rejected control must carry a witness point"
    assert all(sp.sympify(v).is_Rational for v in verdict.witness.values()), "witness values must be exact rationals"
    assert any(sp.sympify(g) != 0 for g in verdict.gap), "the gap at the witness must be nonzero"


def test_ids_are_unique_and_statements_present():
    assert len({c.id for c in CLAIMS}) == len(CLAIMS)
    assert all(c.statement.strip() and c.control.strip() for c in CLAIMS)


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.id for c in CLAIMS])
def test_statement_has_no_tex_outside_its_math(claim):
    # the proof ledger typesets only $...$: a command outside it would show to readers as raw TeX
    prose = re.sub(r"\$[^$]+\$", "", claim.statement)
    assert not re.search(r"\\[A-Za-z]+", prose), f"TeX outside $...$ in {claim.id}: {prose}"
