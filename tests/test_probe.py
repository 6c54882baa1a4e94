"""Tests of gradavg.checks.probe: the additivity probe, on loss code written here (not the code the accumulation page uses)."""

import math
from fractions import Fraction

import numpy as np
import pytest

from gradavg import ProbeError, Verdict, probe_additivity
from gradavg.checks import jax_adapter
from gradavg.checks.probe import default_rtol, summation_depth, unit_roundoff

RNG = np.random.default_rng(2024)
#: 30 "documents": token ids and targets for a 5-class softmax model, lengths 1..50
LENGTHS = RNG.integers(1, 51, size=30)
LOGITS = [RNG.normal(size=(n, 5)) for n in LENGTHS]
TARGETS = [RNG.integers(0, 5, size=n) for n in LENGTHS]


def token_nll(i):
    """Per-token negative log-likelihood of document i."""
    logits, targets = LOGITS[i], TARGETS[i]
    log_z = np.log(np.exp(logits).sum(axis=1))
    return log_z - logits[np.arange(len(targets)), targets]


def tokens(indices):
    return sum(int(LENGTHS[i]) for i in indices)


def token_weighted_loss(indices):
    """Cross-entropy averaged over every token in the batch (the correct token-weighted loss)."""
    return float(np.concatenate([token_nll(i) for i in indices]).sum() / tokens(indices))


def accumulated_mean_of_means(indices, micro=3):
    """What a loop reports that averages token means of micro-batches of `micro` documents."""
    chunks = [indices[k:k + micro] for k in range(0, len(indices), micro)]
    return sum(token_weighted_loss(c) for c in chunks) / len(chunks)


FEATURES = RNG.normal(size=(30, 3))
LABELS = RNG.normal(size=30)


def layer_normalised_over_batch(indices):
    """Squared error after standardising each feature column over the batch (batch-norm style)."""
    x = FEATURES[indices]
    z = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-3)
    return float(np.mean((z @ np.array([0.5, -1.0, 2.0]) - LABELS[indices]) ** 2))


def test_token_weighted_loss_passes_with_token_weights_only():
    assert probe_additivity(token_weighted_loss, 30, weight=tokens).holds
    by_examples = probe_additivity(token_weighted_loss, 30)
    assert not by_examples.holds


def test_mean_of_means_is_caught_with_a_witness():
    verdict = probe_additivity(accumulated_mean_of_means, 30, weight=tokens, trials=50)
    assert isinstance(verdict, Verdict) and not verdict.holds
    w = verdict.witness
    assert set(w) == {"A", "B", "loss(A + B)", "weighted mean", "w(A)", "w(B)", "sum"}
    assert not set(w["A"]) & set(w["B"]) and w["A"] and w["B"]
    assert math.isclose(w["loss(A + B)"], accumulated_mean_of_means(w["A"] + w["B"]))
    expected = (tokens(w["A"]) * accumulated_mean_of_means(w["A"]) + tokens(w["B"]) * accumulated_mean_of_means(w["B"]))
    assert math.isclose(w["weighted mean"], expected / (tokens(w["A"]) + tokens(w["B"])))
    # the gap is computed exactly (in rationals) and then rounded, so it agrees with the float difference closely
    assert math.isclose(verdict.gap[0], w["loss(A + B)"] - w["weighted mean"], rel_tol=1e-9) and verdict.gap[0] != 0


def test_batch_normalised_loss_is_caught():
    assert not probe_additivity(layer_normalised_over_batch, 30).holds


def test_a_sum_reduced_loss_holds_as_a_sum_and_says_so():
    summed = lambda idx: float(np.sum(LABELS[idx] ** 2))  # noqa: E731
    verdict = probe_additivity(summed, 30)
    assert verdict.holds and "it is a sum" in verdict.method and "add the micro-batch losses" in verdict.method
    # whatever the weight: the sum convention does not use it
    assert probe_additivity(summed, 30, weight=lambda idx: 7.0).holds
    # asked for the mean only, a sum fails with its mean witness
    only_mean = probe_additivity(summed, 30, reduction="mean")
    assert not only_mean.holds and "weighted mean" in only_mean.witness and len(only_mean.gap) == 1


