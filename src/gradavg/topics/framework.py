"""The averaging identities in a real framework: JAX's autodiff, SPMD data parallelism and optax accumulation.

JAX is imported on first use, on host CPU devices, through
:mod:`gradavg.checks.jax_adapter`: ``gradavg ledger`` and the other pages do
not load it, and a machine without JAX gets verdicts that say what is missing.

The reference for every JAX result is exact: per-example gradients
differentiated by SymPy and evaluated in rationals at the very float64 inputs
JAX receives, combined with the accumulation page's weights
(:mod:`gradavg.topics.accumulation`). A JAX value passes when it lies within
a bound on float64 rounding derived for the computation
(:func:`gradavg.engine.rounding.rounding_bound`).

The models:

- a one-hidden-layer ReLU network on Anscombe's quartet, squared error
  (:func:`mlp_loss`); ReLU is piecewise linear, so at a point where no
  pre-activation is zero its gradient is a rational function of the inputs;
- a bigram model of character classes on *The Zen of Python*, token-level
  cross-entropy with padding (:func:`token_losses`), with conditional
  probabilities ``theta[a, b] / sum_j theta[a, j]``: its gradient,
  ``1 / sum_j theta[a, j] - [j = b] / theta[a, b]``, is rational too.
"""

from __future__ import annotations

import functools
from fractions import Fraction
from typing import Callable, Sequence

import numpy as np
import sympy as sp

from ..checks.jax_adapter import DEVICES, jax_modules, needs_jax
from ..engine.claims import Verdict
from ..engine.rounding import Bound, compare, exact, gamma, rounding_bound
from .accumulation import example_weights, mean_of_means_weights, split, total_count_weights, weighted_sum
from .data import zen_of_python
from .data_arrays import anscombe_quartet

# --- exact per-example gradients ----------------------------------------------

def _as_fraction(value: sp.Expr) -> Fraction:
    if not value.is_Rational:
        raise ArithmeticError(f"an exact gradient did not reduce to a rational: {value}")
    return Fraction(int(value.p), int(value.q))


#: what a check compares with, the exact full-batch gradient or it plus the exact mean-of-means gap (either sign)
TARGETS = {
    "full": "the full-batch gradient",
    "mean-of-means": "the full-batch gradient plus the exact mean-of-means gap",
    "opposite-gap": "the full-batch gradient minus the exact mean-of-means gap",
    "M-full": "M times the full-batch gradient",
}


def exact_target(per_example: Sequence[Sequence[Fraction]], sizes: Sequence[int], expect: str) -> list[Fraction]:
    """The exact gradient a scheme is compared with (see :data:`TARGETS`), micro-batch ``k`` holding ``sizes[k]`` examples.

    The gap is the accumulation page's, ``sum_k (1/K - n_k/N) gbar_k`` with
    ``gbar_k`` micro-batch ``k``'s mean gradient.

    Example:
        >>> grads = [[Fraction(1)], [Fraction(2)], [Fraction(6)]]
        >>> exact_target(grads, [1, 2], "full"), exact_target(grads, [1, 2], "mean-of-means")
        ([Fraction(3, 1)], [Fraction(5, 2)])
    """
    if expect not in TARGETS:
        raise ValueError(f"expect must be one of {sorted(TARGETS)}, got {expect!r}")
    n = sum(sizes)
    full = weighted_sum(per_example, example_weights(sizes, total_count_weights))
    if expect == "full":
        return full
    if expect == "M-full":
        return [len(sizes) * f for f in full]
    sign = 1 if expect == "mean-of-means" else -1
    means = [weighted_sum(per_example[g.start:g.stop], [Fraction(1, len(g))] * len(g)) for g in split(sizes)]
    gap = weighted_sum(means, [sign * (Fraction(1, len(sizes)) - Fraction(len(g), n)) for g in split(sizes)])
    return [f + d for f, d in zip(full, gap)]


def running_mean_magnitude(means: Sequence[Sequence[Fraction]]) -> list[Fraction]:
    """The magnitude of optax.MultiSteps' running mean ``acc + (g - acc) / (j + 1)``: on absolute values, with ``+``.

    Example:
        >>> running_mean_magnitude([[Fraction(1)], [Fraction(1)]])
        [Fraction(2, 1)]
    """
    size = [Fraction(0)] * len(means[0])
    for j, mean in enumerate(means):
        size = [s + (m + s) / (j + 1) for s, m in zip(size, mean)]
    return size


# --- the network on Anscombe's quartet ---------------------------------------------

