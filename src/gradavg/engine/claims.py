"""Claims, verdicts and the registry that collects them.

A claim is a statement with a check that can fail and a negative control: a
deliberately wrong variant that the same check must reject. Modules under
``derivations/`` define claims with :func:`register`; :func:`ledger` imports
them all (found through an entry point) and returns every claim in a stable order.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import importlib
import os
import pkgutil
import time
from importlib import metadata
from dataclasses import dataclass
from typing import Any, Callable


def format_seconds(seconds: float, places: int = 3, reproducible: bool | None = None) -> str:
    """A measured duration as a page shows it.

    Timings differ from run to run, so a reproducible build shows none. By
    default a build is reproducible when ``SOURCE_DATE_EPOCH`` is set, the
    variable reproducible-builds tools use.

    Example:
        >>> format_seconds(0.04812, reproducible=False)
        '0.048 s'
        >>> format_seconds(0.04812, places=1, reproducible=True)
        'not shown in a reproducible build'
    """
    if reproducible is None:
        reproducible = reproducible_build()
    return "not shown in a reproducible build" if reproducible else f"{seconds:.{places}f} s"


def reproducible_build() -> bool:
    """True when ``SOURCE_DATE_EPOCH`` is set: the build must give the same bytes every time, so no timings.

    Example:
        >>> import os
        >>> reproducible_build() == ("SOURCE_DATE_EPOCH" in os.environ)
        True
    """
    return "SOURCE_DATE_EPOCH" in os.environ


#: the kinds of evidence a check can give, strongest first, with the badge a page shows for each
EVIDENCE = {
    "proof": "Proved",
    "exhaustive": "Checked in every case",
    "float-bound": "Floating point within a derived rounding bound",
    "sampled": "Evidence at sample points, not a proof",
}
#: what each kind of evidence means, as the proof ledger explains it
EVIDENCE_MEANING = {
    "proof": "symbolic, in the full generality of the scope",
    "exhaustive": "every case of a finite family, named in the scope, decided exactly",
    "float-bound": "floating-point results within a derived rounding bound, at the points the scope names",
    "sampled": "agreement at sample points: evidence, not a proof",
}


def supports(reached: str | None, declared: str) -> bool:
    """Whether evidence of kind ``reached`` backs a claim that declares kind ``declared``.

    A proof backs every kind; an enumeration of cases each decided exactly backs
    ``exhaustive`` (its scope names the cases) and anything weaker; ``float-bound``
    and ``sampled`` back only themselves. A check that names no evidence backs nothing.

    Example:
        >>> supports("proof", "exhaustive"), supports("exhaustive", "proof"), supports("sampled", "proof")
        (True, False, False)
        >>> supports("float-bound", "sampled"), supports(None, "sampled")
        (False, False)
    """
    if declared not in EVIDENCE:
        raise ValueError(f"unknown evidence kind {declared!r}; the kinds are {', '.join(EVIDENCE)}")
    backs = {"proof": set(EVIDENCE), "exhaustive": {"exhaustive", "sampled"},
             "float-bound": {"float-bound"}, "sampled": {"sampled"}}
    return declared in backs.get(reached, set())


def weakest(kinds) -> str | None:
    """The weakest of several evidence kinds (a check that combines verdicts is only as strong as its weakest).

    ``None`` (no evidence named) is weaker than every kind.

    Example:
        >>> weakest(["proof", "exhaustive"]), weakest(["proof", "sampled", "exhaustive"]), weakest(["proof", None])
        ('exhaustive', 'sampled', None)
    """
    order = [*EVIDENCE, None]
    return max(kinds, key=order.index, default=None)


def over_cases(kinds) -> str | None:
    """The evidence of a check that decided each case of a finite family: ``exhaustive`` if every case was proved.

    Otherwise it is as weak as its weakest case (see :func:`weakest`).

    Example:
        >>> over_cases(["proof", "proof"]), over_cases(["proof", "sampled"])
        ('exhaustive', 'sampled')
    """
    kinds = list(kinds)
    return "exhaustive" if kinds and weakest(kinds) == "proof" else weakest(kinds)


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
        evidence: what kind of evidence the check reached (a key of
            :data:`EVIDENCE`): ``"proof"`` for a canonical form reduced to
            zero, ``"sampled"`` for agreement at points, ``"exhaustive"`` when
            every case of a finite family was decided exactly,
            ``"float-bound"`` for floating-point results within a rounding
            bound. A refutation carries ``"proof"``: one exact witness settles it.
        missing: why the check could not run here (what to install), or
            ``None`` when it ran. A verdict that was not run does not hold, and
            says nothing about the statement either way: build one with
            :meth:`not_run`.

    Example:
        >>> Verdict(holds=True, method="symbolic: expand to 0", evidence="proof").holds
        True
    """

    holds: bool
    method: str
    seconds: float = 0.0
    residual: Any = None
    witness: dict | None = None
    gap: Any = None
    evidence: str | None = None
    missing: str | None = None

    def __post_init__(self):
        if self.evidence is not None and self.evidence not in EVIDENCE:
            raise ValueError(f"unknown evidence kind {self.evidence!r}; the kinds are {', '.join(EVIDENCE)}")
        if self.missing is not None:
            if not str(self.missing).strip():
                raise ValueError("a check that could not run must say why (what is missing)")
            if self.holds or self.evidence is not None:
                raise ValueError(f"a check that could not run ({self.missing}) neither holds nor reaches evidence")

    @classmethod
    def not_run(cls, reason: str) -> "Verdict":
        """The verdict of a check that could not run here, and why: what is missing and how to install it.

        It does not hold and names no evidence, so a claim whose check (or
        control) was not run is never ok; its status is ``"not run"``
        (:attr:`Result.status`), not ``"fails"``: nothing was decided.

        Example:
            >>> verdict = Verdict.not_run("needs JAX: pip install 'gradavg[jax]'")
            >>> verdict.holds, verdict.ran, verdict.missing
            (False, False, "needs JAX: pip install 'gradavg[jax]'")
            >>> verdict.summary()
            "not run: needs JAX: pip install 'gradavg[jax]'"
            >>> Verdict(True, "by hand").ran
            True
        """
        return cls(False, reason, missing=reason)

    @property
    def ran(self) -> bool:
        """True when the check ran (whatever it decided); False for :meth:`not_run`."""
        return self.missing is None

    def summary(self) -> str:
        """One line: status, method and time (and the gap when it fails); for a check not run, why."""
        if not self.ran:
            return f"not run: {self.missing}"
        status = "holds" if self.holds else "fails"
        text = f"{status} · {self.method} · {format_seconds(self.seconds)}"
        if not self.holds and self.gap is not None:
            text += f" · gap {self.gap}"
        return text