def test_a_mean_reduced_loss_holds_as_a_weighted_mean_and_says_so():
    verdict = probe_additivity(lambda idx: float(np.mean(LABELS[idx] ** 2)), 30, trials=5, seed=3)
    assert verdict.holds and "it is a weighted mean" in verdict.method and "divide by the total" in verdict.method
    assert not probe_additivity(lambda idx: float(np.mean(LABELS[idx] ** 2)), 30, reduction="sum").holds
    tokens_verdict = probe_additivity(token_weighted_loss, 30, weight=tokens)
    assert "weighted by the given weights" in tokens_verdict.method


def test_a_loss_that_is_neither_carries_both_witnesses():
    verdict = probe_additivity(lambda idx: float(np.max(LABELS[idx])), 30)
    assert not verdict.holds and len(verdict.gap) == 2
    assert set(verdict.witness["sum"]) == {"A", "B", "loss(A + B)", "loss(A) + loss(B)"}
    w = verdict.witness["sum"]
    assert w["loss(A) + loss(B)"] == float(np.max(LABELS[w["A"]])) + float(np.max(LABELS[w["B"]]))


def test_a_zero_loss_is_both_and_says_so():
    verdict = probe_additivity(lambda idx: 0.0, 5)
    assert verdict.holds and "both a weighted mean and a sum" in verdict.method


# float32: the default tolerance follows the dtype the loss returns
def token_mean_32(indices):
    """The correct token-mean loss, computed in float32."""
    terms = np.concatenate([token_nll(i) for i in indices]).astype(np.float32)
    return terms.sum(dtype=np.float32) / np.float32(tokens(indices))


def sequence_means_32(indices):
    """A mean of per-sequence token means, in float32: a per-example mean, not a token mean."""
    return np.mean(np.array([token_nll(i).astype(np.float32).mean() for i in indices], dtype=np.float32))


def test_float32_token_mean_holds_at_the_float32_tolerance():
    verdict = probe_additivity(token_mean_32, 30, weight=tokens)
    assert verdict.holds and "(float32, depth 3, " in verdict.method
    # the old float64 default rejected it: the gap is float32 rounding, far above 1e-9
    assert not probe_additivity(token_mean_32, 30, weight=tokens, rtol=1e-9).holds


def test_non_additive_float32_losses_still_fail():
    assert not probe_additivity(lambda idx: np.max(np.float32(LABELS[idx])), 30).holds
    assert not probe_additivity(sequence_means_32, 30, weight=tokens).holds
    mean_of_means_32 = lambda idx: np.float32(accumulated_mean_of_means(idx))  # noqa: E731
    assert not probe_additivity(mean_of_means_32, 30, weight=tokens, trials=50).holds


def _three_values(k, dtype, ulp):
    """loss({0}) = loss({1}) = 1/2 and loss({0, 1}) = 1 + k ulps, in ``dtype``: the only pair of 2 examples."""
    return lambda idx: dtype(0.5) if len(idx) == 1 else dtype(1 + k * ulp)


@pytest.mark.parametrize("dtype, ulp, name, inside", [(float, 2.0**-52, "float64", 4),
                                                      (np.float32, 2.0**-23, "float32", 4),
                                                      (np.float16, 2.0**-10, "float16 summed in float32", 3)])
def test_the_default_tolerance_just_inside_and_just_past(dtype, ulp, name, inside):
    # 2 examples, 2 terms: rtol = 2 (g_3 + g_1 + g_3 g_1), g_3 = gamma_3(u), g_1 = gamma_1(v), v = min(u, 2**-24):
    # 4 ulps and a little for float64 and float32 (v = u), 3 ulps and a little for float16 (v much smaller);
    # a gap of k ulps is k ulps / (1 + k ulps)
    held = probe_additivity(_three_values(inside, dtype, ulp), 2, reduction="sum", trials=1)
    past = probe_additivity(_three_values(inside + 1, dtype, ulp), 2, reduction="sum", trials=1)
    assert held.holds and f"({name}, depth 3, 2 terms, pairwise)" in held.method
    assert not past.holds and f"({name}, depth 3, 2 terms, pairwise)" in past.method