#: hidden units of the ReLU network
HIDDEN = 4
#: the point the network is differentiated at, input weights, biases, output weights and output bias (dyadic, so exact in float64)
MLP_POINT = {
    "w": [Fraction(1, 2), Fraction(-1, 4), Fraction(3, 8), Fraction(-5, 8)],
    "b": [Fraction(-13, 4), Fraction(4), Fraction(-1, 2), Fraction(7)],
    "v": [Fraction(1, 2), Fraction(-3, 4), Fraction(1, 4), Fraction(5, 8)],
    "c": [Fraction(1, 8)],
}
#: the parameters' names, in the order of the flat parameter vector
MLP_NAMES = [f"{group}_{k + 1}" for group in ("w", "b", "v") for k in range(HIDDEN)] + ["c"]
#: rounded operations on the longest path of one example's gradient, HIDDEN + 4 to form the
#: residual (product and sum in the pre-activation, a product per hidden unit, HIDDEN additions,
#: the subtraction of y), 2 inside the activation that multiplies it, 2 chain-rule products
MLP_DEPTH = HIDDEN + 8


def mlp_point() -> np.ndarray:
    """:data:`MLP_POINT` as the flat float64 vector ``(w, b, v, c)`` the JAX code differentiates.

    Example:
        >>> mlp_point().shape
        (13,)
    """
    return np.array([float(value) for group in ("w", "b", "v", "c") for value in MLP_POINT[group]])


def mlp_loss(theta, x, y, np_module=None):
    """Squared error of ``sum_k v_k relu(w_k x + b_k) + c`` against ``y``, for one example or a vector of them.

    ``np_module`` is ``numpy`` (the default) or ``jax.numpy``: the same code runs in both.

    Example:
        >>> round(float(mlp_loss(mlp_point(), 10.0, 8.04)), 4)
        47.386
    """
    np_module = np if np_module is None else np_module
    w, b, v, c = theta[:HIDDEN], theta[HIDDEN:2 * HIDDEN], theta[2 * HIDDEN:3 * HIDDEN], theta[3 * HIDDEN]
    hidden = np_module.maximum(np_module.asarray(x)[..., None] * w + b, 0.0)
    return (hidden @ v + c - y) ** 2


def quartet() -> tuple[np.ndarray, np.ndarray]:
    """Anscombe's quartet, the network's 44 examples (sets I, II, III, IV in order).

    Example:
        >>> quartet()[0].shape
        (44,)
    """
    return anscombe_quartet()


@functools.lru_cache(maxsize=None)
def _mlp_symbolic(pattern: tuple[bool, ...]):
    """The loss of one example as a polynomial in parameters and data, for one ReLU activation pattern."""
    w, b, v = (sp.symbols(f"{g}_1:{HIDDEN + 1}") for g in ("w", "b", "v"))
    c, x, y = sp.symbols("c x y")
    prediction = sum((v[k] * (w[k] * x + b[k]) for k in range(HIDDEN) if pattern[k]), c)
    loss = (prediction - y) ** 2
    params = [*w, *b, *v, c]
    return params, (x, y), [sp.diff(loss, p) for p in params]


def mlp_exact_gradients(x: Sequence[float], y: Sequence[float]) -> tuple[list[list[Fraction]], list[list[Fraction]]]:
    """Each example's exact gradient at :data:`MLP_POINT`, and its absolute-value magnitude for the rounding bound.

    SymPy differentiates the loss for the example's activation pattern (which
    units are on); the derivative is evaluated in rationals at the float64
    data. The magnitude is the same chain rule on absolute values, with the
    residual replaced by ``sum_k |v_k| |a_k| + |c| + |y|`` and each
    pre-activation ``a_k`` by ``|w_k x| + |b_k|``. Raises ``ArithmeticError``
    if a pre-activation is so close to 0 that rounding could flip its unit.

    Example:
        >>> grads, sizes = mlp_exact_gradients([10.0], [8.04])
        >>> len(grads[0]), all(s >= abs(g) for s, g in zip(sizes[0], grads[0]))
        (13, True)
    """
    w, b, v, (c,) = (MLP_POINT[g] for g in ("w", "b", "v", "c"))
    gradients, magnitudes = [], []
    for xi, yi in zip(map(exact, x), map(exact, y)):
        pre = [w[k] * xi + b[k] for k in range(HIDDEN)]
        size = [abs(w[k] * xi) + abs(b[k]) for k in range(HIDDEN)]
        if any(abs(a) <= gamma(2) * s for a, s in zip(pre, size)):
            raise ArithmeticError(f"a pre-activation at x = {float(xi)} is within rounding of 0")
        on = tuple(a > 0 for a in pre)
        params, data, derivatives = _mlp_symbolic(on)
        point = {p: sp.Rational(value.numerator, value.denominator)
                 for p, value in zip(params, [*w, *b, *v, c])}
        point.update({data[0]: sp.Rational(xi.numerator, xi.denominator),
                      data[1]: sp.Rational(yi.numerator, yi.denominator)})
        gradients.append([_as_fraction(d.xreplace(point)) for d in derivatives])
        residual = sum((abs(v[k]) * size[k] for k in range(HIDDEN) if on[k]), abs(c) + abs(yi))
        magnitudes.append([2 * residual * abs(v[k]) * abs(xi) * on[k] for k in range(HIDDEN)]
                          + [2 * residual * abs(v[k]) * on[k] for k in range(HIDDEN)]
                          + [2 * residual * size[k] * on[k] for k in range(HIDDEN)]
                          + [2 * residual])
    return gradients, magnitudes


