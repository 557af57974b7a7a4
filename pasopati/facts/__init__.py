"""Facts: the checklist figures of an incident, append-only versions with source and verifier."""
