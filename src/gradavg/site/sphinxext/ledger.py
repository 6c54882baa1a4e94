"""The proof ledger: each claim runs once per build, on the page that shows it.

The build collects the verdicts from the pages' executed output (cached or
not), and the ``gradavg-ledger`` directive turns them into the ledger's
totals and table; a claim whose verdict no page produced fails the build.
The pages that hold the directive are written again whenever any page was
read or removed, since their table shows every page's verdicts.

The claims come in one group per family (their ids' prefix, one module of
``derivations/``): a line that counts them, then their table. In HTML each
group is a ``<details>`` element, closed unless one of its claims fails or did
not run: a phone lays out only the groups a reader opens (the whole ledger at
once is 27,000 elements, half a second of layout on a phone), and the browser's
find in page opens the group it finds a match in.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from ...checks.ledger_report import row_status
from ...engine.claims import EVIDENCE_MEANING, format_seconds, ledger
from ..ledger_view import ledger_totals
from ..statements import pages_by_claim
from .state import all_pages, page_state

logger = logging.getLogger(__name__)

_VERDICT = re.compile(r'data-verdict="([^"]*)"')


def _collect_verdicts(app, doctree) -> None:
    """Keep the verdicts a page's executed cells showed (``data-verdict`` on each claim's report)."""
    found = {}
    for node in doctree.findall(nodes.raw):
        if node.get("format") == "html":
            for match in _VERDICT.finditer(node.astext()):
                row = json.loads(html.unescape(match.group(1)))
                found.setdefault(row["id"], row)
    page_state(app.env, app.env.docname).verdicts = found


def _note_page_removed_or_read_again(app, env, docname) -> None:
    app.gradavg_pages_changed = True


class ledger_table(nodes.General, nodes.Element):
    """Where the proof ledger goes; filled in once every page has been read."""


class ledger_group(nodes.General, nodes.Element):
    """One family of claims: its summary line (:class:`ledger_group_summary`), then its table.

    ``open`` is true when a claim of the family fails or did not run.
    """


class ledger_group_summary(nodes.General, nodes.TextElement):
    """The line that names a family of claims and counts them."""


def _visit_group_html(self, node):
    self.body.append('<details class="gradavg-ledger-group"' + (" open" if node["open"] else "") + ">")


def _depart_group_html(self, node):
    self.body.append("</details>")


def _visit_summary_html(self, node):
    self.body.append("<summary>")


def _depart_summary_html(self, node):
    self.body.append("</summary>")


def _visit_summary_latex(self, node):
    self.body.append("\n\\par\\medskip\\noindent{\\bfseries ")


def _depart_summary_latex(self, node):
    self.body.append("}\\par\\nopagebreak\n")


def _visit_summary_text(self, node):
    self.new_state(0)


def _depart_summary_text(self, node):
    self.end_state()


def _pass(self, node):
    pass


class LedgerDirective(SphinxDirective):
    """``{gradavg-ledger}``: the totals and the table of every claim, from the verdicts the pages produced."""

    def run(self):
        page_state(self.env, self.env.docname).shows_ledger = True
        return [ledger_table()]


def _note_pages_read(app, env, docnames) -> None:
    if docnames:
        app.gradavg_pages_changed = True


def _write_ledger_pages_when_verdicts_may_change(app, env) -> list[str]:
    """The ledger pages show every page's verdicts: write them again whenever a page was read or removed."""
    if not getattr(app, "gradavg_pages_changed", False):
        return []
    return sorted(docname for docname, state in all_pages(env).items() if state.shows_ledger)


def _with_math(text: str) -> list[nodes.Node]:
    """Text with ``$...$`` formulas as math nodes."""
    parts = re.split(r"\$([^$]+)\$", " ".join(str(text).split()))
    return [nodes.math(part, part) if i % 2 else nodes.Text(part) for i, part in enumerate(parts) if part]


