"""The averaging identities across processes: DistributedDataParallel, synchronised batch statistics, gathered negatives.

Every check runs real PyTorch code in the two ranks of one ``gloo`` process
group on 127.0.0.1 (:func:`gradavg.checks.torch_adapter.ranks`): the ranks build
``torch.nn.parallel.DistributedDataParallel`` (CPU, float64) and call
``torch.distributed`` collectives. PyTorch is imported inside the functions
only, so ``gradavg ledger`` and the other pages do not load it.

The references never use PyTorch:

- linear regression, squared error
  (:func:`~gradavg.topics.stacks.regression_gradients`): the per-example
  gradient ``2 (w.x_i + b - y_i) (x_i, 1)`` in rationals at the very
  float64 inputs the ranks receive, combined with the accumulation page's exact
  weights (:mod:`gradavg.topics.accumulation`), compared within a derived float64
  rounding bound (:mod:`gradavg.engine.rounding`);
- batch statistics (:func:`exact_moments`): the full batch's mean and biased
  variance in rationals;
- an InfoNCE loss over embeddings of both ranks (:func:`contrastive_reference`):
  its softmax is not rational, so the gradient is evaluated to
  :data:`~gradavg.topics.stacks.REFERENCE_DIGITS` digits with mpmath, and the
  bound assumes that PyTorch's ``exp`` and ``log`` are within 20 ulps
  (:data:`~gradavg.engine.rounding.ELEMENTARY_ROUNDINGS`, used by
  :func:`~gradavg.engine.rounding.softmax_depth`);
- transformers' ``ForCausalLMLoss`` on a bigram model's logits
  (:func:`~gradavg.topics.stacks.bigram_reference`, shared with the one-process
  checks): the token-mean gradient of the softmax cross-entropy to the same
  digits, the bound in float32's unit roundoff, since the loss upcasts with ``.float()``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from fractions import Fraction

import mpmath

from ..checks.torch_adapter import (
    RankFailed,
    needs_torch,
    ranks,
    torch_modules,
    transformers_loss,
)
from ..engine.claims import Verdict
from ..engine.rounding import (
    UNIT_ROUNDOFF,
    compare,
    exact,
    gamma,
    rounding_bound,
    softmax_depth,
)
from .accumulation import example_weights, mean_of_means_weights, split, total_count_weights, weighted_sum
from .stacks import (
    REFERENCE_DIGITS,
    REFERENCE_ERROR,
    bigram_reference,
    label_tokens,
    regression_gradients,
)

#: the world size every check runs at
WORLD = 2

# --- data ---------------------------------------------------------------------------

#: linear regression; 8 examples of 2 features, sorted by the first, dyadic so that the inputs are exact
FEATURES = ((-1.5, 0.5), (-1.0, -0.25), (-0.5, 1.0), (0.25, 0.75), (0.5, -1.0), (1.0, 0.25), (1.5, 1.5), (2.0, -0.5))
TARGETS = (-2.0, -1.25, -0.5, 0.5, 0.75, 1.5, 2.5, 3.0)
#: the parameter point (w_1, w_2, b)
POINT = (0.75, -0.5, 0.25)
#: the gradient's components
NAMES = ("w_1", "w_2", "b")
#: local batch sizes of the two ranks, consecutive examples
EQUAL = (4, 4)
UNEVEN = (3, 5)

#: how each rank forms its loss before DDP's backward
RECIPES = {
    "mean": "each rank's mean loss",
    "global-count-times-world": "each rank's summed loss over the all-reduced global count, times the world size",
    "global-count": "each rank's summed loss over the all-reduced global count",
}
#: what a DDP gradient is compared with
EXPECT = {
    "full": "the exact full-batch gradient",
    "mean-of-means": "the exact mean of the ranks' mean gradients",
    "world-full": "the world size times the exact full-batch gradient",
}


def shards(sizes: Sequence[int]) -> list[tuple]:
    """Each rank's arguments for :func:`ddp_rank`: its consecutive examples ``(features, targets)``.

    Example:
        >>> [len(f) for f, _ in shards(UNEVEN)]
        [3, 5]
    """
    return [(FEATURES[g.start:g.stop], TARGETS[g.start:g.stop]) for g in split(sizes)]


def exact_gradient(sizes: Sequence[int], expect: str) -> list[Fraction]:
    """The exact gradient a DDP result is compared with (a key of :data:`EXPECT`), rank ``r`` holding ``sizes[r]`` examples.

    Example:
        >>> exact_gradient(UNEVEN, "world-full") == [2 * g for g in exact_gradient(UNEVEN, "full")]
        True
    """
    if expect not in EXPECT:
        raise ValueError(f"expect must be one of {sorted(EXPECT)}, got {expect!r}")
    per_example, _ = regression_gradients(POINT, FEATURES, TARGETS)
    scheme = mean_of_means_weights if expect == "mean-of-means" else total_count_weights
    factor = len(sizes) if expect == "world-full" else 1
    return [factor * g for g in weighted_sum(per_example, example_weights(sizes, scheme))]


# --- DistributedDataParallel ---------------------------------------------------------

def ddp_rank(rank: int, size: int, features, targets, recipe: str) -> list[str]:
    """One rank's step: DDP over a float64 ``Linear(2, 1)`` at :data:`POINT`, the loss by ``recipe``, one backward.

    Returns the gradient DDP leaves in the parameters, ``(w_1, w_2, b)``, as
    ``float.hex`` strings.
    """
    if recipe not in RECIPES:
        raise ValueError(f"recipe must be one of {sorted(RECIPES)}, got {recipe!r}")
    torch, dist = torch_modules().torch, torch_modules().dist
    model = torch.nn.Linear(2, 1, dtype=torch.float64)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([POINT[:2]], dtype=torch.float64))
        model.bias.copy_(torch.tensor(POINT[2:], dtype=torch.float64))
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    x = torch.tensor(features, dtype=torch.float64)
    y = torch.tensor(targets, dtype=torch.float64)
    losses = (ddp(x).squeeze(-1) - y) ** 2
    if recipe == "mean":
        loss = losses.mean()
    else:
        count = torch.tensor(float(len(targets)), dtype=torch.float64)
        dist.all_reduce(count)  # the global number of examples, the same in every rank
        loss = losses.sum() / count * (size if recipe == "global-count-times-world" else 1)
    loss.backward()
    return [v.hex() for v in [*model.weight.grad.ravel().tolist(), *model.bias.grad.tolist()]]


def _run(function, arguments: Sequence[tuple]) -> list:
    """Run ``function`` in the shared world; a rank that raises becomes a :class:`RankFailed`, never a hang."""
    return ranks(WORLD).run(function, arguments)


def every_rank(results: Sequence[Sequence[str]], exact_values: Sequence[Fraction], bound, names: Sequence[str],
               method: str, library: str) -> Verdict:
    """Every rank's result (``float.hex`` strings) compared with the same exact values; the first failure, else rank 0's.

    ``method`` names the rank with ``{}``.

    Example:
        >>> from gradavg.engine.rounding import rounding_bound
        >>> every_rank([["0x1.0p-1"], ["0x1.0p+0"]], [Fraction(1, 2)], rounding_bound([Fraction(1)], 1), ["w"],
        ...            "rank {}", "PyTorch").method.startswith("rank 1")
        True
    """
    verdicts = [compare([float.fromhex(v) for v in result], exact_values, bound, names, method.format(rank),
                        library=library) for rank, result in enumerate(results)]
    return next((v for v in verdicts if not v.holds), verdicts[0])


def _failed(error: RankFailed, what: str) -> Verdict:
    """A check whose rank failed compared nothing: not run, so that it can neither hold nor reject a control."""
    return Verdict.not_run(f"{what}: a rank failed, so nothing was compared: {error}")


@needs_torch
def check_ddp(sizes: Sequence[int], recipe: str, expect: str) -> Verdict:
    """DDP's gradient over :data:`WORLD` gloo ranks, local batches ``sizes``, compared with ``expect`` (:data:`EXPECT`).

    Both ranks' gradients are compared (DDP leaves the same in each). The bound
    is that of the recipe that ran: its exact weights on absolute values, and
    the depth counted in the comment below.

    Example:
        >>> check_ddp(EQUAL, "mean", "full").holds
        True
    """
    modules = torch_modules()
    what = f"torch {modules.version} DDP over {WORLD} gloo ranks, local batches {'+'.join(map(str, sizes))}"
    try:
        results = _run(ddp_rank, [(*shard, recipe) for shard in shards(sizes)])
    except RankFailed as error:
        return _failed(error, what)
    _, magnitudes = regression_gradients(POINT, FEATURES, TARGETS)
    scheme = total_count_weights if recipe == "global-count-times-world" else mean_of_means_weights
    weights = example_weights(sizes, scheme)
    if recipe == "global-count":
        weights = [w / len(sizes) for w in weights]
    # rounded operations on a path: the residual w.x + b - y (2 products and 3 additions: 5), the loss's
    # backward scaling (mean: 1/n and a product; global count: 1/count, a product, times R: 3), the square's
    # backward (2 r times that: 2), the product with x (1), the sum over the local batch (n_max - 1),
    # DDP's division by R (1) and its all-reduce (R - 1)
    depth = 5 + 3 + 2 + 1 + (max(sizes) - 1) + 1 + (len(sizes) - 1)
    bound = rounding_bound(weighted_sum(magnitudes, weights), depth)
    target = exact_gradient(sizes, expect)
    method = f"{what}, {RECIPES[recipe]}, against {EXPECT[expect]} (rank {{}})"
    return every_rank(results, target, bound, NAMES, method, "PyTorch")


# --- synchronised batch statistics ---------------------------------------------------

#: batch-norm inputs, 8 examples of 2 channels, dyadic; split over the ranks as 3 + 5
ACTIVATIONS = ((0.5, -1.0), (1.25, 0.75), (2.0, 0.25), (-0.75, 1.5), (-1.5, -0.5), (0.25, 2.25), (3.0, -1.25),
               (-2.5, 1.0))
CHANNELS = ("mean_1", "mean_2", "var_1", "var_2")
#: how the gathered per-rank statistics are combined
COMBINE = {
    "counts": "global sums over the global count (the counts gathered with the sums)",
    "equal-counts": "the ranks' statistics merged as if every rank held the same number of examples (the mean of "
                    "the means, and the mean of v_r + (m_r - m)^2)",
}


def moments_rank(rank: int, size: int, activations, combine: str) -> list[str]:
    """One rank: its count, per-channel sum and sum of squares, ``all_gather`` ed over gloo, then combined by ``combine``.

    Returns the per-channel mean and biased variance, as ``float.hex`` strings.
    """
    if combine not in COMBINE:
        raise ValueError(f"combine must be one of {sorted(COMBINE)}, got {combine!r}")
    torch, dist = torch_modules().torch, torch_modules().dist
    x = torch.tensor(activations, dtype=torch.float64)
    local = torch.cat([torch.tensor([float(len(x))], dtype=torch.float64), x.sum(0), (x * x).sum(0)])
    gathered = [torch.empty_like(local) for _ in range(size)]
    dist.all_gather(gathered, local)
    stats = torch.stack(gathered)  # one row per rank: count, sums, sums of squares
    count, sums, squares = stats[:, :1], stats[:, 1:3], stats[:, 3:]
    if combine == "counts":
        total = count.sum()
        mean = sums.sum(0) / total
        var = squares.sum(0) / total - mean * mean
    else:  # the exact merge of per-rank statistics (Welford's), with every rank's count taken as equal
        means = sums / count
        mean = means.mean(0)
        var = (squares / count - means * means + (means - mean) ** 2).mean(0)
    return [v.hex() for v in [*mean.tolist(), *var.tolist()]]


def exact_moments(values: Sequence[Sequence[float]]) -> list[Fraction]:
    """The per-channel mean and biased variance (batch norm's training statistics) of ``values``, exactly.

    Example:
        >>> exact_moments([(1.0, 0.0), (2.0, 0.5)])
        [Fraction(3, 2), Fraction(1, 4), Fraction(1, 4), Fraction(1, 16)]
    """
    n = len(values)
    means = [sum(exact(v[c]) for v in values) / n for c in range(2)]
    variances = [sum((exact(v[c]) - means[c]) ** 2 for v in values) / n for c in range(2)]
    return means + variances


@needs_torch
def check_moments(sizes: Sequence[int], combine: str) -> Verdict:
    """Both ranks' combined statistics against the exact full-batch mean and biased variance of :data:`ACTIVATIONS`.

    Example:
        >>> check_moments(UNEVEN, "counts").holds
        True
    """
    what = f"torch {torch_modules().version} all_gather over {WORLD} gloo ranks, local batches {'+'.join(map(str, sizes))}"
    try:
        results = _run(moments_rank, [(ACTIVATIONS[g.start:g.stop], combine) for g in split(sizes)])
    except RankFailed as error:
        return _failed(error, what)
    n = len(ACTIVATIONS)
    absolute = [sum(abs(exact(v[c])) for v in ACTIVATIONS) / min(sizes) for c in range(2)]
    squares = [sum(exact(v[c]) ** 2 for v in ACTIVATIONS) / min(sizes) for c in range(2)]
    # magnitudes on absolute values, each rank's sums over its smallest possible count (an upper bound for
    # both recipes); depth: a square (1), local sums (n_max - 1), the sum or average over ranks (R - 1 and 1),
    # a division by the count (1) for the mean; for the variance twice that and the mean's square and the
    # subtraction (2)
    mean_depth = (max(sizes) - 1) + (len(sizes) - 1) + 2
    bound = rounding_bound([*absolute, *(s + a * a for s, a in zip(squares, absolute))], 2 * (mean_depth + 1) + 2)
    method = f"{what}, {COMBINE[combine]}, against the exact full-batch mean and biased variance (N = {n}; rank {{}})"
    return every_rank(results, exact_moments(ACTIVATIONS), bound, CHANNELS, method, "PyTorch")


# --- in-batch negatives gathered across ranks -------------------------------------------

#: the encoder's weight W (2 x 2); queries W a_i and keys W b_i, 3 pairs a rank
ENCODER = ((0.75, -0.5), (0.25, 1.0))
QUERIES = ((1.0, 0.5), (-0.5, 1.0), (0.25, -0.75), (1.5, 0.25), (-1.0, -0.5), (0.5, 1.25))
KEYS = ((0.75, 0.25), (-0.25, 1.25), (0.5, -1.0), (1.0, 0.75), (-1.25, 0.0), (0.25, 1.0))
ENCODER_NAMES = ("W_11", "W_12", "W_21", "W_22")
#: how each rank gathers the other ranks' keys
GATHERS = {
    "autograd": "torch.distributed.nn.functional.all_gather (the backward sends each key's gradient to its rank)",
    "plain": "torch.distributed.all_gather, its own slot replaced by its local keys (no gradient reaches the others)",
}
def contrastive_rank(rank: int, size: int, queries, keys, gather: str) -> list[str]:
    """One rank: DDP over the float64 encoder, keys of every rank gathered by ``gather``, cross-entropy of its queries.

    Each local query's logits are its dot products with all ``size * n`` keys,
    its own key the label; the loss is their mean over the rank's queries.
    Returns DDP's gradient of ``W`` (row-major) as ``float.hex`` strings.
    """
    if gather not in GATHERS:
        raise ValueError(f"gather must be one of {sorted(GATHERS)}, got {gather!r}")
    modules = torch_modules()
    torch, dist, F = modules.torch, modules.dist, modules.F
    import torch.distributed.nn.functional as collective  # the differentiable collectives

    encoder = torch.nn.Linear(2, 2, bias=False, dtype=torch.float64)
    with torch.no_grad():
        encoder.weight.copy_(torch.tensor(ENCODER, dtype=torch.float64))
    ddp = torch.nn.parallel.DistributedDataParallel(encoder)
    n = len(queries)
    embedded = ddp(torch.tensor([*queries, *keys], dtype=torch.float64))  # one forward for DDP
    q, k = embedded[:n], embedded[n:]
    if gather == "autograd":
        with warnings.catch_warnings():  # the API under test is deprecated: keep its notice off stderr
            warnings.filterwarnings("ignore", "torch.distributed.nn.functional.all_gather is deprecated", FutureWarning)
            every_key = torch.cat(collective.all_gather(k))
    else:
        slots = [torch.empty_like(k) for _ in range(size)]
        dist.all_gather(slots, k.detach())
        slots[rank] = k
        every_key = torch.cat(slots)
    loss = F.cross_entropy(q @ every_key.T, torch.arange(rank * n, rank * n + n))
    loss.backward()
    return [v.hex() for v in encoder.weight.grad.ravel().tolist()]


def contrastive_reference() -> tuple[list[Fraction], dict]:
    """The exact full-batch InfoNCE gradient in ``W``, to :data:`~gradavg.topics.stacks.REFERENCE_DIGITS` digits, and what the rounding bound needs.

    The cost is ``C = (1/N) sum_i (log sum_j exp(s_ij) - s_ii)`` with
    ``s_ij = (W a_i).(W b_j)`` over all ``N`` pairs of both ranks; its gradient
    is ``(1/N) sum_ij (p_ij - [i = j]) ((W b_j) a_i^T + (W a_i) b_j^T)`` with
    ``p_ij`` the softmax of row ``i``, evaluated with mpmath at the float64
    inputs. Returns the gradient (row-major, rationals nearest the computed
    values) and a dict of rational upper bounds: ``magnitude`` (the same sum on
    absolute values, ``p_ij + [i = j]``), ``scores`` (the largest ``|a_i|^T
    |W|^T |W| |b_j|``) and ``lse`` (the largest ``|log sum_j exp(s_ij)|``).

    Example:
        >>> grad, sizes = contrastive_reference()
        >>> len(grad), all(m >= abs(g) for m, g in zip(sizes["magnitude"], grad))
        (4, True)
    """
    with mpmath.workdps(REFERENCE_DIGITS):
        W = mpmath.matrix(ENCODER)
        A = [mpmath.matrix(a) for a in QUERIES]
        B = [mpmath.matrix(b) for b in KEYS]
        absW = mpmath.matrix([[abs(v) for v in row] for row in ENCODER])
        q, k = [W * a for a in A], [W * b for b in B]
        qa = [absW * mpmath.matrix([abs(v) for v in a]) for a in QUERIES]
        ka = [absW * mpmath.matrix([abs(v) for v in b]) for b in KEYS]
        n = len(A)
        gradient, magnitude = mpmath.matrix(2, 2), mpmath.matrix(2, 2)
        scores, lse = mpmath.mpf(0), mpmath.mpf(0)
        for i in range(n):
            s = [(q[i].T * k[j])[0] for j in range(n)]
            total = mpmath.fsum(mpmath.exp(v) for v in s)
            lse = max(lse, abs(mpmath.log(total)))
            for j in range(n):
                p = mpmath.exp(s[j]) / total
                scores = max(scores, (qa[i].T * ka[j])[0])
                hit = 1 if i == j else 0
                gradient += (p - hit) / n * (k[j] * A[i].T + q[i] * B[j].T)
                magnitude += (p + hit) / n * (ka[j] * mpmath.matrix([abs(v) for v in QUERIES[i]]).T
                                              + qa[i] * mpmath.matrix([abs(v) for v in KEYS[j]]).T)
        return [_nearest(g) for g in gradient], {"magnitude": [_upper(m) for m in magnitude], "scores": _upper(scores),
                                                  "lse": _upper(lse)}


def _nearest(value) -> Fraction:
    """The rational nearest ``value`` (an mpmath number known to ``REFERENCE_DIGITS`` digits), as far as they are known."""
    return Fraction(mpmath.nstr(value, REFERENCE_DIGITS + 5, strip_zeros=False))


def _upper(value) -> Fraction:
    """A rational at least ``value`` (a nonnegative mpmath number known to ``REFERENCE_DIGITS`` digits)."""
    return _nearest(value) * (1 + Fraction(1, 10**(REFERENCE_DIGITS - 5)))


@needs_torch
def check_contrastive(gather: str) -> Verdict:
    """DDP's encoder gradient, keys gathered by ``gather`` (:data:`GATHERS`), against the full-batch InfoNCE gradient.

    Example:
        >>> check_contrastive("autograd").holds
        True
    """
    what = f"torch {torch_modules().version} DDP over {WORLD} gloo ranks, 3 query-key pairs a rank"
    n = len(QUERIES) // WORLD
    try:
        results = _run(contrastive_rank, [(QUERIES[g.start:g.stop], KEYS[g.start:g.stop], gather)
                                          for g in split([n] * WORLD)])
    except RankFailed as error:
        return _failed(error, what)
    gradient, sizes = contrastive_reference()
    scores = sizes["scores"]
    # a score's products of inputs pass 2 roundings in each of the two embeddings and 2 in the dot product: it is
    # off by at most gamma_6 scores;
    # backward: p - [i = j] and the 1/n scaling (3), the embeddings again (4), the sums over keys and queries
    # (2N), the all-to-all's sum and DDP's average (2 world), the products with the inputs (4)
    N = n * WORLD
    depth = softmax_depth(gamma(6) * scores, scores, sizes["lse"], N, 3 + 4 + 2 * N + 2 * WORLD + 4)
    # the reference's own error: each of its few hundred 50-digit operations is off by under 1e-49 relative, so
    # every component is within REFERENCE_ERROR times the largest magnitude
    bound = rounding_bound(sizes["magnitude"], depth, reference_error=REFERENCE_ERROR * max(sizes["magnitude"]))
    method = (f"{what}, keys gathered with {GATHERS[gather]}, cross-entropy of the local queries, against the "
              f"full-batch InfoNCE gradient to {REFERENCE_DIGITS} digits (mpmath; exp and log assumed within 20 ulps) "
              f"(rank {{}})")
    return every_rank(results, gradient, bound, ENCODER_NAMES, method, "PyTorch")


# --- Hugging Face's causal-LM loss across ranks ---------------------------------------------

#: a bigram model; the logits after token a are row a of THETA (4 x 4), multiples of 1/8 so float32 holds them exactly
THETA = ((0.5, -0.25, 1.0, 0.0), (-0.75, 0.25, 0.5, 1.25), (0.125, -1.0, 0.75, -0.5), (1.0, 0.5, -0.625, 0.25))
VOCAB = len(THETA)
THETA_NAMES = tuple(f"theta_{a}{b}" for a in range(VOCAB) for b in range(VOCAB))
#: each rank's token ids and labels (-100 for padding or masked), 3 and 8 label tokens after the causal shift
SEQUENCES = (
    (((0, 1, 2, 0, 0), (2, 2, 0, 0, 0)), ((0, 1, 2, -100, -100), (2, 2, -100, -100, -100))),
    (((3, 0, 1, 1, 2), (1, 3, 2, 0, 3)), ((3, 0, 1, 1, 2), (1, 3, 2, 0, 3))),
)
#: what each rank passes as num_items_in_batch, and whether it multiplies the loss by the world size
COUNTS = {
    "global": "num_items_in_batch the all-reduced count of label tokens, the loss times the world size",
    "local": "num_items_in_batch the rank's own count of label tokens, no factor (Trainer's "
             "average_tokens_across_devices=False)",
}


def hf_rank(rank: int, size: int, ids, labels, counting: str) -> list[str]:
    """One rank: DDP over a float64 ``Embedding(4, 4)`` at :data:`THETA` (the logits), transformers' ForCausalLMLoss.

    ``num_items_in_batch`` is set by ``counting`` (:data:`COUNTS`): the label
    tokens after the shift (``labels[..., 1:] != -100``), all-reduced or local.
    Returns DDP's gradient of ``THETA`` (row-major) as ``float.hex`` strings.
    """
    if counting not in COUNTS:
        raise ValueError(f"counting must be one of {sorted(COUNTS)}, got {counting!r}")
    torch, dist = torch_modules().torch, torch_modules().dist
    loss_function = transformers_loss().ForCausalLMLoss
    model = torch.nn.Embedding(VOCAB, VOCAB, dtype=torch.float64)
    with torch.no_grad():
        model.weight.copy_(torch.tensor(THETA, dtype=torch.float64))
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    labels = torch.tensor(labels)
    count = (labels[..., 1:] != -100).sum()
    if counting == "global":
        dist.all_reduce(count)
    loss = loss_function(ddp(torch.tensor(ids)), labels, vocab_size=VOCAB, num_items_in_batch=count)
    if counting == "global":
        loss = loss * size  # DDP averages over ranks
    loss.backward()
    return [v.hex() for v in model.weight.grad.ravel().tolist()]


@needs_torch
def check_hf(counting: str) -> Verdict:
    """DDP's gradient with ForCausalLMLoss in both ranks, ``num_items_in_batch`` by ``counting``, against the token mean.

    Example:
        >>> check_hf("global").holds
        True
    """
    what = (f"torch {torch_modules().version}, transformers {transformers_loss().version} ForCausalLMLoss under DDP "
            f"over {WORLD} gloo ranks")
    try:
        results = _run(hf_rank, [(ids, labels, counting) for ids, labels in SEQUENCES])
    except RankFailed as error:
        return _failed(error, what)
    pairs = [pair for ids, labels in SEQUENCES for pair in label_tokens(ids, labels)]
    counts = [len(label_tokens(ids, labels)) for ids, labels in SEQUENCES]
    n = sum(counts)
    target = bigram_reference(THETA, pairs, [Fraction(1, n)] * n).gradient
    # the bound of the recipe that ran: 1/N a token, or 1/(R n_r) for the local count
    ran = bigram_reference(THETA, pairs, [Fraction(1, n)] * n if counting == "global" else
                           [Fraction(1, WORLD * c) for c in counts for _ in range(c)])
    scores = max(abs(exact(v)) for row in THETA for v in row)
    # ForCausalLMLoss upcasts with .float(): the logits (exact in float32) and the loss are float32, so every
    # rounding is counted with float32's u (float64's smaller ones too); backward: the factor R and 1/num_items
    # (2), log-softmax's backward (p times the summed gradient, the subtraction: 2), the cast back (0), the
    # embedding's sum over the rank's tokens (n_max - 1), DDP's average (R)
    depth = softmax_depth(Fraction(0), scores, ran.lse, VOCAB, 2 + 2 + (max(counts) - 1) + WORLD, UNIT_ROUNDOFF["float32"])
    bound = rounding_bound(ran.magnitude, depth, u=UNIT_ROUNDOFF["float32"], reference_error=ran.error)
    method = (f"{what}, label tokens {'+'.join(map(str, counts))} after the shift, {COUNTS[counting]}, against the "
              f"full-batch token-mean gradient to {REFERENCE_DIGITS} digits (mpmath; exp and log assumed within 20 ulps) "
              f"(rank {{}})")
    return every_rank(results, target, bound, THETA_NAMES, method, "transformers")