def _reference(per_example, magnitudes, weights, depth) -> tuple[list[Fraction], Bound]:
    return weighted_sum(per_example, weights), rounding_bound(weighted_sum(magnitudes, [abs(w) for w in weights]), depth)


def full_batch_gradients(control: bool = False) -> dict:
    """``jax.grad`` of the mean loss, and the mean of ``jax.vmap(jax.grad(...))`` per-example gradients.

    With ``control=True`` both are computed with the targets broadcast
    against the predictions, the common shape bug: the batch cost is
    ``jnp.mean(mlp_loss(t, x[:, None], y))``, an ``(N, N)`` array of every
    prediction against every target, and ``vmap`` leaves the targets unmapped
    (``in_axes=(None, 0, None)``), so each example's loss is the mean over
    every target. Both then give ``(2/N) sum_i (f_i - mean(y)) grad f_i``,
    which differs from the mean of per-example gradients in direction, not
    only in length.

    Returns:
        ``{"grad": ..., "vmap_mean": ..., "per_example": ...}`` as NumPy arrays.

    Example:
        >>> full_batch_gradients()["per_example"].shape
        (44, 13)
    """
    modules = jax_modules()
    jax, jnp = modules.jax, modules.jnp
    x, y = quartet()
    theta = jnp.asarray(mlp_point())

    def cost(t, x, y):
        return jnp.mean(mlp_loss(t, x[:, None] if control else x, y, jnp))

    def example_loss(t, xi, yi):
        return jnp.mean(mlp_loss(t, xi, yi, jnp))

    @jax.jit
    def gradients(theta, x, y):
        per_example = jax.vmap(jax.grad(example_loss), in_axes=(None, 0, None if control else 0))(theta, x, y)
        return jax.grad(cost)(theta, x, y), jnp.mean(per_example, axis=0), per_example

    grad, vmap_mean, per_example = gradients(theta, x, y)
    return {"grad": np.asarray(grad), "vmap_mean": np.asarray(vmap_mean), "per_example": np.asarray(per_example)}


@needs_jax
def check_per_example(control: bool = False) -> Verdict:
    """``jax.grad`` of the mean loss and the mean of ``vmap`` per-example gradients both equal the exact mean gradient.

    Example:
        >>> check_per_example().holds
        True
    """
    computed = full_batch_gradients(control)
    x, y = quartet()
    per_example, magnitudes = mlp_exact_gradients(x, y)
    n = len(x)
    # the mean: n - 1 additions and the scaling by 1/n (a reciprocal and a product)
    target, bound = _reference(per_example, magnitudes, [Fraction(1, n)] * n, MLP_DEPTH + n - 1 + 2)
    version = jax_modules().version
    bug = " with the targets broadcast against the predictions" if control else ""
    grad = compare(computed["grad"], target, bound, MLP_NAMES, f"JAX {version}: jax.grad of the mean squared error{bug}")
    vmap = compare(computed["vmap_mean"], target, bound, MLP_NAMES,
                   f"JAX {version}: mean of jax.vmap(jax.grad) per-example gradients"
                   + (" with the targets unmapped" if control else ""))
    failed = [v for v in (grad, vmap) if not v.holds]
    if failed:  # both comparisons ran: say what each found, and carry the first failure's exact witness
        return Verdict(False, " | ".join(f"{'holds' if v.holds else 'fails'}: {v.method}" for v in (grad, vmap)),
                       residual=max(grad.residual, vmap.residual), witness=failed[0].witness, gap=failed[0].gap)
    return Verdict(True, f"JAX {version}: jax.grad of the mean squared error and the mean of jax.vmap(jax.grad) "
                         f"per-example gradients (ReLU network, {HIDDEN} hidden units, Anscombe's quartet, "
                         f"N = {n}); {grad.method.split('; ', 1)[1]}", residual=max(grad.residual, vmap.residual),
                   evidence="float-bound")


