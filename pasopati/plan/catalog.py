"""Load and cross-check runbooks, roster, channel config and templates.

Every problem is reported as ``file: field: reason`` so an operator can fix the YAML without
reading Python; the server refuses to start while any problem remains.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from pasopati.plan.channels import ChannelsConfig
from pasopati.plan.roster import HEADQUARTERS, Roster
from pasopati.plan.runbook import CommonChecklist, Runbook, RunbookPlan, Severity
from pasopati.settings import Settings, get_settings

COMMON_FILE = "common.yaml"
ROSTER_FILE = "roster.yaml"
GAZETTEER_DIR = "gazetteer"  # every UPT and Kanwil (pasopati.plan.gazetteer)
NOT_RUNBOOKS = {COMMON_FILE, ROSTER_FILE, "channels.yaml", "classification.yaml", "feeds.yaml", "redirectors.yaml"}

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    file: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field or '(file)'}: {self.reason}"


class CatalogError(Exception):
    """One or more runbook/roster/channel files are invalid."""

    title = "invalid runbooks"

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{self.title}:\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class Catalog:
    runbooks: dict[str, Runbook]
    common: CommonChecklist
    roster: Roster
    channels: ChannelsConfig
    templates_dir: Path

    @property
    def categories(self) -> list[str]:
        return sorted(self.runbooks)

    def plan(self, category: str, severity: Severity | str) -> RunbookPlan:
        runbook = self.runbooks.get(category)
        if runbook is None:
            raise KeyError(f"unknown category {category!r}; known: {', '.join(self.categories)}")
        severity = Severity(severity)
        return RunbookPlan(
            category=category,
            category_title=runbook.title,
            severity=severity,
            category_title_en=runbook.title_en,
            checklist=[*(item.model_copy(update={"statement": runbook.statements[item.id]}) if item.id in runbook.statements else item
                         for item in self.common.checklist), *runbook.checklist],
            plan=runbook.severities[severity],
            headline=runbook.headline,
            topic=runbook.topic,
            first_questions=runbook.first_questions,
            actions=[a for a in runbook.standard_actions if a.from_severity.rank <= severity.rank],
            commitment=runbook.commitment,
            misconduct=runbook.misconduct,
            hashtags=runbook.hashtags,
            internal_details=[*self.common.internal_details, *runbook.internal_details],
            count_qualifiers=self.common.count_qualifiers,
            source_titles_en=self.common.source_titles_en,
            condolence=self.common.condolence,
            ralat_retracts=runbook.ralat_retracts,
        )


def load_catalog(settings: Settings | None = None) -> Catalog:
    """Load everything, collecting every problem before raising one ``CatalogError``."""
    settings = settings or get_settings()
    problems: list[Problem] = []
    folder = settings.runbooks_dir

    common = load_model(folder / COMMON_FILE, CommonChecklist, problems)
    roster = load_model(folder / ROSTER_FILE, Roster, problems)
    channels = load_model(settings.channels_file, ChannelsConfig, problems)
    runbooks: dict[str, Runbook] = {}
    files = sorted(p for p in folder.glob("*.yaml") if p.name not in NOT_RUNBOOKS)
    if not files:
        problems.append(Problem(str(folder), "", "no runbook files (*.yaml) found"))
    for path in files:
        runbook = load_model(path, Runbook, problems)
        if runbook is None:
            continue
        if runbook.category != path.stem:
            problems.append(Problem(relative(path), "category", f"{runbook.category!r} does not match the file name"))
            continue
        runbooks[runbook.category] = runbook

    if roster is not None and (folder / GAZETTEER_DIR).is_dir():
        problems += _extend_roster(roster, folder / GAZETTEER_DIR)
    if common and roster and channels:
        for category, runbook in runbooks.items():
            problems += _cross_check(folder / f"{category}.yaml", runbook, common, roster, channels, settings)
    problems += _missing_templates(runbooks, settings.templates_dir)
    if problems:
        raise CatalogError(problems)
    assert common and roster and channels  # no problems means all loaded
    return Catalog(runbooks, common, roster, channels, settings.templates_dir)


@lru_cache
def catalog() -> Catalog:
    """The process-wide catalog (loaded once; runbooks change with a restart)."""
    return load_catalog()


def _extend_roster(roster: Roster, folder: Path) -> list[Problem]:
    """Every UPT and Kanwil of the gazetteer becomes known to the roster (staffed by its Kanwil's team)."""
    from pasopati.plan.gazetteer import (  # the gazetteer imports this module
        GazetteerError,
        load_gazetteer,
        roster_entries,
    )

    try:
        roster.extend(*roster_entries(load_gazetteer(folder)))
    except GazetteerError as exc:
        return list(exc.problems)
    return []


# libyaml's safe loader when present (the same YAML, ~10× faster: the gazetteer's ~600 units load
# in 0.1 s instead of 1 s); the pure-Python one otherwise.
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_model(path: Path, model: type[M], problems: list[Problem]) -> M | None:
    """Read one YAML file into ``model``; append each problem (file, field, reason) and return None."""
    try:
        data: Any = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except FileNotFoundError:
        problems.append(Problem(relative(path), "", "file not found"))
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.append(Problem(relative(path), where, f"not valid YAML: {getattr(exc, 'problem', exc)}"))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            # "[key]" is pydantic's marker for a bad dict key; the key itself is already in the path.
            field = ".".join(str(part) for part in err["loc"] if part != "[key]")
            problems.append(Problem(relative(path), field, err["msg"]))
        return None


def _cross_check(
    path: Path,
    runbook: Runbook,
    common: CommonChecklist,
    roster: Roster,
    channels: ChannelsConfig,
    settings: Settings,
) -> list[Problem]:
    problems: list[Problem] = []
    file = relative(path)
    ids = [item.id for item in [*common.checklist, *runbook.checklist]]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(Problem(file, "checklist", f"item id {dup!r} appears more than once (common.yaml included)"))
    common_ids = {item.id for item in common.checklist}
    for item_id in runbook.statements:
        if item_id not in common_ids:
            problems.append(Problem(file, f"statements.{item_id}", f"{item_id!r} is not a common checklist item (common.yaml)"))
    public = {item.id for item in [*common.checklist, *runbook.checklist] if item.public}
    for i, item_id in enumerate(runbook.first_questions):
        if item_id not in public:
            problems.append(Problem(file, f"first_questions[{i}]", f"{item_id!r} is not a public checklist item"))
    if runbook.misconduct and runbook.misconduct.item not in ids:
        problems.append(Problem(file, "misconduct.item", f"unknown checklist item {runbook.misconduct.item!r}"))
    for i, channel in enumerate(runbook.ralat_retracts):
        if channel not in channels.channels:
            problems.append(Problem(file, f"ralat_retracts[{i}]", f"unknown channel {channel!r} (not in {settings.channels_file.name})"))
    for severity, plan in runbook.severities.items():
        base = f"severities.{severity.value}"
        refs = [(f"team[{i}]", slot) for i, slot in enumerate(plan.team)]
        refs += [("approval.authority", plan.approval.authority), ("spokesperson", plan.spokesperson)]
        refs += [("approval.via", plan.approval.via)] if plan.approval.via else []
        refs += [("approval.escalate_to", plan.approval.escalate_to)] if plan.approval.escalate_to else []
        refs += [(f"approval.informed[{i}]", r) for i, r in enumerate(plan.approval.informed)]
        for field, ref in refs:
            role = roster.roles.get(ref.role)
            if role is None:
                problems.append(Problem(file, f"{base}.{field}.role", f"unknown role {ref.role!r} (not in roster.yaml)"))
            elif role.level is not ref.level:
                problems.append(
                    Problem(file, f"{base}.{field}.level", f"role {ref.role!r} is a {role.level.value} role, not {ref.level.value}")
                )
        authority = plan.approval.authority
        if authority.level in HEADQUARTERS and authority.role in roster.roles:
            # One headquarters org: the roster itself says whether enough distinct people exist.
            held = sum(1 for p in roster.people if p.role == authority.role)
            if held < plan.approval.approvers_required:
                problems.append(
                    Problem(
                        file,
                        f"{base}.approval.approvers_required",
                        f"{plan.approval.approvers_required} distinct approvers required,"
                        f" but roster.yaml has {held} holder(s) of {authority.role!r}",
                    )
                )
        for i, message in enumerate(plan.messages):
            for channel in message.channels:
                if channel not in channels.channels:
                    problems.append(
                        Problem(file, f"{base}.messages[{i}].channels", f"unknown channel {channel!r} (not in {settings.channels_file.name})")
                    )
    return problems


def _missing_templates(runbooks: dict[str, Runbook], templates_dir: Path) -> list[Problem]:
    """One problem per missing template, naming the runbook cells that need it."""
    needed: dict[Path, list[str]] = {}
    for category, runbook in runbooks.items():
        for severity, plan in runbook.severities.items():
            for message in plan.messages:
                for language in message.languages:
                    path = templates_dir / language / f"{message.type.value}.j2"
                    needed.setdefault(path, []).append(f"{category}/{severity.value}")
    return [
        Problem(relative(path), "", f"template missing, needed by {', '.join(cells)}")
        for path, cells in needed.items()
        if not path.is_file()
    ]


def relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
