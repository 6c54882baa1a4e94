"""The claims the site makes, one module per family; see :func:`gradavg.claims.ledger`."""
