"""Tests of gradavg.topics.stacks and gradavg.derivations.stacks: the sampler, HF's loss, accelerate and clipping claims."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp

from gradavg.engine import claims
from gradavg.topics import stacks

CLAIMS = ["sampler-padding", "sampler-drop-last", "sampler-count-once", "hf-accumulation", "hf-num-items",
          "accelerate-steps", "clip-timing", "shard-norm", "batchnorm-accumulation"]
#: the float-bound claims, whose controls must miss by far more than their bound
FLOAT_BOUND = ["hf-accumulation", "hf-num-items", "accelerate-steps", "clip-timing", "shard-norm",
               "batchnorm-accumulation"]


def claim(name: str) -> claims.Claim:
    """The claim ``stacks.<name>`` (doctests of its module run through src/gradavg/derivations/stacks.py, one import)."""
    return claims.get(f"stacks.{name}", module="gradavg.derivations.stacks")


@pytest.mark.parametrize("name", CLAIMS)
def test_claim_holds_and_its_control_is_rejected(name):
    result = claim(name).run()
    assert result.verdict.holds, result.verdict.method
    assert result.evidence_backed and result.control_rejected and result.ok


@pytest.mark.parametrize("name", FLOAT_BOUND)
def test_float_bound_controls_miss_by_far_more_than_the_bound(name):
    result = claim(name).run()
    assert result.verdict.residual <= 1
    assert result.control_verdict.residual > 1e4  # |value - exact| / tolerance, at the worst component


def test_sampler_control_fails_with_an_exact_gap():
    verdict = stacks.check_sampler("padded-mean", "G")
    n, r = verdict.witness["N"], verdict.witness["R"]
    assert stacks.padding(n, r) > 0 and verdict.gap[0] != 0


def test_padding_formula_by_hand():
    g = sp.symbols("g0:5")
    # N = 5, R = 4: d = 3, the epoch 0 1 2 3 4 0 1 2
    assert stacks.padding(5, 4) == 3
    assert sp.expand(stacks.sampler_target(5, 4, "padding-formula", g) - (sp.Add(*g) + g[0] + g[1] + g[2]) / 8) == 0
    assert sp.expand(stacks.sampler_reduction(5, 4, "padded-mean", g) - (sp.Add(*g) + g[0] + g[1] + g[2]) / 8) == 0


def test_sampler_wraps_the_epoch_when_the_padding_exceeds_the_data():
    # N = 1, R = 4: d = 3 > N, the sampler repeats index 0 on every rank
    assert stacks.sampler_epoch(1, 4, drop_last=False) == [[0], [0], [0], [0]]
    assert stacks.sampler_epoch(3, 4, drop_last=True) == [[], [], [], []]


def test_label_tokens_follow_the_causal_shift():
    ids, labels = stacks.micro_batch_tensors(stacks.MICRO_BATCHES[2])
    shifted = labels[:, 1:]
    assert int((shifted != -100).sum()) == len(stacks.micro_batch_pairs(stacks.MICRO_BATCHES[2]))
    scored = [(int(ids[b, t]), int(shifted[b, t])) for b in range(ids.shape[0]) for t in range(ids.shape[1] - 1)
              if shifted[b, t] != -100]
    assert scored == stacks.micro_batch_pairs(stacks.MICRO_BATCHES[2])
    # the pairs are the next tokens of each sequence from its first unmasked label on
    assert scored == [(tokens[t], tokens[t + 1]) for tokens, masked in stacks.MICRO_BATCHES[2]
                      for t in range(len(tokens) - 1) if t + 1 >= masked]


def test_softmax_reference_matches_a_float_softmax():
    import math

    for row in stacks.LOGIT_POINT:
        exps = [math.exp(float(z)) for z in row]
        for p, e in zip(stacks.softmax_row(tuple(row)), exps):
            assert abs(float(p) - e / sum(exps)) < 1e-15
        assert abs(float(stacks.log_sum_exp_bound(tuple(row))) - abs(math.log(sum(exps)))) < 1e-15


def test_bigram_reference_is_a_difference_quotient_and_its_bound_is_float32_plus_the_reference_error():
    import mpmath

    pairs = [pair for m in stacks.MICRO_BATCHES for pair in stacks.micro_batch_pairs(m)]
    weights = [Fraction(k + 1, 100) for k in range(len(pairs))]
    reference = stacks.bigram_reference(stacks.LOGIT_POINT, pairs, weights)
    assert reference.error == Fraction(1, 10**40) * sum(weights)
    with mpmath.workdps(60):
        def cost(table):
            return mpmath.fsum(w * (mpmath.log(mpmath.fsum(map(mpmath.exp, table[a]))) - table[a][b])
                               for (a, b), w in zip(pairs, [mpmath.mpf(w.numerator) / w.denominator for w in weights]))

        base = [[mpmath.mpf(v.numerator) / v.denominator for v in row] for row in stacks.LOGIT_POINT]
        h = mpmath.mpf(10) ** -25
        for j in range(stacks.VOCAB**2):
            shifted = [list(row) for row in base]
            shifted[j // stacks.VOCAB][j % stacks.VOCAB] += h
            quotient = (cost(shifted) - cost(base)) / h
            exact = reference.gradient[j]
            assert abs(quotient - mpmath.mpf(exact.numerator) / exact.denominator) < mpmath.mpf(10) ** -20
            assert reference.magnitude[j] >= abs(exact)
    _, bound = stacks.hf_reference("own-mean")
    assert bound.format == "float32" and bound.reference_error == Fraction(1, 10**40)  # weights 1/(K n_k) sum to 1
    with pytest.raises(ValueError, match="weights"):
        stacks.bigram_reference(stacks.LOGIT_POINT, pairs, weights[1:])


def test_hf_reference_weights_differ_between_schemes():
    own, _ = stacks.hf_reference("own-mean")
    full, _ = stacks.hf_reference("num-items-shifted")
    assert max(abs(a - b) for a, b in zip(own, full)) > Fraction(1, 1000)


def test_accelerate_divides_by_the_steps():
    once, twice = stacks.accelerate_gradient(), stacks.accelerate_gradient(divide_again=True)
    assert all(abs(a - 3 * b) <= 1e-15 * abs(a) for a, b in zip(once, twice))


def test_clip_exact_refuses_an_irrational_norm():
    with pytest.raises(ArithmeticError, match="not rational"):
        stacks.clip_exact([Fraction(1), Fraction(1)])


def test_probe_verdicts():
    verdicts = stacks.probe_losses()
    assert {name: v.holds for name, v in verdicts.items()} == {
        "hf-mean": False, "hf-mean-token-weighted": True, "hf-num-items": True, "ce-mean": False, "ce-sum": True}
    assert "a sum" in verdicts["ce-sum"].method and "weighted mean" in verdicts["hf-mean-token-weighted"].method


def test_batchnorm_data_make_every_normaliser_a_dyadic_rational():
    from gradavg.topics.accumulation import split

    groups = [*split(stacks.BN_SIZES), range(sum(stacks.BN_SIZES))]
    for group in groups:
        for c in range(len(stacks.BN_WEIGHT)):
            x = [stacks.BN_INPUTS[i][c] for i in group]
            mean = sum(x) / len(x)
            root = stacks.exact_root(sum((v - mean) ** 2 for v in x) / len(x) + stacks.BN_EPS)
            assert root.denominator & (root.denominator - 1) == 0  # a power of two
    with pytest.raises(ArithmeticError, match="not the square"):
        stacks.exact_root(Fraction(1, 2))


@pytest.mark.parametrize("statistics", stacks.BN_STATISTICS)
def test_batchnorm_reference_is_the_derivative_of_the_exact_loss(statistics):
    # independent of the hand-written backward: SymPy differentiates the loss built from the definition
    from gradavg.topics.accumulation import split

    n_total, channels = sum(stacks.BN_SIZES), len(stacks.BN_WEIGHT)
    g, b = sp.symbols(f"g0:{channels}"), sp.symbols(f"b0:{channels}")
    x = [[sp.Symbol(f"x{i}_{c}") for c in range(channels)] for i in range(n_total)]
    def rational(v):
        return sp.Rational(v.numerator, v.denominator)

    point = {**{s: rational(v) for s, v in zip(g, stacks.BN_WEIGHT)}, **{s: rational(v) for s, v in zip(b, stacks.BN_BIAS)},
             **{x[i][c]: rational(stacks.BN_INPUTS[i][c]) for i in range(n_total) for c in range(channels)}}
    sizes = stacks.BN_SIZES if statistics == "micro-batch" else (n_total,)
    loss = 0
    for group in split(sizes):
        for c in range(channels):
            col = [x[i][c] for i in group]
            mean = sp.Add(*col) / len(col)
            std = sp.sqrt(sp.Add(*[(v - mean) ** 2 for v in col]) / len(col) + rational(stacks.BN_EPS))
            loss += sp.Add(*[(g[c] * (v - mean) / std + b[c] - rational(stacks.BN_TARGETS[i][c])) ** 2
                             for i, v in zip(group, col)]) / n_total
    variables = [*g, *b, *(x[i][c] for i in range(n_total) for c in range(channels))]
    derivative = [sp.Rational(sp.diff(loss, v).subs(point)) for v in variables]
    reference, bound = stacks.batchnorm_reference(statistics)
    assert [Fraction(int(d.p), int(d.q)) for d in derivative] == reference
    assert all(m >= abs(r) for m, r in zip(bound.magnitude, reference))


def test_batchnorm_statistics_change_gamma_and_the_inputs_not_beta():
    micro, _ = stacks.batchnorm_reference("micro-batch")
    full, _ = stacks.batchnorm_reference("full-batch")
    channels = len(stacks.BN_WEIGHT)
    assert micro[channels:2 * channels] == full[channels:2 * channels]  # sum of dy: xhat sums to 0 in any group
    assert min(abs(a - b) for a, b in zip(micro[:channels], full[:channels])) > Fraction(1, 100)
    assert max(abs(a - b) for a, b in zip(micro[2 * channels:], full[2 * channels:])) > Fraction(1, 100)
