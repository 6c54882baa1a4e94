"""Claims about averaging bugs in real training stacks, in one process: PyTorch's sampler, HF's loss, accelerate, clipping, batch norm."""

from gradavg.engine.claims import Claim, register
from gradavg.topics.stacks import (
    check_accelerate,
    check_batchnorm_accumulation,
    check_clipping,
    check_hf_accumulation,
    check_sampler,
    check_shard_norms,
)

register(
    Claim.contrasting(
        id="stacks.sampler-padding",
        statement=(
            r"For every $1\le N\le 12$ and $1\le R\le 4$, the indices that $\texttt{DistributedSampler}(\mathrm{range}(N),"
            r"\ R,\ \texttt{shuffle=False},\ \texttt{drop\_last=False})$ hands out over all $R$ ranks are the padded epoch "
            r"$j \bmod N$, $0\le j<N+d$, with $d=\lceil N/R\rceil R-N$, and the mean of the per-example gradients over them "
            r"is $G+\frac{1}{N+d}\bigl(\sum_{j<d} g_{j \bmod N}-dG\bigr)$, with $G=\frac1N\sum_i g_i$, exactly for "
            r"every $g_0,\dots,g_{N-1}$."
        ),
        check=lambda target: check_sampler("padded-mean", target),
        right="padding-formula",
        wrong="G",
        control="the padded epoch's mean is G, the full-batch mean (false wherever d > 0 and N does not divide d)",
        evidence="exhaustive",
        scope="torch 2.14.1, every N in 1..12 and R in 1..4 (48 cases), all ranks, shuffle=False, "
              "symbolic per-example gradients",
    )
)

register(
    Claim.contrasting(
        id="stacks.sampler-drop-last",
        statement=(
            r"For every $1\le N\le 12$ and $1\le R\le 4$, with $\texttt{drop\_last=True}$ the sampler hands out over all "
            r"ranks each of the first $R\lfloor N/R\rfloor$ indices once and no other (none when $N<R$), so the mean "
            r"of the per-example gradients over them is the mean over those examples, exactly, for every "
            r"$g_0,\dots,g_{N-1}$."
        ),
        check=lambda target: check_sampler("drop-last-mean", target),
        right="kept-mean",
        wrong="G",
        control="drop_last=True restores the full mean G (false wherever N >= R and N mod R > 0)",
        evidence="exhaustive",
        scope="torch 2.14.1, every N in 1..12 and R in 1..4 (48 cases), all ranks, shuffle=False, "
              "symbolic per-example gradients",
    )
)

register(
    Claim.contrasting(
        id="stacks.sampler-count-once",
        statement=(
            r"For every $1\le N\le 12$ and $1\le R\le 4$, weighting rank $r$'s $k$-th index from the padded sampler by "
            r"$\frac1N$ when its position $r+kR$ in the padded epoch is below $N$ and by $0$ otherwise gives exactly "
            r"$G=\frac1N\sum_i g_i$, for every $g_0,\dots,g_{N-1}$."
        ),
        check=lambda recipe: check_sampler(recipe, "G"),
        right="count-once",
        wrong="repeats-over-n",
        control="dividing by N instead of N + d but keeping the repeated examples (every index handed out summed, "
                "over N), against G",
        evidence="exhaustive",
        scope="torch 2.14.1, every N in 1..12 and R in 1..4 (48 cases), all ranks, shuffle=False, drop_last=False, "
              "symbolic per-example gradients",
    )
)

_HF_SCOPE = ("transformers 5.24.0, torch 2.14.1 on CPU, at one point: a bigram logit table W (5 x 5, multiples of "
             "1/4) in float64, K = 3 micro-batches of 8 + 3 + 7 label tokens with padding and masked prompts; "
             "ForCausalLMLoss upcasts to float32, so the bound uses float32's unit roundoff, assuming each float32 "
             "exp and log within 20 ulps; reference softmax to 50 digits (its error, below 1e-40 per token, added)")

register(
    Claim.contrasting(
        id="stacks.hf-accumulation",
        statement=(
            r"At one point $W$, accumulating $K=3$ micro-batches as Hugging Face's Trainer did before "
            r"$\texttt{num\_items\_in\_batch}$ ($\texttt{ForCausalLMLoss}$ without it, each loss divided by $K$, one "
            r"backward per micro-batch) gives $\sum_k \frac{1}{K n_k}\sum_{t\in k}\nabla\ell_t$, the mean of "
            r"micro-batch means over their $n_k$ label tokens (after the shift, $-100$ excluded), within float32 "
            r"rounding."
        ),
        check=lambda expect: check_hf_accumulation("own-mean", expect),
        right="own-mean",
        wrong="num-items-shifted",
        control="the same accumulated gradient against the full-batch token mean (1/N) sum_t grad l_t",
        evidence="float-bound",
        scope=_HF_SCOPE,
    )
)

register(
    Claim.contrasting(
        id="stacks.hf-num-items",
        statement=(
            r"At the same point, $\texttt{ForCausalLMLoss}$ with $\texttt{num\_items\_in\_batch}=N$, the label tokens of "
            r"all $K$ micro-batches counted after the shift with $-100$ excluded, and no division by $K$, accumulates "
            r"to the full-batch token mean $\frac1N\sum_t\nabla\ell_t$ within float32 rounding."
        ),
        check=lambda normalisation: check_hf_accumulation(normalisation, "num-items-shifted"),
        right="num-items-shifted",
        wrong="num-items-unshifted",
        control="num_items_in_batch counted before the shift (labels other than -100 in the unshifted labels, "
                "N' = 22 instead of N = 18), against the full-batch token mean",
        evidence="float-bound",
        scope=_HF_SCOPE,
    )
)

