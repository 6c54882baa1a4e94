"""Averaging bugs in real training stacks, in one process: PyTorch's sampler, Hugging Face's loss, accelerate, clipping, batch norm.

Every check runs the library's own code: ``torch.utils.data.DistributedSampler``,
``transformers``' ``ForCausalLMLoss``, ``accelerate.Accelerator``,
``torch.nn.utils.clip_grad_norm_``, ``torch.nn.BatchNorm1d``. PyTorch is imported on first use
(:func:`gradavg.checks.torch_adapter.torch_modules`), so ``gradavg ledger`` and
the other pages do not load it, and a machine without it gets verdicts that say
what is missing.

The references are exact: the sampler's epoch is decided on symbolic
per-example gradients; the regression and clipping gradients are rationals at
the very float64 inputs the library receives (:func:`regression_gradients`);
the softmax gradients, whose exact values are irrational, are evaluated to
:data:`REFERENCE_DIGITS` digits and that error is added to the bound
(:func:`bigram_reference`, which :mod:`gradavg.topics.distributed` uses too). A
library result passes when every component lies within a rounding bound
derived for its computation (:mod:`gradavg.engine.rounding`; every softmax
bound is :func:`~gradavg.engine.rounding.softmax_depth`, under its one
assumption about ``exp`` and ``log``).
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from typing import NamedTuple, Sequence

import sympy as sp

from ..checks.probe import probe_additivity
from ..checks.torch_adapter import accelerate_modules, needs_torch, torch_modules, transformers_loss
from ..engine.claims import Verdict
from ..engine.rounding import (
    ELEMENTARY_ROUNDINGS,
    UNIT_ROUNDOFF,
    Bound,
    compare,
    exact,
    gamma,
    rounding_bound,
    softmax_depth,
)
from .accumulation import example_weights, mean_of_means_weights, split, total_count_weights, weighted_sum

# --- DistributedSampler: the padded epoch ---------------------------------------------

#: the dataset sizes N the sampler claims enumerate
SAMPLER_SIZES = range(1, 13)
#: the world sizes R the sampler claims enumerate
SAMPLER_REPLICAS = range(1, 5)
#: what the sampler's epoch is reduced with; the mean over every index handed out (padded or dropped
#: epoch), each example counted once (weight 1/N on the first N positions of the padded epoch, 0 on the
#: repeats), or every index handed out summed and divided by N (the repeats kept)
SAMPLER_RECIPES = ("padded-mean", "drop-last-mean", "count-once", "repeats-over-n")
#: what the reduction is compared with; the full mean G, the padding formula, or the mean over the kept prefix
SAMPLER_TARGETS = ("G", "padding-formula", "kept-mean")


def sampler_epoch(n: int, replicas: int, drop_last: bool) -> list[list[int]]:
    """The indices ``DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last)`` hands each rank.

    Example:
        >>> sampler_epoch(5, 2, drop_last=False), sampler_epoch(5, 2, drop_last=True)
        ([[0, 2, 4], [1, 3, 0]], [[0, 2], [1, 3]])
    """
    data = torch_modules().torch.utils.data
    return [list(data.DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False,
                                         drop_last=drop_last)) for rank in range(replicas)]


def padding(n: int, replicas: int) -> int:
    """``d = ceil(n / R) R - n``, how many indices the padded epoch repeats.

    Example:
        >>> padding(5, 2), padding(1, 4), padding(8, 4)
        (1, 3, 0)
    """
    return -(-n // replicas) * replicas - n


def sampler_reduction(n: int, replicas: int, recipe: str, g: Sequence[sp.Symbol]) -> sp.Expr | None:
    """What ``recipe`` (one of :data:`SAMPLER_RECIPES`) makes of the real sampler's epoch; ``None`` if it is empty.

    Rank ``r``'s ``k``-th index sits at position ``r + k R`` of the padded epoch, so
    ``"count-once"`` weighs it ``1/N`` when that position is below ``N`` and 0 otherwise.

    Example:
        >>> g = sp.symbols("g0:3")
        >>> sampler_reduction(3, 2, "padded-mean", g), sampler_reduction(3, 2, "count-once", g)
        (g0/2 + g1/4 + g2/4, g0/3 + g1/3 + g2/3)
    """
    if recipe not in SAMPLER_RECIPES:
        raise ValueError(f"recipe must be one of {SAMPLER_RECIPES}, got {recipe!r}")
    epoch = sampler_epoch(n, replicas, drop_last=recipe == "drop-last-mean")
    handed = [(rank + k * replicas, index) for rank, indices in enumerate(epoch) for k, index in enumerate(indices)]
    if not handed:
        return None
    if recipe == "count-once":
        return sp.Add(*[g[i] for position, i in handed if position < n]) / n
    divisor = n if recipe == "repeats-over-n" else len(handed)
    return sp.Add(*[g[i] for _, i in handed]) / divisor


def sampler_target(n: int, replicas: int, target: str, g: Sequence[sp.Symbol]) -> sp.Expr:
    """The exact value a reduction is compared with (one of :data:`SAMPLER_TARGETS`).

    ``"padding-formula"`` is ``G + (sum_{j<d} g_{j mod N} - d G) / (N + d)``;
    ``"kept-mean"`` the mean of the first ``R floor(N/R)`` examples.

    Example:
        >>> g = sp.symbols("g0:3")
        >>> sp.expand(sampler_target(3, 2, "padding-formula", g))
        g0/2 + g1/4 + g2/4
    """
    mean = sp.Add(*g[:n]) / n
    if target == "G":
        return mean
    if target == "padding-formula":
        d = padding(n, replicas)
        return mean + (sp.Add(*[g[j % n] for j in range(d)]) - d * mean) / (n + d)
    if target == "kept-mean":
        kept = replicas * (n // replicas)
        return sp.Add(*g[:kept]) / kept
    raise ValueError(f"target must be one of {SAMPLER_TARGETS}, got {target!r}")


@needs_torch
def check_sampler(recipe: str, target: str) -> Verdict:
    """Decide, for every ``N`` in :data:`SAMPLER_SIZES` and ``R`` in :data:`SAMPLER_REPLICAS`, that the reduction equals the target.

    The per-example gradients are independent symbols ``g_i``, so two linear
    forms agree for every gradient exactly when their expanded difference is 0.
    The indices handed out must first be, as a multiset, the padded epoch
    ``j mod N`` for ``j < N + d`` (for ``"drop-last-mean"``: the first
    ``R floor(N/R)`` indices, each once, none when ``N < R``, where there is no
    mean to compare). A failure
    names the first ``(N, R)`` where they differ and carries the nonzero difference.

    Example:
        >>> check_sampler("padded-mean", "padding-formula").holds, check_sampler("padded-mean", "G").holds
        (True, False)
    """
    g = sp.symbols(f"g0:{max(SAMPLER_SIZES)}")
    version = torch_modules().version
    cases = [(n, r) for n in SAMPLER_SIZES for r in SAMPLER_REPLICAS]
    method = (f"torch {version}: DistributedSampler(range(N), num_replicas=R, shuffle=False, "
              f"drop_last={recipe == 'drop-last-mean'}) over every rank, reduced by {recipe!r}, against "
              f"{target!r}, exactly in symbolic per-example gradients, for every N in "
              f"{SAMPLER_SIZES.start}..{SAMPLER_SIZES.stop - 1} and R in {SAMPLER_REPLICAS.start}..{SAMPLER_REPLICAS.stop - 1}")
    for n, r in cases:
        drop_last = recipe == "drop-last-mean"
        handed = sorted(i for indices in sampler_epoch(n, r, drop_last) for i in indices)
        epoch = range(r * (n // r)) if drop_last else [j % n for j in range(n + padding(n, r))]
        if handed != sorted(epoch):
            return Verdict(False, f"{method}; at N = {n}, R = {r} it handed out {handed}", witness={"N": n, "R": r})
        value = sampler_reduction(n, r, recipe, g)
        if value is None:
            continue
        gap = sp.expand(value - sampler_target(n, r, target, g))
        if gap != 0:
            return Verdict(False, f"{method}; at N = {n}, R = {r} (d = {padding(n, r)}) they differ by {gap}",
                           witness={"N": n, "R": r, "d": padding(n, r)}, gap=(gap,))
    return Verdict(True, f"{method}: {len(cases)} cases, each difference expanded to 0", evidence="exhaustive")


# --- the exact causal-LM gradient of a bigram model -----------------------------------------

#: the digits every irrational reference (softmax, log-sum-exp) is evaluated to, here and in
#: :mod:`gradavg.topics.distributed`
REFERENCE_DIGITS = 50
#: a bound on the error of each softmax value and log-sum-exp at :data:`REFERENCE_DIGITS` digits
REFERENCE_ERROR = Fraction(1, 10**40)


def label_tokens(ids: Sequence[Sequence[int]], labels: Sequence[Sequence[int]]) -> list[tuple[int, int]]:
    """The ``(input token, label)`` pairs ForCausalLMLoss scores: position ``t`` predicts label ``t + 1``, -100 skipped.

    Example:
        >>> label_tokens([[2, 4, 4, 1, 3]], [[-100, -100, 4, 1, 3]])
        [(4, 4), (4, 1), (1, 3)]
    """
    return [(row[t], label[t + 1]) for row, label in zip(ids, labels) for t in range(len(label) - 1)
            if label[t + 1] != -100]


@functools.lru_cache(maxsize=None)
def softmax_row(row: tuple[Fraction, ...]) -> tuple[Fraction, ...]:
    """``softmax(row)`` to :data:`REFERENCE_DIGITS` digits, as exact rationals (mpmath's binary values).

    Example:
        >>> abs(sum(softmax_row((Fraction(0), Fraction(1, 2), Fraction(-1)))) - 1) < Fraction(1, 10**45)
        True
    """
    import mpmath

    with mpmath.workdps(REFERENCE_DIGITS):
        exps = [mpmath.exp(mpmath.mpf(z.numerator) / z.denominator) for z in row]
        total = mpmath.fsum(exps)
        values = [e / total for e in exps]
    return tuple(Fraction(man) * Fraction(2) ** exp for man, exp in (v.man_exp for v in values))


def log_sum_exp_bound(row: tuple[Fraction, ...]) -> Fraction:
    """A rational upper bound on ``|log sum_j exp(row[j])|`` (the value to :data:`REFERENCE_DIGITS` digits, plus its error).

    Example:
        >>> abs(log_sum_exp_bound((Fraction(0), Fraction(0))) - Fraction(693147, 10**6)) < Fraction(1, 10**6)
        True
    """
    import mpmath

    with mpmath.workdps(REFERENCE_DIGITS):
        value = abs(mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(z.numerator) / z.denominator) for z in row)))
    man, exp = value.man_exp
    return Fraction(man) * Fraction(2) ** exp + REFERENCE_ERROR


class BigramReference(NamedTuple):
    """The exact gradient of a bigram model's causal-LM loss and what its rounding bound needs (:func:`bigram_reference`)."""

    #: ``sum_t w_t (softmax(row a_t) - e_(b_t))`` in row ``a_t``, row-major
    gradient: list[Fraction]
    #: the same sum on absolute values, ``|w_t| (softmax + e_b)``, each softmax value raised by its error; an upper bound
    magnitude: list[Fraction]
    #: an upper bound on ``|log sum_j exp(table[a, j])|`` over every row ``a`` of the table
    lse: Fraction
    #: a bound on the gradient's own error, per component; ``REFERENCE_ERROR sum_t |w_t|``
    error: Fraction


def bigram_reference(table: Sequence[Sequence], pairs: Sequence[tuple[int, int]],
                     weights: Sequence[Fraction]) -> BigramReference:
    """The gradient of ``sum_t w_t (-log softmax(table[a_t])[b_t])`` in the logit table, to :data:`REFERENCE_DIGITS` digits.

    ``table[a]`` holds the logits of the next token after ``a`` (floats or
    rationals, taken at the values they stand for); ``pairs`` the scored
    ``(a, b)`` tokens (:func:`label_tokens`); ``weights`` one exact weight a
    pair (``1/N`` gives the token mean). The softmax rows are evaluated to
    :data:`REFERENCE_DIGITS` digits and combined exactly, so each component is
    off by at most :data:`REFERENCE_ERROR` times the sum of the ``|w_t|``.

    Example:
        >>> ref = bigram_reference([[0.0, 1.0], [0.5, -0.5]], [(0, 1), (1, 1)], [Fraction(1, 2)] * 2)
        >>> len(ref.gradient), all(m >= abs(g) for m, g in zip(ref.magnitude, ref.gradient)), ref.error
        (4, True, Fraction(1, 10000000000000000000000000000000000000000))
    """
    rows = [tuple(exact(v) for v in row) for row in table]
    vocab = len(rows)
    if len(weights) != len(pairs):
        raise ValueError(f"{len(pairs)} scored pairs, {len(weights)} weights")
    gradient, magnitude = [Fraction(0)] * vocab * vocab, [Fraction(0)] * vocab * vocab
    for (a, b), w in zip(pairs, weights):
        for j, p in enumerate(softmax_row(rows[a])):
            gradient[a * vocab + j] += w * (p - (j == b))
            magnitude[a * vocab + j] += abs(w) * (p + REFERENCE_ERROR + (j == b))
    return BigramReference(gradient, magnitude, max(log_sum_exp_bound(row) for row in rows),
                           REFERENCE_ERROR * sum(abs(Fraction(w)) for w in weights))


# --- Hugging Face's ForCausalLMLoss under gradient accumulation ---------------------------

#: the vocabulary size of the bigram logit model
VOCAB = 5
#: the model's logits, ``W[a, b]`` the logit of next token ``b`` after ``a`` (multiples of 1/4; exact in float32)
LOGIT_POINT = [[Fraction((3 * a + 7 * b) % 9 - 4, 4) for b in range(VOCAB)] for a in range(VOCAB)]
#: the token id of padding (its labels are -100)
PAD = 0
#: micro-batches of sequences, each ``(tokens, masked)``; ``masked`` leading labels are -100 (a prompt)
MICRO_BATCHES = (
    (((1, 2, 3, 4, 1, 2), 0), ((3, 3, 1, 4), 0)),
    (((2, 4, 4, 1, 3), 2),),
    (((4, 1, 2), 0), ((1, 3, 2, 2, 4, 1, 3), 3), ((2, 1), 0)),
)
#: parameter names, row-major
LOGIT_NAMES = [f"W[{a},{b}]" for a in range(VOCAB) for b in range(VOCAB)]
#: how a micro-batch's loss is normalised; Trainer before num_items_in_batch (its own label mean, over the
#: steps), num_items_in_batch the label tokens counted after the shift, or counted before it
HF_NORMALISATIONS = ("own-mean", "num-items-shifted", "num-items-unshifted")


def micro_batch_lists(micro_batch) -> tuple[list[list[int]], list[list[int]]]:
    """``input_ids`` (padded with :data:`PAD`) and ``labels`` (-100 on padding and on masked prompts) of one micro-batch.

    Example:
        >>> micro_batch_lists(MICRO_BATCHES[1])
        ([[2, 4, 4, 1, 3]], [[-100, -100, 4, 1, 3]])
    """
    width = max(len(tokens) for tokens, _ in micro_batch)
    ids = [list(tokens) + [PAD] * (width - len(tokens)) for tokens, _ in micro_batch]
    labels = [[-100] * masked + list(tokens[masked:]) + [-100] * (width - len(tokens)) for tokens, masked in micro_batch]
    return ids, labels


def micro_batch_tensors(micro_batch) -> tuple:
    """:func:`micro_batch_lists` as ``torch.long`` tensors, what the loss receives.

    Example:
        >>> [t.shape for t in micro_batch_tensors(MICRO_BATCHES[0])]
        [torch.Size([2, 6]), torch.Size([2, 6])]
    """
    torch = torch_modules().torch
    return tuple(torch.tensor(values, dtype=torch.long) for values in micro_batch_lists(micro_batch))


def micro_batch_pairs(micro_batch) -> list[tuple[int, int]]:
    """The ``(input token, label)`` pairs the causal loss scores in one micro-batch (:func:`label_tokens`).

    Example:
        >>> micro_batch_pairs(MICRO_BATCHES[1])
        [(4, 4), (4, 1), (1, 3)]
    """
    return label_tokens(*micro_batch_lists(micro_batch))


def unshifted_label_count(micro_batch) -> int:
    """The labels other than -100 before the shift: one more than the scored tokens for each sequence with its first label unmasked.

    Example:
        >>> unshifted_label_count(MICRO_BATCHES[0]), len(micro_batch_pairs(MICRO_BATCHES[0]))
        (10, 8)
    """
    return sum(len(tokens) - masked for tokens, masked in micro_batch)


def hf_accumulated_gradient(normalisation: str) -> list[float]:
    """The gradient of the float64 logit table after one accumulation cycle over :data:`MICRO_BATCHES`.

    Each micro-batch's logits ``W[input_ids]`` (float64) go through
    ``ForCausalLMLoss(logits, labels, VOCAB, ...)`` and ``backward``, as
    Hugging Face's Trainer runs it: ``"own-mean"`` without
    ``num_items_in_batch``, the loss divided by the number of steps
    (Trainer before transformers 4.46); ``"num-items-shifted"`` with
    ``num_items_in_batch`` the label tokens of the whole accumulated batch
    after the shift, not divided; ``"num-items-unshifted"`` the same with the
    count taken before the shift.

    Example:
        >>> len(hf_accumulated_gradient("own-mean"))
        25
    """
    if normalisation not in HF_NORMALISATIONS:
        raise ValueError(f"normalisation must be one of {HF_NORMALISATIONS}, got {normalisation!r}")
    torch = torch_modules().torch
    loss_function = transformers_loss().ForCausalLMLoss
    weights = torch.tensor([[float(v) for v in row] for row in LOGIT_POINT], dtype=torch.float64, requires_grad=True)
    counts = {"num-items-shifted": sum(len(micro_batch_pairs(m)) for m in MICRO_BATCHES),
              "num-items-unshifted": sum(unshifted_label_count(m) for m in MICRO_BATCHES)}
    for micro_batch in MICRO_BATCHES:
        ids, labels = micro_batch_tensors(micro_batch)
        logits = weights[ids]
        if normalisation == "own-mean":
            loss = loss_function(logits, labels, VOCAB) / len(MICRO_BATCHES)
        else:
            loss = loss_function(logits, labels, VOCAB, num_items_in_batch=torch.tensor(counts[normalisation]))
        loss.backward()
    return weights.grad.reshape(-1).tolist()


def hf_reference(normalisation: str) -> tuple[list[Fraction], Bound]:
    """The exact gradient ``normalisation`` gives (weights ``1/(K n_k)``, ``1/N`` or ``1/N'``) and its float32 bound.

    Example:
        >>> target, bound = hf_reference("num-items-shifted")
        >>> len(target), bound.format, bound.depth > 30
        (25, 'float32', True)
    """
    tokens = [micro_batch_pairs(m) for m in MICRO_BATCHES]
    sizes = [len(t) for t in tokens]
    flat = [pair for part in tokens for pair in part]
    if normalisation == "own-mean":
        weights = example_weights(sizes, mean_of_means_weights)
    elif normalisation == "num-items-shifted":
        weights = example_weights(sizes, total_count_weights)
    elif normalisation == "num-items-unshifted":
        weights = [Fraction(1, sum(unshifted_label_count(m) for m in MICRO_BATCHES))] * len(flat)
    else:
        raise ValueError(f"normalisation must be one of {HF_NORMALISATIONS}, got {normalisation!r}")
    reference = bigram_reference(LOGIT_POINT, flat, weights)
    # ForCausalLMLoss upcasts with .float(): the logits (multiples of 1/4, exact in float32) and the loss are
    # float32, so every rounding is counted in float32's u (float64's smaller ones too). Backward roundings on a
    # path: the scale 1/K or 1/N of the micro-batch loss (1), the mean's division by the token count (1), the
    # product by the softmax and the subtraction of log-softmax's backward (2); the table's gradient adds the
    # tokens' contributions row by row (at most len(flat) - 1 additions), then K - 1 additions accumulate the
    # micro-batches
    backward = 1 + 1 + 2 + len(flat) - 1 + len(MICRO_BATCHES) - 1
    scores = max(abs(v) for row in LOGIT_POINT for v in row)
    depth = softmax_depth(Fraction(0), scores, reference.lse, VOCAB, backward, UNIT_ROUNDOFF["float32"])
    return reference.gradient, rounding_bound(reference.magnitude, depth, u=UNIT_ROUNDOFF["float32"],
                                              reference_error=reference.error)


@needs_torch
def check_hf_accumulation(normalisation: str, expect: str) -> Verdict:
    """Compare :func:`hf_accumulated_gradient` with the exact gradient of ``expect`` (one of :data:`HF_NORMALISATIONS`).

    The bound is that of ``expect``'s computation (float32 unit roundoff,
    :func:`~gradavg.engine.rounding.softmax_depth` with its assumption about
    ``exp`` and ``log``, plus the reference's own error, :data:`REFERENCE_ERROR`
    times the sum of the weights).

    Example:
        >>> check_hf_accumulation("own-mean", "own-mean").holds, check_hf_accumulation("own-mean", "num-items-shifted").holds
        (True, False)
    """
    computed = hf_accumulated_gradient(normalisation)
    target, bound = hf_reference(expect)
    sizes = [len(micro_batch_pairs(m)) for m in MICRO_BATCHES]
    how = {"own-mean": "no num_items_in_batch, each loss divided by the K steps",
           "num-items-shifted": "num_items_in_batch = the label tokens of all micro-batches after the shift",
           "num-items-unshifted": "num_items_in_batch = the labels other than -100 before the shift"}
    weights = {"own-mean": "1/(K n_k), the mean of micro-batch means",
               "num-items-shifted": "1/N, the full-batch token mean",
               "num-items-unshifted": "1/N' with N' the unshifted count"}
    return compare(computed, target, bound, LOGIT_NAMES,
                   f"transformers {transformers_loss().version}, torch {torch_modules().version}: "
                   f"ForCausalLMLoss (float32 inside) on float64 bigram logits, K = {len(sizes)} micro-batches of "
                   f"{'+'.join(map(str, sizes))} label tokens, {how[normalisation]}, against the exact gradient with "
                   f"weights {weights[expect]} (softmax to {REFERENCE_DIGITS} digits); the bound uses float32's unit "
                   f"roundoff, exp and log assumed within 20 ulps", library="transformers")


# --- accelerate's gradient accumulation -------------------------------------------------

#: the linear regression's point, weights and bias (dyadic)
REGRESSION_POINT = (Fraction(3, 4), Fraction(-1, 2), Fraction(1, 8))
#: the regression data, rows ``(x1, x2, y)`` (dyadic, exact in float64), in micro-batches of 2, 3 and 5
REGRESSION_DATA = tuple((Fraction(i % 4 - 1, 2), Fraction((3 * i) % 5, 4), Fraction((7 * i) % 11 - 5, 8))
                        for i in range(10))
REGRESSION_SIZES = (2, 3, 5)
#: parameter names
REGRESSION_NAMES = ["w1", "w2", "b"]


@functools.lru_cache(maxsize=None)
def accelerator(steps: int):
    """One ``Accelerator(gradient_accumulation_steps=steps, cpu=True)`` per process, reused by every check.

    Its state is a process-wide singleton (``AcceleratorState``); the checks
    run whole accumulation cycles, so its step counter stays aligned.

    Example:
        >>> accelerator(3) is accelerator(3), accelerator(3).gradient_accumulation_steps
        (True, 3)
    """
    return accelerate_modules().Accelerator(gradient_accumulation_steps=steps, cpu=True)


def accelerate_gradient(divide_again: bool = False) -> list[float]:
    """The float64 gradient after one cycle of ``accelerator.accumulate``/``accelerator.backward`` over the micro-batches.

    Each micro-batch's loss is its mean squared error (``F.mse_loss``); with
    ``divide_again`` the user also divides it by ``K`` before
    ``accelerator.backward`` (which divides by ``K`` itself).

    Example:
        >>> len(accelerate_gradient())
        3
    """
    modules = torch_modules()
    torch, F = modules.torch, modules.F
    k = len(REGRESSION_SIZES)
    acc = accelerator(k)
    model = torch.nn.Linear(2, 1, dtype=torch.float64)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[float(REGRESSION_POINT[0]), float(REGRESSION_POINT[1])]], dtype=torch.float64))
        model.bias.fill_(float(REGRESSION_POINT[2]))
    model = acc.prepare(model)
    data = torch.tensor([[float(v) for v in row] for row in REGRESSION_DATA], dtype=torch.float64)
    synced = []
    for group in split(REGRESSION_SIZES):
        with acc.accumulate(model):
            rows = data[group.start:group.stop]
            loss = F.mse_loss(model(rows[:, :2]).squeeze(-1), rows[:, 2])
            acc.backward(loss / k if divide_again else loss)
            synced.append(acc.sync_gradients)
    if synced != [False] * (k - 1) + [True]:
        raise RuntimeError(f"accelerate's accumulation cycle is out of step: sync_gradients was {synced}")
    return [*model.weight.grad.reshape(-1).tolist(), float(model.bias.grad)]


