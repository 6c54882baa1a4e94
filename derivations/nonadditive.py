"""When the cost does not add up: costs whose gradient is not the mean of per-example gradients.

Here a claim says that the averaging identity *fails* for a cost. Its check runs
the identity check on that cost and must find an exact witness point ``W`` where
``grad C - mean of grad L_i = G`` with ``G`` nonzero (or the difference of the
identity the case names: unbiasedness over minibatches, accumulation over two
halves, clipping before or after averaging); the claim is the statement "at ``W``
the difference is ``G``". The negative control is the nearest variant for which
the identity holds (the mean of the same per-example losses, fixed normalisation
statistics, each example's own negative, a clipping threshold too large to act).
Except for clipping, the control's variant is first proved to satisfy the identity
at every point (evidence ``proof``); then its residual ``grad C - mean of grad
parts`` is evaluated exactly at ``W`` (extended with values for any symbol ``W``
does not name, such as the own negatives), must be exactly 0, and the control is
rejected with that witness and the computed gap ``residual at W - G``.

The last claim is the one that does add up after all: minus the log of a product
of likelihoods is the sum of minus the logs, for any number of examples.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from dataclasses import dataclass
from typing import Callable

import sympy as sp

from gradavg.checks.check import check_batch_cost, check_cost_against_parts
from gradavg.engine.claims import Claim, Verdict, register
from gradavg.engine.exact import decide, is_nonzero
from gradavg.engine.gradients import difference_quotient, examples, limit_at_zero
from gradavg.engine.sums import as_statistics

w, b, x, y = sp.symbols("w b x y", real=True)
#: squared error of the line y = w x + b, the per-example loss of most cases here
LOSS = (w * x + b - y) ** 2
PARAMS, DATA = [w, b], [x, y]


def mean_cost(loss=LOSS):
    """The additive cost: the mean of ``loss`` over the batch.

    Example:
        >>> mean_cost(x**2)([{x: 1}, {x: 3}])
        5
    """
    return lambda batch: sp.Add(*[loss.xreplace(e) for e in batch]) / len(batch)


@dataclass(frozen=True)
class Case:
    """A cost that does not add up, and its additive variant, each checked by the same identity check."""

    id: str
    statement: str
    wrong: Callable[[], Verdict]
    #: proves that the additive variant satisfies the identity at every point (a verdict with evidence "proof")
    additive: Callable[[], Verdict]
    additive_words: str
    #: where the refutation lives: one exact witness point proves that the identity is not an identity
    scope: str
    #: the additive variant's residual (grad C - mean of grad parts), to evaluate at the claim's witness
    additive_residual: Callable[[], tuple] = lambda: ()
    #: values for the symbols of the additive variant that the claim's witness does not name
    extra: tuple = ()


def _short(gap) -> str:
    return "(" + ", ".join(f"{float(sp.N(g, 20)):.4g}" for g in gap) + ")"


@functools.lru_cache(maxsize=None)
def _refuted(case: Case) -> Verdict:
    return case.wrong()


def _claim_check(case: Case) -> Verdict:
    verdict = _refuted(case)
    if verdict.holds:
        return Verdict(False, f"the identity held ({verdict.method}): no witness of failure")
    return Verdict(True, f"identity refuted, {verdict.method}: gap {_short(verdict.gap)}",
                   residual=tuple(sp.S.Zero for _ in verdict.gap), evidence=verdict.evidence)


def _control_check(case: Case) -> Verdict:
    """Prove the additive variant everywhere, then compute its residual exactly at the claim's witness.

    The statement "at ``W`` the difference is ``G``" is rejected for the
    control when its residual at ``W`` is exactly 0 (``simplify`` reaching 0
    is exact; failing to reach it rejects nothing); the gap is then ``0 - G``,
    computed from the two values.
    """
    claimed = _refuted(case)
    additive = case.additive()
    if claimed.holds or not additive.holds or additive.evidence != "proof":
        return Verdict(True, f"the additive variant was not proved to satisfy the identity ({additive.method})")
    point = {**claimed.witness, **dict(case.extra)}
    at = tuple(sp.simplify(r.xreplace(point)) for r in case.additive_residual())
    if len(at) != len(claimed.gap) or any(a != 0 for a in at):
        return Verdict(True, f"the control's residual at the claim's witness was not shown to be 0: {at}")
    extended = f", extended with {', '.join(f'{k} = {v}' for k, v in case.extra)}," if case.extra else ""
    return Verdict(False, f"the control's variant satisfies the identity at every point ({additive.method}); its "
                          f"residual evaluated exactly at the claim's witness{extended} is "
                          f"({', '.join(map(str, at))}), not the claimed gap",
                   witness=point, gap=tuple(a - g for a, g in zip(at, claimed.gap)), evidence="proof")


def _residual(cost: sp.Expr, parts, params) -> tuple:
    """grad ``cost`` minus the mean of grad ``parts``, as SymPy's derivative gives them (the route of the claims' gaps).

    Example:
        >>> _residual(w**2, [w**2, w**2], [w])
        (0,)
    """
    return tuple(sp.diff(cost, p) - sp.Add(*[sp.diff(q, p) for q in parts]) / len(parts) for p in params)


#: ids of the claims that refute the identity, in page order
CASE_IDS: list[str] = []
#: the cases behind them, by id
CASES: dict[str, Case] = {}


def _register(case: Case, control_check: Callable[[], Verdict] | None = None) -> None:
    CASE_IDS.append(case.id)
    CASES[case.id] = case
    register(Claim(case.id, case.statement, lambda: _claim_check(case), case.additive_words,
                   control_check or (lambda: _control_check(case)), evidence="proof", scope=case.scope))


def _batch(cost, n: int = 2) -> Callable[[], Verdict]:
    return lambda: check_batch_cost(cost, LOSS, PARAMS, DATA, n=n)


def _mean_residual() -> tuple:
    """The residual of the mean of two losses, the additive variant of the product, the max and the square."""
    batch = examples(DATA, 2)
    return _residual(mean_cost()(batch), [LOSS.xreplace(e) for e in batch], PARAMS)


# --- product, max, square of the mean ------------------------------------------------------------------

_register(Case(
    "nonadditive.product",
    r"For $L_i = (w x_i + b - y_i)^2$ and $C = L_1 L_2$: $\nabla C \ne \frac12(\nabla L_1 + \nabla L_2)$ "
    r"at an exact point.",
    _batch(lambda batch: sp.Mul(*[LOSS.xreplace(e) for e in batch])),
    _batch(mean_cost()),
    "the additive variant C = (L_1 + L_2)/2, which the same check proves to satisfy the identity everywhere",
    "two examples, squared error of a line: one exact witness point",
    _mean_residual,
))

def _max_without_ties() -> Verdict:
    """The identity check on max(L_1, L_2); the witness must not be a tie (L_1 != L_2 there, exactly)."""
    verdict = _batch(lambda batch: sp.Max(*[LOSS.xreplace(e) for e in batch]))()
    if not verdict.holds:
        first, second = (LOSS.xreplace(e).xreplace(verdict.witness) for e in examples(DATA, 2))
        if first == second:
            return Verdict(True, "the only witness found is a tie, where the max is not differentiable")
        return dataclasses.replace(verdict, method=f"{verdict.method}, no tie there (L_1 = {first}, L_2 = {second})")
    return verdict


_register(Case(
    "nonadditive.max",
    r"For $L_i = (w x_i + b - y_i)^2$ and $C = \max(L_1, L_2)$: $\nabla C \ne \frac12(\nabla L_1 + \nabla L_2)$ "
    r"at an exact point where $L_1 \ne L_2$.",
    _max_without_ties,
    _batch(mean_cost()),
    "the additive variant C = (L_1 + L_2)/2, which the same check proves to satisfy the identity everywhere",
    "two examples, squared error of a line: one exact witness point with L_1 != L_2",
    _mean_residual,
))


def _square_of_mean() -> Verdict:
    """The identity fails for (mean L)^2, yet its gradient is 2 (mean L) times the mean gradient."""
    verdict = check_batch_cost(lambda batch: mean_cost()(batch) ** 2, LOSS, PARAMS, DATA, n=2)
    batch = examples(DATA, 2)
    losses = [LOSS.xreplace(e) for e in batch]
    mean = sp.Add(*losses) / 2
    mean_gradient = [(sp.diff(losses[0], p) + sp.diff(losses[1], p)) / 2 for p in PARAMS]  # per example, then mean
    parallel = [sp.expand(limit_at_zero(difference_quotient(mean**2, p)) - 2 * mean * g)
                for p, g in zip(PARAMS, mean_gradient)]
    if verdict.holds or any(parallel):
        return Verdict(True, "the square of the mean was not shown to be a rescaled mean gradient")
    return dataclasses.replace(verdict, method=f"{verdict.method}; and grad C = 2 (mean L) (mean grad L_i) "
                                               "expands to an identity")


_register(Case(
    "nonadditive.square-of-mean",
    r"For $L_i = (w x_i + b - y_i)^2$ and $C = \bigl(\frac12(L_1 + L_2)\bigr)^2$: "
    r"$\nabla C \ne \frac12(\nabla L_1 + \nabla L_2)$ at an exact point, while "
    r"$\nabla C = 2\,\bar L \cdot \frac12(\nabla L_1 + \nabla L_2)$ for all values, with $\bar L = \frac12(L_1+L_2)$.",
    _square_of_mean,
    _batch(mean_cost()),
    "the additive variant C = (L_1 + L_2)/2, which the same check proves to satisfy the identity everywhere",
    "two examples, squared error of a line: one exact witness point; the rescaling identity for every point",
    _mean_residual,
))

# --- batch-normalised inputs: expected minibatch gradient vs full gradient ------------------------------

#: epsilon of batch normalisation, examples in the dataset, examples per minibatch
EPSILON, DATASET, MINIBATCH = sp.Rational(1, 10), 3, 2


def batch_normalised_cost(batch, normalise: bool = True, statistics=None, scale=None) -> sp.Expr:
    """Mean squared error of ``w z + b`` with ``z`` the inputs normalised by this batch's own mean and variance.

    ``statistics``, a list of examples, fixes the mean and variance instead
    (batch normalisation with the dataset's, or running, statistics: each
    example's loss is then its own). ``normalise=False`` uses the raw inputs.
    ``scale`` stands in for ``sqrt(var + epsilon)`` (a symbol, for a proof that
    holds whatever its value).

    Example:
        >>> batch_normalised_cost([{x: 1, y: 0}, {x: 3, y: 0}]).xreplace({w: 1, b: 0})
        10/11
        >>> batch_normalised_cost([{x: 1, y: 0}], statistics=[{x: 1}, {x: 3}]).xreplace({w: 1, b: 0})
        10/11
        >>> batch_normalised_cost([{x: 3, y: 0}], statistics=[{x: 1}, {x: 3}], scale=2).xreplace({w: 1, b: 0})
        1/4
    """
    xs = [e[x] for e in batch]
    fixed = [e[x] for e in (statistics if statistics is not None else batch)]
    mu = sp.Add(*fixed) / len(fixed)
    var = sp.Add(*[(v - mu) ** 2 for v in fixed]) / len(fixed)
    root = sp.sqrt(var + EPSILON) if scale is None else scale
    zs = [(v - mu) / root for v in xs] if normalise else xs
    return sp.Add(*[(w * z + b - e[y]) ** 2 for z, e in zip(zs, batch)]) / len(batch)


#: stands for sqrt(sigma^2 + epsilon) of the fixed statistics in the control's proof
SCALE = sp.Symbol("s", positive=True)


def _bn_costs(fixed_statistics: bool, scale=None):
    """The whole dataset's cost and every minibatch's, batch statistics or the dataset's fixed ones."""
    data = examples(DATA, DATASET)
    statistics = data if fixed_statistics else None
    full = batch_normalised_cost(data, statistics=statistics, scale=scale)
    parts = [batch_normalised_cost(list(c), statistics=statistics, scale=scale)
             for c in itertools.combinations(data, MINIBATCH)]
    return full, parts


def _minibatches(fixed_statistics: bool) -> Verdict:
    """Mean of the minibatch gradients over every minibatch against the full gradient, batch or fixed statistics.

    With fixed statistics every cost is built with the symbol :data:`SCALE`
    for ``sqrt(var + epsilon)``, the same value in every minibatch: the costs
    are then polynomials, so the check proves the identity for every data and
    every scale, the true one included.
    """
    full, parts = _bn_costs(fixed_statistics, SCALE if fixed_statistics else None)
    return check_cost_against_parts(full, parts, PARAMS)


_register(Case(
    "nonadditive.batch-norm",
    r"With inputs normalised by the batch's own statistics, $z_i = (x_i - \mu_B)/\sqrt{\sigma_B^2 + \epsilon}$ "
    r"($\epsilon = 1/10$), and $C_B = \frac{1}{|B|}\sum_{i \in B}(w z_i + b - y_i)^2$: over a dataset of "
    r"3 examples, the mean of $\nabla C_B$ over all minibatches $B$ of size 2 differs from $\nabla C$ "
    r"of the whole dataset at an exact point.",
    lambda: _minibatches(False),
    lambda: _minibatches(True),
    "the same normalisation with fixed statistics (the whole dataset's mean and variance, as running statistics "
    "at evaluation), which the same check proves unbiased everywhere: it is the dependence on the batch that "
    "breaks it",
    "a dataset of 3 examples, every minibatch of 2, epsilon = 1/10: one exact witness point",
    lambda: _residual(*_bn_costs(True), PARAMS),
))

# --- contrastive loss with in-batch negatives: accumulating micro-batches --------------------------------

u, v, v_neg = sp.symbols("u v v_neg", real=True)


def in_batch_contrastive(batch) -> sp.Expr:
    """InfoNCE with in-batch negatives: example i's positive is v_i, every other v_j in the batch is a negative.

    Example:
        >>> in_batch_contrastive([{u: 1, v: 1}, {u: 1, v: 0}]).xreplace({w: 0})
        log(2)
    """
    scores = [[w * a[u] * c[v] for c in batch] for a in batch]
    return sp.Add(*[-row[k] + sp.log(sp.Add(*[sp.exp(s) for s in row])) for k, row in enumerate(scores)]) / len(batch)


def own_negative_contrastive(batch) -> sp.Expr:
    """The additive variant: each example carries its own negative v_neg, so its loss is its own.

    Example:
        >>> own_negative_contrastive([{u: 1, v: 1, v_neg: 0}]).xreplace({w: 0})
        log(2)
    """
    return sp.Add(*[-w * e[u] * e[v] + sp.log(sp.exp(w * e[u] * e[v]) + sp.exp(w * e[u] * e[v_neg]))
                    for e in batch]) / len(batch)


def _accumulation(cost, fields) -> Verdict:
    data = examples(fields, 4)
    return check_cost_against_parts(cost(data), [cost(data[:2]), cost(data[2:])], [w])


def _own_negative_costs(batch):
    """The cost of ``batch`` with own negatives, and the costs of its two halves."""
    return own_negative_contrastive(batch), [own_negative_contrastive(batch[:2]), own_negative_contrastive(batch[2:])]


@functools.lru_cache(maxsize=None)
def _own_negatives_accumulate() -> Verdict:
    """Prove accumulation exact for own negatives: limit of the whole batch's difference quotient against the halves.

    The scores enter only as ``u_i v_i`` and ``u_i v^-_i``, so the costs are
    built with ``u_i = 1`` and ``v_i``, ``v^-_i`` free (any pair of scores):
    an identity in those holds for every ``u``, ``v``, ``v^-`` by substitution.
    Left side: the limit at ``h = 0`` of the difference quotient of the batch
    of 4's cost, taken as a whole. Right side: SymPy's derivative of each
    half's cost, averaged. Their difference is brought to one fraction and
    must be exactly 0.
    """
    batch = [{**e, u: sp.Integer(1)} for e in examples([u, v, v_neg], 4)]
    full, halves = _own_negative_costs(batch)
    left = limit_at_zero(difference_quotient(full, w))
    right = sp.Add(*[sp.diff(c, w) for c in halves]) / 2
    residual = sp.cancel(sp.together(left - right))
    if residual != 0:
        return Verdict(False, f"the residual {residual} of accumulation with own negatives is not 0")
    return Verdict(True, "symbolic: the limit of the batch of 4's difference quotient minus the mean of the halves' "
                         "derivatives cancels to 0, for every w, u, v and v_neg", residual=(residual,),
                   evidence="proof")


_register(Case(
    "nonadditive.contrastive",
    r"For the contrastive loss with in-batch negatives, "
    r"$C_B = \frac{1}{|B|}\sum_{i\in B}\bigl(-s_{ii} + \log\sum_{j \in B} e^{s_{ij}}\bigr)$ with "
    r"$s_{ij} = w\,u_i v_j$, the gradient of $C$ on a batch of 4 differs at an exact point from the mean "
    r"of the gradients of $C$ on its two halves (gradient accumulation).",
    lambda: _accumulation(in_batch_contrastive, [u, v]),
    _own_negatives_accumulate,
    "the additive variant where each example brings its own negative, proved to accumulate exactly everywhere",
    "a batch of 4 split in two halves: one exact witness point",
    lambda: _residual(*_own_negative_costs(examples([u, v, v_neg], 4)), [w]),
    tuple((e[v_neg], sp.Integer(k)) for k, e in enumerate(examples([u, v, v_neg], 4), start=1)),
))

# --- clipping per-example gradients before averaging ---------------------------------------------------

#: the clipping threshold (largest gradient norm kept)
CLIP = sp.Integer(1)


def clip(gradient, threshold=CLIP) -> list[sp.Expr]:
    """Scale ``gradient`` (a list of exact values) down to norm at most ``threshold``, as DP-SGD does.

    The zero vector, where ``min(1, threshold / norm)`` is undefined, is returned unchanged.

    Example:
        >>> clip([sp.Integer(3), sp.Integer(4)])
        [3/5, 4/5]
        >>> clip([sp.Integer(3), sp.Integer(4)], threshold=6)
        [3, 4]
        >>> clip([sp.Integer(0), sp.Integer(0)])
        [0, 0]
    """
    norm = sp.sqrt(sp.Add(*[g**2 for g in gradient]))
    return [g * sp.Min(1, threshold / norm) for g in gradient] if norm != 0 else list(gradient)


def _clipping_parts():
    batch = examples(DATA, 2)
    losses = [LOSS.xreplace(e) for e in batch]
    cost = sp.Add(*losses) / 2
    gradients = [[sp.diff(L, p) for p in PARAMS] for L in losses]
    full = [limit_at_zero(difference_quotient(cost, p)) for p in PARAMS]
    return cost, gradients, full


def _clip_gap(point, threshold) -> list[sp.Expr]:
    """At ``point``: the mean of clipped per-example gradients minus the clipped gradient of the mean cost."""
    _, gradients, full = _clipping_parts()
    each = [clip([g.xreplace(point) for g in grad], threshold) for grad in gradients]
    mean = [sp.Add(*column) / len(each) for column in zip(*each)]
    return [m - f for m, f in zip(mean, clip([f.xreplace(point) for f in full], threshold))]


def _clipping() -> Verdict:
    """Mean of clipped per-example gradients against the clipped gradient of the mean cost, threshold 1."""
    cost, _, _ = _clipping_parts()
    return decide(lambda point: _clip_gap(point, CLIP), sorted(cost.free_symbols, key=str), None)


def _clipping_inactive() -> Verdict:
    """The same comparison at the claim's witness, with a threshold above every gradient norm there.

    No gradient is clipped (the mean's norm is at most the larger per-example
    norm), so the two sides must agree there exactly: it is active clipping
    that breaks the identity, not the clipping code. The control is rejected
    with the claim's witness and the computed gap: its difference there (0)
    minus the claimed one.
    """
    claimed = _clipping()
    witness = claimed.witness
    _, gradients, full = _clipping_parts()
    norms = [sp.sqrt(sp.Add(*[g.xreplace(witness) ** 2 for g in grad])) for grad in [*gradients, full]]
    threshold = sp.ceiling(sp.Max(*norms)) + 1
    at = [sp.simplify(g) for g in _clip_gap(witness, threshold)]
    if claimed.holds or any(a != 0 for a in at):
        return Verdict(True, f"threshold {threshold}, above every gradient norm at the witness: the sides were not "
                             f"shown to agree there ({at})")
    return Verdict(False, f"exact evaluation at the claim's witness with threshold {threshold}, above every gradient "
                          f"norm there: no gradient is clipped and the difference is ({', '.join(map(str, at))}), "
                          "not the claimed gap", witness=witness,
                   gap=tuple(a - g for a, g in zip(at, claimed.gap)), evidence="proof")


_register(Case(
    "nonadditive.clipping",
    r"With $\operatorname{clip}(g) = g\,\min(1, 1/\lVert g\rVert)$ ($\operatorname{clip}(0) = 0$) and "
    r"$L_i = (w x_i + b - y_i)^2$: "
    r"$\frac12\bigl(\operatorname{clip}(\nabla L_1) + \operatorname{clip}(\nabla L_2)\bigr) \ne "
    r"\operatorname{clip}\bigl(\nabla \tfrac12(L_1 + L_2)\bigr)$ at an exact point.",
    _clipping,
    _clipping_inactive,
    "the same clipping with a threshold above every gradient norm at the witness (so inactive there), where the "
    "two sides must agree exactly",
    "two examples, threshold 1: one exact witness point",
), control_check=_clipping_inactive)

# --- the one that adds up: minus the log of a product of likelihoods, any N ------------------------------

N = sp.Symbol("N", integer=True, positive=True)
i = sp.Symbol("i", integer=True, positive=True)
labels = sp.IndexedBase("y")
theta = sp.Symbol("theta", positive=True)
#: the Bernoulli likelihood of label y_i under success probability theta
LIKELIHOOD = theta ** labels[i] * (1 - theta) ** (1 - labels[i])


def per_example_derivative(cost: Callable[[sp.Expr], sp.Expr]) -> sp.Expr:
    """d/dtheta of ``cost`` of one example's likelihood, as it stands, then brought to one fraction.

    ``diff`` differentiates ``-log`` of the likelihood by the chain rule and the
    product rule (the log is never split); ``together``, ``powsimp`` (which adds
    exponents of the same base) and ``cancel`` only tidy the quotient.

    Example:
        >>> per_example_derivative(lambda p: -sp.log(p))
        (-theta + y[i])/(theta**2 - theta)
    """
    return sp.cancel(sp.powsimp(sp.together(sp.diff(cost(LIKELIHOOD), theta))))


def _log_likelihood(cost: Callable[[sp.Expr], sp.Expr]) -> Verdict:
    """Compare d/dtheta of ``cost`` of the product of N likelihoods with the sum of d/dtheta of ``cost`` of each.

    Left side: the product is evaluated in closed form (powers of theta with summed
    exponents, a sufficient statistic), then the cost is differentiated as it
    stands: ``-log`` of the product by the chain rule, ``-u'/u``. Right side:
    ``cost`` of one example's likelihood (``-log p_i``, the log not split either)
    differentiated the same way (:func:`per_example_derivative`), summed over
    ``i``. The log of a product is never split into a sum of logs on either side
    (``expand_log`` would apply the very rule being proved). Both are rewritten in
    the statistic ``sum y_i`` and must cancel, for symbolic N. A witness is
    searched at N = 2 with labels in {0, 1} and theta in (0, 1).
    """
    product = sp.Product(LIKELIHOOD, (i, 1, N)).doit()
    lhs = sp.diff(cost(product), theta)
    rhs = sp.Sum(per_example_derivative(cost), (i, 1, N))
    at_two = (lhs - rhs).subs(N, 2).doit()
    for value in (sp.Rational(1, 3), sp.Rational(3, 4)):
        for first, second in itertools.product((0, 1), repeat=2):
            point = {theta: value, labels[1]: sp.Integer(first), labels[2]: sp.Integer(second)}
            gap = sp.simplify(at_two.xreplace(point))
            if is_nonzero(gap):
                return Verdict(False, "exact evaluation at N = 2, labels in {0, 1}",
                               witness={N: sp.Integer(2), **point}, gap=(gap,))
    left, _ = as_statistics(lhs)
    right, _ = as_statistics(rhs)
    residual = sp.cancel(sp.together(left - right))
    if residual != 0:
        raise ArithmeticError(f"the residual {residual} is not 0 but no witness turned up")
    return Verdict(True, "symbolic: the derivative of minus the log of the closed-form product and the sum of the "
                         "derivatives of each example's minus log-likelihood, both in the statistic sum y_i, cancel "
                         "for every N", residual=(residual,), evidence="proof")


register(Claim.contrasting(
    "nonadditive.log-likelihood",
    r"For Bernoulli likelihoods $p_i(\theta) = \theta^{y_i}(1-\theta)^{1-y_i}$, every $N$ and $0 < \theta < 1$: "
    r"$\frac{d}{d\theta}\bigl(-\log\prod_{i=1}^N p_i\bigr) = \sum_{i=1}^N \frac{d}{d\theta}\bigl(-\log p_i\bigr)$.",
    check=_log_likelihood,
    right=lambda likelihood: -sp.log(likelihood),
    wrong=lambda likelihood: -likelihood,
    control="minus the product of the likelihoods, without the log, against the sum of minus the likelihoods",
    evidence="proof",
    scope="every N >= 1; labels symbolic; every theta in (0, 1)",
))


# --- exercises: the claims behind the page's answer boxes ----------------------

from gradavg.checks.answers import exercise_claim  # noqa: E402
from gradavg.engine.claims import Answer  # noqa: E402


def _no_intercept_losses(s) -> list[sp.Expr]:
    """The squared errors (w x_i - y_i)^2 of a line through the origin on two examples, in the answer's symbols."""
    return [(s["w"] * s[f"x_{k}"] - s[f"y_{k}"]) ** 2 for k in (1, 2)]


def _slope_by_definition(cost: sp.Expr, s) -> sp.Expr:
    """d cost / dw as the limit of its difference quotient: no product or chain rule applied."""
    return limit_at_zero(difference_quotient(cost, s["w"]))


_TWO = "w,x_1,x_2,y_1,y_2"
register(exercise_claim(
    "nonadditive.exercise-product-gradient",
    r"For $L_i = (w x_i - y_i)^2$ and $C = L_1 L_2$: "
    r"$\partial C/\partial w = 2(w x_1 - y_1)x_1\,L_2 + 2(w x_2 - y_2)x_2\,L_1$",
    answer=Answer("2*(w*x_1 - y_1)*x_1*(w*x_2 - y_2)**2 + 2*(w*x_2 - y_2)*x_2*(w*x_1 - y_1)**2", _TWO, "dC/dw ="),
    wrong=Answer("4*(w*x_1 - y_1)*x_1*(w*x_2 - y_2)*x_2", _TWO, "dC/dw ="),
    truth=lambda s: _slope_by_definition(sp.Mul(*_no_intercept_losses(s)), s),
    control="the product of the two derivatives, dL_1/dw * dL_2/dw, for the derivative of the product",
    scope="every real w, x_i, y_i; two examples; dC/dw from its definition (a limit of difference quotients)",
))


def _cube_of_mean_factor(s) -> sp.Expr:
    """dC/dw over the mean of the per-example dL_i/dw, for C the cubed mean loss: each derivative by definition."""
    losses = _no_intercept_losses(s)
    mean_gradient = sum(_slope_by_definition(loss, s) for loss in losses) / 2
    return sp.cancel(_slope_by_definition((sum(losses) / 2) ** 3, s) / mean_gradient)


register(exercise_claim(
    "nonadditive.exercise-cube-of-mean-factor",
    r"For $L_i = (w x_i - y_i)^2$, $\bar L = \frac12(L_1 + L_2)$ and $C = \bar L^3$: "
    r"$\partial C/\partial w = r \cdot \frac12(\partial L_1/\partial w + \partial L_2/\partial w)$ with "
    r"$r = 3\bar L^2 = \frac34 (L_1 + L_2)^2$",
    answer=Answer("3*((w*x_1 - y_1)**2 + (w*x_2 - y_2)**2)**2/4", _TWO, "r ="),
    wrong=Answer("3*((w*x_1 - y_1)**2 + (w*x_2 - y_2)**2)/2", _TWO, "r ="),
    truth=_cube_of_mean_factor,
    control="r = 3 L-bar: the square's factor 2 L-bar with its 2 made a 3 and the power of L-bar not raised",
    scope="every real w, x_i, y_i, as rational functions (r is the ratio wherever the mean gradient is nonzero); "
          "two examples; every derivative from its definition (a limit of difference quotients)",
))
