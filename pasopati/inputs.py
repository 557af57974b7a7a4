"""Prefect RunInput forms for the human gates. The UI renders them as the run's resume form;
``pasopati verify/approve/reject`` submit the same fields through the API."""

from __future__ import annotations

from typing import Any

from prefect.input import RunInput
from pydantic import Field, create_model

from pasopati.models import Verdict
from pasopati.runbook import RunbookPlan

# Pause keys: which human gate a suspended run is waiting at.
GATE_HOLDING = "persetujuan-awal"
GATE_VERIFICATION = "verifikasi"
GATE_FULL = "persetujuan-lengkap"
APPROVAL_GATES = (GATE_HOLDING, GATE_FULL)


class ApprovalInput(RunInput):
    verdict: Verdict = Field(title="Keputusan (approve / reject)")
    approver: str = Field(min_length=2, title="Nama pemberi keputusan")
    reason: str = Field("", title="Alasan / catatan")


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