register(
    Claim.contrasting(
        id="stacks.accelerate-steps",
        statement=(
            r"At one point, for float64 linear regression over $K=3$ micro-batches of $2+3+5$ examples, "
            r"$\texttt{Accelerator(gradient\_accumulation\_steps=3, cpu=True)}$ with $\texttt{accumulate}$ and "
            r"$\texttt{backward}$ of each micro-batch's mean loss gives $\sum_k\frac{1}{K n_k}\sum_{i\in k}\nabla L_i$, "
            r"the mean of micro-batch means, within float64 rounding, and not the full-batch mean "
            r"$\frac1N\sum_i\nabla L_i$."
        ),
        check=check_accelerate,
        right=False,
        wrong=True,
        control="the user divides each loss by K again before accelerator.backward (which divides by K itself), "
                "against the mean of micro-batch means",
        evidence="float-bound",
        scope="accelerate 1.15.0, torch 2.14.1 on CPU, float64, at one point (w, b) = (3/4, -1/2, 1/8) and one "
              "dataset of 10 dyadic examples in micro-batches of 2, 3 and 5; one Accelerator per process, reused",
    )
)

register(
    Claim.contrasting(
        id="stacks.clip-timing",
        statement=(
            r"For micro-batch gradients $g_1=(6,8)$ and $g_2=(-3,-4)$ and $\texttt{max\_norm}=6$, "
            r"$\texttt{clip\_grad\_norm\_}$ once after accumulating gives $\mathrm{clip}(g_1+g_2)=(3,4)$ (norm 5, not "
            r"clipped), while clipping each micro-batch and adding gives $\mathrm{clip}(g_1)+\mathrm{clip}(g_2)"
            r"\approx(0.6,0.8)$, with $\mathrm{clip}(v)=v\min\bigl(1,\frac{6}{\lVert v\rVert+10^{-6}}\bigr)$, both "
            r"within float64 rounding."
        ),
        check=check_clipping,
        right="sum-of-clipped",
        wrong="clipped-sum",
        control="clipping per micro-batch is the same as clipping after accumulation: the per-micro-batch result "
                "against clip(g_1 + g_2)",
        evidence="float-bound",
        scope="torch 2.14.1, float64, one witness: g_1 = (6, 8), g_2 = (-3, -4), max_norm = 6 (Pythagorean "
              "values, so the exact norms 10, 5 and 5 are rational)",
    )
)

register(
    Claim.contrasting(
        id="stacks.shard-norm",
        statement=(
            r"For a gradient held in two shards $(3,4)$ and $(0,-12)$ (as FSDP or ZeRO ranks hold it), the norm "
            r"of the whole gradient is $13=\sqrt{5^2+12^2}$, the root of the sum of the squared shard norms: "
            r"$\texttt{get\_total\_norm}$ of both shards and $\texttt{get\_total\_norm}$ of the two shard norms both "
            r"give it, within float64 rounding (one process; the shards are tensors, not ranks)."
        ),
        check=check_shard_norms,
        right="root-sum-squares",
        wrong="sum-of-norms",
        control="the shard norms added (5 + 12 = 17), what an all-reduce of the norms instead of their squares gives, "
                "against the global norm 13",
        evidence="float-bound",
        scope="torch 2.14.1, float64, one witness: shards (3, 4) and (0, -12), norms 5, 12 and 13",
    )
)

register(
    Claim.contrasting(
        id="stacks.batchnorm-accumulation",
        statement=(
            r"For $\texttt{torch.nn.BatchNorm1d}(2,\ \epsilon=\frac14)$ in training mode in float64 at $\gamma=(\frac32,"
            r"-\frac12)$, $\beta=(\frac14,-\frac34)$, and one data set of $N=6$ two-channel inputs $x_i$ and targets "
            r"$t_i$ in $K=2$ micro-batches of $2+4$, accumulating one backward per micro-batch $k$ of "
            r"$L_k=\frac1N\sum_{i\in k}\lVert y_i-t_i\rVert^2$ gives, for the gradients of $\gamma$, of $\beta$ and "
            r"of every input $x_i$, within float64 rounding, the exact gradient of $\sum_k L_k$ with each micro-batch "
            r"normalised by its own statistics, $y_i=\gamma\,(x_i-\mu_k)/\sqrt{v_k+\epsilon}+\beta$ ($\mu_k$ and the "
            r"biased variance $v_k$ of micro-batch $k$), and not the gradient of the full batch normalised with the "
            r"full batch's $\mu$ and $v$."
        ),
        check=check_batchnorm_accumulation,
        right="micro-batch",
        wrong="full-batch",
        control="accumulation reproduces the full batch: the same accumulated gradient against the exact gradient "
                "of the full batch normalised with full-batch statistics",
        evidence="float-bound",
        scope="torch 2.14.1 on CPU, float64, BatchNorm1d(2, eps=1/4), affine, training mode, at one point "
              "gamma = (3/2, -1/2), beta = (1/4, -3/4); one data set of 6 dyadic two-channel inputs and targets in "
              "K = 2 micro-batches of 2 and 4, chosen so that var + eps is a dyadic square (25/64 or 49/64) in every "
              "micro-batch and in the full batch; loss sum (y - t)^2 / 6 per micro-batch (weights 1/N); 1/sqrt "
              "assumed within 20 ulps (40 roundings, as ELEMENTARY_ROUNDINGS); two-pass mean and variance as in "
              "torch's CPU kernel",
    )
)
