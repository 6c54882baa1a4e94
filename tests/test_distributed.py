"""Tests of gradavg.topics.distributed and gradavg.derivations.distributed: DDP, gathered statistics and negatives on gloo ranks."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest

from gradavg.engine.claims import Claim, get
from gradavg.topics import distributed, stacks

CLAIMS = ["distributed.ddp-equal", "distributed.ddp-uneven", "distributed.ddp-fix", "distributed.batchnorm-sync",
          "distributed.in-batch-negatives", "distributed.hf-ranks"]


@pytest.mark.parametrize("claim_id", CLAIMS)
def test_claim_holds_and_its_control_misses_by_far_more_than_the_bound(claim_id):
    result = get(claim_id, module="gradavg.derivations.distributed").run()
    assert result.ok, (result.verdict.method, result.control_verdict.method)
    assert result.verdict.residual <= 1
    # residual is the largest |torch - exact| / bound: the control is off by at least 10^9 float64 bounds,
    # or 10^4 of the float32 bound of ForCausalLMLoss
    assert result.control_verdict.residual > (1e4 if claim_id.endswith("hf-ranks") else 1e9), \
        result.control_verdict.method


def test_a_rank_function_that_raises_gives_a_verdict_and_the_world_runs_the_next_claim():
    broken = Claim.contrasting("demo.broken-rank", "$x$", check=lambda recipe: distributed.check_ddp(
        distributed.EQUAL, recipe, "full"), right="no-such-recipe", wrong="mean", control="c",
        evidence="float-bound", scope="a rank that raises")
    verdict = broken.check()
    assert not verdict.holds and not verdict.ran and verdict.evidence is None  # not run: no rejected control
    # as a control, a failed rank is not a rejection: the claim is not run, never ok
    crashed_control = Claim.contrasting("demo.broken-control", "$x$", check=lambda recipe: distributed.check_ddp(
        distributed.EQUAL, recipe, "full"), right="mean", wrong="no-such-recipe", control="c",
        evidence="float-bound", scope="a control whose rank raises").run()
    assert (crashed_control.status, crashed_control.control_rejected, crashed_control.ok) == ("not run", False, False)
    assert "a rank failed" in verdict.method and "rank 0 failed" in verdict.method
    assert "recipe must be one of" in verdict.method  # the rank's own traceback comes back
    assert get("distributed.ddp-equal", module="gradavg.derivations.distributed").run().ok


def test_the_exact_regression_gradient_is_a_difference_quotient():
    grads, sizes = stacks.regression_gradients(distributed.POINT, distributed.FEATURES, distributed.TARGETS)
    point = [Fraction(v) for v in distributed.POINT]

    def loss(p, i):
        (x1, x2), y = distributed.FEATURES[i], distributed.TARGETS[i]
        return (p[0] * Fraction(x1) + p[1] * Fraction(x2) + p[2] - Fraction(y)) ** 2

    h = Fraction(1, 10**30)
    for i in range(len(distributed.TARGETS)):
        for j in range(3):
            shifted = list(point)
            shifted[j] += h
            assert abs((loss(shifted, i) - loss(point, i)) / h - grads[i][j]) < Fraction(1, 10**25)
            assert sizes[i][j] >= abs(grads[i][j])


def test_uneven_local_batches_make_the_mean_of_means_differ_from_the_full_gradient():
    full = distributed.exact_gradient(distributed.UNEVEN, "full")
    assert distributed.exact_gradient(distributed.EQUAL, "mean-of-means") == distributed.exact_gradient(
        distributed.EQUAL, "full")
    gap = [m - f for m, f in zip(distributed.exact_gradient(distributed.UNEVEN, "mean-of-means"), full)]
    assert all(abs(g) > Fraction(1, 100) for g in gap)
    with pytest.raises(ValueError, match="expect must be one of"):
        distributed.exact_gradient(distributed.EQUAL, "sum")


def test_exact_moments_against_the_definition_and_per_rank_statistics_differ():
    values = distributed.ACTIVATIONS
    mean, var = distributed.exact_moments(values)[0], distributed.exact_moments(values)[2]
    n = len(values)
    assert mean == sum(Fraction(v[0]) for v in values) / n
    assert var == sum(Fraction(v[0]) ** 2 for v in values) / n - mean**2
    # each rank's own statistics (batch norm without synchronisation) are not the full batch's
    for group in distributed.split(distributed.UNEVEN):
        assert distributed.exact_moments(values[group.start:group.stop])[0] != mean


def test_the_contrastive_gradient_is_a_difference_quotient_of_the_cost():
    grad, sizes = distributed.contrastive_reference()

    def cost(weight):
        with mpmath.workdps(60):
            W = mpmath.matrix(weight)
            q = [W * mpmath.matrix(a) for a in distributed.QUERIES]
            k = [W * mpmath.matrix(b) for b in distributed.KEYS]
            rows = [[(qi.T * kj)[0] for kj in k] for qi in q]
            return mpmath.fsum(mpmath.log(mpmath.fsum(map(mpmath.exp, row))) - row[i]
                               for i, row in enumerate(rows)) / len(rows)

    base = [list(row) for row in distributed.ENCODER]
    with mpmath.workdps(60):
        h = mpmath.mpf(10) ** -25
        for j in range(4):
            shifted = [list(row) for row in base]
            shifted[j // 2][j % 2] = mpmath.mpf(shifted[j // 2][j % 2]) + h
            quotient = (cost(shifted) - cost(base)) / h  # off by O(h) from the derivative
            assert abs(quotient - mpmath.mpf(grad[j].numerator) / grad[j].denominator) < mpmath.mpf(10) ** -20
            assert sizes["magnitude"][j] >= abs(grad[j])


def test_rank_functions_refuse_an_unknown_recipe_before_any_collective():
    for function, arguments in [(distributed.ddp_rank, ((), (), "sum")),
                                (distributed.moments_rank, ((), "median")),
                                (distributed.contrastive_rank, ((), (), "broadcast"))]:
        with pytest.raises(ValueError, match="must be one of"):
            function(0, 2, *arguments)


def test_label_tokens_are_counted_after_the_shift_as_the_rank_counts_them():
    torch = pytest.importorskip("torch")
    for ids, labels in distributed.SEQUENCES:
        after = int((torch.tensor(labels)[..., 1:] != -100).sum())
        assert len(stacks.label_tokens(ids, labels)) == after
    ids, labels = distributed.SEQUENCES[0]
    before_the_shift = int((torch.tensor(labels) != -100).sum())
    assert (before_the_shift, len(stacks.label_tokens(ids, labels))) == (5, 3)


def test_the_token_mean_reference_is_a_difference_quotient_of_the_cost():
    tokens = [pair for ids, labels in distributed.SEQUENCES for pair in stacks.label_tokens(ids, labels)]
    n = len(tokens)
    grad, magnitude, _, _ = stacks.bigram_reference(distributed.THETA, tokens, [Fraction(1, n)] * n)
    with mpmath.workdps(60):
        def cost(theta):
            return mpmath.fsum(mpmath.log(mpmath.fsum(map(mpmath.exp, theta[a]))) - theta[a][b] for a, b in tokens) / n

        base = [[mpmath.mpf(v) for v in row] for row in distributed.THETA]
        h = mpmath.mpf(10) ** -25
        for j in range(distributed.VOCAB**2):
            shifted = [list(row) for row in base]
            shifted[j // distributed.VOCAB][j % distributed.VOCAB] += h
            quotient = (cost(shifted) - cost(base)) / h
            assert abs(quotient - mpmath.mpf(grad[j].numerator) / grad[j].denominator) < mpmath.mpf(10) ** -20
            assert magnitude[j] >= abs(grad[j])


def test_the_bigram_logits_are_exact_in_float32_so_the_upcast_changes_nothing():
    np = pytest.importorskip("numpy")
    assert all(float(np.float32(v)) == v for row in distributed.THETA for v in row)
