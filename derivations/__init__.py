"""The claims the site makes, one module per family; installed as ``gradavg.derivations``, see :func:`gradavg.engine.claims.ledger`."""
