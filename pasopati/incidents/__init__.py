"""Incidents: one crisis at one unit, the runbook runs that carried it, its stages and deadlines."""