def regression_gradients(point: Sequence, features: Sequence[Sequence],
                         targets: Sequence) -> tuple[list[list[Fraction]], list[list[Fraction]]]:
    """Each example's exact gradient of ``(w . x + b - y)^2`` at ``point = (w_1, ..., w_d, b)``, and its magnitude.

    Floats are taken at the rationals they stand for. The magnitude, for the
    rounding bound, replaces the residual by ``sum_i |w_i x_i| + |b| + |y|``.

    Example:
        >>> grads, sizes = regression_gradients((0.5, -1.0, 0.25), [(1.0, 2.0)], [0.0])
        >>> grads[0], sizes[0]
        ([Fraction(-5, 2), Fraction(-5, 1), Fraction(-5, 2)], [Fraction(11, 2), Fraction(11, 1), Fraction(11, 2)])
    """
    *w, b = map(exact, point)
    gradients, magnitudes = [], []
    for x, y in zip(features, targets):
        x, y = [exact(v) for v in x], exact(y)
        residual = sum(wi * xi for wi, xi in zip(w, x)) + b - y
        size = sum(abs(wi * xi) for wi, xi in zip(w, x)) + abs(b) + abs(y)
        gradients.append([2 * residual * xi for xi in x] + [2 * residual])
        magnitudes.append([2 * size * abs(xi) for xi in x] + [2 * size])
    return gradients, magnitudes


