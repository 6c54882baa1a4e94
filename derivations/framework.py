"""In a real framework: JAX's per-example gradients, shard_map data parallelism and optax accumulation.

Every check runs JAX in float64 and compares, exactly, with gradients computed
in rationals by SymPy, within a bound on float64 rounding derived for the
computation (see :mod:`gradavg.topics.framework`). Without JAX the checks fail
and say what is missing.
"""

from __future__ import annotations

from gradavg.engine.claims import Claim, register
from gradavg.topics.framework import (
    EQUAL_SHARDS,
    UNEVEN_SHARDS,
    check_data_parallel,
    check_equal_micro_batches,
    check_multisteps,
    check_per_example,
)

register(
    Claim(
        id="framework.per-example",
        statement=(
            r"For a ReLU network on Anscombe's quartet ($N=44$), JAX's $\nabla C$ from \texttt{jax.grad} of the mean "
            r"loss and the mean of per-example gradients from \texttt{jax.vmap(jax.grad(...))} both equal the exact "
            r"$\frac1N\sum_i\nabla L_i$ within float64 rounding."
        ),
        check=check_per_example,
        control="jax.grad of the root mean squared error, sqrt(C), against the same mean of per-example gradients",
        control_check=lambda: check_per_example(control=True),
        evidence="float-bound",
        scope="float64, JAX 0.10 on CPU, at one parameter point theta_0 and one dataset: ReLU network, Anscombe's quartet (N = 44)",
    )
)

register(
    Claim(
        id="framework.pmean-equal",
        statement=(
            r"In \texttt{jax.shard\_map} over $M=4$ devices with equal shards ($4\times 11$), parameters marked "
            r"varying (\texttt{lax.pcast}) and \texttt{lax.pmean} of each device's mean-loss gradient give "
            r"$\nabla C$ within float64 rounding."
        ),
        check=lambda: check_data_parallel(EQUAL_SHARDS, "pmean", "full"),
        control="the same code without lax.pcast: parameters replicated, whose gradient is already summed over "
                "devices (M times the full-batch gradient)",
        control_check=lambda: check_data_parallel(EQUAL_SHARDS, "pmean-replicated", "full"),
        evidence="float-bound",
        scope="float64, JAX 0.10 on CPU, at one parameter point theta_0 and one dataset: Anscombe's quartet on 4 devices, shards 4 x 11",
    )
)

register(
    Claim(
        id="framework.pmean-uneven-gap",
        statement=(
            r"With uneven shards ($5+8+13+18$), \texttt{lax.pmean} of the devices' mean-loss gradients gives "
            r"$\nabla C + \sum_m \bigl(\frac1M - \frac{n_m}{N}\bigr)\bar g_m$, the exact mean-of-means gap, within "
            r"float64 rounding."
        ),
        check=lambda: check_data_parallel(UNEVEN_SHARDS, "pmean", "mean-of-means"),
        control="the same gap with the opposite sign, sum_m (n_m/N - 1/M) gbar_m",
        control_check=lambda: check_data_parallel(UNEVEN_SHARDS, "pmean", "opposite-gap"),
        evidence="float-bound",
        scope="float64, JAX 0.10 on CPU, at one parameter point theta_0 and one dataset: Anscombe's quartet on 4 devices, shards 5 + 8 + 13 + 18",
    )
)

register(
    Claim(
        id="framework.psum-counts",
        statement=(
            r"With uneven shards ($5+8+13+18$), \texttt{lax.psum} of the devices' summed-loss gradients over "
            r"\texttt{lax.psum} of their counts gives $\nabla C$ within float64 rounding."
        ),
        check=lambda: check_data_parallel(UNEVEN_SHARDS, "psum-counts", "full"),
        control="lax.pmean of the devices' mean-loss gradients on the same uneven shards",
        control_check=lambda: check_data_parallel(UNEVEN_SHARDS, "pmean", "full"),
        evidence="float-bound",
        scope="float64, JAX 0.10 on CPU, at one parameter point theta_0 and one dataset: Anscombe's quartet on 4 devices, shards 5 + 8 + 13 + 18",
    )
)

register(
    Claim(
        id="framework.multisteps-equal",
        statement=(
            r"\texttt{optax.MultiSteps} with its default mean over $k=4$ equal micro-batches ($4\times 11$), each "
            r"loss its own mean, gives the full-batch SGD update $-\eta\nabla C$ within float64 rounding."
        ),
        check=lambda: check_equal_micro_batches(EQUAL_SHARDS),
        control="the same loop over unequal micro-batches of 5, 8, 13 and 18 examples",
        control_check=lambda: check_equal_micro_batches(UNEVEN_SHARDS),
        evidence="float-bound",
        scope="float64, JAX 0.10 on CPU, at one parameter point theta_0 and one dataset: Anscombe's quartet, 4 micro-batches of 11",
    )
)

register(
    Claim(
        id="framework.token-gap",
        statement=(
            r"Token-level cross-entropy on padded sequences, each micro-batch normalised by its own count of real "
            r"tokens $n_k$, accumulated by \texttt{optax.MultiSteps} over $K=4$ micro-batches, gives "
            r"$-\eta\bigl(\nabla C + \sum_k \bigl(\frac1K - \frac{n_k}{N}\bigr)\bar g_k\bigr)$ within float64 rounding."
        ),
        check=lambda: check_multisteps("micro-batch", "mean-of-means"),
        control="the same gap with the opposite sign, sum_k (n_k/N - 1/K) gbar_k",
        control_check=lambda: check_multisteps("micro-batch", "opposite-gap"),
        evidence="float-bound",
        scope="float64, JAX 0.10 on CPU, at one parameter point theta_0 and one dataset: padded sequences, 4 micro-batches of 150 + 166 + 239 + 230 real tokens",
    )
)

register(
    Claim(
        id="framework.token-global-count",
        statement=(
            r"The same loop with each micro-batch's summed token loss divided by the global count $N$ of real tokens "
            r"(and MultiSteps summing) gives the full-batch update $-\eta\nabla C$ within float64 rounding."
        ),
        check=lambda: check_multisteps("global", "full"),
        control="each micro-batch normalised by its own token count (the loop of framework.token-gap), "
                "against the full-batch update",
        control_check=lambda: check_multisteps("micro-batch", "full"),
        evidence="float-bound",
        scope="float64, JAX 0.10 on CPU, at one parameter point theta_0 and one dataset: padded sequences, 4 micro-batches of 150 + 166 + 239 + 230 real tokens",
    )
)
