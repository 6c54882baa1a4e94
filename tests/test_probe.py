"""The additivity probe, on loss code written here (not the code the accumulation page uses)."""

import math

import numpy as np
import pytest

from gradavg import ProbeError, Verdict, probe_additivity

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
    assert set(w) == {"A", "B", "loss(A + B)", "weighted mean", "w(A)", "w(B)"}
    assert not set(w["A"]) & set(w["B"]) and w["A"] and w["B"]
    assert math.isclose(w["loss(A + B)"], accumulated_mean_of_means(w["A"] + w["B"]))
    expected = (tokens(w["A"]) * accumulated_mean_of_means(w["A"]) + tokens(w["B"]) * accumulated_mean_of_means(w["B"]))
    assert math.isclose(w["weighted mean"], expected / (tokens(w["A"]) + tokens(w["B"])))
    assert verdict.gap == (w["loss(A + B)"] - w["weighted mean"],) and verdict.gap[0] != 0


def test_batch_normalised_loss_is_caught():
    assert not probe_additivity(layer_normalised_over_batch, 30).holds


def test_sum_is_additive_only_with_unit_weights_scaled():
    # a summed loss is not a mean: it fails with example weights
    assert not probe_additivity(lambda idx: float(LABELS[idx].sum()), 30).holds
    assert probe_additivity(lambda idx: float(np.mean(LABELS[idx] ** 2)), 30, trials=5, seed=3).holds


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
    ],
)
def test_bad_input_names_the_cause(kwargs, message):
    with pytest.raises(ProbeError, match=message):
        probe_additivity(**kwargs)
