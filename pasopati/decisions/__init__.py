"""Decisions at the approval gates: who may decide, what each verdict does, every decision kept."""
