"""The plan: runbooks (what each category × severity demands), the roster (who holds each role
where) and the channels, loaded from ``runbooks/*.yaml`` and cross-checked (``catalog``)."""
