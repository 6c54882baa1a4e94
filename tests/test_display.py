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


JAX = "needs JAX: pip install 'gradavg[jax]'"


def report_of(check, control):
    from gradavg.site.display import ClaimReport
    return ClaimReport(Claim("fake.jax", "s", check, "c", control, "proof", "all").run())


def test_the_verdict_box_of_a_claim_not_run_says_so_and_why():
    missing = lambda: Verdict.not_run(JAX)
    box = report_of(missing, missing)._repr_html_()
    assert "<strong>Claim <code>fake.jax</code>: not run: needs JAX: pip install &#x27;gradavg[jax]&#x27;.</strong>" in box
    assert "): not run: needs JAX" in box  # the control's line too
    assert "FAILS" not in box and "NOT rejected" not in box
    assert box.splitlines()[0].startswith('<div class="gradavg-verdict gradavg-bad gradavg-not-run"')
    assert report_of(missing, missing).verdict_row()["status"] == "not run"
    assert "control (c): not run; not run: needs JAX" in repr(report_of(missing, missing))
    # a claim that ran and failed is still FAILS, and one that holds carries no not-run mark
    failed = report_of(lambda: Verdict(False, "m"), lambda: Verdict(False, "m"))._repr_html_()
    assert ": FAILS.</strong>" in failed and "not run" not in failed
    held = report_of(lambda: Verdict(True, "m", evidence="proof"), lambda: Verdict(False, "m"))._repr_html_()
    assert "gradavg-not-run" not in held and "gradavg-ok" in held


def test_show_refuses_a_claim_not_run_and_names_what_to_install(monkeypatch):
    missing = lambda: Verdict.not_run(JAX)
    fake = Claim("fake.jax", "s", missing, "c", missing, "proof", "all")
    monkeypatch.setattr("gradavg.site.display.get", lambda claim_id, module=None: fake)
    with pytest.raises(ClaimFailure, match=r"claim 'fake.jax' was not run here.*pip install 'gradavg\[jax\]'"):
        show("fake.jax")


def test_the_markdown_box_reads_as_the_html_box_with_the_evidence_kind_first_and_no_markup_leaking():
    from markdown_it import MarkdownIt

    report = show("linearity.general-n")  # its control's text holds _ and ( ) that Markdown could read as markup
    claim = report.result.claim
    rendered = MarkdownIt("commonmark").render(report._repr_markdown_())
    paragraphs = rendered.split("\n")
    assert paragraphs[0] == f"<p><strong>Proved:</strong> {claim.scope.replace('<', '&lt;').replace('>', '&gt;')}</p>"
    assert paragraphs[1].startswith(f"<p><strong>Claim <code>{claim.id}</code>: holds.</strong> Method: ")
    assert f"<strong>Negative control</strong> ({claim.control}): rejected." in paragraphs[2]
    assert "<em>Witness of the control's failure (exact):</em> At " in paragraphs[3]
    assert "re-run" not in rendered.lower()  # the live button is the HTML page's alone
