"""``pasopati intake``: build the intake from settings and serve it with uvicorn."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from pasopati.alerts.classify import load_rules
from pasopati.db import get_database
from pasopati.intake.app import create_app
from pasopati.intake.auth import credentials
from pasopati.intake.pipeline import Intake
from pasopati.plan.catalog import catalog
from pasopati.settings import get_settings
from pasopati.starts.prefect import PrefectRuns


def build_app() -> FastAPI:
    settings = get_settings()
    intake = Intake(get_database(), catalog(), load_rules(), PrefectRuns(), settings)
    return create_app(intake, credentials(settings))


def serve_intake() -> None:
    settings = get_settings()
    uvicorn.run(build_app(), host=settings.host, port=settings.intake_port, log_level="warning", access_log=False)