@needs_torch
def check_accelerate(divide_again: bool) -> Verdict:
    """The accelerate gradient equals the exact mean of micro-batch mean gradients, and misses the full-batch one.

    Both comparisons use the bound of the mean-of-means computation: the
    residual (2 products, 3 additions), ``mse_loss``'s backward (the division
    by ``n_k``, the products by 2 and by the residual), the division by ``K``,
    the linear layer's backward (a product, ``n_k - 1`` additions), and
    ``K - 1`` additions into ``.grad``. The claim holds when the first
    comparison holds and the second fails.

    Example:
        >>> check_accelerate(False).holds, check_accelerate(True).holds
        (True, False)
    """
    version = accelerate_modules().version
    computed = accelerate_gradient(divide_again)
    per_example, magnitudes = regression_gradients(REGRESSION_POINT, [row[:2] for row in REGRESSION_DATA],
                                                   [row[2] for row in REGRESSION_DATA])
    weights = example_weights(REGRESSION_SIZES, mean_of_means_weights)
    bound = rounding_bound(weighted_sum(magnitudes, weights), 5 + 3 + 1 + 1 + max(REGRESSION_SIZES) - 1
                           + len(REGRESSION_SIZES) - 1)
    method = (f"accelerate {version}, torch {torch_modules().version}: Accelerator("
              f"gradient_accumulation_steps={len(REGRESSION_SIZES)}, cpu=True), accelerator.accumulate and "
              f"accelerator.backward of each micro-batch's mean squared error"
              + (" divided by K again" if divide_again else "")
              + f", float64 linear regression, micro-batches of {'+'.join(map(str, REGRESSION_SIZES))} examples")
    means = compare(computed, weighted_sum(per_example, weights), bound, REGRESSION_NAMES,
                    f"{method}, against the mean of micro-batch means (weights 1/(K n_k))", library="accelerate")
    full = compare(computed, weighted_sum(per_example, example_weights(REGRESSION_SIZES, total_count_weights)),
                   bound, REGRESSION_NAMES, f"{method}, against the full-batch mean", library="accelerate")
    if not means.holds:
        return means
    if full.holds:
        return Verdict(False, f"{full.method}: it also matches the full-batch mean", residual=full.residual)
    return Verdict(True, f"{means.method}; and it misses the full-batch mean by {full.residual:.3g} times the bound",
                   residual=means.residual, evidence="float-bound")


