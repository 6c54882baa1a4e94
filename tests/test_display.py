"""Tests of gradavg.site.display: the claim displays."""

import pytest

from gradavg.engine.claims import Claim, Verdict
from gradavg.site.display import ClaimFailure, show


def test_show_reports_both_verdicts_and_the_evidence_under_the_statement():
    report = show("linearity.general-n")
    html = report._repr_html_()
    assert "linearity.general-n" in html and "rejected" in html
    assert "holds" in repr(report)
    badge = report.result.claim.badge
    assert badge.startswith("Proved: ") and badge.endswith(report.result.claim.scope)
    # the badge is the first line of the box, right under the statement
    assert html.splitlines()[1] == f'<p class="gradavg-evidence gradavg-evidence-proof">{badge.replace("<", "&lt;").replace(">", "&gt;")}</p>'


@pytest.mark.parametrize("holds, evidence, control_holds", [(False, "proof", False), (True, "proof", True),
                                                            (True, "sampled", False)])
def test_show_raises_when_a_claim_fails_falls_short_or_its_control_passes(monkeypatch, holds, evidence, control_holds):
    fake = Claim("fake.claim", "s", lambda: Verdict(holds, "m", evidence=evidence), "c",
                 lambda: Verdict(control_holds, "m"), "proof", "all")
    monkeypatch.setattr("gradavg.site.display.get", lambda claim_id, module=None: fake)
    with pytest.raises(ClaimFailure, match="fake.claim"):
        show("fake.claim")
