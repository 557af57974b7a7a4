"""Prefect RunInput forms for the human gates (the gates themselves: pasopati.decisions.gates).

The UI renders them as the run's resume form. Every field is optional on purpose: the CLI and the
approval page record their acts in the store and then wake the run with an empty input (Prefect
stores none), and a submission missing what an act needs — the name, the round, the text hash,
the TOTP code — must reach the run to be refused *and recorded*, not bounce off a schema. Text is
cleaned on the way in and bounded, so the value hashed is the value stored, on SQLite and
PostgreSQL alike."""

from __future__ import annotations

from typing import Annotated, Any

from prefect.input import RunInput
from pydantic import Field, create_model

from pasopati.db.types import CleanStr
from pasopati.decisions.models import Verdict
from pasopati.drafts.models import Draft
from pasopati.plan.runbook import RunbookPlan


def text_field(draft: Draft) -> str:
    """Form field holding a draft's text: one per message type and language within a gate."""
    return f"teks_{draft.message_type.value}_{draft.language}"


Code = Field(None, max_length=20, title="Kode TOTP (6 angka dari aplikasi autentikator Anda)")
RoundKey = Field(None, max_length=96, title="Ronde gerbang (terisi otomatis; jangan diubah)")


class ProvenInput(RunInput):
    """Fields every human act carries: the round it answers and the proof of who acts."""

    putaran: CleanStr | None = RoundKey
    kode: CleanStr | None = Code

    def is_empty(self) -> bool:
        """Nothing submitted: the doorbell of an act already recorded, or a resume without input."""
        return not any(v for k, v in self.model_dump().items() if k != "putaran")


class ApprovalInput(ProvenInput):
    verdict: Verdict | None = Field(None, title="Keputusan (approve / edit / request-changes / reject)")
    approver: CleanStr | None = Field(None, max_length=200, title="Nama pemberi keputusan (sesuai roster)")
    hash_teks: CleanStr | None = Field(None, max_length=64, title="Hash teks yang Anda putuskan (terisi otomatis; berubah bila teks berubah)")
    reason: CleanStr = Field("", max_length=4000, title="Alasan / catatan (wajib untuk request-changes dan reject)")

    def texts(self) -> dict[str, str]:
        """Form field → text, for the draft-text fields the form carries."""
        return {k: v for k, v in self.model_dump().items() if k.startswith("teks_") and isinstance(v, str)}

    def is_empty(self) -> bool:
        return self.verdict is None and not (self.approver or self.kode or self.reason or self.texts())


class RevisionInput(ProvenInput):
    drafter: CleanStr | None = Field(None, max_length=200, title="Disusun ulang oleh (nama sesuai roster)")
    note: CleanStr = Field("", max_length=4000, title="Catatan perubahan")

    def texts(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if k.startswith("teks_") and isinstance(v, str)}


def with_draft_texts(base: type[RunInput], drafts: list[Draft], name: str) -> type[RunInput]:
    """``base`` plus one optional text field per draft, titled with its type and channels; ``name``
    is the form's title in the Prefect UI (e.g. "Keputusan persetujuan-awal-ke-2")."""
    fields: dict[str, Any] = {
        text_field(d): (
            CleanStr | None,
            Field(None, max_length=100_000, title=f"Teks {d.message_type.value} ({d.language})", description=", ".join(d.channels)),
        )
        for d in drafts
    }
    return create_model(name, __base__=base, **fields)


class VerificationBase(ProvenInput):
    verified_by: CleanStr | None = Field(None, max_length=200, title="Diverifikasi oleh (nama sesuai roster)")
    source: CleanStr | None = Field(None, max_length=500, title="Sumber utama (mis. SDP, Polres, RSUD, BMKG)")
    sources: dict[str, Annotated[CleanStr, Field(max_length=500)]] = Field(
        default_factory=dict, max_length=100, title="Sumber per butir (opsional: butir → sumber)"
    )

    def answers(self) -> dict[str, str]:
        """Checklist item id → confirmed value (blank answers mean: still not confirmed)."""
        return {k: v for k, v in self._given().items() if not k.endswith(ENGLISH_SUFFIX)}

    def english(self) -> dict[str, str]:
        """Checklist item id → the value in English, where one was given."""
        return {k.removesuffix(ENGLISH_SUFFIX): v for k, v in self._given().items() if k.endswith(ENGLISH_SUFFIX)}

    def _given(self) -> dict[str, str]:
        fixed = set(VerificationBase.model_fields)
        return {k: v.strip() for k, v in self.model_dump().items() if k not in fixed and isinstance(v, str) and v.strip()}

    def is_empty(self) -> bool:
        return not (self.verified_by or self.kode or self.answers() or self.english())


ENGLISH_SUFFIX = "__en"


def english_field(item_id: str) -> str:
    """The form field of an item's English value."""
    return item_id + ENGLISH_SUFFIX


def verification_form(plan: RunbookPlan) -> type[VerificationBase]:
    """One optional text field per checklist item of this runbook, titled with its label, and for
    each public free-text item one for its English wording (English texts state only those; counts
    are written from their number)."""
    fields: dict[str, Any] = {
        item.id: (CleanStr | None, Field(None, max_length=4000, title=item.label, description=_hint(item.question, item.source_hint)))
        for item in plan.checklist
    }
    fields |= {
        english_field(item.id): (CleanStr | None, Field(None, max_length=4000, title=f"{item.label} — English ({item.label_en})",
                                                         description="Opsional: nilai yang sama dalam bahasa Inggris, untuk teks berbahasa Inggris."))
        for item in plan.checklist if item.public and item.kind != "count"
    }
    return create_model(f"Verifikasi_{plan.category.replace('-', '_')}", __base__=VerificationBase, **fields)


def _hint(question: str, source_hint: str) -> str:
    return f"{question} ({source_hint})" if source_hint else question
