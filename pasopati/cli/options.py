"""Options several commands share, spelled once: a runbook cell and the unit it happens at, and the English
wording of facts."""

from __future__ import annotations

from typing import Annotated

import typer

from pasopati.plan.runbook import Severity

CategoryOption = Annotated[str, typer.Option("--category", help="Crisis category id, e.g. keamanan-ketertiban.")]
SeverityOption = Annotated[Severity, typer.Option("--severity", help="Severity.")]
UnitOption = Annotated[str, typer.Option("--unit", help="Unit (UPT) name, id or short form.")]
EnglishValues = Annotated[
    list[str],
    typer.Option("--set-en", help="ITEM=VALUE: the same value in English (repeatable); English texts state a free-text fact only in these words."),
]
