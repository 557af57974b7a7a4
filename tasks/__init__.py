"""Prefect tasks, one module per runbook stage. Each takes and returns pydantic models."""