# --- gradient clipping: when, and over what ------------------------------------------------

#: two micro-batches' gradients (Pythagorean; norms 10 and 5, their sum (3, 4) norm 5) and the clipping threshold
CLIP_GRADIENTS = ((Fraction(6), Fraction(8)), (Fraction(-3), Fraction(-4)))
MAX_NORM = Fraction(6)
#: torch's ``clip_grad_norm_`` scales by max_norm / (norm + 1e-6), clamped to 1
CLIP_EPSILON = 1e-6
#: when the clipping is applied
CLIP_TIMINGS = ("after-accumulation", "per-micro-batch")


def clipped_gradients(timing: str) -> tuple[list[float], list[float]]:
    """Accumulate :data:`CLIP_GRADIENTS` by ``backward`` into a float64 parameter and clip with ``clip_grad_norm_``.

    ``"after-accumulation"``: both micro-batches' backward passes, then one
    clip. ``"per-micro-batch"``: each micro-batch's gradient clipped on its
    own, the results added in a buffer. Returns the final gradient and the
    norms ``clip_grad_norm_`` returned.

    Example:
        >>> clipped_gradients("after-accumulation")
        ([3.0, 4.0], [5.0])
    """
    if timing not in CLIP_TIMINGS:
        raise ValueError(f"timing must be one of {CLIP_TIMINGS}, got {timing!r}")
    torch = torch_modules().torch
    clip = torch.nn.utils.clip_grad_norm_
    parameter = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    norms, buffer = [], torch.zeros(2, dtype=torch.float64)
    for gradient in CLIP_GRADIENTS:
        # a linear loss g . p: its backward leaves exactly g in .grad
        (torch.tensor([float(v) for v in gradient], dtype=torch.float64) @ parameter).backward()
        if timing == "per-micro-batch":
            norms.append(float(clip([parameter], float(MAX_NORM))))
            buffer += parameter.grad
            parameter.grad = None
    if timing == "after-accumulation":
        norms.append(float(clip([parameter], float(MAX_NORM))))
        buffer = parameter.grad
    return buffer.tolist(), norms


