"""Prefect RunInput forms for the human gates. The UI renders them as the run's resume form;
``pasopati verify/approve/reject`` submit the same fields through the API."""

from __future__ import annotations

import re
from typing import Any

from prefect.input import RunInput
from pydantic import Field, create_model

from pasopati.models import Draft, Verdict
from pasopati.runbook import RunbookPlan

# Gates: which human step a suspended run is waiting at. The pause key is the gate, then
# "-ke-2", "-ke-3"… for each further round at it (a refused or second approver, a revised draft).
# Prefect allows only letters, digits and dashes in run input keys.
GATE_HOLDING = "persetujuan-awal"
GATE_VERIFICATION = "verifikasi"
GATE_FULL = "persetujuan-lengkap"
GATE_CORRECTION = "persetujuan-koreksi"
APPROVAL_GATES = (GATE_HOLDING, GATE_FULL, GATE_CORRECTION)
REVISION_PREFIX = "revisi-"  # "revisi-persetujuan-awal": back to drafting after request-changes
ROUND = re.compile(r"-ke-(\d+)$")


def pause_key(gate: str, round_: int) -> str:
    return gate if round_ == 1 else f"{gate}-ke-{round_}"


def gate_of(key: str) -> str:
    return ROUND.sub("", key)


def round_of(key: str) -> int:
    match = ROUND.search(key)
    return int(match.group(1)) if match else 1


def revision_gate(gate: str) -> str:
    return f"{REVISION_PREFIX}{gate}"


def text_field(draft: Draft) -> str:
    """Form field holding a draft's text: one per message type and language within a gate."""
    return f"teks_{draft.message_type.value}_{draft.language}"


class ApprovalInput(RunInput):
    verdict: Verdict = Field(title="Keputusan (approve / edit / request-changes / reject)")
    approver: str = Field(min_length=2, title="Nama pemberi keputusan (sesuai roster)")
    reason: str = Field("", title="Alasan / catatan (wajib untuk request-changes dan reject)")

    def texts(self) -> dict[str, str]:
        """Form field → text, for the draft-text fields the form carries."""
        return {k: v for k, v in self.model_dump().items() if k.startswith("teks_") and isinstance(v, str)}


class RevisionInput(RunInput):
    drafter: str = Field(min_length=2, title="Disusun ulang oleh")
    note: str = Field("", title="Catatan perubahan")

    def texts(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if k.startswith("teks_") and isinstance(v, str)}


def with_draft_texts(base: type[RunInput], drafts: list[Draft], name: str) -> type[RunInput]:
    """``base`` plus one optional text field per draft, titled with its type and channels."""
    fields: dict[str, Any] = {
        text_field(d): (
            str | None,
            Field(None, title=f"Teks {d.message_type.value} ({d.language})", description=", ".join(d.channels)),
        )
        for d in drafts
    }
    return create_model(name, __base__=base, **fields)


class VerificationBase(RunInput):
    verified_by: str = Field(min_length=2, title="Diverifikasi oleh")
    source: str = Field(min_length=2, title="Sumber utama (mis. SDP, Polres, RSUD, BMKG)")
    sources: dict[str, str] = Field(default_factory=dict, title="Sumber per butir (opsional: butir → sumber)")

    def answers(self) -> dict[str, str]:
        """Checklist item id → confirmed value (blank answers mean: still not confirmed)."""
        fixed = set(VerificationBase.model_fields)
        return {k: v.strip() for k, v in self.model_dump().items() if k not in fixed and v and v.strip()}


def verification_form(plan: RunbookPlan) -> type[VerificationBase]:
    """One optional text field per checklist item of this runbook, titled with its label."""
    fields: dict[str, Any] = {
        item.id: (str | None, Field(None, title=item.label, description=_hint(item.question, item.source_hint)))
        for item in plan.checklist
    }
    return create_model(f"Verifikasi_{plan.category.replace('-', '_')}", __base__=VerificationBase, **fields)


def _hint(question: str, source_hint: str) -> str:
    return f"{question} ({source_hint})" if source_hint else question
