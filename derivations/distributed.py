"""Across processes: DistributedDataParallel's average, synchronised batch statistics and gathered negatives.

Every check runs real PyTorch code (``DistributedDataParallel``,
``torch.distributed`` collectives) in two ranks of one ``gloo`` process group
on 127.0.0.1, float64, and compares both ranks' results, exactly, with
references computed without PyTorch (see :mod:`gradavg.topics.distributed`).
Without PyTorch the checks fail and say what is missing.
"""

from __future__ import annotations

from gradavg.engine.claims import Claim, register
from gradavg.topics.distributed import (
               EQUAL,
               UNEVEN,
               check_contrastive,
               check_ddp,
               check_hf,
               check_moments,
)

#: the data of the three DDP claims, in the words of the scopes
_REGRESSION = ("linear regression with squared error, 2 features and a bias, 8 dyadic examples sorted by the "
               "first feature, at one dyadic parameter point")

register(
    Claim.contrasting(
        id="distributed.ddp-equal",
        statement=(
            r"At one parameter point, for linear regression with squared error on $N=8$ examples split $4+4$ over "
            r"$R=2$ gloo ranks, each rank's loss its local mean, the gradient $\texttt{DistributedDataParallel}$ "
            r"leaves in every rank equals the exact full-batch $\nabla C=\frac1N\sum_i\nabla L_i$ within float64 rounding."
        ),
        check=lambda expect: check_ddp(EQUAL, "mean", expect),
        right="full",
        wrong="world-full",
        control="the belief that DDP sums the ranks' gradients: the same DDP gradient against R times the "
                "full-batch gradient",
        evidence="float-bound",
        scope=f"float64, torch 2.14.1 on CPU, world size 2 (gloo, 127.0.0.1), local batches 4 + 4; {_REGRESSION}",
    )
)

register(
    Claim.contrasting(
        id="distributed.ddp-uneven",
        statement=(
            r"At the same parameter point, with the same $N=8$ examples split $3+5$ over $R=2$ gloo ranks, each rank's loss its "
            r"local mean, $\texttt{DistributedDataParallel}$'s gradient equals the exact mean of local means "
            r"$\frac1R\sum_r\frac1{n_r}\sum_{i\in r}\nabla L_i$ (each example weighted $\frac1{Rn_r}$, not "
            r"$\frac1N$) within float64 rounding."
        ),
        check=lambda expect: check_ddp(UNEVEN, "mean", expect),
        right="mean-of-means",
        wrong="full",
        control="the belief that DDP's average is the full-batch gradient whatever the local batch sizes: the "
                "same DDP gradient against the full-batch gradient",
        evidence="float-bound",
        scope=f"float64, torch 2.14.1 on CPU, world size 2 (gloo, 127.0.0.1), local batches 3 + 5; {_REGRESSION}",
    )
)

register(
    Claim.contrasting(
        id="distributed.ddp-fix",
        statement=(
            r"At the same parameter point, on the same $N=8$ examples with local batches $3+5$ over $R=2$ gloo ranks, each rank's loss "
            r"$\frac{R}{N}\sum_{i\in r}L_i$, its local sum over the global count $N$ (from $\texttt{all\_reduce}$ "
            r"of the local counts) times the world size, $\texttt{DistributedDataParallel}$'s gradient equals the "
            r"exact full-batch $\nabla C$ within float64 rounding."
        ),
        check=lambda recipe: check_ddp(UNEVEN, recipe, "full"),
        right="global-count-times-world",
        wrong="global-count",
        control="the local sum over the all-reduced global count without the factor R (forgetting that DDP "
                "averages over ranks, pytorch #37359), which gives the full-batch gradient over R, against the "
                "full-batch gradient",
        evidence="float-bound",
        scope=f"float64, torch 2.14.1 on CPU, world size 2 (gloo, 127.0.0.1), local batches 3 + 5; {_REGRESSION}",
    )
)