def _fill_ledger(app, doctree, docname) -> None:
    tables = list(doctree.findall(ledger_table))
    if not tables:
        return
    shown = {}
    for _page, state in sorted(all_pages(app.env).items()):
        for claim_id, row in state.verdicts.items():
            shown.setdefault(claim_id, row)
    pages = pages_by_claim(Path(app.srcdir))
    rows = []
    for claim in ledger():
        row = shown.get(claim.id)
        if row is None:
            logger.warning("claim %r: no page showed its verdict, so the ledger has none (show it under its "
                           "statement with show(%r))", claim.id, claim.id, location=docname, type="gradavg",
                           subtype="claim")
            row = {"id": claim.id, "holds": False, "method": "not run by any page", "seconds": None,
                   "control_rejected": False, "evidence_backed": False, "status": "not run",
                   "needs": "no page showed its verdict"}
        rows.append({**row, "statement": claim.statement, "control": claim.control, "evidence": claim.evidence,
                     "scope": claim.scope, "pages": pages.get(claim.id, [])})
    totals = ledger_totals([{**r, "seconds": r["seconds"] or 0.0} for r in rows])
    seconds = format_seconds(totals["seconds"], 2, reproducible=any(r["seconds"] is None for r in rows))
    summary = nodes.paragraph("", "", nodes.strong("", f"{totals['claims']} claims; {totals['holding']} hold; "
                                                       f"{_not_run(totals)}"
                                                       f"{totals['backed']} with the evidence they declare; "
                                                       f"{totals['controls_rejected']} negative controls rejected; "
                                                       f"total check time {seconds}."))
    kinds = nodes.bullet_list()
    for kind, count in totals["evidence"].items():
        kinds += nodes.list_item("", nodes.paragraph("", "", nodes.strong("", f"{kind}: {count}"),
                                                     nodes.Text(f" ({EVIDENCE_MEANING[kind]})")))
    groups = [_group(app, docname, family, members) for family, members in _families(rows)]
    for table in tables:
        table.replace_self([summary, kinds, *groups])


def _families(rows: list[dict]) -> list[tuple[str, list[dict]]]:
    """The rows grouped by family (the claim id up to its first dot), in the ledger's order.

    Example:
        >>> [(family, [r["id"] for r in members]) for family, members in
        ...  _families([{"id": "a.x"}, {"id": "b.y"}, {"id": "a.z"}])]
        [('a', ['a.x', 'a.z']), ('b', ['b.y'])]
    """
    families: dict[str, list[dict]] = {}
    for row in rows:
        families.setdefault(row["id"].split(".", 1)[0], []).append(row)
    return list(families.items())


def _family_counts(members: list[dict]) -> str:
    """What the summary line of a family says after its name: how many claims, how they stand, their evidence.

    Example:
        >>> _family_counts([{"holds": True, "control_rejected": True, "evidence": "proof", "evidence_backed": True,
        ...                  "seconds": 0.1},
        ...                 {"holds": False, "control_rejected": True, "evidence": "sampled", "evidence_backed": True,
        ...                  "seconds": 0.1}])
        '2 claims, 1 holds, 1 FAILS; 2 controls rejected; proof 1, sampled 1'
    """
    totals = ledger_totals([{**r, "seconds": r["seconds"] or 0.0} for r in members])
    failing = totals["claims"] - totals["holding"] - totals["not_run"]
    standing = [f"{totals['holding']} {'hold' if totals['holding'] != 1 else 'holds'}"]
    standing += [f"{totals['not_run']} not run"] * bool(totals["not_run"]) + [f"{failing} FAILS"] * bool(failing)
    kinds = ", ".join(f"{kind} {count}" for kind, count in totals["evidence"].items() if count)
    claims = f"{totals['claims']} claim{'s' * (totals['claims'] != 1)}"
    rejected = f"{totals['controls_rejected']} control{'s' * (totals['controls_rejected'] != 1)} rejected"
    return f"{claims}, {', '.join(standing)}; {rejected}; {kinds}"


def _all_well(members: list[dict]) -> bool:
    """Whether every claim of a family holds with the evidence it declares and has its control rejected.

    Example:
        >>> well = {"holds": True, "control_rejected": True, "evidence_backed": True}
        >>> _all_well([well, well]), _all_well([well, {**well, "control_rejected": False}])
        (True, False)
        >>> _all_well([{**well, "holds": False}]), _all_well([{**well, "evidence_backed": False}])
        (False, False)
    """
    return all(r["holds"] and r["control_rejected"] and r["evidence_backed"] for r in members)


def _group(app, docname: str, family: str, members: list[dict]) -> ledger_group:
    """A family's group: its summary line (with the title of the page most of its claims are on), then its table.

    The group is open when one of its claims fails, did not run, or falls short of its evidence.
    """
    group = ledger_group(open=not _all_well(members))
    pages = Counter(page for r in members for page in r["pages"])
    home = f" ({app.env.titles[pages.most_common(1)[0][0]].astext()})" if pages else ""
    group += ledger_group_summary("", "", nodes.literal("", family), nodes.Text(f"{home}: {_family_counts(members)}"))
    group += _table(app, docname, members)
    return group


def _not_run(totals: dict) -> str:
    """The summary's count of claims not run, with their reasons grouped; nothing when every claim ran.

    Example:
        >>> _not_run({"not_run": 0, "needs": {}})
        ''
        >>> _not_run({"not_run": 3, "needs": {"needs JAX": 2, "needs PyTorch": 1}})
        '3 not run (2 needs JAX; 1 needs PyTorch); '
    """
    if not totals["not_run"]:
        return ""
    reasons = totals["needs"]
    why = next(iter(reasons)) if len(reasons) == 1 else "; ".join(f"{n} {reason}" for reason, n in reasons.items())
    return f"{totals['not_run']} not run ({why}); "


