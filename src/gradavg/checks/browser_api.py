"""What the in-browser engine calls: the site's live checks, as JSON text.

The site's Web Worker runs this module under Pyodide with SymPy and mpmath
only, and calls it directly. There is no time budget here: the page stops a
check that runs too long by terminating the worker, which no Python code can
do from inside.
"""

from __future__ import annotations

import json

from ..engine.claims import get
from .answers import check_answer
from .ledger_report import ledger_rows
from .text_check import check_text


def check_text_json(loss: str, params: str, data: str, n: int = 4, cost: str | None = None) -> str:
    """:func:`gradavg.checks.text_check.check_text` as JSON: what ``gradavg check --json`` prints.

    Example:
        >>> import json
        >>> json.loads(check_text_json("(w*x - y)**2", "w", "x,y", 2))["status"]
        0
    """
    return json.dumps(check_text(loss, params, data, n=n, cost=cost))


def rerun_claim_json(module: str, claim_id: str) -> str:
    """Run one claim and its control, importing only the claim's module; the ledger row as JSON.

    Example:
        >>> import json
        >>> row = json.loads(rerun_claim_json("gradavg.derivations.linearity", "linearity.general-n"))
        >>> row["holds"], row["control_rejected"]
        (True, True)
    """
    return json.dumps(ledger_rows([get(claim_id, module=module).run()])[0])


def check_answer_json(text: str, expected: str, variables: str, positive: str = "") -> str:
    """:func:`gradavg.checks.answers.check_answer` as JSON: an exercise's answer box asks this.

    Example:
        >>> import json
        >>> json.loads(check_answer_json("2*w", "w + w", "w"))["equivalent"]
        True
    """
    return json.dumps(check_answer(text, expected, variables, positive))
