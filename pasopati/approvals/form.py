"""The posted approval form: read within caps, checked before anything is recorded.

A form that cannot be a decision (no verdict, a reject without a reason, no code where one is
needed, changed text under "approve"…) is answered with the page again and what to fix; nothing is
recorded and the link stays usable. Everything else goes to ``decisions.service.submit``, which
checks and records it, refused or not.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from pydantic import BaseModel, Field

from pasopati.db import clean_text
from pasopati.decisions.models import ApprovalAnswer, Verdict
from pasopati.drafts.service import normalise_text
from pasopati.identity.codes import normalised
from pasopati.texts import MAX_TEXT, TextRefused, has_words, plain

MAX_FORM_BYTES = 512_000  # a full gate: ~6 texts of a few KB each, url-encoded; far above any real answer
MAX_FIELDS = 64
MAX_TEXT_CHARS = MAX_TEXT  # one draft's text (pasopati.texts: an X post is 280, a press release ~4 000)
MAX_REASON_CHARS = 2_000
MAX_CODE_CHARS = 20
VIA = "halaman-persetujuan"


class TooLarge(ValueError):
    """More bytes or fields than any answer of the page: 413."""


class PageForm(BaseModel):
    """What was posted, as text (the code is never shown back)."""

    verdict: str = ""
    reason: str = ""
    code: str = Field("", repr=False)
    texts: dict[str, str] = Field(default_factory=dict, description="Form field (teks_<type>_<lang>) → text.")


def parse(body: bytes) -> PageForm:
    """An ``application/x-www-form-urlencoded`` body → PageForm (first value of each field; text
    cleaned of what the store cannot hold). Raises TooLarge."""
    if len(body) > MAX_FORM_BYTES:
        raise TooLarge(f"{len(body)} bytes")
    try:
        fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError as exc:  # more fields than max_num_fields
        raise TooLarge(str(exc)) from None
    first = {k: clean_text(v[0]) for k, v in fields.items() if v}
    return PageForm(
        verdict=first.get("verdict", ""), reason=first.get("reason", ""), code=first.get("code", ""),
        texts={k: v for k, v in first.items() if k.startswith("teks_")},
    )


def problems(form: PageForm, originals: dict[str, str], *, strong: bool) -> list[str]:
    """Why ``form`` cannot be submitted as a decision (codes, worded in the page template); [] if it can.
    ``originals``: form field → the draft text shown."""
    errors = []
    verdict = _verdict(form.verdict)
    if verdict is None:
        errors.append("verdict")
    if len(form.reason) > MAX_REASON_CHARS:
        errors.append("reason_long")
    elif verdict in (Verdict.REJECT, Verdict.REQUEST_CHANGES) and not form.reason.strip():
        errors.append("reason_needed")
    if any(len(form.texts.get(f, "")) > MAX_TEXT_CHARS for f in originals):
        errors.append("text_long")
        return errors  # nothing more is read of a text this long
    if any(f in form.texts and _blank(form.texts[f]) for f in originals):
        errors.append("text_blank")  # a statement emptied in the form is never a public text
        return errors
    try:
        changed = edited(form, originals)
    except TextRefused:  # a "word" no reader would read (pasopati.texts.plain)
        errors.append("text_long")
        return errors
    if verdict is Verdict.APPROVE and changed:
        errors.append("approve_changed")
    if verdict is Verdict.EDIT and not changed:
        errors.append("edit_unchanged")
    if strong and not form.code.strip():
        errors.append("code_needed")
    elif form.code.strip() and (len(form.code) > MAX_CODE_CHARS or normalised(form.code) is None):
        errors.append("code_shape")
    return errors


def _blank(text: str) -> bool:
    """A text with no word a reader sees (a text refused for its length is not called blank)."""
    try:
        return not has_words(plain(text))
    except TextRefused:
        return False


def edited(form: PageForm, originals: dict[str, str]) -> dict[str, str]:
    """Form field → text, for the texts the approver changed (line endings and outer blanks aside)."""
    return {
        field: text for field, original in originals.items()
        if (text := form.texts.get(field)) is not None and normalise_text(text) != normalise_text(original)
    }


def answer(form: PageForm, *, person: str, key: str, text_hash: str, token: str, draft_ids: dict[str, str]) -> ApprovalAnswer:
    """The decision to submit, for a form ``problems`` found nothing in. The name is the link's
    person, never a field of the form; ``draft_ids``: form field → draft id."""
    verdict = _verdict(form.verdict)
    texts = form.texts if verdict is Verdict.EDIT else {}
    return ApprovalAnswer(
        verdict=verdict, approver=person, reason=form.reason.strip(), via=VIA, round_key=key, text_hash=text_hash,
        link_token=token, code=form.code.strip() or None, edits={draft_ids[f]: t for f, t in texts.items() if f in draft_ids},
    )


def _verdict(value: str) -> Verdict | None:
    try:
        return Verdict(value)
    except ValueError:
        return None
