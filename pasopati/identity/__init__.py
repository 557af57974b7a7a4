"""Proven identity for every human act: who a person is, beyond a typed name matched to the roster.

Two proofs, both bound to a roster person (the canonical roster name, ``Roster.person_named``):

- **TOTP** (RFC 6238: 30 s steps, 6 digits): a person enrols an authenticator app once
  (``service.enrol``); each act carries a code checked inside the act's own transaction
  (``service.verify_code``): once per step, never from before the gate it answers, failures
  rate-limited in the store.
- **Approval links** (``links``): single-use, expiring tokens sent to the person's own roster
  contact, bound to one gate round and one text (``issue_link`` / ``peek_link`` / ``redeem_link``).

Either gives a ``models.Proof`` (method, person, a description for the audit log) or a
``models.Refusal`` (an Indonesian reason first). Secrets are stored encrypted with a key from
``keys`` (a Prefect Secret block by default); they never reach the roster YAML, audit details or logs.
"""
