"""Prefect RunInput forms for the human gates (the gates themselves: pasopati.decisions.gates).

The UI renders them as the run's resume form; ``pasopati verify/approve/reject`` submit the same
fields through the API. Text is cleaned on the way in and bounded, so the value hashed is the
value stored, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from prefect.input import RunInput
from pydantic import Field, create_model

from pasopati.db.types import CleanStr
from pasopati.decisions.models import Verdict
from pasopati.drafts.models import Draft
from pasopati.plan.runbook import RunbookPlan


def text_field(draft: Draft) -> str:
    """Form field holding a draft's text: one per message type and language within a gate."""
    return f"teks_{draft.message_type.value}_{draft.language}"


class ApprovalInput(RunInput):
    verdict: Verdict = Field(title="Keputusan (approve / edit / request-changes / reject)")
    approver: CleanStr = Field(min_length=2, max_length=200, title="Nama pemberi keputusan (sesuai roster)")
    reason: CleanStr = Field("", max_length=4000, title="Alasan / catatan (wajib untuk request-changes dan reject)")

    def texts(self) -> dict[str, str]:
        """Form field → text, for the draft-text fields the form carries."""
        return {k: v for k, v in self.model_dump().items() if k.startswith("teks_") and isinstance(v, str)}


class RevisionInput(RunInput):
    drafter: CleanStr = Field(min_length=2, max_length=200, title="Disusun ulang oleh")
    note: CleanStr = Field("", max_length=4000, title="Catatan perubahan")

    def texts(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if k.startswith("teks_") and isinstance(v, str)}


def with_draft_texts(base: type[RunInput], drafts: list[Draft], name: str) -> type[RunInput]:
    """``base`` plus one optional text field per draft, titled with its type and channels."""
    fields: dict[str, Any] = {
        text_field(d): (
            CleanStr | None,
            Field(None, max_length=100_000, title=f"Teks {d.message_type.value} ({d.language})", description=", ".join(d.channels)),
        )
        for d in drafts
    }
    return create_model(name, __base__=base, **fields)


class VerificationBase(RunInput):
    verified_by: CleanStr = Field(min_length=2, max_length=200, title="Diverifikasi oleh")
    source: CleanStr = Field(min_length=2, max_length=500, title="Sumber utama (mis. SDP, Polres, RSUD, BMKG)")
    sources: dict[str, CleanStr] = Field(default_factory=dict, title="Sumber per butir (opsional: butir → sumber)")

    def answers(self) -> dict[str, str]:
        """Checklist item id → confirmed value (blank answers mean: still not confirmed)."""
        fixed = set(VerificationBase.model_fields)
        return {k: v.strip() for k, v in self.model_dump().items() if k not in fixed and v and v.strip()}


def verification_form(plan: RunbookPlan) -> type[VerificationBase]:
    """One optional text field per checklist item of this runbook, titled with its label."""
    fields: dict[str, Any] = {
        item.id: (CleanStr | None, Field(None, max_length=4000, title=item.label, description=_hint(item.question, item.source_hint)))
        for item in plan.checklist
    }
    return create_model(f"Verifikasi_{plan.category.replace('-', '_')}", __base__=VerificationBase, **fields)


def _hint(question: str, source_hint: str) -> str:
    return f"{question} ({source_hint})" if source_hint else question