def clip_exact(vector: Sequence[Fraction], max_norm: Fraction = MAX_NORM) -> tuple[list[Fraction], Fraction]:
    """``clip_grad_norm_``'s result in exact rationals: ``v min(1, c / (|v| + 1e-6))`` (1e-6 the float64 value), and ``|v|``.

    The norm must be rational (Pythagorean values).

    Example:
        >>> clip_exact([Fraction(3), Fraction(4)], Fraction(10))
        ([Fraction(3, 1), Fraction(4, 1)], Fraction(5, 1))
    """
    square = sum(v * v for v in vector)
    norm = Fraction(math.isqrt(square.numerator), math.isqrt(square.denominator))
    if norm * norm != square:
        raise ArithmeticError(f"the norm of {vector} is not rational")
    scale = min(Fraction(1), max_norm / (norm + exact(CLIP_EPSILON)))
    return [v * scale for v in vector], norm


@needs_torch
def check_clipping(per_micro_batch_target: str) -> Verdict:
    """Clipping after accumulation gives ``clip(g_1 + g_2)``; clipping per micro-batch is compared with ``per_micro_batch_target``.

    ``"sum-of-clipped"`` (``clip(g_1) + clip(g_2)``, the claim) or
    ``"clipped-sum"`` (``clip(g_1 + g_2)``, the belief that the timing does
    not matter). The bound: the norm (a square, an addition, a square root,
    and the same again for the norm of the norms), the scale (an addition of
    1e-6 and a division), the product, and the buffer's addition: depth 9,
    magnitudes ``|scale| |g|`` (and the norms, within the same depth).

    Example:
        >>> check_clipping("sum-of-clipped").holds, check_clipping("clipped-sum").holds
        (True, False)
    """
    total = [sum(column) for column in zip(*CLIP_GRADIENTS)]
    clipped_sum, total_norm = clip_exact(total)
    pieces = [clip_exact(list(g)) for g in CLIP_GRADIENTS]
    sum_of_clipped = weighted_sum([p for p, _ in pieces], [Fraction(1)] * len(pieces))
    after, after_norms = clipped_gradients("after-accumulation")
    per_micro, per_norms = clipped_gradients("per-micro-batch")
    target = sum_of_clipped if per_micro_batch_target == "sum-of-clipped" else clipped_sum
    depth = 9
    version = torch_modules().version
    gradients = [f"g_{k + 1} = ({', '.join(str(v) for v in g)})" for k, g in enumerate(CLIP_GRADIENTS)]
    method = f"torch {version}: clip_grad_norm_(max_norm={MAX_NORM}) on float64 gradients {', '.join(gradients)}"
    after_verdict = compare([*after, *after_norms], [*clipped_sum, total_norm],
                            rounding_bound([*(abs(v) for v in clipped_sum), total_norm], depth),
                            ["after[0]", "after[1]", "norm"], f"{method}: once after accumulating, against clip(g_1 + g_2)",
                            library="PyTorch")
    magnitude = weighted_sum([[abs(v) for v in p] for p, _ in pieces], [Fraction(1)] * len(pieces))
    per_bound = rounding_bound([*magnitude, *(n for _, n in pieces)], depth)
    per_verdict = compare([*per_micro, *per_norms], [*target, *(n for _, n in pieces)], per_bound,
                          ["per-micro-batch[0]", "per-micro-batch[1]", "norm_1", "norm_2"],
                          f"{method}: per micro-batch, against "
                          + ("clip(g_1) + clip(g_2)" if per_micro_batch_target == "sum-of-clipped" else "clip(g_1 + g_2)"),
                          library="PyTorch")
    for verdict in (after_verdict, per_verdict):
        if not verdict.holds:
            return verdict
    return Verdict(True, f"{after_verdict.method} | {per_verdict.method}",
                   residual=max(after_verdict.residual, per_verdict.residual), evidence="float-bound")


