"""The numbered statements of the site's pages, read from their MyST source, and which claims they name.

A page backs a numbered statement with a claim by giving the statement the
claim's id as its label::

    ```{prf:theorem} Gradient of a mean
    :label: linearity.general-n
    ```

An exercise's solution (``{solution}``, :mod:`gradavg.site.sphinxext.exercises`) names the claim
that checks it the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

#: The sphinx-proof directives that make numbered statements; each rests on a proof or an exhaustive check.
NUMBERED = ("theorem", "proposition", "lemma", "corollary")
#: The directive for a labelled observation, a statement backed by weaker evidence (sampled, or a float bound).
OBSERVATION = "observation"
#: The kinds of evidence a numbered statement may rest on.
NUMBERED_EVIDENCE = ("proof", "exhaustive")
#: The directive for an exercise's solution (:mod:`gradavg.site.sphinxext.exercises`): it names its claim the same way.
SOLUTION = "solution"
_OPENING = re.compile(r"^\s*(`{3,}|:{3,})\{(?:prf:(" + "|".join((*NUMBERED, OBSERVATION)) + r")|(" + SOLUTION + r"))\}")
_LABEL = re.compile(r"^\s*:label:\s*(\S+)\s*$")
_OPTION = re.compile(r"^\s*:[\w-]+:")


@dataclass(frozen=True)
class Statement:
    """A numbered statement on a page: where it is and the claim id it names (or None).

    Example:
        >>> statement = Statement(Path("docs/linearity.md"), "linearity", 40, "theorem", "linearity.general-n")
        >>> f"{statement.path.as_posix()}:{statement.line}", statement.label
        ('docs/linearity.md:40', 'linearity.general-n')
    """

    path: Path
    page: str
    line: int
    kind: str
    label: str | None


def statements(docs: Path) -> list[Statement]:
    r"""Every numbered statement, observation and exercise solution under ``docs`` (page names without suffix, in path order).

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     page = "# Sums\n\n```{prf:theorem} Sum rule\n:label: linearity.general-n\n```\n"
        ...     _ = (Path(tmp) / "sums.md").write_text(page, encoding="utf-8")
        ...     found = statements(Path(tmp))
        >>> [(s.page, s.line, s.kind, s.label) for s in found]
        [('sums', 3, 'theorem', 'linearity.general-n')]
    """
    found = []
    for path in sorted(docs.rglob("*.md")):
        if "_build" in path.parts:
            continue
        page = path.relative_to(docs).with_suffix("").as_posix()
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            opening = _OPENING.match(line)
            if not opening:
                continue
            label = None
            for option in lines[number + 1 :]:
                if not _OPTION.match(option):
                    break
                if match := _LABEL.match(option):
                    label = match.group(1)
            found.append(Statement(path, page, number + 1, opening.group(2) or opening.group(3), label))
    return found


def overstated(statement: Statement, evidence: str) -> str | None:
    """Why a statement overstates the evidence of the claim it names, or ``None`` when it does not.

    A theorem, proposition, lemma or corollary must rest on ``proof`` or
    ``exhaustive`` evidence; weaker evidence (``sampled``, ``float-bound``) makes
    a labelled observation, or the statement must be narrowed until a proof covers it.

    Example:
        >>> theorem = Statement(Path("docs/a.md"), "a", 3, "theorem", "a.b")
        >>> print(overstated(theorem, "proof"))
        None
        >>> print(overstated(theorem, "sampled"))
        a theorem rests on sampled evidence: make it a {prf:observation}, or narrow it to what a proof covers
        >>> print(overstated(Statement(Path("docs/a.md"), "a", 3, "observation", "a.b"), "sampled"))
        None
    """
    if statement.kind in NUMBERED and evidence not in NUMBERED_EVIDENCE:
        return (f"a {statement.kind} rests on {evidence} evidence: make it a {{prf:{OBSERVATION}}}, "
                "or narrow it to what a proof covers")
    return None


def pages_by_claim(docs: Path) -> dict[str, list[str]]:
    r"""Claim id -> the pages whose numbered statements name it.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     for name, label in [("a", "linearity.general-n"), ("b", "linearity.general-n"), ("c", "linearity.sum-rule")]:
        ...         text = f":::{{prf:lemma}} A statement\n:label: {label}\n:::\n"
        ...         _ = (Path(tmp) / f"{name}.md").write_text(text, encoding="utf-8")
        ...     pages = pages_by_claim(Path(tmp))
        >>> pages
        {'linearity.general-n': ['a', 'b'], 'linearity.sum-rule': ['c']}
    """
    pages: dict[str, list[str]] = {}
    for statement in statements(docs):
        if statement.label and statement.page not in pages.setdefault(statement.label, []):
            pages[statement.label].append(statement.page)
    return pages
