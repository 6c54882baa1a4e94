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
    check_replicated,
)

register(
    Claim.contrasting(
        id="framework.per-example",
        statement=(
            r"At $\theta_0$, for a ReLU network on Anscombe's quartet ($N=44$), JAX's $\nabla C$ from "
            r"$\texttt{jax.grad}$ of the mean loss and the mean of per-example gradients from "
            r"$\texttt{jax.vmap(jax.grad(...))}$ both equal the exact $\frac1N\sum_i\nabla L_i$ within float64 rounding."
        ),
        check=check_per_example,
        right=False,
        wrong=True,
        control="both routes with the targets broadcast against the predictions (the (N, 1) - (N,) shape bug; in "
                "vmap the targets unmapped): (2/N) sum_i (f_i - mean y) grad f_i, another direction, against the "
                "same mean of per-example gradients",
        evidence="float-bound",
        scope="float64, JAX 0.10 on CPU, at one parameter point theta_0 and one dataset: ReLU network, Anscombe's quartet (N = 44)",
    )
)

register(
    Claim.contrasting(
        id="framework.pmean-equal",
        statement=(
            r"At $\theta_0$, in $\texttt{jax.shard\_map}$ over $M=4$ devices with equal shards ($4\times 11$), "
            r"parameters marked varying ($\texttt{lax.pcast}$) and $\texttt{lax.pmean}$ of each device's mean-loss "
            r"gradient give $\nabla C$ within float64 rounding."
        ),
        check=lambda scheme: check_data_parallel(EQUAL_SHARDS, scheme, "full"),
        right="pmean",
        wrong="pmean-replicated",
        control="the same code without lax.pcast (shard_map's default check_vma=True): parameters replicated, "
                "whose gradient is already summed over devices, against the full-batch gradient",
        evidence="float-bound",
        scope="float64, JAX 0.10 on CPU, at one parameter point theta_0 and one dataset: Anscombe's quartet on 4 devices, shards 4 x 11",
    )
)

register(
    Claim.contrasting(
        id="framework.replicated-check-vma",
        statement=(
            r"At $\theta_0$, with equal shards ($4\times 11$) and the parameters left replicated (no "
            r"$\texttt{lax.pcast}$), $\texttt{lax.pmean}$ of each device's mean-loss gradient gives $M\,\nabla C$ "
            r"within float64 rounding when $\texttt{shard\_map}$ runs with $\texttt{check\_vma=True}$ (its default), "
            r"and $\nabla C$ when it runs with $\texttt{check\_vma=False}$."
        ),
        check=lambda control: check_replicated(control=control),
        right=False,
        wrong=True,
        control="the belief that the factor M does not depend on the setting: the check_vma=False run against "
                "M times the full-batch gradient",
        evidence="float-bound",
        scope="float64, JAX 0.10 on CPU, at one parameter point theta_0 and one dataset: Anscombe's quartet on 4 devices, shards 4 x 11, check_vma True and False",
    )
)

register(
    Claim.contrasting(
        id="framework.pmean-uneven-gap",
        statement=(
            r"At $\theta_0$, with uneven shards ($5+8+13+18$), $\texttt{lax.pmean}$ of the devices' mean-loss gradients gives "
            r"$\nabla C + \sum_m \bigl(\frac1M - \frac{n_m}{N}\bigr)\bar g_m$, the exact mean-of-means gap, within "
            r"float64 rounding."
        ),
        check=lambda expect: check_data_parallel(UNEVEN_SHARDS, "pmean", expect),
        right="mean-of-means",
        wrong="opposite-gap",
        control="the same gap with the opposite sign, sum_m (n_m/N - 1/M) gbar_m",
        evidence="float-bound",
        scope="float64, JAX 0.10 on CPU, at one parameter point theta_0 and one dataset: Anscombe's quartet on 4 devices, shards 5 + 8 + 13 + 18",
    )
)

register(
    Claim.contrasting(
        id="framework.psum-counts",
        statement=(
            r"At $\theta_0$, with uneven shards ($5+8+13+18$), $\texttt{lax.psum}$ of the devices' summed-loss "
            r"gradients over $\texttt{lax.psum}$ of their counts gives $\nabla C$ within float64 rounding."
        ),
        check=lambda scheme: check_data_parallel(UNEVEN_SHARDS, scheme, "full"),
        right="psum-counts",
        wrong="pmean",
        control="lax.pmean of the devices' mean-loss gradients on the same uneven shards",
        evidence="float-bound",
        scope="float64, JAX 0.10 on CPU, at one parameter point theta_0 and one dataset: Anscombe's quartet on 4 devices, shards 5 + 8 + 13 + 18",
    )
)

register(
    Claim.contrasting(
        id="framework.multisteps-equal",
        statement=(
            r"At $\theta_0$, $\texttt{optax.MultiSteps}$ with its default mean over $k=4$ equal micro-batches "
            r"($4\times 11$), each loss its own mean, gives the full-batch SGD update $-\eta\nabla C$ within float64 "
            r"rounding."
        ),
        check=check_equal_micro_batches,
        right=EQUAL_SHARDS,
        wrong=UNEVEN_SHARDS,
        control="the same loop over unequal micro-batches of 5, 8, 13 and 18 examples",
        evidence="float-bound",
        scope="float64, JAX 0.10 on CPU, at one parameter point theta_0 and one dataset: Anscombe's quartet, 4 micro-batches of 11",
    )
)

register(
    Claim.contrasting(
        id="framework.token-gap",
        statement=(
            r"At $\theta_0$, token-level cross-entropy on padded sequences, each micro-batch normalised by its own "
            r"count of real tokens $n_k$, accumulated by $\texttt{optax.MultiSteps}$ over $K=4$ micro-batches, gives "
            r"$-\eta\bigl(\nabla C + \sum_k \bigl(\frac1K - \frac{n_k}{N}\bigr)\bar g_k\bigr)$ within float64 rounding."
        ),
        check=lambda expect: check_multisteps("micro-batch", expect),
        right="mean-of-means",
        wrong="opposite-gap",
        control="the same gap with the opposite sign, sum_k (n_k/N - 1/K) gbar_k",
        evidence="float-bound",
        scope="float64, JAX 0.10 on CPU, at one parameter point theta_0 and one dataset: padded sequences, 4 micro-batches of 150 + 166 + 239 + 230 real tokens",
    )
)

register(
    Claim.contrasting(
        id="framework.token-global-count",
        statement=(
            r"At $\theta_0$, the same loop with each micro-batch's summed token loss divided by the global count $N$ of real tokens "
            r"(and MultiSteps summing) gives the full-batch update $-\eta\nabla C$ within float64 rounding."
        ),
        check=lambda normalisation: check_multisteps(normalisation, "full"),
        right="global",
        wrong="micro-batch",
        control="each micro-batch normalised by its own token count (the loop of framework.token-gap), "
                "against the full-batch update",
        evidence="float-bound",
        scope="float64, JAX 0.10 on CPU, at one parameter point theta_0 and one dataset: padded sequences, 4 micro-batches of 150 + 166 + 239 + 230 real tokens",
    )
)