def _status(row: dict) -> list[nodes.Node]:
    """The table's status cell, before the seconds: the check's status and its control's.

    Example:
        >>> [n.astext() for n in _status({"holds": False, "control_rejected": False, "status": "not run",
        ...                               "needs": "needs JAX"})]
        ['not run: needs JAX', '; ', 'control not run']
        >>> [n.astext() for n in _status({"holds": False, "control_rejected": True, "evidence_backed": True})]
        ['FAILS', '; ', 'control rejected']
    """
    not_run = row_status(row) == "not run"
    if row["holds"]:
        status = nodes.Text("holds")
    elif not_run:  # nothing that ran failed, so the check did not run
        status = nodes.strong("", f"not run: {row.get('needs')}")
    else:
        status = nodes.strong("", "FAILS")
    if row["control_rejected"]:
        control = nodes.Text("control rejected")
    elif not_run:
        control = nodes.strong("", "control not run")
    else:
        control = nodes.strong("", "control NOT rejected")
    return [status, nodes.Text("; "), control]


def _table(app, docname: str, rows: list[dict]) -> list[nodes.Node]:
    """The ledger table, with what the PDF edition needs to fit it to the page."""
    widths = (38, 18, 22, 10, 12)  # percent of the line
    group = nodes.tgroup(cols=len(widths))
    group += [nodes.colspec(colwidth=w) for w in widths]
    head = nodes.thead()
    head += _row([[nodes.Text(h)] for h in ("Claim and negative control", "Evidence and scope", "Method",
                                            "Status and seconds", "Used on")])
    body = nodes.tbody()
    for r in rows:
        timing = format_seconds(r["seconds"]) if r["seconds"] is not None else format_seconds(0.0, reproducible=True)
        links = []
        for page in r["pages"]:
            title = app.env.titles[page].astext() if page in app.env.titles else page
            links += [nodes.reference("", title, internal=True, refuri=app.builder.get_relative_uri(docname, page)),
                      nodes.Text(", ")]
        claim = [nodes.paragraph("", "", nodes.literal("", r["id"]), nodes.Text(": "), *_with_math(r["statement"])),
                 nodes.paragraph("", "", nodes.emphasis("", "Control:"), nodes.Text(" "),
                                 *_with_math(r["control"]), nodes.Text("."))]
        unchecked = row_status(r) == "not run" and not r["holds"]  # a check not run fell short of nothing
        evidence = nodes.strong("", r["evidence"]) if r["evidence_backed"] or unchecked else \
            nodes.strong("", f"NOT {r['evidence']}: its check fell short")
        body += _row([claim, [evidence, nodes.Text(f": {r['scope']}")], [nodes.Text(" ".join(r["method"].split()))],
                      [*_status(r), nodes.Text(f"; {timing}")],
                      links[:-1] or [nodes.strong("", "none")]])
    group += [head, body]
    # In the PDF: a longtable, which breaks across pages (Sphinx sets a table of 30 rows or fewer as a tabulary,
    # which does not, and a family's table can be longer than a page); its columns are given their share of
    # the line and the table a smaller font (HTML ignores all three).
    table = nodes.table(classes=["gradavg-ledger", "longtable"])
    table += group
    latex_columns = addnodes.tabular_col_spec(spec="".join(rf"\X{{{w}}}{{{sum(widths)}}}" for w in widths))
    return [latex_columns, nodes.raw("", r"\begingroup\footnotesize", format="latex"), table,
            nodes.raw("", r"\endgroup", format="latex")]


def _row(cells: list[list[nodes.Node]]) -> nodes.row:
    row = nodes.row()
    for content in cells:
        entry = nodes.entry()
        if content and isinstance(content[0], nodes.paragraph):
            entry += content
        else:
            entry += nodes.paragraph("", "", *content)
        row += entry
    return row


def setup_ledger(app) -> None:
    """Collect each page's verdicts as it is read, and fill in the ledger pages once every page is read."""
    app.add_node(ledger_table)
    app.add_node(ledger_group, html=(_visit_group_html, _depart_group_html), latex=(_pass, _pass),
                 text=(_pass, _pass))
    app.add_node(ledger_group_summary, html=(_visit_summary_html, _depart_summary_html),
                 latex=(_visit_summary_latex, _depart_summary_latex), text=(_visit_summary_text, _depart_summary_text))
    app.add_directive("gradavg-ledger", LedgerDirective)
    app.connect("doctree-read", _collect_verdicts)
    app.connect("env-purge-doc", _note_page_removed_or_read_again)
    app.connect("env-before-read-docs", _note_pages_read)
    app.connect("env-updated", _write_ledger_pages_when_verdicts_may_change)
    app.connect("doctree-resolved", _fill_ledger)