register(
    Claim.contrasting(
        id="distributed.batchnorm-sync",
        statement=(
            r"For $N=8$ batch-norm inputs of 2 channels split $3+5$ over $R=2$ gloo ranks, each rank's count "
            r"$n_r$, per-channel sum and sum of squares gathered with $\texttt{all\_gather}$ and combined as "
            r"$\mu=\frac{\sum_r S_r}{\sum_r n_r}$, $\sigma^2=\frac{\sum_r Q_r}{\sum_r n_r}-\mu^2$ give, in every "
            r"rank, the full batch's mean and biased variance within float64 rounding. This checks the collective "
            r"arithmetic synchronised batch norm needs, not the $\texttt{SyncBatchNorm}$ module (it needs an accelerator)."
        ),
        check=lambda combine: check_moments(UNEVEN, combine),
        right="counts",
        wrong="equal-counts",
        control="the ranks' statistics merged as if every rank held the same number of examples (the mean of the "
                "means, and the mean of v_r + (m_r - m)^2: right for equal counts, the uneven-batch bug of pytorch "
                "#22192 otherwise), against the full batch's statistics",
        evidence="float-bound",
        scope="float64, torch 2.14.1 on CPU, world size 2 (gloo, 127.0.0.1), local batches 3 + 5; one data set of "
              "8 dyadic inputs of 2 channels (every operation happens to be exact on them)",
    )
)

register(
    Claim.contrasting(
        id="distributed.in-batch-negatives",
        statement=(
            r"At one encoder weight $W$, for an InfoNCE loss over $N=6$ query-key pairs split $3+3$ over $R=2$ gloo "
            r"ranks (each rank's loss the mean over its queries of the cross-entropy of "
            r"$s_{ij}=(Wa_i)\cdot(Wb_j)$ against all $N$ keys, its own key the label), keys gathered with "
            r"$\texttt{torch.distributed.nn.functional.all\_gather}$, $\texttt{DistributedDataParallel}$'s gradient "
            r"of $W$ equals the exact full-batch $\nabla C$, $C=\frac1N\sum_i\bigl(\log\sum_j e^{s_{ij}}-s_{ii}\bigr)$, "
            r"within a float64 bound (no factor $R$ is needed: the gather's backward sums each key's gradient "
            r"over the ranks, DDP divides by $R$)."
        ),
        check=check_contrastive,
        right="autograd",
        wrong="plain",
        control="the other ranks' keys gathered with torch.distributed.all_gather (no gradient flows through it), "
                "the own slot replaced by the local keys: the terms through the other ranks' copies of each key "
                "are lost",
        evidence="float-bound",
        scope="float64, torch 2.14.1 on CPU, world size 2 (gloo, 127.0.0.1), 3 pairs a rank, one dyadic encoder "
              "weight and one data set of 6 dyadic pairs in 2 dimensions; the reference is computed to 50 digits "
              "with mpmath, and the bound assumes PyTorch's exp and log are within 20 ulps",
    )
)

register(
    Claim.contrasting(
        id="distributed.hf-ranks",
        statement=(
            r"At one parameter point of a bigram model (float64 logits $\theta_{a\cdot}$ after token $a$, 4 tokens), "
            r"over $R=2$ gloo ranks, two sequences a rank, the ranks holding $3$ and $8$ label tokens after the "
            r"causal shift ($-100$ excluded), transformers' $\texttt{ForCausalLMLoss}$ in each rank with "
            r"$\texttt{num\_items\_in\_batch}$ the all-reduced count $N=11$ and its loss multiplied by $R$ gives a "
            r"$\texttt{DistributedDataParallel}$ gradient equal to the full-batch token-mean gradient "
            r"$\frac1N\sum_t\nabla\ell_t$ within a float32 bound (the loss upcasts the logits to float32)."
        ),
        check=check_hf,
        right="global",
        wrong="local",
        control="each rank's own count of label tokens as num_items_in_batch and no factor R (Trainer with "
                "average_tokens_across_devices=False), which gives the mean of the ranks' token means, against the "
                "full-batch token-mean gradient",
        evidence="float-bound",
        scope="torch 2.14.1 and transformers 5.24.0 on CPU, world size 2 (gloo, 127.0.0.1), one parameter point of a "
              "4-token bigram model and one data set of 2 sequences of 5 tokens a rank (3 + 8 label tokens); "
              "float32 inside ForCausalLMLoss, the bound in float32's unit roundoff; the reference computed to 50 "
              "digits with mpmath, and the bound assumes PyTorch's exp and log are within 20 ulps",
    )
)