def test_bfloat16_and_torch_style_dtypes_are_read():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    assert unit_roundoff(np.array(1.0, dtype=ml_dtypes.bfloat16)) == ("bfloat16", Fraction(1, 2**8))

    class TorchLike:
        dtype = "torch.float16"

        def __float__(self):
            return 1.0

    assert unit_roundoff(TorchLike()) == ("float16", Fraction(1, 2**11))
    assert unit_roundoff(3) == ("float64", Fraction(1, 2**53))
    # bfloat16: u = 1/256, so depth 127 is allowed (127/256 < 1/2) and 128 is not
    assert default_rtol(Fraction(1, 2**8), 127) == pytest.approx(2 * 127 / 129)
    # and the float32 accumulation of a bfloat16 sum, added sequentially: 2**23 terms are allowed, 2**23 + 2 are not
    assert default_rtol(Fraction(1, 2**8), 1, terms=2**23, summation="sequential") > 0
    with pytest.raises(ProbeError, match="no rounding bound"):
        default_rtol(Fraction(1, 2**8), 1, terms=2**23 + 2, summation="sequential")
    # added pairwise, the same sum has depth 24 + 17
    assert default_rtol(Fraction(1, 2**8), 1, terms=2**23 + 2) == pytest.approx(
        float(2 * (Fraction(1, 255) + Fraction(41, 2**24 - 41) + Fraction(1, 255) * Fraction(41, 2**24 - 41))))
    with pytest.raises(ProbeError, match="too large"):
        default_rtol(Fraction(1, 2**8), 128)


def test_the_largest_unit_roundoff_seen_sets_the_tolerance():
    mixed = lambda idx: np.float32(0.5) if len(idx) == 1 else 1.0  # noqa: E731
    assert "(float32, depth 3, 2 terms, pairwise)" in probe_additivity(mixed, 2, trials=1).method
    assert "(given)" in probe_additivity(mixed, 2, trials=1, rtol=0.0).method


def test_the_verdict_is_reproducible_and_seeded():
    first = probe_additivity(accumulated_mean_of_means, 30, weight=tokens, seed=7)
    again = probe_additivity(accumulated_mean_of_means, 30, weight=tokens, seed=7)
    assert first.witness == again.witness


def test_rtol_tolerates_rounding():
    noisy = lambda idx: float(np.mean(LABELS[idx])) * (1 + 1e-13 * len(idx))  # noqa: E731
    assert probe_additivity(noisy, 30, rtol=1e-9).holds
    assert not probe_additivity(noisy, 30, rtol=0.0).holds


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(batch_loss=lambda idx: 1 / 0, n_examples=5), "raised ZeroDivisionError on indices"),
        (dict(batch_loss=lambda idx: float("nan"), n_examples=5), "non-finite"),
        (dict(batch_loss=lambda idx: math.inf, n_examples=5), "non-finite"),
        (dict(batch_loss=lambda idx: "1.0x", n_examples=5), "must return one real number"),
        (dict(batch_loss=lambda idx: np.ones(3), n_examples=5), "must return one real number"),
        (dict(batch_loss=lambda idx: 1.0, n_examples=1), "n_examples must be an integer >= 2"),
        (dict(batch_loss=lambda idx: 1.0, n_examples=2.5), "n_examples must be an integer >= 2"),
        (dict(batch_loss=lambda idx: 1.0, n_examples=4, trials=0), "trials"),
        (dict(batch_loss=lambda idx: 1.0, n_examples=4, rtol=-1), "rtol"),
        (dict(batch_loss=lambda idx: 1.0, n_examples=4, weight=lambda idx: 0), "weights must be positive"),
        (dict(batch_loss=lambda idx: 1.0, n_examples=4, weight=lambda idx: [][0]), "weight raised IndexError"),
        (dict(batch_loss=3.0, n_examples=4), "batch_loss must be callable"),
        (dict(batch_loss=lambda idx: 1.0, n_examples=4, reduction="max"), "reduction must be one of"),
        (dict(batch_loss=lambda idx: 1.0, n_examples=4, depth=0), "depth must be a positive integer"),
        (dict(batch_loss=lambda idx: np.float16(1.0), n_examples=4, depth=1024), "too large"),
        (dict(batch_loss=lambda idx: 1.0, n_examples=4, summation="kahan"), "summation must be one of"),
        (dict(batch_loss=lambda idx: 1.0, n_examples=4, dtype="float8"), "dtype must be one of"),
        (dict(batch_loss=lambda idx: 1.0, n_examples=4, terms=3), "terms must be callable"),
    ],
)
def test_bad_input_names_the_cause(kwargs, message):
    with pytest.raises(ProbeError, match=message):
        probe_additivity(**kwargs)