# --- data parallelism with shard_map ----------------------------------------------

#: equal shards, one of Anscombe's four sets per device
EQUAL_SHARDS = (11, 11, 11, 11)
#: uneven shards of the same 44 examples (consecutive)
UNEVEN_SHARDS = (5, 8, 13, 18)
#: the ways the data-parallel gradient is formed
SCHEMES = ("pmean", "pmean-replicated", "psum-counts")


def data_parallel_gradient(sizes: Sequence[int], scheme: str, check_vma: bool = True) -> np.ndarray:
    """The gradient ``jax.shard_map`` computes over :data:`~gradavg.checks.jax_adapter.DEVICES` devices, shard ``m`` holding ``sizes[m]`` examples.

    Each device holds its shard padded to the longest with a mask of real
    examples. Schemes:

    - ``"pmean"``: the parameters are marked as varying over the devices
      (``lax.pcast(theta, "d", to="varying")``), each device takes the gradient
      of its mean loss, ``lax.pmean`` averages them;
    - ``"pmean-replicated"``: the same without ``pcast``. With
      ``check_vma=True`` (``shard_map``'s default) JAX inserts the ``pcast``
      itself where the replicated parameters meet varying data, and its
      transpose is a ``psum``: the gradient with respect to the replicated
      input is already summed over devices, and ``pmean`` of that sum leaves it
      ``M`` times too large. With ``check_vma=False`` there is no implicit
      ``pcast`` and each device's gradient is its own;
    - ``"psum-counts"``: each device differentiates its summed loss; the step is
      ``lax.psum`` of those over ``lax.psum`` of the counts.

    Example:
        >>> data_parallel_gradient(EQUAL_SHARDS, "pmean").shape
        (13,)
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    if len(sizes) != DEVICES:
        raise ValueError(f"need {DEVICES} shards, got {len(sizes)}")
    modules = jax_modules(DEVICES)
    jax, jnp, lax, P = modules.jax, modules.jnp, modules.lax, modules.P
    x, y = quartet()
    width = max(sizes)
    padded = np.zeros((3, DEVICES, width))
    for m, group in enumerate(split(sizes)):
        padded[0, m, : len(group)], padded[1, m, : len(group)] = x[group.start:group.stop], y[group.start:group.stop]
        padded[2, m, : len(group)] = 1.0
    mesh = jax.make_mesh((DEVICES,), ("d",), axis_types=(jax.sharding.AxisType.Explicit,))
    sharding = modules.NamedSharding(mesh, P("d"))
    xs, ys, mask = (jax.device_put(a.reshape(-1), sharding) for a in padded)

    def local(theta, x, y, mask):
        if scheme != "pmean-replicated":
            theta = lax.pcast(theta, "d", to="varying")
        if scheme == "psum-counts":
            grad = jax.grad(lambda t: jnp.sum(mask * mlp_loss(t, x, y, jnp)))(theta)
            return lax.psum(grad, "d") / lax.psum(jnp.sum(mask), "d")
        grad = jax.grad(lambda t: jnp.sum(mask * mlp_loss(t, x, y, jnp)) / jnp.sum(mask))(theta)
        return lax.pmean(grad, "d")

    step = jax.jit(jax.shard_map(local, mesh=mesh, in_specs=(P(), P("d"), P("d"), P("d")), out_specs=P(),
                                 check_vma=check_vma))
    return np.asarray(step(jnp.asarray(mlp_point()), xs, ys, mask))


def _shard_depth(sizes: Sequence[int]) -> int:
    """Rounded operations on a path: the example's gradient, additions within the padded shard and across
    devices, and up to three for the scaling (a reciprocal and a product, then the division by M or the count)."""
    return MLP_DEPTH + (max(sizes) - 1) + (len(sizes) - 1) + 3


@needs_jax
def check_data_parallel(sizes: Sequence[int], scheme: str, expect: str, check_vma: bool = True) -> Verdict:
    """Compare :func:`data_parallel_gradient` with an exact value, ``expect`` one of :data:`TARGETS`.

    The bound is that of the scheme that ran (count weights for
    ``"psum-counts"``, the plain mean of shard means for the others; for
    ``"pmean-replicated"`` under ``check_vma=True``, ``M`` times those
    weights and ``M - 1`` more additions, for the implicit ``psum``).

    Example:
        >>> check_data_parallel(EQUAL_SHARDS, "pmean", "full").holds
        True
    """
    computed = data_parallel_gradient(sizes, scheme, check_vma)
    x, y = quartet()
    per_example, magnitudes = mlp_exact_gradients(x, y)
    target = exact_target(per_example, sizes, expect)
    weights = example_weights(sizes, total_count_weights if scheme == "psum-counts" else mean_of_means_weights)
    depth = _shard_depth(sizes)
    if scheme == "pmean-replicated" and check_vma:  # the transpose of the implicit pcast: a psum over the devices
        weights, depth = [len(sizes) * w for w in weights], depth + len(sizes) - 1
    bound = rounding_bound(weighted_sum(magnitudes, weights), depth)
    described = TARGETS[expect]
    version = jax_modules().version
    shards = "+".join(map(str, sizes))
    how = {"pmean": "lax.pcast to varying, jax.grad of each shard's mean loss, lax.pmean",
           "pmean-replicated": "replicated parameters (no pcast), jax.grad of each shard's mean loss, lax.pmean",
           "psum-counts": "lax.pcast, lax.psum of shard gradients of summed losses over lax.psum of counts"}[scheme]
    return compare(computed, target, bound, MLP_NAMES,
                   f"JAX {version}: jax.shard_map (check_vma={check_vma}) over {DEVICES} CPU devices, shards {shards}, "
                   f"{how}, against {described}")


@needs_jax
def check_replicated(sizes: Sequence[int] = EQUAL_SHARDS, control: bool = False) -> Verdict:
    """Replicated parameters without ``pcast``: ``M`` times the gradient under ``check_vma=True``, the gradient under False.

    Both settings are checked, each within its rounding bound. With
    ``control=True``, the ``check_vma=False`` run is compared with ``M``
    times the gradient instead (the belief that the factor ``M`` does not
    depend on the setting).

    Example:
        >>> check_replicated().holds, check_replicated(control=True).holds
        (True, False)
    """
    verdicts = [check_data_parallel(sizes, "pmean-replicated", "M-full", check_vma=True),
                check_data_parallel(sizes, "pmean-replicated", "M-full" if control else "full", check_vma=False)]
    failed = [v for v in verdicts if not v.holds]
    if failed:
        return Verdict(False, " | ".join(f"{'holds' if v.holds else 'fails'}: {v.method}" for v in verdicts),
                       residual=max(v.residual for v in verdicts), witness=failed[0].witness, gap=failed[0].gap)
    return Verdict(True, " | ".join(v.method for v in verdicts), residual=max(v.residual for v in verdicts),
                   evidence="float-bound")


# --- accumulation with optax.MultiSteps, token-level cross-entropy ----------------

#: the vocabulary of the bigram model, character classes
CLASSES = ("vowel", "consonant", "space", "other")
#: the bigram model's point, unnormalised conditional weights theta[a, b] > 0 (dyadic)
TOKEN_POINT = [[Fraction(1 + (3 * a + 5 * b) % 7, 4) for b in range(len(CLASSES))] for a in range(len(CLASSES))]
#: sequences (aphorisms) per micro-batch; the last micro-batch is shorter and padded
SEQUENCES_PER_MICRO_BATCH = 5
#: the learning rate of the SGD step (a power of 2, so scaling by it is exact)
LEARNING_RATE = 0.5
#: parameter names of the bigram model, row-major
TOKEN_NAMES = [f"theta[{a},{b}]" for a in CLASSES for b in CLASSES]


def character_class(character: str) -> int:
    """The token of a character: 0 vowel, 1 consonant, 2 space, 3 anything else.

    Example:
        >>> [character_class(c) for c in "Ab .z"]
        [0, 1, 2, 3, 1]
    """
    if character.lower() in "aeiou":
        return 0
    if character.isalpha():
        return 1
    return 2 if character == " " else 3


def token_sequences() -> list[list[int]]:
    """The Zen of Python as sequences of character classes, one per aphorism.

    Example:
        >>> token_sequences()[0][:5]
        [1, 0, 0, 0, 1]
    """
    return [[character_class(c) for c in line] for line in zen_of_python()]


def token_batches(per_micro_batch: int = SEQUENCES_PER_MICRO_BATCH) -> dict[str, np.ndarray]:
    """Micro-batches of padded sequences: ``previous`` and ``next`` tokens and the ``mask`` of real positions.

    Arrays have shape ``(K, per_micro_batch, T)``: ``K`` micro-batches of
    ``per_micro_batch`` sequences (padded with empty ones), each predicting
    ``T`` next tokens (padded to the longest aphorism).

    Example:
        >>> batches = token_batches()
        >>> batches["mask"].shape, int(batches["mask"].sum())
        ((4, 5, 68), 785)
    """
    sequences = token_sequences()
    k = -(-len(sequences) // per_micro_batch)
    width = max(len(s) for s in sequences) - 1
    arrays = {name: np.zeros((k, per_micro_batch, width), dtype=int) for name in ("previous", "next")}
    mask = np.zeros((k, per_micro_batch, width))
    for index, sequence in enumerate(sequences):
        micro, row = divmod(index, per_micro_batch)
        arrays["previous"][micro, row, : len(sequence) - 1] = sequence[:-1]
        arrays["next"][micro, row, : len(sequence) - 1] = sequence[1:]
        mask[micro, row, : len(sequence) - 1] = 1.0
    return {**arrays, "mask": mask}


def token_point() -> np.ndarray:
    """:data:`TOKEN_POINT` as a float64 array.

    Example:
        >>> token_point().shape
        (4, 4)
    """
    return np.array([[float(value) for value in row] for row in TOKEN_POINT])


def token_losses(theta, previous, following, np_module=None):
    """Cross-entropy of each next token: ``-log theta[a, b] + log sum_j theta[a, j]``.

    ``np_module`` is ``numpy`` (the default) or ``jax.numpy``.

    Example:
        >>> float(token_losses(np.ones((4, 4)), np.array([0]), np.array([1]))[0]) == float(np.log(4))
        True
    """
    np_module = np if np_module is None else np_module
    return -np_module.log(theta[previous, following]) + np_module.log(theta[previous].sum(axis=-1))


#: the normalisations of a micro-batch's token loss that multisteps_update knows
NORMALISATIONS = ("micro-batch", "global")


def multisteps_update(normalisation: str, per_micro_batch: int = SEQUENCES_PER_MICRO_BATCH) -> np.ndarray:
    """The update ``optax.MultiSteps(optax.sgd(LEARNING_RATE))`` emits after accumulating every micro-batch.

    ``normalisation="micro-batch"``: each micro-batch's loss is the mean over
    its own real tokens, and MultiSteps averages the ``K`` gradients (its
    default, ``use_grad_mean=True``). ``"global"``: each micro-batch's loss is
    the sum of its token losses divided by the number of real tokens in all
    micro-batches, and MultiSteps adds the gradients (``use_grad_mean=False``;
    with the default mean, multiply the loss by ``K``). The accumulator is
    float64 (optax's default is float32).

    Example:
        >>> multisteps_update("global").shape
        (4, 4)
    """
    if normalisation not in NORMALISATIONS:
        raise ValueError(f"normalisation must be one of {NORMALISATIONS}, got {normalisation!r}")
    modules = jax_modules()
    jax, jnp, optax = modules.jax, modules.jnp, modules.optax
    batches = token_batches(per_micro_batch)
    k = len(batches["mask"])
    total = jnp.sum(batches["mask"])

    def loss(theta, previous, following, mask):
        summed = jnp.sum(mask * token_losses(theta, previous, following, jnp))
        return summed / (jnp.sum(mask) if normalisation == "micro-batch" else total)

    optimiser = optax.MultiSteps(optax.sgd(LEARNING_RATE), every_k_schedule=k,
                                 use_grad_mean=normalisation == "micro-batch", accumulator_dtype=jnp.float64)
    theta = jnp.asarray(token_point())
    state = optimiser.init(theta)
    grad, step = jax.jit(jax.grad(loss)), jax.jit(optimiser.update)
    for micro in range(k):
        gradient = grad(theta, *(batches[name][micro] for name in ("previous", "next", "mask")))
        update, state = step(gradient, state, theta)
    return np.asarray(update)


@functools.lru_cache(maxsize=None)
def _token_symbolic(a: int, b: int):
    theta = sp.Matrix(len(CLASSES), len(CLASSES), lambda i, j: sp.Symbol(f"theta_{i}_{j}", positive=True))
    loss = -sp.log(theta[a, b]) + sp.log(sum(theta[a, j] for j in range(len(CLASSES))))
    return list(theta), [sp.diff(loss, p) for p in theta]


def token_exact_gradients(previous: Sequence[int], following: Sequence[int]) -> tuple[list, list]:
    """Each token's exact gradient at :data:`TOKEN_POINT` (SymPy), and its absolute-value magnitude.

    Example:
        >>> grads, sizes = token_exact_gradients([0], [1])
        >>> # scaling a row of theta leaves the model unchanged, so theta . gradient = 0 (Euler)
        >>> sum(t * g for t, g in zip(sum(TOKEN_POINT, []), grads[0]))
        Fraction(0, 1)
    """
    values = {}
    gradients, magnitudes = [], []
    for a, b in zip(previous, following):
        if (a, b) not in values:
            params, derivatives = _token_symbolic(a, b)
            point = {p: sp.Rational(q.numerator, q.denominator) for p, q in zip(params, sum(TOKEN_POINT, []))}
            row = sum(TOKEN_POINT[a], Fraction(0))
            size = [Fraction(0)] * len(params)
            for j in range(len(CLASSES)):
                size[a * len(CLASSES) + j] += 1 / row
            size[a * len(CLASSES) + b] += 1 / TOKEN_POINT[a][b]
            values[a, b] = ([_as_fraction(d.xreplace(point)) for d in derivatives], size)
        gradients.append(values[a, b][0])
        magnitudes.append(values[a, b][1])
    return gradients, magnitudes


@needs_jax
def check_multisteps(normalisation: str, expect: str) -> Verdict:
    """Compare the MultiSteps update with ``-LEARNING_RATE`` times an exact gradient, ``expect`` one of :data:`TARGETS`.

    Example:
        >>> check_multisteps("global", "full").holds
        True
    """
    update = multisteps_update(normalisation)
    batches = token_batches()
    mask = batches["mask"].astype(bool)
    sizes = [int(m.sum()) for m in batches["mask"]]
    per_token, magnitudes = token_exact_gradients(batches["previous"][mask], batches["next"][mask])
    k, n = len(sizes), sum(sizes)
    target = exact_target(per_token, sizes, expect)
    lr = exact(LEARNING_RATE)
    target = [-lr * t for t in target]
    if normalisation == "micro-batch":
        # each micro-batch's mean, then MultiSteps' running mean acc + (g - acc)/(j + 1) on absolute values
        weights = example_weights(sizes, lambda s: [Fraction(1, m) for m in s])
        size = running_mean_magnitude([weighted_sum(magnitudes[g.start:g.stop], weights[g.start:g.stop])
                                       for g in split(sizes)])
        accumulate_depth = 3 * k
    else:
        size = weighted_sum(magnitudes, [Fraction(1, n)] * n)
        accumulate_depth = k - 1
    width = batches["mask"].shape[1] * batches["mask"].shape[2]
    # a token's gradient: V - 1 additions and a division for 1/sum_j theta[a, j], a division for 1/theta[a, b];
    # 2 contributions per padded position added up; 2 for the normalisation (reciprocal, product)
    depth = (len(CLASSES) + 1) + (2 * width - 1) + 2 + accumulate_depth
    bound = rounding_bound([lr * s for s in size], depth)
    version = jax_modules().version
    described = f"-lr times {TARGETS[expect]}"
    how = "each micro-batch's loss its own token mean, use_grad_mean=True" if normalisation == "micro-batch" \
        else "each micro-batch's summed token loss over the global count of real tokens, use_grad_mean=False"
    return compare(np.ravel(update), target, bound, TOKEN_NAMES,
                   f"JAX {version}, optax.MultiSteps(optax.sgd) over {k} micro-batches of padded sequences "
                   f"({'+'.join(map(str, sizes))} real tokens), {how}, against {described}")


def equal_micro_batch_update(sizes: Sequence[int]) -> np.ndarray:
    """MultiSteps (default mean) over micro-batches of the quartet of the given sizes, each loss its own mean.

    Micro-batches are padded to the longest with a mask. Returns the update.

    Example:
        >>> equal_micro_batch_update((11, 11, 11, 11)).shape
        (13,)
    """
    modules = jax_modules()
    jax, jnp, optax = modules.jax, modules.jnp, modules.optax
    x, y = quartet()
    width = max(sizes)
    optimiser = optax.MultiSteps(optax.sgd(LEARNING_RATE), every_k_schedule=len(sizes), accumulator_dtype=jnp.float64)
    theta = jnp.asarray(mlp_point())
    state = optimiser.init(theta)
    grad = jax.jit(jax.grad(lambda t, x, y, m: jnp.sum(m * mlp_loss(t, x, y, jnp)) / jnp.sum(m)))
    step = jax.jit(optimiser.update)
    for group in split(sizes):
        padded = np.zeros((3, width))
        padded[0, : len(group)], padded[1, : len(group)] = x[group.start:group.stop], y[group.start:group.stop]
        padded[2, : len(group)] = 1.0
        update, state = step(grad(theta, *padded), state, theta)
    return np.asarray(update)


@needs_jax
def check_equal_micro_batches(sizes: Sequence[int]) -> Verdict:
    """MultiSteps over micro-batches of ``sizes`` against ``-LEARNING_RATE`` times the exact full-batch gradient.

    Example:
        >>> check_equal_micro_batches((11, 11, 11, 11)).holds
        True
    """
    update = equal_micro_batch_update(sizes)
    x, y = quartet()
    per_example, magnitudes = mlp_exact_gradients(x, y)
    n, k = len(x), len(sizes)
    lr = exact(LEARNING_RATE)
    target = [-lr * g for g in weighted_sum(per_example, [Fraction(1, n)] * n)]
    size = running_mean_magnitude([weighted_sum(magnitudes[g.start:g.stop], [Fraction(1, len(g))] * len(g))
                                   for g in split(sizes)])
    bound = rounding_bound([lr * s for s in size], MLP_DEPTH + (max(sizes) - 1) + 2 + 3 * k)
    version = jax_modules().version
    return compare(update, target, bound, MLP_NAMES,
                   f"JAX {version}, optax.MultiSteps(optax.sgd) with its default mean over {k} micro-batches "
                   f"of {'+'.join(map(str, sizes))} examples, each loss its own mean, against -lr times the "
                   "full-batch gradient")


# --- the probe on JAX code ---------------------------------------------------------

def jax_token_loss(micro_batch: int | None = None) -> tuple[Callable[[list[int]], object], Callable[[list[int]], int]]:
    """A batch loss over aphorisms written in JAX (it returns a JAX scalar), and the token count weight.

    ``micro_batch=None``: the mean over every real token of the chosen
    sequences. ``micro_batch=m``: the chosen sequences cut into micro-batches
    of ``m``, each normalised by its own token count, the results averaged
    (the per-micro-batch normalisation bug).

    Example:
        >>> loss, weight = jax_token_loss()
        >>> type(loss([0, 1])).__name__, weight([0, 1])
        ('ArrayImpl', 61)
    """
    modules = jax_modules()
    jax, jnp = modules.jax, modules.jnp
    sequences = token_sequences()
    width = max(len(s) for s in sequences) - 1
    previous, following, real = (np.zeros((len(sequences), width), dtype=int) for _ in range(3))
    for i, sequence in enumerate(sequences):
        previous[i, : len(sequence) - 1], following[i, : len(sequence) - 1] = sequence[:-1], sequence[1:]
        real[i, : len(sequence) - 1] = 1
    losses = token_losses(jnp.asarray(token_point()), previous, following, jnp) * real

    # one compiled function of a 0/1 selection of sequences: the same shapes whatever the indices
    @jax.jit
    def mean_loss(selected):
        return jnp.sum(selected[:, None] * losses) / jnp.sum(selected[:, None] * real)

    def select(indices):
        selected = np.zeros(len(sequences))
        selected[list(indices)] = 1.0
        return selected

    def loss(indices):
        if micro_batch is None:
            return mean_loss(select(indices))
        parts = [indices[k : k + micro_batch] for k in range(0, len(indices), micro_batch)]
        return sum(mean_loss(select(part)) for part in parts) / len(parts)

    return loss, lambda indices: sum(len(sequences[i]) - 1 for i in indices)


# --- the page's figure ---------------------------------------------------------------

def error_figure(rows: Sequence[tuple[str, float, float]]):
    """Each check's largest ``|JAX - exact| / bound``, for the claim and for its control (log scale).

    ``rows`` holds ``(label, claim ratio, control ratio)``; a ratio of 0 (exact
    agreement) is drawn at the bottom of the axis.

    Example:
        >>> fig = error_figure([("a", 0.01, 1e12), ("b", 0.0, 3.0)])
        >>> len(fig.axes)
        1
    """
    import matplotlib.pyplot as plt  # imported here: the claims use this module without figures

    floor = 1e-4
    figure, axes = plt.subplots(figsize=(6.4, 0.5 + 0.55 * len(rows)), layout="constrained")
    positions = np.arange(len(rows))
    claim = [max(r[1], floor) for r in rows]
    control = [max(r[2], floor) for r in rows]
    axes.barh(positions + 0.2, claim, height=0.38, color="tab:blue", label="claim (must be below 1)")
    axes.barh(positions - 0.2, control, height=0.38, color="tab:red", hatch="//", label="control (must be above 1)")
    axes.axvline(1.0, color="black", lw=1)
    axes.set(xscale="log", xlim=(floor, None), yticks=positions, yticklabels=[r[0] for r in rows],
             xlabel="largest |JAX - exact| / rounding bound, over the parameters")
    axes.invert_yaxis()
    axes.grid(True, axis="x", alpha=0.3)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8)
    return figure
