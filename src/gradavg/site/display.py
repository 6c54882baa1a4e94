"""What a page's cell shows for a claim: its verdict and its control's, from the ledger code."""

from __future__ import annotations

import html
import json
import re

from ..engine.claims import EVIDENCE, Result, claim_module, format_seconds, get, reproducible_build
from .rerun_buttons import live_html


class ClaimReport:
    """A claim's result, shown as HTML in a notebook cell, as Markdown in the PDF edition and as text elsewhere.

    Example:
        >>> report = ClaimReport(get("linearity.general-n").run())
        >>> print(repr(report).splitlines()[1])
        control (the sum taken for the mean: grad of sum_i L_i = (1/N) sum_i grad L_i (the 1/N dropped from the cost)): rejected; fails · ...
    """

    def __init__(self, result: Result):
        self.result = result

    def __repr__(self) -> str:
        r = self.result
        control = "rejected" if r.control_rejected else "not run" if not r.control_verdict.ran else "NOT rejected"
        return (f"{r.claim.id}: {r.verdict.summary()}\n"
                f"control ({r.claim.control}): {control}; {r.control_verdict.summary()}")

    def verdict_row(self) -> dict:
        """What the proof ledger page shows for this claim, collected from the page by the build.

        Seconds are ``None`` in a reproducible build, which shows no timings.
        """
        r, timed = self.result, not reproducible_build()
        return {"id": r.claim.id, "holds": r.verdict.holds, "method": r.verdict.method,
                "evidence": r.claim.evidence, "scope": r.claim.scope, "evidence_backed": r.evidence_backed,
                "seconds": round(r.verdict.seconds, 4) if timed else None,
                "control_rejected": r.control_rejected, "status": r.status, "needs": r.needs}

    def _statuses(self) -> tuple[str, str]:
        """The claim's status and its control's, in the words every rendering shows."""
        r = self.result
        verdict, control = r.verdict, r.control_verdict
        status = "holds" if verdict.holds else f"not run: {verdict.missing}" if not verdict.ran else "FAILS"
        rejected = "rejected" if r.control_rejected else f"not run: {control.missing}" if not control.ran \
            else "NOT rejected"
        return status, rejected

    def _witness(self) -> tuple[str, str] | None:
        """Where the control fails ("At w = 1/2", or for numbers "As numbers") and by how much (exact), if it has a witness."""
        control = self.result.control_verdict
        if control.witness is None:
            return None
        where = "At " + ", ".join(f"{k} = {v}" for k, v in control.witness.items()) if control.witness else "As numbers"
        return where, ", ".join(str(g) for g in control.gap)

    def _repr_html_(self) -> str:
        r = self.result
        verdict, control = r.verdict, r.control_verdict
        status, rejected = self._statuses()
        not_run = " gradavg-not-run" if r.status == "not run" else ""
        parts = [
            f'<div class="gradavg-verdict gradavg-{"ok" if r.ok else "bad"}{not_run}" '
            f'data-verdict="{html.escape(json.dumps(self.verdict_row()))}">',
            f'<p class="gradavg-evidence gradavg-evidence-{r.claim.evidence}">{html.escape(r.claim.badge)}</p>',
            f"<p><strong>Claim <code>{html.escape(r.claim.id)}</code>: {html.escape(status)}.</strong> "
            f"Method: {html.escape(verdict.method)}. Time: {format_seconds(verdict.seconds)}.</p>",
            f"<p><strong>Negative control</strong> ({html.escape(r.claim.control)}): {html.escape(rejected)}. "
            f"Method: {html.escape(control.method)}. Time: {format_seconds(control.seconds)}.</p>",
        ]
        if found := self._witness():
            witness, gap = found
            parts.append("<details><summary>Witness of the control's failure (exact)</summary>"
                         f"<p>{html.escape(witness)}, the two sides differ by ({html.escape(gap)}).</p></details>")
        parts.append(live_html(r.claim.id))
        parts.append("</div>")
        return "\n".join(parts)

    def _repr_markdown_(self) -> str:
        """The verdict box as paragraphs, for the builders that take no HTML (the PDF edition's LaTeX).

        The same lines as the HTML box, the evidence kind first; the live re-run button is left out.

        Example:
            >>> print(ClaimReport(get("linearity.general-n").run())._repr_markdown_().split("\\n\\n")[1].split(" Method")[0])
            **Claim `linearity.general-n`: holds.**
        """
        r = self.result
        verdict, control = r.verdict, r.control_verdict
        status, rejected = self._statuses()
        parts = [f"**{EVIDENCE[r.claim.evidence]}:** {_markdown_text(r.claim.scope)}",
                 f"**Claim `{r.claim.id}`: {_markdown_text(status)}.** Method: {_markdown_text(verdict.method)}. "
                 f"Time: {format_seconds(verdict.seconds)}.",
                 f"**Negative control** ({_markdown_text(r.claim.control)}): {_markdown_text(rejected)}. "
                 f"Method: {_markdown_text(control.method)}. Time: {format_seconds(control.seconds)}."]
        if found := self._witness():
            witness, gap = found
            parts.append(f"*Witness of the control's failure (exact):* {_markdown_text(witness)}, "
                         f"the two sides differ by ({_markdown_text(gap)}).")
        return "\n\n".join(parts)


def _markdown_text(text: str) -> str:
    """``text`` as literal Markdown: every ASCII punctuation mark that Markdown could read as markup escaped.

    Example:
        >>> print(_markdown_text("grad of sum_i L_i = (1/N) * x [a]"))
        grad of sum\\_i L\\_i = (1/N) \\* x \\[a\\]
    """
    return re.sub(r"([\\`*_{}\[\]<>#+!|~^$&-])", r"\\\1", " ".join(str(text).split()))


class ClaimFailure(AssertionError):
    """A claim did not hold, its negative control was not rejected, or either could not run here.

    Example:
        >>> isinstance(ClaimFailure("demo"), AssertionError)  # a failed cell, like a failed assert
        True
    """


def show(claim_id: str) -> ClaimReport:
    """Run a claim and its control now and return what a page cell displays.

    Raises :class:`ClaimFailure` when the claim fails or its control is not
    rejected, so the cell errors and the strict build fails on that page; and
    when the claim could not run here (the message says what to install): a
    page never presents a claim that was not run.

    Example:
        >>> show("linearity.general-n").result.ok
        True
    """
    report = ClaimReport(get(claim_id, module=claim_module(claim_id)).run())  # one claim module, not the ledger
    if report.result.status == "not run":
        raise ClaimFailure(f"claim {claim_id!r} was not run here, so the page cannot show it: {report.result.needs}"
                           f"; install it and build again\n{report!r}")
    if not report.result.ok:
        raise ClaimFailure(repr(report))
    return report
