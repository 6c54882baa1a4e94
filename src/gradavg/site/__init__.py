"""The Sphinx side, the top layer: the extension, the ledger view, claim displays in pages,
notebook downloads and reproducibility checks of the built site.
"""
