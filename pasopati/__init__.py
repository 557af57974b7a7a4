"""PASOPATI: crisis-communication runbooks for Ditjenpas, run on Prefect 3."""