#: two shards of one model's gradient, as FSDP or ZeRO hold them on two ranks (norms 5 and 12, together 13)
SHARDS = ((Fraction(3), Fraction(4)), (Fraction(0), Fraction(-12)))
#: how the shards' local norms are turned into the norm each rank clips with
SHARD_COMBINATIONS = ("root-sum-squares", "sum-of-norms")


@needs_torch
def check_shard_norms(combination: str) -> Verdict:
    """The norm of the whole gradient (``get_total_norm`` of both shards) and the norm formed from the shards' norms, against 13.

    ``"root-sum-squares"``: ``get_total_norm`` of the stacked shard norms
    (what an all-reduce of the squared norms gives each rank).
    ``"sum-of-norms"``: the shard norms added, as an all-reduce of the norms
    themselves instead of their squares gives. Every
    value is compared with the exact ``13``; depth 6 (two norms, each a square,
    an addition and a square root). One process: the shards are tensors here,
    not ranks.

    Example:
        >>> check_shard_norms("root-sum-squares").holds, check_shard_norms("sum-of-norms").holds
        (True, False)
    """
    if combination not in SHARD_COMBINATIONS:
        raise ValueError(f"combination must be one of {SHARD_COMBINATIONS}, got {combination!r}")
    torch = torch_modules().torch
    total_norm = torch.nn.utils.get_total_norm
    shards = [torch.tensor([float(v) for v in shard], dtype=torch.float64) for shard in SHARDS]
    local = [total_norm([shard]) for shard in shards]
    values = [float(total_norm(shards))]
    if combination == "root-sum-squares":
        values.append(float(total_norm([torch.stack(local)])))
    else:
        values.append(float(torch.stack(local).sum()))
    names = ["whole", "from the shard norms"]
    _, exact_norm = clip_exact([v for shard in SHARDS for v in shard])
    return compare(values, [exact_norm] * len(values), rounding_bound([exact_norm] * len(values), 6), names,
                   f"torch {torch_modules().version}: torch.nn.utils.get_total_norm of the shards "
                   f"{', '.join(str(tuple(map(str, s))) for s in SHARDS)}, and "
                   + ("of the stacked shard norms" if combination == "root-sum-squares" else "the shard norms added")
                   + f", against the exact global norm {exact_norm}", library="PyTorch")


# --- batch norm under gradient accumulation ------------------------------------------------

#: BatchNorm1d's eps (exact in float64)
BN_EPS = Fraction(1, 4)
#: the micro-batch sizes; K = 2 micro-batches of 2 and 4 examples, N = 6
BN_SIZES = (2, 4)
#: the inputs, one row per example, two channels, in micro-batches of :data:`BN_SIZES`. Found by a search over
#: multiples of 1/4 in [-3/2, 3/2] so that the biased variance plus :data:`BN_EPS` is the square of a dyadic
#: rational in every micro-batch and in the full batch, per channel; channel 0 gives 25/64, 49/64 and 49/64
#: (micro-batch means 9/8 and 3/8, full mean 5/8), channel 1 25/64, 49/64 and 49/64 (means 7/8, 1/8, 3/8);
#: so 1 / sqrt(var + eps) is rational and the exact reference is a rational
BN_INPUTS = ((Fraction(3, 4), Fraction(1, 2)), (Fraction(3, 2), Fraction(5, 4)),
             (Fraction(-1, 4), Fraction(-1)), (Fraction(-1, 4), Fraction(1, 4)),
             (Fraction(1, 2), Fraction(1, 4)), (Fraction(3, 2), Fraction(1)))
#: the targets of the squared loss, one row per example (dyadic)
BN_TARGETS = ((Fraction(1, 2), Fraction(-1, 4)), (Fraction(-1), Fraction(3, 4)), (Fraction(1, 4), Fraction(0)),
              (Fraction(3, 4), Fraction(-1, 2)), (Fraction(-1, 2), Fraction(1)), (Fraction(1), Fraction(-3, 4)))
#: BatchNorm1d's point; its weight gamma and bias beta, per channel (dyadic)
BN_WEIGHT = (Fraction(3, 2), Fraction(-1, 2))
BN_BIAS = (Fraction(1, 4), Fraction(-3, 4))
#: the statistics a reference normalises with; each micro-batch's own, or the full batch's
BN_STATISTICS = ("micro-batch", "full-batch")
#: the components compared; BN's weight and bias gradients, then the input gradient, row-major
BN_NAMES = ([f"weight[{c}]" for c in range(len(BN_WEIGHT))] + [f"bias[{c}]" for c in range(len(BN_BIAS))]
            + [f"input[{i},{c}]" for i in range(len(BN_INPUTS)) for c in range(len(BN_WEIGHT))])


