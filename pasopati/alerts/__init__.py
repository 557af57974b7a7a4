"""Monitoring alerts: every alert received, how it was classified, what became of it."""