def test_summation_depth_pairwise_and_sequential():
    assert summation_depth(1) == 0 and summation_depth(2) == 1 and summation_depth(17) == 16
    assert summation_depth(2**20) == 20 + 17 and summation_depth(2**20, "sequential") == 2**20 - 1


def test_a_converting_numpy_sum_adds_its_buffers_in_turn_and_the_buffered_depth_counts_them():
    import ml_dtypes  # installed with the jax extra, as make html installs it

    from gradavg.checks.probe import NUMPY_BUFFER

    matched = 0
    for seed in range(5):
        x = np.random.default_rng(seed).lognormal(size=40000).astype(ml_dtypes.bfloat16)
        total = np.float32(0)
        for start in range(0, len(x), NUMPY_BUFFER):  # pairwise within a buffer, the buffers one after another
            total = np.float32(total + x[start:start + NUMPY_BUFFER].astype(np.float32).sum())
        matched += x.sum(dtype=np.float32) == total
    assert matched == 5
    # so the deepest path is a buffer's pairwise depth plus one addition per further buffer
    assert summation_depth(40000, "buffered") == summation_depth(NUMPY_BUFFER) + 4
    assert summation_depth(NUMPY_BUFFER, "buffered") == summation_depth(NUMPY_BUFFER)
    assert summation_depth(NUMPY_BUFFER + 1, "buffered") == summation_depth(NUMPY_BUFFER) + 1
    assert summation_depth(157334, "buffered") > summation_depth(157334)


def test_a_float32_loss_returned_as_a_python_float_needs_its_dtype_named():
    item = lambda idx: float(token_mean_32(idx))  # noqa: E731  (what .item() returns)
    verdict = probe_additivity(item, 30, weight=tokens)
    # read as float64, the float32 rounding of a correct loss fails, and the message says why
    assert not verdict.holds and "(float64, depth 3," in verdict.method
    assert ".item()" in verdict.method and "dtype=" in verdict.method
    assert probe_additivity(item, 30, weight=tokens, dtype="float32").holds


def test_terms_that_cancel_are_outside_the_default_bound():
    # float32 x_i = 1000 + 0.01 N(0, 1), loss = mean(x) - 1000: the rounding of the mean is relative to 1000,
    # the values are about 0.01, so the bound relative to the values does not hold; a float64 copy passes
    x = 1000 + 0.01 * np.random.default_rng(0).normal(size=40)
    x32 = x.astype(np.float32)
    verdict = probe_additivity(lambda idx: np.mean(x32[idx], dtype=np.float32) - np.float32(1000), 40)
    assert not verdict.holds and "terms of one sign" in verdict.method
    # the cancellation defeats a float64 copy's default tolerance too; there rtol sized to it (1000 / 0.01 times
    # float64's rounding) separates, which float32's rounding (about 6e-5 absolute on values of 0.01) cannot
    copy = lambda idx: np.mean(x32[idx].astype(np.float64)) - 1000.0  # noqa: E731
    assert not probe_additivity(copy, 40).holds and probe_additivity(copy, 40, rtol=1e-9).holds


# --- the accumulation format, and the refusal when no bound exists ------------------------------------------


@pytest.mark.parametrize("accumulator, summation, limit", [
    ("bfloat16", "sequential", 128),   # s = T - 1 additions at u = 2**-8: s u < 1/2 iff T <= 128
    ("float16", "sequential", 1024),   # u = 2**-11: T <= 1024
])
def test_no_bound_just_past_its_limit_and_a_bound_just_inside(accumulator, summation, limit):
    u = Fraction(1, 2**8)
    inside = default_rtol(u, terms=limit, summation=summation, accumulator=accumulator)
    s, v = limit - 1, {"bfloat16": Fraction(1, 2**8), "float16": Fraction(1, 2**11)}[accumulator]
    g_s, g_d = s * v / (1 - s * v), 3 * u / (1 - 3 * u)
    assert inside == pytest.approx(float(2 * (g_d + g_s + g_d * g_s)))
    with pytest.raises(ProbeError, match=f"no rounding bound: a {summation} sum of {limit + 1} terms accumulating in "
                                         f"{accumulator}"):
        default_rtol(u, terms=limit + 1, summation=summation, accumulator=accumulator)


