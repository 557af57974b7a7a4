"""Loading the rules: ``load_rules`` validates the file, every phrase (by compiling the matcher) and that each
category has its runbook; ``default_rules`` is the shipped file, loaded once per process.

Apart from ``schema`` because checking the phrases needs the matcher, and the matcher needs the schema."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pasopati.alerts.classify.matcher import compiled
from pasopati.alerts.classify.schema import Rules
from pasopati.plan.catalog import CatalogError, Problem, load_model, relative
from pasopati.settings import get_settings

RULES_FILE = "classification.yaml"


class RulesError(CatalogError):
    """The classification rules file is invalid."""

    title = "invalid classification rules"


def load_rules(path: Path | None = None) -> Rules:
    """Load and validate the rules, reporting every problem as ``file: field: reason``."""
    path = path or get_settings().runbooks_dir / RULES_FILE
    file = relative(path)
    problems: list[Problem] = []
    rules = load_model(path, Rules, problems)
    if rules is not None:
        problems += [Problem(file, field, reason) for field, reason in compiled(rules).problems]
        problems += [
            Problem(file, f"categories.{cid}", f"no runbook {cid}.yaml next to {path.name}")
            for cid in rules.categories
            if not (path.parent / f"{cid}.yaml").is_file()
        ]
    if problems:
        raise RulesError(problems)
    assert rules is not None
    return rules


@lru_cache
def default_rules() -> Rules:
    """The shipped rules, loaded once per process (used when no ``Rules`` is passed)."""
    return load_rules()