@dataclass(frozen=True)
class Answer:
    """What an exercise asks its reader to type, and the solution the engine compares it with.

    Attributes:
        expression: the solution, in the syntax of :mod:`gradavg.checks.safeparse`
            (``"2*(w*x + b - y)*x"``; a number such as ``"1/11"``).
        variables: the names the answer may use, comma-separated (``"w,b,x,y"``; ``""`` for a number).
        prompt: what the answer box asks for, as the reader sees it (``"dL/dw ="``).
        positive: those of ``variables`` that are positive (counts, step sizes, standard deviations),
            comma-separated: the answer is compared for positive values of them only, so a right
            answer that relies on it (``sqrt(s**2)`` for ``s``) is not refuted at a negative one.

    Example:
        >>> Answer("2*w", "w", "dL/dw =").variables
        'w'
        >>> Answer(" ", "w", "dL/dw =")
        Traceback (most recent call last):
        ...
        ValueError: an answer needs an expression and a prompt
    """

    expression: str
    variables: str
    prompt: str
    positive: str = ""

    def __post_init__(self):
        if not self.expression.strip() or not self.prompt.strip():
            raise ValueError("an answer needs an expression and a prompt")
        names = {name.strip() for name in self.variables.split(",")}
        if stray := {name.strip() for name in self.positive.split(",") if name.strip()} - names:
            raise ValueError(f"positive names {', '.join(sorted(stray))}, which are not among the answer's variables")


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
        evidence: the kind of evidence the check gives (a key of
            :data:`EVIDENCE`); the verdict it returns must back it
            (:func:`supports`), or the claim is not ok.
        scope: how far the check reaches, in words: the generality actually
            checked ("every N >= 1; losses polynomial of degree <= 3 in (w, b)",
            "N <= 4 and every B <= N", "float64, at theta_0").
        answer: for the claim behind an exercise's answer box, the :class:`Answer`
            its check proves right (``None`` for every other claim).

    Example:
        >>> claim = Claim("demo.double", "$2x = x + x$", lambda: Verdict(True, "by hand", evidence="proof"),
        ...               "2x = x", lambda: Verdict(False, "by hand"), evidence="proof", scope="every x")
        >>> claim.run().ok
        True
        >>> Claim("demo.vague", "$x = x$", claim.check, "x = 2x", claim.control_check, evidence="proof", scope=" ")
        Traceback (most recent call last):
        ...
        ValueError: claim 'demo.vague' needs a scope: the generality its check reaches, in words
    """

    id: str
    statement: str
    check: Callable[[], Verdict]
    control: str
    control_check: Callable[[], Verdict]
    evidence: str = ""
    scope: str = ""
    answer: Answer | None = None

    def __post_init__(self):
        if self.evidence not in EVIDENCE:
            raise ValueError(f"claim {self.id!r} needs an evidence kind, one of {', '.join(EVIDENCE)}; "
                             f"got {self.evidence!r}")
        if not self.scope.strip():
            raise ValueError(f"claim {self.id!r} needs a scope: the generality its check reaches, in words")

    @classmethod
    def contrasting(cls, id: str, statement: str, *, check: Callable[[Any], Verdict], right: Any, wrong: Any,
                    control: str, evidence: str, scope: str) -> "Claim":
        """A claim whose check and negative control are one helper, given the right argument and the wrong one.

        The claim's check is ``check(right)`` and its negative control
        ``check(wrong)``, each run only when the claim is checked. ``right`` and
        ``wrong`` themselves are evaluated where the claim is built, when its
        module is imported: they should be cheap values (a function, a formula,
        a small constant), never the result of an expensive computation.

        Args:
            id: the claim's stable identifier, as for :class:`Claim`.
            statement: the statement in LaTeX.
            check: the helper; called with one argument, it returns a :class:`Verdict`.
            right: the argument for which ``check`` decides the statement.
            wrong: the argument of the deliberately wrong variant, which ``check`` must reject.
            control: the wrong variant, in words.
            evidence: the kind of evidence the check gives (a key of :data:`EVIDENCE`).
            scope: how far the check reaches, in words.

        Example:
            >>> twice = lambda factor: Verdict(factor == 2, f"x + x against {factor} x", evidence="proof")
            >>> claim = Claim.contrasting("demo.twice", "$x + x = 2x$", check=twice, right=2, wrong=1,
            ...                           control="x + x = x", evidence="proof", scope="every x")
            >>> claim.check().method, claim.control_check().method, claim.run().ok
            ('x + x against 2 x', 'x + x against 1 x', True)
        """
        return cls(id, statement, lambda: check(right), control, lambda: check(wrong), evidence, scope)

    @property
    def badge(self) -> str:
        """The line a page shows under the statement, naming the kind of evidence and its scope.

        Example:
            >>> get("linearity.general-n").badge.split(":")[0]
            'Proved'
        """
        return f"{EVIDENCE[self.evidence]}: {self.scope}"

    def run(self) -> "Result":
        """Run the check and the control, timing each."""
        return Result(self, timed(self.check), timed(self.control_check))


#: the statuses of a claim's result (:attr:`Result.status`)
STATUSES = ("holds", "fails", "not run")


@dataclass(frozen=True)
class Result:
    """A claim with the verdicts of its check and of its negative control.

    Example:
        >>> result = get("linearity.general-n").run()
        >>> result.verdict.holds, result.evidence_backed, result.control_rejected, result.ok, result.status
        (True, True, True, True, 'holds')
    """

    claim: Claim
    verdict: Verdict
    control_verdict: Verdict

    @property
    def control_rejected(self) -> bool:
        """True when the wrong variant ran and failed the check, as it must (a control not run is not rejected)."""
        return self.control_verdict.ran and not self.control_verdict.holds

    @property
    def needs(self) -> str | None:
        """Why the check or the control could not run (the check's reason first), or ``None`` when both ran."""
        return self.verdict.missing or self.control_verdict.missing

    @property
    def status(self) -> str:
        """``"holds"`` when the claim is :attr:`ok`; ``"not run"`` when its check or its control could not run
        and nothing that did run failed; ``"fails"`` otherwise.

        A check that ran and failed (or fell short of its evidence), or a control
        that ran and held, makes the claim fail even if the other could not run:
        a failure found is not hidden behind a missing package.

        Example:
            >>> missing = lambda: Verdict.not_run("needs JAX: pip install 'gradavg[jax]'")
            >>> proved, wrong = lambda: Verdict(True, "by hand", evidence="proof"), lambda: Verdict(False, "by hand")
            >>> def status(check, control):
            ...     return Claim("demo.s", "s", check, "c", control, "proof", "all").run().status
            >>> status(proved, wrong), status(missing, missing), status(proved, missing), status(wrong, missing)
            ('holds', 'not run', 'not run', 'fails')
        """
        if self.ok:
            return "holds"
        check_failed = self.verdict.ran and not (self.verdict.holds and self.evidence_backed)
        if check_failed or self.control_verdict.holds or self.needs is None:
            return "fails"
        return "not run"

    @property
    def evidence_backed(self) -> bool:
        """True when the evidence the check reached backs the kind the claim declares (:func:`supports`)."""
        return supports(self.verdict.evidence, self.claim.evidence)

    @property
    def ok(self) -> bool:
        """True when the claim holds with the evidence it declares and its control is rejected."""
        return self.verdict.holds and self.evidence_backed and self.control_rejected


#: True while a check wrapped by :func:`not_run_without` runs (so that one nested in it lets the error through)
_guarded: contextvars.ContextVar[bool] = contextvars.ContextVar("gradavg_guarded", default=False)


def not_run_without(missing: type[Exception]) -> Callable[[Callable[..., Verdict]], Callable[..., Verdict]]:
    """A decorator for checks that need an optional package: raising ``missing`` gives a verdict that it was not run.

    The verdict is :meth:`Verdict.not_run` with the error's message (what to
    install), so the claim's status is ``"not run"``, not ``"fails"``. A
    guarded check called inside another (a check that combines the verdicts
    of several) lets the error through to the outermost one, so the combined
    check is not run as a whole instead of combining verdicts that decided
    nothing. The framework adapters make theirs from it
    (:func:`gradavg.checks.jax_adapter.needs_jax`,
    :func:`gradavg.checks.torch_adapter.needs_torch`).

    Example:
        >>> needs_lapack = not_run_without(ImportError)
        >>> @needs_lapack
        ... def check():
        ...     raise ImportError("needs LAPACK: pip install scipy")
        >>> verdict = check()
        >>> verdict.ran, verdict.holds, verdict.missing
        (False, False, 'needs LAPACK: pip install scipy')
    """
    def guard(check: Callable[..., Verdict]) -> Callable[..., Verdict]:
        @functools.wraps(check)
        def guarded(*args, **kwargs) -> Verdict:
            nested, token = _guarded.get(), _guarded.set(True)
            try:
                return check(*args, **kwargs)
            except missing as error:
                if nested:  # inside another guarded check: that one says it was not run
                    raise
                return Verdict.not_run(str(error))
            finally:
                _guarded.reset(token)

        return guarded

    return guard


def timed(check: Callable[[], Verdict]) -> Verdict:
    """Run ``check`` and return its verdict with ``seconds`` set to the wall time it took.

    Example:
        >>> verdict = timed(lambda: Verdict(True, "by hand"))
        >>> verdict.holds, verdict.seconds >= 0
        (True, True)
    """
    start = time.perf_counter()
    verdict = check()
    if not isinstance(verdict, Verdict):
        raise TypeError(f"a check must return a Verdict, got {type(verdict).__name__}")
    return dataclasses.replace(verdict, seconds=time.perf_counter() - start)


_REGISTRY: dict[str, Claim] = {}


def register(claim: Claim) -> Claim:
    """Add a claim to the registry; an id may be registered only once.

    Example:
        >>> existing = get("linearity.general-n")
        >>> register(existing) is existing  # the same claim again is accepted
        True
        >>> register(Claim(existing.id, "other", existing.check, "c", existing.control_check, "proof", "all"))
        Traceback (most recent call last):
        ...
        ValueError: claim id 'linearity.general-n' is registered twice
    """
    if claim.id in _REGISTRY and _REGISTRY[claim.id] is not claim:
        raise ValueError(f"claim id {claim.id!r} is registered twice")
    _REGISTRY[claim.id] = claim
    return claim


#: the entry-point group under which packages name the modules that hold their claims
CLAIMS_GROUP = "gradavg.claims"


def ledger() -> list[Claim]:
    """Every registered claim, sorted by id.

    The engine does not name the claims' modules: each package that defines
    claims lists a package of claim modules under the ``gradavg.claims``
    entry-point group (this project lists ``gradavg.derivations``, the
    repository's ``derivations/`` folder), and every module in it is imported.

    Example:
        >>> any(c.id == "linearity.general-n" for c in ledger())
        True
    """
    entry_points = metadata.entry_points(group=CLAIMS_GROUP)
    if not entry_points:
        raise RuntimeError(f"no package lists its claims under the {CLAIMS_GROUP!r} entry point: "
                           "is gradavg installed (pip install -e .), with no stale *.egg-info shadowing it?")
    for entry_point in entry_points:
        package = entry_point.load()
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")
    return sorted(_REGISTRY.values(), key=lambda c: c.id)


def claim_module(claim_id: str) -> str:
    """The module that defines a claim: its id's family, as a module name under ``gradavg.derivations``.

    A claim ``family.name`` lives in ``derivations/family.py`` (``-`` in the family
    is ``_`` in the module name); a test holds every claim to it, so a page or the
    browser can import one claim without the whole ledger.

    Example:
        >>> claim_module("mean-or-sum.same-minimisers")
        'gradavg.derivations.mean_or_sum'
    """
    return "gradavg.derivations." + claim_id.partition(".")[0].replace("-", "_")


def get(claim_id: str, module: str | None = None) -> Claim:
    """The claim with this id; ``KeyError`` naming the known ids otherwise.

    With ``module``, only that module is imported (not the whole ledger): the
    in-browser engine uses this, since other claims' modules need packages it
    does not carry.

    Example:
        >>> get("linearity.general-n").control
        'the sum taken for the mean: grad of sum_i L_i = (1/N) sum_i grad L_i (the 1/N dropped from the cost)'
        >>> get("linearity.general-n", module="gradavg.derivations.linearity").id
        'linearity.general-n'
    """
    if module is None:
        claims = {c.id: c for c in ledger()}
    else:
        importlib.import_module(module)
        claims = dict(_REGISTRY)
    if claim_id not in claims:
        raise KeyError(f"no claim {claim_id!r}; known: {', '.join(sorted(claims))}")
    return claims[claim_id]
