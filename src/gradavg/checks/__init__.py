"""What users call: the public checks (``check_gradient_of_mean``, ``check_batch_cost``,
``minibatch_moments``, ``noise_scale``, ``probe_additivity``), the safe parser and the command line.

Built on :mod:`gradavg.engine` only.
"""