def exact_root(square: Fraction) -> Fraction:
    """The rational square root of ``square``; ``ArithmeticError`` if it has none.

    Example:
        >>> exact_root(Fraction(49, 64))
        Fraction(7, 8)
    """
    root = Fraction(math.isqrt(square.numerator), math.isqrt(square.denominator))
    if root * root != square:
        raise ArithmeticError(f"{square} is not the square of a rational")
    return root


def batchnorm_depth(n: int, steps: int) -> int:
    """The rounding depth of a float64 BatchNorm1d forward and backward over a batch of ``n``, accumulated over ``steps``.

    Counted by hand (``E`` = :data:`~gradavg.engine.rounding.ELEMENTARY_ROUNDINGS`
    for ``1 / sqrt``); each step below is within ``gamma_d`` times the
    magnitude of :func:`batchnorm_reference`, and ``a``- and ``b``-deep
    factors multiply to ``a + b`` (``gamma_a + gamma_b + gamma_a gamma_b <=
    gamma_(a+b)``). The mean: ``n - 1`` additions and a division, ``n``, off by
    at most ``gamma_n A`` (``A`` the mean of ``|x|``); ``x - mean``: ``n + 1``,
    magnitude ``|x| + A``. torch sums ``(x - mean)^2`` (two passes), so the
    computed variance is ``(v + e^2)(1 + theta)``, ``|theta| <= gamma_(n+2)``
    (a subtraction, a square, ``n - 1`` additions, the division by ``n``), with
    ``e`` the mean's error; ``+ eps`` adds one rounding and, when ``2 e^2 <= u
    (v + eps)`` (checked), ``e^2`` one more: ``var + eps`` is relatively within
    ``gamma_(n+4)``, its inverse square root too (``|(1 + theta)^(-1/2) - 1| <=
    |theta|``), and ``1 / sqrt`` itself ``E``: ``D_r = n + 4 + E``. The output
    ``(x - mean) r gamma + beta`` (or torch's ``x alpha + (beta - mean
    alpha)``, ``alpha = r gamma``): ``D_y = n + D_r + 4``. The loss gradient
    ``2 (y - t) / N`` (a subtraction, ``1/N``, a product): ``D_g = D_y + 4``.
    ``sum dy``: ``D_g + n - 1``; ``dotp = sum (x - mean) dy``: ``D_dot = 2 n + 1
    + D_g``; the weight's gradient ``dotp r``: ``D_dot + D_r + 1``; the input's
    ``(dy - sum dy / n - (x - mean) dotp r^2 / n) r gamma``: ``n + D_dot + 3 D_r
    + 9``, the deepest. ``steps - 1`` additions accumulate the weight and bias
    into ``.grad`` (the inputs are separate leaves), so the depth is the larger
    of the two.

    Example:
        >>> batchnorm_depth(4, 2), batchnorm_depth(6, 1)
        (226, 242)
    """
    d_r = n + 4 + ELEMENTARY_ROUNDINGS
    d_g = n + d_r + 4 + 4
    d_dot = 2 * n + 1 + d_g
    return max(n + d_dot + 3 * d_r + 9, d_dot + d_r + 1 + steps - 1)


def batchnorm_reference(statistics: str) -> tuple[list[Fraction], Bound]:
    """The exact accumulated gradient (:data:`BN_NAMES`) normalising with ``statistics``, and its float64 bound.

    The loss of a group of examples is ``(1/N) sum_i sum_c (y_ic - t_ic)^2``
    (weights :func:`~gradavg.topics.accumulation.total_count_weights`), ``y =
    gamma (x - mu) / sqrt(v + eps) + beta`` with ``mu`` and the biased ``v``
    of the group (each micro-batch, or the whole batch as one group). With ``dy
    = 2 (y - t) / N`` and ``xhat = (x - mu) / s``: ``d gamma = sum dy xhat``,
    ``d beta = sum dy``, ``dx = (gamma / s)(dy - mean dy - xhat mean(dy xhat))``.
    The magnitudes evaluate the same on absolute values, with ``|x| + A`` for
    ``x - mu``; the depth is :func:`batchnorm_depth`.

    Example:
        >>> gradient, bound = batchnorm_reference("micro-batch")
        >>> len(gradient), bound.depth, gradient[2]  # bias[0]: sum_i 2 (y_i0 - t_i0) / 6, the same either way
        (16, 226, Fraction(1, 6))
    """
    if statistics not in BN_STATISTICS:
        raise ValueError(f"statistics must be one of {BN_STATISTICS}, got {statistics!r}")
    sizes = BN_SIZES if statistics == "micro-batch" else (sum(BN_SIZES),)
    weights = example_weights(BN_SIZES, total_count_weights)
    channels = len(BN_WEIGHT)
    d_weight, d_bias = [Fraction(0)] * channels, [Fraction(0)] * channels
    m_weight, m_bias = [Fraction(0)] * channels, [Fraction(0)] * channels
    d_input, m_input = {}, {}
    for group in split(sizes):
        n = len(group)
        for c, (scale, shift) in enumerate(zip(BN_WEIGHT, BN_BIAS)):
            x = [BN_INPUTS[i][c] for i in group]
            mean, size = sum(x) / n, sum(map(abs, x)) / n
            variance = sum((v - mean) ** 2 for v in x) / n
            if 2 * (gamma(n) * size) ** 2 > UNIT_ROUNDOFF["float64"] * (variance + BN_EPS):
                raise ArithmeticError("the mean's squared error is not below u (var + eps) / 2")
            r = 1 / exact_root(variance + BN_EPS)
            xhat = [(v - mean) * r for v in x]
            dy = [2 * weights[i] * (scale * h + shift - BN_TARGETS[i][c]) for i, h in zip(group, xhat)]
            big = [2 * weights[i] * (abs(scale) * r * (abs(v) + size) + abs(shift) + abs(BN_TARGETS[i][c]))
                   for i, v in zip(group, x)]
            dot, big_dot = sum(g * h for g, h in zip(dy, xhat)), sum(b * (abs(v) + size) for b, v in zip(big, x))
            d_weight[c] += dot
            d_bias[c] += sum(dy)
            m_weight[c] += big_dot * r
            m_bias[c] += sum(big)
            for i, v, g, h, b in zip(group, x, dy, xhat, big):
                d_input[i, c] = scale * r * (g - sum(dy) / n - h * dot / n)
                m_input[i, c] = abs(scale) * r * (b + sum(big) / n + (abs(v) + size) * big_dot * r * r / n)
    cells = sorted(d_input)
    return ([*d_weight, *d_bias, *(d_input[k] for k in cells)],
            rounding_bound([*m_weight, *m_bias, *(m_input[k] for k in cells)],
                           batchnorm_depth(max(sizes), len(sizes))))


