"""Tests of gradavg.topics.framework and gradavg.derivations.framework: the JAX checks, their exact references, the probe on JAX code, life without JAX."""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from gradavg.checks.probe import probe_additivity
from gradavg.checks import jax_adapter
from gradavg.engine import rounding
from gradavg.topics import framework
from gradavg.topics.accumulation import mean_of_means_weights, total_count_weights


def test_exact_gradients_match_a_difference_quotient_in_rationals():
    x, y = framework.quartet()
    grads, sizes = framework.mlp_exact_gradients(x[:3], y[:3])
    theta = [value for group in ("w", "b", "v", "c") for value in framework.MLP_POINT[group]]

    def loss(t, xi, yi):  # the network in exact rationals
        hidden = [max(t[k] * xi + t[framework.HIDDEN + k], Fraction(0)) for k in range(framework.HIDDEN)]
        return (sum(t[2 * framework.HIDDEN + k] * hidden[k] for k in range(framework.HIDDEN)) + t[-1] - yi) ** 2

    h = Fraction(1, 10**30)
    for i in range(3):
        xi, yi = rounding.exact(x[i]), rounding.exact(y[i])
        for j in range(len(theta)):
            shifted = list(theta)
            shifted[j] += h
            quotient = (loss(shifted, xi, yi) - loss(theta, xi, yi)) / h
            assert abs(quotient - grads[i][j]) < Fraction(1, 10**20)  # the quadratic term is O(h)
            assert sizes[i][j] >= abs(grads[i][j])


def test_a_pre_activation_on_the_kink_is_refused():
    # unit 1 is w_1 x + b_1 = x/2 - 13/4, zero at x = 6.5
    with pytest.raises(ArithmeticError, match="within rounding of 0"):
        framework.mlp_exact_gradients([6.5], [1.0])


def test_token_gradients_are_the_closed_form():
    grads, _ = framework.token_exact_gradients([1], [2])
    theta = framework.TOKEN_POINT
    row = sum(theta[1])
    expected = [Fraction(0)] * 16
    for j in range(4):
        expected[4 + j] += 1 / row
    expected[4 + 2] -= 1 / theta[1][2]
    assert grads[0] == expected


def test_exact_target_gap_is_the_accumulation_pages():
    per_example = [[Fraction(v)] for v in (1, 2, 6, 10)]
    sizes = [1, 3]
    mean_of_means = framework.weighted_sum(per_example, framework.example_weights(sizes, mean_of_means_weights))
    assert framework.exact_target(per_example, sizes, "mean-of-means") == mean_of_means
    full = framework.weighted_sum(per_example, framework.example_weights(sizes, total_count_weights))
    opposite = framework.exact_target(per_example, sizes, "opposite-gap")
    assert opposite[0] - full[0] == full[0] - mean_of_means[0] != 0


def test_the_replicated_pmean_pitfall_is_exactly_m_times():
    full = framework.full_batch_gradients()["grad"]
    replicated = framework.data_parallel_gradient(framework.EQUAL_SHARDS, "pmean-replicated")
    right = framework.data_parallel_gradient(framework.EQUAL_SHARDS, "pmean")
    np.testing.assert_allclose(replicated, jax_adapter.DEVICES * full, rtol=1e-13)
    np.testing.assert_allclose(right, full, rtol=1e-13)


def test_probe_accepts_a_jax_scalar_loss_and_finds_the_normalisation_bug():
    fixed, tokens = framework.jax_token_loss()
    buggy, _ = framework.jax_token_loss(micro_batch=2)
    n = len(framework.token_sequences())
    value = fixed([0, 1, 2])
    assert type(value).__module__.startswith("jax") and value.shape == ()
    assert probe_additivity(fixed, n, weight=tokens).holds
    verdict = probe_additivity(buggy, n, weight=tokens)
    assert not verdict.holds and verdict.witness["w(A)"] == tokens(verdict.witness["A"])


def test_without_jax_the_checks_fail_and_say_what_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "jax", None)  # import jax now raises ImportError
    verdict = framework.check_per_example()
    assert not verdict.holds and verdict.method.startswith(jax_adapter.NEEDS_JAX)
    verdict = framework.check_multisteps("global", "full")
    assert not verdict.holds and jax_adapter.NEEDS_JAX in verdict.method


def _run(code: str, environment: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=environment)


def test_a_process_without_the_flag_gets_the_devices_from_the_lazy_import():
    environment = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    code = ("import sys\nfrom gradavg.topics import framework\nassert 'jax' not in sys.modules\n"
            "print(framework.check_data_parallel(framework.EQUAL_SHARDS, 'pmean', 'full').holds)")
    run = _run(code, environment)
    assert run.returncode == 0 and run.stdout.split() == ["True"], run.stderr


def test_jax_imported_first_without_the_flag_gives_a_clear_failure():
    environment = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    code = ("import jax\nfrom gradavg.topics import framework\n"
            "print(framework.check_data_parallel(framework.EQUAL_SHARDS, 'pmean', 'full').method)")
    run = _run(code, environment)
    assert run.returncode == 0, run.stderr
    assert "needs 4 JAX devices, found 1" in run.stdout and "XLA_FLAGS" in run.stdout


def test_the_ledger_does_not_import_jax():
    code = "import sys\nfrom gradavg import ledger\nledger()\nprint('jax' in sys.modules)"
    run = _run(code, dict(os.environ))
    assert run.returncode == 0 and run.stdout.split() == ["False"], run.stderr


def test_error_figure_marks_the_bound():
    import matplotlib

    matplotlib.use("Agg")
    figure = framework.error_figure([("claim", 0.01, 1e12)])
    axes = figure.axes[0]
    assert [tuple(line.get_xdata()) for line in axes.lines] == [(1.0, 1.0)]
    assert [bar.get_width() for bar in axes.patches] == [0.01, 1e12]


def test_replicated_parameters_give_m_times_the_gradient_only_under_check_vma():
    full = framework.full_batch_gradients()["grad"]
    off = framework.data_parallel_gradient(framework.EQUAL_SHARDS, "pmean-replicated", check_vma=False)
    np.testing.assert_allclose(off, full, rtol=1e-13)
    assert framework.check_replicated().holds
    control = framework.check_replicated(control=True)
    assert not control.holds and control.method.startswith("holds: ") and " | fails: " in control.method
    assert control.gap[0] != 0 and all(isinstance(v, Fraction) for v in control.witness.values())


def test_the_per_example_control_differs_in_direction_and_reaches_both_routes():
    wrong = framework.full_batch_gradients(control=True)
    np.testing.assert_allclose(wrong["grad"], wrong["vmap_mean"], rtol=1e-12)   # the same wrong vector both ways
    right = framework.full_batch_gradients()["grad"]
    cosine = wrong["grad"] @ right / np.linalg.norm(wrong["grad"]) / np.linalg.norm(right)
    assert cosine < 0.999   # not a rescaling of the right gradient (cosine 0.9966 at theta_0)
    verdict = framework.check_per_example(control=True)
    assert not verdict.holds and verdict.method.count("fails: ") == 2
