"""The Sphinx side, the highest layer (only the command line sits above it): the extension (one room per concern, :mod:`gradavg.site.sphinxext`)
and its settings, the statements read from the pages, the ledger view, claim displays in pages,
notebook downloads and reproducibility checks of the built site.
"""