def test_numpy_bfloat16_sums_in_bfloat16_and_the_probe_refuses_to_bound_it():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    bf16 = ml_dtypes.bfloat16
    # NumPy's own sum of a bfloat16 array adds in bfloat16, one term after another: 4096 ones give 256
    assert float(np.ones(4096, bf16).sum()) == 256 and float(np.ones(4096, bf16).sum(dtype=np.float32)) == 4096
    values = np.random.default_rng(0).gamma(2.0, 1.0, size=300).astype(bf16)
    running = bf16(0)
    for value in values:
        running = bf16(running + value)
    assert running == values.sum()
    # float16 adds in float32 along the last axis, in float16 (a running sum) along another
    assert float(np.ones(4096, np.float16).sum()) == 4096 and float(np.ones((4096, 2), np.float16).sum(axis=0)[0]) == 2048
    # a correct bfloat16 token mean written with NumPy's default sum: the default model (float32 accumulation)
    # is wrong for it, and the right model has no bound past 128 tokens, so the probe refuses
    loss = lambda idx: values[idx].sum() / bf16(len(idx))  # noqa: E731
    with pytest.raises(ProbeError, match="no rounding bound"):
        probe_additivity(loss, 300, accumulator="bfloat16", summation="sequential")
    # within 128 terms it gives a bound, and says what it assumed
    small = probe_additivity(loss, 100, accumulator="bfloat16", summation="sequential")
    assert "(bfloat16, depth 3," in small.method and small.holds
    summed32 = lambda idx: bf16(values[idx].sum(dtype=np.float32)) / bf16(len(idx))  # noqa: E731
    verdict = probe_additivity(summed32, 300)
    assert verdict.holds and "(bfloat16 summed in float32, depth 3," in verdict.method


def _numpy_pairwise(values):
    """NumPy's pairwise sum (numpy/_core/src/umath/loops_utils.h.src) on (value, additions on its path) pairs."""
    n = len(values)

    def add(x, y):
        return (x[0] + y[0], max(x[1], y[1]) + 1)

    if n < 8:
        total = values[0]
        for value in values[1:]:
            total = add(total, value)
        return total
    if n <= 128:
        r = list(values[:8])
        i = 8
        while i < n - n % 8:
            r = [add(r[j], values[i + j]) for j in range(8)]
            i += 8
        total = add(add(add(r[0], r[1]), add(r[2], r[3])), add(add(r[4], r[5]), add(r[6], r[7])))
        for value in values[i:]:
            total = add(total, value)
        return total
    half = n // 2
    half -= half % 8
    return add(_numpy_pairwise(values[:half]), _numpy_pairwise(values[half:]))


def test_the_pairwise_depth_bound_against_numpys_own_algorithm():
    rng = np.random.default_rng(7)
    worst = 0
    for n in range(1, 3001):
        x = rng.normal(size=n).astype(np.float32)
        value, depth = _numpy_pairwise([(v, 0) for v in x])
        assert value == x.sum(), n  # bit for bit: this is the algorithm NumPy runs
        assert depth <= summation_depth(n), n
        worst = max(worst, depth - math.ceil(math.log2(n)) if n > 1 else 0)
        if n in (127, 239, 247):
            assert depth == summation_depth(n) == math.ceil(math.log2(n)) + 17
    assert worst == 17


def test_probe_accepts_jax_code_for_a_plain_mean_as_it_accepts_numpy():
    jnp = jax_adapter.jax_modules().jnp
    values = jnp.asarray([1.0, 2.0, 4.0, 8.0, 16.0])
    assert probe_additivity(lambda idx: jnp.mean(values[jnp.asarray(idx)]), 5).holds
    assert not probe_additivity(lambda idx: jnp.max(values[jnp.asarray(idx)]), 5).holds