def batchnorm_accumulated_gradient() -> list[float]:
    """``torch.nn.BatchNorm1d`` (float64, training mode) accumulated over the micro-batches of :data:`BN_SIZES`.

    Each micro-batch ``k`` is its own leaf tensor; its loss
    ``((bn(x_k) - t_k) ** 2).sum() / N`` goes through ``backward``, so the
    weight and bias gradients add up in ``.grad``. Returns them and the
    input gradients, in the order of :data:`BN_NAMES`.

    Example:
        >>> len(batchnorm_accumulated_gradient())
        16
    """
    torch = torch_modules().torch
    bn = torch.nn.BatchNorm1d(len(BN_WEIGHT), eps=float(BN_EPS), dtype=torch.float64)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([float(v) for v in BN_WEIGHT], dtype=torch.float64))
        bn.bias.copy_(torch.tensor([float(v) for v in BN_BIAS], dtype=torch.float64))
    total = sum(BN_SIZES)
    inputs = []
    for group in split(BN_SIZES):
        rows = torch.tensor([[float(v) for v in BN_INPUTS[i]] for i in group], dtype=torch.float64, requires_grad=True)
        targets = torch.tensor([[float(v) for v in BN_TARGETS[i]] for i in group], dtype=torch.float64)
        (((bn(rows) - targets) ** 2).sum() / total).backward()
        inputs.append(rows)
    if not bn.training:
        raise RuntimeError("BatchNorm1d left training mode: it would normalise with its running statistics")
    return [*bn.weight.grad.tolist(), *bn.bias.grad.tolist(), *(v for rows in inputs for v in rows.grad.reshape(-1).tolist())]


@needs_torch
def check_batchnorm_accumulation(statistics: str) -> Verdict:
    """Compare :func:`batchnorm_accumulated_gradient` with the exact gradient normalised with ``statistics``.

    ``"micro-batch"`` (each micro-batch's own mean and biased variance, the
    claim) or ``"full-batch"`` (the whole batch's, the belief that accumulation
    reproduces the full batch); the bound is that of the expected computation
    (:func:`batchnorm_reference`).

    Example:
        >>> check_batchnorm_accumulation("micro-batch").holds, check_batchnorm_accumulation("full-batch").holds
        (True, False)
    """
    target, bound = batchnorm_reference(statistics)
    return compare(batchnorm_accumulated_gradient(), target, bound, BN_NAMES,
                   f"torch {torch_modules().version}: BatchNorm1d({len(BN_WEIGHT)}, eps={BN_EPS}) in training mode, "
                   f"float64, gamma = ({', '.join(map(str, BN_WEIGHT))}), beta = ({', '.join(map(str, BN_BIAS))}), "
                   f"K = {len(BN_SIZES)} micro-batches of {'+'.join(map(str, BN_SIZES))} examples, each loss "
                   f"sum (y - t)^2 / N with N = {sum(BN_SIZES)}, one backward each; weight, bias and input gradients "
                   f"against the exact gradient with {statistics} statistics (1/sqrt assumed within "
                   f"{ELEMENTARY_ROUNDINGS} roundings)", library="PyTorch")


# --- the probe on Hugging Face's and PyTorch's losses ------------------------------------

#: the sequences the probe draws from; every sequence of :data:`MICRO_BATCHES`
PROBE_SEQUENCES = tuple(sequence for micro_batch in MICRO_BATCHES for sequence in micro_batch)
#: the losses the probe runs, each ``(loss, weight)``; HF's ForCausalLMLoss without and with a fixed
#: num_items_in_batch, and cross_entropy (ignore_index=-100) with reduction "mean" and "sum"
PROBE_LOSSES = ("hf-mean", "hf-mean-token-weighted", "hf-num-items", "ce-mean", "ce-sum")


def probe_loss(name: str):
    """The batch loss over :data:`PROBE_SEQUENCES` the probe calls, and the ``weight`` it passes (``None``: per sequence).

    Example:
        >>> loss, weight = probe_loss("ce-sum")
        >>> round(float(loss([0, 1])), 4) > 0, weight
        (True, None)
    """
    if name not in PROBE_LOSSES:
        raise ValueError(f"name must be one of {PROBE_LOSSES}, got {name!r}")
    modules = torch_modules()
    torch, F = modules.torch, modules.F
    causal = transformers_loss().ForCausalLMLoss
    table = torch.tensor([[float(v) for v in row] for row in LOGIT_POINT], dtype=torch.float64)
    fixed = sum(len(micro_batch_pairs([s])) for s in PROBE_SEQUENCES)

    def loss(indices):
        ids, labels = micro_batch_tensors([PROBE_SEQUENCES[i] for i in indices])
        logits = table[ids]
        if name.startswith("hf"):
            return causal(logits, labels, VOCAB, num_items_in_batch=fixed if name == "hf-num-items" else None)
        shifted = F.pad(labels, (0, 1), value=-100)[:, 1:]
        return F.cross_entropy(logits.reshape(-1, VOCAB), shifted.reshape(-1), ignore_index=-100,
                               reduction="sum" if name == "ce-sum" else "mean")

    return loss, probe_tokens if name == "hf-mean-token-weighted" else None


def probe_tokens(indices: Sequence[int]) -> int:
    """The label tokens (after the shift, -100 excluded) of the chosen :data:`PROBE_SEQUENCES`.

    Example:
        >>> probe_tokens([0, 1])
        8
    """
    return len(micro_batch_pairs([PROBE_SEQUENCES[i] for i in indices]))


@needs_torch
def probe_losses() -> dict[str, Verdict]:
    """:func:`~gradavg.checks.probe.probe_additivity` on each of :data:`PROBE_LOSSES`, by name.

    The tolerance counts the label tokens a part sums (``terms``); the float32
    losses (Hugging Face's) are read as float32 from the tensor they return.

    Example:
        >>> {name: verdict.holds for name, verdict in probe_losses().items()}
        {'hf-mean': False, 'hf-mean-token-weighted': True, 'hf-num-items': True, 'ce-mean': False, 'ce-sum': True}
    """
    verdicts = {}
    for name in PROBE_LOSSES:
        loss, weight = probe_loss(name)
        verdicts[name] = probe_additivity(loss, len(PROBE_SEQUENCES), weight=weight, terms=probe_tokens, trials=20,
                                          seed=0)
    return verdicts
