"""Claims, verdicts and the registry that collects them.

A claim is a statement with a check that can fail and a negative control: a
deliberately wrong variant that the same check must reject. Modules under
``derivations/`` define claims with :func:`register`; :func:`ledger` imports
them all and returns every claim in a stable order.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import time
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check.

    Attributes:
        holds: whether the two sides agree.
        method: how the verdict was reached, in words (a symbolic proof, or
            evaluation at random points, which is not a proof and says so).
        seconds: wall time of the check.
        residual: the difference of the two sides, as far as it was reduced.
        witness: for a failed identity, exact values of every free symbol
            where the two sides differ; ``None`` when the identity holds.
        gap: the exact nonzero difference at ``witness``, or ``None``.

    Example:
        >>> Verdict(holds=True, method="symbolic: expand to 0").holds
        True
    """

    holds: bool
    method: str
    seconds: float = 0.0
    residual: Any = None
    witness: dict | None = None
    gap: Any = None

    def summary(self) -> str:
        """One line: status, method and time (and the gap when it fails)."""
        status = "holds" if self.holds else "fails"
        text = f"{status} · {self.method} · {self.seconds:.3f} s"
        if not self.holds and self.gap is not None:
            text += f" · gap {self.gap}"
        return text


@dataclass(frozen=True)
class Claim:
    """A statement, its check, and the negative control that must fail.

    Attributes:
        id: stable identifier such as ``"linearity.general-n"``; a page names
            it as the ``:label:`` of the numbered statement it backs.
        statement: the statement in LaTeX.
        check: runs the check on the statement and returns a :class:`Verdict`.
        control: the deliberately wrong variant, in words.
        control_check: runs the same check on the wrong variant.
    """

    id: str
    statement: str
    check: Callable[[], Verdict]
    control: str
    control_check: Callable[[], Verdict]

    def run(self) -> "Result":
        """Run the check and the control, timing each."""
        return Result(self, _timed(self.check), _timed(self.control_check))


@dataclass(frozen=True)
class Result:
    """A claim with the verdicts of its check and of its negative control."""

    claim: Claim
    verdict: Verdict
    control_verdict: Verdict

    @property
    def control_rejected(self) -> bool:
        """True when the wrong variant failed the check, as it must."""
        return not self.control_verdict.holds

    @property
    def ok(self) -> bool:
        """True when the claim holds and its control is rejected."""
        return self.verdict.holds and self.control_rejected


def _timed(check: Callable[[], Verdict]) -> Verdict:
    start = time.perf_counter()
    verdict = check()
    if not isinstance(verdict, Verdict):
        raise TypeError(f"a check must return a Verdict, got {type(verdict).__name__}")
    return dataclasses.replace(verdict, seconds=time.perf_counter() - start)


_REGISTRY: dict[str, Claim] = {}


def register(claim: Claim) -> Claim:
    """Add a claim to the registry; an id may be registered only once."""
    if claim.id in _REGISTRY and _REGISTRY[claim.id] is not claim:
        raise ValueError(f"claim id {claim.id!r} is registered twice")
    _REGISTRY[claim.id] = claim
    return claim


def ledger() -> list[Claim]:
    """Every claim defined under ``derivations/``, sorted by id.

    Example:
        >>> any(c.id == "linearity.general-n" for c in ledger())
        True
    """
    import derivations

    for module in pkgutil.iter_modules(derivations.__path__):
        importlib.import_module(f"derivations.{module.name}")
    return sorted(_REGISTRY.values(), key=lambda c: c.id)


def get(claim_id: str) -> Claim:
    """The claim with this id; ``KeyError`` naming the known ids otherwise."""
    claims = {c.id: c for c in ledger()}
    if claim_id not in claims:
        raise KeyError(f"no claim {claim_id!r}; known: {', '.join(sorted(claims))}")
    return claims[claim_id]
