"""What users call: the public checks (``check_gradient_of_mean``, ``check_batch_cost``,
``minibatch_moments``, ``noise_scale``, ``probe_additivity``), the safe parser, a check of a loss
typed as text, the ledger's rows, what the in-browser engine calls, and JAX's set-up.

Built on :mod:`gradavg.engine` only; the command line (:mod:`gradavg.cli`) sits above every layer.
"""
