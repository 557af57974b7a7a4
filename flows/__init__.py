"""Prefect flows: one per crisis category; each category × severity is a deployment."""
