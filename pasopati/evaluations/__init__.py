"""Evaluation: how a crisis response went, measured from the record (evaluasi pascakrisis)."""
