"""Run starts: every runbook run PASOPATI asks Prefect for is first a stored request, retried until it starts."""
