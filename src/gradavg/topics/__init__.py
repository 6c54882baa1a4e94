"""One module per page topic: the science behind the page and its figure code, side by side.

Built on :mod:`gradavg.checks` and :mod:`gradavg.engine`; the claims in
:mod:`gradavg.derivations` and the pages build on these modules.
"""
